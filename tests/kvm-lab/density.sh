#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/density inside the lab's L1 (docs/density.md, bench/density-lab brings the
# tools): spore-kvm on ordinary KVM (kvm_amd, ring 0, virtio-mmio net), runc
# containers and plain processes of the Linux httpd, K of each in one boot. Sets up
# what busybox's /init does not (cgroup2 with the memory controller, /run), then
# prints the harness's output and its results.json, gzipped and base64'd between
# @@results lines (the console is the only way out of L1).
#   tests/kvm-lab/density.sh K [bench/density ARGS...] [--profile-at K1,K2,...]
# --profile-at: right after the harness reports step Ki, a system-wide perf profile
# (cpu-clock every 4 ms, 30 s) of the starts that follow, its top lines on the
# output as "density-profile Ki ..." (by command, and by symbol): where L1's CPU
# goes at the k-th start against the first (bench/density-lab brings perf); then as
# "density-split Ki ..." the same samples split into those inside a start and the
# rest (the harness's --starts-log; tests/kvm-lab/profsplit.py). The summaries come
# after the harness is done, not beside its starts.
k=$1; shift
prof="" args=""
while [ $# -gt 0 ]; do   # --profile-at is ours, anywhere; the rest (no spaces in them) the harness's
	case $1 in
	--profile-at) prof=$(echo "${2:-}" | tr , ' '); shift 2 || shift ;;
	*) args="$args $1"; shift ;;
	esac
done
set -- $args
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # iproute2's ip before busybox's
mkdir -p /run /var /sys/fs/cgroup && ln -sfn /run /var/run   # as on a distribution: ip netns uses either
mount -t cgroup2 none /sys/fs/cgroup && echo +memory +pids > /sys/fs/cgroup/cgroup.subtree_control ||
	echo "density-lab: no cgroup2 with memory: memory by MemAvailable and PSS only"
ulimit -n 1048576 2> /dev/null || ulimit -n 65536
# KVM makes a kernel thread per VM (kvm-nx-lpage-recovery) for the iTLB multihit
# mitigation, even where the CPU is not affected (the lab's AMD CPU: the mitigation is
# off, the thread is not). "never" (sticky, before any VM) makes none: ~100 KiB less
# per instance by MemAvailable in the lab (docs/density.md). Only where the kernel says
# the CPU is not affected; a host user does the same by kvm.nx_huge_pages=never.
nx=/sys/module/kvm/parameters/nx_huge_pages
if [ "$(cat /sys/devices/system/cpu/vulnerabilities/itlb_multihit 2> /dev/null)" = "Not affected" ] &&
	[ -w $nx ] && echo never > $nx 2> /dev/null; then
	echo "density-lab: kvm.nx_huge_pages=never (CPU not affected by iTLB multihit)"
fi
# Each spore-kvm is 2-3 tasks (vCPU, I/O thread): 10,000 of them pass Linux's
# default kernel.pid_max of 32768 on a machine this small. L1 is the run's own
# machine: raise it (4194304, the 64-bit maximum) as a host user would by sysctl.
echo 4194304 > /proc/sys/kernel/pid_max 2> /dev/null &&
	echo "density-lab: kernel.pid_max=$(cat /proc/sys/kernel/pid_max), threads-max=$(cat /proc/sys/kernel/threads-max)"
record() {   # record K: after the step's line, 30 s of perf into /tmp/prof.K
	local k=$1 d=/tmp/prof.$1
	until grep -q "^density: spore-kvm k=$k " /tmp/density.log 2> /dev/null; do
		[ -f /tmp/density.st ] && return
		sleep 2
	done
	# CLOCK_MONOTONIC timestamps: the harness's --starts-log uses the same clock.
	perf record -N -q -k CLOCK_MONOTONIC -a -g -e cpu-clock -c 4000000 -o $d -- sleep 30 > /dev/null 2>&1 ||
		{ echo "density-profile $k: perf record failed"; rm -f $d; }
}
# The summaries once the harness is done: perf's report takes minutes of L1's one
# CPU, and run beside the starts after the window it slowed them (the last ten of a
# run profiled at K = 9000 among them).
profile() {   # profile K: the summary of /tmp/prof.K
	local k=$1 d=/tmp/prof.$1
	[ -f $d ] || return
	perf report -i $d --stdio --no-children -g none --sort comm -q 2> /dev/null | grep . | head -12 |
		sed "s/^/density-profile $k comm /"
	perf report -i $d --stdio --no-children -g none --sort sym -q 2> /dev/null | grep . | head -40 |
		sed "s/^/density-profile $k sym /"
	echo "density-profile $k samples $(perf script -i $d -F comm 2> /dev/null | wc -l)"
	# The same samples split into those inside a start and the rest, with the callers
	# of the walks run L10 named (tests/kvm-lab/profsplit.py, docs/density.md).
	perf script -i $d -F comm,time,ip,sym 2> /dev/null | python3 tests/kvm-lab/profsplit.py \
		"density-split $k" /tmp/density.starts neigh_flush_dev notifier_chain_register \
		irq_bypass_register_consumer
	rm -f $d
}
if [ -n "$prof" ]; then
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
	rm -f /tmp/density.log /tmp/density.st /tmp/density.starts
	set -- --starts-log /tmp/density.starts "$@"
	for p in $prof; do record $p; done &
	recorder=$!
fi
# The harness gets SIGTERM (it cleans up) half a minute before /init's KILL; its
# lines go to the console as they come too (a long run can be watched there).
{
	timeout -s TERM -k 10 $((${LAB_CMD_TIMEOUT:-120} - 30)) \
		python3 bench/density -k "$k" --root-tar build/density-lab/root.tar --out /tmp/density "$@"
	echo $? > /tmp/density.st
} 2>&1 | tee /tmp/density.log /dev/console
st=$(cat /tmp/density.st)
if [ -n "$prof" ]; then
	wait $recorder
	for p in $prof; do profile $p; done
fi
# Nothing of the run's left: namespaces, instances, containers.
tag=$(sed -n 's/^density: names start with //p' /tmp/density.log)
# busybox sh runs its own applets before PATH's: name iproute2's ip by its path.
ip=$(ls /usr/sbin/ip /usr/bin/ip /sbin/ip 2> /dev/null | head -1)
left=$(( $($ip netns list | grep -c "^${tag:-none}") + $(pidof spore-kvm httpd | wc -w) +
	$(runc list -q 2> /dev/null | grep -c "^${tag:-none}") ))
[ -n "$tag" ] && [ $left = 0 ] && echo "density-lab: nothing left behind" ||
	{ echo "density-lab: $left namespaces, instances or containers of ${tag:-the run} left behind"; st=1; }
echo "@@results-begin"
[ -f /tmp/density/results.json ] && gzip -c /tmp/density/results.json | base64
echo "@@results-end"
exit $st
