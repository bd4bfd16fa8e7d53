#!/bin/sh
# SPDX-License-Identifier: MIT
# Redis inside the lab's L1 (ports/redis): redis-server.elf on spore-kvm on
# tap0 as 10.9.0.2, and the same source built for Linux (static) as an L1
# process on 127.0.0.1:6380, both up at once; ROUNDS interleaved runs of
# "redis-benchmark -q -n N -t set,get" against each, then the medians and
# spore-kvm's ratio to the process. Fails if a server does not start or a
# run gives no figures; the ratio is reported, not judged (the lab distorts
# every cost: docs/boot.md).
#   tests/kvm-lab/redis.sh [N [ROUNDS]]   (default 1000 3)
n=${1:-1000} rounds=${2:-3} L=build/redis/lab
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
ip link set lo up
args="--save '' --appendonly no --port 6379 --protected-mode no --bind 10.9.0.2"
build/spore-kvm --timeout=100 --mem=64M --net=tap0 $L/redis.elf "ip=10.9.0.2/24 -- $args" > /tmp/rs.out 2>&1 &
vm=$!
$L/redis-server --save "" --appendonly no --port 6380 --protected-mode no --bind 127.0.0.1 > /tmp/rl.out 2>&1 &
proc=$!
for i in $(seq 60); do grep -q "Ready to accept" /tmp/rs.out && grep -q "Ready to accept" /tmp/rl.out && break; sleep 0.5; done
# "SET: 1234.56 requests per second, p50=..." -> "SET 1234.56"
bench() { timeout 60 $L/redis-benchmark -h $1 -p $2 -q -n $n -t set,get 2>&1 | tr '\r' '\n' |
	sed -n 's/^\([SG]ET\): \([0-9.]*\) requests per second.*/\1 \2/p' | tr '\n' ' '; }
rm -f /tmp/runs
for r in $(seq $rounds); do
	echo "spore-kvm $(bench 10.9.0.2 6379)" >> /tmp/runs
	echo "process $(bench 127.0.0.1 6380)" >> /tmp/runs
done
kill $vm $proc; wait $vm; wait $proc
tunctl -d tap0 > /dev/null
tail -3 /tmp/rs.out
cat /tmp/runs
# Medians per server and test, then spore-kvm / process.
awk -v rounds=$rounds '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
$2 == "SET" && $4 == "GET" { v[$1 ".SET", ++cnt[$1 ".SET"]] = $3; v[$1 ".GET", ++cnt[$1 ".GET"]] = $5 }
END {
	if (cnt["spore-kvm.SET"] != rounds || cnt["process.SET"] != rounds) { print "missing runs"; exit 1 }
	for (s in cnt) m[s] = med(s)
	printf "median spore-kvm: SET %.0f GET %.0f; process: SET %.0f GET %.0f requests/s\n",
		m["spore-kvm.SET"], m["spore-kvm.GET"], m["process.SET"], m["process.GET"]
	printf "ratio SET %.2f GET %.2f\n", m["spore-kvm.SET"] / m["process.SET"], m["spore-kvm.GET"] / m["process.GET"]
}' /tmp/runs
