#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/httpd.sh on every host: spore-kvm and QEMU microvm serve an initrd made
# of tests/httpd-root (plus a generated big.bin) over a tap device in a network
# namespace of the test's own; Linux through tests/httpd-linux.sh.
# Hosts: SPORE_HTTP_HOSTS (default: spore-kvm microvm linux). Lines: "ok HOST: NAME".
set -u
cd "$(dirname "$0")/.."
hosts=${SPORE_HTTP_HOSTS:-"spore-kvm microvm linux"}
ns=spore-http-$$ dir=build/tests/httpd-hosts.$$ log=build/tests/log
fail=0
cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $ns 2>/dev/null
	return 0
}
trap 'cleanup; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
tag() { sed -u "s/^\(ok\|FAIL\) /\1 $1: /"; }
mkdir -p "$dir/root" $log
cp -a tests/httpd-root/. "$dir/root/"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 13 + (i >> 11)) & 255 for i in range(512 << 10)))' \
	> "$dir/root/big.bin"
tar --format=ustar --owner=0 --group=0 -C "$dir/root" -cf "$dir/root.tar" .

for host in $hosts; do
	if [ $host = linux ]; then
		tests/httpd-linux.sh | tag linux; [ "${PIPESTATUS[0]}" = 0 ] || fail=1
		continue
	fi
	cleanup
	out=$log/httpd.$host.out
	ip netns add $ns && ip -n $ns link set lo up && ip -n $ns tuntap add tap0 mode tap &&
		ip -n $ns addr add 10.0.0.1/24 dev tap0 && ip -n $ns link set tap0 up ||
		{ echo "FAIL $host: namespace and tap"; fail=1; continue; }
	ip netns exec $ns tests/spore-run --host=$host --net=tap0 --initrd="$dir/root.tar" --timeout=600 \
		build/apps/httpd.elf "ip=10.0.0.2/24 -- -p 80 -l -t 3 -c 64" > $out 2>&1 & disown
	for _ in $(seq 300); do grep -q "listening on 80" $out && break; sleep 0.1; done
	if ! grep -q "listening on 80" $out; then
		echo "FAIL $host: httpd did not start (see $out)"; fail=1; continue
	fi
	HTTPD_IDLE=3 HTTPD_MAXCONN=64 HTTPD_BIG="$dir/root/big.bin" timeout 600 \
		ip netns exec $ns tests/httpd.sh http://10.0.0.2:80 | tag $host
	[ "${PIPESTATUS[0]}" = 0 ] || fail=1
	grep -q "fault\|panic" $out && { echo "FAIL $host: the guest reported a fault (see $out)"; fail=1; }

	# An archive without directory entries (tar of files: docs/ only implied):
	# a download held open while another client lists /docs/ and a third sends
	# a 4 KiB head stays byte-exact. tarfs once added the implied directory at
	# lookup, moving its table under open files (issue 20, finding 1).
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	for _ in $(seq 100); do [ -z "$(ip netns pids $ns 2>/dev/null)" ] && break; sleep 0.1; done
	tar --format=ustar --owner=0 --group=0 -C "$dir/root" -cf "$dir/sparse.tar" big.bin docs/index.html
	out=$log/httpd-sparse.$host.out
	ip netns exec $ns tests/spore-run --host=$host --net=tap0 --initrd="$dir/sparse.tar" --timeout=120 \
		build/apps/httpd.elf "ip=10.0.0.2/24 -- -p 80 -l -t 3 -c 64" > $out 2>&1 & disown
	for _ in $(seq 300); do grep -q "listening on 80" $out && break; sleep 0.1; done
	r=$(timeout 60 ip netns exec $ns python3 tests/httpd_client.py 10.0.0.2 80 heldread /big.bin \
		"$dir/root/big.bin" /docs/ 2>&1)
	if [ "$r" = intact ] && ! grep -q "fault\|panic" $out; then
		echo "ok $host: archive without directory entries: GET /big.bin held across GET /docs/ byte-exact"
	else
		echo "FAIL $host: archive without directory entries: held GET /big.bin: ${r:-no answer} (see $out)"
		fail=1
	fi
	cleanup
done
exit $fail
