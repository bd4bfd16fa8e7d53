#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory of N idle httpd instances inside the lab's L1 (ring 0 on kvm_amd;
# docs/serverless.md), cold-booted (ring 0's default devices) against restored from one
# snapshot, ROUNDS rounds of each, interleaved (cold, restored, restored, cold, ...). Each
# instance has a tap of its own, m0..mN-1 (each 10.9.0.1/24 with the guest's MAC a
# permanent neighbour: every guest is 10.9.0.2, the snapshot's address, and the client
# binds to the tap). The instances start one after another, each asked GET /fn/random
# once (build/tests/kvm-lab/fnget: it answers, so it is up) before the next starts;
# 2 s after the last, MemAvailable's drop since before the first, and the sum of their
# PSS (smaps_rollup), each over N; then all are stopped and reaped. The snapshot lives
# on a tmpfs written before any round: its pages are counted in no round's drop. Beside
# MemAvailable, the same plus the pages parked on the per-CPU free lists (/proc/zoneinfo's
# "count:"): with one CPU these hold up to the zone's low watermark (megabytes) that
# MemAvailable does not count as free, so pages freed by one round and taken by the
# next move it by that much. A first round of N/5 of each kind, not counted, pays what
# the first instances pay once (slabs, the taps' first frames).
#   tests/kvm-lab/serverless-mem.sh [N [ROUNDS]]   (default 50 1)
n=${1:-50} rounds=${2:-1}
K=build/spore-kvm I=build/apps/httpd.elf G=build/tests/kvm-lab/fnget
mac=02:00:00:00:00:02 guest="ip=10.9.0.2/24 -- -p 80" d=/tmp/sm
[ -z "$(pidof spore-kvm)" ] || { echo "spore-kvm runs already: $(pidof spore-kvm)"; exit 2; }
. tests/kvm-lab/memcount.sh
mem_taps $n
mkdir -p $d && mount -t tmpfs none $d || exit 2
timeout 60 $K --net=m0 --mac=$mac --snapshot=$d/h.snap $I "$guest" > $d/snap.out 2>&1 ||
	{ cat $d/snap.out; echo "snapshot failed"; exit 1; }
echo "snapshot: $(wc -c < $d/h.snap) bytes, $(du -k $d/h.snap | cut -f1) KiB on the tmpfs"
start_cold() { $K --net=m$1 --mac=$mac $I "$guest" > /dev/null 2>&1 & }
start_restored() { $K --net=m$1 --restore=$d/h.snap > /dev/null 2>&1 & }
# one KIND [K]: K (default N) instances; a row in $d/rows (memcount.sh's mem_one).
one() { mem_one $1 ${2:-$n} start_$1; }
rm -f $d/rows
one cold $((n / 5)) > /dev/null && one restored $((n / 5)) > /dev/null || exit 1
echo "KIND KiB/instance: MemAvailable drop, PSS, drop with the per-CPU lists; MemAvailable before, after; per-CPU lists before, after"
r=1
while [ $r -le $rounds ]; do
	if [ $((r % 2)) = 1 ]; then one cold && one restored; else one restored && one cold; fi | tee -a $d/rows
	[ $(wc -l < $d/rows) = $((2 * r)) ] || break
	r=$((r + 1))
done
left=$(pidof spore-kvm)
mem_untaps $n
awk -v n=$n -v rounds=$rounds -v left="$left" '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
{ v[$1 ".drop", ++cnt[$1 ".drop"]] = $2; v[$1 ".pss", ++cnt[$1 ".pss"]] = $3; v[$1 ".pcp", ++cnt[$1 ".pcp"]] = $4 }
END {
	if (cnt["cold.drop"] != rounds || cnt["restored.drop"] != rounds) {
		print "verdict, " n " idle restored instances at most 0.5x the memory of cold-booted ones: not judged (missing rounds)"
		exit 1
	}
	c = med("cold.drop"); r = med("restored.drop")
	printf "%d idle instances, KiB each, medians of %d: cold boot MemAvailable drop %d, PSS %d, drop with the per-CPU lists %d; restored %d, %d, %d\n",
		n, rounds, c, med("cold.pss"), med("cold.pcp"), r, med("restored.pss"), med("restored.pcp")
	printf "verdict, %d idle restored instances at most 0.5x the memory of cold-booted ones: %s (MemAvailable drop %.2fx: %d / %d KiB; PSS %.2fx; with the per-CPU lists %.2fx)\n",
		n, r <= c / 2 ? "met" : "not met", r / c, r, c, med("restored.pss") / med("cold.pss"), med("restored.pcp") / med("cold.pcp")
	if (left != "") print "spore-kvm left running: " left
	exit !(r <= c / 2 && left == "")
}' $d/rows
st=$?
umount $d
exit $st
