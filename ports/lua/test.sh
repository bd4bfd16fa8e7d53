#!/bin/bash
# SPDX-License-Identifier: MIT
# Lua from Debian's source on spore against the same source built for Linux:
# ports/lua/root/test.lua (from the initrd) must print the same lines, exit
# with the same status, on each host; nosys.lua checks the ENOSYS path.
# Prints "ok NAME" / "FAIL NAME: why". Hosts: SPORE_LUA_HOSTS (default
# spore-kvm microvm q35).
set -u
cd "$(dirname "$0")/../.."
B=build log=build/tests/log
hosts=${SPORE_LUA_HOSTS:-"spore-kvm microvm q35"}
mkdir -p $log
tar --format=ustar --owner=0 --group=0 -C ports/lua/root -cf $B/lua/root.tar .
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# argv[0] "lua" as on spore (the image's name), UTC as spore's clock is.
(cd ports/lua/root && TZ=UTC exec -a lua "$OLDPWD/$B/lua/lua-linux" test.lua "$dir") > $log/lua.linux.out 2>&1
want_rc=$?
[ $want_rc = 1 ] && grep -q "^lua: test.lua:[0-9]*: uncaught" $log/lua.linux.out ||
	echo "FAIL lua on linux: status $want_rc, or no uncaught error at the end (see $log/lua.linux.out)"
for host in $hosts; do
	out=$log/lua.$host.out
	tests/spore-run --host=$host --timeout=120 --initrd=$B/lua/root.tar $B/lua/lua.elf -- test.lua /tmp \
		< /dev/null 2>&1 | tr -d '\r' > $out
	rc=${PIPESTATUS[0]}
	if [ $rc != $want_rc ]; then echo "FAIL lua on $host: status $rc, Linux's $want_rc (see $out)"
	elif ! d=$(diff $log/lua.linux.out $out); then echo "FAIL lua on $host: output differs from Linux's:"; echo "$d" | head -20
	else echo "ok lua on $host: test.lua's $(wc -l < $out) lines and status $rc as on Linux"; fi

	out=$log/lua-nosys.$host.out
	tests/spore-run --host=$host --timeout=120 --initrd=$B/lua/root.tar $B/lua/lua.elf -- nosys.lua \
		< /dev/null 2>&1 | tr -d '\r' > $out
	rc=${PIPESTATUS[0]}
	said_sys=$(grep -c '^spore: system: not supported in one address space (ENOSYS)$' $out)
	said_popen=$(grep -c '^spore: popen: not supported in one address space (ENOSYS)$' $out)
	failed=$(grep -c -e '^execute	nil	.*Function not implemented' -e '^popen	true	nil	.*Function not implemented' $out)
	if [ $rc = 0 ] && [ "$said_sys" = 1 ] && [ "$said_popen" = 1 ] && [ "$failed" = 4 ] &&
	   grep -q '^shell	false$' $out && grep -q '^nosys done$' $out; then
		echo "ok lua-nosys on $host: os.execute and io.popen fail with ENOSYS, each named once"
	else echo "FAIL lua-nosys on $host: status $rc, system named $said_sys, popen $said_popen, $failed ENOSYS results (see $out)"; fi
done
