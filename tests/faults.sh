#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults (issue 13) on QEMU microvm, in a network namespace of the test's own:
# 1. a bad link (tests/impair.py: 5% loss, 25% reordered, 1% duplicated, 20 ms
#    +- 10 ms; this host's kernel has no netem): a 16 MiB TCP echo (link faulty
#    towards the guest, as netem on the tap would be) and a 2 MiB httpd download
#    (faulty both ways) stay byte-exact, each within a time bound (a failed echo
#    keeps the frames the guest saw, tests/impair.py's pcap);
# 2. kv logging to a disk (-f /dev/vda) under a write load, its VM killed with
#    SIGKILL at random points: after each restart on the same disk, every write
#    the client saw acknowledged is there with its value (tests/faultclient.py).
# Every loop is bounded. Prints "ok NAME" / "FAIL NAME: why". Knobs:
# SPORE_FAULTS_HOST (microvm), SPORE_FAULTS_KILLS (20), SPORE_FAULTS_SEED.
cd "$(dirname "$0")/.."
host=${SPORE_FAULTS_HOST:-microvm} kills=${SPORE_FAULTS_KILLS:-20} seed=${SPORE_FAULTS_SEED:-$$}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init faults
RANDOM=$seed
fail=0
say() { echo "$1 $2"; [ "$1" = ok ] || fail=1; }
gone() { for _ in $(seq 50); do kill -0 $1 2>/dev/null || return 0; sleep 0.1; done; }   # waits 5 s at most
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3   # a pyenv shim costs 1.5 s a start

# net [to-guest|both]: the guest's tap0 and the host at 10.0.0.1; with an
# argument the host is on tap1 and every frame crosses impair.py. Its packet
# socket and plain tap carry no virtio-net header, so a partial checksum or a
# GSO frame would cross it as it is (a bad checksum, a frame past the MTU), as
# for any VM with offloads behind such a relay: the guest then boots with
# offload=0 (docs/network.md, "Offloads").
net() {
	lib_cleanup
	lib_netns || return 1
	[ $# = 0 ] && { lib_tap tap0 10.0.0.1/24; return; }
	lib_tap tap0 && lib_tap tap1 10.0.0.1/24 || return 1
	: > "$dir/impair.out"
	lib_spawn "$dir/impair.out" ip netns exec $ns timeout 900 $py tests/impair.py tap0 tap1 $seed $1 "$dir/impair.pcap"
	impair=$lib_pid
	LIB_WAIT=50 lib_wait "$dir/impair.out" "impair: ready"
}
unimpair() {  # stops impair.py; $impaired: what it did ("N frames, N lost, ...")
	kill $impair; gone $impair
	impaired=$(sed -n 's/^impair: \([0-9]* frames.*\)/\1/p' "$dir/impair.out")
}
# boot OUT IMAGE CMDLINE [RUNNER-OPTS...]: the guest at 10.0.0.2; vm=its runner.
boot() {
	local n; n=$(grep -c "listening on" "$1" 2>/dev/null)
	lib_boot $host "$@"; vm=$lib_pid
	lib_wait "$1" "listening on" $((${n:-0} + 1))
}

# 1a. Echo.
out=$log/faults-echo.$host.out; : > $out
if net to-guest && boot $out build/apps/echo.elf "ip=10.0.0.2/24 offload=0 -- 7"; then
	t0=$SECONDS
	nsx timeout 300 $py tests/faultclient.py echo 10.0.0.2 7 16 > $log/faults-echo-client.$host.out 2>&1
	r=$(grep -m1 -E '^(ok|FAIL) ' $log/faults-echo-client.$host.out)
	unimpair
	case "$r" in
	"ok "*) say ok "${r#ok } on $host over a link bad towards the guest ($impaired, $((SECONDS - t0)) s)" ;;
	*) cp "$dir/impair.pcap" $log/faults-echo.$host.pcap
	   say FAIL "tcp echo over a bad link on $host: ${r:-timeout} ($impaired; see $out, $log/faults-echo-client.$host.out, the guest's frames in $log/faults-echo.$host.pcap)" ;;
	esac
else say FAIL "echo over a bad link on $host: did not start (see $out, $dir/impair.out)"; fi

