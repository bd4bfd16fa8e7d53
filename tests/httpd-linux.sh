#!/bin/bash
# SPDX-License-Identifier: MIT
# httpd's Linux build under tests/httpd.sh: builds it, serves a copy of
# tests/httpd-root (plus a generated 3 MiB big.bin) on 127.0.0.1:8080 inside a
# network namespace of its own, runs the checks, then removes everything.
cd "$(dirname "$0")/.."
. tests/lib.sh   # set -u; namespaces, cleanup
lib_init httpd-linux
mkdir -p build/linux
gcc -static -O2 -Wall -Wextra -Werror apps/httpd/*.c -o build/linux/httpd ||
	{ echo "FAIL build: gcc apps/httpd/*.c"; exit 1; }
cp -a tests/httpd-root "$dir/root"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 13 + (i >> 11)) & 255 for i in range(3 << 20)))' \
	> "$dir/root/big.bin"
cp "$dir/root/big.bin" "$dir/big.bin"
lib_netns || { echo "FAIL namespace: ip netns add (root needed)"; exit 1; }
lib_spawn "$dir/log" ip netns exec $ns build/linux/httpd -p 8080 -d "$dir/root" -l -t 3 -c 64
pid=$lib_pid
LIB_WAIT=50 lib_wait "$dir/log" "listening on 8080"
grep -qx "httpd: listening on 8080" "$dir/log" || { echo "FAIL start: $(head -3 "$dir/log")"; exit 1; }
echo "ok start: httpd: listening on 8080"
HTTPD_IDLE=3 HTTPD_MAXCONN=64 HTTPD_BIG="$dir/big.bin" timeout 600 ip netns exec $ns tests/httpd.sh http://127.0.0.1:8080
rc=$?
if kill -0 $pid 2>/dev/null; then echo "ok the server is still running"; else echo "FAIL the server died"; rc=1; fi
if grep -qx "GET /hello.txt 200 23" "$dir/log"; then echo "ok -l logs method, path, status, bytes"
else echo "FAIL -l: no line 'GET /hello.txt 200 23' in the log"; rc=1; fi
mkdir -p build/tests/log && cp "$dir/log" build/tests/log/httpd-linux.log
exit $rc
