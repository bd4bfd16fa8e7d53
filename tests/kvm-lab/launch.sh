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
# change: before/after in one boot, interleaved). FAVOR=1 (the lab only: it
# remounts the host's cgroup2): every round also runs each contender with cgroup2's
# favordynmods on, the order of the two settings alternating by round, and the
# medians and ratio under it follow the default's (docs/monitor.md, "Launch").
#   tests/kvm-lab/launch.sh [N [MAX]]   (default 15 rounds)
n=${1:-15} max=${2:-} L=build/tests/kvm-lab/launch t=/tmp/launch.runs K=${SPORE_KVM:-build/spore-kvm}
s=""   # the setting a run is filed under: "" the host's as found, "@favordynmods"
floor() { echo "floor$s $($L -q -t 30 build/bench/kvm-floor)" >> $t; }
spore() { echo "exit7$s $($L -q -t 30 $K build/tests/guest/exit7.elf)" >> $t; }
tiny() { echo "tiny$s $($L -q -t 30 $K build/tests/unit/monitor_guest.elf)" >> $t; }
old() { echo "old$s $($L -q -t 30 $OLD)" >> $t; }
# cgroup2's mount options as found ("" when it is not mounted): favordynmods is a
# flag of the one cgroup2 hierarchy, set and cleared by each mount and remount of
# it (from the initial cgroup namespace) and kept by unmounting, so "off" remounts
# without it before restoring the state found. Device and directory both given:
# mount then takes no options from /proc/mounts (busybox's would keep the flag).
cg=/sys/fs/cgroup
cgopts=$(awk -v cg=$cg '$2 == cg && $3 == "cgroup2" { print $4 }' /proc/mounts)
cgnow() { awk -v cg=$cg '$2 == cg && $3 == "cgroup2" { print $4 }' /proc/mounts; }
favor() {   # on | off
	if [ $1 = on ]; then
		if [ -n "$cgopts" ]; then mount -t cgroup2 -o remount,$cgopts,favordynmods cgroup2 $cg
		else mount -t cgroup2 -o favordynmods cgroup2 $cg; fi || exit 2
		case ,$(cgnow), in *,favordynmods,*) ;; *) echo "launch.sh: favordynmods did not take: $(cgnow)"; exit 2 ;; esac
		s=@favordynmods
	else
		mount -t cgroup2 -o remount${cgopts:+,$cgopts} cgroup2 $cg || exit 2
		case ,$(cgnow), in *,favordynmods,*) echo "launch.sh: favordynmods stayed: $(cgnow)"; exit 2 ;; esac
		[ -n "$cgopts" ] || umount $cg || exit 2
		s=""
	fi
	# Leaving the mode queues its end behind a grace period; until then the next
	# write lock (a VM's thread's) waits for none: let it pass, in both directions alike.
	sleep 0.3
}
if [ -n "${FAVOR:-}" ]; then
	case ,$cgopts, in *,favordynmods,*) echo "launch.sh: FAVOR=1, but cgroup2 has favordynmods already"; exit 2 ;; esac
	trap 'if [ -n "$s" ]; then favor off; fi' EXIT
fi
set -- floor spore tiny ${OLD:+old}
: > $t
for c; do $c; done   # one unmeasured launch of each: page cache, first-use costs
: > $t
for i in $(seq $n); do   # each round starts one later in the list
	for f in x ${FAVOR:+y}; do
		for k in $(seq 0 $(($# - 1))); do
			eval "c=\${$(((i + k) % $# + 1))}" && $c
		done
		# one switch a round, between its two passes: the order alternates by round
		if [ $f = x ] && [ -n "${FAVOR:-}" ]; then if [ -n "$s" ]; then favor off; else favor on; fi; fi
	done
done
if [ -n "$s" ]; then favor off; fi
cat $t
# The host's settings that decide whether each VM's kvm-nx-lpage-recovery thread
# exists and whether its cgroup moves wait for an RCU grace period, which a VM that
# outlived one pays once more at exit (docs/monitor.md, "Launch"): the figures hold
# for these settings only.
echo "kvm.nx_huge_pages=$(cat /sys/module/kvm/parameters/nx_huge_pages 2> /dev/null)"
echo "cgroup2 at $cg: ${cgopts:-not mounted}${FAVOR:+; and each round with favordynmods}"
# exit7's exits to the monitor (debugfs counts only live VMs: too short-lived here)
$K --stats build/tests/guest/exit7.elf 2>&1 | grep '^spore-kvm: exits'
# "floor WALL_NS RSS STATUS": statuses 0, 7 and 7, else the run is no measurement.
awk -v n=$n -v max="$max" -v old="${OLD:+1}" -v favor="${FAVOR:+1}" '
function med(k,   i, j, t, m) { m = cnt[k]; for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
	if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
	lo[k] = v[k, 1]; hi[k] = v[k, m]
	return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
{ split($1, w, "@") }
(w[1] == "floor" && $4 == 0) || (w[1] != "floor" && $4 == 7) { v[$1, ++cnt[$1]] = $2 / 1e6; next }
{ print "bad run: " $0; bad = 1 }
END {
	ns = favor ? 2 : 1; set[1] = ""; set[2] = "@favordynmods"
	for (i = 1; i <= ns; i++) { x = set[i]
		if (bad || cnt["floor" x] != n || cnt["exit7" x] != n || cnt["tiny" x] != n || (old && cnt["old" x] != n)) {
			print "missing runs"; exit 1 } }
	for (i = 1; i <= ns; i++) { x = set[i]; u = x == "" ? "" : " (" substr(x, 2) ")"
		f = med("floor" x); e = med("exit7" x); m = med("tiny" x)
		printf "median%s floor: %.1f ms (%.1f-%.1f); tiny guest: %.1f ms (%.1f-%.1f); exit7: %.1f ms (%.1f-%.1f); %d launches each\n",
			u, f, lo["floor" x], hi["floor" x], m, lo["tiny" x], hi["tiny" x], e, lo["exit7" x], hi["exit7" x], n
		if (old) { o = med("old" x); printf "median%s old: %.1f ms (%.1f-%.1f); ratio old/floor: %.2f\n", u, o, lo["old" x], hi["old" x], o / f }
		printf "ratio exit7/floor%s: %.2f%s\n", u, e / f, max != "" && x == "" ? " (at most " max ")" : ""
		if (x == "") r = e / f
	}
	if (max != "" && r > max) exit 1
}' $t
