# SPDX-License-Identifier: MIT
# Sourced by the lab's memory scripts (serverless-mem.sh, imagemem.sh): their taps and
# their count of what K idle httpd instances cost. Every guest is 10.9.0.2 with MAC $mac,
# on its own tap m0..mN-1 (10.9.0.1/24, the guest a permanent neighbour); the client
# binds to the tap. Uses $mac, $d (a scratch directory) and $G (fnget).
avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
pcp() { awk '$1 == "count:" { s += $2 } END { print s * 4 }' /proc/zoneinfo; }
mem_taps() {  # N: taps m0..mN-1 made (exit 2 if one cannot be)
	i=0
	while [ $i -lt $1 ]; do
		tunctl -t m$i > /dev/null && ip addr add 10.9.0.1/24 dev m$i && ip link set m$i up &&
			arp -i m$i -s 10.9.0.2 $mac || exit 2
		i=$((i + 1))
	done
}
mem_untaps() {  # N: taps m0..mN-1 deleted
	i=0
	while [ $i -lt $1 ]; do tunctl -d m$i > /dev/null; i=$((i + 1)); done
}
# mem_one KIND K START: START I starts instance I on tap mI in the background; each is
# asked GET /fn/random once (fnget: it answers, so it is up) before the next starts. 2 s
# after the last: "KIND drop/K PSS/K drop+pcp/K before after pbefore pafter" (MemAvailable's
# drop since before the first, the sum of PSS, the drop with the per-CPU free lists, and
# the raw readings); then all stopped and reaped. Status 1 if one does not answer.
mem_one() {
	kind=$1 k=$2 start=$3 pids="" i=0 pss=0
	sync
	before=$(avail) pbefore=$(pcp)
	while [ $i -lt $k ]; do
		$start $i
		pids="$pids $!"
		$G -w 20000 10.9.0.2:80@m$i > $d/ans || { echo "$kind $i: $(cat $d/ans)" >&2; kill $pids; return 1; }
		i=$((i + 1))
	done
	sleep 2
	after=$(avail) pafter=$(pcp)
	for p in $pids; do
		pss=$((pss + $(awk '/^Pss:/ { print $2 }' /proc/$p/smaps_rollup)))
	done
	kill $pids 2> /dev/null
	for p in $pids; do wait $p 2> /dev/null; done
	echo "$kind $(((before - after) / k)) $((pss / k)) $(((before + pbefore - after - pafter) / k))" \
		"$before $after $pbefore $pafter"
	sleep 1
}
