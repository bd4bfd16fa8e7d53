#!/bin/sh
# SPDX-License-Identifier: MIT
# spore-fn inside the lab's L1 (ring 0 on kvm_amd; docs/serverless.md): httpd snapshotted
# on tap fnd as 10.9.0.2, one long-running restored copy of it on fnd, spore-fn with four
# slots on fn0..fn3 (each 10.9.0.1/24, the guest's MAC a permanent neighbour; spore-fn binds
# its relay to the slot's tap). Then REQUESTS rounds of GET /fn/random, alternated, each on a
# new connection (build/tests/kvm-lab/fnget): one to the long-running copy, one through
# spore-fn (a fresh VM each), GAP ms after each round; then BURST more through spore-fn
# alone with no pause (its refills compete with the requests for L1's one CPU). Checks:
# every request answered 200, every /fn/random through spore-fn different, spore-fn's own
# count (a VM per connection), no spore-kvm process left once it stopped. The added
# latency (p50 through spore-fn minus p50 direct) is judged against the cold boot's median
# time to first answer / 4 that serverless.sh left in /tmp/serverless.cold (same boot).
# Then FRESH restores of httpd asked straight twice each: the first request to a fresh VM
# against its second, in time and KVM's exits (what a fresh VM costs a request, beside the
# front end's own part).
#   tests/kvm-lab/serverless-fn.sh [REQUESTS [GAP_MS [BURST [FRESH]]]]   (default 200 250 100 30)
n=${1:-200} gap=${2:-250} burst=${3:-100} fresh=${4:-30}
K=build/spore-kvm I=build/apps/httpd.elf F=build/spore-fn G=build/tests/kvm-lab/fnget
mac=02:00:00:00:00:02 d=/tmp/sf o=/tmp/sf.  # $d: a tmpfs for the snapshot; $o*: logs
[ -z "$(pidof spore-kvm)" ] || { echo "spore-kvm runs already: $(pidof spore-kvm)"; exit 2; }
for t in fnd fn0 fn1 fn2 fn3; do
	tunctl -t $t > /dev/null && ip addr add 10.9.0.1/24 dev $t && ip link set $t up &&
		arp -i $t -s 10.9.0.2 $mac || exit 2
done
ip link set lo up
mkdir -p $d && mount -t tmpfs none $d || exit 2
timeout 60 $K --net=fnd --mac=$mac --snapshot=$d/h.snap $I "ip=10.9.0.2/24 -- -p 80" > $d/snap.out 2>&1 ||
	{ cat $d/snap.out; echo "snapshot failed"; exit 1; }
$K --net=fnd --restore=$d/h.snap > /dev/null 2> ${o}direct & direct=$!
$F -n 4 -p 8080 -t fn -g 10.9.0.2:80 -k $K $d/h.snap 2> ${o}fn & fn=$!
# The long-running copy answers (and is warm: a few requests); spore-fn's four VMs are
# restored meanwhile, then 2 s more for them to settle.
$G -n 5 -w 20000 10.9.0.2:80@fnd > /dev/null || { echo "the long-running httpd did not answer"; exit 1; }
for i in $(seq 100); do grep -q listening ${o}fn && break; sleep 0.1; done
sleep 2
$G -n $n -g $gap 10.9.0.2:80@fnd 127.0.0.1:8080 > ${o}req
$G -n $burst 127.0.0.1:8080 | sed 's/^0 /2 /' >> ${o}req
grep -m5 fail ${o}req
kill $direct
kill -TERM $fn
wait $fn $direct
sleep 1
left=$(pidof spore-kvm)
cat ${o}fn
# Where a request through spore-fn spends its time: FRESH rounds of a restore on fnd, 1 s
# idle, then two requests straight to it, each on a new connection: its first (every page
# it writes a first write: copy-on-write out of the snapshot, a nested page fault) and its
# second; KVM's exits for each (debugfs: the sum over live VMs, this one alone).
k=/sys/kernel/debug/kvm
[ -d $k ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
rm -f ${o}exits
for r in $(seq $fresh); do
	$K --net=fnd --restore=$d/h.snap > /dev/null 2>&1 & p=$!
	sleep 1
	for q in 3 4; do
		e0=$(cat $k/exits 2> /dev/null || echo 0)
		$G -w 5000 10.9.0.2:80@fnd | sed "s/^0 /$q /" >> ${o}req
		echo "$q $(($(cat $k/exits 2> /dev/null || echo 0) - e0))" >> ${o}exits
	done
	kill $p; wait $p
done
for t in fnd fn0 fn1 fn2 fn3; do tunctl -d $t > /dev/null; done
umount $d
# spore-fn's own count: one VM per connection (four restored ahead, one after each).
vms=$(sed -n "s/^spore-fn: $((n + burst)) connections served, 0 refused (503), \([0-9]*\) VMs restored$/\1/p" ${o}fn)
cold=$(cat /tmp/serverless.cold 2> /dev/null)
awk -v n=$n -v burst=$burst -v gap=$gap -v cold="$cold" -v left="$left" -v vms="$vms" '
function pct(k, p,   i, j, t, m) { m = cnt[k]; if (!m) return 0
	if (!sorted[k]) { sorted[k] = 1; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
		if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t } }
	i = int(m * p) + 1; return v[k, i > m ? m : i] }
