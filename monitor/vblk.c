// SPDX-License-Identifier: MIT
/* virtio-blk (virtio 1.x, 5.2) over --disk's file, served by the I/O thread: one
 * queue of requests, each a chain of a 16-byte header, data, and one status byte
 * (the last device-writable byte). Features: VERSION_1, FLUSH, EVENT_IDX. Every
 * request's range is checked against the disk without overflow; guest buffers come
 * only from vq.c's checked chains, and data moves through our own bounce buffer. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"
#include "virtio_reg.h"

#define VIRTIO_BLK_F_FLUSH 9
#define T_IN               0
#define T_OUT              1
#define T_FLUSH            4
#define S_OK               0
#define S_IOERR            1
#define S_UNSUPP           2
#define SECTOR             512
#define CHUNK              (64 * 1024)

static struct {
	int fd;
	uint64_t sectors;
	uint8_t buf[CHUNK];
} b = { .fd = -1 };

uint64_t vblk_reqs, vblk_errors; /* --stats */

void vblk_init(struct vdev *d, int fd, uint64_t sectors)
{
	d->id = VIRTIO_ID_BLK;
	d->features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH |
	              1ull << VIRTIO_F_EVENT_IDX;
	d->nq = 1;
	memcpy(d->config, &sectors, 8); /* 5.2.4: capacity, little-endian */
	d->config_len = 8;
	b.fd = fd;
	b.sectors = sectors;
}

/* Moves len bytes between the disk at off and the chain's data (at data in the
 * chain's readable or writable part). 0, or -1 on a host I/O error. */
static int move(const struct vq_chain *ch, int in, uint64_t off, uint32_t data, uint64_t len)
{
	for (uint64_t done = 0; done < len;) {
		uint32_t k = len - done < CHUNK ? (uint32_t)(len - done) : CHUNK;
		if (in) {
			if (pread(b.fd, b.buf, k, (off_t)(off + done)) != (ssize_t)k)
				return -1;
			vq_write(ch, (uint32_t)(data + done), b.buf, k);
		} else {
			vq_read(ch, (uint32_t)(data + done), b.buf, k);
			if (pwrite(b.fd, b.buf, k, (off_t)(off + done)) != (ssize_t)k)
				return -1;
		}
		done += k;
	}
	return 0;
}

/* One request; the status it earns. *written: bytes written into the chain. */
static uint8_t request(const struct vq_chain *ch, uint32_t *written)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h;

	vq_read(ch, 0, &h, sizeof(h));
	int in = h.type == T_IN;
	/* Data: the readable bytes after the header (OUT), or the writable ones
	 * before the status byte (IN). At most 4 GiB: vq_read/write offsets are 32-bit. */
	uint64_t len = in ? ch->wlen - 1 : ch->rlen - sizeof(h);
	if (h.type == T_FLUSH)
		return fdatasync(b.fd) == 0 ? S_OK : S_IOERR;
	if (h.type != T_IN && h.type != T_OUT)
		return S_UNSUPP;
	if (len % SECTOR || len > UINT32_MAX || h.sector > b.sectors ||
	    len / SECTOR > b.sectors - h.sector)
		return S_IOERR; /* not whole sectors, or past the end of the disk */
	if (move(ch, in, h.sector * SECTOR, in ? 0 : sizeof(h), len) < 0)
		return S_IOERR;
	if (in)
		*written = (uint32_t)len;
	return S_OK;
}

/* The I/O thread, with d->lock held: every pending request, then one interrupt if
 * the guest's used_event asks for it. */
void vblk_serve(struct vdev *d)
{
	static struct vq_chain ch;
	struct vq *q = &d->q[0];
	int done = 0;

	if (!d->live)
		return;
	for (;;) {
		int r = vq_pop(q, &ch);
		if (r == 0 && vq_arm(q) == 1)
			continue;
		if (r < 0) {
			msg("spore-kvm: guest error: virtio-blk queue: %s\n", q->broken);
			d->status |= VIRTIO_STATUS_NEEDS_RESET;
			d->live = 0;
		}
		if (r <= 0)
			break;
		uint32_t written = 0;
		uint8_t st = S_IOERR;
		/* A header to read and a status byte to write, or no answer at all. */
		if (ch.rlen >= 16 && ch.wlen >= 1 && ch.rlen <= UINT32_MAX &&
		    ch.wlen <= UINT32_MAX) {
			st = request(&ch, &written);
			vq_write(&ch, (uint32_t)(ch.wlen - 1), &st, 1);
			written++;
		}
		vblk_reqs++;
		vblk_errors += st != S_OK;
		vq_push(q, ch.head, written);
		done = 1;
	}
	if (done && vq_need_irq(q))
		vmmio_irq(d);
}