# 1b. An httpd download.
mkdir -p "$dir/root" && cp -a tests/httpd-root/. "$dir/root/"
head -c 2M /dev/urandom > "$dir/root/big.bin"
tar --format=ustar --owner=0 --group=0 -C "$dir/root" -cf "$dir/root.tar" .
out=$log/faults-httpd.$host.out; : > $out
# httpd's no-progress timeout (-t) as long as curl's bound: with 5% loss both ways a
# segment of the guest's can be lost with its retransmissions several times in a row,
# and lwIP's backoff (its timer ticks every 500 ms, each retry doubling) then leaves
# the send buffer full for over 30 s, the -t 30 this test used to give: httpd closed
# the connection mid-file (a CI run here, 2026-12-06, ended short after 91 s; the
# others took 42-85 s). What is tested here is the bytes, not httpd's patience.
if net both && boot $out build/apps/httpd.elf "ip=10.0.0.2/24 offload=0 -- -p 80 -t 240" --initrd="$dir/root.tar"; then
	t0=$SECONDS
	nsx curl -s -m 240 -o "$dir/big.got" -w '%{size_download} bytes, %{http_code}' \
		http://10.0.0.2/big.bin > "$dir/curl.out" 2>&1
	crc=$?
	got=$(sha256sum < "$dir/big.got" 2> /dev/null)
	want=$(sha256sum < "$dir/root/big.bin")
	unimpair
	if [ "$got" = "$want" ]; then
		say ok "httpd download of 2 MiB on $host over a link bad both ways, sha256 equal ($impaired, $((SECONDS - t0)) s)"
	else
		cp "$dir/impair.pcap" $log/faults-httpd.$host.pcap 2> /dev/null
		say FAIL "httpd download over a bad link on $host: curl status $crc, $(cat "$dir/curl.out"), sha256 differs, after $((SECONDS - t0)) s ($impaired; see $out, the frames in $log/faults-httpd.$host.pcap)"
	fi
else say FAIL "httpd over a bad link on $host: did not start (see $out, $dir/impair.out)"; fi

# 2. kv: SIGKILL its VM under a write load, restart on the same disk, check.
out=$log/faults-kv.$host.out; : > $out; : > $log/faults-kv-load.$host.out
truncate -s 64M "$dir/disk.img"
kv() { boot $out build/apps/kv.elf "ip=10.0.0.2/24 -- -p 6379 -m 32M -f /dev/vda" --mem=64 --disk="$dir/disk.img"; }
t0=$SECONDS why="" k=0
net && kv || why="kv did not start (see $out)"
while [ -z "$why" ] && [ $k -lt $kills ]; do
	n=$(cat "$dir/acked" 2>/dev/null | wc -l)
	ip netns exec $ns timeout 120 $py tests/faultclient.py load 10.0.0.2 6379 "$dir/acked" >> $log/faults-kv-load.$host.out 2>&1 & load=$!
	for _ in $(seq 200); do [ "$(cat "$dir/acked" 2>/dev/null | wc -l)" -gt $n ] && break; sleep 0.05; done
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"   # into the load: 0.0 .. 2.9 s
	q=""
	for p in $(ip netns pids $ns); do   # the VM's QEMU, by pid: not the client
		[ "$(cat /proc/$p/comm 2>/dev/null)" = qemu-system-x86 ] && q=$p
	done
	[ -n "$q" ] && kill -9 $q || { why="no VM to kill at kill $((k + 1)) (see $out)"; break; }
	kill $load 2>/dev/null; wait $load; gone $vm
	k=$((k + 1))
	kv || { why="kill $k: kv did not restart (see $out)"; break; }
	r=$(nsx timeout 120 $py tests/faultclient.py check 10.0.0.2 6379 "$dir/acked" 2>&1)
	n=$(wc -l < "$dir/acked")
	# Every acknowledged key, and at most one more per kill (the write in flight).
	[[ "$r" == *" 0 missing or wrong, dbsize "* ]] && [ "${r##* }" -le $((n + k)) ] ||
		why="after kill $k: $r"
done
n=$(wc -l < "$dir/acked" 2>/dev/null || echo 0)
[ -z "$why" ] && [ "$n" -gt 0 ] &&
	say ok "kv crash consistency on $host: $n acknowledged writes, $k kills of the VM (SIGKILL, seed $seed), all there after every restart ($((SECONDS - t0)) s)" ||
	say FAIL "kv crash consistency on $host: ${why:-no write acknowledged} ($n acknowledged writes, $k kills, seed $seed)"
lib_cleanup
exit $fail
