// SPDX-License-Identifier: MIT
/* The identity page tables of the 64-bit ring-3 entry, built in guest RAM at
 * [GPA_PT_BASE, GPA_PT_END). Pure. paging_prot() is the single source of truth: the
 * builder writes what it says, and the trap decoder and fault report ask it again
 * (never the tables in guest RAM, which a guest that reached ring 0 could rewrite). */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>

#include "monitor.h"

#define PAGE  0x1000ull
#define LARGE 0x200000ull             /* 2 MiB */
#define GIANT 0x40000000ull           /* 1 GiB: what one page directory covers */
#define TABLE (PTE_P | PTE_W | PTE_U) /* non-leaf entries: the leaf decides */

static uint64_t page_down(uint64_t a, uint64_t sz) { return a & ~(sz - 1); }
static uint64_t page_up(uint64_t a, uint64_t sz) { return (a + sz - 1) & ~(sz - 1); }

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The segment whose pages hold va, or NULL (segment ends are page-rounded). */
static const struct seg *seg_of(const struct image *im, uint64_t va)
{
	for (int i = 0; i < im->nseg; i++) {
		const struct seg *s = &im->seg[i];
		if (va >= page_down(s->gpa, PAGE) &&
		    va - page_down(s->gpa, PAGE) <
		            page_up(s->gpa + s->memsz, PAGE) - page_down(s->gpa, PAGE))
			return s;
	}
	return NULL;
}

int paging_guard(const struct image *im, uint64_t va)
{
	const struct seg *s = seg_of(im, va);
	return s != NULL && s->flags == 0;
}

/* The leaf bits (P, W, U, NX) of the page holding va; 0 when not present. */
uint64_t paging_prot(const struct image *im, uint64_t mem_size, uint64_t va)
{
	if (va >= mem_size || va < PAGE)
		return 0; /* beyond RAM; page 0 for null pointers */
	if (va >= GPA_PT_BASE && va < GPA_PT_END)
		return 0; /* the tables themselves */
	const struct seg *s = seg_of(im, va);
	if (s == NULL)
		return PTE_P | PTE_U | PTE_W | PTE_NX; /* other RAM */
	if (s->flags == 0)
		return 0; /* guard page */
	return PTE_P | PTE_U | (s->flags & PF_W ? PTE_W : 0) | (s->flags & PF_X ? 0 : PTE_NX);
}

/* Segments that share a page must agree on its flags: a page has one protection. */
static int check_overlap(const struct image *im, char *err, size_t errlen)
{
	for (int i = 0; i < im->nseg; i++)
		for (int j = i + 1; j < im->nseg; j++) {
			const struct seg *a = &im->seg[i], *b = &im->seg[j];
			uint64_t a0 = page_down(a->gpa, PAGE),
				 a1 = page_up(a->gpa + a->memsz, PAGE);
			uint64_t b0 = page_down(b->gpa, PAGE),
				 b1 = page_up(b->gpa + b->memsz, PAGE);
			if (a0 < b1 && b0 < a1 && a->flags != b->flags)
				return fail(err, errlen,
				            "segments at 0x%llx and 0x%llx share a page but "
				            "have different flags (%u, %u); align them to 4 KiB",
				            (unsigned long long)a->gpa, (unsigned long long)b->gpa,
				            a->flags, b->flags);
		}
	return 0;
}

/* One entry; -1 when the table is outside RAM (the caller's size check rules it
 * out: a --mem too small for the table region fails before this). */
static int put(uint8_t *mem, uint64_t mem_size, uint64_t table, unsigned idx, uint64_t pte)
{
	return gm_write(mem, mem_size, table + idx * 8ull, &pte, 8);
}

/* Layout: PML4, one PDPT (512 GiB), one PD per GiB of RAM, one PT per 2 MiB that needs
 * 4 KiB pages: those below the 2 MiB-rounded end of the image, and a partial last one.
 * Expects the region zeroed (fresh anonymous memory). */
int paging_build(uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t *cr3, char *err,
                 size_t errlen)
{
	uint64_t img_end = 0;

	if (check_overlap(im, err, errlen) < 0)
		return -1;
	for (int i = 0; i < im->nseg; i++)
		if (im->seg[i].gpa + im->seg[i].memsz > img_end)
			img_end = im->seg[i].gpa + im->seg[i].memsz;
	uint64_t small_end = page_up(img_end, LARGE); /* 4 KiB pages below this */
	uint64_t nlarge = page_up(mem_size, LARGE) / LARGE;
	uint64_t npd = page_up(mem_size, GIANT) / GIANT;
	uint64_t npt = 0;
	for (uint64_t c = 0; c < nlarge; c++)
		if (c * LARGE < small_end || (c + 1) * LARGE > mem_size)
			npt++;
	uint64_t need = 2 + npd + npt, room = (GPA_PT_END - GPA_PT_BASE) / PAGE;
	if (npd > 512 || need > room)
		return fail(err, errlen,
		            "page tables for %llu MiB of RAM need %llu pages, more than "
		            "the %llu reserved at 0x%llx",
		            (unsigned long long)(mem_size >> 20), (unsigned long long)need,
		            (unsigned long long)room, (unsigned long long)GPA_PT_BASE);

	uint64_t pml4 = GPA_PT_BASE, pdpt = pml4 + PAGE, pd0 = pdpt + PAGE;
	uint64_t pt = pd0 + npd * PAGE; /* next free PT */
	int bad = 0;                    /* a table entry outside RAM */
	bad |= put(mem, mem_size, pml4, 0, pdpt | TABLE);
	for (uint64_t g = 0; g < npd; g++)
		bad |= put(mem, mem_size, pdpt, (unsigned)g, (pd0 + g * PAGE) | TABLE);
	for (uint64_t c = 0; c < nlarge; c++) {
		uint64_t va = c * LARGE, pd = pd0 + (c / 512) * PAGE;
		if (va >= small_end && va + LARGE <= mem_size) {
			/* Above the image there are no segments: all of it is other RAM. */
			bad |= put(mem, mem_size, pd, c % 512,
			           va | paging_prot(im, mem_size, va) | PTE_PS);
			continue;
		}
		bad |= put(mem, mem_size, pd, c % 512, pt | TABLE);
		for (unsigned i = 0; i < 512; i++) {
			uint64_t p = va + i * PAGE, prot = paging_prot(im, mem_size, p);
			if (prot)
				bad |= put(mem, mem_size, pt, i, p | prot);
		}
		pt += PAGE;
	}
	if (bad)
		return fail(err, errlen, "the page tables at 0x%llx lie outside %llu bytes of RAM",
		            (unsigned long long)GPA_PT_BASE, (unsigned long long)mem_size);
	*cr3 = pml4;
	return 0;
}