$2 == "fail" { fail[$1]++; next }
FILENAME ~ /exits$/ { x[$1, ++nx[$1]] = $2; next }
{ v[$1, ++cnt[$1]] = $2; if ($1 == 1 || $1 == 2) { body[$3]++; if ($3 !~ /^[0-9a-f]{32}$/) bad++ } }
END {
	split("long-running restored httpd|through spore-fn, a fresh VM each|through spore-fn, back to back", name, "|")
	for (k = 0; k < 3; k++)
		printf "%s: %d answered, %d failed, ms p50 %.2f p90 %.2f (min %.2f max %.2f)\n", name[k + 1],
			cnt[k], fail[k], pct(k, 0.5), pct(k, 0.9), pct(k, 0), pct(k, 1)
	for (b in body) uniq++
	printf "through spore-fn: %d answers, %d different /fn/random, %d malformed\n", cnt[1] + cnt[2], uniq, bad
	for (q = 3; q <= 4; q++) { m = nx[q]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
		if (x[q, j] < x[q, i]) { t = x[q, i]; x[q, i] = x[q, j]; x[q, j] = t }
		xm[q] = m ? x[q, int(m / 2) + 1] : 0 }
	printf "a fresh restored VM, straight: first request %d answered, %d failed, ms p50 %.2f p90 %.2f, KVM exits median %d; its second request ms p50 %.2f p90 %.2f, KVM exits median %d\n",
		cnt[3], fail[3], pct(3, 0.5), pct(3, 0.9), xm[3], pct(4, 0.5), pct(4, 0.9), xm[4]
	printf "through spore-fn minus a fresh VM'"'"'s first request straight (p50): %.2f ms\n", pct(1, 0.5) - pct(3, 0.5)
	added = pct(1, 0.5) - pct(0, 0.5)
	printf "added latency (p50, %d rounds %d ms apart): %.2f ms; back to back: %.2f ms\n", n, gap, added,
		pct(2, 0.5) - pct(0, 0.5)
	ok = cnt[1] == n && cnt[2] == burst && !fail[0] && !fail[1] && !fail[2] && uniq == n + burst && !bad &&
		left == "" && vms >= n + burst
	printf "verdict, %d requests through spore-fn each from a fresh VM, none failed, none left: %s (%d + %d answered, %d failed, %d different, %s VMs restored, spore-kvm left: %s)\n",
		n, ok ? "met" : "not met", cnt[1], cnt[2], fail[1] + fail[2], uniq, vms == "" ? "? (no count line)" : vms, left == "" ? "none" : left
	if (cold == "") print "verdict, added latency at most the cold boot'"'"'s time to first answer / 4: not judged (no /tmp/serverless.cold: serverless.sh did not run first)"
	else printf "verdict, added latency at most the cold boot'"'"'s time to first answer / 4: %s (%.2f ms added, p50 %.2f - %.2f; cold %.2f / 4 = %.2f ms)\n",
		added <= cold / 4 ? "met" : "not met", added, pct(1, 0.5), pct(0, 0.5), cold, cold / 4
	exit !(ok && cold != "" && added <= cold / 4)
}' ${o}req ${o}exits
