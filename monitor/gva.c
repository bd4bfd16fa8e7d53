// SPDX-License-Identifier: MIT
/* Guest-virtual addresses through the guest's own page tables, for the gdb stub and
 * the core file (the guest's view, in either start mode). Pure. The tables are guest
 * data: every entry is read from a checked address, and a walk of all of them is
 * bounded, so a hostile or cyclic table costs the monitor little. */
#include "monitor.h"

#define CR0_PG    (1ull << 31)
#define CR4_LA57  (1ull << 12)
#define EFER_LMA  (1ull << 10)
#define ADDR_MASK 0x000ffffffffff000ull
#define PAGE      0x1000ull
#define WALK_MAX  (1u << 22) /* table entries one gva_walk reads, at most */

/* The entry idx of the table at gpa t, or 0 (not present) when outside RAM. */
static uint64_t entry(const uint8_t *mem, uint64_t mem_size, uint64_t t, unsigned idx)
{
	uint64_t e;

	if (gm_read(mem, mem_size, t + idx * 8ull, &e, 8) < 0) /* t < 2^52: no wrap */
		return 0;
	return e;
}

static int levels(const struct gva_mmu *m)
{
	if (!(m->cr0 & CR0_PG))
		return 0;
	if (!(m->efer & EFER_LMA))
		return -1; /* 32-bit paging: spore never runs with it */
	return m->cr4 & CR4_LA57 ? 5 : 4;
}

int gva_translate(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                  uint64_t *gpa, uint64_t *len, uint64_t *prot)
{
	int n = levels(m);
	uint64_t t = m->cr3 & ADDR_MASK, p = PTE_W | PTE_U, size = PAGE, base;

	if (n < 0)
		return -1;
	if (n == 0) {
		base = va & ~(PAGE - 1);
	} else {
		unsigned bits = 12 + 9 * (unsigned)n;
		/* Canonical: bits 63..bits-1 all equal. */
		uint64_t top = va >> (bits - 1);
		if (top != 0 && top != (UINT64_MAX >> (bits - 1)))
			return -1;
		for (int l = n - 1;; l--) {
			unsigned shift = 12 + 9 * (unsigned)l;
			uint64_t e = entry(mem, mem_size, t, (unsigned)(va >> shift) & 511);
			if (!(e & PTE_P))
				return -1;
			p &= e | ~(PTE_W | PTE_U);
			p |= e & PTE_NX;
			if (l == 0 || ((e & PTE_PS) && l <= 2)) {
				size = 1ull << shift;
				base = (e & ADDR_MASK & ~(size - 1)) +
				       ((va & (size - 1)) & ~(PAGE - 1));
				break;
			}
			t = e & ADDR_MASK;
		}
	}
	uint64_t g = base + (va & (PAGE - 1));
	if (g >= mem_size)
		return -1;
	*gpa = g;
	*len = PAGE - (va & (PAGE - 1)); /* to the end of this 4 KiB page: RAM is 4K-aligned */
	*prot = p | PTE_P;
	return 0;
}

size_t gva_read(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa, n, prot;
		if (va + done < va ||
		    gva_translate(mem, mem_size, m, va + done, &gpa, &n, &prot) < 0)
			break;
		if (n > len - done)
			n = len - done;
		if (gm_read(mem, mem_size, gpa, (uint8_t *)buf + done, n) < 0)
			break;
		done += n;
	}
	return done;
}

size_t gva_write(uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                 const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa, n, prot;
		if (va + done < va ||
		    gva_translate(mem, mem_size, m, va + done, &gpa, &n, &prot) < 0)
			break;
		if (n > len - done)
			n = len - done;
		if (gm_write(mem, mem_size, gpa, (const uint8_t *)buf + done, n) < 0)
			break;
		done += n;
	}
	return done;
}

struct walk {
	const uint8_t *mem;
	uint64_t mem_size;
	unsigned reads;
	int (*fn)(void *ctx, uint64_t va, uint64_t gpa, uint64_t len, uint64_t prot);
	void *ctx;
};

/* The canonical form of a bits-wide address. */
static uint64_t sign_extend(uint64_t va, unsigned bits)
{
	return va & (1ull << (bits - 1)) ? va | ~((1ull << bits) - 1) : va;
}

/* One table at gpa t, level l (0: a page table) covering addresses from va0. Each
 * mapping goes to w->fn in address order; a non-zero return stops the walk. */
static int walk(struct walk *w, uint64_t t, int l, uint64_t va0, uint64_t prot, unsigned bits)
{
	unsigned shift = 12 + 9 * (unsigned)l;

	for (unsigned i = 0; i < 512; i++) {
		if (++w->reads > WALK_MAX)
			return -1;
		uint64_t e = entry(w->mem, w->mem_size, t, i);
		if (!(e & PTE_P))
			continue;
		uint64_t p = (prot & (e | ~(PTE_W | PTE_U))) | (e & PTE_NX);
		uint64_t va = sign_extend(va0 + ((uint64_t)i << shift), bits);
		if (l == 0 || ((e & PTE_PS) && l <= 2)) {
			uint64_t size = 1ull << shift, gpa = e & ADDR_MASK & ~(size - 1);
			if (gpa >= w->mem_size)
				continue; /* device memory: not the guest's RAM */
			if (size > w->mem_size - gpa)
				size = w->mem_size - gpa;
			int r = w->fn(w->ctx, va, gpa, size, p | PTE_P);
			if (r)
				return r;
			continue;
		}
		int r = walk(w, e & ADDR_MASK, l - 1, va0 + ((uint64_t)i << shift), p, bits);
		if (r)
			return r;
	}
	return 0;
}

int gva_walk(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m,
             int (*fn)(void *ctx, uint64_t va, uint64_t gpa, uint64_t len, uint64_t prot),
             void *ctx)
{
	int n = levels(m);
	struct walk w = { mem, mem_size, 0, fn, ctx };

	if (n < 0)
		return -1;
	if (n == 0)
		return fn(ctx, 0, 0, mem_size, PTE_P | PTE_W | PTE_U);
	return walk(&w, m->cr3 & ADDR_MASK, n - 1, 0, PTE_W | PTE_U, 12 + 9 * (unsigned)n);
}
