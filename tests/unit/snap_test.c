// SPDX-License-Identifier: MIT
/* Host unit tests of the snapshot reader (monitor/snap.c) with hostile files: a good
 * snapshot built here, then cut short at every length, each header byte flipped,
 * metadata flipped, and every field the checksums cannot vouch for (a file resealed by
 * someone who knows the format) set wrong. Each must be refused with its reason. */
#include <stdlib.h>
#include <string.h>

#include "hypercall.h"
#include "monitor.h"
#include "unit.h"
#include "virtio_reg.h"

#define MEM  (4ull << 20)
#define NEXT 3
#define HASH 0x1234abcdull

static uint8_t *file;
static uint64_t file_size;

static struct snap_hdr *hdr(void) { return (struct snap_hdr *)file; }
static struct snap_meta *meta(void) { return (struct snap_meta *)(file + sizeof(struct snap_hdr)); }
static struct snap_extent *ext(void)
{
	return (struct snap_extent *)(file + sizeof(struct snap_hdr) + sizeof(struct snap_meta));
}

/* The checksums again, as a forger would (over what the file holds: a forged count may
 * promise more extents than there are). */
static void reseal(void)
{
	uint64_t n = hdr()->nextents <= NEXT + 1 ? hdr()->nextents : NEXT;

	hdr()->meta_sum =
		snap_hash(meta(), sizeof(struct snap_meta) + n * sizeof(struct snap_extent));
	hdr()->hdr_sum = snap_hdr_sum(hdr());
}

/* A good snapshot: three extents of 1, 2 and 1 pages at 1 MiB, 1 MiB + 8K, 3 MiB. */
static void make(void)
{
	static const uint64_t gpa[NEXT] = { 1 << 20, (1 << 20) + 8192, 3 << 20 },
			      pages[NEXT] = { 1, 2, 1 };
	uint64_t off = snap_data_off(NEXT);

	free(file);
	file_size = off + 4 * SNAP_PAGE;
	file = calloc(1, file_size);
	struct snap_hdr *h = hdr();
	memcpy(h->magic, SNAP_MAGIC, 8);
	h->version = SNAP_VERSION;
	h->abi = HC_ABI_VERSION;
	h->image_hash = HASH;
	h->mem_size = MEM;
	h->mode = 1;
	h->meta_off = sizeof(*h);
	h->meta_len = sizeof(struct snap_meta);
	h->nextents = NEXT;
	h->data_off = off;
	h->file_size = file_size;
	struct snap_meta *m = meta();
	m->image = (struct image){
		.has64 = 1,
		.entry64 = 1 << 20,
		.nseg = 1,
		.seg[0] = { .gpa = 1 << 20, .memsz = 65536, .vaddr = 1 << 20, .flags = 5 }
	};
	m->dev.ready_gpa = (1 << 20) + 4096;
	m->dev.nmsrs = 1;
	for (int i = 0; i < NEXT; i++) {
		ext()[i] = (struct snap_extent){ gpa[i], pages[i], off };
		off += pages[i] * SNAP_PAGE;
	}
	reseal();
}

/* The reader's verdict on file[0..len) of a file_size-byte file: NULL when accepted. */
static char why[200];
static const char *parse_n(uint64_t size, size_t len, uint64_t want_hash)
{
	struct snap s;

	why[0] = 0;
	if (snap_parse(file, len, size, HC_ABI_VERSION, want_hash, &s, why, sizeof(why)) == 0)
		return NULL;
	return why[0] ? why : "(refused without a reason)";
}

static const char *parse(void) { return parse_n(file_size, (size_t)hdr()->data_off, HASH); }

static const char *t_good(void)
{
	struct snap s;

	make();
	CHECK(parse() == NULL, "%s", why);
	CHECK(parse_n(file_size, (size_t)hdr()->data_off, 0) == NULL, "any image: %s", why);
	CHECK(snap_parse(file, (size_t)file_size, file_size, HC_ABI_VERSION, HASH, &s, why,
	                 sizeof(why)) == 0);
	CHECK(s.hdr.nextents == NEXT && s.ext[2].gpa == 3 << 20 &&
	      s.meta->dev.ready_gpa == (1 << 20) + 4096);
	return NULL;
}

