#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks a running httpd that serves tests/httpd-root/ with real clients: curl,
# raw sockets (tests/httpd_client.py), wrk. Writes nothing to the server's root.
#   tests/httpd.sh http://HOST:PORT    one "ok NAME" / "FAIL NAME: why" per check; exit 1 on a failure
# The server runs with -t $HTTPD_IDLE -c $HTTPD_MAXCONN (3 and 64 by default);
# HTTPD_BIG=FILE: the root also holds big.bin, a copy of FILE.
# Without a URL: on every host, through tests/httpd-hosts.sh (as tests/run-tests calls it).
set -u
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || exec tests/httpd-hosts.sh
U=${1%/}
hp=${U#http://}; hp=${hp%%/*}; H=${hp%:*}; P=${hp##*:}; [ "$P" = "$hp" ] && P=80
IDLE=${HTTPD_IDLE:-3} MAXCONN=${HTTPD_MAXCONN:-64} BIG=${HTTPD_BIG:-}
root=tests/httpd-root
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

say()   { echo "$1 $2"; [ "$1" = ok ] || fail=1; }
check() { local why; if why=$(eval "$2" 2>&1); then say ok "$1"; else say FAIL "$1: ${why:-false}"; fi; }
c()     { timeout 20 curl -s "$@"; }
code()  { c -o /dev/null -w '%{http_code}' "$@"; }
hdr()   { c -D - -o /dev/null "$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }
py()    { timeout "${T:-15}" python3 tests/httpd_client.py "$H" "$P" "$@" 2>&1; }
is()    { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
alive() { is "$(code "$U/hello.txt")" 200; }
status() { py status "$1" | cut -d' ' -f2; }

# ---- static files ----------------------------------------------------------------
while IFS= read -r f; do
	p=${f#$root}; p=${p// /%20}; p=${p//&/%26}
	check "GET $p byte-exact" 'is "$(c "$U$p" | sha256sum)" "$(sha256sum < "$f")"'
done < <(find $root -type f | sort)
check "GET / is index.html" 'is "$(c $U/ | sha256sum)" "$(sha256sum < $root/index.html)"'
check "GET /docs/ is docs/index.html" 'is "$(c $U/docs/ | sha256sum)" "$(sha256sum < $root/docs/index.html)"'
for t in "index.html text/html" "style.css text/css" "app.js text/javascript" "data.json application/json" \
	 "hello.txt text/plain" "dot.svg image/svg+xml" "sub/data.dat application/octet-stream"; do
	f=${t% *} ty=${t#* }
	check "Content-Type of $f: $ty" 'ct=$(hdr $U/$f Content-Type); [[ "$ct" == "$ty"* ]] || echo "got $ct"'
done
check "Content-Length is the file size" 'is "$(hdr $U/data.json Content-Length)" "$(stat -c %s $root/data.json)"'
lm=$(hdr $U/hello.txt Last-Modified)
check "Last-Modified is an IMF-fixdate" \
	'[[ "$lm" =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ GMT$ ]] || echo "$lm"'
check "HEAD: the headers, no body" \
	'is "$(py headnobody /hello.txt)" nobody && is "$(c -I $U/hello.txt | tr -d "\r" | sed -n "s/^Content-Length: //p")" 23'
check "If-Modified-Since Last-Modified: 304, no body" \
	'is "$(code -H "If-Modified-Since: $lm" $U/hello.txt)" 304 &&
	 is "$(c -H "If-Modified-Since: $lm" $U/hello.txt | wc -c)" 0'
check "If-Modified-Since 1994: 200" \
	'is "$(code -H "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT" $U/hello.txt)" 200'
check "directory listing, names escaped" \
	'l=$(c $U/sub/); [[ "$l" == *"href=\"notes.txt\""* && "$l" == *"href=\"a%20b%26c.txt\">a b&amp;c.txt<"* ]] || echo "$l"'
check "a directory without its slash: 301 to it" \
	'is "$(code $U/sub)" 301 && is "$(hdr $U/sub Location)" /sub/'
check "a missing file: 404" 'is "$(code $U/nope.html)" 404'
check "POST to a file: 405" 'is "$(code --data-binary x $U/hello.txt)" 405'
if [ -n "$BIG" ]; then
	check "GET /big.bin ($(stat -c %s $BIG) bytes) byte-exact" 'is "$(c $U/big.bin | sha256sum)" "$(sha256sum < $BIG)"'
	check "a slow reader gets all of /big.bin" 'is "$(T=40 py slowread /big.bin $BIG)" intact'
fi

# ---- connections -----------------------------------------------------------------
check "keep-alive: two URLs, one connection" \
	'timeout 20 curl -sv -o /dev/null -o /dev/null $U/hello.txt $U/index.html 2>&1 | grep -q "Re-using existing connection"'
check "HTTP/1.0 with Connection: keep-alive, then closed" 'is "$(py http10)" kept-then-closed'
check "three pipelined requests answered in order" 'is "$(py pipeline)" inorder'

# ---- the function endpoint -------------------------------------------------------
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + (i >> 8)) & 255 for i in range(102400)))' > $tmp/100k
head -c 1048576 /dev/zero | tr '\0' 'z' > $tmp/1m
check "POST /fn/sha256, 100 KiB" 'is "$(c --data-binary @$tmp/100k $U/fn/sha256)" "$(sha256sum < $tmp/100k | cut -d" " -f1)"'
check "POST /fn/sha256, exactly 1 MiB" 'is "$(c --data-binary @$tmp/1m $U/fn/sha256)" "$(sha256sum < $tmp/1m | cut -d" " -f1)"'
check "POST /fn/sha256, empty body" \
	'is "$(c -X POST $U/fn/sha256)" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
check "POST /fn/upper" 'is "$(c --data-binary "hello, spore 42" $U/fn/upper)" "HELLO, SPORE 42"'
check "POST /fn/upper, 100 KiB back intact" \
	'is "$(c --data-binary @$tmp/100k $U/fn/upper | sha256sum)" "$(tr a-z A-Z < $tmp/100k | sha256sum)"'
check "GET /fn/echo: the request line and headers" \
	'e=$(c -H "X-Test: 42" $U/fn/echo | tr -d "\r"); [[ "$e" == "GET /fn/echo HTTP/1.1"*"X-Test: 42"* ]] || echo "$e"'
check "GET /fn/sha256: 405" 'is "$(code $U/fn/sha256)" 405'
check "an unknown function: 404" 'is "$(code -X POST $U/fn/nope)" 404'

# ---- hostile input: the right status, and the server lives on ------------------
big=$(head -c 9000 /dev/zero | tr '\0' a)
while IFS='|' read -r want name raw; do
	check "$name: $want" 'is "$(status "$raw")" "$want" && alive'
done <<EOF2
400|malformed request line|GARBAGE\r\n\r\n
400|bare LF line ends|GET / HTTP/1.1\nHost: t\n\n
400|HTTP/1.1 without Host|GET / HTTP/1.1\r\n\r\n
400|NUL in the request line|GET /hello.txt\x00 HTTP/1.1\r\nHost: t\r\n\r\n
431|header block over 8 KiB|GET / HTTP/1.1\r\nHost: t\r\nX: $big\r\n\r\n
413|body over 1 MiB|POST /fn/sha256 HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n
501|unknown method|BREW / HTTP/1.1\r\nHost: t\r\n\r\n
501|chunked request body|POST /fn/upper HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n
505|HTTP/2.0|GET / HTTP/2.0\r\nHost: t\r\n\r\n
414|path over 1 KiB|GET /$(head -c 2000 /dev/zero | tr '\0' b) HTTP/1.1\r\nHost: t\r\n\r\n
EOF2
for p in "/../etc/passwd" "/../../../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/%2E%2E/hello.txt" \
	 "/sub/..%2f..%2fetc%2fpasswd" "/sub/%2e%2e/hello.txt" "/sub/./notes.txt" '/sub\\..\\hello.txt' \
	 "/sub%5c..%5chello.txt" "/hello.txt%00.html" "http://t/../etc/passwd"; do
	check "traversal $p: 403 or 404" \
		's=$(status "GET $p HTTP/1.1\r\nHost: t\r\n\r\n"); [[ "$s" == 403 || "$s" == 404 ]] && alive || echo "got $s"'
done
check "a slow head (1 byte/s) is closed after -t $IDLE" 'is "$(T=$((IDLE + 20)) py slowhead $IDLE)" closed && alive'
check "an idle keep-alive connection is closed after -t $IDLE" 'is "$(T=$((IDLE + 20)) py idle $IDLE)" closed'
# The server closed first, so its side is in TIME-WAIT; a SYN from the same
# port with a later sequence number must open a new connection (RFC 1122
# 4.2.2.13; spore: libc/net/timewait.c), as Linux's clients reuse such ports.
check "the same client port again right after a server-side close" 'is "$(py reopen)" reopened'
# ... but only a SYN that the stack would accept: one with a wrong checksum
# (issue 20, finding 3) must leave the TIME-WAIT that an old SYN then finds.
check "a corrupt SYN on the same 4-tuple leaves TIME-WAIT alone" 'is "$(py badsyn)" kept'
check "connection $((MAXCONN + 1)) over -c $MAXCONN: refused promptly" 'is "$(T=120 py maxconn $MAXCONN)" refused'
sleep 0.5
check "wrk -t2 -c32 -d5s: no socket errors" \
	'w=$(timeout 30 wrk -t2 -c32 -d5s $U/hello.txt 2>&1); echo "$w" > $tmp/wrk;
	 grep -q "Requests/sec" $tmp/wrk && ! grep -q "Socket errors\|Non-2xx" $tmp/wrk || echo "$w"'
grep -h "Requests/sec" $tmp/wrk 2>/dev/null | sed 's/^/  wrk: /'
check "still serving after all that" 'alive'
exit $fail
