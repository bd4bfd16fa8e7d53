#!/bin/sh
# SPDX-License-Identifier: MIT
# Snapshot and restore in the lab's L1 (ring 0 on kvm_amd; docs/serverless.md): the rows
# tests/run-tests' lab batch runs beside snap-save/-restore/-cut (tests/snapshot.sh checks
# the same on the host's kvm_pvm, ring 3). httpd and kv are snapshotted with --io=virtio:
# they run, are snapshotted and resume on the virtio devices (the file keeps the irqchip
# and each device's queues); spore-fn's snapshot takes the default, the hypercall
# devices. Each subcommand sets up and removes its own taps and
# tmpfs, prints what it saw and ends with status 1 on the first check that fails.
#   httpd      snapshot, two restores: each answers /fn/random, with its SYN-ACK's ISN
#              read on the tap (snapget), both asked from one local port; the two differ
#              in both, the ISNs by more than their clocks alone would make them (lwIP's
#              ISN is a keyed hash of the 4-tuple plus the clock in 4 us ticks: a copy
#              that kept the snapshot's key would differ by at most 250 per ms); a third
#              on the tap at MTU 9000 refused (the guest took 1500 at boot: F_MTU)
#   kv         a key SET in a cold boot (virtio disk), the snapshot replays the log into
#              RAM, a restore on a blank disk answers GET with it
#   refused    a header byte and a metadata byte flipped, cut in half, another image
#              given: each one line and status 248
#   fn [N]     spore-fn with four slots, N requests back to back (default 20): all
#              answered, all different, a VM each, no spore-kvm left
#   tests/kvm-lab/snapshot.sh httpd|kv|refused|fn [N]
K=build/spore-kvm G=build/tests/kvm-lab/snapget
mac=02:00:00:00:00:02 d=/tmp/sn
fail() { echo "FAIL: $*"; exit 1; }
[ -z "$(pidof spore-kvm)" ] || fail "spore-kvm runs already: $(pidof spore-kvm)"
mkdir -p $d && mount -t tmpfs none $d || fail "no tmpfs"
taps=""
tap() {  # NAME: 10.9.0.1/24, the guest's MAC a permanent neighbour
	tunctl -t $1 > /dev/null && ip addr add 10.9.0.1/24 dev $1 && ip link set $1 up &&
		arp -i $1 -s 10.9.0.2 $mac || fail "cannot make tap $1"
	taps="$taps $1"
}
cleanup() {
	for p in $(pidof spore-kvm spore-fn); do kill -9 $p; done 2> /dev/null
	for t in $taps; do tunctl -d $t > /dev/null; done
	umount $d
}
trap cleanup EXIT
ip link set lo up

# A restore on tap $1 of $2, in the background ($!); extra args after.
restore() {
	t=$1 s=$2; shift 2
	$K --net=$t --restore=$s "$@" > $d/r.err 2>&1 &
}
stop() {  # PID: SIGTERM (spore-kvm then prints --stats), reaped
	kill $1 2> /dev/null; wait $1 2> /dev/null
}

