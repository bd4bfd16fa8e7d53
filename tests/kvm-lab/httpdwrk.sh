#!/bin/sh
# SPDX-License-Identifier: MIT
# httpd on spore-kvm's virtio path under wrk -c16 inside the lab's L1 (wrk and its
# libraries copied in: run.sh -x wrk): httpd on tap0 as 10.9.0.2 serving ROOT (a
# ustar initrd), wrk -t1 -c16 for SECONDS on /hello.txt from 10.9.0.1, then the
# monitor's --stats (on SIGTERM): exits to the monitor per request, which must be
# at most MAX when given. Counts carry over to hardware; times do not (docs/boot.md).
#   tests/kvm-lab/httpdwrk.sh ROOT [SECONDS [MAX]]   (default 5 s; SPORE_KVM: the monitor and options)
root=$1 secs=${2:-5} max=${3:-} o=/tmp/httpdwrk
[ -f "$root" ] || { echo "usage: httpdwrk.sh ROOT.tar [SECONDS [MAX]]" >&2; exit 2; }
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
ip link set lo up
${SPORE_KVM:-build/spore-kvm} --stats --timeout=$((secs + 100)) --net=tap0 --initrd=$root build/apps/httpd.elf \
	"ip=10.9.0.2/24 -- -p 80 -c 64" > $o.out 2>&1 &
pid=$!
for i in $(seq 120); do grep -q listening $o.out && break; sleep 0.5; done
k=/sys/kernel/debug/kvm
[ -d $k ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
before=$(cat $k/exits 2> /dev/null || echo 0)
# A port in the URL: L1 has no /etc/services.
wrk -t1 -c16 -d${secs}s http://10.9.0.2:80/hello.txt > $o.wrk 2>&1; rc=$?
after=$(cat $k/exits 2> /dev/null || echo 0)
kill $pid; wait $pid
tunctl -d tap0 > /dev/null
cat $o.wrk $o.out
# "N requests in Ts, ..." and "spore-kvm: exits: N: ..." (every exit since the start,
# the probe's and the console's included: counted against the requests all the same)
req=$(awk '/ requests in / { print $1 }' $o.wrk)
ex=$(awk '/^spore-kvm: exits: / { sub(":", "", $3); print $3 }' $o.out)
[ -n "$req" ] && [ "$req" -gt 0 ] && [ -n "$ex" ] || { echo "no requests or no --stats"; exit 1; }
grep -q "Socket errors\|Non-2xx" $o.wrk && { echo "wrk saw errors"; rc=1; }
awk -v r=$req -v e=$ex -v a=$((after - before)) -v m="$max" 'BEGIN {
	printf "requests: %d; exits to the monitor: %d, per request %.3f%s; all KVM exits per request %.1f\n",
		r, e, e / r, m != "" ? " (at most " m ")" : "", a / r }'
[ $rc = 0 ] || exit $rc
[ -z "$max" ] || awk -v r=$req -v e=$ex -v m="$max" 'BEGIN { exit !(e / r <= m) }'
