#!/bin/sh
# SPDX-License-Identifier: MIT
# The network benchmark inside the lab's L1 (make bench-lab; tests/kvm-lab/bench-lab
# stages it): the same guest images on spore-kvm (ring 0, virtio-mmio, irqfd/ioeventfd)
# and QEMU microvm -accel kvm (virtio-net in userspace, and with vhost-net when
# /dev/vhost-net exists), each on its own tap, and the Linux build of the same program
# as an L1 process in another network namespace behind a veth pair (a container's
# path). Trusts only its own files; every wait and every client is bounded.
#   bench.sh setup                       modules, host tools, taps, the veth and netns
#   bench.sh up BLOCK                    starts every contender's server for BLOCK
#   bench.sh round BLOCK R [SIZE]        one interleaved round (order rotated by R)
#   bench.sh strace BLOCK [SIZE]         one extra, untimed run per contender under strace -c
#   bench.sh profile BLOCK [SIZE]        one extra run per contender under perf (profile.sh)
#   bench.sh down BLOCK                  stops them; spore-kvm's --stats
# BLOCK: echo (throughput, SIZE bytes), rtt (SIZE 1-byte round trips), httpd (wrk
# -c16 for SIZE s), kv (redis-benchmark SET and GET, SIZE requests each).
# Results, printed and kept in /tmp/bl/runs, one line per measurement (tests/kvm-lab/
# bench-report.awk makes the table on the host from every command's output):
#   BLOCK TEST CONTENDER ROUND VALUE P99 UNITS kvm: EXITS IO MMIO HALT IRQ-INJ HOST-IRQ EMUL IRQ-WIN
# (VALUE: MiB/s, requests/s or, for rtt, the median in us; UNITS: MiB or requests;
# the kvm: fields are deltas of the VM's own KVM debugfs counters over that run.)
set -u
D=/tmp/bl K=/sys/kernel/debug/kvm M=build/kvm-lab/modules-extra
T=build/tests/kvm-lab
mkdir -p $D
# iproute2's ip (busybox's knows no veth and no netns), at its host path
IP=$(ls /usr/bin/ip /usr/sbin/ip /sbin/ip 2> /dev/null | head -1)
cmd=${1:-}
[ $# -gt 0 ] && shift

# Variants (tests/kvm-lab/bench-lab BENCH_LAB_VARIANTS): other builds of spore-kvm and
# the apps, contenders spore-NAME from build/bench-lab/var/NAME, on tap3, tap4, ...
# (10.9.4.2, 10.9.5.2, ...), so a change is measured against its base in one boot.
# A variant's file opts: more options for its spore-kvm (e.g. --vhost: the same build
# on another data path); its file mtu: its tap's MTU. A variant with linux/APP too is also contender linux-NAME, beside the Linux process in
# its namespace on port 8, 9, ... (echo and rtt only: the others' ports are fixed).
# BENCH_LAB_CONTENDERS leaves some of the others out (build/bench-lab/contenders).
# With BENCH_LAB_MTU (build/bench-lab/mtu) past 1500, contender linux1500 is the same Linux
# process reached at 10.9.3.3, a second address whose route has MTU 1500: both ends'
# segments are then 1460 bytes, as on a veth of MTU 1500, in the same boot.
V=build/bench-lab/var
variants() { [ -f build/bench-lab/variants ] && cat build/bench-lab/variants; }
jumbo() { [ -f build/bench-lab/mtu ] && [ "$(cat build/bench-lab/mtu)" -gt 1500 ]; }
vindex() { i=0; for x in $(variants); do [ spore-$x = $1 -o linux-$x = $1 ] && echo $i && return; i=$((i + 1)); done; }
# the echo server's port
port() { case $1 in linux-*) echo $((8 + $(vindex $1))) ;; *) echo 7 ;; esac; }
# contender -> its server's address (10.9.N.2; the L1 side is 10.9.N.1)
addr() { case $1 in spore-kvm) echo 10.9.0.2 ;; qemu) echo 10.9.1.2 ;; qemu-vhost) echo 10.9.2.2 ;; linux) echo 10.9.3.2 ;;
	spore-*) echo 10.9.$((4 + $(vindex $1))).2 ;; linux-*) echo 10.9.3.2 ;; linux1500) echo 10.9.3.3 ;; esac; }
