#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/httpd.sh on every host: spore-kvm and QEMU microvm serve an initrd made
# of tests/httpd-root (plus a generated big.bin) over a tap device in a network
# namespace of the test's own; Linux through tests/httpd-linux.sh.
# Hosts: SPORE_HTTP_HOSTS (default: spore-kvm microvm linux). Lines: "ok HOST: NAME".
cd "$(dirname "$0")/.."
hosts=${SPORE_HTTP_HOSTS:-"spore-kvm microvm linux"}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init httpd-hosts
fail=0
tag() { sed -u "s/^\(ok\|FAIL\) /\1 $1: /"; }
mkdir -p "$dir/root"
cp -a tests/httpd-root/. "$dir/root/"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 13 + (i >> 11)) & 255 for i in range(512 << 10)))' \
	> "$dir/root/big.bin"
tar --format=ustar --owner=0 --group=0 -C "$dir/root" -cf "$dir/root.tar" .

for host in $hosts; do
	if [ $host = linux ]; then
		tests/httpd-linux.sh | tag linux; [ "${PIPESTATUS[0]}" = 0 ] || fail=1
		continue
	fi
	out=$log/httpd.$host.out; : > $out
	lib_net || { echo "FAIL $host: namespace and tap"; fail=1; continue; }
	lib_boot $host $out build/apps/httpd.elf "ip=10.0.0.2/24 -- -p 80 -l -t 3 -c 64" --initrd="$dir/root.tar"
	if ! lib_wait $out "listening on 80"; then
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
	lib_empty $ns
	tar --format=ustar --owner=0 --group=0 -C "$dir/root" -cf "$dir/sparse.tar" big.bin docs/index.html
	out=$log/httpd-sparse.$host.out; : > $out
	lib_boot $host $out build/apps/httpd.elf "ip=10.0.0.2/24 -- -p 80 -l -t 3 -c 64" --initrd="$dir/sparse.tar" --timeout=120
	lib_wait $out "listening on 80"
	r=$(timeout 60 ip netns exec $ns python3 tests/httpd_client.py 10.0.0.2 80 heldread /big.bin \
		"$dir/root/big.bin" /docs/ 2>&1)
	if [ "$r" = intact ] && ! grep -q "fault\|panic" $out; then
		echo "ok $host: archive without directory entries: GET /big.bin held across GET /docs/ byte-exact"
	else
		echo "FAIL $host: archive without directory entries: held GET /big.bin: ${r:-no answer} (see $out)"
		fail=1
	fi
	lib_cleanup
done
exit $fail
