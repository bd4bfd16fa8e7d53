// SPDX-License-Identifier: MIT
/* virtio-rng (spec 5.4): one queue of device-writable buffers the host fills
 * from its entropy source; getentropy's source under QEMU with entropy=host
 * or without RDRAND. No interrupts: a request polls the used ring, halting
 * between polls, for at most a second. */
#include "kernel.h"
#include "virtio.h"

#define RNG_POLL_NS    100000ull     /* between looks at the used ring */
#define RNG_TIMEOUT_NS 1000000000ull /* then the device is given up on */

static struct vdev *dev;
static struct virtq q;
static uint8_t *page; /* the one in-flight buffer */

int vrng_init(struct vdev *d)
{
	uint64_t got;

	if (dev)
		return -1;                                                       /* one is enough */
	if (vdev_negotiate(d, 1ull << VIRTIO_F_VERSION_1, &got) < 0 ||           /* steps 1-6 */
	    !(page = mem_alloc_pages(1)) || vdev_setup_queue(d, 0, &q, 8) < 0) { /* 7 */
		kprintf("spore: virtio-rng: setup failed\n");
		vdev_fail(d);
		return -1;
	}
	vdev_driver_ok(d); /* 8 */
	dev = d;
	return 0;
}

/* The device is given up on for good: a request it may still answer keeps
 * `page` in flight, so `page` can never be handed out again. */
static int give_up(const char *why)
{
	kprintf("spore: virtio-rng: %s; not used again\n", why);
	dev = NULL;
	return -1;
}

/* Fills buf with n bytes from the device: 0, or -1 (no device, no answer
 * within RNG_TIMEOUT_NS, or a device that broke its queue). */
int vrng_read(void *buf, size_t n)
{
	uint8_t *out = buf;

	if (!dev)
		return -1;
	while (n) {
		uint32_t want = n < PAGE_SIZE ? (uint32_t)n : PAGE_SIZE, len = 0;
		void *c;
		int r;
		if (virtq_add(&q, (uint64_t)page, want, 1, page) < 0)
			return give_up("queue full");
		vdev_notify(dev, 0);
		r = vdev_wait(&q, &c, &len, RNG_TIMEOUT_NS, RNG_POLL_NS);
		if (r < 0)
			return give_up(q.broken);
		if (r == 0)
			return give_up("no answer within a second");
		if (len == 0)
			return give_up("an empty answer"); /* 5.4.6.1 lets it; we would spin */
		/* virtq_get checked len against the buffer posted, but the copy
		 * and `n -= len` must not rest on a check in another file: more
		 * than asked would run past page and out, and wrap n. */
		if (c != page || len > want)
			return give_up("an answer longer than asked");
		for (uint32_t i = 0; i < len; i++) /* len <= want <= n, PAGE_SIZE */
			out[i] = page[i];
		out += len;
		n -= len;
	}
	return 0;
}
