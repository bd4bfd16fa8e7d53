#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks a running kv with real Redis clients (redis-cli, redis-benchmark,
# socat): every command's reply, inline commands, pipelining, protocol errors,
# maxmemory (the server's -m must be at most 16M). Flushes the store.
#   tests/kv.sh HOST PORT    one "ok NAME" / "FAIL NAME: why" per check; exit 1 on a failure
# Without arguments: on every host, through tests/kv-hosts.sh (as tests/run-tests calls it).
set -u
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || exec tests/kv-hosts.sh
H=$1 P=$2
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

say() { echo "$1 $2"; [ "$1" = ok ] || fail=1; }
cli() { timeout 10 redis-cli -h "$H" -p "$P" "$@" 2>&1; }
raw() { timeout 10 socat -t "${T:-1}" - TCP:"$H":"$P" 2>/dev/null | tr -d '\r' | tr '\n' '|'; }   # stdin: bytes
expect() {  # name, wanted output, redis-cli args...
	local name=$1 want=$2 got; shift 2
	got=$(cli "$@")
	if [ "$got" = "$want" ]; then say ok "$name"; else say FAIL "$name: got '$got', want '$want'"; fi
}
expect_raw() {  # name, wanted (CRLF as |), bytes (printf format)
	local got; got=$(printf "$3" | raw)
	if [ "$got" = "$2" ]; then say ok "$1"; else say FAIL "$1: got '$got', want '$2'"; fi
}

cli ping > /dev/null || { say FAIL "connect to $H:$P: $(cli ping)"; exit 1; }
expect "FLUSHALL" OK flushall
# ---- commands ---------------------------------------------------------------------
expect "PING" PONG ping
expect "PING message" "hello world" ping "hello world"
expect "ECHO" "a b" echo "a b"
expect "SET" OK set k1 v1
expect "GET" v1 get k1
expect "GET missing: nil" "" get nope
expect "SET binary-safe value" OK set bin "$(printf 'a\tb c')"
expect "GET binary-safe value" "$(printf 'a\tb c')" get bin
expect "SET NX on an existing key: nil" "" set k1 x NX
expect "SET XX on a missing key: nil" "" set k2 x XX
expect "SET NX" OK set k2 v2 NX
expect "SET XX" OK set k2 v2 XX
expect "SET NX XX: syntax error" "ERR syntax error" set k2 x NX XX
expect "SET EX 0: invalid expire time" "ERR invalid expire time in 'set' command" set k2 x EX 0
expect "SET EX not a number" "ERR value is not an integer or out of range" set k2 x EX ten
expect "SET EX" OK set k3 v3 EX 100
expect "TTL" 100 ttl k3
got=$(cli pttl k3)
[ "$got" -gt 99000 ] 2>/dev/null && [ "$got" -le 100000 ] && say ok "PTTL" || say FAIL "PTTL: got '$got'"
expect "TTL without expiry: -1" -1 ttl k1
expect "TTL missing: -2" -2 ttl nope
expect "PTTL missing: -2" -2 pttl nope
expect "SET PX" OK set k4 v4 PX 150
sleep 0.4
expect "an expired key reads nil" "" get k4
expect "an expired key: TTL -2" -2 ttl k4
expect "EXPIRE" 1 expire k1 100
expect "EXPIRE missing: 0" 0 expire nope 100
expect "TTL after EXPIRE" 100 ttl k1
expect "SET clears the TTL" OK set k1 v1
expect "TTL after SET: -1" -1 ttl k1
expect "EXPIRE negative deletes" 1 expire k2 -1
expect "EXISTS after EXPIRE -1" 0 exists k2
expect "SET again" OK set k2 v2
expect "EXISTS counts each name" 3 exists k1 k2 nope k1
expect "INCR a new key" 1 incr n
expect "INCRBY" 11 incrby n 10
expect "DECR" 10 decr n
expect "DECRBY" 7 decrby n 3
expect "INCRBY negative" 2 incrby n -5
expect "INCR a string" "ERR value is not an integer or out of range" incr k1
expect "INCRBY not a number" "ERR value is not an integer or out of range" incrby n x
expect "INCR keeps the TTL" OK set t 5 EX 100
expect "INCR with a TTL" 6 incr t
expect "TTL after INCR" 100 ttl t
expect "INCR past the 64-bit range" "ERR increment or decrement would overflow" incrby n 9223372036854775807
expect "MSET" OK mset a 1 b 2 c 3
expect "MGET, nil for a missing key" "$(printf '1\n2\n\n3')" mget a b nope c
expect "MSET odd arguments" "ERR wrong number of arguments for 'mset' command" mset a 1 b
got=$(cli keys "[a-c]" | sort | tr '\n' ' ')
[ "$got" = "a b c " ] && say ok "KEYS [a-c]" || say FAIL "KEYS [a-c]: got '$got'"
got=$(cli keys "k?" | sort | tr '\n' ' ')
[ "$got" = "k1 k2 k3 " ] && say ok "KEYS k?" || say FAIL "KEYS k?: got '$got'"
got=$(cli keys "[^ak]*" | sort | tr '\n' ' ')
[ "$got" = "b bin c n t " ] && say ok "KEYS [^ak]*" || say FAIL "KEYS [^ak]*: got '$got'"
expect "KEYS [abc] with no match" "" keys "[xyz]"
cli set 'q*' star > /dev/null
expect 'KEYS q\* (escaped star)' 'q*' keys 'q\*'
expect "DEL counts the deleted" 3 del a b nope 'q*'
expect "DBSIZE" 7 dbsize
info=$(cli info | tr -d '\r')
for f in redis_version:7.0.0-spore used_memory: connected_clients: keys=7; do
	[[ "$info" == *"$f"* ]] && say ok "INFO has $f" || say FAIL "INFO: no $f in '$info'"
