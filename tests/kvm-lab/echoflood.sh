#!/bin/sh
# SPDX-License-Identifier: MIT
# Echo throughput over a tap inside the lab's L1, through one of spore-kvm's two
# device paths: build/apps/echo.elf on tap0 as 10.9.0.2, echoflood (a static client,
# built as build/echoflood) sends BYTES from 10.9.0.1 and checks the echo byte for
# byte; then the monitor's --stats (on SIGTERM) and the exits per MiB moved.
#   tests/kvm-lab/echoflood.sh virtio|hypercall [BYTES]   (default 4 MiB)
io=$1 bytes=${2:-4194304}
case $io in virtio|hypercall) ;; *) echo "usage: echoflood.sh virtio|hypercall [BYTES]" >&2; exit 2 ;; esac
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
build/spore-kvm --stats --io=$io --timeout=100 --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 -- 7 \
	> /tmp/flood.out 2>&1 &
pid=$!
for i in $(seq 60); do grep -q listening /tmp/flood.out && break; sleep 0.5; done
build/echoflood 10.9.0.2 7 $bytes; rc=$?
kill $pid; wait $pid
tunctl -d tap0 > /dev/null
cat /tmp/flood.out
# exits per MiB of payload (each byte goes in and comes back: BYTES is the payload)
awk -v b=$bytes '/^spore-kvm: exits: / { sub(":", "", $3); printf "exits per MiB: %.1f\n", $3 * 1048576 / b }' /tmp/flood.out
exit $rc
