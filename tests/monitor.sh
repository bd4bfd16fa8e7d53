#!/bin/bash
# SPDX-License-Identifier: MIT
# Black-box tests of build/spore-kvm: bad inputs (one-line message, status 249), the tiny 32-bit
# test guest (console, exit status, timeout, bad calls, seccomp), the 64-bit ring-3 one (traps, faults)
# and --net in a network namespace of the test's own (ARP over a tap; nothing leaves the namespace,
# which is deleted on every exit path). Prints `ok NAME` / `FAIL NAME`.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kvm=$here/build/spore-kvm
guest=$here/build/tests/unit/monitor_guest.elf
guest64=$here/build/tests/unit/monitor_guest64.elf
net64=$here/build/tests/unit/monitor_net64.elf
tmp=$(mktemp -d)
. "$here/tests/lib.sh"
lib_init mon
lib_on_exit 'rm -rf "$tmp"'
failed=0

ok() { echo "ok monitor_$1"; }
fail() { echo "FAIL monitor_$1: $2"; failed=$((failed + 1)); }
skip() { echo "skip monitor_$1: $2"; }
# No usable /dev/kvm (a machine without KVM, or a nested one that does not
# bind it): checks that need a running guest are skipped, each by name.
kvm_usable() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# run NAME WANT-STATUS ARGS...: runs spore-kvm, stdout in $tmp/out, stderr in $tmp/err.
run() {
	local name=$1 want=$2
	shift 2
	timeout -k 1 10 "$kvm" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ] && [ "$rc" = 249 ] && ! kvm_usable && grep -q 'cannot open /dev/kvm' "$tmp/err"; then
		skip "$name" "no usable /dev/kvm"
		return 1
	fi
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
setup_err image_bogus --image=mapped "$guest"
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
# --gdb is a Unix socket (mode 0600): a TCP port on 127.0.0.1 let any local user, or a web
# page posting to localhost, write guest memory. A port number gets a message, not a socket.
setup_err gdb_tcp_port --gdb=1234 "$guest"
grep -q 'Unix socket path' "$tmp/err" || fail gdb_tcp_port_msg "$(cat "$tmp/err")"
setup_err gdb_path_long --gdb="/$(head -c 107 /dev/zero | tr '\0' x)" "$guest"
setup_err gdb_path_empty --gdb= "$guest"
setup_err mode_bad --mode=ring1 "$guest"
setup_err mode_ring3_no_spore_note --mode=ring3 "$guest"     # the 32-bit PVH guest
setup_err mode_ring0_no_pvh_note --mode=ring0 "$guest64"    # the Spore-note-only guest
setup_err no_image
setup_err cmdline_4096 "$guest" "$(head -c 4096 /dev/zero | tr '\0' x)"
# (a: the test guest reads the first byte as a command, and x is one: the impostor exit)
if run cmdline_4095 7 "$guest" "$(head -c 4095 /dev/zero | tr "\0" a)"; then ok cmdline_4095; fi
if unshare -m true 2>/dev/null; then
	unshare -m sh -c "mount -t tmpfs none /dev && exec timeout 10 $kvm $guest" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 249 ] && grep -q 'cannot open /dev/kvm: No such file' "$tmp/err"; then ok no_dev_kvm
	else fail no_dev_kvm "status $rc: $(cat "$tmp/err")"; fi
fi
if ! [ -e /dev/kvm ]; then skip dev_kvm_denied "no /dev/kvm to be denied"
elif command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	cp "$guest" "$tmp/g.elf" && chmod 755 "$tmp" && chmod 644 "$tmp/g.elf"
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$kvm" "$tmp/g.elf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 249 ] && grep -q 'cannot open /dev/kvm: Permission denied (is KVM enabled' "$tmp/err"; then
		ok dev_kvm_denied
	else fail dev_kvm_denied "status $rc: $(cat "$tmp/err")"; fi
fi

