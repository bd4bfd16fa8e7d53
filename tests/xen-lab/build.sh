#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the Xen lab once into build/xen-lab (shared/xen-lab.md's recipe): Xen
# 4.17 and a Debian kernel from Debian's packages, a debootstrap dom0 with the
# Xen tools packed as an initramfs. Cached: a second call returns at once.
# Exit 0 when the lab is there; 2 with one "skip xen-lab: why" line when it
# cannot be built here (no root, no package). Log: build/xen-lab/build.log.
set -eu
cd "$(dirname "$0")/../.."
L=$PWD/build/xen-lab
# dom0's packages: the Xen tools, and the test clients that run in dom0 against a
# domU on the bridge (ping, python3 for tests/netclient.py, curl). .done holds
# this list: a lab built with another list is built again.
PKGS=xen-utils-4.17,xenstore-utils,kmod,iproute2,procps,iputils-ping,python3-minimal,curl
[ "$(cat "$L/.done" 2>/dev/null)" = "$PKGS" ] && exit 0
rm -f "$L/.done"
mkdir -p "$L"
exec 3>&1 >"$L/build.log" 2>&1     # the log gets everything; fd 3 is the caller's
skip() { echo "skip xen-lab: $* (see $L/build.log)" >&3; exit 2; }
trap 'echo "skip xen-lab: build failed at line $LINENO (see $L/build.log)" >&3' ERR
[ "$(id -u)" = 0 ] || skip "building dom0 needs root (debootstrap, chroot)"
export DEBIAN_FRONTEND=noninteractive
{ command -v debootstrap && command -v cpio; } >/dev/null ||
	apt-get install -y -qq --no-install-recommends debootstrap cpio || skip "cannot install debootstrap, cpio"

# 1. Xen and the kernel. Name the kernel's exact package: a glob would fetch every ABI.
KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$KPKG" ] || skip "apt knows no linux-image-amd64"
rm -rf "$L/pkg" "$L/x" && mkdir -p "$L/pkg" "$L/x"
(cd "$L/pkg" && apt-get download xen-hypervisor-4.17-amd64 "$KPKG") || skip "apt-get download failed"
for d in "$L"/pkg/*.deb; do dpkg -x "$d" "$L/x"; done
zcat "$L"/x/boot/xen-4.17-amd64.gz > "$L/xen.elf"
KVER=${KPKG#linux-image-}
cp "$L/x/boot/vmlinuz-$KVER" "$L/vmlinuz"

# 2. dom0's root, from the mirror the host's apt uses.
MIRROR=$(sed -n 's/^URIs: *//p; s/^deb  *\(http[^ ]*\)  *bookworm .*/\1/p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m1 'debian/*$' || true)
R=$L/root
rm -rf "$R"
debootstrap --variant=minbase --include=$PKGS bookworm "$R" "${MIRROR:-http://deb.debian.org/debian}" || skip "debootstrap failed"

# 3. The kernel modules dom0 loads, then depmod inside the root.
M=lib/modules/$KVER
mkdir -p "$R/$M/kernel"
for d in drivers/xen drivers/block/xen-blkback drivers/net/xen-netback drivers/net/tun.ko \
	 drivers/block/loop.ko net/bridge net/802 net/llc; do
	[ -e "$L/x/$M/kernel/$d" ] || continue
	mkdir -p "$(dirname "$R/$M/kernel/$d")"
	cp -a "$L/x/$M/kernel/$d" "$R/$M/kernel/$d"
done
cp "$L/x/$M"/modules.order "$L/x/$M"/modules.builtin* "$R/$M/"
chroot "$R" depmod "$KVER"
chroot "$R" python3 -c 'import hashlib, socket, threading, random, struct' || skip "python3 in dom0 lacks a module"

# 4. Trim and pack (newc, gzip -1: TCG unpacks it on every boot). /init is
# not in it: run.sh sends it with each run's files (tests/xen-lab/init).
rm -rf "$R"/usr/share/{doc,man,locale,info} "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$L/dom0.cpio.gz"
rm -rf "$L/pkg" "$L/x" "$R"
echo "$PKGS" > "$L/.done"
echo "xen-lab: built $(du -sh "$L/dom0.cpio.gz" | cut -f1) dom0 initramfs, kernel $KVER" >&3
