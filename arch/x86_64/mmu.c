// SPDX-License-Identifier: MIT
/* The final page tables, built once at boot into fresh pages and loaded with one
 * CR3 write (page-table writes trap on this host's nested KVM, so later edits
 * are rare: thread guard pages, device registers at probe). Text R-X, rodata
 * R--, everything else RW- and NX; page 0 and the boot stack's guard page
 * unmapped. 4 KiB pages up to the image's end, 2 MiB above. */
#include "x86.h"

#define P   (1ull << 0)
#define W   (1ull << 1)
#define U   (1ull << 2) /* user: harmless in ring 0 without SMEP/SMAP */
#define PWT (1ull << 3)
#define PCD (1ull << 4)
#define PS  (1ull << 7)
#define NX  (1ull << 63)
/* clang-format takes "(e) &" for a cast and writes "(e)&" */
/* clang-format off */
#define ADDR(e) ((e) & 0x000ffffffffff000ull)
/* clang-format on */
#define HUGE       (2ull << 20)
#define LAPIC_MMIO 0xfee00000ull

static uint64_t *pml4;
static int live; /* our tables are loaded: all RAM is reachable */
static struct mmu_alloc alloc;

/* A zeroed page for a table. Until our tables are live only the boot tables'
 * first GiB is mapped, and pages come from the top of free RAM, which may lie
 * above it: the kernel's early allocator takes those from below. */
static uint64_t *table(void)
{
	uint64_t *t = live ? alloc.late() : alloc.early();
	if (!t || ((uint64_t)t & (PAGE_SIZE - 1)))
		arch_panic(__FILE__, __LINE__, "out of memory for page tables");
	for (int i = 0; i < 512; i++)
		t[i] = 0;
	return t;
}

/* The next level's table under entry e, made on first use. */
static uint64_t *next(uint64_t *e)
{
	if (!(*e & P))
		*e = (uint64_t)table() | P | W | U;
	return (uint64_t *)ADDR(*e);
}

static uint64_t *pd_of(uint64_t va)
{
	uint64_t *pdpt = next(&pml4[(va >> 39) & 511]);
	return next(&pdpt[(va >> 30) & 511]);
}

/* The page table under va, made on first use. A 2 MiB page there is split
 * into 512 4 KiB pages with its flags first (the caller invalidates the TLB
 * when the tables are live; invlpg of any address in it drops the 2 MiB entry). */
static uint64_t *pt_of(uint64_t va)
{
	uint64_t *pde = &pd_of(va)[(va >> 21) & 511];
	if (*pde & PS) {
		uint64_t *pt = table(), base = ADDR(*pde) & ~(HUGE - 1);
		uint64_t fl = *pde & (P | W | U | PWT | PCD | NX);
		for (int i = 0; i < 512; i++)
			pt[i] = (base + i * (uint64_t)PAGE_SIZE) | fl;
		*pde = (uint64_t)pt | P | W | U;
	}
	return next(pde);
}

static uint64_t flags_4k(uint64_t va)
{
	uint64_t text = (uint64_t)_text, etext = (uint64_t)_etext;
	uint64_t erodata = (uint64_t)_erodata, guard = (uint64_t)boot_stack_guard;

	if (va == 0 || va == guard)
		return 0; /* null page, stack guard */
	if (va >= text && va < etext)
		return P | U; /* text: read-only, executable */
	if (va >= etext && va < erodata)
		return P | U | NX; /* rodata */
	return P | W | U | NX;
}

static void map_4k(uint64_t va, uint64_t flags)
{
	pt_of(va)[(va >> 12) & 511] = flags ? va | flags : 0;
}

void mmu_init(uint64_t ram_top, const struct mmu_alloc *a)
{
	uint64_t small_end = ROUNDUP((uint64_t)_end, HUGE);

	alloc = *a;
	pml4 = table();
	for (uint64_t va = 0; va < small_end && va < ram_top; va += PAGE_SIZE)
		map_4k(va, flags_4k(va));
	for (uint64_t va = small_end; va < ram_top; va += HUGE) {
		if (va + HUGE <= ram_top) {
			pd_of(va)[(va >> 21) & 511] = va | P | W | U | PS | NX;
			continue;
		}
		for (; va < ram_top; va += PAGE_SIZE)
			map_4k(va, P | W | U | NX);
	}
	map_4k(LAPIC_MMIO, P | W | U | PCD | PWT | NX); /* only touched under QEMU */
	write_cr3((uint64_t)pml4);
	live = 1;
}

/* Unmaps (on) or maps back (off) one page as a stack guard. Ring 0 only: it
 * edits the live tables (splitting a 2 MiB page the first time) and
 * invalidates the TLB entry; thread creation is rare, this is no hot path.
 * Returns -1 where the tables are not ours to edit (no mmu_init: spore-kvm's
 * ring 3 runs on the monitor's). */
int mmu_guard(void *page, int on)
{
	uint64_t va = (uint64_t)page;

	if (!pml4)
		return -1;
	pt_of(va)[(va >> 12) & 511] = on ? 0 : va | P | W | U | NX;
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
	return 0;
}

static void map_range(uint64_t addr, uint64_t len, uint64_t flags)
{
	arch_assert(live && len && addr + len > addr);
	for (uint64_t va = ROUNDDOWN(addr, PAGE_SIZE); va < addr + len; va += PAGE_SIZE) {
		map_4k(va, flags);
		__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
	}
}

/* Maps device registers (uncached, not executable) at their physical address,
 * anywhere in the 48-bit space (BARs may lie above RAM and above 4 GiB). Ring 0,
 * at probe time only: it edits the live tables once per device, splitting a
 * 2 MiB page that covers the range (a hole below the top of RAM is mapped as
 * RAM, write-back, until a device claims part of it). */
void mmu_map_mmio(uint64_t addr, uint64_t len) { map_range(addr, len, P | W | PCD | PWT | NX); }

/* Maps memory that is not in the RAM map but is ordinary memory shared with
 * the host (Xen's console ring in a reserved page): write-back, as the other
 * side maps it, and not executable. -1 before mmu_init: the boot tables are
 * static and cover the first GiB only; the caller tries again later. */
int mmu_map_ram(uint64_t addr, uint64_t len)
{
	if (!live)
		return -1;
	map_range(addr, len, P | W | NX);
	return 0;
}

/* For the fault reporter: walks the tables so a backtrace never faults. */
int mmu_mapped(uint64_t va)
{
	uint64_t e = pml4 ? pml4[(va >> 39) & 511] : 0;
	if (!(e & P) || (va >> 48 && va >> 48 != 0xffff))
		return 0;
	e = ((uint64_t *)ADDR(e))[(va >> 30) & 511];
	if (!(e & P))
		return 0;
	e = ((uint64_t *)ADDR(e))[(va >> 21) & 511];
	if (!(e & P))
		return 0;
	if (e & PS)
		return 1;
	e = ((uint64_t *)ADDR(e))[(va >> 12) & 511];
	return !!(e & P);
}
