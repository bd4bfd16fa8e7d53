#!/bin/sh
# SPDX-License-Identifier: MIT
# Where L1's one CPU spends a unit of work, from a system-wide perf profile in the lab
# (tests/kvm-lab/bench.sh profile, BENCH_LAB_PROFILE=1; docs/network.md, "Where a MiB of
# echo goes"). Trusts perf's output and the symbol file; reads nothing of the guest.
#   profile.sh record DATA CLIENT...        perf record -a -g of cpu-clock while CLIENT runs
#   profile.sh report DATA UNITS PID [SYMS] the split per unit, in ms of L1's CPU
# TCG has no PMU: cpu-clock (an hrtimer) samples every PERIOD ns (PROFILE_PERIOD, 4 ms: at
# 0.5 ms perf slowed the Linux process's echo by a third, spore-kvm's not at all).
# A sample taken while L1 ran an L2 guest (KVM's perf callbacks after a #VMEXIT(INTR))
# carries the guest's RIP: spore's guests are identity-mapped, so SYMS ("ADDR NAME", sorted,
# from nm -n of the guest's ELF) names it. Host samples are charged by who ran (PID: the
# server; its main thread is spore-kvm's vCPU thread, the others its I/O thread) and, in
# L1's kernel, by the nearest frame of the call chain that names a part (tap, TCP/IP, ...).
# Output, per unit: "part WHO|WHAT|MS|PCT", then "fn WHO NAME MS" (the top functions).
set -u
period=${PROFILE_PERIOD:-4000000}
cmd=${1:-} data=${2:-}
[ -n "$data" ] && [ $# -ge 3 ] || { echo "usage: profile.sh record DATA CLIENT... | report DATA UNITS PID [SYMS]" >&2; exit 2; }
shift 2
case $cmd in
record)
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
	# -N: no build-id cache (L1's / is a tmpfs of the initrd)
	perf record -N -q -a -g -e cpu-clock -c $period -o "$data" -- "$@"
	;;