done
expect "SELECT 0" OK select 0
expect "SELECT 1: error" "ERR DB index is out of range" select 1
expect "CONFIG GET: empty array" "" config get save
expect "COMMAND DOCS: empty array" "" command docs
expect "unknown command" "ERR unknown command 'nosuch', with args beginning with: 'x' 'y z' " nosuch x "y z"
expect "wrong arity" "ERR wrong number of arguments for 'get' command" get
expect "wrong arity (SET)" "ERR wrong number of arguments for 'set' command" set onlykey
expect_raw "QUIT: +OK, then the server closes" "+OK|" 'QUIT\r\nPING\r\n'
# ---- the wire: inline, pipelining, partial input, protocol errors -------------------
expect_raw "inline PING" "+PONG|" 'PING\r\n'
expect_raw "inline with quotes" '$3|a b|' 'ECHO "a\\x20b"\r\n'
expect_raw "inline, bare LF, empty lines ignored" '+PONG|$2|hi|' '\r\nping\n\n  echo   hi  \r\n'
expect_raw "inline unbalanced quotes: error, close" "-ERR Protocol error: unbalanced quotes in request|" \
	'ECHO "abc\r\nPING\r\n'
expect_raw "pipelining: three commands, one write" '+PONG|$2|hi|:3|' \
	'*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n'
got=$(for i in $(seq 2000); do printf '*2\r\n$4\r\nINCR\r\n$4\r\npipe\r\n'; done | T=3 raw | tr '|' '\n' | tail -1)
[ "$got" = ":2000" ] && say ok "pipelining: 2000 commands in one stream" || say FAIL "2000 pipelined: last '$got'"
got=$(timeout 10 python3 - "$H" "$P" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for b in b"*3\r\n$3\r\nSET\r\n$5\r\nslowk\r\n$7\r\nslowval\r\n*2\r\n$3\r\nGET\r\n$5\r\nslowk\r\n":
    s.send(bytes([b])); time.sleep(0.002)
out = b""
while out.count(b"\r\n") < 3:
    out += s.recv(100)
print(out.decode().replace("\r\n", "|"))
EOF
)
[ "$got" = '+OK|$7|slowval|' ] && say ok "a command sent one byte at a time" || say FAIL "byte at a time: got '$got'"
for t in "*1\r\n\$x\r\n|-ERR Protocol error: invalid bulk length|" \
	 "*x\r\n|-ERR Protocol error: invalid multibulk length|" \
	 "*1\r\nPING\r\n|-ERR Protocol error: expected '\$', got 'P'|" \
	 "*2\r\n\$3\r\nGET\r\n\$999999999999\r\n|-ERR Protocol error: invalid bulk length|" \
	 "*1\r\n\$536870913\r\n|-ERR Protocol error: invalid bulk length|" \
	 "*99999999999999999999\r\n|-ERR Protocol error: invalid multibulk length|" \
	 "*-99999999999999999999\r\n|-ERR Protocol error: invalid multibulk length|" \
	 "*2000000\r\n|-ERR Protocol error: invalid multibulk length|" \
	 "*1\r\n\$-1\r\n|-ERR Protocol error: invalid bulk length|" \
	 "*1\r\n\$2000000\r\n|-ERR Protocol error: command over the 1 MiB query buffer limit|"; do
	expect_raw "protocol error ${t%%|*}: answered, closed" "${t#*|}" "${t%%|*}PING\r\n"
