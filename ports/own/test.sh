#!/bin/bash
# SPDX-License-Identifier: MIT
# A C project from outside the tree (ports/own, copied to a temporary
# directory) built by its own Makefile twice: make (Linux) and
# make CC=build/spore-cc (a spore image, ar and all); both runs must print
# the same. Then the same sources through make image SRC=DIR.
# Prints "ok NAME" / "FAIL NAME: why". Host: SPORE_OWN_HOST (microvm).
set -u
cd "$(dirname "$0")/../.."
host=${SPORE_OWN_HOST:-microvm}
log=build/tests/log; mkdir -p $log
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
args="one two three four-five"
cp ports/own/*.c ports/own/*.h ports/own/Makefile "$d/"
make -s -C "$d" > $log/own.make.out 2>&1 && (cd "$d" && ./wordy $args) > $log/own.linux.out 2>&1 ||
	{ echo "FAIL own: the Linux build or run failed (see $log/own.*.out)"; exit 1; }
make -s -C "$d" clean && make -s -C "$d" CC="$PWD/build/spore-cc" > $log/own.make.out 2>&1 ||
	{ echo "FAIL own: make CC=build/spore-cc failed (see $log/own.make.out)"; exit 1; }
tests/spore-run --host=$host --timeout=120 "$d/wordy" -- $args < /dev/null 2>&1 | tr -d '\r' > $log/own.$host.out
rc=${PIPESTATUS[0]}
if [ $rc = 0 ] && diff -q $log/own.linux.out $log/own.$host.out > /dev/null; then
	echo "ok own: make CC=build/spore-cc on an outside project boots on $host, prints as on Linux"
else echo "FAIL own: status $rc, or output unlike Linux's (see $log/own.$host.out)"; fi
rm -f "$d"/*.o "$d"/*.a "$d/wordy"
make -s image SRC="$d" NAME=wordy > $log/own.image.out 2>&1 &&
	tests/spore-run --host=$host --timeout=120 build/image/wordy.elf -- $args < /dev/null 2>&1 | tr -d '\r' > $log/own-image.$host.out
rc=${PIPESTATUS[0]}
if [ $rc = 0 ] && diff -q $log/own.linux.out $log/own-image.$host.out > /dev/null; then
	echo "ok own-image: make image SRC=DIR boots on $host, prints as on Linux"
else echo "FAIL own-image: status $rc, or output unlike Linux's (see $log/own-image.$host.out, own.image.out)"; fi
