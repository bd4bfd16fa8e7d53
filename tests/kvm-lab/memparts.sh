#!/bin/sh
# SPDX-License-Identifier: MIT
# Where a networked spore-kvm instance's memory goes, in the lab's L1
# (docs/density.md): N taps alone, then N httpd guests on them; after each,
# the page cache dropped, MemAvailable's drop per instance and /proc/meminfo's
# kernel parts. Trusts L1's /proc.
#   tests/kvm-lab/memparts.sh [N]   (default 200; files: spore-kvm, httpd.elf, root.tar)
n=${1:-200}
avail() { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2; awk '/MemAvailable/ { print $2 }' /proc/meminfo; }
parts() { awk '/^(Slab|KernelStack|PageTables|AnonPages|Shmem):/ { printf "%s %s ", $1, $2 } END { print "" }' /proc/meminfo; }
ip link set lo up
a0=$(avail); parts
i=0; while [ $i -lt $n ]; do tunctl -t t$i > /dev/null; ip link set t$i up; i=$((i + 1)); done
a1=$(avail); parts
echo "taps: $(((a0 - a1) / n)) KiB each"
i=0
while [ $i -lt $n ]; do
	build/spore-kvm --mem=16M --net=t$i --mac=02:00:00:00:$(printf %02x:%02x $((i / 256)) $((i % 256))) \
		--initrd=build/density-lab/root.tar build/apps/httpd.elf ip=10.8.$((i / 250)).$((i % 250 + 2))/16 -- -p 80 \
		> /dev/null 2>&1 &
	i=$((i + 1)); sleep 0.2
done
sleep 20
echo "running: $(pidof spore-kvm | wc -w) of $n"
a2=$(avail); parts
echo "guests on a tap: $(((a1 - a2) / n)) KiB each (the taps counted above)"
grep -E '^(kvm_vcpu|kvm_mmu_page_header|task_struct) ' /proc/slabinfo | awk '{ print $1, $2, $4 }'
killall spore-kvm; sleep 3