done
expect_raw "*-1 and *0 are ignored" "+PONG|" '*-1\r\n*0\r\n*1\r\n$4\r\nPING\r\n'
got=$(head -c 100000 /dev/zero | tr '\0' x | raw)
[ "$got" = "-ERR Protocol error: too big inline request|" ] && say ok "a 100 KB line without LF: error, close" ||
	say FAIL "too big inline: got '${got:0:80}'"
# Refused when announced: a client still sending would get a reset, not the error.
got=$({ printf '*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1100000\r\n'; head -c 1000 /dev/zero; } | raw)
[ "$got" = "-ERR Protocol error: command over the 1 MiB query buffer limit|" ] &&
	say ok "a 1.1 MB value announced: query buffer limit, close" || say FAIL "query buffer limit: got '${got:0:80}'"
expect "still answering after the protocol errors" PONG ping
# ---- maxmemory ------------------------------------------------------------------------
head -c 262144 /dev/zero | tr '\0' m > "$tmp/v"
oom="" i=0
for i in $(seq 64); do
	got=$(timeout 10 redis-cli -h "$H" -p "$P" -x set "big$i" < "$tmp/v" 2>&1)
	[ "$got" = OK ] || { oom=$got; break; }
done
want="OOM command not allowed when used memory > 'maxmemory'."
[ "$oom" = "$want" ] && say ok "maxmemory: SET $i of 256 KiB fails with OOM" || say FAIL "maxmemory: got '$oom' at $i"
expect "OOM SET left no key" 0 exists "big$i"
got=$(timeout 10 redis-cli -h "$H" -p "$P" -x mset small1 x "big$i" < "$tmp/v" 2>&1)
[ "$got" = "$want" ] && say ok "OOM: MSET fails whole" || say FAIL "OOM MSET: got '$got'"
expect "OOM MSET left no key" 0 exists small1
expect "OOM: the old value of k1 stays" v1 get k1
got=$(cli strlen big1)
[ "$got" = 262144 ] && say ok "OOM: earlier values intact" || say FAIL "OOM: strlen big1 = $got"
cli del $(seq -f 'big%g' 1 64) > /dev/null
expect "after DEL, room again" OK set "big$i" x
# ---- redis-benchmark ------------------------------------------------------------------
expect "FLUSHALL" OK flushall
expect "DBSIZE after FLUSHALL" 0 dbsize
b=$(timeout 120 redis-benchmark -h "$H" -p "$P" -q -n 20000 -t ping,set,get,incr,mset -P 16 2>&1 | tr '\r' '\n')
echo "$b" > "$tmp/bench"
n=$(echo "$b" | grep -c " requests per second")
if [ "$n" -ge 6 ] && ! echo "$b" | grep -qi "error"; then
	say ok "redis-benchmark -n 20000 -P 16: $n tests, no errors ($(echo "$b" | grep -m1 '^SET:' | cut -d, -f1))"
else
	say FAIL "redis-benchmark: $n results; $(echo "$b" | grep -i -m2 'error' | tr '\n' ' ')"
fi
expect "alive after the benchmark" PONG ping
exit $fail
