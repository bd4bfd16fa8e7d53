#!/bin/sh
# SPDX-License-Identifier: MIT
# QEMU with -accel kvm inside the lab's L1, where busybox sh cannot run the
# bash of tests/spore-run: boots IMAGE on microvm or q35 as spore-run does and
# exits with the guest's status (isa-debug-exit makes QEMU exit with
# (status << 1) | 1), or 251 when the guest died without exiting.
#   [QEMU_ARGS="-netdev ..."] tests/kvm-lab/qemu.sh microvm|q35 IMAGE [CMDLINE]
case $1 in
microvm) m="-M microvm,x-option-roms=off,rtc=on -global virtio-mmio.force-legacy=false"
	rng=virtio-rng-device ;;
q35) m="-M q35" rng=virtio-rng-pci,disable-legacy=on ;;
*) echo "usage: qemu.sh microvm|q35 IMAGE [CMDLINE]" >&2; exit 2 ;;
esac
qemu-system-x86_64 $m -accel kvm -cpu host,-arch-capabilities -m 64 \
	-nodefaults -no-user-config -display none -no-reboot \
	-chardev stdio,id=con -serial chardev:con \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -device $rng ${QEMU_ARGS:-} -kernel "$2" -append "$3"
rc=$?
[ $((rc & 1)) = 1 ] && exit $((rc >> 1))
echo "qemu.sh: guest died without exiting (QEMU status $rc)" >&2
exit 251
