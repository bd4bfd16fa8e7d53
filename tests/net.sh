#!/bin/bash
# SPDX-License-Identifier: MIT
# Network tests: for each host, a network namespace of the test's own with a
# tap device, the echo app booted on it, and real clients (ping, python
# sockets) against it. Traffic never leaves the namespace; the namespace and
# every process in it are removed on every exit path. Prints "ok NAME" /
# "FAIL NAME: why" lines. Hosts: SPORE_NET_HOSTS (default spore-kvm microvm q35).
set -u
cd "$(dirname "$0")/.."
hosts=${SPORE_NET_HOSTS:-"spore-kvm microvm q35"}
ns=spore-net-$$
log=build/tests/log; mkdir -p $log
fail=0

cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $ns 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "$1 net on $host: $2"; [ "$1" = ok ] || fail=1; }
nsx() { ip netns exec $ns "$@"; }

for host in $hosts; do
	cleanup
	ip netns add $ns && ip -n $ns link set lo up &&
	ip -n $ns tuntap add tap0 mode tap && ip -n $ns addr add 10.0.0.1/24 dev tap0 &&
	ip -n $ns link set tap0 up || { say FAIL "cannot make namespace $ns"; continue; }
	out=$log/net-echo.$host.out
	nsx tests/spore-run --host=$host --net=tap0 --timeout=300 build/apps/echo.elf \
		"ip=10.0.0.2/24 -- 7" > $out 2>&1 &
	disown   # cleanup() kills it: no job-control noise
	for i in $(seq 300); do grep -q "listening on 7" $out && break; sleep 0.1; done
	if ! grep -q "listening on 7" $out; then
		say FAIL "echo did not start within 30 s (see $out)"
		continue
	fi
	if nsx ping -c 3 -i 0.2 -W 2 10.0.0.2 > $log/net-ping.$host.out 2>&1; then
		say ok "ping"
	else
		say FAIL "ping (see $log/net-ping.$host.out)"
	fi
	for t in "tcp-bulk 16" "tcp-many 200" "udp" "rst" "synflood 1000" "alive"; do
		set -- $t
		while IFS= read -r l; do
			case "$l" in
			"ok "*) say ok "${l#ok }" ;;
			"FAIL "*) say FAIL "${l#FAIL }" ;;
			esac
		done < <(nsx timeout 180 python3 tests/netclient.py $1 10.0.0.2 7 ${2:-} 2>&1 ||
			 echo "FAIL $1: client exited $?")
	done
	grep -q "fault\|panic" $out && say FAIL "the guest reported a fault (see $out)"
	cleanup
done
exit $fail