case $1 in
httpd)
	tap snd
	timeout 60 $K --io=virtio --net=snd --mac=$mac --snapshot=$d/h.snap build/apps/httpd.elf \
		"ip=10.9.0.2/24 -- -p 80" > $d/s.out 2>&1 || { cat $d/s.out; fail "httpd not snapshotted"; }
	grep '^spore-kvm: snapshot written' $d/s.out
	for i in 1 2; do
		# The second checked against its image, as a caller that has it would.
		[ $i = 1 ] && img="" || img=build/apps/httpd.elf
		restore snd $d/h.snap --stats $img; p=$!
		# Port 32000: below L1's ephemeral range (32768-60999), so no earlier row's
		# connection can hold it (40000 was once held for all of snapget's 10 s:
		# stop 35's second CI run, "cannot bind the local port (in use)").
		$G -w 10000 -p 32000 10.9.0.2:80@snd 'GET /fn/random HTTP/1.0\r\n\r\n' > $d/a$i
		st=$?
		stop $p
		isn=$(sed -n 's/^isn \([0-9]*\) .*/\1/p' $d/a$i) ms=$(sed -n 's/^isn .* after \([0-9]*\) ms$/\1/p' $d/a$i)
		rnd=$(tail -1 $d/a$i)
		[ $st = 0 ] && grep -q '^HTTP/1.[01] 200' $d/a$i || { cat $d/a$i $d/r.err; fail "restore $i did not answer"; }
		echo "restore $i: answered 200, isn $isn after $ms ms, /fn/random $rnd"
		grep -q '^spore-kvm: virtio: .* [1-9][0-9]* received' $d/r.err || { cat $d/r.err; fail "restore $i not on virtio"; }
		echo "restore $i: on virtio ($(grep -m1 '^spore-kvm: virtio: ' $d/r.err))"
		eval isn$i=$isn rnd$i=$rnd ms$i=$ms
	done
	[ "$rnd1" != "$rnd2" ] && echo "two restores: different /fn/random" || fail "the same /fn/random twice"
	# Each guest's clock ran at most snapget's time to the SYN-ACK (+ 1 s for the launch
	# before it) since its resume: the clocks alone part the ISNs by at most 250 per ms of
	# that. A random key parts them by less with a chance of (2 x that) / 2^32 (~1e-4).
	awk -v a=$isn1 -v b=$isn2 -v m1=$ms1 -v m2=$ms2 'BEGIN {
		d = a > b ? a - b : b - a; if (d > 2147483648) d = 4294967296 - d
		c = 250 * ((m1 > m2 ? m1 : m2) + 1000)
		printf "two restores: TCP ISNs %d apart (the clocks alone: at most %d): %s\n", d, c,
			(d > c ? "different keys" : "THE SAME KEY?")
		exit !(d > c) }' || fail "the ISNs differ by no more than the clocks"
	ip link set snd mtu 9000
	timeout 60 $K --net=snd --restore=$d/h.snap > $d/m.out 2> $d/m.err
	st=$?
	ip link set snd mtu 1500
	echo "a restore on the tap at MTU 9000: status $st: $(cat $d/m.err)"
	[ $st = 248 ] && [ ! -s $d/m.out ] || fail "a restore on a tap of another MTU not refused"
	;;
kv)
	tap snd
	truncate -s 8M $d/kv.img $d/blank.img || fail "no disk images"
	args="ip=10.9.0.2/24 -- -p 6379 -f /dev/vda"
	get='*2\r\n$3\r\nGET\r\n$15\r\nbefore-snapshot\r\n'
	# A cold boot (virtio: ring 0's default with a disk) writes the key to its log.
	$K --stats --net=snd --mac=$mac --mem=32M --disk=$d/kv.img build/apps/kv.elf "$args" > $d/c.out 2>&1 & p=$!
	$G -w 20000 10.9.0.2:6379@snd '*3\r\n$3\r\nSET\r\n$15\r\nbefore-snapshot\r\n$2\r\n42\r\n' > $d/set
	stop $p
	grep -q '^spore-kvm: virtio: [1-9]' $d/c.out && echo "cold boot: on virtio ($(grep -m1 '^spore-kvm: virtio: ' $d/c.out))"
	echo "set before the snapshot: $(tail -1 $d/set)"
	grep -qx '+OK' $d/set || { cat $d/c.out; fail "SET not acknowledged"; }
	# The snapshot's boot replays the log: the key is in RAM when it is saved.
	timeout 60 $K --io=virtio --net=snd --mac=$mac --mem=32M --disk=$d/kv.img --snapshot=$d/kv.snap build/apps/kv.elf \
		"$args" > $d/s.out 2>&1 || { cat $d/s.out; fail "kv not snapshotted"; }
	grep '^spore-kvm: snapshot written' $d/s.out
	# Restored on a blank disk of the same size: only the snapshot can hold the key.
	restore snd $d/kv.snap --disk=$d/blank.img; p=$!
	$G -w 10000 10.9.0.2:6379@snd "$get" > $d/get
	stop $p
	echo "get after a restore on a blank disk: $(tail -1 $d/get)"
	grep -qx 42 $d/get || { cat $d/get $d/r.err; fail "the key is not there after the restore"; }
	;;
