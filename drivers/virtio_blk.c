// SPDX-License-Identifier: MIT
/* virtio-blk (spec 5.2) over either transport: one request at a time, a
 * chain of header, data and status; the caller waits for the answer with
 * short sleeps, bounded. Data goes through one preallocated bounce buffer. */
#include "kernel.h"
#include "blk.h"
#include "virtio.h"

#define VIRTIO_BLK_F_FLUSH 9
#define T_IN               0
#define T_OUT              1
#define T_FLUSH            4

struct req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vdev *dev;
static struct virtq q;
static struct req_hdr *hdr; /* header and status share one page */
static volatile uint8_t *status;
static uint8_t *bounce; /* BLK_MAX_SECTORS sectors */
static int has_flush;

static int request(uint32_t type, uint64_t sector, uint32_t count)
{
	struct vbuf b[3];
	unsigned n = 0;
	*hdr = (struct req_hdr){ type, 0, sector };
	*status = 0xff;
	b[n++] = (struct vbuf){ (uint64_t)hdr, sizeof *hdr, 0 };
	if (count)
		b[n++] = (struct vbuf){ (uint64_t)bounce, count * BLK_SECTOR, type == T_IN };
	b[n++] = (struct vbuf){ (uint64_t)status, 1, 1 };
	if (virtq_add_chain(&q, b, n, hdr) < 0)
		return -1;
	if (virtq_kick_needed(&q))
		vdev_notify(dev, 0);
	void *c;
	uint32_t len;
	int r;
	ready_busy(1); /* no snapshot with the request in flight (kernel/ready.c) */
	r = vdev_wait(&q, &c, &len, 10000000000ull, 20000);
	ready_busy(-1);
	if (r == 0) /* still in flight: hdr, bounce and status can never be reused */
		q.broken = "no answer within 10 s";
	if (r <= 0) {
		kprintf("spore: virtio-blk: %s; not used again\n", q.broken);
		return -1;
	}
	return *status == 0 ? 0 : -1;
}

static int vblk_read(uint64_t s, void *buf, uint32_t n)
{
	if (n > BLK_MAX_SECTORS || request(T_IN, s, n) < 0)
		return -1;
	for (uint32_t i = 0; i < n * BLK_SECTOR; i++)
		((uint8_t *)buf)[i] = bounce[i];
	return 0;
}

static int vblk_write(uint64_t s, const void *buf, uint32_t n)
{
	if (n > BLK_MAX_SECTORS)
		return -1;
	for (uint32_t i = 0; i < n * BLK_SECTOR; i++)
		bounce[i] = ((const uint8_t *)buf)[i];
	return request(T_OUT, s, n);
}

static int vblk_flush(void) { return has_flush ? request(T_FLUSH, 0, 0) : 0; }

static struct blk_dev bdev = { .read = vblk_read, .write = vblk_write, .flush = vblk_flush };

int vblk_init(struct vdev *d)
{
	uint64_t got;
	if (blk_dev || vdev_negotiate(d,
	                              1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH |
	                                      1ull << VIRTIO_F_EVENT_IDX,
	                              &got) < 0)
		return -1;
	uint8_t *page = mem_alloc_pages(1);
	bounce = mem_alloc_pages(BLK_MAX_SECTORS * BLK_SECTOR / PAGE_SIZE);
	if (!page || !bounce || vdev_setup_queue(d, 0, &q, 16) < 0) {
		vdev_fail(d);
		return -1;
	}
	q.event_idx = !!(got & 1ull << VIRTIO_F_EVENT_IDX);
	has_flush = !!(got & 1ull << VIRTIO_BLK_F_FLUSH);
	hdr = (struct req_hdr *)page;
	status = page + 64;
	uint64_t cap = 0;
	for (unsigned i = 0; i < 8; i++)
		cap |= (uint64_t)vdev_config8(d, i) << (8 * i);
	vdev_driver_ok(d);
	dev = d;
	bdev.sectors = cap;
	blk_dev = &bdev;
	return 0;
}
