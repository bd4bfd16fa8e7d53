#!/bin/bash
# SPDX-License-Identifier: MIT
# spore-oci (docs/oci.md) with the real tools, in a network namespace this test makes:
# the command line against hostile bundles, the lifecycle on a bundle, runc passthrough,
# and podman (netavark, conmon) running spore images and a plain Linux image through it.
# Prints "ok ..." / "FAIL ..." / "skip ..." lines (tests/run-tests counts them).
# Leaves nothing behind: containers, images (its own podman store), state, namespace.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
B=build
ok()   { echo "ok $*"; }
bad()  { echo "FAIL $*"; }
skip() { echo "skip $*"; }

# ---- outside: build what is missing, make the namespace, run the rest inside it ----
if [ -z "${SPORE_OCI_INNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { skip "needs root (network namespaces, podman)"; exit 0; }
	nice -n 10 make -s $B/spore-oci $B/apps/hello.elf $B/apps/httpd.elf $B/apps/kv.elf \
		$B/tests/guest/exit7.elf $B/linux/hello $B/oci/oci_test >/dev/null || { bad "build failed"; exit 1; }
	ns=sporeoci-$$
	ip netns add $ns || { bad "cannot make a network namespace"; exit 1; }
	trap 'ip netns del $ns 2>/dev/null' EXIT
	# ip netns exec gives the command its own mount namespace: mounts made inside die with it.
	timeout -k 5 900 ip netns exec $ns env SPORE_OCI_INNS=1 "$0"
	rc=$?
	[ $rc = 124 ] && bad "the whole test timed out after 900 s"
	# The lifecycle under spore-kvm, in the kvm_amd lab (one boot, ~40 s; skipped without a lab).
	# SPORE_OCI_LAB=0 leaves it out.
	[ "${SPORE_OCI_LAB:-1}" = 0 ] && exit $rc
	lb=$B/oci/lab-bundle
	rm -rf $lb && mkdir -p $lb/rootfs/site && cp $B/apps/httpd.elf $lb/rootfs/httpd &&
		echo hi > $lb/rootfs/site/index.html &&
		printf '{"ociVersion":"1.0.2","process":{"args":["/httpd","-p","80","-d","/site"]},"root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":33554432}}}}\n' > $lb/config.json
	nice -n 10 make -s $B/spore-oci-static $B/spore-kvm >/dev/null || { bad "lab: build failed"; exit 1; }
	printf 'oci-lifecycle\tsh oci/lab.sh %s %s\n' $B/spore-oci-static $lb > $B/oci/lab-batch
	lo=$B/tests/log/oci-lab
	v=$(tests/kvm-lab/run.sh -n -o $lo -t 300 $B/oci/lab-batch $B/spore-oci-static $B/spore-kvm oci/lab.sh \
		$lb/config.json $lb/rootfs/httpd $lb/rootfs/site/index.html 2>&1)
	if grep -q '^skip' <<< "$v"; then echo "$v" | sed 's/^skip /skip lab: /'
	elif [ "$(cat $lo/oci-lifecycle.rc 2>/dev/null)" = 0 ] &&
		grep -q '^after create: status=created vmm=spore-kvm' $lo/oci-lifecycle.out &&
		grep -q '^after start: status=running vmm=spore-kvm' $lo/oci-lifecycle.out &&
		grep -q '^httpd: listening on 80' $lo/oci-lifecycle.out &&
		grep -q '^after kill: status=stopped' $lo/oci-lifecycle.out &&
		grep -q '^deleted: no state' $lo/oci-lifecycle.out; then
		ok "lab: kvm_amd: create, start, state, kill TERM, delete boot httpd under spore-kvm (chosen automatically)"
	else bad "lab: lifecycle under spore-kvm: $(tail -3 $lo/oci-lifecycle.out 2>/dev/null) $v"; fi
	exit $rc
fi

# ---- inside the namespace ------------------------------------------------------------
# ip netns exec remounted /sys: mount the cgroup hierarchies again for podman and runc.
if ! mountpoint -q /sys/fs/cgroup 2>/dev/null || [ -z "$(ls /sys/fs/cgroup)" ]; then
	if grep -q '^cgroup2 /sys/fs/cgroup cgroup2' /proc/1/mounts; then
		mount -t cgroup2 cgroup2 /sys/fs/cgroup
	else
		mount -t tmpfs tmpfs /sys/fs/cgroup
		for c in $(awk '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++)
			if (o[i] !~ /^(rw|ro|relatime|nosuid|nodev|noexec)$/) print o[i] }' /proc/1/mounts | sort -u); do
			d=${c#name=}
			mkdir -p /sys/fs/cgroup/$d && mount -t cgroup -o ${c/#name=/none,name=} cgroup /sys/fs/cgroup/$d
		done
		grep -q ' /sys/fs/cgroup/unified cgroup2' /proc/1/mounts &&
			mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
	fi
fi
ip link set lo up
T=$(mktemp -d /tmp/spore-oci-test.XXXXXX)
SO=$here/$B/spore-oci
R=$T/state                                   # spore-oci's --root for the CLI checks
cache_before=$(ls /run/spore-oci/initrd@cache 2>/dev/null)
cleanup() {
	[ -n "${PODMAN:-}" ] && { timeout 60 $PODMAN rm -af -t 0 >/dev/null 2>&1
		timeout 60 $PODMAN rmi -af >/dev/null 2>&1; }
	for f in $R/*/spore.json; do
		[ -f "$f" ] && timeout 10 $SO --root $R delete --force "$(basename "$(dirname "$f")")" 2>/dev/null
	done
	# Initrds this test packed into the default root's cache (podman's runs).
	for f in $(ls /run/spore-oci/initrd@cache 2>/dev/null); do
		grep -qxF "$f" <<< "$cache_before" || rm -f "/run/spore-oci/initrd@cache/$f"
	done
	rm -rf "$T"
}
trap cleanup EXIT

# A bundle: $1 dir, $2 config.json text; rootfs from the remaining args (files to copy as NAME=SRC).
bundle() {
	local d=$1 cfg=$2; shift 2
	mkdir -p "$d/rootfs"
	[ "$cfg" = - ] || printf '%s\n' "$cfg" > "$d/config.json"
	for f in "$@"; do cp "${f#*=}" "$d/rootfs/${f%%=*}"; done
}
cfg() {   # args as a JSON array, optional memory limit (raw JSON)
	local lin=""
	[ -n "${2:-}" ] && lin=',"linux":{"resources":{"memory":{"limit":'"$2"'}}}'
	printf '{"ociVersion":"1.0.2","process":{"args":%s,"env":["PATH=/bin:/"]},"root":{"path":"rootfs"}%s}' "$1" "$lin"
}
# Expects spore-oci to fail with one clear line naming $2, no state left behind.
expect_err() {
	local name=$1 want=$2; shift 2
	local out rc
	out=$(timeout 30 "$@" 2>&1); rc=$?
	local lines; lines=$(printf '%s\n' "$out" | grep -c .)
	if [ $rc = 0 ]; then bad "$name: exited 0 ($out)"
	elif [ "$lines" != 1 ] || ! grep -q "^spore-oci: .*$want" <<< "$out"; then
		bad "$name: want one line with '$want', got: $out"
	elif [ -n "$(ls -A $R 2>/dev/null | grep -v '^initrd@cache$')" ]; then
		bad "$name: left state behind: $(ls $R)"
	else ok "$name: status $rc, '$out'"; fi
}

# ---- the pure parts, under ASan and UBSan ---------------------------------------------
$B/oci/oci_test $B/apps/hello.elf $B/linux/hello 2>&1 | sed 's/^\(ok\|FAIL\|skip\) /\1 unit: /'
urc=${PIPESTATUS[0]}
[ "$urc" = 0 ] || bad "unit: oci_test exited $urc (a sanitizer report above?)"

# ---- the command line ---------------------------------------------------------------
v=$($SO --version) && grep -q '^spore-oci version' <<< "$v" && ok "--version: $(head -1 <<< "$v")" ||
	bad "--version: $v"
$SO features | jq -e '.ociVersionMax and .annotations["org.spore.vmm"]' >/dev/null &&
	ok "features prints JSON with the spec version and the VMM annotation" || bad "features: not valid JSON"
bundle $T/nocfg - hello=$B/apps/hello.elf
expect_err "missing config.json" "cannot read .*config.json" $SO --root $R create --bundle $T/nocfg c1
bundle $T/badjson '{"process": {"args": ["/hello"]' hello=$B/apps/hello.elf
expect_err "invalid config.json" "invalid JSON at line" $SO --root $R create --bundle $T/badjson c1
bundle $T/noargs '{"root":{"path":"rootfs"},"process":{"args":[]}}' hello=$B/apps/hello.elf
expect_err "empty process.args" "process.args is missing or empty" $SO --root $R create --bundle $T/noargs c1
bundle $T/memstr "$(cfg '["/hello"]' '"64m"')" hello=$B/apps/hello.elf
expect_err "memory limit not a number" "memory.limit is not an integer" $SO --root $R create --bundle $T/memstr c1
bundle $T/memsmall "$(cfg '["/hello"]' 1000)" hello=$B/apps/hello.elf
expect_err "memory limit below the guest's minimum" "memory limit 1000 bytes is outside" $SO --root $R create --bundle $T/memsmall c1
bundle $T/noimg "$(cfg '["/nothere", "x"]')"
expect_err "args[0] not in the rootfs" "'/nothere' is not a file in the rootfs" $SO --root $R create --bundle $T/noimg c1
bundle $T/escape "$(cfg '["/up"]')"
ln -s ../../../../../../$here/$B/apps/hello.elf $T/escape/rootfs/up
expect_err "args[0] a symlink out of the rootfs" "'/up' is not a file in the rootfs" $SO --root $R create --bundle $T/escape c1
bundle $T/norootfs "$(cfg '["/hello"]')" && rmdir $T/norootfs/rootfs
expect_err "missing rootfs" "rootfs .*No such file" $SO --root $R create --bundle $T/norootfs c1
bundle $T/big "$(cfg '["/hello"]' 4194304)" hello=$B/apps/hello.elf
head -c 3M /dev/zero > $T/big/rootfs/data
expect_err "rootfs too big for the guest's memory" "need more than half of the guest's 4 MiB" $SO --root $R create --bundle $T/big c1
bundle $T/hello "$(cfg '["/hello", "a", "b c", "it'"'"'s"]' 33554432)" hello=$B/apps/hello.elf
expect_err "invalid container id" "invalid container id" $SO --root $R create --bundle $T/hello ../c1
expect_err "console socket without a terminal" "console-socket given but process.terminal is not set" $SO --root $R create --bundle $T/hello --console-socket $T/sock c1
bundle $T/tty "$(cfg '["/hello"]' | jq -c '.process.terminal = true')" hello=$B/apps/hello.elf
expect_err "terminal without a console socket" "terminal: process.terminal is set but no --console-socket" $SO --root $R create --bundle $T/tty c1
expect_err "console socket nobody listens on" "terminal: console socket $T/nosock: No such file" $SO --root $R create --bundle $T/tty --console-socket $T/nosock c1
expect_err "unknown command" "unknown command 'frobnicate'" $SO --root $R frobnicate c1
# Neither a spore image nor a runc to hand it to.
bundle $T/script "$(cfg '["/run.sh"]')"
printf '#!/bin/sh\necho hi\n' > $T/script/rootfs/run.sh; chmod +x $T/script/rootfs/run.sh
expect_err "neither a spore image nor runc" "not a spore image, and runc cannot run it" \
	env SPORE_OCI_RUNC=/nonexistent/runc $SO --root $R create --bundle $T/script c1
expect_err "state of an unknown container, no runc" "not a spore container, and runc cannot run it" \
	env SPORE_OCI_RUNC=/nonexistent/runc $SO --root $R state nosuch

# ---- the lifecycle on a bundle (QEMU here, or spore-kvm where usable) ---------------
out=$(timeout 60 $SO --root $R run --bundle $T/hello c-run 2>&1 | tr -d '\r'); rc=${PIPESTATUS[0]}
if [ $rc = 0 ] && grep -qx 'argv\[2\] = b c' <<< "$out" && grep -qx "argv\[3\] = it's" <<< "$out" &&
	grep -qx goodbye <<< "$out" && [ ! -e $R/c-run ]; then
	ok "run of hello: arguments with a blank and a quote arrive, status 0, state removed"
else bad "run of hello: status $rc: $(tail -3 <<< "$out")"; fi
bundle $T/exit7 "$(cfg '["/exit7"]')" exit7=$B/tests/guest/exit7.elf
timeout 60 $SO --root $R run --bundle $T/exit7 c-7 >/dev/null 2>&1; rc=$?
[ $rc = 7 ] && ok "run returns the guest's exit status (7)" || bad "run of exit7: status $rc, want 7"
bundle $T/httpd "$(cfg '["/httpd", "-p", "80"]')" httpd=$B/apps/httpd.elf
mkdir -p $T/httpd/rootfs/site && echo hi > $T/httpd/rootfs/site/index.html
if $SO --root $R --log $T/rt.log --log-format json create --bundle $T/httpd --pid-file $T/pid c-life >$T/life.out 2>$T/err; then
	s1=$($SO --root $R state c-life | jq -r .status)
	$SO --root $R start c-life; sleep 1
	s2=$($SO --root $R state c-life | jq -r '.status + " " + .spore.vmm')
	pid=$(cat $T/pid); vpid=$($SO --root $R state c-life | jq -r .spore.vmmPid)
	l=$($SO --root $R list -q)
	$SO --root $R kill c-life TERM
	for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	s3=$($SO --root $R state c-life | jq -r .status)
	grep -q 'httpd: listening on 80' $T/life.out || s3="$s3 (no console output)"
	$SO --root $R delete c-life
	if [ "$s1" = created ] && [[ "$s2" == "running "* ]] && [ "$s3" = stopped ] && [ "$l" = c-life ] &&
		! kill -0 $pid 2>/dev/null && ! kill -0 $vpid 2>/dev/null && [ ! -e $R/c-life ] &&
		jq -e 'select(.level == "info")' $T/rt.log >/dev/null; then
		ok "lifecycle: created -> running on ${s2#running } -> kill TERM -> stopped -> deleted, no process left, JSON log"
	else bad "lifecycle: states '$s1' '$s2' '$s3', list '$l', pid $pid vmm $vpid"; fi
else bad "create of httpd: $(cat $T/err)"; fi
# hello's rootfs holds only the image (no initrd): the one archive is httpd's.
tar2=$(ls $R/initrd@cache/*.tar 2>/dev/null | head -1)
m1=$(stat -c %Y.%i "$tar2" 2>/dev/null)
if $SO --root $R create --bundle $T/httpd c-again 2>$T/err; then
	$SO --root $R delete --force c-again
	n=$(ls $R/initrd@cache/*.tar | wc -l)
	[ -n "$tar2" ] && [ "$(stat -c %Y.%i "$tar2")" = "$m1" ] && [ "$n" = 1 ] &&
		tar tf "$tar2" | grep -qx site/index.html && ! tar tf "$tar2" | grep -q '^httpd$' &&
		ok "initrd packed once: the second container reuses $(basename "$tar2" | cut -c1-12)..; it holds site/ and not the image" ||
		bad "initrd cache: $n archives, $tar2"
else bad "second create: $(cat $T/err)"; fi
# A state directory left by a killed run: state says so, delete --force clears it.
mkdir -p $R/c-dead && echo '{"id": "c-dead", "pid": ' > $R/c-dead/spore.json
out=$($SO --root $R state c-dead 2>&1); rc=$?
if [ $rc != 0 ] && grep -q 'state file is damaged' <<< "$out" && $SO --root $R delete --force c-dead &&
	[ ! -e $R/c-dead ]; then ok "damaged state: '$out'; delete --force removes it"
else bad "damaged state: status $rc: $out"; fi
# A created container whose supervisor was killed: stopped, and delete cleans it.
if $SO --root $R create --bundle $T/hello c-killed 2>$T/err; then
	kill -KILL "$($SO --root $R state c-killed | jq -r .pid)"; sleep 0.2
	s=$($SO --root $R state c-killed | jq -r .status)
	$SO --root $R delete c-killed && [ "$s" = stopped ] && [ ! -e $R/c-killed ] &&
		ok "a killed supervisor shows as stopped and deletes cleanly" || bad "killed supervisor: status '$s'"
else bad "create for the kill check: $(cat $T/err)"; fi

# The network set-up alone, in a namespace made as a CNI plugin would (a veth pair).
NN=sporeoci-n$$
if ip netns add $NN && ip link add vn$$ type veth peer name eth0 netns $NN &&
	ip -n $NN addr add 10.98.0.2/24 dev eth0 && ip -n $NN link set eth0 up && ip -n $NN link set lo up &&
	ip -n $NN route add default via 10.98.0.1; then
	mac=$(ip -n $NN -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	bundle $T/net "$(cfg '["/httpd", "-p", "80"]' | jq -c --arg p /run/netns/$NN '.linux.namespaces = [{"type": "network", "path": $p}]')" httpd=$B/apps/httpd.elf
	if $SO --root $R --log $T/net.log create --bundle $T/net c-net >/dev/null 2>$T/err; then
		f=$(ip netns exec $NN tc filter show dev eth0 ingress)
		t=$(ip netns exec $NN tc filter show dev sporetap0 ingress)
		out=$($SO --root $R create --bundle $T/net c-net2 2>&1); rc=$?
		$SO --root $R delete --force c-net
		left=$(ip -n $NN link show sporetap0 2>/dev/null; ip netns exec $NN tc qdisc show dev eth0 | grep ingress)
		if grep -q "mirred (Egress Redirect to device sporetap0)" <<< "$f" &&
			grep -q "mirred (Egress Redirect to device eth0)" <<< "$t" &&
			grep -q "cmdline 'ip=10.98.0.2/24 gw=10.98.0.1 -- -p 80'" $T/net.log &&
			grep -q "network eth0 mac $mac," $T/net.log && [ -n "$mac" ] && [ $rc != 0 ] && grep -q 'sporetap0' <<< "$out" && [ -z "$left" ]; then
			ok "network: tap + tc mirred both ways with eth0, guest gets its MAC $mac, ip=10.98.0.2/24 gw=10.98.0.1; a second VM in the namespace: '$out'; delete removes tap and qdisc"
		else bad "network: filters '$f' / '$t', second create $rc '$out', left '$left', log $(tail -1 $T/net.log)"; fi
	else bad "network: create: $(cat $T/err)"; fi
fi
ip netns del $NN 2>/dev/null

# ---- runc passthrough ----------------------------------------------------------------
if command -v runc >/dev/null; then
	mkdir -p $T/plain/rootfs && (cd $T/plain && runc spec >/dev/null 2>&1) &&
		cp $B/linux/hello $T/plain/rootfs/hello &&
		jq '.process.args = ["/hello", "plain"] | .process.terminal = false | .root.readonly = false' \
			$T/plain/config.json > $T/plain/c.json && mv $T/plain/c.json $T/plain/config.json
	out=$(timeout 60 $SO --root $T/runc run --bundle $T/plain c-plain 2>&1); rc=$?
	[ $rc = 0 ] && grep -qx 'argv\[1\] = plain' <<< "$out" && grep -q 'Hello from spore' <<< "$out" &&
		[ ! -e $R/c-plain ] && ok "a Linux bundle goes to runc unchanged (same argv), status 0" ||
		bad "runc passthrough: status $rc: $(tail -2 <<< "$out")"
else skip "runc passthrough: runc not installed"; fi

# ---- podman ---------------------------------------------------------------------------
if ! command -v podman >/dev/null; then
	skip "podman: not installed (tests/deps.sh installs it)"
	skip "containerd: needs podman to build its image"; exit 0
fi
PODMAN="podman --root $T/storage --runroot $T/run --tmpdir $T/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --network-backend netavark"
UL="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
if ! timeout 300 env PODMAN="$PODMAN" oci/images.sh > $T/images.log 2>&1; then
	bad "podman build of the images: $(tail -2 $T/images.log)"
	skip "containerd: needs podman's image"; exit 0
fi
ok "podman build of spore-hello, spore-httpd, spore-kv (FROM scratch)"
out=$(timeout 120 $PODMAN run --rm --runtime $SO $UL spore-hello a 'b c' 2>&1 | tr -d '\r'); rc=${PIPESTATUS[0]}
[ $rc = 0 ] && grep -qx 'argv\[1\] = a' <<< "$out" && grep -qx 'argv\[2\] = b c' <<< "$out" &&
	ok "podman run --rm spore-hello a 'b c': the arguments, status 0" ||
	bad "podman run spore-hello: status $rc: $(tail -3 <<< "$out")"
out=$(timeout 120 $PODMAN run --rm -t --runtime $SO $UL spore-hello tty 2>&1); rc=$?
[ $rc = 0 ] && grep -q $'^argv\\[1\\] = tty\r$' <<< "$out" &&
	ok "podman run -t: the guest's console on a pty (--console-socket), one CR LF per line, status 0" ||
	bad "podman run -t spore-hello: status $rc: $(tail -2 <<< "$out" | cat -A)"
out=$(timeout 120 $PODMAN run --rm --runtime $SO $UL --entrypoint /nothere spore-hello 2>&1); rc=$?
out2=$(timeout 120 $PODMAN run --rm --runtime $SO $UL -m 1m spore-hello 2>&1); rc2=$?
[ $rc != 0 ] && grep -q "spore-oci: process.args\[0\] '/nothere' is not a file in the rootfs" <<< "$out" &&
	[ $rc2 != 0 ] && grep -q 'spore-oci: config.json: memory limit 1048576 bytes is outside' <<< "$out2" &&
	ok "podman shows spore-oci's one line for a missing entrypoint and for -m 1m (statuses $rc, $rc2)" ||
	bad "podman with a bad bundle: $rc '$out' / $rc2 '$out2'"
mkdir -p $T/ctx7 && cp $B/tests/guest/exit7.elf $T/ctx7/exit7 &&
	printf 'FROM scratch\nCOPY exit7 /exit7\nENTRYPOINT ["/exit7"]\n' > $T/ctx7/Containerfile &&
	timeout 120 $PODMAN build -q -t spore-exit7 $T/ctx7 >/dev/null 2>&1
timeout 120 $PODMAN run --rm --runtime $SO $UL spore-exit7 >/dev/null 2>&1; rc=$?
[ $rc = 7 ] && ok "podman run returns the guest's status (7)" || bad "podman run spore-exit7: status $rc"
# httpd behind -p: curl, logs, stop within the grace period, rm leaves nothing.
if timeout 120 $PODMAN run -d --name web --runtime $SO $UL -p 127.0.0.1:8080:80 spore-httpd >/dev/null 2>$T/err; then
	body=""
	for i in $(seq 1 60); do body=$(curl -s -m 2 http://127.0.0.1:8080/) && [ -n "$body" ] && break; sleep 0.5; done
	grep -q 'Hello from spore under podman' <<< "$body" &&
		ok "podman run -d -p 127.0.0.1:8080:80 spore-httpd answers curl" ||
		bad "httpd through -p: no answer after 30 s"
	logs=$(timeout 30 $PODMAN logs web 2>&1)
	grep -q 'httpd: listening on 80' <<< "$logs" && grep -q 'GET / 200' <<< "$logs" &&
		ok "podman logs shows the guest's console" || bad "podman logs: $logs"
	mem=$(timeout 30 $PODMAN stats --no-stream --format '{{.MemUsage}}' web 2>&1)
	[[ "$mem" =~ ^[1-9][0-9.]*[kM]B ]] &&
		ok "podman stats sees the VM in the container's cgroup: $mem" || bad "podman stats: '$mem'"
	pid=$(timeout 30 $PODMAN inspect -f '{{.State.Pid}}' web)
	t0=$(date +%s%N); timeout 60 $PODMAN stop -t 10 web >/dev/null 2>&1; t1=$(date +%s%N)
	st=$(timeout 30 $PODMAN inspect -f '{{.State.ExitCode}}' web)
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$st" = 143 ] && [ $ms -lt 10000 ] && ok "podman stop ends it in $ms ms (grace 10 s), exit 143" ||
		bad "podman stop: exit '$st' after $ms ms"
	id=$(timeout 30 $PODMAN inspect -f '{{.Id}}' web)
	timeout 60 $PODMAN rm web >/dev/null 2>&1
	left=""
	[ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null && left="$left process $pid"
	[ -e /run/spore-oci/$id ] && left="$left state"
	ip link show | grep -q sporetap && left="$left tap"
	pgrep -f "spore-oci.*$id" >/dev/null && left="$left supervisor"
	ls -d /sys/fs/cgroup/*/libpod_parent/libpod-$id /sys/fs/cgroup/libpod_parent/libpod-$id >/dev/null 2>&1 &&
		left="$left cgroup"
	[ -z "$left" ] && ok "podman rm leaves no process, tap, cgroup or state" || bad "podman rm left$left"
else bad "podman run -d spore-httpd: $(tail -2 $T/err)"; fi
if command -v redis-cli >/dev/null; then
	if timeout 120 $PODMAN run -d --name kv --runtime $SO $UL -p 127.0.0.1:6379:6379 spore-kv >/dev/null 2>$T/err; then
		r=""
		for i in $(seq 1 60); do r=$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 SET k v 2>/dev/null) && [ "$r" = OK ] && break; sleep 0.5; done
		g=$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 GET k 2>/dev/null)
		[ "$r" = OK ] && [ "$g" = v ] && ok "spore-kv answers redis-cli SET/GET through -p 6379" ||
			bad "kv through -p: SET '$r' GET '$g'"
		timeout 60 $PODMAN rm -f -t 2 kv >/dev/null 2>&1
	else bad "podman run -d spore-kv: $(tail -2 $T/err)"; fi
else skip "kv: no redis-cli"; fi
# A plain Linux image through the same runtime goes to runc.
mkdir -p $T/ctxl && cp $B/linux/hello $T/ctxl/hello &&
	printf 'FROM scratch\nCOPY hello /hello\nENTRYPOINT ["/hello"]\n' > $T/ctxl/Containerfile &&
	timeout 120 $PODMAN build -q -t plain-hello $T/ctxl >/dev/null 2>&1
out=$(timeout 120 $PODMAN run --rm --runtime $SO $UL plain-hello linux 2>&1); rc=$?
[ $rc = 0 ] && grep -qx 'argv\[1\] = linux' <<< "$out" &&
	ok "podman run of a plain Linux image through spore-oci runs under runc" ||
	bad "podman run plain-hello: status $rc: $(tail -2 <<< "$out")"

# ---- containerd: ctr run with the runc shim and spore-oci as its binary -----------------
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
	skip "containerd: not installed (tests/deps.sh installs it)"; exit 0
fi
CT=$T/ctrd CNS=spore-oci-test-$$
mkdir -p $CT
printf 'version = 2\nroot = "%s/root"\nstate = "%s/state"\n[grpc]\n  address = "%s/sock"\n' $CT $CT $CT > $CT/config.toml
containerd --config $CT/config.toml > $CT/log 2>&1 &
cpid=$!
for i in $(seq 1 100); do [ -S $CT/sock ] && break; sleep 0.1; done
CTR="ctr --address $CT/sock -n $CNS"
ctr_cleanup() {
	timeout 30 $CTR task kill -s KILL web >/dev/null 2>&1; sleep 0.5
	timeout 30 $CTR task delete web >/dev/null 2>&1; timeout 30 $CTR container delete web >/dev/null 2>&1
	timeout 30 $CTR images rm localhost/spore-httpd:latest >/dev/null 2>&1
	kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
	ip netns del $CNS 2>/dev/null
	rm -rf /run/containerd/runc/$CNS
	rmdir /run/containerd/runc /run/containerd/fifo /run/containerd/s /run/containerd 2>/dev/null
}
# The namespace a CNI plugin would make: a veth pair, the container's end inside.
ip netns add $CNS && ip link add vh$$ type veth peer name vc0 netns $CNS &&
	ip addr add 10.99.0.1/24 dev vh$$ && ip link set vh$$ up &&
	ip -n $CNS addr add 10.99.0.2/24 dev vc0 && ip -n $CNS link set vc0 up &&
	ip -n $CNS route add default via 10.99.0.1
if timeout 120 $PODMAN save --format oci-archive -o $T/httpd-oci.tar spore-httpd >/dev/null 2>&1 &&
	timeout 120 $CTR images import --all-platforms $T/httpd-oci.tar >/dev/null 2>&1 &&
	timeout 120 $CTR run -d --runc-binary $SO --with-ns network:/run/netns/$CNS \
		localhost/spore-httpd:latest web > $T/ctr.out 2>&1; then
	body=""
	for i in $(seq 1 60); do body=$(curl -s -m 2 http://10.99.0.2/) && [ -n "$body" ] && break; sleep 0.5; done
	st1=$(timeout 30 $CTR task ls | awk '$1 == "web" { print $3 }')
	timeout 30 $CTR task kill web >/dev/null 2>&1
	for i in $(seq 1 50); do st2=$(timeout 30 $CTR task ls | awk '$1 == "web" { print $3 }'); [ "$st2" = STOPPED ] && break; sleep 0.2; done
	grep -q 'Hello from spore under podman' <<< "$body" && [ "$st1" = RUNNING ] && [ "$st2" = STOPPED ] &&
		ok "containerd: ctr run --runc-binary spore-oci of httpd answers curl in a CNI-style namespace; task kill stops it" ||
		bad "containerd: answer '${body:0:40}', task $st1 -> $st2"
else bad "containerd: ctr run: $(tail -2 $T/ctr.out 2>/dev/null)"; fi
ctr_cleanup
exit 0
