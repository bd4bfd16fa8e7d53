#!/bin/bash
# SPDX-License-Identifier: MIT
# Network tests: for each host, a network namespace of the test's own with a
# tap device, the echo app booted on it, and real clients (ping, python
# sockets) against it. Traffic never leaves the namespace; the namespace and
# every process in it are removed on every exit path. Prints "ok NAME" /
# "FAIL NAME: why" lines. Hosts: SPORE_NET_HOSTS (default spore-kvm microvm q35).
cd "$(dirname "$0")/.."
hosts=${SPORE_NET_HOSTS:-"spore-kvm microvm q35"}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init net
fail=0

say() { echo "$1 net on $host: $2"; [ "$1" = ok ] || fail=1; }

for host in $hosts; do
	lib_net || { say FAIL "cannot make namespace $ns"; continue; }
	out=$log/net-echo.$host.out; : > $out
	lib_boot $host $out build/apps/echo.elf "ip=10.0.0.2/24 boottime=1 memstats=1 -- 7" --timeout=300
	if ! lib_wait $out "listening on 7"; then
		say FAIL "echo did not start within 30 s (see $out)"
		continue
	fi
	if nsx ping -c 3 -i 0.2 -W 2 10.0.0.2 > $log/net-ping.$host.out 2>&1; then
		say ok "ping"
	else
		say FAIL "ping (see $log/net-ping.$host.out)"
	fi
	for t in "tcp-bulk 16" "tcp-many 200" "tcp-hold 4" "udp" "rst" "synflood 1000" "alive"; do
		set -- $t
		while IFS= read -r l; do
			case "$l" in
			"ok "*) say ok "${l#ok }" ;;
			"FAIL "*) say FAIL "${l#FAIL }" ;;
			esac
		done < <(nsx timeout 180 python3 tests/netclient.py $1 10.0.0.2 7 ${2:-} 2>&1 ||
			 echo "FAIL $1: client exited $?")
	done
	grep -q "fault\|panic" $out && say FAIL "the guest reported a fault (see $out)"
	# QEMU's virtio-net over a vnet_hdr tap offers the offloads the guest takes.
	case $host in microvm|q35)
		if grep -q "virtio-net: offloads csum guest_csum host_tso4 guest_tso4 mrg_rxbuf" $out; then say ok "offloads: checksums and TSO both ways"
		else say FAIL "offloads not negotiated: $(grep -m1 'virtio-net: offloads' $out)"; fi
		# the bulk echo's frames went to lwIP in the driver's buffers (memstats=1's
		# counts, one line a second: the last one after a second more)
		sleep 1.2
		lent=$(grep -o 'memstats .* lent=[0-9]*' $out | tail -1 | sed 's/.*lent=//')
		if [ "${lent:-0}" -gt 100 ]; then say ok "received frames lent to lwIP, not copied ($lent)"
		else say FAIL "frames lent: '${lent:-none}' (see $out)"; fi ;;
	esac
	lib_cleanup
done

# Jumbo frames: QEMU's virtio-net says the tap's MTU (F_MTU, tests/spore-run's
# host_mtu), the guest takes it and its TCP sends segments of MTU - 40 bytes; a
# tap of MTU 1500 keeps 1460. spore-kvm here runs the hypercall path (kvm_pvm),
# which has no F_MTU: its row is in the kvm_amd lab (tests/kvm-lab).
for host in $hosts; do
	case $host in microvm|q35) ;; *) continue ;; esac
	for mtu in 9000 1500; do
		lib_net || { say FAIL "cannot make namespace $ns"; continue; }
		ip -n "$ns" link set tap0 mtu $mtu
		out=$log/net-mtu$mtu.$host.out; : > $out
		lib_boot $host $out build/apps/echo.elf "ip=10.0.0.2/24 boottime=1 -- 7" --timeout=300
		if ! lib_wait $out "listening on 7"; then
			say FAIL "MTU $mtu: echo did not start within 30 s (see $out)"
			lib_cleanup
			continue
		fi
		if grep -qE "virtio-net: offloads .*; mtu $mtu([^0-9]|$)" $out; then say ok "MTU $mtu: the guest took the tap's MTU"
		else say FAIL "MTU $mtu: $(grep -m1 'virtio-net: offloads' $out)"; fi
		while IFS= read -r l; do
			case "$l" in
			"ok "*) say ok "MTU $mtu: ${l#ok }" ;;
			"FAIL "*) say FAIL "MTU $mtu: ${l#FAIL }" ;;
			esac
		done < <(nsx timeout 180 python3 tests/netclient.py tcp-bulk 10.0.0.2 7 16 $((mtu - 40)) 2>&1 ||
			 echo "FAIL tcp-bulk: client exited $?")
		lib_cleanup
	done
done
exit $fail
