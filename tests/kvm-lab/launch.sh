#!/bin/sh
# SPDX-License-Identifier: MIT
# Launch to exit of a device-less spore guest (tests/guest/exit7.elf, status 7)
# against the bare-KVM floor (bench/kvm-floor.c: open /dev/kvm, a VM, a vCPU, run
# to hlt), each timed fork to exit by bench/launch.c (static), N rounds rotating
# which goes first; between them, spore-kvm with the tiny test guest (one console
# write, exit 7: tests/unit/monitor_guest.S), which splits the difference into the
# monitor's set-up and the spore guest's own boot. Prints each run, the medians
# with their spread and the ratio exit7/floor;
# with MAX, fails when the ratio of the medians is above it. Compare only within
# one lab boot (docs/boot.md). SPORE_KVM: another monitor binary. OLD="MONITOR
# IMAGE": a fourth contender in the same rounds, "old" (a build from before a
# change: before/after in one boot, interleaved).
#   tests/kvm-lab/launch.sh [N [MAX]]   (default 15 rounds)
n=${1:-15} max=${2:-} L=build/tests/kvm-lab/launch t=/tmp/launch.runs K=${SPORE_KVM:-build/spore-kvm}
floor() { echo "floor $($L -q -t 30 build/bench/kvm-floor)" >> $t; }
spore() { echo "exit7 $($L -q -t 30 $K build/tests/guest/exit7.elf)" >> $t; }
tiny() { echo "tiny $($L -q -t 30 $K build/tests/unit/monitor_guest.elf)" >> $t; }
old() { echo "old $($L -q -t 30 $OLD)" >> $t; }
set -- floor spore tiny ${OLD:+old}
: > $t
for c; do $c; done   # one unmeasured launch of each: page cache, first-use costs
: > $t
for i in $(seq $n); do   # each round starts one later in the list
	for k in $(seq 0 $(($# - 1))); do
		eval "c=\${$(((i + k) % $# + 1))}" && $c
	done
done
cat $t
# The host's setting that decides whether each VM has a kvm-nx-lpage-recovery thread,
# whose stop at exit can cost a VM that outlived an RCU grace period one more
# (docs/monitor.md, "Launch"): the figures hold for this setting only.
echo "kvm.nx_huge_pages=$(cat /sys/module/kvm/parameters/nx_huge_pages 2> /dev/null)"
# exit7's exits to the monitor (debugfs counts only live VMs: too short-lived here)
$K --stats build/tests/guest/exit7.elf 2>&1 | grep '^spore-kvm: exits'
# "floor WALL_NS RSS STATUS": statuses 0, 7 and 7, else the run is no measurement.
awk -v n=$n -v max="$max" -v old="${OLD:+1}" '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	lo[k] = v[k, 1]; hi[k] = v[k, m]
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
($1 == "floor" && $4 == 0) || ($1 != "floor" && $4 == 7) { v[$1, ++cnt[$1]] = $2 / 1e6; next }
{ print "bad run: " $0; bad = 1 }
END {
	if (bad || cnt["floor"] != n || cnt["exit7"] != n || cnt["tiny"] != n || (old && cnt["old"] != n)) {
		print "missing runs"; exit 1 }
	f = med("floor"); e = med("exit7"); m = med("tiny")
	printf "median floor: %.1f ms (%.1f-%.1f); tiny guest: %.1f ms (%.1f-%.1f); exit7: %.1f ms (%.1f-%.1f); %d launches each\n",
		f, lo["floor"], hi["floor"], m, lo["tiny"], hi["tiny"], e, lo["exit7"], hi["exit7"], n
	if (old) { o = med("old"); printf "median old: %.1f ms (%.1f-%.1f); ratio old/floor: %.2f\n", o, lo["old"], hi["old"], o / f }
	printf "ratio exit7/floor: %.2f%s\n", e / f, max != "" ? " (at most " max ")" : ""
	if (max != "" && e / f > max) exit 1
}' $t
