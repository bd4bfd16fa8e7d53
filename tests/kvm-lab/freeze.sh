#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole VM stopped in the middle of disk requests (docs/reliability.md, "A VM
# stopped mid-request"): SIGSTOP of spore-kvm for longer than virtio-blk's 10 s, then
# SIGCONT; the guest's TSC runs on meanwhile, so its clock jumps. The disk must work on.
#   tests/kvm-lab/freeze.sh IMAGE STOPS SECONDS     (IMAGE: tests/guest/diskloop.c)
# Prints the guest's output and one verdict line; status 0 only when every block came
# back right, the driver never gave up, and a stop caught a request unanswered.
img=$1 stops=$2 len=$3 out=/tmp/freeze.out
# The stop is spent busy, not asleep: an idle L1 sometimes misses its timer interrupt
# and sleeps on until the lab's watchdog wakes it 20 s later (docs/boot.md).
cs() { read -r u _ < /proc/uptime && u=${u%.*}${u#*.}; } # centiseconds of L1's uptime
spin() { cs && end=$((u + $1 * 100)) && while cs && [ $u -lt $end ]; do :; done; }
state() { read -r s 2> /dev/null < /proc/$pid/task/$io/stat && set -- $s && io_state=$3; }
# L1's own stalls, as its kernel reports them (the soft-lockup and RCU watchdogs).
stalls() { dmesg | grep -c 'soft lockup\|rcu.*stall'; }

once() {
	dd if=/dev/zero of=/tmp/freeze.img bs=1M count=1 2> /dev/null || exit 2
	# The guest runs until we write "stop" to the disk's last sector (diskloop.c's
	# MARK), at most 150 of its seconds: its clock runs on through each stop.
	build/spore-kvm --stats --timeout=170 --disk=/tmp/freeze.img "$img" -- 150 > $out 2>&1 &
	pid=$!
	cs && t0=$u
	for i in $(seq 60); do grep -q '^diskloop: started' $out && break; sleep 0.5; done
	# Which thread runs first after SIGCONT decides whether the old timeout loop gives
	# up: the vCPU thread, whose guest finds no answer and its clock 11 s on, or the I/O
	# thread (monitor/iothread.c), which answers first. On L1's one CPU, CFS picked the
	# I/O thread (it runs little, so it wakes left of the vCPU thread): the old loop
	# survived 6 of 6 such stops. As SCHED_IDLE for 0.5 s before the stop, it builds a
	# lead of virtual time (each ms it runs counts 341) and wakes after the vCPU thread,
	# the order a busy host or another CPU can give. Only around each stop: kept
	# SCHED_IDLE, a long run charged to it starved it for 10 s of the guest's polling.
	# Found as the one thread of policy 3 (SCHED_BATCH, its own choice).
	io=""
	for t in /proc/$pid/task/*; do
		[ "$(awk '{ print $41 }' $t/stat)" = 3 ] && io=${t##*/}
	done
	[ -n "$io" ] || echo "freeze: no I/O thread found"
	caught=0
	for i in $(seq "$stops"); do
		sleep 0.$i
		kill -0 $pid 2> /dev/null || break # the guest ended already (gave up?)
		chrt -i -p 0 $io && sleep 0.5
		# A stop when the I/O thread is runnable (R; we run on the one CPU, so it is
		# not running): the guest kicked, and its request waits to be served. Bounded
		# by 20 s of L1's uptime.
		io_state="" j=0
		cs && end=$((u + 2000))
		while state && [ "$io_state" != R ] && cs && [ $u -lt $end ]; do j=$((j + 1)); done
		kill -STOP $pid 2> /dev/null || break
		# The stop counts only once the process is seen stopped (T): one that was
		# already ending (stop 34's second CI run: the guest had run its whole time,
		# and the stop found it exiting) stops nothing.
		ps=""
		for k in $(seq 50); do
			read -r s 2> /dev/null < /proc/$pid/stat && set -- $s && ps=$3
			[ "$ps" = T ] && break
			sleep 0.01
		done
		cs && at=$(((u - t0) / 100))
		if [ "$io_state" = R ] && [ "$ps" = T ]; then
			caught=$((caught + 1))
			echo "freeze: stop $i caught a request unanswered"
		fi
		echo "freeze: stop $i at ${at} s (I/O thread ${io_state:-gone} after $j looks, process ${ps:-gone})"
		spin "$len"
		kill -CONT $pid
		sleep 0.5 # the guest has looked at its ring by now
		chrt -b -p 0 $io 2> /dev/null
	done
	printf stop | dd of=/tmp/freeze.img bs=512 seek=2047 conv=notrunc 2> /dev/null
	wait $pid
	st=$?
	cat $out
	inside=$(sed -n 's/^diskloop ok: .*; \([0-9]*\) stops inside a request.*/\1/p' $out)
	if [ $st != 0 ]; then echo "freeze: FAIL: guest status $st"
	elif grep -q '^spore: virtio-blk: ' $out; then echo "freeze: FAIL: the driver gave up the disk"
	elif [ "${inside:-0}" = 0 ] || [ $caught = 0 ]; then
		echo "freeze: FAIL: no stop caught a request (proved nothing)"
		return 3
	else
		echo "freeze: the disk worked on through $stops stops of $len s, $caught with a request unanswered"
		return 0
	fi
	return 1
}

# A run during which L1 itself stalled (the emulator's lost timer interrupt) is run once
# more, and says so: without L1's tick the polling vCPU thread starves the I/O thread
# and even the fixed driver gives up, with or without our stops (docs/reliability.md).
# So is a run that proved nothing: the guest saw no stop inside a request (seen once,
# stop 34's second CI run: the stop caught the I/O thread runnable, yet the guest's
# clock never jumped and SIGCONT found no process: the guest had run its whole 90 s
# and was exiting; a stop now counts only on a stopped process, and each stop says
# when it came). A disk that failed is never run again.
s0=$(stalls)
once
r=$?
[ $r = 0 ] && exit 0
if [ $r = 3 ]; then
	echo "freeze: that run proved nothing (no stop inside a request); once more"
elif [ "$(stalls)" = "$s0" ]; then
	exit 1
else
	echo "freeze: L1 stalled during that run ($(dmesg | grep 'soft lockup\|rcu.*stall' | tail -1)); once more"
fi
once
