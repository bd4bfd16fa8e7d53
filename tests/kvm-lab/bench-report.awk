# SPDX-License-Identifier: MIT
# The table of make bench-lab, made on the host (tests/kvm-lab/bench-lab) from bench.sh's
# runs, strace and monitor lines (every command's output; a boot retried after an L1
# hang adds its own). Per test and contender: the median and spread (min-max) over the
# rounds, spore-kvm's ratio to it (> 1: spore-kvm is faster; for rtt the inverse of the
# times), the median p99, and counts per unit of work: KVM's own (debugfs, summed over
# the rounds: all exits, halts, exits to user space = io + mmio, host interrupts,
# emulated instructions, interrupts injected), spore-kvm's exits to its monitor
# (--stats, the block's less the boot's) and the server's system calls (strace -c, the
# separate run). Trusts its input to be bench.sh's: lines of another shape are skipped.
function ms(s) { # wrk's "850.00us", "12.34ms", "1.02s"; "NNNus"; "N.NNNms" -> ms
	if (s ~ /us$/) return substr(s, 1, length(s) - 2) / 1000
	if (s ~ /ms$/) return substr(s, 1, length(s) - 2) + 0
	if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1000
	return -1
}
function pu(x, u, vm) { return !vm || u <= 0 ? "-" : sprintf(x / u < 10 ? "%.2f" : "%.1f", x / u) }
function med(k, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[k, j] < a[k, i]) { t = a[k, i]; a[k, i] = a[k, j]; a[k, j] = t }
	lo = a[k, 1]; hi = a[k, n]
	return n % 2 ? a[k, (n + 1) / 2] : (a[k, n / 2] + a[k, n / 2 + 1]) / 2
}
FILENAME ~ /runs$/ && $2 == "FAIL" { nf[$1, $3]++; why[$1, $3] = $0; next }
FILENAME ~ /runs$/ && NF >= 16 {
	k = $1 SUBSEP $2 SUBSEP $3
	seen[$1, $2] = 1
	n[k]++; v[k, n[k]] = $5; p[k, n[k]] = ms($6)
	units[k] += $7; ex[k] += $9; ue[k] += $10 + $11; hl[k] += $12; inj[k] += $13; hi_[k] += $14; em[k] += $15
	next
}
$1 == "strace" { su[$2, $3] = $5; sc[$2, $3] = $7; next }
# one line per boot the block ran in (a retried boot adds one): sums, with their own units
$1 == "monitor" { mon[$2] += $4; mio[$2] += $6; mmm[$2] += $8; mirq[$2] += $12; mk[$2] += $14; mw[$2] += $16; mu[$2] += $18; next }
END {
	# a fixed order of rows: tests as bench-lab runs them, spore-kvm first
	split("echo echo rtt rtt httpd httpd kv SET kv GET", o, " ")
	nt = 0
	for (i = 1; i < 10; i += 2) if ((o[i], o[i + 1]) in seen) tests[++nt] = o[i] SUBSEP o[i + 1]
	nc = split("spore-kvm qemu qemu-vhost linux linux1500", cs, " ")
	nv = split(vars, vs, " ") # bench-lab's BENCH_LAB_VARIANTS: spore-NAME rows
	for (i = 1; i <= nv; i++) { cs[++nc] = "spore-" vs[i]; cs[++nc] = "linux-" vs[i] }
	printf "%-4s %-10s %-2s %22s %5s %8s %7s %6s %6s %6s %6s %7s %7s %8s\n", "test", "contender", "n",
		"median (min-max)", "ratio", "p99 ms", "exits", "halt", "user", "hirq", "emul", "inject", "monitr", "syscall"
	for (t = 1; t <= nt; t++) {
		split(tests[t], bt, SUBSEP)
		unit = bt[1] == "echo" ? "MiB/s" : bt[1] == "rtt" ? "us" : "req/s"
		ks = tests[t] SUBSEP "spore-kvm"
		for (i = 1; i <= n[ks]; i++) a[ks, i] = v[ks, i]
		ms0 = n[ks] ? med(ks, n[ks]) : 0
		for (c = 1; c <= nc; c++) {
			k = tests[t] SUBSEP cs[c]
			if (!n[k]) continue
			for (i = 1; i <= n[k]; i++) a[k, i] = v[k, i]
			m = med(k, n[k]); l = lo; h = hi
			r = "-"
			if (cs[c] != "spore-kvm" && ms0 > 0 && m > 0)
				r = sprintf("%.2f", bt[1] == "rtt" ? m / ms0 : ms0 / m)
			for (i = 1; i <= n[k]; i++) a[k, i] = p[k, i]
			q = med(k, n[k])
			mon_u = "-"
			if (cs[c] == "spore-kvm" && mu[bt[1]] > 0)
				mon_u = sprintf("%.2f", mon[bt[1]] / mu[bt[1]])
			sys_u = sc[bt[1], cs[c]] && su[bt[1], cs[c]] ? sprintf("%.1f", sc[bt[1], cs[c]] / su[bt[1], cs[c]]) : "-"
			vm = cs[c] !~ /^linux/
			printf "%-4s %-10s %2d %22s %5s %8s %7s %6s %6s %6s %6s %7s %7s %8s\n", bt[2], cs[c], n[k],
				sprintf("%.1f (%.1f-%.1f)", m, l, h), r, (q >= 0 ? sprintf("%.2f", q) : "-"),
				pu(ex[k], units[k], vm), pu(hl[k], units[k], vm), pu(ue[k], units[k], vm),
				pu(hi_[k], units[k], vm), pu(em[k], units[k], vm), pu(inj[k], units[k], vm), mon_u, sys_u
		}
	}
	print ""
	print "spore-kvm's monitor per unit (--stats over the block, the boot's subtracted; every round and the strace run):"
	for (t = 1; t <= nt; t++) {
		split(tests[t], bt, SUBSEP)
		u = mu[bt[1]]
		if (u <= 0 || bt[2] == "GET") continue
		printf "  %s: %.3f exits (io %.3f, mmio %.3f), %.2f virtio kicks, %.2f virtio interrupts, %.2f I/O thread wake-ups\n",
			bt[1], mon[bt[1]] / u, mio[bt[1]] / u, mmm[bt[1]] / u, mk[bt[1]] / u, mirq[bt[1]] / u, mw[bt[1]] / u
	}
	for (f in nf) { split(f, x, SUBSEP); printf "FAILED: %s on %s: %d run(s), the last: %s\n", x[1], x[2], nf[f], why[f] }
	print "median: echo MiB/s, rtt us, httpd and kv requests/s; ratio: spore-kvm's speed over the contender's"
	print "per unit (echo: MiB of payload; rtt: round trip; httpd, kv: request), KVM debugfs of the VM: exits"
	print "(all), halt, user (io + mmio exits), hirq (host interrupts), emul (emulated instructions), inject"
	print "(interrupts injected); monitr: exits to spore-kvm's monitor (--stats); syscall: the server's (strace -c)"
}
