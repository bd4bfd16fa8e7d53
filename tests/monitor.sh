#!/bin/bash
# SPDX-License-Identifier: MIT
# Black-box tests of build/spore-kvm: bad inputs (one-line message, status 249), the tiny 32-bit
# test guest (console, exit status, timeout, bad calls, seccomp) and the 64-bit ring-3 one (traps, faults). Prints `ok NAME` / `FAIL NAME`.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kvm=$here/build/spore-kvm
guest=$here/build/tests/unit/monitor_guest.elf
guest64=$here/build/tests/unit/monitor_guest64.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

ok() { echo "ok monitor_$1"; }
fail() { echo "FAIL monitor_$1: $2"; failed=$((failed + 1)); }

# run NAME WANT-STATUS ARGS...: runs spore-kvm, stdout in $tmp/out, stderr in $tmp/err.
run() {
	local name=$1 want=$2
	shift 2
	timeout -k 1 10 "$kvm" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] || { fail "$name" "status $rc, want $want: $(head -c 200 "$tmp/err")"; return 1; }
}

# setup_err NAME ARGS...: status 249 and exactly one line `spore-kvm: ...` on stderr.
setup_err() {
	local name=$1
	shift
	run "$name" 249 "$@" || return
	if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q '^spore-kvm: ' "$tmp/err"; then
		fail "$name" "want one 'spore-kvm:' line, got: $(head -c 300 "$tmp/err")"
		return
	fi
	ok "$name"
}

[ -x "$kvm" ] && [ -f "$guest" ] && [ -f "$guest64" ] || { fail build "build/spore-kvm or the test guest is missing"; exit 1; }

# ---- bad inputs ----
echo "just text" >"$tmp/text"
head -c 300 "$guest" >"$tmp/trunc.elf"
objcopy -R .note.Xen "$guest" "$tmp/nonote.elf"
setup_err no_file "$tmp/does-not-exist"
setup_err text_file "$tmp/text"
setup_err directory "$tmp"
setup_err truncated_elf "$tmp/trunc.elf"
setup_err no_pvh_note "$tmp/nonote.elf"
grep -q 'no PVH entry note' "$tmp/err" || fail no_pvh_note_msg "$(cat "$tmp/err")"
setup_err et_dyn /bin/true
setup_err mem_abc --mem=abc "$guest"
setup_err mem_1K --mem=1K "$guest"
setup_err mem_0 --mem=0 "$guest"
setup_err mem_huge --mem=65G "$guest"
setup_err mem_unaligned --mem=3000000 "$guest"
# The test guest's PT_LOAD with p_memsz (offset 64 + 40) = 1 MiB + 4K: fits 3M, not 2M.
cp "$guest" "$tmp/big.elf"
printf '\000\020\020\000\000\000\000\000' | dd of="$tmp/big.elf" bs=1 seek=104 conv=notrunc status=none
setup_err image_beyond_mem --mem=2M "$tmp/big.elf"
if run image_fits_3M 7 --mem=3M "$tmp/big.elf"; then ok image_fits_3M; fi
setup_err timeout_abc --timeout=abc "$guest"
setup_err unknown_option --frobnicate "$guest"
setup_err no_image
setup_err cmdline_4096 "$guest" "$(head -c 4096 /dev/zero | tr '\0' x)"
if run cmdline_4095 7 "$guest" "$(head -c 4095 /dev/zero | tr '\0' x)"; then ok cmdline_4095; fi
if unshare -m true 2>/dev/null; then
	unshare -m sh -c "mount -t tmpfs none /dev && exec timeout 10 $kvm $guest" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 249 ] && grep -q 'cannot open /dev/kvm: No such file' "$tmp/err"; then ok no_dev_kvm
	else fail no_dev_kvm "status $rc: $(cat "$tmp/err")"; fi
fi
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	cp "$guest" "$tmp/g.elf" && chmod 755 "$tmp" && chmod 644 "$tmp/g.elf"
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$kvm" "$tmp/g.elf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 249 ] && grep -q 'cannot open /dev/kvm: Permission denied (is KVM enabled' "$tmp/err"; then
		ok dev_kvm_denied
	else fail dev_kvm_denied "status $rc: $(cat "$tmp/err")"; fi
fi

# ---- the test guest ----
if run hello 7 "$guest"; then
	if [ "$(cat "$tmp/out")" = "hello from the monitor test guest" ] && [ ! -s "$tmp/err" ]; then ok hello
	else fail hello "stdout '$(head -c 100 "$tmp/out")' stderr '$(head -c 100 "$tmp/err")'"; fi
fi
if run cmdline 0 "$guest" e 'x  y' z; then
	[ "$(cat "$tmp/out")" = "e x  y z" ] && ok cmdline || fail cmdline "got '$(cat "$tmp/out")'"
