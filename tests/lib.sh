# SPDX-License-Identifier: MIT
# tests/lib.sh: the set-up every network test and benchmark shares, sourced, never run.
# It makes namespaces of its own with taps and veths inside them (nothing touches the host's
# network) and removes them, and every process it or the test started, on every exit path.
#   lib_init TAG             $ns=spore-TAG-PID; $log=build/tests/log and $dir=build/tests/TAG.PID
#                            (relative to the tree's top), made; EXIT, INT, TERM run lib_exit,
#                            which removes $dir
#   lib_on_exit 'CMD'        one more command for lib_exit (rm -rf "$dir" ...), run last
#   lib_netns [NAME]         namespace NAME (default $ns; else $ns-SOMETHING) with lo up
#   lib_tap DEV [ADDR]       tap DEV in $ns, up, with ADDR (a.b.c.d/len) when given
#   lib_veth PEER ADDR PADDR veth0 in $ns (ADDR) to veth1 in namespace PEER (PADDR), both up
#   lib_net [veth]           a fresh $ns, 10.0.0.1/24 on the host side; the server's side,
#                            10.0.0.2: tap0 for a guest, or with veth a veth to $ns-srv
#   nsx CMD...               CMD inside $ns (not for "&": $! would be a subshell)
#   lib_spawn OUT CMD...     CMD in the background, output appended to OUT; $lib_pid, recorded
#   lib_boot HOST OUT IMAGE CMDLINE [RUNNER-OPTS...]
#                            tests/spore-run in $ns on tap0 with --timeout=600 (a later
#                            --timeout in RUNNER-OPTS wins) through lib_spawn
#   lib_wait OUT ERE [N]     until N (default 1) lines of OUT match ERE: 0; 1 after
#                            $LIB_WAIT tenths of a second (300) or once $lib_pid has exited
#   lib_empty NAME           kills every process in namespace NAME (5 s at most); it stays, so
#                            a guest can be booted again on the same tap
#   lib_cleanup              kills every process in $ns and $ns-*, deletes them (their taps
#                            and veths go with them); found by name, so also those a subshell made
#   lib_exit                 lib_cleanup, kills what lib_spawn started, runs lib_on_exit's
set -u
lib_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib_pids=() lib_atexit=() lib_pid=""

lib_init() {
	ns=spore-$1-$$ log=build/tests/log dir=build/tests/$1.$$
	mkdir -p "$lib_top/$log" "$lib_top/$dir"
	lib_on_exit "rm -rf '$lib_top/$dir'"   # this one, even if the test reuses the name
	trap lib_exit EXIT
	# bash runs this only if the foreground command died of SIGINT; a client
	# under timeout(1) has a process group of its own and does not, so the
	# test then runs on to its end and cleans up there.
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

lib_on_exit() { lib_atexit+=("$1"); }

nsx() { ip netns exec "$ns" "$@"; }

# Killed until none is left: a tap is free (and goes with its namespace)
# only once the VM holding it has gone. A killed process leaves the namespace
# before the kernel releases its files (exit_task_namespaces, then the deferred
# fputs), so its tap may still be attached: "in use" to the next VM on it (seen
# under load). tun drops a tap's carrier at its last detach: wait for that too.
lib_empty() {
	local p _
	for _ in $(seq 100); do
		p=$(ip netns pids "$1" 2>/dev/null)
		if [ -n "$p" ]; then
			kill -9 $p 2>/dev/null
		elif ! ip -n "$1" -o link show type tun 2>/dev/null | grep -q LOWER_UP; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Ours: $ns and $ns-*. $ns holds our PID, so no other live test has these names.
lib_mynss() { ip netns list 2>/dev/null | awk -v n="$ns" '$1 == n || index($1, n "-") == 1 { print $1 }'; }

lib_netns() {
	local n=${1:-$ns}
	case $n in "$ns"|"$ns"-*) ;; *) echo "lib_netns: $n is not $ns or $ns-*" >&2; return 1 ;; esac
	# A namespace already of this name is a leftover of a run that died by
	# SIGKILL and had our PID: no live test owns it.
	if lib_mynss | grep -qx -- "$n"; then
		lib_empty "$n"
		ip netns del "$n" 2>/dev/null
	fi
	ip netns add "$n" && ip -n "$n" link set lo up
}

lib_tap() {
	ip -n "$ns" tuntap add "$1" mode tap && ip -n "$ns" link set "$1" up &&
		{ [ $# -lt 2 ] || ip -n "$ns" addr add "$2" dev "$1"; }
}

# The names are inside the namespaces, so fixed ones cannot clash with another test's.
lib_veth() {
	ip link add veth0 netns "$ns" type veth peer name veth1 netns "$1" &&
		ip -n "$ns" addr add "$2" dev veth0 && ip -n "$ns" link set veth0 up &&
		ip -n "$1" addr add "$3" dev veth1 && ip -n "$1" link set veth1 up
}

lib_net() {
	lib_cleanup
	lib_netns || return 1
	if [ "${1:-}" = veth ]; then
		lib_netns "$ns-srv" && lib_veth "$ns-srv" 10.0.0.1/24 10.0.0.2/24
	else
		lib_tap tap0 10.0.0.1/24
	fi
}

lib_spawn() {
	local out=$1; shift
	"$@" >> "$out" 2>&1 &
	lib_pid=$!
	lib_pids+=($lib_pid)
	disown   # lib_exit kills it: no job-control noise when it dies
}

lib_boot() {
	local host=$1 out=$2 img=$3 cmd=$4; shift 4
	lib_spawn "$out" ip netns exec "$ns" "$lib_top/tests/spore-run" --host="$host" --net=tap0 \
		--timeout=600 "$@" "$img" "$cmd"
}

lib_wait() {
	local n _
	for _ in $(seq "${LIB_WAIT:-300}"); do
		n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "${3:-1}" ] && return 0
		[ -n "$lib_pid" ] && ! kill -0 "$lib_pid" 2>/dev/null && break
		sleep 0.1
	done
	n=$(grep -Ec -- "$2" "$1" 2>/dev/null)   # a line written just before it exited
	[ "${n:-0}" -ge "${3:-1}" ]
}

lib_cleanup() {
	local n
	for n in $(lib_mynss); do
		lib_empty "$n"
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# Those lib_spawn started that still run: a PID whose parent is not this
# shell was reused by another process, a zombie has ended.
lib_mine() {
	local p pp st
	for p in "${lib_pids[@]}"; do
		read -r pp st < <(ps -o ppid=,stat= -p "$p" 2>/dev/null)
		[ "${pp:-}" = $$ ] && [ "${st#Z}" = "${st:-Z}" ] && echo "$p"
	done
}

lib_exit() {
	local p c _
	trap '' INT TERM   # a second Ctrl-C must not cut the cleanup short
	p=$(lib_mine)
	[ -n "$p" ] && kill $p 2>/dev/null   # TERM first: timeout(1) passes it on to its command
	lib_cleanup
	for _ in $(seq 10); do p=$(lib_mine); [ -z "$p" ] && break; sleep 0.1; done
	[ -n "$p" ] && kill -9 $p 2>/dev/null
	for c in "${lib_atexit[@]}"; do eval "$c"; done
	return 0
}
