#!/bin/sh
# SPDX-License-Identifier: MIT
# Cold boot vs restore of httpd on spore-kvm inside the lab's L1 (ring 0 on kvm_amd;
# docs/serverless.md): httpd snapshotted once (to a tmpfs) on tap0 as 10.9.0.2, then
# ROUNDS interleaved rounds of a cold boot (on virtio, ring 0's default), a cold boot
# with --io=hypercall (the devices a snapshotted guest runs and resumes on) and a
# restore, each a new spore-kvm process
# timed by firstanswer (launch -> first answer to GET /fn/random), its --stats (sent by
# SIGTERM right after the answer) and KVM's own exits up to the answer (debugfs: the sum
# over live VMs, and this is the only one) recorded; then medians, spread and restored/cold. Fails if a run gets no answer or
# two restores answer the same /fn/random. The lab distorts every cost (docs/boot.md):
# compare only within one boot. The cold boot's median goes to /tmp/serverless.cold, for
# the verdicts of serverless-fn.sh in the same boot.
#   tests/kvm-lab/serverless.sh [ROUNDS]   (default 11)
rounds=${1:-11} K=build/spore-kvm I=build/apps/httpd.elf C=build/tests/kvm-lab/firstanswer
mac=02:00:00:00:00:02 guest="ip=10.9.0.2/24 -- -p 80" d=/tmp/sl
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
ip link set lo up
# A permanent neighbour entry (kept while the tap has no carrier): no ARP round trip
# in either kind of run, as bench/serverless.py does on the host.
arp -i tap0 -s 10.9.0.2 $mac || exit 2
mkdir -p $d && mount -t tmpfs none $d || exit 2
k=/sys/kernel/debug/kvm
[ -d $k ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
timeout 60 $K --net=tap0 --mac=$mac --snapshot=$d/h.snap $I "$guest" > $d/snap.out 2>&1
st=$?
cat $d/snap.out
[ $st = 0 ] && [ -f $d/h.snap ] || { echo "snapshot failed: status $st"; exit 1; }
echo "snapshot: $(wc -c < $d/h.snap) bytes"
# one KIND ARGS...: "KIND ms M random R kvm X exits E hypercalls H" in $d/runs
one() {
	kind=$1; shift
	o=$($C tap0 10.9.0.2 $d/err $k/exits "$@") || { echo "$kind: $o"; cat $d/err; exit 1; }
	echo "$kind $o $(awk '/^spore-kvm: exits: / { sub(":", "", $3); e = $3 }
		/^spore-kvm: stats: / { h = $3 } END { print "exits", e + 0, "hypercalls", h + 0 }' $d/err)" >> $d/runs
}
rm -f $d/runs /tmp/serverless.cold
for r in $(seq $rounds); do
	one cold $K --stats --net=tap0 --mac=$mac $I "$guest"
	one cold-hc $K --stats --io=hypercall --net=tap0 --mac=$mac $I "$guest"
	one restored $K --stats --net=tap0 --restore=$d/h.snap
done
tail -4 $d/err
tunctl -d tap0 > /dev/null
cat $d/runs
# Every restore's /fn/random: 32 hex digits, no two alike.
awk '$1 == "restored" { print $5 }' $d/runs | sort > $d/rnd
bad=$(grep -cv '^[0-9a-f]\{32\}$' $d/rnd) dup=$(uniq -d $d/rnd | wc -l)
echo "restores: $(wc -l < $d/rnd) answers of /fn/random, $bad malformed, $dup repeated"
# Medians per kind (ms: with min-max), then restored / cold.
awk -v rounds=$rounds '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	lo[k] = v[k, 1]; hi[k] = v[k, m]
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
{ for (f = 2; f < NF; f += 2) if ($f != "random") v[$1 "." $f, ++cnt[$1 "." $f]] = $(f + 1) }
END {
	if (cnt["cold.ms"] != rounds || cnt["cold-hc.ms"] != rounds || cnt["restored.ms"] != rounds) { print "missing runs"; exit 1 }
	for (s in cnt) m[s] = med(s)
	printf "%.2f\n", m["cold.ms"] > "/tmp/serverless.cold"
	split("cold cold-hc restored", kinds, " ")
	for (i = 1; i <= 3; i++) { s = kinds[i]
		printf "%s: ms %.2f (%.2f-%.2f), exits %d, hypercalls %d, kvm exits %d (medians of %d)\n", s,
			m[s ".ms"], lo[s ".ms"], hi[s ".ms"], m[s ".exits"], m[s ".hypercalls"], m[s ".kvm"], rounds }
	for (i = 1; i <= 2; i++) { s = kinds[i]
		printf "restored/%s: time %.2f, exits %.2f, hypercalls %.2f, kvm exits %s\n", s, m["restored.ms"] / m[s ".ms"],
			m["restored.exits"] / m[s ".exits"], m["restored.hypercalls"] / m[s ".hypercalls"],
			(m[s ".kvm"] + 0 > 0 ? sprintf("%.2f", m["restored.kvm"] / m[s ".kvm"]) : "none counted (no KVM debugfs)") }
	t = m["restored.ms"] / m["cold.ms"]; e = m["restored.exits"] / m["cold.exits"]
	printf "verdict, restore at most 0.5x a cold boot'"'"'s time and exits to the first answer: %s (time %.2f, exits %.2f)\n",
		t <= 0.5 && e <= 0.5 ? "met" : "not met", t, e
}' $d/runs
st=$?
echo "verdict, two restores print different /fn/random: $([ $bad = 0 ] && [ $dup = 0 ] && echo met || echo not met)" \
	"($(wc -l < $d/rnd) restores, $dup repeated, $bad malformed)"
umount $d
[ $st = 0 ] && [ $bad = 0 ] && [ $dup = 0 ]
