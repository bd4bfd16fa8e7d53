#!/bin/sh
# SPDX-License-Identifier: MIT
# Echo over a tap inside the lab's L1: HOST runs build/apps/echo.elf on tap0 as
# 10.9.0.2; busybox nc sends a line from 10.9.0.1 and it must come back.
#   tests/kvm-lab/echo.sh spore-kvm|microvm|microvm-noacpi|q35
# (q35's NIC without its option ROM: spore needs none, and the lab has no iPXE.
# microvm's NIC interrupts through the second I/O APIC (GSI 24 + slot); with
# -M acpi=off, through the first (GSI 5 + slot), named on the command line.)
# Under QEMU a failed echo also prints the interrupt controllers' state from
# QEMU's monitor (info pic, lapic, irq: pins, IRR, Remote IRR, deliveries).
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
rm -f /tmp/mon.in /tmp/mon.out /tmp/mon.log && mkfifo /tmp/mon.in /tmp/mon.out || exit 2
case $1 in
spore-kvm) build/spore-kvm --timeout=60 --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 -- 7 > /tmp/echo.out 2>&1 &
	echo $! > /tmp/server.pid ;;
microvm|microvm-noacpi|q35) nic=virtio-net-device m=microvm extra=""
	[ $1 = q35 ] && nic=virtio-net-pci,disable-legacy=on,romfile= m=q35
	[ $1 = microvm-noacpi ] && extra="-M acpi=off"
	QEMU_ARGS="-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device $nic,netdev=n0 -pidfile /tmp/server.pid -monitor pipe:/tmp/mon $extra" \
		tests/kvm-lab/qemu.sh $m build/apps/echo.elf "ip=10.9.0.2/24 -- 7" > /tmp/echo.out 2>&1 & ;;
*) echo "usage: echo.sh spore-kvm|microvm|microvm-noacpi|q35" >&2; exit 2 ;;
esac
pid=$!
for i in $(seq 60); do grep -q listening /tmp/echo.out && break; sleep 0.5; done
# The server never closes: nc is ended by timeout once the reply is in.
reply=$(echo "hello over a tap" | timeout 5 nc 10.9.0.2 7)
if [ "$reply" != "hello over a tap" ] && [ $1 != spore-kvm ]; then
	cat /tmp/mon.out > /tmp/mon.log & cat=$!
	for c in "info pic" "info lapic" "info irq"; do echo "$c" > /tmp/mon.in; sleep 1; done
	kill $cat
fi
kill $(cat /tmp/server.pid); wait $pid    # the server, then its runner
tunctl -d tap0 > /dev/null    # the next run makes its own
cat /tmp/echo.out
# the monitor's echo of each command is line-editing noise: only its answers
[ -s /tmp/mon.log ] && tr -d '\r' < /tmp/mon.log | grep -v -e '^(qemu)' -e 'masked fixed' -e '^ *$'
echo "reply: $reply"
[ "$reply" = "hello over a tap" ]
