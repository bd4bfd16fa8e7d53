#!/bin/bash
# SPDX-License-Identifier: MIT
# kv's Linux build under tests/kv.sh on 127.0.0.1:6379 in a network namespace
# of its own, then persistence: write, stop, start on the same -f log, read
# back; a torn last command is ignored with a message. Removes everything.
set -u
cd "$(dirname "$0")/.."
ns=kv-$$ dir=build/tests/kv-linux.$$ pid="" fail=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$dir"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "$1 $2"; [ "$1" = ok ] || fail=1; }
cli() { timeout 10 ip netns exec $ns redis-cli -p 6379 "$@" 2>&1; }
start() {  # server args...: starts it and waits for its line
	: > "$dir/out"
	ip netns exec $ns build/linux/kv -p 6379 "$@" > "$dir/out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q "listening on 6379" "$dir/out" && return 0; sleep 0.1; done
	echo "FAIL start $*: $(head -3 "$dir/out")"; exit 1
}
stop() { kill "$pid" && wait "$pid" 2>/dev/null; pid=""; }
is() {  # name, want, redis-cli args...
	local name=$1 want=$2 got; shift 2
	got=$(cli "$@")
	[ "$got" = "$want" ] && say ok "$name" || say FAIL "$name: got '$got', want '$want'"
}

mkdir -p build/linux "$dir"
gcc -static -O2 -Wall -Wextra -Werror apps/kv/*.c -o build/linux/kv || { echo "FAIL build: gcc apps/kv/*.c"; exit 1; }
ip netns add $ns && ip -n $ns link set lo up || { echo "FAIL namespace: ip netns add (root needed)"; exit 1; }
start -m 4M
grep -qx "kv: listening on 6379" "$dir/out" && say ok "start: kv: listening on 6379" || say FAIL "start line"
timeout 600 ip netns exec $ns tests/kv.sh 127.0.0.1 6379 || fail=1
kill -0 $pid 2>/dev/null && say ok "the server is still running" || say FAIL "the server died"
stop

# ---- persistence ----------------------------------------------------------------------
log=$dir/aof
start -f "$log"
grep -q "replayed 0 commands" "$dir/out" && say ok "-f on a new file: 0 commands replayed" || say FAIL "new log: $(cat "$dir/out")"
for c in "set p1 persisted" "incr p2" "incr p2" "set p3 x EX 100" "set gone x PX 100" "mset m1 1 m2 2" \
	 "set d x" "del d" "set e x" "expire e 1000" "persist e" "append p1 !"; do
	cli $c > /dev/null
done
printf 'two\r\nlines' | timeout 10 ip netns exec $ns redis-cli -p 6379 -x set bin > /dev/null
stop
start -f "$log"
is "persistence: SET survives a restart" "persisted!" get p1
is "persistence: INCR twice" 2 get p2
got=$(cli ttl p3)
[ "$got" -ge 95 ] 2>/dev/null && [ "$got" -le 100 ] && say ok "persistence: the TTL is absolute" || say FAIL "TTL p3: $got"
is "persistence: an expired key stays gone" 0 exists gone
is "persistence: MSET" "$(printf '1\n2')" mget m1 m2
is "persistence: DEL" 0 exists d
is "persistence: PERSIST" -1 ttl e
is "persistence: a value with CRLF, byte-exact" "$(printf 'two\r\nlines')" get bin
is "persistence: DBSIZE" 7 dbsize
stop
# A crash in the middle of a write leaves half a command at the end.
printf '*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$10\r\nhal' >> "$log"
start -f "$log"
grep -q "ignoring a truncated or bad last command" "$dir/out" && say ok "a torn tail: ignored with a message" ||
	say FAIL "torn tail: no message in '$(cat "$dir/out")'"
is "a torn tail: earlier data intact" "persisted!" get p1
is "a torn tail: the torn key absent" 0 exists torn
cli set after-torn yes > /dev/null
cli flushall > /dev/null
cli set after-flush 1 > /dev/null
stop
start -f "$log"
grep -q "ignoring" "$dir/out" && say FAIL "the tail is still torn after a restart: $(cat "$dir/out")" ||
	say ok "writes after a torn tail replay cleanly"
is "FLUSHALL replays" "after-flush" keys "*"
stop
exit $fail
