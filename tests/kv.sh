#!/bin/bash
# SPDX-License-Identifier: MIT
# kv with real Redis clients (redis-cli, redis-benchmark, raw sockets) on each
# host, in a network namespace of the test's own; the Linux build also gets
# the persistence test (write, stop, start on the same log, read back).
# Prints "ok NAME" / "FAIL NAME: why". Hosts: SPORE_KV_HOSTS (default
# spore-kvm microvm linux).
cd "$(dirname "$0")/.."
hosts=${SPORE_KV_HOSTS:-"spore-kvm microvm linux"}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init kv
fail=0

say() { echo "$1 kv on $host: $2"; [ "$1" = ok ] || fail=1; }
cli() { nsx timeout 10 redis-cli -h 10.0.0.2 "$@" 2>&1; }
expect() {  # name, wanted output, redis-cli args...
	local name=$1 want=$2; shift 2
	local got; got=$(cli "$@")
	if [ "$got" = "$want" ]; then say ok "$name"; else say FAIL "$name: got '$got', want '$want'"; fi
}
raw() {  # bytes -> what the server answers (first 200 bytes)
	nsx timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("10.0.0.2", 6379), timeout=5)
s.sendall(sys.argv[1].encode().decode("unicode_escape").encode("latin-1"))
out = b""
try:
    while len(out) < 200:
        b = s.recv(200)
        if not b: break
        out += b
        if out.endswith(b"\r\n") and out.count(b"\r\n") >= int(sys.argv[2]): break
except socket.timeout: pass
print(out.decode(errors="replace").replace("\r\n", "|"))' "$1" "${2:-1}"
}
start() {  # extra server args...
	local out=$log/kv.$host.out
	if [ $host = linux ]; then
		lib_spawn $out ip netns exec $ns-srv build/linux/kv -p 6379 "$@"
	else
		lib_boot $host $out build/apps/kv.elf "ip=10.0.0.2/24 -- -p 6379 $*" --timeout=300 --mem=32 --disk=$disk
	fi
	lib_wait $out "listening on 6379" ${want_starts:-1}
}

