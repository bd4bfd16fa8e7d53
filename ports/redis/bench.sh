#!/bin/bash
# SPDX-License-Identifier: MIT
# redis-benchmark's requests/s against Redis on spore (each host in
# SPORE_REDIS_HOSTS, default spore-kvm microvm) and against the same source
# built for Linux (a process behind a veth), all up at once in namespaces of
# this script's own, in ROUNDS (default 5) interleaved rounds of
# "redis-benchmark -q -n N -t set,get" (N: REDIS_N, default 20000); prints
# each run and the medians. Not a test: docs/porting.md quotes its output.
cd "$(dirname "$0")/../.."
hosts=${SPORE_REDIS_HOSTS:-"spore-kvm microvm"}
rounds=${ROUNDS:-5} n=${REDIS_N:-20000}
. tests/lib.sh
lib_init redisbench
base=$ns B=build
args="--save '' --appendonly no --port 6379 --protected-mode no --bind 10.0.0.2"

for h in linux $hosts; do
	ns=$base-$h out=$log/redisbench.$h.out; : > $out
	lib_netns || exit 1
	if [ $h = linux ]; then
		lib_netns "$ns-srv" && lib_veth "$ns-srv" 10.0.0.1/24 10.0.0.2/24 || exit 1
		# shellcheck disable=SC2086
		lib_spawn $out ip netns exec $ns-srv $B/redis/redis-server-linux --save "" --appendonly no \
			--port 6379 --protected-mode no --bind 10.0.0.2
	else
		lib_tap tap0 10.0.0.1/24 || exit 1
		lib_boot $h $out $B/redis/redis-server.elf "ip=10.0.0.2/24 -- $args" --timeout=900 --mem=64
	fi
	lib_wait $out "Ready to accept" || { echo "redis on $h did not start (see $out)"; exit 1; }
done

declare -A runs
for r in $(seq "$rounds"); do
	for h in linux $hosts; do
		ns=$base-$h
		res=$(nsx timeout 300 redis-benchmark -h 10.0.0.2 -q -n "$n" -t set,get 2>&1 | tr '\r' '\n' |
			sed -n 's/^\([SG]ET\): \([0-9.]*\) requests per second.*/\1 \2/p')
		echo "round $r $h: $(tr '\n' ' ' <<< "$res")"
		while read -r t v; do runs[$h.$t]+="$v "; done <<< "$res"
	done
done
ns=$base
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for h in linux $hosts; do
	echo "median $h ($rounds rounds, -n $n): SET $(median "${runs[$h.SET]:-}") GET $(median "${runs[$h.GET]:-}") requests/s"
done