contenders() {  # [BLOCK]: a variant's linux-NAME only for echo and rtt
	local all="spore-kvm qemu $([ -c /dev/vhost-net ] && echo qemu-vhost) linux $(jumbo && echo linux1500) $(for x in $(variants); do
		echo spore-$x; [ -d $V/$x/linux ] && case ${1:-echo} in echo | rtt) echo linux-$x ;; esac; done)"
	[ -f build/bench-lab/contenders ] || { echo $all; return; }
	for c in $all; do tr ' ' '\n' < build/bench-lab/contenders | grep -qx -- $c && echo $c; done | tr '\n' ' '
}
# BLOCK -> the app and its arguments
app() { case $1 in echo | rtt) echo echo ;; *) echo $1 ;; esac; }
args() { case $1 in echo | rtt) echo 7 ;; httpd) echo "-p 80 -d $2" ;; kv) echo "-p 6379 -m 4M" ;; esac; }

# KVM's counters of the VM of process PID (its own debugfs directory, PID-FD), or
# zeros for the Linux contender, which has no VM
kstats="exits io_exits mmio_exits halt_exits irq_injections irq_exits insn_emulation irq_window_exits"
kvm() {
	local d
	d=$(ls -d $K/$1-* 2> /dev/null | head -1)
	for s in $kstats; do cat $d/$s 2> /dev/null || echo 0; done | tr '\n' ' '
}
# a run that gave no figure: counted as failed in the report, with its reason
fail() {
	echo "$c $cmd $r: $1"
	[ $cmd = round ] && echo "$b FAIL $c $r $(echo "$1" | tr '\n' ' ' | cut -c1-120)" | tee -a $D/runs
	[ $cmd = strace ] && kill -INT $st && wait $st
}
# L1's CPU (busy and idle ticks), context switches and interrupts so far (/proc/stat)
cpustat() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8; i = $5 + $6 } /^ctxt/ { c = $2 } /^intr/ { n = $2 }
	END { print b, i, c, n }' /proc/stat; }
kdelta() { echo "$1 $2" | awk '{ n = NF / 2; for (i = 1; i <= n; i++) printf " %d", $(n + i) - $i }'; }

case $cmd in
setup)
	# host tools (wrk, ip, strace) and their libraries, staged under /spore by
	# tests/kvm-lab/bench-lab at their host paths
	for d in usr lib lib64; do [ -d /spore/$d ] && cp -a /spore/$d /; done
	IP=$(ls /usr/bin/ip /usr/sbin/ip /sbin/ip 2> /dev/null | head -1)
	[ -n "$IP" ] || { echo "no iproute2 ip in L1"; exit 2; }
	for m in tap vhost_iotlb vhost vhost_net; do   # veth: /init loads it
		insmod $M/$m.ko 2> /dev/null || grep -q "^$m " /proc/modules || echo "insmod $m failed"
	done
	echo "vhost-net: $([ -c /dev/vhost-net ] && echo yes || echo 'no /dev/vhost-net')"
	[ -d $K ] || mount -t debugfs none /sys/kernel/debug
	$IP link set lo up
	n=0
	# tapN on 10.9.N.1/24 (10.9.3 is the veth's), a variant's on tapN-1 for 10.9.N
	for t in 0 1 2 $(variants); do
		[ $n = 3 ] && n=4
		tn=tap$n && [ $n -ge 4 ] && tn=tap$((n - 1))
		tunctl -t $tn > /dev/null && $IP addr add 10.9.$n.1/24 dev $tn && $IP link set $tn up || exit 2
		# BENCH_LAB_MTU (build/bench-lab/mtu): every link's MTU, the veth's too
		[ -f build/bench-lab/mtu ] && { $IP link set $tn mtu $(cat build/bench-lab/mtu) || exit 2; }
		# a variant's file mtu: its tap's MTU, so its guest's TCP sends segments of
		# MTU - 40 bytes (what a segment costs, docs/network.md)
		[ -f $V/$t/mtu ] && { $IP link set $tn mtu $(cat $V/$t/mtu) || exit 2; }
		n=$((n + 1))
	done
	# the container's path: a veth pair, one end in a network namespace held by a sleeper
	$IP link add veth0 type veth peer name veth1 || exit 2
	unshare -n sleep 100000 &
	echo $! > $D/ns.pid
	sleep 0.2
	vmtu=$(cat build/bench-lab/mtu 2> /dev/null || echo 1500)
	$IP link set veth1 netns $(cat $D/ns.pid) && $IP addr add 10.9.3.1/24 dev veth0 &&
		$IP link set veth0 mtu $vmtu && $IP link set veth0 up || exit 2
	nsenter -t $(cat $D/ns.pid) -n sh -c "$IP link set lo up && $IP addr add 10.9.3.2/24 dev veth1 &&
		$IP link set veth1 mtu $vmtu && $IP link set veth1 up" || exit 2
	# linux1500: the process's second address, each way through a route of MTU 1500
	if jumbo; then
		nsenter -t $(cat $D/ns.pid) -n sh -c "$IP addr add 10.9.3.3/32 dev veth1 &&
			$IP route add 10.9.3.1/32 dev veth1 src 10.9.3.3 mtu 1500 table 15 &&
			$IP rule add from 10.9.3.3 table 15" &&
			$IP route add 10.9.3.3/32 dev veth0 mtu 1500 || exit 2
	fi
	mkdir -p $D/www && tar -xf build/bench-lab/root.tar -C $D/www || exit 2
	: > $D/runs
	: > $D/setup.done
	echo "setup done: $(contenders)"
	;;
