#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/floorgrowth inside the lab's L1 (bench/floorgrowth-lab brings Python): the
# bare-KVM floor's start beside K bare VMs, then beside K processes holding memory
# (docs/density.md). L1 is set as tests/kvm-lab/density.sh sets it for the density
# runs, so the two compare: no kvm-nx-lpage-recovery thread per VM, pid_max raised.
# Prints the results JSON, gzipped and base64'd, between @@results lines.
#   tests/kvm-lab/floorgrowth.sh [bench/floorgrowth ARGS...]
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
ulimit -n 65536
nx=/sys/module/kvm/parameters/nx_huge_pages
[ "$(cat /sys/devices/system/cpu/vulnerabilities/itlb_multihit 2> /dev/null)" = "Not affected" ] &&
	[ -w $nx ] && echo never > $nx 2> /dev/null && echo "floorgrowth-lab: kvm.nx_huge_pages=never"
echo 4194304 > /proc/sys/kernel/pid_max 2> /dev/null
{
	timeout -s TERM -k 10 $((${LAB_CMD_TIMEOUT:-120} - 30)) python3 bench/floorgrowth --out /tmp/fg "$@"
	echo $? > /tmp/fg.st
} 2>&1 | tee /dev/console
st=$(cat /tmp/fg.st)
left=$(pidof kvm-floor | wc -w)
[ "$left" = 0 ] && echo "floorgrowth-lab: nothing left behind" ||
	{ echo "floorgrowth-lab: $left kvm-floor processes left behind"; st=1; }
echo "@@results-begin"
[ -f /tmp/fg/floorgrowth.json ] && gzip -c /tmp/fg/floorgrowth.json | base64
echo "@@results-end"
exit $st
