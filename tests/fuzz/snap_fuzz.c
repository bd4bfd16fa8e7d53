// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's snapshot reader (monitor/snap.c): any bytes as a
 * snapshot file are accepted only with every extent, segment and block inside guest
 * RAM and inside the file, and every live virtqueue's rings inside RAM (the
 * version-2 device state), or refused with a reason. Inputs whose last byte is odd
 * get their checksums fixed first, as a forger would, so the checks behind them are
 * reached too. The bytes sit in a heap copy of exactly their size (ASan checks every
 * read). make fuzz-snap FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypercall.h"
#include "monitor.h"

static void reseal(uint8_t *b, size_t size)
{
	struct snap_hdr h;

	memcpy(&h, b, sizeof(h));
	if (h.meta_off == sizeof(h) && h.meta_len == sizeof(struct snap_meta) &&
	    h.nextents < SNAP_EXTENT_MAX) {
		uint64_t n = h.meta_len + h.nextents * sizeof(struct snap_extent);
		if (h.meta_off + n <= size)
			h.meta_sum = snap_hash(b + h.meta_off, n);
	}
	h.hdr_sum = snap_hdr_sum(&h);
	memcpy(b, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap s;
	char err[200] = "";
	uint8_t *b = malloc(
		size ? size : 1); /* malloc aligns for any type: the metadata is read in place */

	memcpy(b, data, size);
	if (size >= sizeof(struct snap_hdr) && (data[size - 1] & 1))
		reseal(b, size);
	if (snap_parse(b, size, size, HC_ABI_VERSION, 0, &s, err, sizeof(err)) < 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
	} else {
		const struct snap_hdr *h = &s.hdr;
		uint64_t end = h->data_off;
		if (h->data_off > size || h->file_size != size || h->mem_size % SNAP_PAGE)
			abort();
		for (uint64_t i = 0; i < h->nextents; i++) {
			const struct snap_extent *e = &s.ext[i];
			if (e->gpa % SNAP_PAGE || e->file_off != end ||
			    e->pages > h->mem_size / SNAP_PAGE ||
			    e->gpa > h->mem_size - e->pages * SNAP_PAGE)
				abort();
			end += e->pages * SNAP_PAGE;
		}
		/* The device state (version 2): every live queue's rings inside RAM. */
		const struct snap_virt *v = &s.meta->virt;
		if (v->irqchip > 1 || v->nvdev > (v->irqchip ? 2u : 0u))
			abort();
		for (uint32_t i = 0; i < v->nvdev; i++)
			for (unsigned q = 0; q < VDEV_QUEUES; q++) {
				const struct vdev_qcfg *c = &v->vdev[i].qcfg[q];
				if (c->ready &&
				    (c->num == 0 || c->num > VQ_MAX ||
				     !gm_range_ok(h->mem_size, c->desc, 16ull * c->num) ||
				     !gm_range_ok(h->mem_size, c->avail, 6 + 2ull * c->num) ||
				     !gm_range_ok(h->mem_size, c->used, 6 + 8ull * c->num)))
					abort();
			}
		if (end != size || s.meta->dev.nmsrs > SNAP_MSR_MAX ||
		    !gm_block_ok(h->mem_size, s.meta->dev.ready_gpa, sizeof(struct hc_ready)))
			abort();
	}
	free(b);
	return 0;
}