up)
	b=$1 a=$(app $1)
	ini="" qini=""
	[ $a = httpd ] && ini=--initrd=build/bench-lab/root.tar qini="-initrd build/bench-lab/root.tar"
	# the boot's own exits to the monitor, subtracted from the block's --stats at down
	build/spore-kvm --stats --mem=64M --net=tap0 $ini build/apps/$a.elf "ip=10.9.0.2/24 -- $(args $b /)" \
		> $D/$b.base.log 2>&1 &
	p=$!
	for i in $(seq 120); do grep -q listening $D/$b.base.log 2> /dev/null && break; sleep 0.25; done
	kill $p; wait $p
	grep "^spore-kvm: exits" $D/$b.base.log
	# --timeout: a block's rounds once outlasted 900 s on a busy host (13:02 UTC, 2026-12-06:
	# httpd's fifth round met a guest its monitor had ended); the boot's own timeout
	# (BENCH_LAB_TIMEOUT) bounds them anyway, and down ends them.
	for c in $(contenders $b); do
		log=$D/$b.$c.log
		case $c in
		spore-kvm) build/spore-kvm --stats --timeout=3600 --mem=64M --net=tap0 $ini build/apps/$a.elf \
			"ip=10.9.0.2/24 -- $(args $b /)" > $log 2>&1 &
			echo $! > $D/$b.$c.pid ;;
		qemu | qemu-vhost) tap=tap1 v=""
			[ $c = qemu-vhost ] && tap=tap2 v=,vhost=on
			# acpi=off: QEMU then names its devices in virtio_mmio.device= words, as
			# spore-kvm does, so both guests find them the same way (spore-run --no-acpi)
			# host_mtu: the tap's MTU said to the guest (F_MTU), as spore-kvm does
			QEMU_ARGS="-M acpi=off -netdev tap,id=n0,ifname=$tap,script=no,downscript=no$v -device virtio-net-device,netdev=n0,host_mtu=$(cat /sys/class/net/$tap/mtu) -pidfile $D/$b.$c.pid $qini" \
				tests/kvm-lab/qemu.sh microvm build/apps/$a.elf "ip=$(addr $c)/24 -- $(args $b /)" > $log 2>&1 & ;;
		spore-*) x=${c#spore-}
			$V/$x/spore-kvm --stats $(cat $V/$x/opts 2> /dev/null) --timeout=3600 --mem=64M \
				--net=tap$((3 + $(vindex $c))) $ini $V/$x/apps/$a.elf \
				"ip=$(addr $c)/24 -- $(args $b /)" > $log 2>&1 &
			echo $! > $D/$b.$c.pid ;;
		linux) nsenter -t $(cat $D/ns.pid) -n build/linux/$a $(args $b $D/www) > $log 2>&1 &
			echo $! > $D/$b.$c.pid ;;
		linux-*) nsenter -t $(cat $D/ns.pid) -n $V/${c#linux-}/linux/$a $(port $c) > $log 2>&1 &
			echo $! > $D/$b.$c.pid ;;
		linux1500) # the linux contender's own server, at its second address: its log
			# (followed, not copied: its listening line may come later) and its pid
			ln -sf $b.linux.log $log && cp $D/$b.linux.pid $D/$b.$c.pid ;;
		esac
	done
	for c in $(contenders $b); do
		for i in $(seq 240); do grep -q listening $D/$b.$c.log 2> /dev/null && break; sleep 0.25; done
		grep -q listening $D/$b.$c.log || { echo "$c: no listening line"; cat $D/$b.$c.log; exit 1; }
		echo "$c: up, pid $(cat $D/$b.$c.pid)"
	done
	: > $D/$b.up
	;;
