#!/bin/sh
# SPDX-License-Identifier: MIT
# Redis inside the lab's L1 (ports/redis): redis-server.elf on spore-kvm on
# tap0 as 10.9.0.2, and the same source built for Linux (static) as L1
# processes: one in a network namespace of its own reached through a veth
# pair as 10.8.0.2 (the way a container is reached, issue 21), one on L1's
# loopback; all up at once, redis-benchmark in L1's root namespace. ROUNDS
# interleaved runs of "redis-benchmark -q -n N -t set,get" against each, then
# the medians with their spread, spore-kvm's ratio to each process, and the
# counts per request on spore-kvm's runs: KVM's exits from debugfs (only the
# spore-kvm runs are inside the before/after pairs) and the monitor's --stats
# (its whole life, start-up and connections included). Fails if a server does
# not start or a run gives no figures; the ratio is reported, not judged (the
# lab distorts every cost: docs/boot.md).
#   tests/kvm-lab/redis.sh [N [ROUNDS]]   (default 1000 3)
n=${1:-1000} rounds=${2:-3} L=build/redis/lab
ns=""
cleanup() {
	[ -n "$ns" ] && kill $ns 2> /dev/null
	ip link del vh 2> /dev/null
	tunctl -d tap0 > /dev/null 2>&1
}
trap cleanup EXIT
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
ip link set lo up
# The container's side: a namespace held open by a sleeping process, the veth's
# far end (the peer the kernel names, vethN) moved into it.
unshare -n sleep 1000 &
ns=$!
sleep 0.2
ip link add vh type veth || exit 2
peer=$(ip link show | sed -n 's/^[0-9]*: \([^@:]*\)@vh:.*/\1/p')
ip link set "$peer" netns $ns && ip addr add 10.8.0.1/24 dev vh && ip link set vh up || exit 2
in_ns() { nsenter -t $ns -n "$@"; }
in_ns ip link set lo up && in_ns ip addr add 10.8.0.2/24 dev "$peer" && in_ns ip link set "$peer" up || exit 2

args="--save '' --appendonly no --port 6379 --protected-mode no --bind 10.9.0.2"
build/spore-kvm --stats --timeout=300 --mem=64M --net=tap0 $L/redis.elf "ip=10.9.0.2/24 -- $args" \
	> /tmp/rs.out 2>&1 &
vm=$!
nsenter -t $ns -n $L/redis-server --save "" --appendonly no --port 6379 --protected-mode no \
	--bind 10.8.0.2 > /tmp/rv.out 2>&1 &
veth=$!
$L/redis-server --save "" --appendonly no --port 6380 --protected-mode no --bind 127.0.0.1 > /tmp/rl.out 2>&1 &
lo=$!
for i in $(seq 60); do
	grep -q "Ready to accept" /tmp/rs.out && grep -q "Ready to accept" /tmp/rv.out &&
		grep -q "Ready to accept" /tmp/rl.out && break
	sleep 0.5
done

