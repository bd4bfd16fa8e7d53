#!/bin/bash
# SPDX-License-Identifier: MIT
# The lab's hang watchdog (tests/kvm-lab/nudge.py) against a QEMU that is held
# stopped (-S: no CPU used, nothing on its console), on this host, no lab needed:
# no nudge while the console still grows; then, once silent, the vCPU's state
# kept and a key pressed through QMP, one line saying so (that the key's interrupt
# wakes a stuck L1 was seen in the lab: docs/boot.md); with JIT_EVERY, samples
# of "info jit" in OUT.jit. Prints ok/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
command -v qemu-system-x86_64 > /dev/null || { echo "skip nudge: no qemu-system-x86_64"; exit 0; }
d=$(mktemp -d /tmp/nudge.XXXXXX)
qemu-system-x86_64 -machine q35 -accel tcg -S -display none -nodefaults -serial file:$d/console \
	-qmp unix:$d/qmp,server=on,wait=off > $d/qemu.log 2>&1 &
q=$!
trap 'kill $q 2> /dev/null; wait $q 2> /dev/null; rm -rf $d' EXIT
for _ in $(seq 50); do [ -S $d/qmp ] && break; sleep 0.1; done
# The console grows for 8 s (a line a second), with a 3 s silence bound: no nudge then.
python3 tests/kvm-lab/nudge.py $q $d/qmp $d/console $d/hang 3 1 2> $d/nudge.err &
w=$!
for i in $(seq 8); do echo "line $i" >> $d/console; sleep 1; done
if [ -e $d/hang.1 ]; then echo "FAIL nudge_quiet_while_console_grows: nudged at $(cat $d/nudge.err)"
else echo "ok nudge_quiet_while_console_grows"; fi
# Then silent: the watchdog (polling every 5 s) nudges within the bound and a poll or two.
for _ in $(seq 30); do kill -0 $w 2> /dev/null || break; sleep 0.5; done
kill $w 2> /dev/null
if ! grep -q "^kvm-lab: L1 silent and idle for [0-9]* s .*pressed a key (EIP=" $d/nudge.err; then
	echo "FAIL nudge_presses_key: $(cat $d/nudge.err 2> /dev/null | head -3)"
elif ! grep -q "^EIP=" $d/hang.1 || ! grep -q "^(qemu) info lapic" $d/hang.1; then
	echo "FAIL nudge_keeps_state: $(head -3 $d/hang.1)"
else
	echo "ok nudge_presses_key"
fi
# JIT_EVERY: a line of the emulator's counters every 5 s (seconds, QEMU's CPU
# seconds, translated bytes, TBs, flushes, invalidations, full TLB flushes), and
# the samples' own CPU does not hide the silence: the nudge still comes.
python3 tests/kvm-lab/nudge.py $q $d/qmp $d/console $d/sampled 3 1 5 2> $d/jit.err &
w=$!
for _ in $(seq 40); do kill -0 $w 2> /dev/null || break; sleep 0.5; done
kill $w 2> /dev/null; wait $w 2> /dev/null
if [ "$(grep -cE '^[0-9]+ [0-9.]+( [0-9]+){5}$' $d/sampled.jit 2> /dev/null)" -lt 1 ]; then
	echo "FAIL nudge_samples_jit: $(head -2 $d/sampled.jit 2> /dev/null) $(head -2 $d/jit.err)"
elif [ ! -e $d/sampled.1 ]; then
	echo "FAIL nudge_samples_jit: no nudge while sampling: $(head -2 $d/jit.err)"
else
	echo "ok nudge_samples_jit"
fi