report)
	units=$1 pid=$2 syms=${3:-}
	# guest samples (perf kvm --guest): by RIP, counted; named below from SYMS
	perf kvm --guest report -i "$data" --stdio -n --no-children -g none --sort sym -t '	' 2> /dev/null |
		awk -F'\t' '{ for (i = 1; i <= NF; i++) if ($i ~ /^\[g\] 0x/) { sub(/^\[g\] 0x/, "", $i); print $i, $2 + 0 } }' > "$data.guest"
	# host samples with their call chains: one block a sample, "comm pid/tid", then frames
	perf script -i "$data" -F comm,pid,tid,ip,sym,dso 2> /dev/null | awk -v pid=$pid -v units=$units \
		-v ms=$(awk -v p=$period 'BEGIN { print p / 1e6 }') -v syms="$syms" -v guest="$data.guest" '
	# busybox awk has no strtonum
	function hex(h,   i, v) { v = 0; h = tolower(h); for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
	# the part of L1 a kernel frame belongs to (the first one named, from the leaf up)
	function part(f) {
		if (f ~ /^(svm_|kvm_|vcpu_|x86_emulate|emulator_|handle_exit|__kvm|kvm_vcpu|apic_|lapic_|kvm_set_msi|ioapic_)/ ||
		    f ~ /^(irqfd_|ioeventfd_|vmx_|nested_svm)/) return "KVM/SVM"
		if (f ~ /^(tun_|tap_)/) return "tap"
		if (f ~ /^(eventfd_|ep_|do_epoll|__x64_sys_epoll|__x64_sys_eventfd)/) return "epoll/eventfd"
		# generic helpers (skb_*, sock_alloc_send_pskb, copies, page allocation) name no
		# part: the copy of a tap write into its skb is the tap, that of a recv TCP
		if (f ~ /^(tcp_|__tcp_|ip_|ipv4_|__ip_|inet_|__inet|net_rx|__netif|netif_|napi_|__napi|dev_|__dev_|veth_|process_backlog|__sys_sendto|__sys_recvfrom|sock_sendmsg|sock_recvmsg|__sock_sendmsg|release_sock|lock_sock|neigh_|raw_v4|__x64_sys_sendto|__x64_sys_recvfrom|__x64_sys_send|__x64_sys_recv)/) return "TCP/IP"
		if (f ~ /^(__schedule|schedule|finish_task_switch|try_to_wake_up|pick_next|enqueue_|dequeue_|update_curr|update_load|__switch_to|switch_mm|ttwu_|wake_up_q|__wake_up|psi_|set_next_entity|put_prev|check_preempt|resched|select_task_rq|prepare_task_switch|context_switch|reweight_|sched_|hrtimer_wakeup)/) return "scheduler"
		if (f ~ /^(do_idle|cpuidle|default_idle|native_safe_halt|arch_cpu_idle|cpu_startup_entry)/) return "idle"
		if (f ~ /^(do_sys_poll|__x64_sys_poll|__x64_sys_ppoll|do_poll|do_select|core_sys_select)/) return "poll"
		if (f ~ /^(handle_mm_fault|do_user_addr_fault|exc_page_fault|__handle_mm_fault|do_anonymous_page|do_wp_page|get_user_pages|__get_user_pages|internal_get_user_pages_fast|get_user_pages_fast)/) return "page faults/gup"
		if (f ~ /^(__x64_sys_read|__x64_sys_write|__x64_sys_readv|__x64_sys_writev|ksys_read|ksys_write|vfs_read|vfs_write|do_readv|do_writev|do_iter_)/) return "read/write (other)"
		if (f ~ /^(asm_sysvec|sysvec_|__sysvec|hrtimer_interrupt|__hrtimer_run|tick_|irq_exit|__irq_exit|__do_softirq|run_timer_softirq|rcu_|do_softirq)/) return "interrupts/timers"
		if (f ~ /^(entry_SYSCALL|do_syscall_64|syscall_exit|syscall_trace|exit_to_user_mode|__x64_sys_)/) return "syscall entry/exit"
		return ""
	}
	function who(comm, p, t) {
		if (p == pid) return comm != "spore-kvm" ? "server" : t == pid ? "vcpu-thread" : "io-thread"
		if (comm == "swapper") return "swapper"
		if (comm == "echoflood" || comm == "rtt") return "client"
		if (comm == "perf") return "perf"
		return "other"
	}
	function sample(   w, k, i, f, dso) {
		if (nf == 0) return
		w = who(comm, spid, stid)
		dso = fdso[1]
		if (dso !~ /kernel/) { k = "user"; name[w "|" fsym[1]]++ }
		else {
			k = ""
			for (i = 1; i <= nf && k == ""; i++) k = part(fsym[i])
			if (k == "") k = "kernel (other)"
			if (k != "idle") kname[w "/" k "|" fsym[1]]++
		}
		cnt[w "|" k]++; all++; nf = 0
	}
	/^[^ \t]/ { sample(); comm = $1; split($2, a, "/"); spid = a[1]; stid = a[2]; next }
	/^[ \t]+[0-9a-f]+ / { nf++; fsym[nf] = $2; fdso[nf] = $NF; gsub(/[()]/, "", fdso[nf]); next }
	/^$/ { sample() }
	END {
		sample()
		# guest samples: ADDR COUNT, each named by the last symbol at or below it
		n = 0
		if (syms != "") while ((getline l < syms) > 0) { split(l, s, " "); n++; sa[n] = hex(s[1]); sn[n] = s[2] }
		while ((getline l < guest) > 0) {
			split(l, g, " "); x = hex(g[1]); c = g[2]; lo = 1; hi = n; f = "?"
			while (lo <= hi) { m = int((lo + hi) / 2); if (sa[m] <= x) { f = sn[m]; lo = m + 1 } else hi = m - 1 }
			gname[f] += c; gall += c
		}
		if (gall) { cnt["guest|guest"] = gall; all += gall }
		printf "samples %d (%d guest), %.3f ms of L1 CPU per unit (%s units, one sample %s ms: %.2f s)\n",
			all, gall, all * ms / units, units, ms, all * ms / 1000
		for (k in cnt) { split(k, p, "|"); printf "part %s|%s|%.3f|%.1f\n", p[1], p[2], cnt[k] * ms / units, 100 * cnt[k] / all | "sort -t\\| -k3,3 -rn" }
		close("sort -t\\| -k3,3 -rn")
		for (k in gname) printf "fn guest %s %.3f\n", k, gname[k] * ms / units | "sort -k4,4 -rn | head -20"
		close("sort -k4,4 -rn | head -20")
		for (k in name) { split(k, p, "|"); printf "fn %s %s %.3f\n", p[1], p[2], name[k] * ms / units | "sort -k4,4 -rn | head -25" }
		close("sort -k4,4 -rn | head -25")
		for (k in kname) { split(k, p, "|"); printf "fn L1-kernel %s %.3f (%s)\n", p[2], kname[k] * ms / units, p[1] | "sort -k4,4 -rn | head -25" }
	}'
	;;
*) echo "usage: profile.sh record DATA CLIENT... | report DATA UNITS PID [SYMS]" >&2; exit 2 ;;
esac
