#!/bin/sh
# SPDX-License-Identifier: MIT
# gdb against spore-kvm in the lab's L1 (gdb and what it loads are copied in by
# tests/kvm-lab/run.sh -g); prints gdb's and the guest's output for the caller's
# checks (tests/run-tests).
#   tests/kvm-lab/gdb.sh stub   hello.elf (no debug information): break in main, bt,
#                               argc and argv from registers and memory, a global,
#                               stepi, nexti, continue to the exit (0)
#   tests/kvm-lab/gdb.sh src    spin.elf (built with -g): break at main, print argc and
#                               argv[1], next over source lines, a global, continue
#   tests/kvm-lab/gdb.sh intr   Ctrl-C (SIGINT to gdb) while spin.elf runs, read a global
#   tests/kvm-lab/gdb.sh core   nullwrite.elf with --core, then gdb on the core; the file
#                               is never overwritten, nor a symlink followed; a core at
#                               --timeout of spin.elf names main
G="gdb -nx -batch -ex 'set confirm off' -ex 'set pagination off'"
# The stub listens on a Unix socket (mode 0600) once gdb.sh has seen its line; gdb
# then connects to the path (target remote /tmp/NAME.gdb).
guest() {  # name image args...
	name=$1; shift
	build/spore-kvm --timeout=100 --gdb=/tmp/$name.gdb "$@" > /tmp/guest.$name 2>&1 &
	for i in $(seq 100); do grep -q 'waiting for gdb' /tmp/guest.$name && return; sleep 0.1; done
}
# After gdb: the guest gets 20 s to end by itself (a stub that never let it go
# would otherwise hold the lab until its timeout), then its status.
reap() {  # pid name
	for i in $(seq 200); do kill -0 $1 2>/dev/null || break; sleep 0.1; done
	kill $1 2>/dev/null && echo "guest still running 20 s after gdb ended: killed"
	wait $1; echo "guest status: $?"; sed 's/^/guest: /' /tmp/guest.$2
}
case $1 in
stub)
	guest stub build/apps/hello.elf -- amd two; pid=$!
	echo "socket: $(stat -c '%A' /tmp/stub.gdb)"
	eval "$G -ex 'target remote /tmp/stub.gdb' -ex 'break main' -ex continue -ex bt -ex 'print \$rdi' \
		-ex 'x/s ((char **)\$rsi)[1]' -ex 'print **(char ***)&host' -ex stepi -ex 'print \$pc' \
		-ex nexti -ex 'print \$pc' -ex continue build/apps/hello.elf" < /dev/null 2>&1
	reap $pid stub
	if [ -e /tmp/stub.gdb ]; then echo "socket left behind"; fi ;;
src)
	guest src build/tests/guest/spin.elf 0; pid=$!
	eval "$G -ex 'target remote /tmp/src.gdb' -ex 'break main' -ex continue -ex 'print argc' \
		-ex 'print argv[1]' -ex next -ex next -ex next -ex 'print spins' -ex bt -ex continue \
		build/tests/guest/spin.elf" < /dev/null 2>&1
	reap $pid src ;;
intr)
	guest intr build/tests/guest/spin.elf 60; pid=$!
	# gdb in the foreground: sh starts background jobs with SIGINT ignored.
	(for i in $(seq 300); do grep -q spinning /tmp/guest.intr && break; sleep 0.1; done
	 sleep 1; kill -INT $(pidof gdb)) &
	eval "$G -ex 'target remote /tmp/intr.gdb' -ex continue -ex 'print (long)spins > 0' \
		-ex 'print/x \$pc' -ex kill build/tests/guest/spin.elf" < /dev/null 2>&1
	reap $pid intr ;;
core)
	mkdir -p /tmp/c && mount -t tmpfs tmpfs /tmp/c || exit 2
	build/spore-kvm --timeout=60 --core=/tmp/c/core build/tests/guest/nullwrite.elf 2>&1
	echo "guest status: $?"
	ls -ls /tmp/c/core     # blocks used, then the size: zero pages are holes
	eval "$G -ex bt -ex 'info registers rip rsp' -ex 'x/i \$pc' build/tests/guest/nullwrite.elf /tmp/c/core" 2>&1
	build/spore-kvm --core=/tmp/c/core build/tests/guest/nullwrite.elf 2>&1
	echo "again: $?"
	ln -s /tmp/c/target /tmp/c/link
	build/spore-kvm --core=/tmp/c/link build/tests/guest/nullwrite.elf 2>&1
	echo "symlink: $? $(ls /tmp/c/target 2>&1 | grep -c 'No such')"
	# A guest that never ends: --timeout ends it and the core says where it was.
	build/spore-kvm --timeout=3 --core=/tmp/c/tcore build/tests/guest/spin.elf 60 2>&1
	echo "timeout status: $?"
	eval "$G -ex bt build/tests/guest/spin.elf /tmp/c/tcore" 2>&1 | grep -m1 ' main (' | sed 's/^/timeout core: /'
	umount /tmp/c ;;
*) echo "usage: gdb.sh stub|src|intr|core" >&2; exit 2 ;;
esac
