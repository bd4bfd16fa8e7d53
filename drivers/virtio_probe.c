// SPDX-License-Identifier: MIT
/* Device discovery on top of the virtio stack: asks the transports for their
 * devices and hands each to its driver by one switch on the device type. The
 * only file that names both a transport and a driver; nothing below calls it. */
#include "kernel.h"
#include "virtio.h"

/* 0: a driver took the device; -1: none, or it failed (it said why). */
static int attach(struct vdev *d, unsigned type)
{
	switch (type) {
	case VIRTIO_ID_NET: return vnet_init(d);
	case VIRTIO_ID_BLK: return vblk_init(d);
	case VIRTIO_ID_RNG: return vrng_init(d);
	}
	return -1;
}

void virtio_probe(void)
{
	if (!vpci_probe(attach)) /* q35: PCI; on microvm the scan finds nothing */
		vmmio_probe(attach);
}

void virtio_probe_named(uint64_t lo, uint64_t hi) { vmmio_probe_named(lo, hi, attach); }
