#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/density inside the lab's L1 (docs/density.md, bench/density-lab brings the
# tools): spore-kvm on ordinary KVM (kvm_amd, ring 0, virtio-mmio net), runc
# containers and plain processes of the Linux httpd, K of each in one boot. Sets up
# what busybox's /init does not (cgroup2 with the memory controller, /run), then
# prints the harness's output and its results.json, gzipped and base64'd between
# @@results lines (the console is the only way out of L1).
#   tests/kvm-lab/density.sh K [bench/density ARGS...]
k=$1; shift
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # iproute2's ip before busybox's
mkdir -p /run /var /sys/fs/cgroup && ln -sfn /run /var/run   # as on a distribution: ip netns uses either
mount -t cgroup2 none /sys/fs/cgroup && echo +memory +pids > /sys/fs/cgroup/cgroup.subtree_control ||
	echo "density-lab: no cgroup2 with memory: memory by MemAvailable and PSS only"
ulimit -n 1048576 2> /dev/null || ulimit -n 65536
# The harness gets SIGTERM (it cleans up) a minute before /init's KILL.
# Its lines go to the console as they come too (a long run can be watched there).
{
	timeout -s TERM -k 20 $((${LAB_CMD_TIMEOUT:-120} - 60)) \
		python3 bench/density -k "$k" --root-tar build/density-lab/root.tar --out /tmp/density "$@"
	echo $? > /tmp/density.st
} 2>&1 | tee /dev/console
st=$(cat /tmp/density.st)
echo "@@results-begin"
[ -f /tmp/density/results.json ] && gzip -c /tmp/density/results.json | base64
echo "@@results-end"
exit $st
