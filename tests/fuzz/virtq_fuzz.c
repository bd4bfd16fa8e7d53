// SPDX-License-Identifier: MIT
/* libFuzzer target for the guest's split virtqueue (drivers/virtq.c). The
 * input is a script: driver calls (post a chain, harvest, kick) between
 * which a hostile device writes anything into the shared rings (descriptor
 * table, avail and used rings) or completes buffers as a device would. The
 * driver must never hand back a cookie not in flight nor a length longer
 * than the buffers posted with it, must keep its count of free descriptors,
 * and must never touch memory outside the queue and the buffers (ASan,
 * UBSan). make fuzz-virtq FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "virtio.h"

#define NPOST 64 /* the driver's requests, each a chain of 1-3 buffers */

struct post {
	uint8_t *buf[3];
	uint32_t len[3], total;
	unsigned n;
	int in_flight;
};

static const uint8_t *in, *in_end;

static uint8_t byte(void) { return in < in_end ? *in++ : 0; }

static uint32_t word(void)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | byte();
	return v;
}

static void drop(struct post *p)
{
	for (unsigned i = 0; i < p->n; i++)
		free(p->buf[i]);
	p->n = 0, p->in_flight = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct post posts[NPOST];
	struct virtq q;
	in = data, in_end = data + size;
	uint16_t n = (uint16_t)(1u << (byte() % 7)); /* 1 to 64 descriptors */
	uint8_t *mem = aligned_alloc(4096, virtq_mem_size(n));
	memset(mem, 0, virtq_mem_size(n));
	if (virtq_init(&q, n, mem) < 0)
		abort();
	q.event_idx = byte() & 1;
	size_t shared = (size_t)((uint8_t *)q.cookie - mem); /* the rings; ours after */
	unsigned busy = 0;                                   /* descriptors in flight */
	uint16_t dev_avail = 0;                              /* the device's next avail entry */
	while (in < in_end) {
		switch (byte() % 6) {
		case 0: { /* the driver posts a chain */
			struct post *p = &posts[byte() % NPOST];
			if (p->in_flight)
				break;
			struct vbuf b[3];
			p->n = 1 + byte() % 3, p->total = 0;
			for (unsigned i = 0; i < p->n; i++) {
				p->len[i] = 1 + byte() % 64;
				p->buf[i] = malloc(p->len[i]);
				p->total += p->len[i];
				b[i] = (struct vbuf){ (uint64_t)p->buf[i], p->len[i], i > 0 };
			}
			int full = busy + p->n > n;
			if (virtq_add_chain(&q, b, p->n, p) == 0) {
				if (full || q.broken)
					abort(); /* more descriptors than exist */
				p->in_flight = 1, busy += p->n;
			} else {
				if (!full && !q.broken)
					abort(); /* free descriptors lost */
				drop(p);
			}
			break;
		}
		case 1: /* the device scribbles on the shared rings */
			for (unsigned k = 1 + byte() % 8; k; k--) {
				uint32_t at = word(); /* then the value: inputs mean the same to
				                         every compiler */
				mem[at % shared] = byte();
			}
			break;
		case 2: /* the device uses the next avail entry, any length */
			if (dev_avail != q.avail->idx) {
				uint16_t id = q.avail->ring[dev_avail++ & (n - 1)];
				q.used->ring[q.used->idx & (n - 1)] =
					(struct virtq_used_elem){ id, byte() % 200 };
				q.used->idx++;
			}
			break;
		case 3: { /* the device writes a used entry of its own and moves the index */
			struct virtq_used_elem *u = &q.used->ring[byte() % n];
			u->id = word() % (n + 2u);
			u->len = word() % 256;
			q.used->idx = (uint16_t)(q.used->idx + byte() % 3);
			break;
		}
		case 4: { /* the driver harvests, and uses the length as a driver would */
			void *c = NULL;
			uint32_t len = 0;
			int r = virtq_get(&q, &c, &len);
			if ((r < 0) != !!q.broken || (r == 0 && c))
				abort();
			if (r != 1)
				break;
			struct post *p = c;
			if (p < posts || p >= posts + NPOST || !p->in_flight || len > p->total)
				abort(); /* not in flight, or too long */
			for (unsigned i = 0; i < p->n && len; i++) {
				uint32_t k = len < p->len[i] ? len : p->len[i];
				memset(p->buf[i], 0xa5, k);
				len -= k;
			}
			busy -= p->n;
			drop(p);
			break;
		}
		case 5: virtq_kick_needed(&q); break;
		}
	}
	for (unsigned i = 0; i < NPOST; i++)
		drop(&posts[i]);
	free(mem);
	return 0;
}