k=/sys/kernel/debug/kvm
[ -d $k ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
kstats="exits halt_exits irq_exits io_exits mmio_exits irq_injections irq_window_exits halt_wakeup"
kvm() { for s in $kstats; do cat $k/$s 2> /dev/null || echo 0; done | tr '\n' ' '; }
# "SET: 1234.56 requests per second, p50=..." -> "SET 1234.56"
bench() { timeout 60 $L/redis-benchmark -h $1 -p $2 -q -n $n -t set,get 2>&1 | tr '\r' '\n' |
	sed -n 's/^\([SG]ET\): \([0-9.]*\) requests per second.*/\1 \2/p' | tr '\n' ' '; }
# CPU time (USER_HZ ticks) over a run: L1's one CPU in all (/proc/stat: busy =
# all but idle and iowait; its softirq column), and the server's threads
# (utime stime guest_time, fields 14 15 43; for spore-kvm the vCPU thread, the
# monitor's main one, and the I/O thread): L1 has one CPU, so a request costs
# the sum of what each side spends on it.
cpu() { # PID
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $8 }' /proc/stat | tr '\n' ' '
	for t in /proc/$1/task/*; do awk '{ printf "%s %s %s ", $14, $15, $43 }' $t/stat; done
	echo
}
rm -f /tmp/runs /tmp/kvmruns /tmp/cpuruns
for r in $(seq $rounds); do
	before=$(kvm) c=$(cpu $vm)
	echo "spore-kvm $(bench 10.9.0.2 6379)" >> /tmp/runs
	echo "$before $(kvm)" >> /tmp/kvmruns
	echo "spore-kvm $c $(cpu $vm)" >> /tmp/cpuruns
	c=$(cpu $veth)
	echo "veth $(bench 10.8.0.2 6379)" >> /tmp/runs
	echo "veth $c $(cpu $veth)" >> /tmp/cpuruns
	c=$(cpu $lo)
	echo "loopback $(bench 127.0.0.1 6380)" >> /tmp/runs
	echo "loopback $c $(cpu $lo)" >> /tmp/cpuruns
done
kill $vm $veth $lo; wait $vm; wait $veth; wait $lo
grep -v '^spore-kvm: \(exits\|virtio\|stats\|start\)' /tmp/rs.out | tail -3
cat /tmp/runs
reqs=$((rounds * 2 * n))
# KVM's exits per request over the spore-kvm runs (the rest of "exits": MSR
# writes, EOI and TSC deadline, ioeventfd kicks, NPF, not named in debugfs).
echo $kstats | awk -v r=$reqs '
NR == FNR { for (i = 1; i <= NF; i++) name[i] = $i; m = NF; next }
{ for (i = 1; i <= m; i++) d[i] += $(m + i) - $i }
END { printf "kvm per request:"; named = 0
	for (i = 1; i <= m; i++) { printf " %s %.2f", name[i], d[i] / r; if (i > 1 && i < 6) named += d[i] }
	printf " other %.2f\n", (d[1] - named) / r }' - /tmp/kvmruns
# CPU per request in us (1 tick = 10 ms): all of L1, its softirq, then per
# server thread user+system (and guest, the part of it inside the guest).
awk -v r=$reqs '{ k = $1; h = (NF - 1) / 2; all[k] += $(2 + h) - $2; sirq[k] += $(3 + h) - $3
	for (i = 4; i <= 1 + h; i += 3) { t = (i - 4) / 3; nt[k] = t + 1
		us[k, t] += $(i + h) + $(i + 1 + h) - $i - $(i + 1); g[k, t] += $(i + 2 + h) - $(i + 2) } }
END { for (k in all) { printf "cpu per request %s: all %.0f us, softirq %.0f", k, all[k] * 1e4 / r, sirq[k] * 1e4 / r
	for (t = 0; t < nt[k]; t++) printf ", thread %d %.0f (guest %.0f)", t, us[k, t] * 1e4 / r, g[k, t] * 1e4 / r
	print "" } }' /tmp/cpuruns
grep '^spore-kvm: \(exits\|virtio\)' /tmp/rs.out
sed -n 's/^spore-kvm: virtio: \([0-9]*\) kicks, \([0-9]*\) interrupts, \([0-9]*\) I\/O thread wake-ups; net: \([0-9]*\) frames sent, \([0-9]*\) received.*/\1 \2 \3 \4 \5/p' /tmp/rs.out |
	awk -v r=$reqs '{ printf "monitor per request: kicks %.2f interrupts %.2f wake-ups %.2f frames sent %.2f received %.2f\n",
		$1 / r, $2 / r, $3 / r, $4 / r, $5 / r }'
# Medians (and the range) per server and test, then spore-kvm / each process.
awk -v rounds=$rounds '
function sort(k,   i, j, t) { for (i = 1; i <= cnt[k]; i++) for (j = i + 1; j <= cnt[k]; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t } }
function med(k,   m) { m = cnt[k]; return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
$2 == "SET" && $4 == "GET" { v[$1 ".SET", ++cnt[$1 ".SET"]] = $3; v[$1 ".GET", ++cnt[$1 ".GET"]] = $5 }
END {
	for (s in cnt) if (cnt[s] != rounds) { print "missing runs: " s; exit 1 }
	if (!("spore-kvm.SET" in cnt) || !("veth.SET" in cnt) || !("loopback.SET" in cnt)) { print "missing runs"; exit 1 }
	for (s in cnt) { sort(s); m[s] = med(s); lo[s] = v[s, 1]; hi[s] = v[s, cnt[s]] }
	for (i = 1; i <= 3; i++) { s = i == 1 ? "spore-kvm" : i == 2 ? "veth" : "loopback"
		printf "median %s: SET %.0f (%.0f-%.0f) GET %.0f (%.0f-%.0f) requests/s\n", s,
			m[s ".SET"], lo[s ".SET"], hi[s ".SET"], m[s ".GET"], lo[s ".GET"], hi[s ".GET"] }
	printf "ratio to veth SET %.2f GET %.2f\n", m["spore-kvm.SET"] / m["veth.SET"], m["spore-kvm.GET"] / m["veth.GET"]
	printf "ratio to loopback SET %.2f GET %.2f\n", m["spore-kvm.SET"] / m["loopback.SET"], m["spore-kvm.GET"] / m["loopback.GET"]
}' /tmp/runs
