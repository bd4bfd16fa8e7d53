#!/bin/sh
# SPDX-License-Identifier: MIT
# How long chosen kernel functions take in a launch, from L1's function_graph
# tracer (kvm_amd lab, run.sh): each COMMAND run N times under bench/launch.c,
# rounds interleaved, and per run each traced call: the task, the function, its
# duration with the time it slept (e.g. kthread_stop of the VM's
# kvm-nx-lpage-recovery thread, and the cgroup moves that thread makes).
# Times are the lab's and inflated by tracing: compare runs of one boot.
#   tests/kvm-lab/launchfuncs.sh N "FUNCTION..." COMMAND...   (each COMMAND quoted)
# e.g. launchfuncs.sh 3 "kthread_stop cgroup_attach_task_all rcu_sync_enter" build/bench/kvm-floor
n=$1 funcs=$2; shift 2
T=/sys/kernel/tracing L=build/tests/kvm-lab/launch
[ -d $T/events ] || mount -t tracefs nodev $T || exit 2
echo 0 > $T/tracing_on
echo 8192 > $T/buffer_size_kb
: > $T/set_ftrace_filter
for f in $funcs; do   # each alone: one the kernel cannot trace (inlined) is named, then skipped
	echo $f >> $T/set_ftrace_filter 2> /dev/null || echo "launchfuncs.sh: $f cannot be traced: skipped"
done
# an empty filter would trace every function
grep -q . $T/set_ftrace_filter || { echo "launchfuncs.sh: none of $funcs can be traced"; exit 2; }
echo function_graph > $T/current_tracer || exit 2
for o in funcgraph-proc funcgraph-tail sleep-time; do echo 1 > $T/options/$o || exit 2; done
for i in $(seq $n); do
	for cmd in "$@"; do
		echo > $T/trace
		echo 1 > $T/tracing_on
		w=$($L -q $cmd)   # WALL_NS RSS STATUS
		echo 0 > $T/tracing_on
		# " 0)  task-pid  |  1234.567 us  |  } /* name */" or "... |  name();";
		# a duration over 10 us carries a marker (+ ! # * @ $) before it.
		awk -v run="${cmd##*/} $i status ${w##* } wall ${w%% *}" '
		{ name = ""
		  if (match($0, /\/\* [A-Za-z0-9_.]+ \*\//)) name = substr($0, RSTART + 3, RLENGTH - 6)
		  else if (match($0, /[A-Za-z0-9_.]+\(\);/)) name = substr($0, RSTART, RLENGTH - 3)
		  if (name == "" || !match($0, /[0-9]+\.[0-9]+ us/)) next
		  d = substr($0, RSTART, RLENGTH - 3) / 1000
		  split($0, p, "|"); task = p[1]; sub(/^ *[0-9]+\) */, "", task); sub(/ *$/, "", task)
		  s = s sprintf(" %s:%s %.2f", task, name, d) }
		END { printf "funcs %s (task:function ms):%s\n", run, s }' $T/trace
	done
done
echo nop > $T/current_tracer
: > $T/set_ftrace_filter
