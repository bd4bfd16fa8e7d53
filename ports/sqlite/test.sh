#!/bin/bash
# SPDX-License-Identifier: MIT
# SQLite from Debian's source on spore against the same source built for
# Linux: the shell runs ports/sqlite/root/test.sql (from the initrd) on a
# database in /data, reopens it and runs reopen.sql; output and status must
# equal Linux's. Then speedtest1 (from the same tree) runs to completion on
# a database in /data. Prints "ok NAME" / "FAIL NAME: why".
# Hosts: SPORE_SQLITE_HOSTS (default spore-kvm microvm q35).
set -u
cd "$(dirname "$0")/../.."
B=build log=build/tests/log
hosts=${SPORE_SQLITE_HOSTS:-"spore-kvm microvm q35"}
size=${SPEEDTEST_SIZE:-5}
mkdir -p $log
tar --format=ustar --owner=0 --group=0 -C ports/sqlite/root -cf $B/sqlite/root.tar .
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# Line-buffered as spore's console is, so errors fall between the same lines;
# HOME has no .sqliterc.
(cd ports/sqlite/root && HOME=$dir stdbuf -oL "$OLDPWD/$B/sqlite/shell-linux" "$dir/t.db" \
	".read test.sql" ".open $dir/t.db" ".read reopen.sql") > $log/sqlite.linux.out 2>&1
want_rc=$?
grep -q "UNIQUE constraint failed" $log/sqlite.linux.out ||
	echo "FAIL sqlite on linux: no constraint error in its output (see $log/sqlite.linux.out)"
for host in $hosts; do
	out=$log/sqlite.$host.out
	tests/spore-run --host=$host --timeout=300 --initrd=$B/sqlite/root.tar $B/sqlite/shell.elf -- \
		/data/t.db "'.read test.sql' '.open /data/t.db' '.read reopen.sql'" < /dev/null 2>&1 | tr -d '\r' > $out
	rc=${PIPESTATUS[0]}
	if [ $rc != $want_rc ]; then echo "FAIL sqlite on $host: status $rc, Linux's $want_rc (see $out)"
	elif ! d=$(diff $log/sqlite.linux.out $out); then echo "FAIL sqlite on $host: output differs from Linux's:"; echo "$d" | head -20
	else echo "ok sqlite on $host: test.sql and reopen.sql give Linux's $(wc -l < $out) lines and status $rc"; fi

	out=$log/speedtest1.$host.out
	# spore-kvm's default 8 MiB would give memfs 2 MiB (a quarter): VACUUM needs more.
	tests/spore-run --host=$host --timeout=600 --mem=64 $B/sqlite/speedtest1.elf memfs=32M -- --size $size /data/speed.db \
		< /dev/null 2>&1 | tr -d '\r' > $out
	rc=${PIPESTATUS[0]}
	total=$(sed -n 's/^ *TOTAL\.*  *\([0-9.]*\)s$/\1/p' $out)
	if [ $rc = 0 ] && [ -n "$total" ] && grep -q '^ 980 - PRAGMA integrity_check' $out; then
		echo "ok speedtest1 on $host: --size $size ran to completion, TOTAL ${total}s"
	else echo "FAIL speedtest1 on $host: status $rc, no TOTAL line (see $out)"; fi
done
