#!/bin/sh
# SPDX-License-Identifier: MIT
# A lost wake-up on spore-kvm's virtio path (docs/reliability.md, "A lost wake-up"):
# the guest, with the test option lose_irqs=1, takes the first device interrupt that
# finds a received frame and wakes nothing, as a wake-up lost between the pin and its
# receive thread would. The monitor raises an interrupt the guest left unanswered
# once more after a quiet second (monitor/iothread.c), so a ping is answered within
# seconds; without that, the frame would wait for the guest's idle guard (24 s after
# boot).
#   tests/kvm-lab/irqretry.sh [SPORE-KVM]
# Prints how long the first ping took, the monitor's output, and a verdict line;
# status 0 only when the ping was answered within 10 s after one retry (the guard
# would answer it ~22 s after).
kvm=${1:-build/spore-kvm} out=/tmp/irqretry.out
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 || exit 2
# No IPv6 on the tap: nothing but the ping's ARP request reaches the guest first.
echo 1 > /proc/sys/net/ipv6/conf/tap0/disable_ipv6 2> /dev/null
ip link set tap0 up || exit 2
$kvm --stats --timeout=100 --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 lose_irqs=1 -- 7 > $out 2>&1 &
pid=$!
for i in $(seq 60); do grep -q listening $out && break; sleep 0.5; done
cs() { read -r u _ < /proc/uptime && u=${u%.*}${u#*.}; } # centiseconds of L1's uptime
# L1 kept busy while the guest waits: an idle L1 sometimes misses its timer interrupt
# and sleeps until the lab's watchdog (docs/boot.md), which would hold the I/O thread's
# one-second timeout too. (L1's busybox has no nice; the loop shares the CPU fairly.)
sh -c 'while :; do :; done' &
busy=$!
cs && t0=$u
ping -c 1 -W 20 10.9.0.2 > /dev/null && ok=1 || ok=0
cs && ms=$(((u - t0) * 10))
kill $busy
[ $ok = 1 ] && echo "irqretry: the first ping answered in $ms ms" ||
	echo "irqretry: no answer to the first ping in $ms ms"
sleep 2 # a quiet second: a retry owed for any other frame is made by now
kill $pid 2> /dev/null
wait $pid
tunctl -d tap0 > /dev/null 2>&1 || ip link del tap0
cat $out
if [ $ok = 1 ] && [ $ms -le 10000 ] && grep -q '^spore-kvm: virtio: 1 interrupts raised again' $out &&
	! grep -q 'waited for the idle guard' $out; then
	echo "irqretry: ok, a lost wake-up cost one retry"
	exit 0
fi
echo "irqretry: FAIL"
exit 1
