#!/bin/sh
# SPDX-License-Identifier: MIT
# Where a launch goes, as counts, from L1's tracepoints (kvm_amd lab, run.sh):
# each COMMAND run N times with the kvm and raw_syscalls events on, then per
# run: the guest's exits by reason (every one, in-kernel ones too, which
# spore-kvm --stats cannot see), its nested page faults and the distinct guest
# pages they hit, the monitor's own page faults, and times from the trace
# clock (the first KVM_RUN, the guest running, L1's exit handling): times are
# the lab's and inflated by tracing; the counts carry over.
#   tests/kvm-lab/launchtrace.sh N COMMAND...   (each COMMAND one word list, quoted)
# LIST=1: also each run's guest pages in the order first faulted.
# e.g. launchtrace.sh 3 build/bench/kvm-floor 'build/spore-kvm build/tests/guest/exit7.elf'
n=$1; shift
T=/sys/kernel/tracing L=build/tests/kvm-lab/launch
[ -d $T/events ] || mount -t tracefs nodev $T || exit 2
echo 8192 > $T/buffer_size_kb
for e in kvm/kvm_entry kvm/kvm_exit kvm/kvm_page_fault kvm/kvm_userspace_exit kvm/kvm_pio \
	kvm/kvm_msr kvm/kvm_cpuid raw_syscalls/sys_enter raw_syscalls/sys_exit exceptions/page_fault_user \
	sched/sched_process_exit; do
	echo 1 > $T/events/$e/enable || exit 2
done
for i in $(seq $n); do   # rounds, the commands interleaved
	for cmd in "$@"; do
		echo > $T/trace
		echo 1 > $T/tracing_on
		w=$($L -q $cmd)   # WALL_NS RSS STATUS
		st=${w##* }
		echo 0 > $T/tracing_on
		# The monitor's events (its task name: the binary's, cut to 15) and
		# the launcher's fork and wait4, which bound what launch.sh times.
		c=$(basename "${cmd%% *}" | cut -c1-15)
		awk -v c="$c" -v run="${cmd##*/} $i status $st wall ${w%% *}" '
		function ts() { for (f = 1; f <= NF; f++) if ($f ~ /^[0-9]+\.[0-9]+:$/) return substr($f, 1, length($f) - 1) + 0 }
		function after(w,   f) { for (f = 1; f < NF; f++) if ($f == w) return $(f + 1) }
		index($1, "launch-") == 1 && / sys_enter: NR (56|57|435) / && !tf { tf = ts() }  # clone, fork, clone3
		index($1, "launch-") == 1 && / sys_exit: NR 61 / { tw = ts() }                    # wait4
		index($1, c "-") != 1 { next }
		{ t = ts() }
		/ sys_enter: NR 59 / && !t0 { t0 = t }                  # execve
		/ sys_enter: NR 231 / { tg = t }                        # exit_group
		/ sched_process_exit: / { tm = t }                      # after exit_mm
		/ sys_enter: / { nr = after("NR"); en[nr] = t }
		/ sys_exit: / { nr = after("NR"); if (nr in en) { st[nr] += t - en[nr]; sn[nr]++; delete en[nr] } }
		/ sys_enter: NR 16 \(.*, ae80,/ { if (!r0) r0 = t; inrun = 1 }
		/ sys_exit: NR 16 / && inrun { inrun = 0; if (!r1) r1 = t }
		/ page_fault_user: / { hostpf++ }
		/ kvm_entry: / { te = t; if (tx) handle += t - tx; tx = 0 }
		/ kvm_exit: / { why = after("reason"); ex[why]++; nex++; if (te) guest += t - te; te = 0; tx = t
			if (!r1) first++ }
		/ kvm_page_fault: / { a = after("address"); sub(/^0x/, "", a); pg = substr(a, 1, length(a) - 3)
			if (!(pg in seen)) { npg++; order = order " " pg ":" after("error_code") }
			else if (seen[pg] == 1) again = again " " pg ":" after("error_code") " (first at rip " frip[pg] ")"
			if (!(pg in seen)) frip[pg] = after("rip")
			seen[pg]++; npf++ }
		/ kvm_userspace_exit: / { ue++ }
		/ kvm_cpuid: / { cpuid++ }
		/ kvm_msr: / { msr++ }
		END {
			s = ""; for (w in ex) s = s " " w " " ex[w]
			printf "run %s: %d exits (%d in the first KVM_RUN):%s; %d nested page faults on %d distinct guest pages; %d to user space, cpuid %d, msr %d; %d monitor page faults\n",
				run, nex, first, s, npf, npg, ue, cpuid, msr, hostpf
			printf "time %s: fork to wait4 %.2f ms: fork to exec %.2f, exec to the first KVM_RUN %.2f, from it to exit_group %.2f, exit_mm %.2f, the rest of the exit %.2f; the first KVM_RUN %.2f, guest running %.2f, L1 handling exits %.2f\n",
				run, (tw - tf) * 1e3, (t0 - tf) * 1e3, (r0 - t0) * 1e3, (tg - r0) * 1e3, (tm - tg) * 1e3, (tw - tm) * 1e3,
				(r1 - r0) * 1e3, guest * 1e3, handle * 1e3
			s = ""; for (nr in st) if (st[nr] > 0.0002) s = s sprintf(" %s:%dx%.2f", nr, sn[nr], st[nr] * 1e3)
			printf "syscalls %s (NR:count x ms, those over 0.2 ms):%s\n", run, s
			if (pages) printf "pages %s (guest page: first error code):%s; again:%s\n", run, order, again
		}' pages="${LIST:-}" $T/trace
	done
done
for e in $T/events/*/enable; do echo 0 > $e; done
