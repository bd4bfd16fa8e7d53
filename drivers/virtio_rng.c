// SPDX-License-Identifier: MIT
/* virtio-rng (spec 5.4): one queue of device-writable buffers the host fills
 * from its entropy source; getentropy's source under QEMU when the CPU has
 * no RDRAND. A request waits for the device with short sleeps, bounded. */
#include "kernel.h"
#include "virtio.h"

static struct vdev *dev;
static struct virtq q;
static uint8_t *page;     /* the one in-flight buffer */

int vrng_init(struct vdev *d)
{
	uint64_t got;

	if (dev || vdev_negotiate(d, 1ull << VIRTIO_F_VERSION_1, &got) < 0 ||
	    !(page = mem_alloc_pages(1)) || vdev_setup_queue(d, 0, &q, 8) < 0) {
		vdev_fail(d);
		return -1;
	}
	vdev_driver_ok(d);
	dev = d;
	return 0;
}

/* Fills buf with n bytes from the device: 0, or -1 (no device, or no answer
 * within a second, or a broken queue). */
int vrng_read(void *buf, size_t n)
{
	uint8_t *out = buf;

	if (!dev)
		return -1;
	while (n) {
		uint32_t want = n < PAGE_SIZE ? (uint32_t)n : PAGE_SIZE, len = 0;
		void *c;
		int r = 0;
		if (virtq_add(&q, (uint64_t)page, want, 1, page) < 0)
			return -1;
		vdev_notify(dev, 0);
		uint64_t give_up = clock_monotonic_ns() + 1000000000ull;
		while ((r = virtq_get(&q, &c, &len)) == 0 && clock_monotonic_ns() < give_up)
			sleep_until(clock_monotonic_ns() + 20000);
		if (r != 1 || len == 0)
			return -1;   /* a request left in flight keeps the queue busy: fail from now on */
		for (uint32_t i = 0; i < len; i++)
			out[i] = page[i];
		out += len;
		n -= len;
	}
	return 0;
}
