#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs a batch of commands on ordinary KVM (kvm_amd) in one boot of the lab
# (tests/kvm-lab/build.sh builds it first if needed; a boot takes 10-15 s, so batch).
#   tests/kvm-lab/run.sh [-o DIR] [-n] [-q] [-g] [-x PROG]... [-b PATH]... [-t SECONDS]
#                        [-c SECONDS] [-m MEM] BATCH [FILE...]
# BATCH: lines "NAME<TAB>COMMAND", run by busybox sh in L1 from a directory
# holding each FILE at its path relative to the repository (so commands read
# like the host's: build/spore-kvm build/apps/hello.elf).
# Per NAME: DIR/NAME.out (output) and DIR/NAME.rc (status), and one line
# "ok NAME" (status 0) or "FAIL NAME: why" (-n: no such lines; the caller
# judges the results). -q: the host's QEMU too (binary, the libraries ldd
# lists, firmware), at the host's paths, for QEMU -accel kvm in L1. -g: the
# host's gdb the same way, with its Python files (only those it imports to start:
# the whole standard library is 50 MB). -x PROG: the host's PROG (strace, wrk) and
# the libraries ldd lists, at the host's paths (repeatable).
# -b PATH: a host file or directory, at the same path in L1 (an ELF with the
# libraries ldd lists), e.g. a tool a batch runs; repeatable.
# -t: timeout of each QEMU run (default 150 s), so a hang is a FAIL, never a
# stuck test; a boot that hangs is retried once from the command it hung in.
# -c: the time each command may take in L1 (default 120 s: init's LAB_CMD_TIMEOUT,
# passed on L1's kernel command line). -m: L1's memory (QEMU's -m, default 1024
# MiB; QEMU allocates it as L1 touches it).
# Environment: LAB_NUDGE_SECONDS (the watchdog's silence, default 20),
# LAB_JIT_EVERY (seconds between samples of QEMU's "info jit" into
# DIR/hangN.jit; default 0, none), LAB_TB_SIZE (MiB of TCG's translation
# buffer, QEMU's -accel tcg,tb-size; default QEMU's 1024, at most 2048),
# LAB_APPEND (more words for L1's kernel command line, e.g. norandmaps).
# No lab here: "skip kvm-lab: why", exit 0.
set -u
cd "$(dirname "$0")/../.."
L=build/kvm-lab out=$L/out verdicts=1 tmo=150 qemu="" gdb="" progs="" cmdtmo=120 mem=1024 host=()
while getopts o:nqgx:t:c:m:b: o; do
	case $o in
	o) out=$OPTARG ;; n) verdicts="" ;; q) qemu=1 ;; g) gdb=1 ;; t) tmo=$OPTARG ;;
	x) progs="$progs $OPTARG" ;; c) cmdtmo=$OPTARG ;; m) mem=$OPTARG ;; b) host+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: run.sh [-o DIR] [-n] [-q] [-g] [-x PROG]... [-b PATH]... [-t SECONDS] [-c SECONDS] [-m MEM] BATCH [FILE...]" >&2; exit 2; }
case $cmdtmo in *[!0-9]*|"") echo "run.sh: -c takes whole seconds" >&2; exit 2 ;; esac
case ${LAB_TB_SIZE:-1} in *[!0-9]*) echo "run.sh: LAB_TB_SIZE takes MiB, not '$LAB_TB_SIZE'" >&2; exit 2 ;; esac
case ${LAB_JIT_EVERY:-0} in *[!0-9]*) echo "run.sh: LAB_JIT_EVERY takes whole seconds" >&2; exit 2 ;; esac
batch=$1; shift
msg=$(tests/kvm-lab/build.sh); case $? in 0) ;; 3) echo "$msg"; exit 0 ;; *) echo "$msg"; exit 1 ;; esac

# A fresh tree per run: the base, the batch, the files; packed by busybox cpio.
work=$L/run.$$ && rm -rf $work && mkdir -p $work $out
trap 'rm -rf $work' EXIT
cp -a $L/root $work/root
cp tests/kvm-lab/init $work/root/init       # the current one, without a rebuild
for f in "$@"; do
	mkdir -p "$work/root/spore/$(dirname "$f")" && cp "$f" "$work/root/spore/$f" || exit 1
done
if [ -n "$qemu" ]; then
	q=$(command -v qemu-system-x86_64)
	for f in $q $(ldd $q | awk '$1 ~ /^\// { print $1 } $3 ~ /^\// { print $3 }') /usr/share/qemu /usr/share/seabios; do
		mkdir -p "$work/root$(dirname $f)" && cp -rL $f "$work/root$f" || exit 1
	done
fi
for f in "${host[@]}"; do
	case $f in /*) ;; *) echo "kvm-lab: -b $f: not an absolute path" >&2; exit 2 ;; esac
	[ -e "$f" ] || { echo "kvm-lab: -b $f: no such file on this host" >&2; exit 2; }
	libs=""; [ -f "$f" ] && libs=$(ldd "$f" 2>/dev/null | awk '$1 ~ /^\// { print $1 } $3 ~ /^\// { print $3 }')
	for g in "$f" $libs; do
		mkdir -p "$work/root$(dirname "$g")" || exit 1
		if [ -d "$g" ]; then mkdir -p "$work/root$g" && cp -rL "$g/." "$work/root$g/"
		else cp -L "$g" "$work/root$g"; fi || exit 1
	done
done
if [ -n "$gdb" ]; then
	g=$(command -v gdb) || { echo "kvm-lab: -g: no gdb on this host (apt-get install gdb)"; exit 1; }
	py=$(PYTHONVERBOSE=1 timeout 60 $g -nx -batch -ex 'print 0' 2>&1 |
		sed -n "s/^# code object from '\(.*\)'$/\1/p; s/^# .* matches \(\/.*\.py\)$/\1/p")
	pyenc=$(ls -d /usr/lib/python3*/encodings 2>/dev/null)
	for f in $g $(ldd $g | awk '$1 ~ /^\// { print $1 } $3 ~ /^\// { print $3 }') $py $pyenc /usr/share/gdb; do
		mkdir -p "$work/root$(dirname $f)" || exit 1
		if [ -d $f ]; then mkdir -p "$work/root$f" && cp -rL $f/. "$work/root$f/"
		else cp -L $f "$work/root$f"; fi || exit 1
	done
