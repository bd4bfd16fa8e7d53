// SPDX-License-Identifier: MIT
/* The snapshot file format (--snapshot, --restore) and its reader. Pure: works on the
 * bytes the caller read; trusts nothing in them. The file is a header, the metadata
 * (vCPU, devices, the image's segments, the RAM extent table) and page-aligned RAM
 * extents that --restore maps MAP_PRIVATE. Checksums cover the header and the
 * metadata, not the RAM: hashing it would read every page a restore means to map
 * lazily (docs/serverless.md). */
#include <stdio.h>
#include <string.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

/* A 64-bit hash, 8 bytes a step (the image is hashed on every restore given one, so
 * it must be fast); for telling files apart, not against an adversary. */
uint64_t snap_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;

	for (; n >= 8; b += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	for (; n; b++, n--)
		h = (h ^ *b) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 32);
}

/* The header's checksum: over every byte but the checksum field itself. */
uint64_t snap_hdr_sum(const struct snap_hdr *h)
{
	struct snap_hdr c = *h;

	c.hdr_sum = 0;
	return snap_hash(&c, sizeof(c));
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

/* The image's segments, as the ELF loader once accepted them: inside RAM. */
static int image_ok(const struct image *im, uint64_t mem_size)
{
	if (im->nseg < 1 || im->nseg > MON_SEG_MAX || (!im->has32 && !im->has64))
		return 0;
	for (int i = 0; i < im->nseg; i++)
		if (!gm_range_ok(mem_size, im->seg[i].gpa, im->seg[i].memsz))
			return 0;
	return 1;
}

/* One queue as a guest's QUEUE_READY would have set it up (vq_setup's checks, on
 * the numbers alone: restore_devices repeats them through gm_at), and indices no
 * further apart than the queue holds. */
static int queue_ok(const struct vdev_qcfg *c, const struct snap_vq *q, uint64_t mem_size)
{
	uint64_t n = c->num;

	if (c->ready > 1 || q->event_idx > 1)
		return 0;
	if (!c->ready)
		return 1;
	return n && n <= VQ_MAX && !(n & (n - 1)) && c->desc % 16 == 0 && c->avail % 2 == 0 &&
	       c->used % 4 == 0 && gm_range_ok(mem_size, c->desc, 16 * n) &&
	       gm_range_ok(mem_size, c->avail, 6 + 2 * n) &&
	       gm_range_ok(mem_size, c->used, 6 + 8 * n) &&
	       (uint16_t)(q->avail_idx - q->last_avail) <= n &&
	       (uint16_t)(q->last_avail - q->used_idx) <= n;
}

/* The irqchip and the devices: only what a guest could have brought about. Which
 * devices a restore must have (its --net, --disk) is restore_devices' to check. */
static const char *virt_ok(const struct snap_virt *v, const struct snap_hdr *h)
{
	static const struct snap_virt zero;
	unsigned seen = 0;

	if (v->irqchip > 1)
		return "bad irqchip flag";
	if (!v->irqchip)
		return memcmp(v, &zero, sizeof(zero)) ? "device state without an irqchip" : NULL;
	if (h->mode != 0 || h->mem_size > VMMIO_BASE)
		return "an irqchip in ring 3 or with RAM over the device window";
	if (v->chip[0].chip_id != KVM_IRQCHIP_PIC_MASTER ||
	    v->chip[1].chip_id != KVM_IRQCHIP_PIC_SLAVE ||
	    v->chip[2].chip_id != KVM_IRQCHIP_IOAPIC ||
	    v->chip[2].chip.ioapic.base_address != 0xfec00000u)
		return "bad irqchip state";
	if (v->nvdev < 1 || v->nvdev > 2)
		return "bad virtio device count";
	for (uint32_t i = 0; i < VMMIO_MAX; i++) {
		const struct snap_vdev *d = &v->vdev[i];
		if (i >= v->nvdev) {
			if (memcmp(d, &zero.vdev[0], sizeof(*d)))
				return "state of a virtio device that does not exist";
			continue;
		}
		unsigned nq = d->id == VIRTIO_ID_NET ? 2 : d->id == VIRTIO_ID_BLK ? 1 : 0;
		if (!nq || (seen & 1u << d->id))
			return "bad virtio device id";
		seen |= 1u << d->id;
		if (d->status > 0xff || d->live > 1 || d->isr > 3 ||
		    (d->live && !(d->status & VIRTIO_STATUS_DRIVER_OK)))
			return "bad virtio transport state";
		for (unsigned q = 0; q < VDEV_QUEUES; q++) {
			if (q >= nq ? d->qcfg[q].ready || d->qcfg[q].num
			            : !queue_ok(&d->qcfg[q], &d->q[q], h->mem_size))
				return "a virtqueue outside guest RAM or out of bounds";
			if (d->live && q < nq && !d->qcfg[q].ready)
				return "a live virtio device with a queue not ready";
			if (q < nq && d->qcfg[q].ready &&
			    d->q[q].event_idx !=
			            !!(d->driver_features & 1ull << VIRTIO_F_EVENT_IDX))
				return "bad virtqueue event-index flag";
		}
	}
	return NULL;
}

/* The extents: sorted, disjoint, page-aligned, inside RAM, and laid out one after
 * the other in the file from data_off to file_size exactly. */
static const char *extents_ok(const struct snap_extent *e, uint64_t n, uint64_t mem_size,
                              uint64_t data_off, uint64_t file_size)
{
	uint64_t off = data_off, end = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (e[i].gpa % SNAP_PAGE || e[i].pages == 0 || e[i].pages > mem_size / SNAP_PAGE)
			return "a RAM extent is misaligned or empty";
		uint64_t len = e[i].pages * SNAP_PAGE;
		if (!gm_range_ok(mem_size, e[i].gpa, len))
			return "a RAM extent lies outside guest RAM";
		if (e[i].gpa < end)
			return "RAM extents overlap or are out of order";
		if (e[i].file_off != off || len > file_size - off)
			return "a RAM extent lies outside the file (truncated?)";
		end = e[i].gpa + len;
		off += len;
	}
	return off == file_size ? NULL : "the file is longer than its RAM extents";
}

