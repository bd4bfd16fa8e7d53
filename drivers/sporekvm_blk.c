// SPDX-License-Identifier: MIT
/* spore-kvm's block device: --disk=FILE through HC_BLK_READ/WRITE/FLUSH, one
 * exit per call of up to 128 KiB, straight into the caller's buffer. */
#include "kernel.h"
#include "blk.h"
#include "hc.h"

static struct hc_blk req;

static int call(unsigned nr, uint64_t sector, const void *buf, uint32_t count)
{
	req = (struct hc_blk){ .sector = sector, .buf = (uintptr_t)buf, .count = count };
	hypercall_raw(nr, &req);
	return req.ret == 0 ? 0 : -1;
}

static int hcblk_read(uint64_t s, void *buf, uint32_t n) { return call(HC_BLK_READ, s, buf, n); }
static int hcblk_write(uint64_t s, const void *buf, uint32_t n)
{
	return call(HC_BLK_WRITE, s, buf, n);
}
static int hcblk_flush(void) { return call(HC_BLK_FLUSH, 0, 0, 0); }

static struct blk_dev dev = { .read = hcblk_read, .write = hcblk_write, .flush = hcblk_flush };

void hcblk_init(uint64_t sectors)
{
	if (!sectors)
		return;
	dev.sectors = sectors;
	blk_dev = &dev;
}