disk=$dir/disk.img
for host in $hosts; do
	rm -f $disk && truncate -s 8M $disk
	: > $log/kv.$host.out
	want_starts=1
	lib_net $([ $host = linux ] && echo veth) || { say FAIL "namespace"; continue; }
	start -m 4M || { say FAIL "kv did not start (see $log/kv.$host.out)"; continue; }
	expect "PING" PONG ping
	expect "PING message" hello ping hello
	expect "ECHO" "a b" echo "a b"
	expect "SET" OK set k1 v1
	expect "GET" v1 get k1
	expect "GET missing" "" get nope
	expect "SET NX on existing" "" set k1 x NX
	expect "SET XX on missing" "" set k2 x XX
	expect "SET NX" OK set k2 v2 NX
	expect "SET EX" OK set k3 v3 EX 100
	expect "TTL" 100 ttl k3
	got=$(cli pttl k3); [ "$got" -gt 99000 ] 2>/dev/null && [ "$got" -le 100000 ] && say ok "PTTL" || say FAIL "PTTL: $got"
	expect "TTL without expiry" -1 ttl k1
	expect "TTL missing" -2 ttl nope
	expect "SET PX then gone" OK set k4 v4 PX 100
	sleep 0.3
	expect "expired key reads nil" "" get k4
	expect "EXPIRE" 1 expire k1 100
	expect "EXISTS" 2 exists k1 k2 nope
	expect "INCR new" 1 incr n
	expect "INCRBY" 11 incrby n 10
	expect "DECR" 10 decr n
	expect "INCR on a string" "ERR value is not an integer or out of range" incr k1
	expect "MSET" OK mset a 1 b 2 c 3
	expect "MGET" "$(printf '1\n2\n\n3')" mget a b nope c
	got=$(cli keys "[a-c]" | sort | tr '\n' ' '); [ "$got" = "a b c " ] && say ok "KEYS [a-c]" || say FAIL "KEYS: $got"
	got=$(cli keys "k?" | sort | tr '\n' ' '); [ "$got" = "k1 k2 k3 " ] && say ok "KEYS k?" || say FAIL "KEYS k?: $got"
	expect "DEL" 2 del a b nope
	expect "DBSIZE" 5 dbsize
	cli info | grep -q "^redis_version:" && say ok "INFO" || say FAIL "INFO"
	expect "unknown command" "ERR unknown command 'nosuch', with args beginning with: 'x' " nosuch x
	expect "wrong arity" "ERR wrong number of arguments for 'get' command" get
	got=$(raw 'PING\r\n'); [ "$got" = "+PONG|" ] && say ok "inline command" || say FAIL "inline: $got"
	got=$(raw '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nPING\r\n' 4)
	[ "$got" = '+PONG|$2|hi|+PONG|' ] && say ok "pipelining" || say FAIL "pipelining: $got"
	got=$(raw '*1\r\n$x\r\n'); case "$got" in -ERR\ Protocol\ error*) say ok "protocol error answered" ;; *) say FAIL "protocol error: $got" ;; esac
	got=$(raw '*2\r\n$3\r\nGET\r\n$999999999999\r\n'); case "$got" in -ERR*) say ok "huge bulk length refused" ;; *) say FAIL "huge bulk: $got" ;; esac
	expect "alive after protocol errors" PONG ping
	got=$(for i in 1 2 3 4 5 6 7; do head -c 600000 /dev/zero | tr '\0' x | nsx timeout 10 redis-cli -h 10.0.0.2 -x set big$i 2>&1; done)
	echo "$got" | grep -q "^OOM command not allowed" && say ok "maxmemory: OOM error" || say FAIL "maxmemory: $got"
	expect "store consistent after OOM" v2 get k2
	expect "FLUSHALL" OK flushall
	expect "DBSIZE after FLUSHALL" 0 dbsize
	# 64-bit edges: refused as Redis 7.0 refuses them (its replies), never a wrapped value.
	cli set e1 v >/dev/null; cli set e2 10 >/dev/null
	expect "SET EX 2^63-1" "ERR invalid expire time in 'set' command" set e3 v EX 9223372036854775807
	expect "PEXPIRE 2^63-1" "ERR invalid expire time in 'pexpire' command" pexpire e1 9223372036854775807
	expect "DECRBY -2^63" "ERR decrement would overflow" decrby e2 -9223372036854775808
	expect "INCRBY past 2^63-1" "ERR increment or decrement would overflow" incrby e2 9223372036854775807
	expect "all refused: nothing changed" "$(printf 'v\n10\n')" mget e1 e2 e3
	b=$(nsx timeout 120 redis-benchmark -h 10.0.0.2 -q -n 20000 -t ping,set,get,incr,mset -P 16 2>&1 | tr '\r' '\n')
	echo "$b" > $log/kv-bench.$host.out
	if [ "$(echo "$b" | grep -c "requests per second")" -ge 6 ] && ! echo "$b" | grep -qi "error"; then
		say ok "redis-benchmark -n 20000 -P 16, no errors"
	else
		say FAIL "redis-benchmark (see $log/kv-bench.$host.out)"
	fi
	# Persistence: write, stop the server (the VM, for spore), start again on
	# the same log (a file on Linux, the disk /dev/vda for spore), read back.
	srv=$([ $host = linux ] && echo $ns-srv || echo $ns)
	logarg=$([ $host = linux ] && echo $disk.log || echo /dev/vda)
	rm -f $disk.log
	ip netns pids $srv | xargs -r kill -9; sleep 0.3
	want_starts=2; start -f $logarg || say FAIL "restart with -f"
	cli set p1 persisted >/dev/null; cli incr p2 >/dev/null; cli incr p2 >/dev/null
	ip netns pids $srv | xargs -r kill -9; sleep 0.3
	want_starts=3; start -f $logarg || say FAIL "second restart with -f"
	[ "$(cli get p1)" = persisted ] && [ "$(cli get p2)" = 2 ] && say ok "persistence: data survives a restart" ||
		say FAIL "persistence: got '$(cli get p1)' '$(cli get p2)'"
	rm -f $disk.log
	grep -q "fault\|panic" $log/kv.$host.out && say FAIL "the guest reported a fault"
	lib_cleanup
done
exit $fail
