#!/bin/sh
# SPDX-License-Identifier: MIT
# Echo throughput over a tap inside the lab's L1, through one of spore-kvm's two
# device paths: build/apps/echo.elf on tap0 as 10.9.0.2, echoflood (a static client,
# built as build/echoflood) sends BYTES from 10.9.0.1 and checks the echo byte for
# byte; then the monitor's --stats (on SIGTERM) and the exits per MiB moved, which
# must be at most MAX when given (""; none), and the guest's kicks per MiB at most
# KICKS (virtio; "": not judged): the I/O thread looks for the guest's answer itself
# (monitor/iothread.c), so the guest kicks only when that did not find it; with KICKS
# also its bare frames (ACKs alone) per MiB at most 8: lwIP's immediate ACK rides in
# the answer's frame (drivers/virtio_net.c vnet_flush; ~12 a MiB without). OPTS: more
# guest kernel options (offload=0: measure without offloads). SPORE_KVM, ECHO_ELF:
# another build's, to compare. MTU: the tap's (virtio-net's F_MTU says it to the guest,
# whose TCP then sends segments of MTU - 40 bytes: echoflood prints the largest).
#   tests/kvm-lab/echoflood.sh virtio|hypercall [BYTES [MAX [OPTS [KICKS]]]]   (default 4 MiB)
io=$1 bytes=${2:-4194304} max=${3:-} opts=${4:-} kmax=${5:-}
kvm=${SPORE_KVM:-build/spore-kvm} elf=${ECHO_ELF:-build/apps/echo.elf}
case $io in virtio|hypercall) ;; *) echo "usage: echoflood.sh virtio|hypercall [BYTES]" >&2; exit 2 ;; esac
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 mtu ${MTU:-1500} &&
	ip link set tap0 up || exit 2
$kvm --stats --io=$io --timeout=100 --net=tap0 $elf ip=10.9.0.2/24 $opts -- 7 \
	> /tmp/flood.out 2>&1 &
pid=$!
for i in $(seq 60); do grep -q listening /tmp/flood.out && break; sleep 0.5; done
# KVM's own counts over the flood (every exit, including those the host kernel
# handles: ioeventfd kicks, hlt, the LAPIC timer's MSR, EOI), from debugfs: they
# explain the time where the monitor's --stats see nothing.
k=/sys/kernel/debug/kvm
[ -d $k ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
stats="exits halt_exits irq_exits io_exits mmio_exits irq_injections irq_window_exits halt_wakeup"
kvm() { for s in $stats; do cat $k/$s 2> /dev/null || echo 0; done; }
before=$(kvm)
build/tests/kvm-lab/echoflood 10.9.0.2 7 $bytes; rc=$?
after=$(kvm)
echo $stats | awk -v b="$before" -v a="$after" -v n=$bytes '{ split(b, x, " "); split(a, y, " ")
	printf "kvm per MiB:"; for (i = 1; i <= NF; i++) printf " %s %.1f", $i, (y[i] - x[i]) * 1048576 / n; print "" }'
kill $pid; wait $pid
tunctl -d tap0 > /dev/null
cat /tmp/flood.out
# exits per MiB of payload (each byte goes in and comes back: BYTES is the payload)
per=$(awk -v b=$bytes '/^spore-kvm: exits: / { sub(":", "", $3); printf "%.1f", $3 * 1048576 / b }' /tmp/flood.out)
echo "exits per MiB: ${per:-MISSING}${max:+ (at most $max)}"
kicks=$(awk -v b=$bytes '/^spore-kvm: virtio: / { printf "%.1f", $3 * 1048576 / b }' /tmp/flood.out)
[ -z "$kmax" ] || echo "kicks per MiB: ${kicks:-MISSING} (at most $kmax)"
bare=$(sed -n 's/^spore-kvm: virtio-net: .* from it [0-9]* ([0-9]* as GSO) of [0-9]* bytes, \([0-9]*\) bare.*/\1/p' /tmp/flood.out |
	awk -v b=$bytes '{ printf "%.1f", $1 * 1048576 / b }')
[ -z "$kmax" ] || echo "bare frames from the guest per MiB: ${bare:-MISSING} (at most 8)"
[ $rc = 0 ] || exit $rc
[ -z "$max" ] || awk -v p="${per:-1e9}" -v m="$max" 'BEGIN { exit !(p <= m) }' || exit 1
[ -z "$kmax" ] || awk -v p="${kicks:-1e9}" -v m="$kmax" 'BEGIN { exit !(p <= m) }' || exit 1
[ -z "$kmax" ] || awk -v p="${bare:-1e9}" 'BEGIN { exit !(p <= 8) }'

