// SPDX-License-Identifier: MIT
/* The device layer both transports share (spec 3.1.1's steps, written once):
 * drivers call it, the transport's ops (virtio_mmio.c, virtio_pci.c) carry it
 * to the device's registers. It names no driver and no transport. */
#include "kernel.h"
#include "net.h"
#include "virtio.h"

#define RESET_NS 1000000000ull /* a device still not reset by then is given up on */
/* Steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK and its
 * re-check. Returns 0 with the accepted features in *got. */
int vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *got)
{
	const struct vdev_ops *o = d->ops;
	o->set_status(d, 0); /* 1. reset */
	/* 2.4.2: the reset is done when the status reads 0 (a PCI device may take
	 * its time; mmio answers at once, so the clock is read only when waiting). */
	for (uint64_t give_up = 0; o->status(d);) {
		uint64_t now = clock_monotonic_ns();
		if (!give_up)
			give_up = now + RESET_NS;
		else if (now > give_up)
			return -1;
	}
	o->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);                        /* 2. seen it */
	o->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER); /* 3. can drive it */
	uint64_t dev = 0;                                                   /* 4. features */
	for (unsigned w = 0; w < 2; w++)
		dev |= (uint64_t)o->features(d, w) << (32 * w);
	*got = dev & want;
	if (!(*got & 1ull << VIRTIO_F_VERSION_1))
		return -1; /* a legacy-only device: not supported */
	for (unsigned w = 0; w < 2; w++)
		o->set_features(d, w, (uint32_t)(*got >> (32 * w)));
	o->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                         VIRTIO_STATUS_FEATURES_OK);      /* 5. */
	return o->status(d) & VIRTIO_STATUS_FEATURES_OK ? 0 : -1; /* 6. accepted? */
}

/* Step 7 for one queue: its size (the device's maximum caps `want`), zeroed
 * ring memory, then the transport's ring addresses and ready. */
int vdev_setup_queue(struct vdev *d, unsigned idx, struct virtq *q, uint16_t want)
{
	uint16_t max = d->ops->queue_max(d, idx), n = want;
	while (n > max)
		n >>= 1;
	if (n == 0)
		return -1;
	uint64_t bytes = virtq_mem_size(n);
	void *mem = mem_alloc_pages(bytes / PAGE_SIZE);
	if (!mem)
		return -1;
	for (uint64_t i = 0; i < bytes; i++)
		((uint8_t *)mem)[i] = 0;
	if (virtq_init(q, n, mem) < 0)
		return -1;
	return d->ops->queue_set(d, idx, q);
}

void vdev_notify(struct vdev *d, unsigned queue)
{
	/* The ring writes must be visible before the device is told (2.7.13).
	 * x86 keeps stores in order even to a device register, so wmb() would
	 * do; the full fence costs nothing next to the exit the kick causes. */
	mb();
	d->ops->notify(d, queue);
}

void vdev_driver_ok(struct vdev *d) /* step 8 */
{
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                              VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

void vdev_fail(struct vdev *d) { d->ops->set_status(d, VIRTIO_STATUS_FAILED); }

uint8_t vdev_config8(struct vdev *d, unsigned off) { return d->ops->config8(d, off); }
uint16_t vdev_config16(struct vdev *d, unsigned off) { return d->ops->config16(d, off); }

/* Which device types have a driver that is still free: one NIC only. A
 * transport asks before it sets a device up (PCI: before bus mastering). */
int vdev_wanted(unsigned type)
{
	return (type == VIRTIO_ID_NET && !net_dev) || type == VIRTIO_ID_RNG ||
	       type == VIRTIO_ID_BLK;
}
