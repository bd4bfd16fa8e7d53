// SPDX-License-Identifier: MIT
/* Reads the PVH memory map: which RAM is free after the image, where RAM
 * ends, and where each RAM entry lies (no device may claim one). Pure:
 * unit-tested on the host with hostile maps. */
#include "kernel.h"

/* The free range is the RAM entry holding the image, from the image's end to
 * the entry's end. Returns -1 when no RAM entry holds the whole image. */
int memmap_read(const struct hvm_memmap_table_entry *e, unsigned n, uint64_t image_end,
                struct ram_info *ri)
{
	int found = -1;

	*ri = (struct ram_info){ 0 };
	for (unsigned i = 0; i < n && i < MEMMAP_MAX; i++) {
		uint64_t start = e[i].addr, end = e[i].addr + e[i].size;
		if (e[i].type != HVM_MEMMAP_RAM || end <= start)
			continue; /* not RAM, empty, or wraps around */
		ri->total += end - start;
		ri->ram[ri->nram].start = start;
		ri->ram[ri->nram++].end = end;
		if (end > ri->top)
			ri->top = ROUNDDOWN(end, PAGE_SIZE);
		if (start <= 0x100000 && end >= image_end && found < 0) {
			ri->free_start = ROUNDUP(image_end, PAGE_SIZE);
			ri->free_end = ROUNDDOWN(end, PAGE_SIZE);
			found = ri->free_end > ri->free_start ? 0 : -1;
		}
	}
	return found;
}

/* Keeps the free range off [base, base+size) (the initrd): the larger side of
 * the free range around it stays free. */
void memmap_exclude(struct ram_info *ri, uint64_t base, uint64_t size)
{
	uint64_t end = ROUNDUP(base + size, PAGE_SIZE);

	base = ROUNDDOWN(base, PAGE_SIZE);
	if (!size || end <= ri->free_start || base >= ri->free_end)
		return;
	if (base > ri->free_start &&
	    base - ri->free_start >= (ri->free_end > end ? ri->free_end - end : 0))
		ri->free_end = base;
	else
		ri->free_start = end < ri->free_end ? end : ri->free_end;
}

/* 1 when [start, end) overlaps a RAM entry of the map: a device that says its
 * registers are there would have us map RAM uncached over the kernel's own. */
int memmap_overlaps_ram(const struct ram_info *ri, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < ri->nram; i++)
		if (start < ri->ram[i].end && ri->ram[i].start < end)
			return 1;
	return 0;
}
