#!/bin/bash
# SPDX-License-Identifier: MIT
# The run.sh arguments that bring bench/density's tools into the lab's L1
# (tests/kvm-lab/density.sh): "-b PATH" for Debian's python3 and the standard
# library files the harness imports (traced here), iproute2's ip, and runc when
# this host has it; run.sh adds their libraries. Also makes
# build/density-lab/root.tar (httpd's files; L1's busybox tar makes no ustar).
# Prints "skip: WHY" and exits 1 when a tool is missing.
set -u
cd "$(dirname "$0")/../.."
py=/usr/bin/python3 ip=$(command -v ip) runc=$(command -v runc)
# Debian's python3 (its library at /usr/lib/python3.X), not a pyenv shim.
[ -x $py ] || { echo "skip: no /usr/bin/python3 on this host"; exit 1; }
[ -n "$ip" ] || { echo "skip: no iproute2 ip on this host"; exit 1; }
mkdir -p build/density-lab
tar --format=ustar --owner=0 --group=0 -C tests/fixtures/root -cf build/density-lab/root.tar . || exit 1
# What the harness imports (sources and compiled), the encodings (looked up by
# name at run time), os.py (where Python finds its prefix).
lib=$($py -c 'import os; print(os.path.dirname(os.__file__))')
echo "-b $py -b $ip -b $lib/encodings -b $lib/os.py"
[ -n "$runc" ] && echo "-b $runc"
PYTHONVERBOSE=1 $py bench/density --help 2>&1 > /dev/null |
	sed -n "s/^# code object from '\(.*\)'$/\1/p; s/^# .* matches \(\/.*\.py\)$/\1/p;
		s/^# extension module .* loaded from '\(.*\)'$/\1/p" | grep "^$lib/" | sort -u | sed 's/^/-b /'
