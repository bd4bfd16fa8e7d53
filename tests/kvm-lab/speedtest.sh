#!/bin/sh
# SPDX-License-Identifier: MIT
# SQLite's speedtest1 inside the lab's L1 (ports/sqlite, issue 25): the image
# on spore-kvm (ring 0, the database on memfs /tmp) and the same source built
# for Linux (static) as an L1 process (the database on a tmpfs), ROUNDS
# interleaved runs each with one --size; then per side the median, minimum
# and maximum of speedtest1's own TOTAL and of launch to exit, and spore-kvm's
# ratio to the process. Each spore-kvm run's line ends in its exits to the
# monitor, and the last one's --stats (exits by reason) follow; then three
# untimed runs with the exits L1's KVM handles itself: counts, to say where
# spore-kvm's time goes. Fails if a run gives no TOTAL; the ratio is
# reported, not judged (the lab distorts every cost: docs/boot.md).
#   tests/kvm-lab/speedtest.sh [SIZE [ROUNDS]]   (default 5 11)
size=${1:-5} rounds=${2:-11} L=build/sqlite/lab
mkdir -p /tmp/sq && mount -t tmpfs none /tmp/sq || exit 2
# Milliseconds since L1 booted (busybox date may lack %N; uptime has 10 ms).
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# "       TOTAL......   1.234s" -> "1.234"
total() { sed -n 's/^ *TOTAL\.*  *\([0-9.]*\)s$/\1/p' $1; }
rm -f /tmp/runs
for r in $(seq $rounds); do
	# spore-kvm's default 8 MiB would give memfs 2 MiB (a quarter): VACUUM needs more.
	t0=$(ms)
	build/spore-kvm --stats --timeout=100 --mem=64M $L/speedtest1.elf \
		"memfs=32M -- --size $size /tmp/speed.db" > /tmp/sk.out 2>&1
	rc=$? t1=$(ms)
	t=$(total /tmp/sk.out)
	[ $rc = 0 ] && [ -n "$t" ] || { echo "spore-kvm run $r: status $rc, no TOTAL:"; tail -5 /tmp/sk.out; exit 1; }
	echo "spore-kvm $t $((t1 - t0)) $(sed -n 's/^spore-kvm: exits: \([0-9]*\):.*/\1/p' /tmp/sk.out)" >> /tmp/runs
	rm -f /tmp/sq/speed.db*
	t0=$(ms)
	$L/speedtest1 --size $size /tmp/sq/speed.db > /tmp/lp.out 2>&1
	rc=$? t1=$(ms)
	t=$(total /tmp/lp.out)
	[ $rc = 0 ] && [ -n "$t" ] || { echo "process run $r: status $rc, no TOTAL:"; tail -5 /tmp/lp.out; exit 1; }
	echo "process $t $((t1 - t0))" >> /tmp/runs
done
umount /tmp/sq
# Untimed: 3 more spore-kvm runs, each with the exits L1's KVM handled itself
# (interrupts, nested page faults: never seen by the monitor). debugfs sums
# them over the VMs that exist, so they are read while the VM runs, every
# 0.1 s with shell builtins (the last 0.1 s is missed), not around it.
D=/sys/kernel/debug/kvm
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
if [ -f $D/exits ]; then
	for r in 1 2 3; do
		build/spore-kvm --timeout=100 --mem=64M $L/speedtest1.elf \
			"memfs=32M -- --size $size /tmp/speed.db" > /tmp/sd.out 2>&1 &
		vm=$!
		while [ -d /proc/$vm ]; do
			read e < $D/exits; read i < $D/irq_exits; read p < $D/pf_taken
			read h < $D/halt_exits; read x < $D/insn_emulation
			[ $e = 0 ] || echo "exits $e: irq_exits $i, pf_taken $p, halt_exits $h, insn_emulation $x" > /tmp/kd
			sleep 0.1
		done
		wait $vm
		echo "untimed spore-kvm run $r: TOTAL $(total /tmp/sd.out)s; L1 KVM: $(cat /tmp/kd)"
	done
else echo "no $D/exits: no counts from L1's KVM"; fi
echo "runs: side, TOTAL (s), launch to exit (ms), spore-kvm's exits to the monitor"
cat /tmp/runs
echo "last spore-kvm run:"
grep '^spore-kvm: ' /tmp/sk.out
# The slowest tests of the last run on each side, for where the time goes.
for f in sk lp; do
	echo "slowest tests ($f):"
	grep '^ *[0-9][0-9]* - ' /tmp/$f.out | awk '{ t = $NF; sub(/s$/, "", t); print t, $0 }' |
		sort -rn | head -4 | cut -d' ' -f2-
done
# Per side: median, min and max of TOTAL and of launch to exit; then the ratios.
awk -v rounds=$rounds -v size=$size '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	lo[k] = v[k, 1]; hi[k] = v[k, m]
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
{ v[$1 ".total", ++cnt[$1 ".total"]] = $2 + 0; v[$1 ".wall", ++cnt[$1 ".wall"]] = $3 / 1000 }
END {
	if (cnt["spore-kvm.total"] != rounds || cnt["process.total"] != rounds) { print "missing runs"; exit 1 }
	for (k in cnt) m[k] = med(k)
	for (s = 0; s < 2; s++) {
		n = s ? "process" : "spore-kvm"
		printf "median %s: TOTAL %.3fs (%.3f-%.3f), launch to exit %.2fs (%.2f-%.2f); --size %d, %d runs\n",
			n, m[n ".total"], lo[n ".total"], hi[n ".total"], m[n ".wall"], lo[n ".wall"], hi[n ".wall"],
			size, rounds
	}
	printf "ratio spore-kvm/process: TOTAL %.2f (of the minima %.2f), launch to exit %.2f (%.2f)\n",
		m["spore-kvm.total"] / m["process.total"], lo["spore-kvm.total"] / lo["process.total"],
		m["spore-kvm.wall"] / m["process.wall"], lo["spore-kvm.wall"] / lo["process.wall"]
}' /tmp/runs
