#!/bin/bash
# SPDX-License-Identifier: MIT
# Soak (issue 13; make soak, not part of make test): httpd under wrk and kv under
# redis-benchmark until each has answered 10^6 requests, on each host, in a
# network namespace of the test's own. The guest prints its memory use every
# 2 s (kernel option memstats=2: malloc's bytes in use, the sbrk heap, pages
# out); the host process's RSS is read from /proc. wrk's --timeout is 10 s: a
# request not answered by then counts as failed. Both are sampled at 10%, 50% and 100% of the requests and
# must stay within 5% from 10% to 100%, with zero failed requests.
# Prints "ok NAME" / "FAIL NAME: why" / "skip NAME: why"; figures also go to
# build/tests/log/soak.out. Hosts: SPORE_SOAK_HOSTS (default spore-kvm microvm);
# requests: SPORE_SOAK_REQUESTS (default 1000000).
cd "$(dirname "$0")/.."
hosts=${SPORE_SOAK_HOSTS:-"spore-kvm microvm"} total=${SPORE_SOAK_REQUESTS:-1000000}
. tests/lib.sh   # set -u; namespaces, boot, cleanup
lib_init soak
tar --format=ustar --owner=0 --group=0 -C tests/httpd-root -cf "$dir/root.tar" .
fail=0
say() { echo "$1 $2" | tee -a $log/soak.out; [ "$1" != FAIL ] || fail=1; }
: > $log/soak.out

# boot HOST OUT IMAGE CMDLINE [RUNNER-OPTS...]: the guest at 10.0.0.2 behind tap0.
boot() {
	lib_net || return 1
	: > "$2"
	lib_boot "$@" --timeout=3600 && lib_wait "$2" "listening on"
}
# sample OUT: "USED HEAP PAGES RSS" once the guest is quiet: from the second
# memstats line after the call (2-4 s after the load stopped, so closed
# connections are freed) and the VM process's RSS.
sample() {
	local n; n=$(grep -c "memstats" "$1")
	for _ in $(seq 100); do [ "$(grep -c "memstats" "$1")" -gt $((n + 1)) ] && break; sleep 0.1; done
	local m; m=$(grep "memstats" "$1" | tail -1)
	local rss=0
	for p in $(ip netns pids $ns); do
		case "$(cat /proc/$p/comm 2>/dev/null)" in
		qemu-system-x86|spore-kvm) rss=$(awk '/^VmRSS/ { print $2 }' /proc/$p/status) ;;
		esac
	done
	echo "$(echo "$m" | sed 's/.*used=\([0-9]*\) heap=\([0-9]*\) pages=\([0-9]*\).*/\1 \2 \3/') $rss"
}
flat() {  # a b: b within 5% of a
	[ "$1" -gt 0 ] && [ $(( ($2 - $1) * 100 / $1 )) -le 5 ] && [ $(( ($1 - $2) * 100 / $1 )) -le 5 ]
}
# judge NAME DONE FAILED SECONDS S10 S50 S100 (each sample "USED HEAP PAGES RSS")
judge() {
	local name=$1 done=$2 failed=$3 secs=$4 a=($5) b=($6) c=($7)
	local figs="$done requests in $secs s, $failed failed; malloc in use ${a[0]}/${b[0]}/${c[0]} B (sbrk heap ${a[1]}/${b[1]}/${c[1]}), pages ${a[2]}/${b[2]}/${c[2]} B, RSS ${a[3]}/${b[3]}/${c[3]} KiB at 10/50/100%"
	if [ "$failed" = 0 ] && [ "$done" -ge "$total" ] && flat "${a[0]}" "${c[0]}" && flat "${a[2]}" "${c[2]}" &&
		flat "${a[3]}" "${c[3]}"; then say ok "$name: $figs"
	else say FAIL "$name: $figs (want >= $total requests, 0 failed, in use, pages and RSS within 5% from 10% to 100%)"; fi
}

for host in $hosts; do
	if [ $host = spore-kvm ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
		say skip "soak on spore-kvm: no usable /dev/kvm"; continue
	fi
	# httpd: wrk runs of 10 s until $total requests; samples after the runs that cross 10% and 50%.
	out=$log/soak-httpd.$host.out
	if boot $host $out build/apps/httpd.elf "ip=10.0.0.2/24 memstats=2 -- -p 80 -c 64" --initrd="$dir/root.tar"; then
		done=0 failed=0 s10="" s50="" t0=$SECONDS
		for _ in $(seq 1000); do
			[ $done -ge $total ] && break
			w=$(nsx timeout 60 wrk -t2 -c32 -d10s --timeout 10s http://10.0.0.2/index.html 2>&1)
			echo "$w" >> $log/soak-wrk.$host.out
			n=$(echo "$w" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
			[ -n "$n" ] || { failed=$((failed + 1)); break; }   # wrk itself failed
			done=$((done + n))
			e=$(echo "$w" | sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')
			failed=$((failed + ${e:-0}))
			echo "$w" | grep -q "Socket errors" && failed=$((failed + $(echo "$w" |
				sed -n 's/.*connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p')))
			[ -z "$s10" ] && [ $done -ge $((total / 10)) ] && s10=$(sample $out)
			[ -z "$s50" ] && [ $done -ge $((total / 2)) ] && s50=$(sample $out)
		done
		judge "httpd on $host" $done $failed $((SECONDS - t0)) "$s10" "$s50" "$(sample $out)"
	else say FAIL "httpd on $host: did not start (see $out)"; fi

	# kv: ten redis-benchmark runs of a tenth each (SET and GET over 10000 keys).
	out=$log/soak-kv.$host.out
	if boot $host $out build/apps/kv.elf "ip=10.0.0.2/24 memstats=2 -- -p 6379 -m 16M" --mem=64; then
		done=0 failed=0 s10="" s50="" t0=$SECONDS
		for r in $(seq 10); do
			b=$(nsx timeout 600 redis-benchmark -h 10.0.0.2 -q -t set,get -r 10000 -n $((total / 20)) 2>&1 | tr '\r' '\n')
			echo "$b" >> $log/soak-bench.$host.out
			ok=$(echo "$b" | grep -c "requests per second")
			[ "$ok" = 2 ] && ! echo "$b" | grep -qi "error" || { failed=$((failed + 1)); break; }
			done=$((done + total / 10))
			[ $r = 1 ] && s10=$(sample $out)
			[ $r = 5 ] && s50=$(sample $out)
		done
		judge "kv on $host" $done $failed $((SECONDS - t0)) "$s10" "$s50" "$(sample $out)"
	else say FAIL "kv on $host: did not start (see $out)"; fi
	lib_cleanup
done
exit $fail