/* Cut at every length: each one refused, and as truncated. */
static const char *t_truncated(void)
{
	make();
	for (uint64_t k = 0; k < file_size; k += k < 4096 ? 1 : 509) {
		size_t len = (size_t)(k < hdr()->data_off ? k : hdr()->data_off);
		const char *w = parse_n(k, len, HASH);
		CHECK(w != NULL, "accepted at %llu bytes", (unsigned long long)k);
		CHECK(strstr(w, "truncated"), "at %llu bytes: %s", (unsigned long long)k, w);
	}
	/* Longer than it says, and a prefix shorter than the metadata. */
	CHECK(parse_n(file_size + 1, (size_t)hdr()->data_off, HASH) != NULL);
	CHECK(strstr(parse_n(file_size, sizeof(struct snap_hdr) + 10, HASH), "truncated"), "%s",
	      why);
	return NULL;
}

static const char *t_header_flips(void)
{
	make();
	for (size_t i = 0; i < sizeof(struct snap_hdr); i++)
		for (int bit = 0; bit < 8; bit += 3) {
			file[i] ^= (uint8_t)(1 << bit);
			const char *w = parse();
			CHECK(w != NULL, "byte %zu bit %d flipped: accepted", i, bit);
			CHECK(strstr(w, "checksum") || strstr(w, "magic"), "byte %zu: %s", i, w);
			file[i] ^= (uint8_t)(1 << bit);
		}
	CHECK(parse() == NULL, "%s", why);
	return NULL;
}

static const char *t_meta_flips(void)
{
	make();
	size_t end = sizeof(struct snap_hdr) + sizeof(struct snap_meta) +
	             NEXT * sizeof(struct snap_extent);
	for (size_t i = sizeof(struct snap_hdr); i < end; i += 97) {
		file[i] ^= 0x10;
		const char *w = parse();
		CHECK(w && strstr(w, "metadata checksum"), "byte %zu: %s", i, w ? w : "accepted");
		file[i] ^= 0x10;
	}
	return NULL;
}

/* Foreign: another format version, ABI or image, resealed so only that differs. */
static const char *t_foreign(void)
{
	make();
	hdr()->version = SNAP_VERSION + 1;
	reseal();
	CHECK(strstr(parse() ? why : "", "format version"), "%s", why);
	make();
	hdr()->abi = HC_ABI_VERSION - 1;
	reseal();
	CHECK(strstr(parse() ? why : "", "hypercall ABI"), "%s", why);
	make();
	CHECK(strstr(parse_n(file_size, (size_t)hdr()->data_off, HASH + 1) ? why : "",
	             "another image"),
	      "%s", why);
	memcpy(hdr()->magic, "SPORESNX", 8);
	CHECK(strstr(parse() ? why : "", "magic"), "%s", why);
	return NULL;
}

/* Resealed lies: each refused with its reason, never trusted. forge(i) tells case i. */
static const struct {
	const char *name, *want;
} forged[] = {
	{ "mem not a page multiple", "memory size" },
	{ "mem too small", "memory size" },
	{ "mem too big", "memory size" },
	{ "mode 7", "start mode" },
	{ "meta_len", "layout" },
	{ "meta_off", "layout" },
	{ "nextents huge", "layout" },
	{ "nextents +1", "corrupted" },
	{ "data_off", "layout" },
	{ "extent misaligned", "misaligned" },
	{ "extent empty", "empty" },
	{ "extent pages huge", "empty" },
	{ "extent past RAM", "outside guest RAM" },
	{ "extent wraps", "outside guest RAM" },
	{ "extents overlap", "overlap" },
	{ "extents unordered", "overlap" },
	{ "file_off gap", "outside the file" },
	{ "file_off back", "outside the file" },
	{ "ready block outside", "ready block" },
	{ "ready block misaligned", "ready block" },
	{ "msrs", "MSRs" },
	{ "no segments", "segments" },
	{ "many segments", "segments" },
	{ "segment past RAM", "segments" },
	{ "no entry", "segments" },
};

