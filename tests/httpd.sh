#!/bin/bash
# SPDX-License-Identifier: MIT
# httpd with real clients (curl, wrk, raw sockets), on each host in a network
# namespace of the test's own: spore-kvm and QEMU microvm serve the initrd
# made of tests/fixtures/root; the Linux build serves the same directory.
# Prints "ok NAME" / "FAIL NAME: why"; namespaces are removed on every exit.
# Hosts: SPORE_HTTP_HOSTS (default: spore-kvm microvm linux).
set -u
cd "$(dirname "$0")/.."
hosts=${SPORE_HTTP_HOSTS:-"spore-kvm microvm linux"}
ns=spore-http-$$
log=build/tests/log; mkdir -p $log
root=tests/fixtures/root
tar --format=ustar --owner=0 --group=0 -C $root -cf build/tests/root.tar .
fail=0

cleanup() {
	for n in $ns $ns-srv; do
		ip netns pids $n 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del $n 2>/dev/null
	done
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "$1 httpd on $host: $2"; [ "$1" = ok ] || fail=1; }
check() { if eval "$2"; then say ok "$1"; else say FAIL "$1"; fi; }
nsx() { ip netns exec $ns "$@"; }
raw() {  # bytes to send -> the status line the server answers
	nsx timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("10.0.0.2", 80), timeout=5)
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
print(s.recv(200).split(b"\r\n")[0].decode(errors="replace"))' "$1" 2>&1
}

for host in $hosts; do
	cleanup
	out=$log/httpd.$host.out
	ip netns add $ns && ip -n $ns link set lo up || { say FAIL "namespace"; continue; }
	if [ $host = linux ]; then
		ip netns add $ns-srv && ip -n $ns-srv link set lo up &&
		ip link add sph$$ netns $ns type veth peer name sph$$s netns $ns-srv &&
		ip -n $ns addr add 10.0.0.1/24 dev sph$$ && ip -n $ns link set sph$$ up &&
		ip -n $ns-srv addr add 10.0.0.2/24 dev sph$$s && ip -n $ns-srv link set sph$$s up
		ip netns exec $ns-srv build/linux/httpd -p 80 -d $root -l -t 3 > $out 2>&1 & disown
	else
		ip -n $ns tuntap add tap0 mode tap && ip -n $ns addr add 10.0.0.1/24 dev tap0 &&
		ip -n $ns link set tap0 up
		nsx tests/spore-run --host=$host --net=tap0 --initrd=build/tests/root.tar --timeout=300 \
			build/apps/httpd.elf "ip=10.0.0.2/24 -- -p 80 -l -t 3" > $out 2>&1 & disown
	fi
	for i in $(seq 300); do grep -q "listening on 80" $out && break; sleep 0.1; done
	grep -q "listening on 80" $out || { say FAIL "httpd did not start (see $out)"; continue; }
	U=http://10.0.0.2
	C="nsx timeout 20 curl -s"
	check "GET / is index.html, byte-exact" \
		'[ "$($C $U/ | sha256sum)" = "$(sha256sum < $root/index.html)" ]'
	check "GET a binary file, byte-exact" \
		'[ "$($C $U/sub/b.bin | sha256sum)" = "$(sha256sum < $root/sub/b.bin)" ]'
	check "Content-Type and Content-Length" \
		'$C -D - -o /dev/null $U/sub/a.txt | tr -d "\r" | grep -q "^Content-Type: text/plain" &&
		 $C -D - -o /dev/null $U/sub/a.txt | tr -d "\r" | grep -q "^Content-Length: 22$"'
	check "HEAD: headers, no body" \
		'[ -z "$($C -I $U/sub/b.bin -o /dev/null -w "%{size_download}" | tr -d 0)" ] &&
		 $C -I $U/sub/b.bin | tr -d "\r" | grep -q "^Content-Length: 5000$"'
	lm=$($C -D - -o /dev/null $U/sub/a.txt | tr -d '\r' | sed -n 's/^Last-Modified: //p')
	check "conditional GET: 304 with If-Modified-Since" \
		'[ -n "$lm" ] && [ "$($C -o /dev/null -w "%{http_code}" -H "If-Modified-Since: $lm" $U/sub/a.txt)" = 304 ]'
	check "directory listing" '$C $U/sub/ | grep -q "a.txt"'
	check "keep-alive: one connection for two requests" \
		'nsx timeout 20 curl -sv -o /dev/null -o /dev/null $U/sub/a.txt $U/index.html 2>&1 | grep -q "Re-using existing connection"'
	check "404 for a missing file" '[ "$($C -o /dev/null -w "%{http_code}" $U/nope)" = 404 ]'
	check "POST /fn/sha256 matches sha256sum" \
		'[ "$($C --data-binary @$root/sub/b.bin $U/fn/sha256)" = "$(sha256sum < $root/sub/b.bin | cut -d" " -f1)" ]'
	check "POST /fn/upper" '[ "$($C --data-binary "hello spore" $U/fn/upper)" = "HELLO SPORE" ]'
	check "malformed request line: 400" '[ "$(raw "GARBAGE\r\n\r\n")" = "HTTP/1.1 400 Bad Request" ]'
	check "unknown method: 501" '[ "$(raw "BREW / HTTP/1.1\r\n\r\n")" = "HTTP/1.1 501 Not Implemented" ]'
	check "HTTP/2.0 request line: 505" '[ "$(raw "GET / HTTP/2.0\r\n\r\n")" = "HTTP/1.1 505 HTTP Version Not Supported" ]'
	check "header block over 8 KiB: 431" \
		'[ "$(raw "GET / HTTP/1.1\r\nX: $(head -c 9000 /dev/zero | tr "\0" a)\r\n\r\n")" = "HTTP/1.1 431 Request Header Fields Too Large" ]'
	check "body over 1 MiB: 413" \
		'[ "$(raw "POST /fn/sha256 HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n")" = "HTTP/1.1 413 Content Too Large" ]'
	for p in "/../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/sub/..%2f..%2fetc%2fpasswd" "/sub/%2e%2e/index.html" '/sub\\..\\index.html'; do
		check "traversal $p: refused" \
			'case "$(raw "GET $p HTTP/1.1\r\n\r\n")" in *" 403 "*|*" 404 "*|*" 400 "*) true ;; *) false ;; esac'
	done
	check "NUL in the path: 400" '[ "$(raw "GET /index.html%00.txt HTTP/1.1\r\n\r\n")" = "HTTP/1.1 400 Bad Request" ]'
	check "slow client closed after the idle timeout" \
		'[ "$(nsx timeout 15 python3 -c "
import socket, time
s = socket.create_connection((\"10.0.0.2\", 80), timeout=12)
s.sendall(b\"GET / HTT\")
t = time.time()
print(\"closed\" if s.recv(100) == b\"\" and time.time() - t < 11 else \"open\")" 2>&1)" = closed ]'
	check "wrk 5 s, 16 connections, no socket errors" \
		'w=$(nsx timeout 30 wrk -t2 -c16 -d5s $U/index.html 2>&1); echo "$w" > $log/httpd-wrk.$host.out;
		 echo "$w" | grep -q "Requests/sec" && ! echo "$w" | grep -q "Socket errors"'
	check "still serving after all that" '[ "$($C -o /dev/null -w "%{http_code}" $U/)" = 200 ]'
	grep -q "fault\|panic" $out && say FAIL "the guest reported a fault (see $out)"
	cleanup
done
exit $fail