/* Checks a snapshot whose first len bytes are buf (at least the header, the metadata
 * and the extent table; the caller reads up to hdr.data_off) and whose size is
 * file_size. want: the values this monitor needs (abi, image_hash 0 = any image).
 * On success *out points into buf (header, metadata, extents) and 0 is returned; else
 * -1 and err says which check failed, as one line. */
int snap_parse(const uint8_t *buf, size_t len, uint64_t file_size, uint32_t abi,
               uint64_t image_hash, struct snap *out, char *err, size_t errlen)
{
	struct snap_hdr h;

	if (len < sizeof(h) || file_size < sizeof(h))
		return fail(err, errlen, "truncated: shorter than a snapshot header");
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)) != 0)
		return fail(err, errlen, "not a spore-kvm snapshot (bad magic)");
	if (h.hdr_sum != snap_hdr_sum(&h))
		return fail(err, errlen, "corrupted: header checksum mismatch");
	if (h.version != SNAP_VERSION) {
		snprintf(err, errlen, "format version %u, this spore-kvm reads %u", h.version,
		         SNAP_VERSION);
		return -1;
	}
	if (h.abi != abi) {
		snprintf(err, errlen, "made for hypercall ABI %u, this spore-kvm speaks %u", h.abi,
		         abi);
		return -1;
	}
	if (image_hash && h.image_hash != image_hash)
		return fail(err, errlen, "a snapshot of another image");
	if (h.file_size != file_size)
		return fail(err, errlen,
		            file_size < h.file_size ? "truncated: shorter than its header says"
		                                    : "longer than its header says");
	if (h.mem_size < MON_MEM_MIN || h.mem_size > MON_MEM_MAX || h.mem_size % SNAP_PAGE ||
	    h.mode > 1)
		return fail(err, errlen, "corrupted: bad memory size or start mode");
	if (h.meta_off != sizeof(h) || h.meta_len != sizeof(struct snap_meta) ||
	    h.nextents > SNAP_EXTENT_MAX || h.data_off != snap_data_off(h.nextents) ||
	    h.data_off > file_size)
		return fail(err, errlen, "corrupted: bad metadata layout");
	if (len < h.data_off)
		return fail(err, errlen, "truncated: metadata cut short");
	uint64_t meta_bytes = h.meta_len + h.nextents * sizeof(struct snap_extent);
	if (h.meta_sum != snap_hash(buf + h.meta_off, meta_bytes))
		return fail(err, errlen, "corrupted: metadata checksum mismatch");
	const struct snap_meta *m = (const void *)(buf + h.meta_off);
	const struct snap_extent *e = (const void *)(buf + h.meta_off + h.meta_len);
	if (!image_ok(&m->image, h.mem_size))
		return fail(err, errlen, "corrupted: the image's segments lie outside guest RAM");
	if (m->dev.nmsrs > SNAP_MSR_MAX)
		return fail(err, errlen, "corrupted: too many MSRs");
	if (!gm_block_ok(h.mem_size, m->dev.ready_gpa, sizeof(struct hc_ready)))
		return fail(err, errlen, "corrupted: the ready block lies outside guest RAM");
	const char *why = virt_ok(&m->virt, &h);
	if (why) {
		snprintf(err, errlen, "corrupted: %s", why);
		return -1;
	}
	why = extents_ok(e, h.nextents, h.mem_size, h.data_off, file_size);
	if (why) {
		snprintf(err, errlen, "%s%s", strstr(why, "truncated") ? "" : "corrupted: ", why);
		return -1;
	}
	out->hdr = h;
	out->meta = m;
	out->ext = e;
	return 0;
}
