#!/bin/bash
# SPDX-License-Identifier: MIT
# podman run through spore-oci against runc, same podman, same store, same network, same
# run, interleaved (docs/oci.md): hello start to exit, httpd start to its first answer through
# -p, the container's memory, and the runtime alone (spore-oci run / runc run on a bundle).
#   oci/bench.sh [N]     (default 11 rounds; root; makes and removes its own netns)
# Prints one line per row: median, min..max in ms. Needs make all linux, build/spore-oci.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
N=${1:-11}
if [ -z "${SPORE_OCI_INNS:-}" ]; then
	nice -n 10 make -s build/spore-oci build/apps/hello.elf build/apps/httpd.elf build/linux/hello \
		build/linux/httpd >/dev/null || exit 1
	ns=sporeoci-bench-$$
	ip netns add $ns || exit 1
	trap 'ip netns del $ns' EXIT
	timeout -k 5 3000 ip netns exec $ns env SPORE_OCI_INNS=1 "$0" "$@"
	exit $?
fi
# Inside: cgroups again (ip netns exec remounted /sys), as tests/oci.sh does.
mount -t tmpfs tmpfs /sys/fs/cgroup
for c in $(awk '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++)
	if (o[i] !~ /^(rw|ro|relatime|nosuid|nodev|noexec)$/) print o[i] }' /proc/1/mounts | sort -u); do
	d=${c#name=}; mkdir -p /sys/fs/cgroup/$d && mount -t cgroup -o ${c/#name=/none,name=} cgroup /sys/fs/cgroup/$d
done
ip link set lo up
T=$(mktemp -d /tmp/spore-oci-bench.XXXXXX)
PODMAN="podman --root $T/storage --runroot $T/run --tmpdir $T/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --network-backend netavark"
UL="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
SO=$here/build/spore-oci
cache_before=$(ls /run/spore-oci/initrd@cache 2>/dev/null)
cleanup() {
	$PODMAN rm -af -t 0 >/dev/null 2>&1; $PODMAN rmi -af >/dev/null 2>&1; rm -rf $T
	for f in $(ls /run/spore-oci/initrd@cache 2>/dev/null); do   # the initrds this run packed
		grep -qxF "$f" <<< "$cache_before" || rm -f "/run/spore-oci/initrd@cache/$f"
	done
}
trap cleanup EXIT
PODMAN="$PODMAN" oci/images.sh hello httpd >/dev/null || exit 1
mkdir -p $T/ch $T/cw/site
cp build/linux/hello $T/ch/hello; printf 'FROM scratch\nCOPY hello /hello\nENTRYPOINT ["/hello"]\n' > $T/ch/Containerfile
cp build/linux/httpd $T/cw/httpd; cp -r oci/site/. $T/cw/site/
printf 'FROM scratch\nCOPY httpd /httpd\nCOPY site/ /site/\nENTRYPOINT ["/httpd", "-p", "80", "-d", "/site"]\n' > $T/cw/Containerfile
$PODMAN build -q -t linux-hello $T/ch >/dev/null && $PODMAN build -q -t linux-httpd $T/cw >/dev/null || exit 1

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# Bundles for the runtimes alone: the same files, no podman.
mkdir -p $T/bs/rootfs $T/bl/rootfs
cp build/apps/hello.elf $T/bs/rootfs/hello; cp build/linux/hello $T/bl/rootfs/hello
printf '{"ociVersion":"1.0.2","process":{"args":["/hello"],"cwd":"/"},"root":{"path":"rootfs"}}' > $T/bs/config.json
(cd $T/bl && runc spec && jq '.process.args = ["/hello"] | .process.terminal = false' config.json > c && mv c config.json)

declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
podman_hello() {   # $1 runtime, $2 image
	local t=$(date +%s%N)
	timeout 120 $PODMAN run --rm --runtime $1 $UL $2 >/dev/null 2>&1 || echo "bench: podman run $2 failed" >&2
	ms $t
}
first_answer() {   # $1 runtime, $2 image; prints "ms rss_kib"
	local t=$(date +%s%N) a=""
	timeout 120 $PODMAN run -d --name fa --runtime $1 $UL -p 127.0.0.1:8080:80 $2 >/dev/null 2>&1
	for i in $(seq 1 600); do curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/ && { a=1; break; }; sleep 0.02; done
	local d=$(ms $t)
	# The container's memory: the pid podman knows and its children (spore: supervisor + VMM).
	local pid=$($PODMAN inspect -f '{{.State.Pid}}' fa) rss=0
	for p in $pid $(pgrep -P $pid); do rss=$((rss + $(awk '/^VmRSS/ { print $2 }' /proc/$p/status 2>/dev/null || echo 0))); done
	timeout 60 $PODMAN rm -f -t 0 fa >/dev/null 2>&1
	[ -n "$a" ] && echo "$d $rss" || echo "bench: $2 never answered" >&2
}
for r in $(seq 1 $N); do
	add "podman run hello, spore-oci" "$(podman_hello $SO spore-hello)"
	add "podman run hello, runc" "$(podman_hello runc linux-hello)"
	set -- $(first_answer $SO spore-httpd); add "podman run -d -p httpd -> first answer, spore-oci" "$1"; add "httpd memory (RSS KiB), spore-oci: supervisor + VMM" "$2"
	set -- $(first_answer runc linux-httpd); add "podman run -d -p httpd -> first answer, runc" "$1"; add "httpd memory (RSS KiB), runc: the process" "$2"
	t=$(date +%s%N); $SO --root $T/so --log $T/so.log run --bundle $T/bs b$r >/dev/null 2>&1; add "spore-oci run hello alone (no podman)" "$(ms $t)"
	t=$(date +%s%N); runc --root $T/rc run --bundle $T/bl b$r >/dev/null 2>&1; add "runc run hello alone (no podman)" "$(ms $t)"
done
echo "# $N rounds, interleaved; $(nproc) CPUs; VMM: $(sed -n 's/.*created on \([^,]*\),.*/\1/p' $T/so.log | sort -u)"
for k in "podman run hello, spore-oci" "podman run hello, runc" "spore-oci run hello alone (no podman)" \
	"runc run hello alone (no podman)" "podman run -d -p httpd -> first answer, spore-oci" \
	"podman run -d -p httpd -> first answer, runc" "httpd memory (RSS KiB), spore-oci: supervisor + VMM" \
	"httpd memory (RSS KiB), runc: the process"; do
	echo ${R[$k]:-} | tr ' ' '\n' | grep . | sort -n | awk -v k="$k" '{ v[NR] = $1 } END {
		if (NR == 0) { printf "%-56s no data\n", k; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%-56s median %7.0f   min %6d   max %6d   (n=%d)\n", k, m, v[1], v[NR], NR }'
done
