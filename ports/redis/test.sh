#!/bin/bash
# SPDX-License-Identifier: MIT
# Redis from Debian's source on spore, served over a network namespace of the
# test's own, against the same source built for Linux (redis-server-linux,
# a process behind a veth): redis-cli runs one script of commands (strings,
# counters, lists, expiry, SAVE onto /data) on each, and spore's answers
# must equal Linux's; INFO answers; BGSAVE fails with Redis's own error (no
# fork) and the server goes on; a bounded redis-benchmark finishes; SHUTDOWN
# ends the VM. Prints "ok NAME" / "FAIL NAME: why".
# Hosts: SPORE_REDIS_HOSTS (default spore-kvm microvm q35).
cd "$(dirname "$0")/../.."
hosts=${SPORE_REDIS_HOSTS:-"spore-kvm microvm q35"}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init redis
B=build
args="--save '' --appendonly no --port 6379 --protected-mode no --bind 10.0.0.2"

cli() { nsx timeout 10 redis-cli -h 10.0.0.2 "$@" 2>&1; }
# The script: every answer goes to stdout, one command per line, quoted as
# in a shell; "sleep N" waits (for an expiry) and answers nothing.
script() {
	local c
	while read -r c; do
		[ -n "$c" ] || continue
		echo "> $c"
		case $c in sleep\ *) $c; continue ;; esac
		eval "cli $c"
	done <<-'END'
	PING
	SET greeting hello
	GET greeting
	APPEND greeting ,world
	GET greeting
	STRLEN greeting
	INCR counter
	INCR counter
	INCRBY counter 40
	DECR counter
	GET counter
	INCR greeting
	LPUSH list a b c
	RPUSH list z
	LRANGE list 0 -1
	LPOP list
	LLEN list
	HSET h f1 v1 f2 v2
	HGET h f2
	SADD s x y x
	SCARD s
	ZADD z 1 one 2 two
	ZRANGE z 0 -1 WITHSCORES
	EXPIRE greeting 100
	PERSIST greeting
	TTL greeting
	DEL greeting counter
	GET greeting
	EXISTS greeting list
	SET short v PX 300
	EXISTS short
	sleep 1
	GET short
	EVAL "return redis.call('INCRBY', KEYS[1], ARGV[1])" 1 evalkey 7
	DBSIZE
	SAVE
	FLUSHALL
	DBSIZE
	END
}

# Linux first: its answers are the ones wanted.
host=linux
lib_net veth || { echo "FAIL redis: namespace"; exit 0; }
mkdir -p "$dir/linux"
out=$log/redis.linux.out; : > $out
# shellcheck disable=SC2086
lib_spawn $out ip netns exec $ns-srv $B/redis/redis-server-linux --save "" --appendonly no --port 6379 \
	--protected-mode no --bind 10.0.0.2 --dir "$dir/linux"
if lib_wait $out "Ready to accept"; then
	script > $log/redis.linux.script
	echo "ok redis on linux: $(grep -c '^>' $log/redis.linux.script) commands answered"
else
	echo "FAIL redis on linux: did not start (see $out)"
	exit 0
fi

for host in $hosts; do
	lib_net || { echo "FAIL redis on $host: namespace"; continue; }
	out=$log/redis.$host.out; : > $out
	lib_boot $host $out $B/redis/redis-server.elf "ip=10.0.0.2/24 -- $args --dir /data" --timeout=300 --mem=64
	lib_wait $out "Ready to accept" || { echo "FAIL redis on $host: did not start (see $out)"; continue; }
	script > $log/redis.$host.script
	if d=$(diff $log/redis.linux.script $log/redis.$host.script); then
		echo "ok redis on $host: $(grep -c '^>' $log/redis.$host.script) commands give Linux's answers"
	else
		echo "FAIL redis on $host: answers differ from Linux's:"; echo "$d" | head -20
	fi

	info=$(cli INFO server | tr -d '\r')
	if grep -qx 'redis_version:7.0.15' <<< "$info" && grep -q '^os:spore' <<< "$info"; then
		echo "ok redis INFO on $host: $(grep '^os:' <<< "$info")"
	else echo "FAIL redis INFO on $host: no version 7.0.15 or os spore: $(head -c 300 <<< "$info")"; fi

	got=$(cli BGSAVE); ping=$(cli PING)
	if [[ $got == *"ERR"* ]] && [ "$ping" = PONG ] && grep -q "Can't save in background: fork: Function not implemented" $out &&
		grep -q "spore: fork: not supported" $out; then
		echo "ok redis BGSAVE on $host: '$got', fork named, server goes on"
	else echo "FAIL redis BGSAVE on $host: '$got', PING '$ping' (see $out)"; fi

	bench=$(nsx timeout 120 redis-benchmark -h 10.0.0.2 -q -n 2000 -t set,get 2>&1 | tr '\r' '\n' | grep 'requests per second')
	if [ "$(grep -c '^[SG]ET: [0-9.]* requests per second' <<< "$bench")" = 2 ]; then
		echo "ok redis-benchmark on $host: $(sed 's/, p50.*//' <<< "$bench" | tr '\n' ' ')"
	else echo "FAIL redis-benchmark on $host: $bench"; fi

	cli SHUTDOWN NOSAVE > /dev/null
	gone=no
	for _ in $(seq 100); do kill -0 $lib_pid 2> /dev/null || { gone=yes; break; }; sleep 0.1; done
	if lib_wait $out "Redis is now ready to exit" && [ $gone = yes ]; then
		echo "ok redis SHUTDOWN on $host: the VM ended"
	else echo "FAIL redis SHUTDOWN on $host: (see $out)"; fi
	lib_empty "$ns"
done
exit 0
