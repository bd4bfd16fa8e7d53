// SPDX-License-Identifier: MIT
/* Host unit test for pci_region_check() (drivers/pci_region.c): where a PCI
 * device says its registers are, against a q35-like memory map with RAM above
 * 4 GiB. Hostile BARs, offsets and lengths are refused, never mapped; random
 * ones are checked against a reference model. "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "kernel.h"
#include "virtio.h"

static struct ram_info ri;
static struct pci_mem m;

/* QEMU q35 with 5000 MiB: low RAM, RAM up to the PCI hole, RAM above 4 GiB;
 * the image at 1 MiB. */
static void setup(void)
{
	static const struct hvm_memmap_table_entry e[] = {
		{ 0, 0x9fc00, HVM_MEMMAP_RAM, 0 }, { 0x9fc00, 0x400, 2, 0 },
		{ 0xf0000, 0x10000, 2, 0 },        { 0x100000, 0x7ff00000, HVM_MEMMAP_RAM, 0 },
		{ 0xb0000000, 0x10000000, 2, 0 },  { 0x100000000, 0xb8000000, HVM_MEMMAP_RAM, 0 },
	};
	if (memmap_read(e, sizeof e / sizeof e[0], 0x400000, &ri) < 0)
		abort();
	m = (struct pci_mem){ &ri, 0x100000, 0x400000, 1ull << 40 };
}

static const char *chk(uint64_t base, uint64_t size, uint64_t off, uint64_t len, uint64_t need)
{
	struct pci_bar b = { base, size };
	return pci_region_check(&b, off, len, need, &m);
}

static const char *t_good(void)
{
	setup();
	CHECK(!chk(0xfebf8000, 0x4000, 0, 0x38, 0x38));      /* where SeaBIOS puts them */
	CHECK(!chk(0xfebf8000, 0x4000, 0x3000, 0x1000, 2));  /* the BAR's last byte */
	CHECK(!chk(0x800000000, 0x4000, 0x2000, 0x1000, 1)); /* a 64-bit BAR above RAM */
	CHECK(!chk(0x80000000, 0x1000, 0, 0x1000, 1));       /* right after RAM */
	return NULL;
}

static const char *t_hostile(void)
{
	setup();
	CHECK(pci_region_check(NULL, 0, 16, 1, &m)); /* BAR number > 5 */
	CHECK(chk(0, 0x4000, 0, 0x38, 0x38));        /* BAR at 0 */
	CHECK(chk(0, 0, 0, 0x38, 0x38));
	CHECK(chk(0xfebf8000, 0, 0, 0x38, 0x38));      /* size 0 */
	CHECK(chk(0xfebf8000, 0x3000, 0, 0x38, 0x38)); /* size mask with holes */
	/* overflowing offsets and lengths */
	CHECK(chk(0xfebf8000, 0x4000, 0xffffffff, 0x10, 1));
	CHECK(chk(0xfebf8000, 0x4000, 0x3ff0, 0x20, 1));
	CHECK(chk(0xfebf8000, 0x4000, 0, 0xffffffff, 1));
	CHECK(chk(0xfebf8000, 0x4000, 0xfffffffffffff000ull, 0x2000, 1));
	CHECK(chk(0xfebf8000, 0x4000, 0x4000, 1, 1));
	/* zero and short lengths */
	CHECK(chk(0xfebf8000, 0x4000, 0, 0, 0));
	CHECK(chk(0xfebf8000, 0x4000, 0, 0x10, 0x38));
	/* BARs that wrap or leave the address space */
	CHECK(chk(0xfffffffffffff000ull, 0x1000, 0, 0x10, 1));
	CHECK(chk(0x8000000000000000ull, 0x8000000000000000ull, 0, 0x10, 1));
	CHECK(chk(0xffffff0000ull, 0x10000000000ull, 0, 0x10, 1)); /* ends past 2^40 */
	CHECK(chk(1ull << 40, 0x1000, 0, 0x10, 1));
	/* BARs over RAM or the image: low RAM, the kernel's text, the top of
	 * low RAM, high RAM, and a small BAR whose page holds RAM */
	CHECK(chk(0x1000, 0x1000, 0, 0x10, 1));
	CHECK(chk(0x100000, 0x1000, 0, 0x10, 1));
	CHECK(chk(0x200000, 0x200000, 0, 0x10, 1));
	CHECK(chk(0x7fffc000, 0x8000, 0x4000, 0x10, 1)); /* the region itself is past RAM */
	CHECK(chk(0x140000000, 0x4000, 0, 0x10, 1));
	CHECK(chk(0x9fff0, 0x10, 0, 0x10, 1)); /* page 0x9f000 is RAM to 0x9fc00 */
	/* BARs over the I/O APIC, the local APIC, or reaching into them */
	CHECK(chk(0xfec00000, 0x1000, 0, 0x10, 1));
	CHECK(chk(0xfee00000, 0x1000, 0, 0x10, 1));
	CHECK(chk(0xfe000000, 0x1000000, 0, 0x10, 1));
	CHECK(!chk(0xfebff000, 0x1000, 0, 0x10, 1)); /* just below: fine */
	return NULL;
}

/* Random values near the edges: whatever is accepted lies inside its BAR,
 * is not empty nor short, and its BAR's pages are clear of RAM, the image,
 * the chipset and the end of the address space. */
static const char *t_random(void)
{
	static const uint64_t edges[] = {
		0,          1,          0xf,         0x10,        0x38,
		0xfff,      0x1000,     0x4000,      0x9f000,     0x9fff0,
		0x100000,   0x7fffc000, 0x80000000,  0xfebf8000,  0xfebff000,
		0xfec00000, 0xfee00000, 0x100000000, 0x1b8000000, 1ull << 39,
		1ull << 40, 0x7fffffff, 0xffffffff,  ~0ull,       ~0ull - 0xfff,
		1ull << 63,
	};
	unsigned ne = sizeof edges / sizeof edges[0], accepted = 0;
	setup();
	srand(7);
	for (int i = 0; i < 1000000; i++) {
		uint64_t v[5];
		for (int k = 0; k < 5; k++)
			v[k] = edges[rand() % ne] + (uint64_t)(rand() % 3) - 1;
		v[1] = rand() % 2 ? 1ull << (rand() % 64) : v[1]; /* often a real size */
		if (chk(v[0], v[1], v[2], v[3], v[4]))
			continue;
		uint64_t start = v[0] & ~0xfffull, end = (v[0] + v[1] + 0xfff) & ~0xfffull;
		CHECK(v[0] && v[1] && v[0] + v[1] > v[0] && v[0] + v[1] <= m.addr_end);
		CHECK(v[3] && v[3] >= v[4] && v[2] < v[1] && v[2] + v[3] <= v[1]);
		CHECK(start >= 0xa0000); /* low RAM */
		CHECK(end <= 0x100000 || (start >= 0x80000000 && end <= 0x100000000) ||
		      start >= 0x1b8000000);                      /* the image, RAM */
		CHECK(end <= 0xfec00000 || start >= 0x100000000); /* the chipset */
		accepted++;
	}
	CHECK(accepted > 1000); /* the model was exercised */
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "pci_region_good" },
	{ t_hostile, "pci_region_hostile" },
	{ t_random, "pci_region_random" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