static void forge(size_t i)
{
	switch (i) {
	case 0: hdr()->mem_size = MEM + 1; break;
	case 1: hdr()->mem_size = 4096; break;
	case 2: hdr()->mem_size = 1ull << 62; break;
	case 3: hdr()->mode = 7; break;
	case 4: hdr()->meta_len = 8; break;
	case 5: hdr()->meta_off = 0; break;
	case 6: hdr()->nextents = 1ull << 40; break;
	case 7: hdr()->nextents = NEXT + 1; break;
	case 8: hdr()->data_off += 4096; break;
	case 9: ext()[0].gpa += 1; break;
	case 10: ext()[0].pages = 0; break;
	case 11: ext()[1].pages = 1ull << 52; break;
	case 12: ext()[2].gpa = MEM; break;
	case 13: ext()[2].gpa = (uint64_t)-4096; break;
	case 14: ext()[1].gpa = 1 << 20; break;
	case 15: ext()[2].gpa = 0; break;
	case 16: ext()[1].file_off += 4096; break;
	case 17: ext()[1].file_off = 0; break;
	case 18: meta()->dev.ready_gpa = MEM; break;
	case 19: meta()->dev.ready_gpa = (1 << 20) + 1; break;
	case 20: meta()->dev.nmsrs = SNAP_MSR_MAX + 1; break;
	case 21: meta()->image.nseg = 0; break;
	case 22: meta()->image.nseg = MON_SEG_MAX + 1; break;
	case 23: meta()->image.seg[0].memsz = MEM; break;
	case 24: meta()->image.has64 = 0; break;
	}
}

static const char *t_forged(void)
{
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		make();
		forge(i);
		reseal();
		size_t len = (size_t)(hdr()->data_off < file_size ? hdr()->data_off : file_size);
		const char *w = parse_n(file_size, len, HASH);
		CHECK(w != NULL, "%s: accepted", forged[i].name);
		CHECK(strstr(w, forged[i].want), "%s: %s", forged[i].name, w);
	}
	return NULL;
}

/* A guest on the virtio path (version 2): ring 0, the irqchip, a live virtio-net
 * with both queues in RAM (indices mid-way) and a virtio-blk not yet set up. */
static void make_virt(void)
{
	make();
	hdr()->mode = 0;
	struct snap_virt *v = &meta()->virt;
	v->irqchip = 1;
	v->nvdev = 2;
	for (unsigned i = 0; i < 3; i++)
		v->chip[i].chip_id = i;
	v->chip[2].chip.ioapic.base_address = 0xfec00000u;
	struct snap_vdev *n = &v->vdev[0];
	n->id = VIRTIO_ID_NET;
	n->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	            VIRTIO_STATUS_DRIVER_OK;
	n->live = 1;
	n->isr = 1;
	n->driver_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX;
	for (unsigned q = 0; q < 2; q++) {
		n->qcfg[q] = (struct vdev_qcfg){ .num = 256,
			                         .ready = 1,
			                         .desc = (2 << 20) + q * 65536,
			                         .avail = (2 << 20) + q * 65536 + 4096,
			                         .used = (2 << 20) + q * 65536 + 8192 };
		n->q[q] = (struct snap_vq){ .last_avail = 300,
			                    .avail_idx = 310,
			                    .used_idx = 290,
			                    .signalled = 280,
			                    .event_idx = 1 };
	}
	v->vdev[1].id = VIRTIO_ID_BLK;
	v->vdev[1].status = VIRTIO_STATUS_ACKNOWLEDGE;
	reseal();
}

static const char *t_virt_good(void)
{
	struct snap s;

	make_virt();
	CHECK(parse() == NULL, "%s", why);
	CHECK(snap_parse(file, (size_t)file_size, file_size, HC_ABI_VERSION, HASH, &s, why,
	                 sizeof(why)) == 0);
	CHECK(s.meta->virt.nvdev == 2 && s.meta->virt.vdev[0].q[1].avail_idx == 310 &&
	      s.meta->virt.vdev[0].qcfg[1].used == (2 << 20) + 65536 + 8192);
	/* Indices that wrapped 16 bits are as good. */
	meta()->virt.vdev[0].q[0] = (struct snap_vq){
		.last_avail = 3, .avail_idx = 5, .used_idx = 65533, .event_idx = 1
	};
	reseal();
	CHECK(parse() == NULL, "wrapped: %s", why);
	return NULL;
}

/* A version-1 file (before the irqchip and devices were kept): refused by its line. */
static const char *t_v1(void)
{
	make();
	hdr()->version = 1;
	reseal();
	CHECK(strstr(parse() ? why : "", "format version 1, this spore-kvm reads 2"), "%s", why);
	return NULL;
}

/* The device and irqchip state resealed wrong, each as a guest could not have left
 * it: refused, never handed to KVM or the I/O thread. */