# Guest RAM is MADV_DONTDUMP (no guest data in a core of the monitor). Seen without KVM:
# the monitor maps RAM before it opens the image, and opening a FIFO blocks until a writer.
mkfifo "$tmp/fifo"
timeout -k 1 10 "$kvm" --mem=6M "$tmp/fifo" >/dev/null 2>&1 &
pid=$!
sleep 0.3
mon=$(pgrep -P $pid | head -1)
flags=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {sz = 0} /^Size: *6144 kB/ {sz = 1} sz && /^VmFlags:/ {print; exit}' \
	"/proc/$mon/smaps" 2>/dev/null)
: >"$tmp/fifo"  # a writer: the monitor goes on, finds no regular file, exits 249
wait $pid
[[ "$flags" == *" dd"* ]] && ok ram_dontdump || fail ram_dontdump "guest RAM's VmFlags: '${flags:-none found}'"

# ---- the test guest ----
if run hello 7 "$guest"; then
	if [ "$(cat "$tmp/out")" = "hello from the monitor test guest" ] && [ ! -s "$tmp/err" ]; then ok hello
	else fail hello "stdout '$(head -c 100 "$tmp/out")' stderr '$(head -c 100 "$tmp/err")'"; fi
fi
# The image's whole pages (hello's text, rodata, data) come from its file, shared by
# every instance, unless --image=copy; --stats counts them (docs/monitor.md).
for how in share copy; do
	if run image_$how 0 --stats --image=$how "$here/build/apps/hello.elf"; then
		n=$(sed -n 's/.* \([0-9]*\) image pages mapped from its file.*/\1/p' "$tmp/err")
		if ! grep -q '^goodbye$' "$tmp/out"; then fail image_$how "stdout '$(head -c 100 "$tmp/out")'"
		elif [ "$how" = share ] && [ "${n:-0}" -gt 0 ] || [ "$how/$n" = copy/0 ]; then ok image_$how
		else fail image_$how "$(grep 'before the first' "$tmp/err")"; fi
	fi
