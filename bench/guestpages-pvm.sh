#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/kvm-lab/guestpages.sh on this host's KVM (kvm_pvm here: ring 3, the hypercall
# network device; docs/density.md): N idle httpd instances of each of two builds,
# started alternately (A B A B ...), each with --mem=16M and httpd's files as an
# initrd on a tap of its own in a network namespace this script makes (gpNNNN, taps
# g0.., guest I at 10.9.I.2), asked GET / once (curl) before the next starts; 2 s
# after the last, bench/guestpages.py on each build's instances. Everything it made is
# removed on every exit.
#   bench/guestpages-pvm.sh N DIR_A DIR_B   (DIR: spore-kvm and apps/httpd.elf)
set -u
cd "$(dirname "$0")/.."
n=${1:-5} A=${2:?DIR_A} B=${3:?DIR_B}
[ "$n" -ge 1 ] && [ "$n" -le 100 ] 2> /dev/null || { echo "guestpages-pvm: N from 1 to 100" >&2; exit 2; }
ns=gp$$ root=build/tests/root.tar pa=() pb=()
cleanup() {
	kill "${pa[@]}" "${pb[@]}" 2> /dev/null
	wait 2> /dev/null
	ip netns del $ns 2> /dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p build/tests
tar --format=ustar --owner=0 --group=0 -C tests/fixtures/root -cf $root . || exit 2
ip netns add $ns && ip -n $ns link set lo up || exit 2
for ((i = 0; i < 2 * n; i++)); do
	((i % 2)) && D=$B || D=$A
	ip -n $ns tuntap add g$i mode tap && ip -n $ns addr add 10.9.$i.1/24 dev g$i &&
		ip -n $ns link set g$i up || exit 2
	ip netns exec $ns $D/spore-kvm --mem=16M --net=g$i --mac=02:00:00:00:09:$(printf %02x $i) \
		--initrd=$root $D/apps/httpd.elf ip=10.9.$i.2/24 -- -p 80 -t 30 > /dev/null 2>&1 &
	((i % 2)) && pb+=($!) || pa+=($!)
	code=$(ip netns exec $ns curl -s -m 20 --retry 20 --retry-connrefused --retry-delay 0 \
		-o /dev/null -w '%{http_code}' http://10.9.$i.2/)
	[ "$code" = 200 ] || { echo "guestpages-pvm: instance $i ($D) answered '$code'" >&2; exit 1; }
done
sleep 2
echo "A = $A"; python3 bench/guestpages.py $A/apps/httpd.elf "${pa[@]}" || exit 1
echo "B = $B"; python3 bench/guestpages.py $B/apps/httpd.elf "${pb[@]}" || exit 1
python3 bench/guestpages.py -v $A/apps/httpd.elf "${pa[0]}" | sed 's/^/A /'
python3 bench/guestpages.py -v $B/apps/httpd.elf "${pb[0]}" | sed 's/^/B /'