fi
for p in $progs; do
	x=$(command -v $p) || { echo "kvm-lab: -x: no $p on this host (tests/deps.sh installs it)"; exit 1; }
	for f in $x $(ldd $x | awk '$1 ~ /^\// { print $1 } $3 ~ /^\// { print $3 }'); do
		mkdir -p "$work/root$(dirname $f)" && cp -L $f "$work/root$f" || exit 1
	done
done
rm -f $out/*.out $out/*.rc $out/console*.log
tab=$(printf '\t')

# One L1 boot of BATCH-FILE; its console, without CRs, in $work/console.N. The
# lab's QEMU (docs/boot.md): TCG emulates AMD SVM with -cpu max. One vCPU: the
# machine is shared, and with two, L1 hung in about one boot of four (QEMU 7.2
# MTTCG with nested SVM); never in twenty boots with one, which is as fast.
# LAB_SMP=N gives L1 N vCPUs anyway, to try (docs/boot.md).
boots=0 secs=0 why="" timedout=""
boot() {
	boots=$((boots + 1))
	cp "$1" $work/root/lab/batch
	(cd $work/root && find . | ../../root/bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 > $work/initrd.gz
	local t0; t0=$(date +%s)
	# The watchdog (nudge.py) wakes an L1 that went idle for good with a key press,
	# through QEMU's QMP socket, and keeps the vCPU's state of each nudge.
	rm -f $out/hang$boots.*
	timeout -k 5 "$tmo" qemu-system-x86_64 -machine q35 -accel tcg${LAB_TB_SIZE:+,tb-size=$LAB_TB_SIZE} -cpu max -m "$mem" -smp ${LAB_SMP:-1} -nic none \
		-kernel $L/vmlinuz -initrd $work/initrd.gz \
		-append "console=ttyS0 quiet panic=-1 ${LAB_APPEND:+$LAB_APPEND }LAB_CMD_TIMEOUT=$cmdtmo" \
		-qmp unix:$work/qmp,server=on,wait=off \
		-nographic -no-reboot < /dev/null > $out/console$boots.log 2>&1 &
	local qpid=$! wpid="" q=""
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		q=$(pgrep -P $qpid -x qemu-system-x86) && break
		sleep 0.2
	done
	[ -n "$q" ] && { python3 tests/kvm-lab/nudge.py $q $work/qmp $out/console$boots.log \
		$out/hang$boots ${LAB_NUDGE_SECONDS:-20} 20 ${LAB_JIT_EVERY:-0} & wpid=$!; }
	wait $qpid
	local rc=$?
	[ -n "$wpid" ] && kill $wpid 2> /dev/null && wait $wpid 2> /dev/null
	secs=$((secs + $(date +%s) - t0))
	tr -d '\r' < $out/console$boots.log > $work/console.$boots
	why="L1 stopped before it ran it"
	timedout=""; [ $rc = 124 ] && why="the lab timed out after ${tmo}s" timedout=1
	if ! grep -q '@@lab ready' $work/console.$boots; then why="L1 did not come up ($why)"
	elif ! grep -q '@@lab ready.*/dev/kvm present' $work/console.$boots; then
		why="no /dev/kvm in L1: $(grep -m1 '@@lab ready' $work/console.$boots)"
	fi
}
boot "$batch"
# A boot that timed out is retried once from the command it hung in, and says
# so: an L1 hang is the lab's, not necessarily the command's; twice is a FAIL.
if [ -n "$timedout" ]; then
	hung=$(sed -n 's/^@@begin //p' $work/console.1 | tail -1)
	cp "$batch" $work/rest
	[ -n "$hung" ] && sed -n "/^$hung$tab/,\$p" "$batch" > $work/rest
	echo "kvm-lab: L1 hung${hung:+ in $hung} ($why); running the rest in a second boot"
	boot $work/rest
fi

while IFS="$tab" read -r name cmd; do
	[ -n "$name" ] || continue
	c=$work/console.1
	[ $boots = 2 ] && grep -q "^@@begin $name$" $work/console.2 && c=$work/console.2
	sed -n "s/^@@out $name| //p" $c > "$out/$name.out"
	st=$(sed -n "s/^@@end $name \([0-9]*\)$/\1/p" $c)
	[ -n "$st" ] && echo "$st" > "$out/$name.rc"
	[ -n "$verdicts" ] || continue
	if [ -z "$st" ]; then echo "FAIL $name: no result: $why (see $out/console$boots.log)"
	elif [ "$st" = 0 ]; then echo "ok $name"
	else echo "FAIL $name: status $st (see $out/$name.out)"; fi
done < "$batch"
ran=$(cat $out/*.rc 2>/dev/null | wc -l) all=$(grep -c . "$batch")
echo "kvm-lab: $boots L1 boot(s), ${secs}s, $ran of $all commands ran$([ $ran = $all ] || echo ": $why")"
