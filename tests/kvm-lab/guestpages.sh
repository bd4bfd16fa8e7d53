#!/bin/sh
# SPDX-License-Identifier: MIT
# The pages of idle networked httpd instances inside the lab's L1 (ring 0 on kvm_amd,
# virtio-mmio net; docs/density.md), two builds against each other: N instances of
# each, started alternately (A B A B ...), each as bench/density starts one (--mem=16M,
# httpd's files as an initrd, -p 80 -t 30) on a tap of its own (memcount.sh's m0..),
# asked GET /fn/random once (fnget) before the next starts. 2 s after the last,
# bench/guestpages.py on each build's instances: anonymous guest pages by region,
# the monitor's own, Rss/Pss, threads, and their medians. Then all stopped.
#   tests/kvm-lab/guestpages.sh N DIR_A DIR_B   (DIR: spore-kvm and apps/httpd.elf)
n=${1:-5} A=${2:?DIR_A} B=${3:?DIR_B}
G=build/tests/kvm-lab/fnget R=build/density-lab/root.tar mac=02:00:00:00:00:02 d=/tmp/gp
[ -z "$(pidof spore-kvm)" ] || { echo "spore-kvm runs already: $(pidof spore-kvm)"; exit 2; }
mkdir -p $d
. tests/kvm-lab/memcount.sh
mem_taps $((2 * n))
pa="" pb="" i=0 st=0
while [ $i -lt $((2 * n)) ]; do
	[ $((i % 2)) = 0 ] && D=$A || D=$B
	$D/spore-kvm --mem=16M --net=m$i --mac=$mac --initrd=$R $D/apps/httpd.elf \
		"ip=10.9.0.2/24 -- -p 80 -t 30" > /dev/null 2> $d/err$i &
	[ $((i % 2)) = 0 ] && pa="$pa $!" || pb="$pb $!"
	$G -w 20000 10.9.0.2:80@m$i > $d/ans || { echo "instance $i ($D): $(cat $d/ans) $(cat $d/err$i)"; st=1; break; }
	i=$((i + 1))
done
sleep 2
if [ $st = 0 ]; then
	echo "A = $A"; python3 bench/guestpages.py $A/apps/httpd.elf $pa || st=1
	echo "B = $B"; python3 bench/guestpages.py $B/apps/httpd.elf $pb || st=1
	set -- $pa; python3 bench/guestpages.py -v $A/apps/httpd.elf $1 | sed 's/^/A /'
	set -- $pb; python3 bench/guestpages.py -v $B/apps/httpd.elf $1 | sed 's/^/B /'
fi
kill $pa $pb 2> /dev/null
for p in $pa $pb; do wait $p 2> /dev/null; done
mem_untaps $((2 * n))
exit $st
