#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory of N idle networked httpd instances inside the lab's L1 (ring 0 on kvm_amd;
# docs/density.md), two monitors against each other, ROUNDS rounds interleaved (A B, B A,
# ...): A = build/spore-kvm --image=copy (the image copied into guest RAM), B =
# build/spore-kvm (its pages mapped from the file, shared; the default). Each instance as bench/density
# starts one: --mem=16M, httpd's files as an initrd, a tap of its own (m0..mN-1, each
# 10.9.0.1/24 with the guest's MAC a permanent neighbour; every guest is 10.9.0.2 and
# the client binds to the tap), asked GET /fn/random once before the next starts. 2 s
# after the last: MemAvailable's drop since before the first and the sum of PSS
# (smaps_rollup), each over N, and the drop with the per-CPU free lists (see
# serverless-mem.sh); then all stopped and reaped. A first round of N/5 of each, not
# counted, pays the first instances' one-time costs (slabs, the image's page cache).
# Then the taps: N more made and deleted with IPv6 on, then with
# net.ipv6.conf.default.disable_ipv6=1, MemAvailable's drop each over N, twice each.
# First of all, LAUNCHES launches of each monitor interleaved (bench/launch.c -m: wall
# time fork to exit and page faults) of the device-less guest that exits 7.
#   tests/kvm-lab/imagemem.sh [N [ROUNDS [LAUNCHES]]]   (default 100 2 15)
n=${1:-100} rounds=${2:-2} launches=${3:-15}
I=build/apps/httpd.elf G=build/tests/kvm-lab/fnget R=build/density-lab/root.tar
mac=02:00:00:00:00:02 d=/tmp/im
[ -z "$(pidof spore-kvm)" ] || { echo "spore-kvm runs already: $(pidof spore-kvm)"; exit 2; }
mkdir -p $d
. tests/kvm-lab/memcount.sh
mem_taps $n
start_copy() {
	build/spore-kvm --image=copy --mem=16M --net=m$1 --mac=$mac --initrd=$R $I "ip=10.9.0.2/24 -- -p 80" > /dev/null 2>&1 &
}
start_share() {
	build/spore-kvm --mem=16M --net=m$1 --mac=$mac --initrd=$R $I "ip=10.9.0.2/24 -- -p 80" > /dev/null 2>&1 &
}
# one KIND [K]: K (default N) instances of monitor KIND (memcount.sh's mem_one).
one() { mem_one $1 ${2:-$n} start_$1; }
rm -f $d/rows
L="build/tests/kvm-lab/launch -q -m -t 30"
lc() { echo "lcopy $($L build/spore-kvm --image=copy build/tests/guest/exit7.elf)"; }
ls_() { echo "lshare $($L build/spore-kvm build/tests/guest/exit7.elf)"; }
lc > /dev/null; ls_ > /dev/null # unmeasured: the page cache, first-use costs
i=1
while [ $i -le $launches ]; do
	if [ $((i % 2)) = 1 ]; then lc; ls_; else ls_; lc; fi
	i=$((i + 1))
done > $d/launch
cat $d/launch
one copy $((n / 5)) > /dev/null && one share $((n / 5)) > /dev/null || exit 1
echo "KIND KiB/instance: MemAvailable drop, PSS, drop with the per-CPU lists"
r=1
while [ $r -le $rounds ]; do
	if [ $((r % 2)) = 1 ]; then one copy && one share; else one share && one copy; fi | tee -a $d/rows
	[ $(wc -l < $d/rows) = $((2 * r)) ] || break
	r=$((r + 1))
done
left=$(pidof spore-kvm)
mem_untaps $n
# taps V: N taps up (tunctl, as bench/density makes them), MemAvailable's drop over N.
taps() {
	sync; sleep 1; a=$(avail) i=0
	while [ $i -lt $n ]; do tunctl -t v$i > /dev/null && ip link set v$i up || exit 2; i=$((i + 1)); done
	sync; sleep 1; b=$(avail) i=0
	while [ $i -lt $n ]; do tunctl -d v$i > /dev/null; i=$((i + 1)); done
	echo "taps-$1 $(((a - b) / n))"
}
v6=/proc/sys/net/ipv6/conf/default/disable_ipv6
for t in ipv6 noipv6 ipv6 noipv6; do
	[ $t = ipv6 ] && echo 0 > $v6 || echo 1 > $v6
	taps $t
done | tee -a $d/rows
echo 0 > $v6
awk -v n=$n -v rounds=$rounds -v left="$left" '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	lo[k] = v[k, 1]; hi[k] = v[k, m]
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
FILENAME ~ /launch$/ { if ($4 == 7) { v[$1 ".ms", ++cnt[$1 ".ms"]] = $2 / 1e6; v[$1 ".pf", ++cnt[$1 ".pf"]] = $5 } else bad++; next }
{ v[$1 ".drop", ++cnt[$1 ".drop"]] = $2; v[$1 ".pss", ++cnt[$1 ".pss"]] = $3; v[$1 ".pcp", ++cnt[$1 ".pcp"]] = $4 }
END {
	if (cnt["copy.drop"] != rounds || cnt["share.drop"] != rounds || bad) { print "missing rounds or bad launches"; exit 1 }
	for (k = 0; k < 2; k++) {
		c = k ? "lshare" : "lcopy"
		printf "launch, %s: median %.1f ms (%.1f-%.1f), page faults %d (%d-%d), %d launches\n", c, med(c ".ms"),
			lo[c ".ms"], hi[c ".ms"], med(c ".pf"), lo[c ".pf"], hi[c ".pf"], cnt[c ".ms"]
	}
	for (k = 0; k < 2; k++) {
		c = k ? "share" : "copy"
		printf "%s: %d idle instances, KiB each, medians of %d: MemAvailable drop %d (%d-%d), PSS %d (%d-%d), drop with the per-CPU lists %d (%d-%d)\n",
			c, n, rounds, med(c ".drop"), lo[c ".drop"], hi[c ".drop"], med(c ".pss"), lo[c ".pss"], hi[c ".pss"],
			med(c ".pcp"), lo[c ".pcp"], hi[c ".pcp"]
	}
	printf "taps, KiB each: with IPv6 %d (%d-%d), without %d (%d-%d)\n", med("taps-ipv6.drop"),
		lo["taps-ipv6.drop"], hi["taps-ipv6.drop"], med("taps-noipv6.drop"), lo["taps-noipv6.drop"], hi["taps-noipv6.drop"]
	if (left != "") { print "spore-kvm left running: " left; exit 1 }
}' $d/launch $d/rows