fi
run time_info_entropy 0 "$guest" t && ok time_info_entropy  # also: guest rdtsc <= HC_TIME tsc <= rdtsc
run cpuid_leaves 0 "$guest" c && ok cpuid_leaves          # spore leaf + KVM's 0x40000000
run kvmclock 0 "$guest" k && ok kvmclock                  # pvclock filled after the MSR write
# expect NAME STATUS REGEX ARGS...: status and a one-line message matching REGEX.
expect() {
	local name=$1 want=$2 re=$3
	shift 3
	run "$name" "$want" "$@" || return
	if [ "$(wc -l <"$tmp/err")" = 1 ] && grep -Eq "$re" "$tmp/err"; then ok "$name"
	else fail "$name" "message: $(head -c 300 "$tmp/err")"; fi
}
expect bad_gpa 250 'guest error: console_write .*gpa 0xfffffff8' "$guest" b
expect unknown_call 250 'guest error: .*unknown call' "$guest" u
expect halt 251 'halted' "$guest" H
expect poll_forever 251 'waits forever' "$guest" f
start=$(date +%s%N)
expect timeout 252 'timed out after 1 s' --timeout=1 "$guest" s
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 3000 ] && ok timeout_prompt || fail timeout_prompt "took $ms ms"
expect timeout_in_poll 252 'timed out after 1 s' --timeout=1 "$guest" p  # SIGALRM cuts HC_POLL short

# Seccomp and RSS while the guest sleeps 1.5 s in HC_POLL.
timeout -k 1 10 "$kvm" "$guest" p >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.5
mon=$(pgrep -P $pid | head -1)  # spore-kvm is timeout's child
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$mon/status" && ok seccomp_filter \
	|| fail seccomp_filter "pid '$mon': $(grep Seccomp "/proc/$mon/status" 2>&1)"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status" 2>/dev/null)
echo "# spore-kvm VmRSS while the test guest sleeps: ${rss:-?} kB"
[ -n "$rss" ] && [ "$rss" -le 2048 ] && ok rss_2MiB || fail rss_2MiB "VmRSS ${rss:-?} kB"
wait $pid
rc=$?
[ $rc = 0 ] && ok poll_sleep || fail poll_sleep "status $rc: $(cat "$tmp/err")"

# ---- the 64-bit ring-3 guest: hypercalls arrive as traps ----
objcopy -R .note.spore "$guest64" "$tmp/nonote64.elf"
setup_err ring3_no_note "$tmp/nonote64.elf"
for sync in 1 0; do  # with KVM_CAP_SYNC_REGS, then the KVM_GET/SET_REGS fallback
	if [ $sync = 0 ]; then export SPORE_KVM_NO_SYNC_REGS=1; else unset SPORE_KVM_NO_SYNC_REGS; fi
	if run ring3_hello_sync$sync 7 "$guest64"; then
		if [ "$(cat "$tmp/out")" = "hello from the ring-3 test guest" ] && [ ! -s "$tmp/err" ]; then
			ok ring3_hello_sync$sync
		else fail ring3_hello_sync$sync "stdout '$(head -c 100 "$tmp/out")' stderr '$(head -c 200 "$tmp/err")'"; fi
	fi
	if run ring3_1000_calls_sync$sync 0 "$guest64" k; then
		[ "$(wc -c <"$tmp/out")" = 1000 ] && ok ring3_1000_calls_sync$sync \
			|| fail ring3_1000_calls_sync$sync "$(wc -c <"$tmp/out") bytes"
	fi
done
unset SPORE_KVM_NO_SYNC_REGS
run ring3_time 0 "$guest64" t && ok ring3_time      # HC_TIME's tsc_khz is filled
run ring3_sse 0 "$guest64" s && ok ring3_sse        # SSE runs in ring 3
# fault NAME REGEX MODE: status 120, `guest fault` on the first line, REGEX somewhere.
fault() {
	local name=$1 re=$2 mode=$3
	run "$name" 120 "$guest64" "$mode" || return
	if head -1 "$tmp/err" | grep -q '^spore-kvm: guest fault: ' && grep -Eq "$re" "$tmp/err"; then ok "$name"
	else fail "$name" "report: $(head -c 400 "$tmp/err")"; fi
}
fault ring3_null 'null pointer' n
fault ring3_stack_overflow 'stack overflow' o
fault ring3_rodata_write 'read-only page' w
fault ring3_nx 'non-executable page \(NX\)' x
fault ring3_ud2 'invalid opcode \(ud2\)' u
fault ring3_backtrace 'backtrace: 0x[0-9a-f]+ 0x[0-9a-f]+ 0x[0-9a-f]+ 0x[0-9a-f]+' b
expect ring3_port_0x80 250 'unknown port 0x80' "$guest64" i  # kvm_pvm: ports < 0x100 exit as I/O

[ $failed = 0 ]
