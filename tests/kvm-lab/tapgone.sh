#!/bin/sh
# SPDX-License-Identifier: MIT
# The tap under a running guest on spore-kvm's virtio path (the I/O thread owns it).
#   tests/kvm-lab/tapgone.sh [gone]   the tap deleted: the monitor must end the guest
#                                     with its one line and status 253, not spin or
#                                     hang. Prints the status and the monitor's output.
#   tests/kvm-lab/tapgone.sh down     the tap set down while the guest sends (an echo
#                                     flood): the tap refuses those writes (EIO), which
#                                     must lose frames, not the guest; set up again, it
#                                     answers a ping. Prints what it saw, then the status
#                                     of the monitor's end by SIGTERM and its output.
mode=${1:-gone}
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
build/spore-kvm --stats --timeout=100 --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 -- 7 > /tmp/gone.out 2>&1 &
pid=$!
for i in $(seq 60); do grep -q listening /tmp/gone.out && break; sleep 0.5; done
ping -c 1 -W 5 10.9.0.2 > /dev/null || echo "no ping reply before the $mode"
case $mode in
gone)
	ip link del tap0
	wait $pid
	echo "status: $?"
	;;
down)
	# 128 MiB take seconds in the lab: the guest is sending when the link goes
	build/tests/kvm-lab/echoflood 10.9.0.2 7 134217728 > /tmp/flood.out 2>&1 &
	f=$!
	sleep 1
	ip link set tap0 down
	sleep 2
	kill -0 $pid 2> /dev/null && echo "the guest ran on through the link down" || echo "the guest ended with the link down"
	kill $f 2> /dev/null; wait $f 2> /dev/null
	ip link set tap0 up
	ok=0
	for i in 1 2 3 4 5; do ping -c 1 -W 2 10.9.0.2 > /dev/null && { ok=1; break; }; done
	[ $ok = 1 ] && echo "a ping answered with the link up again" || echo "no ping answer with the link up again"
	kill $pid 2> /dev/null
	wait $pid
	echo "status: $?"
	tunctl -d tap0 > /dev/null 2>&1 || ip link del tap0
	;;
*) echo "usage: tapgone.sh [gone|down]" >&2; exit 2 ;;
esac
cat /tmp/gone.out