static const struct {
	const char *name, *want;
} vforged[] = {
	{ "irqchip 2", "irqchip flag" },
	{ "devices without irqchip", "without an irqchip" },
	{ "irqchip in ring 3", "ring 3" },
	{ "RAM over the window", "device window" },
	{ "no I/O APIC", "irqchip state" },
	{ "I/O APIC moved", "irqchip state" },
	{ "no devices", "device count" },
	{ "five devices", "device count" },
	{ "state past nvdev", "does not exist" },
	{ "device id 9", "device id" },
	{ "two nets", "device id" },
	{ "status past a byte", "transport state" },
	{ "live 2", "transport state" },
	{ "isr 4", "transport state" },
	{ "live without DRIVER_OK", "transport state" },
	{ "queue size 0", "out of bounds" },
	{ "queue size 3", "out of bounds" },
	{ "queue size 512", "out of bounds" },
	{ "desc misaligned", "out of bounds" },
	{ "used misaligned", "out of bounds" },
	{ "desc past RAM", "outside guest RAM" },
	{ "used wraps", "outside guest RAM" },
	{ "avail index far ahead", "out of bounds" },
	{ "used index far behind", "out of bounds" },
	{ "ready 2", "out of bounds" },
	{ "blk second queue", "out of bounds" },
	{ "live with a queue not ready", "not ready" },
	{ "event idx without the feature", "event-index" },
};

static void vforge(size_t i)
{
	struct snap_virt *v = &meta()->virt;
	struct snap_vdev *n = &v->vdev[0];

	switch (i) {
	case 0: v->irqchip = 2; break;
	case 1: memset(v, 0, 4); break; /* irqchip 0, the rest kept */
	case 2: hdr()->mode = 1; break;
	case 3: hdr()->mem_size = VMMIO_BASE + SNAP_PAGE; break;
	case 4: v->chip[2].chip_id = 0; break;
	case 5: v->chip[2].chip.ioapic.base_address = 0x1000; break;
	case 6: v->nvdev = 0; break;
	case 7: v->nvdev = 5; break;
	case 8: v->vdev[3].isr = 1; break;
	case 9: n->id = 9; break;
	case 10: v->vdev[1].id = VIRTIO_ID_NET; break;
	case 11: n->status = 0x100; break;
	case 12: n->live = 2; break;
	case 13: n->isr = 4; break;
	case 14: n->status = VIRTIO_STATUS_FEATURES_OK; break;
	case 15: n->qcfg[0].num = 0; break;
	case 16: n->qcfg[0].num = 3; break;
	case 17: n->qcfg[0].num = 512; break;
	case 18: n->qcfg[1].desc += 8; break;
	case 19: n->qcfg[1].used += 2; break;
	case 20: n->qcfg[0].desc = MEM - 2048; break;
	case 21: n->qcfg[1].used = (uint64_t)-4096; break;
	case 22: n->q[0].avail_idx = n->q[0].last_avail + 257; break;
	case 23: n->q[1].used_idx = n->q[1].last_avail - 257; break;
	case 24: n->qcfg[0].ready = 2; break;
	case 25: v->vdev[1].qcfg[1].num = 16; break;
	case 26: n->qcfg[1].ready = 0; break;
	case 27: n->driver_features = 1ull << VIRTIO_F_VERSION_1; break;
	}
}

static const char *t_virt_forged(void)
{
	for (size_t i = 0; i < sizeof(vforged) / sizeof(vforged[0]); i++) {
		make_virt();
		vforge(i);
		reseal();
		const char *w = parse();
		CHECK(w != NULL, "%s: accepted", vforged[i].name);
		CHECK(strstr(w, vforged[i].want), "%s: %s", vforged[i].name, w);
	}
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "snap_good" },
	{ t_truncated, "snap_truncated" },
	{ t_header_flips, "snap_header_flips" },
	{ t_meta_flips, "snap_meta_flips" },
	{ t_foreign, "snap_foreign" },
	{ t_forged, "snap_forged" },
	{ t_virt_good, "snap_virt_good" },
	{ t_v1, "snap_v1" },
	{ t_virt_forged, "snap_virt_forged" },
};

int main(int argc, char **argv)
{
	int r = UNIT_RUN(tests, argc, argv, "");
	free(file);
	return r;
}