round | strace | profile)
	b=$1 r=${2:-0} size=${3:-}
	# after an L1 hang, run.sh goes on from the hung command in a fresh boot: set up
	# what that boot lacks
	[ -f $D/setup.done ] || $0 setup || exit 2
	[ -f $D/$b.up ] || $0 up $b || exit 2
	[ $cmd = round ] || size=${2:-}
	set -- $(contenders $b)
	n=$#
	[ $cmd = round ] && for i in $(seq $((r % n))); do set -- "$@" $1 && shift; done
	all=$(for c in "$@"; do cat $D/$b.$c.pid; done)
	for c in "$@"; do
		h=$(addr $c) pid=$(cat $D/$b.$c.pid)
		# each contender alone on L1's one vCPU: the others' idle timers and threads
		# stopped (SIGSTOP) while it runs
		for q in $all; do [ $q = $pid ] || kill -STOP $q; done
		kill -CONT $pid
		sleep 0.5
		if [ $cmd = strace ]; then
			# a separate, untimed run: every thread of the server (spore-kvm's vCPU and
			# I/O threads, QEMU's), the system calls it makes per unit of work
			strace -c -f -p $pid -o $D/$b.$c.strace 2> /dev/null &
			st=$!
			sleep 1
		fi
		# profile: the client under perf record -a, which sees every process of L1
		pre="" && [ $cmd = profile ] && pre="sh tests/kvm-lab/profile.sh record $D/$b.$c.perf"
		k0=$(kvm $pid) s0=$(cpustat)
		case $b in
		echo) o=$(timeout 100 $pre $T/echoflood $h $(port $c) $size 2>&1) || { fail "$o"; continue; }
			v=$(echo "$o" | sed -n 's/.*(\([0-9.]*\) MiB\/s).*/\1/p') p99=- u=$(awk -v b=$size 'BEGIN { print b / 1048576 }')
			# the client's own calls per MiB: its sends take what the socket has room for
			echo "$o" | awk -v w="$c $r" -v u=$u '/ sends, / { printf "client echo %s: %.1f sends, %.1f receives per MiB\n", w, $(NF-3) / u, $(NF-1) / u }' ;;
		rtt) o=$(timeout 100 $pre $T/rtt $h $(port $c) $size 2>&1) || { fail "$o"; continue; }
			v=$(echo "$o" | sed -n 's/.*median \([0-9]*\) us.*/\1/p')
			p99=$(echo "$o" | sed -n 's/.*p99 \([0-9]*\) us.*/\1us/p') u=$size ;;
		httpd) [ $cmd = profile ] && { echo "profile: echo and rtt only"; continue; }
			o=$(timeout 100 wrk -t1 -c16 -d${size}s --latency http://$h:80/index.html 2>&1)
			v=$(echo "$o" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
			p99=$(echo "$o" | awk '$1 == "99%" { print $2 }')
			u=$(echo "$o" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p') ;;
		kv) [ $cmd = profile ] && { echo "profile: echo and rtt only"; continue; }
			o=$(timeout 100 build/redis/lab/redis-benchmark -h $h -p 6379 -c 16 -n $size -t set,get --csv 2>&1)
			# "SET","rps","avg","min","p50","p95","p99","max" -> rows below; one kvm: delta for both
			v=$(echo "$o" | tr -d '"' | awk -F, '$1 == "SET" || $1 == "GET" { printf "%s ", $2 }')
			p99=$(echo "$o" | tr -d '"' | awk -F, '$1 == "SET" || $1 == "GET" { printf "%sms ", $7 }')
			u=$((2 * size)) ;;
		esac
		k1=$(kvm $pid)
		# whether L1's one CPU was busy throughout, and its switches and interrupts per unit
		[ $cmd = strace ] || echo "$s0 $(cpustat)" | awk -v w="$b $c $r" -v u="${u:-0}" '{ b = $5 - $1; i = $6 - $2
			printf "cpu %s: busy %.0f%%, %.1f context switches, %.1f interrupts per unit\n", w,
				100 * b / (b + i + (b + i == 0)), ($7 - $3) / (u + (u == 0)), ($8 - $4) / (u + (u == 0)) }' |
			tee -a $D/cpu
		if [ $cmd = profile ]; then
			# the guest's symbols, made by bench-lab from its ELF (none for a process)
			sy="" && case $c in spore-kvm) sy=build/apps/$(app $b).elf.syms ;;
				spore-*) sy=$V/${c#spore-}/apps/$(app $b).elf.syms ;; esac
			echo "profile $b $c: $o"
			echo "profile $b $c units $u" >> $D/profile # for down's count per unit
			sh tests/kvm-lab/profile.sh report $D/$b.$c.perf $u $pid $sy | sed "s/^/profile $b $c /"
			rm -f $D/$b.$c.perf*
			continue
		fi
		if [ $cmd = strace ]; then
			kill -INT $st; wait $st
			calls=$(awk '$NF == "total" { print $4 }' $D/$b.$c.strace)
			top=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "%s %s, ", $NF, $4 }' $D/$b.$c.strace | cut -d, -f1-5)
			echo "strace $b $c units ${u:-0} calls ${calls:-0} top: $top" | tee -a $D/strace
			continue
		fi
		[ -n "$v" ] || { fail "no figure: $o"; continue; }
		if [ $b = kv ]; then
			echo "kv SET $c $r $(echo $v | cut -d' ' -f1) $(echo $p99 | cut -d' ' -f1) $u kvm:$(kdelta "$k0" "$k1")" | tee -a $D/runs
			echo "kv GET $c $r $(echo $v | cut -d' ' -f2) $(echo $p99 | cut -d' ' -f2) $u kvm:$(kdelta "$k0" "$k1")" | tee -a $D/runs
		else
			echo "$b $b $c $r $v $p99 $u kvm:$(kdelta "$k0" "$k1")" | tee -a $D/runs
		fi
	done
	for q in $all; do kill -CONT $q; done
	echo "$cmd $b ${r#0}: done at $(cut -d' ' -f1 /proc/uptime) s of L1's uptime"
	;;