refused)
	s=build/tests/guest/snapshot.elf
	timeout 60 $K --snapshot=$d/g.snap $s > $d/s.out 2>&1 || { cat $d/s.out; fail "not snapshotted"; }
	# refuse NAME FILE [IMAGE]: status and stderr (one line), nothing on stdout
	refuse() {
		name=$1; shift
		timeout 60 $K --restore="$@" > $d/x.out 2> $d/x.err
		st=$?
		[ -s $d/x.out ] && fail "$name: the guest ran: $(head -3 $d/x.out)"
		[ "$(wc -l < $d/x.err)" = 1 ] || fail "$name: not one line: $(cat $d/x.err)"
		echo "$name: status $st: $(cat $d/x.err)"
	}
	flip() {  # OFFSET: $d/bad.snap, the byte there with its low bit flipped
		cp $d/g.snap $d/bad.snap
		v=$(dd if=$d/g.snap bs=1 skip=$1 count=1 2> /dev/null | od -An -tu1 | tr -d ' ')
		printf "\\$(printf %o $((v ^ 1)))" | dd of=$d/bad.snap bs=1 seek=$1 conv=notrunc 2> /dev/null
		cmp -s $d/g.snap $d/bad.snap && fail "byte $1 not flipped"
	}
	flip 20; refuse "a header byte flipped" $d/bad.snap
	flip 300; refuse "a metadata byte flipped" $d/bad.snap
	head -c $(($(stat -c %s $d/g.snap) / 2)) $d/g.snap > $d/cut.snap
	refuse "cut in half" $d/cut.snap
	refuse "another image given" $d/g.snap build/apps/hello.elf
	;;
fn)
	n=${2:-20}
	for k in 0 1 2 3; do tap fn$k; done
	timeout 60 $K --net=fn0 --mac=$mac --snapshot=$d/h.snap build/apps/httpd.elf \
		"ip=10.9.0.2/24 -- -p 80" > $d/s.out 2>&1 || { cat $d/s.out; fail "httpd not snapshotted"; }
	build/spore-fn -n 4 -p 8080 -t fn -g 10.9.0.2:80 -k $K $d/h.snap 2> $d/fn.err & fn=$!
	for i in $(seq 100); do grep -q listening $d/fn.err && break; sleep 0.1; done
	# The first request may wait for the first slot's restore and relay; then back to back.
	build/tests/kvm-lab/fnget -n $n -w 10000 127.0.0.1:8080 > $d/req
	kill -TERM $fn; wait $fn
	sleep 1
	left=$(pidof spore-kvm)
	good=$(grep -c '^0 [0-9.]* [0-9a-f]\{32\}$' $d/req)
	uniq=$(awk '{ print $3 }' $d/req | sort -u | grep -c '^[0-9a-f]\{32\}$')
	echo "burst: $n requests back to back, $good answered 200, $(grep -c fail $d/req) failed, $uniq different /fn/random"
	tail -1 $d/fn.err; [ -n "$SNAP_DEBUG" ] && cat $d/fn.err
	echo "spore-kvm left: ${left:-none}"
	[ "$good" = $n ] && [ "$uniq" = $n ] && [ -z "$left" ] || { grep fail $d/req | head -3; fail "burst"; }
	# A VM per connection: four ahead, one after each (none once stopping).
	vms=$(sed -n "s/^spore-fn: $n connections served, 0 refused (503), \([0-9]*\) VMs restored$/\1/p" $d/fn.err)
	[ -n "$vms" ] && [ $vms -ge $n ] && [ $vms -le $((n + 4)) ] || fail "spore-fn's count"
	;;
*)
	echo "usage: tests/kvm-lab/snapshot.sh httpd|kv|refused|fn [N]"; exit 2 ;;
esac
