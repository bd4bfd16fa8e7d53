#!/bin/sh
# SPDX-License-Identifier: MIT
# spore-kvm's system calls and KVM ioctls from exec to the first KVM_RUN, under
# the host's strace (run.sh -x strace), in the lab's L1 (ring 0 on kvm_amd) or
# on any host with strace: tests/guest/exit7.elf (no devices), then httpd with
# --net on a tap (stopped by SIGTERM once it listens). Per run: the calls in
# order ("trace NAME| ..."), then each call with its count ("count NAME: N CALL",
# an ioctl named by its request) and the total. docs/monitor.md's table.
#   tests/kvm-lab/strace.sh [exit7|httpd]...   (default both)
# Outside the lab, in a network namespace: ip netns add N; ip netns exec N tests/kvm-lab/strace.sh
K=build/spore-kvm t=/tmp/strace
mkdir -p $t
# What one run did before its first KVM_RUN (the vCPU thread's; -f also follows
# the I/O thread, which starts before it: its calls are marked), each call as
# NAME or ioctl NAME.
summary() {  # name
	awk -v n=$1 'NR == 1 { main = $1 } $1 == main && /KVM_RUN/ { exit }
		/resumed>/ || / (\+\+\+|---) / { next }
		{ t = $1 == main ? "" : " (I/O thread)"; sub(/^[0-9]+ +/, ""); sub(/ <unfinished \.\.\.>$/, "")
		  line = $0; c = $0; sub(/\(.*/, "", c)
		  if (c == "ioctl") { r = line; sub(/^ioctl\([0-9]+, */, "", r); sub(/[,)].*/, "", r); c = "ioctl " r }
		  c = c t
		  print "trace " n "| " substr(line, 1, 150) t
		  if (!(c in cnt)) order[++k] = c; cnt[c]++; all++ }
		END { for (i = 1; i <= k; i++) printf "count %s: %d %s\n", n, cnt[order[i]], order[i]
		      printf "total %s: %d calls before the first KVM_RUN\n", n, all }' $t/$1.trace
}
for run in ${*:-exit7 httpd}; do
	case $run in
	exit7)
		strace -f -o $t/exit7.trace $K build/tests/guest/exit7.elf > $t/exit7.out 2>&1
		echo "exit7: status $?"
		;;
	httpd)
		# busybox's tunctl in L1; ip elsewhere (here: inside ip netns exec, a namespace of one's own)
		if command -v tunctl > /dev/null; then tunctl -t tap0 > /dev/null; else ip tuntap add tap0 mode tap; fi &&
			ip addr add 10.9.0.1/24 dev tap0 && ip link set tap0 up || exit 2
		strace -f -o $t/httpd.trace $K --net=tap0 build/apps/httpd.elf \
			"ip=10.9.0.2/24 -- -p 80" > $t/httpd.out 2>&1 &
		st=$!
		for i in $(seq 120); do grep -q listening $t/httpd.out && break; sleep 0.5; done
		grep -q listening $t/httpd.out || { cat $t/httpd.out; echo "httpd: never listened"; }
		kill $(awk 'NR == 1 { print $1 }' $t/httpd.trace)   # the monitor, not strace
		wait $st
		if command -v tunctl > /dev/null; then tunctl -d tap0 > /dev/null; else ip link del tap0; fi
		echo "httpd: $(grep -c listening $t/httpd.out) listening line(s)"
		;;
	*) echo "usage: strace.sh [exit7|httpd]..." >&2; exit 2 ;;
	esac
	summary $run
	# The tap is opened once, with the vnet header where virtio-net needs it: a second
	# open (one plain, then one with the header) closed it in between, and its carrier
	# fell, so the kernel walked the whole neighbour table inside the start (23a0bcf,
	# docs/density.md). Counted over the whole run.
	[ $run = httpd ] && echo "tun httpd: $(grep -c 'open.*"/dev/net/tun"' $t/httpd.trace) open(s) of /dev/net/tun"
	# The device pin is pulsed with KVM_IRQ_LINE, not an irqfd (whose injection into an
	# I/O APIC pin goes through a kworker, and whose KVM_IRQFD walks every irqfd on the
	# host: docs/network.md, docs/density.md). Ring 0 (lab) only: pvm has no irqchip path.
	[ $run = httpd ] && echo "irq httpd: $(grep -c 'KVM_IRQFD' $t/httpd.trace) KVM_IRQFD, $(grep -c 'KVM_IRQ_LINE' $t/httpd.trace) KVM_IRQ_LINE"
done