down)
	b=$1
	[ -f $D/$b.up ] || { echo "$b: not up in this boot"; exit 1; }
	rm $D/$b.up
	for c in $(contenders $b); do
		pid=$(cat $D/$b.$c.pid 2> /dev/null) && kill $pid 2> /dev/null
	done
	sleep 1
	wait
	# the guest's own lines too (a wake-up the idle guard found, a fault), the variants' named
	grep "^spore-kvm:\|^spore:" $D/$b.spore-kvm.log
	for x in $(variants); do sed -n "s/^spore-kvm:/spore-$x:/p; s/^spore:/spore-$x guest:/p" $D/$b.spore-$x.log; done
	# exits to the monitor over the block (every round and the strace run, in this boot),
	# less the boot's (never below 0: a boot's own kicks vary with the I/O thread's
	# polling); the units of work those runs did (the profile's too)
	u=$(awk -v b=$b '$1 == b && $3 == "spore-kvm" && $2 != "GET" && $2 != "FAIL" && $8 == "kvm:" { u += $7 }
		($1 == "strace" || $1 == "profile") && $2 == b && $3 == "spore-kvm" { u += $5 } END { print u + 0 }' \
		$D/runs $(ls $D/strace $D/profile 2> /dev/null))
	awk -v b=$b -v u=$u 'function p(x) { return x > 0 ? x : 0 }
		/^spore-kvm: exits: / { sub(":", "", $3); e[FILENAME] = $3; io[FILENAME] = $5; m[FILENAME] = $7;
		h[FILENAME] = $9; sub(",", "", io[FILENAME]); sub(",", "", m[FILENAME]); sub(",", "", h[FILENAME]) }
		/^spore-kvm: virtio: / { k[FILENAME] = $3; irq[FILENAME] = $5; w[FILENAME] = $7 }
		END { f = "/tmp/bl/" b ".spore-kvm.log"; g = "/tmp/bl/" b ".base.log"
			printf "monitor %s exits %d io %d mmio %d hlt %d virtio-irqs %d kicks %d wakeups %d units %s\n", b,
				p(e[f] - e[g]), p(io[f] - io[g]), p(m[f] - m[g]), p(h[f] - h[g]), p(irq[f] - irq[g]), p(k[f] - k[g]),
				p(w[f] - w[g]), u }' $D/$b.spore-kvm.log $D/$b.base.log | tee -a $D/monitor
	;;
*) echo "usage: bench.sh setup|up|round|strace|profile|down ..." >&2; exit 2 ;;
esac