done
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
# A guest asking for the monitor's VM-fault status 251 gets 250 and a line naming it.
if kvm_usable; then expect exit_reserved 250 'exit \(nr 4\): status 251 is reserved for the monitor' "$guest" x
else skip exit_reserved "no usable /dev/kvm"; fi
expect halt 251 'halted' "$guest" H
expect poll_forever 251 'waits forever' "$guest" f
start=$(date +%s%N)
expect timeout 252 'timed out after 1 s' --timeout=1 "$guest" s
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Prompt: well before run's own 10 s kill, whatever the machine's load (these once
# took over 1.9 s at a load of 12: a bound in time proves nothing more than that).
if kvm_usable; then [ $ms -lt 8000 ] && ok timeout_prompt || fail timeout_prompt "took $ms ms"; fi
expect timeout_in_poll 252 'timed out after 1 s' --timeout=1 "$guest" p  # SIGALRM cuts HC_POLL short

# A closed stdout: SIGPIPE is ignored, so writes fail with EPIPE instead of killing the
# monitor silently (141). --help needs no guest; the guest's console write ends with 253.
# pipe_run MODE ARGS...: spore-kvm with stdout a pipe whose reader is closed (MODE closed)
# or full and never read (MODE full); prints its status, stderr in $tmp/err.
pipe_run() {
	python3 - "$@" 2>"$tmp/err" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
if sys.argv[1] == "closed":
	os.close(r)
else:
	os.set_blocking(w, False)
	try:
		while True: os.write(w, bytes(4096))
	except BlockingIOError: pass
	os.set_blocking(w, True)
try:
	print(subprocess.run(sys.argv[2:], stdout=w, timeout=10).returncode)
except subprocess.TimeoutExpired:
	print("hung")
PY
}
rc=$(pipe_run closed "$kvm" --help)
[ "$rc" = 0 ] && ok sigpipe_ignored || fail sigpipe_ignored "--help to a closed pipe: status $rc (-13: SIGPIPE)"
if kvm_usable; then
	rc=$(pipe_run closed "$kvm" "$guest")
	if [ "$rc" = 253 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q '^spore-kvm: console: stdout is closed' "$tmp/err"; then ok stdout_closed
	else fail stdout_closed "status $rc: $(head -c 300 "$tmp/err")"; fi
	# --timeout wins over a console write blocked on a reader that stopped reading.
	start=$(date +%s%N)
	rc=$(pipe_run full "$kvm" --timeout=1 "$guest")
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [ "$rc" = 252 ] && [ $ms -lt 8000 ] && grep -q 'timed out after 1 s (while the monitor was writing the console' "$tmp/err"
	then ok timeout_in_write; else fail timeout_in_write "status $rc after $ms ms: $(head -c 300 "$tmp/err")"; fi
else
	skip stdout_closed "no usable /dev/kvm"
	skip timeout_in_write "no usable /dev/kvm"
fi

# Seccomp and RSS while the guest sleeps 1.5 s in HC_POLL.
if ! kvm_usable; then
	for n in seccomp_filter rss_2MiB poll_sleep; do skip $n "no usable /dev/kvm"; done
else
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
fi

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

# ---- --net: a tap in a namespace of our own, 10.9.0.1 on the host side, the guest 10.9.0.2 ----
setup_err mac_multicast --mac=01:00:00:00:00:01 "$net64"
setup_err mac_short --mac=02:00:00:00:00 "$net64"
# --vhost: only with --net on the ring-0 virtio path (docs/monitor.md)
vhost_err() {  # NAME ERE ARGS...: as setup_err, and the line matches ERE
	local name=$1 re=$2
	shift 2
	run "$name" 249 "$@" || return
	if [ "$(wc -l <"$tmp/err")" = 1 ] && grep -Eq "^spore-kvm: --vhost.*$re" "$tmp/err"; then ok "$name"
	else fail "$name" "want one line matching /$re/, got: $(head -c 300 "$tmp/err")"; fi
}
vhost_err vhost_no_net ': no --net given$' --vhost "$net64"
vhost_err vhost_hypercall ': not with --io=hypercall$' --vhost --io=hypercall --net=tap9 "$net64"
vhost_err vhost_ring3_mode ': not with --mode=ring3$' --vhost --mode=ring3 --net=tap9 "$net64"
vhost_err vhost_snapshot ': not with --snapshot or --restore' --vhost --net=tap9 --snapshot="$tmp/vs" "$net64"
expect net_without_tap 250 'net_send \(nr 7\): no network device' "$net64" l
run net_info_absent 4 "$net64" && ok net_info_absent    # HC_INFO: net_present 0 without --net
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! lib_netns 2>/dev/null; then
	echo "# skipped the --net tests: need root and ip netns"
else
	lib_tap tap0 10.9.0.1/24 || fail net_namespace "cannot set up tap0 in $ns"
	# run() calls "$kvm": for these tests, a wrapper that enters the namespace.
	kvm_host=$kvm
	kvm=$tmp/kvm-in-ns
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" "$kvm_host" >"$kvm" && chmod +x "$kvm"

	setup_err net_no_such_tap --net=nosuch0 "$net64"
	grep -q 'spore-kvm: --net=nosuch0: no such device' "$tmp/err" || fail net_no_such_tap_msg "$(cat "$tmp/err")"
	nsx ip link show nosuch0 >/dev/null 2>&1 && fail net_no_such_tap_created "a tap nosuch0 appeared"
	setup_err net_not_a_tap --net=lo "$net64"
	grep -q 'not a tap device' "$tmp/err" || fail net_not_a_tap_msg "$(cat "$tmp/err")"
	# a ring-3 guest (net64 has only the Spore note; on kvm_pvm every guest) has no virtio
	vhost_err vhost_ring3 'this guest runs in ring 3 .*, not on the virtio path$' --vhost --net=tap0 "$net64"
	if run net_arp 0 --timeout=20 --net=tap0 --mac=02:00:00:aa:bb:cc "$net64"; then
		[ "$(cat "$tmp/out")" = "$(printf 'mac 02:00:00:aa:bb:cc\narp reply')" ] && ok net_arp \
			|| fail net_arp "stdout '$(head -c 100 "$tmp/out")'"
	fi
	if run net_random_mac 0 --timeout=20 --net=tap0 "$net64"; then
		grep -Eq '^mac 02(:[0-9a-f]{2}){5}$' "$tmp/out" && ok net_random_mac || fail net_random_mac "$(cat "$tmp/out")"
	fi
	expect net_runt_frame 250 'net_send \(nr 7\): frame 1: frame length outside 14' --net=tap0 "$net64" l
	expect net_batch_33 250 'net_send \(nr 7\): count 33: count above HC_NET_BATCH' --net=tap0 "$net64" c
	# The tap held by one monitor (the 'f' guest waits 2 s for frames): a second one is refused.
	if kvm_usable; then
		"$kvm" --net=tap0 "$net64" f >/dev/null 2>&1 &
		sleep 0.5
		setup_err net_tap_busy --net=tap0 "$net64"
		grep -q 'in use by another process' "$tmp/err" || fail net_tap_busy_msg "$(cat "$tmp/err")"
		wait
	else skip net_tap_busy "no usable /dev/kvm (the holder of the tap must run a guest)"; fi
	# Link down: the request is lost, the 2 s poll times out, the guest exits 3.
	nsx ip link set tap0 down
	run net_poll_timeout 3 --net=tap0 "$net64" && ok net_poll_timeout
	# --timeout ends a guest blocked in ppoll on the tap (SIGALRM unblocked only inside ppoll).
	start=$(date +%s%N)
	expect net_timeout_in_poll 252 'timed out after 1 s' --timeout=1 --net=tap0 "$net64" f
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if kvm_usable; then [ $ms -lt 8000 ] && ok net_timeout_prompt || fail net_timeout_prompt "took $ms ms"; fi
	nsx ip link set tap0 up
	# A tap deleted under a guest waiting on it (2 s poll): one line and 253, not a spinning
	# guest (its poll returned "nothing ready" at once, forever; this guest then exits 0).
	if kvm_usable; then
		lib_tap tap1
		timeout -k 1 10 "$kvm" --net=tap1 "$net64" f >"$tmp/out" 2>"$tmp/err" &
		sleep 0.5
		nsx ip link del tap1
		wait $!
		rc=$?
		if [ $rc = 253 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
			grep -q '^spore-kvm: --net=tap1: the tap is gone' "$tmp/err"; then ok net_tap_deleted
		else fail net_tap_deleted "status $rc: $(head -c 300 "$tmp/err")"; fi
	else skip net_tap_deleted "no usable /dev/kvm"; fi
	# Batching under load: 2 s of UDP to the guest's MAC; frames per receive exit.
	nsx ip neigh replace 10.9.0.2 lladdr 02:00:00:aa:bb:cc dev tap0 nud permanent
	if ! kvm_usable; then skip net_batched_recv "no usable /dev/kvm"; else
		timeout -k 1 20 "$kvm" --stats --timeout=15 --net=tap0 --mac=02:00:00:aa:bb:cc "$net64" f \
			>"$tmp/out" 2>"$tmp/err" &
		sleep 0.5
		nsx timeout 10 python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.time() + 2
while time.time() < t:
	s.sendto(bytes(64), ("10.9.0.2", 9))' 2>/dev/null
		wait
		set -- $(sed -n 's/.* \([0-9]*\) received; .*, \([0-9]*\) receive calls, at most \([0-9]*\) .*/\1 \2 \3/p' "$tmp/err")
		if [ $# = 3 ] && [ "$2" -gt 0 ]; then
			echo "# net flood: $1 frames in $2 receive exits ($(( $1 / $2 )) per exit), at most $3 in one"
			[ "$3" -gt 1 ] && ok net_batched_recv || fail net_batched_recv "never more than one frame per exit"
		else fail net_batched_recv "no stats: $(head -c 300 "$tmp/err")"; fi
	fi
	kvm=$kvm_host
fi

[ $failed = 0 ]
