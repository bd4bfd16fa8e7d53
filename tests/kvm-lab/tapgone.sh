#!/bin/sh
# SPDX-License-Identifier: MIT
# The tap deleted under a running guest on spore-kvm's virtio path (the I/O thread
# owns it): the monitor must end the guest with its one line and status 253, not
# spin or hang. Prints the status and the monitor's output.
tunctl -t tap0 > /dev/null && ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
build/spore-kvm --timeout=30 --net=tap0 build/apps/echo.elf ip=10.9.0.2/24 -- 7 > /tmp/gone.out 2>&1 &
pid=$!
for i in $(seq 60); do grep -q listening /tmp/gone.out && break; sleep 0.5; done
ping -c 1 -W 5 10.9.0.2 > /dev/null || echo "no ping reply before the delete"
ip link del tap0
wait $pid
echo "status: $?"
cat /tmp/gone.out
