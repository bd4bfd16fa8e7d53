#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/kv.sh on every host: spore-kvm and QEMU microvm run build/apps/kv.elf
# over a tap in a namespace of the test's own, with persistence on a disk
# (-f /dev/vda: write, stop the VM, start it again, read back); Linux through
# tests/kv-linux.sh. Hosts: SPORE_KV_HOSTS (default: spore-kvm microvm linux).
set -u
cd "$(dirname "$0")/.."
hosts=${SPORE_KV_HOSTS:-"spore-kvm microvm linux"}
ns=spore-kv-$$ disk=build/tests/kv-disk.$$.img log=build/tests/log
fail=0
cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $ns 2>/dev/null
	return 0
}
trap 'cleanup; rm -f $disk' EXIT
trap 'exit 130' INT TERM
tag() { sed -u "s/^\(ok\|FAIL\) /\1 $1: /"; }
say() { echo "$1 $host: $2"; [ "$1" = ok ] || fail=1; }
cli() { timeout 10 ip netns exec $ns redis-cli -h 10.0.0.2 "$@" 2>&1; }
boot() {  # kv args...: starts the VM, waits for the nth "listening" line
	ip netns exec $ns tests/spore-run --host=$host --net=tap0 --timeout=600 --mem=32 --disk=$disk \
		build/apps/kv.elf "ip=10.0.0.2/24 -- -p 6379 $*" >> $out 2>&1 & disown
	starts=$((starts + 1))
	for _ in $(seq 300); do [ "$(grep -c "listening on 6379" $out)" -ge $starts ] && return 0; sleep 0.1; done
	say FAIL "kv did not start (see $out)"; return 1
}
halt() { ip netns pids $ns | xargs -r kill -9; sleep 0.3; }
mkdir -p $log build/tests

for host in $hosts; do
	if [ $host = linux ]; then
		tests/kv-linux.sh | tag linux; [ "${PIPESTATUS[0]}" = 0 ] || fail=1
		continue
	fi
	cleanup
	out=$log/kv.$host.out starts=0
	: > $out
	rm -f $disk && truncate -s 8M $disk
	ip netns add $ns && ip -n $ns link set lo up && ip -n $ns tuntap add tap0 mode tap &&
		ip -n $ns addr add 10.0.0.1/24 dev tap0 && ip -n $ns link set tap0 up ||
		{ say FAIL "namespace and tap"; continue; }
	boot -m 4M || continue
	timeout 600 ip netns exec $ns tests/kv.sh 10.0.0.2 6379 | tag $host
	[ "${PIPESTATUS[0]}" = 0 ] || fail=1
	halt
	boot -f /dev/vda && cli set p1 persisted > /dev/null && cli incr p2 > /dev/null && cli incr p2 > /dev/null
	halt
	if boot -f /dev/vda; then
		got="$(cli get p1) $(cli get p2)"
		[ "$got" = "persisted 2" ] && say ok "persistence on /dev/vda: data survives a restart" ||
			say FAIL "persistence on /dev/vda: got '$got'"
	fi
	grep -q "fault\|panic" $out && say FAIL "the guest reported a fault (see $out)"
	cleanup
done
exit $fail
