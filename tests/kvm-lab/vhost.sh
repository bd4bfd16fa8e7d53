#!/bin/sh
# SPDX-License-Identifier: MIT
# spore-kvm --vhost in the lab's L1: virtio-net's queues served by the kernel's
# vhost-net (monitor/vhost.c), with the modules tap, vhost_iotlb, vhost and vhost_net
# from the lab kernel's package (build/kvm-lab/modules-extra, kept by
# tests/kvm-lab/build.sh). Each case bounded; the tap made and deleted here.
#   tests/kvm-lab/vhost.sh refused   no /dev/vhost-net (module out): one line, 249
#   tests/kvm-lab/vhost.sh echo      a line echoed; --stats names the data path
#   tests/kvm-lab/vhost.sh reset     build/tests/kvm-lab/vhostreset: a fake guest's device
#                                    up, reset, up again, a ring outside RAM refused
#   tests/kvm-lab/vhost.sh flood BYTES MAX [OPTS]   echoflood.sh with --vhost
#   tests/kvm-lab/vhost.sh httpd ROOT SECONDS       httpdwrk.sh with --vhost
M=build/kvm-lab/modules-extra
load() {
	for m in tap vhost_iotlb vhost vhost_net; do
		insmod $M/$m.ko 2> /dev/null || grep -q "^$m " /proc/modules || { echo "insmod $m failed"; exit 2; }
	done
	[ -c /dev/vhost-net ] || { echo "no /dev/vhost-net after insmod"; exit 2; }
}
case $1 in
refused)
	rmmod vhost_net 2> /dev/null
	tunctl -t tap0 > /dev/null || exit 2
	timeout 30 build/spore-kvm --timeout=20 --vhost --net=tap0 build/apps/echo.elf -- 7; echo "status $?"
	timeout 30 build/spore-kvm --vhost --io=hypercall --net=tap0 build/apps/echo.elf -- 7; echo "status $?"
	tunctl -d tap0 > /dev/null ;;
echo)
	load
	tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
	build/spore-kvm --stats --timeout=60 --vhost --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 -- 7 \
		> /tmp/vecho.out 2>&1 &
	pid=$!
	for i in $(seq 60); do grep -q listening /tmp/vecho.out && break; sleep 0.5; done
	reply=$(echo "hello over vhost-net" | timeout 5 nc 10.9.0.2 7)
	kill $pid; wait $pid
	tunctl -d tap0 > /dev/null
	cat /tmp/vecho.out
	echo "reply: $reply"
	[ "$reply" = "hello over vhost-net" ] ;;
reset)
	load
	# no address and no IPv6 on the link: only the test's frames cross it
	tunctl -t vr0 > /dev/null || exit 2
	echo 1 > /proc/sys/net/ipv6/conf/vr0/disable_ipv6 2> /dev/null
	ip link set vr0 up || exit 2
	timeout 60 build/tests/kvm-lab/vhostreset vr0; rc=$?
	tunctl -d vr0 > /dev/null
	exit $rc ;;
flood)
	load
	SPORE_KVM="build/spore-kvm --vhost" sh tests/kvm-lab/echoflood.sh virtio $2 $3 "${4:-}" ;;
httpd)
	load
	SPORE_KVM="build/spore-kvm --vhost" sh tests/kvm-lab/httpdwrk.sh $2 $3 ;;
*) echo "usage: vhost.sh refused|echo|reset|flood BYTES MAX [OPTS]|httpd ROOT SECONDS" >&2; exit 2 ;;
esac
