#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the ordinary-KVM lab once into build/kvm-lab/: a stock Debian kernel
# that loads kvm_amd when QEMU TCG (-cpu max, which emulates SVM) boots it, and
# a busybox initramfs tree whose /init runs a batch (tests/kvm-lab/init).
# Debian packages only (apt-get download + dpkg -x): nothing is installed on
# the host. When the parts cannot be had it prints "skip kvm-lab: WHY" and
# exits 3, so callers can tell "no lab here" from a failed test.
set -u
cd "$(dirname "$0")/../.."
L=build/kvm-lab
# The modules, in load order (dependency order, read from their .modinfo); a
# lab built with another list is rebuilt.
mods="virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd drivers/net/tun drivers/net/veth"
# Kept beside the tree, not loaded by /init: tests that want them bring and insmod
# them (the --vhost rows: tests/kvm-lab/vhost.sh).
extra="drivers/net/tap drivers/vhost/vhost_iotlb drivers/vhost/vhost drivers/vhost/vhost_net"
[ "$(sed -n 2p $L/ready 2>/dev/null)" = "$mods" ] && [ "$(sed -n 3p $L/ready 2>/dev/null)" = "$extra" ] && exit 0
skip() { echo "skip kvm-lab: $*"; exit 3; }
command -v qemu-system-x86_64 > /dev/null || skip "no qemu-system-x86_64 on this host"

# The kernel package linux-image-amd64 points at, e.g. linux-image-6.1.0-57-amd64.
kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1; }
k=$(kpkg)
[ -n "$k" ] || { apt-get update -qq > /dev/null 2>&1; k=$(kpkg); }
[ -n "$k" ] || skip "apt-cache knows no linux-image-amd64 (apt-get update failed?)"

rm -rf $L && mkdir -p $L/debs $L/pkg $L/root
# apt-get download runs as _apt when it can; a root-owned directory makes it
# warn and fall back to root, which is fine.
(cd $L/debs && apt-get download -q "$k" busybox-static > ../download.log 2>&1) ||
	skip "apt-get download $k busybox-static failed (no network or mirror?): $(tail -1 $L/download.log)"
for d in $L/debs/*.deb; do dpkg -x "$d" $L/pkg || skip "dpkg -x $d failed"; done
cp $L/pkg/boot/vmlinuz-* $L/vmlinuz || skip "no vmlinuz in $k"

# The initramfs tree: busybox, the modules, /init. Batches add /lab/batch and
# files under /spore.
r=$L/root
mkdir -p $r/bin $r/modules $r/lab $r/spore $r/proc $r/sys $r/dev $r/tmp
cp $L/pkg/bin/busybox $r/bin/busybox
for m in $mods; do
	cp $L/pkg/lib/modules/*/kernel/$m.ko $r/modules/ || skip "no $m.ko in $k"
done
mkdir -p $L/modules-extra
for m in $extra; do
	cp $L/pkg/lib/modules/*/kernel/$m.ko $L/modules-extra/ || skip "no $m.ko in $k"
done
cp tests/kvm-lab/init $r/init && chmod +x $r/init
rm -rf $L/pkg $L/debs   # ~470 MB unpacked; the tree above is all a run needs
printf '%s\n%s\n%s\n' "$k" "$mods" "$extra" > $L/ready
echo "kvm-lab: built $L from $k and busybox-static"
