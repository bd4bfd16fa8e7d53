// SPDX-License-Identifier: MIT
/* Checks where a PCI device says its registers are (a BAR, an offset and a
 * length in it) before the kernel maps them writable. Pure: unit-tested on
 * the host with hostile values. What the BAR really decodes it cannot know. */
#include "kernel.h"
#include "virtio.h"

/* x86 chipset space below 4 GiB: I/O APICs (0xfec00000), HPET, local APIC
 * (0xfee00000), firmware. CPU accesses there never reach a PCI device, so a
 * BAR placed there would have our register writes land in the interrupt
 * controllers; firmware never puts one there (SeaBIOS's window ends below). */
#define CHIPSET_START 0xfec00000ull
#define CHIPSET_END   0x100000000ull

/* NULL when [base + off, base + off + len) of BAR b may be mapped as device
 * registers, else why not. The device chose every number, so each sum is
 * checked for wrap before it is used. The whole BAR, widened to the pages
 * mmu_map_mmio() will remap, must stay clear of RAM, the kernel image and
 * the chipset: a device claiming them would have us remap kernel text or data
 * writable and uncached, write into the APICs, or trip the mapper's own
 * assertion. */
const char *pci_region_check(const struct pci_bar *b, uint64_t off, uint64_t len, uint64_t need,
                             const struct pci_mem *m)
{
	if (!b || !b->base || !b->size)
		return "no such memory BAR"; /* number > 5, I/O, unassigned or unimplemented */
	if (b->size & (b->size - 1))
		return "BAR size not a power of two"; /* a size mask with holes */
	if (b->base + b->size < b->base || b->base + b->size > m->addr_end)
		return "BAR beyond the physical address space";
	if (!len || len < need)
		return "region empty or shorter than its structure";
	if (off > b->size || len > b->size - off)
		return "region outside its BAR";
	uint64_t start = ROUNDDOWN(b->base, PAGE_SIZE), end = ROUNDUP(b->base + b->size, PAGE_SIZE);
	if (memmap_overlaps_ram(m->ram, start, end) ||
	    (start < m->image_end && m->image_start < end))
		return "BAR overlaps RAM or the kernel image";
	if (start < CHIPSET_END && CHIPSET_START < end)
		return "BAR overlaps the interrupt controllers";
	return NULL;
}
