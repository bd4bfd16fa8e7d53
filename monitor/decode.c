// SPDX-License-Identifier: MIT
/* Reads guest code and stacks the way the ring-3 guest sees them (identity map, the
 * monitor's own page protections) and decodes the one instruction a trap may be a
 * hypercall: outl. Pure; every guest address is hostile and checked before use. */
#include "monitor.h"

/* Up to max bytes at rip, stopping at the first byte not in an executable page:
 * the CPU could not have fetched past it either. Returns the count. */
size_t decode_fetch(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t rip,
                    uint8_t *buf, size_t max)
{
	size_t n = 0;

	for (; n < max; n++) {
		uint64_t va = rip + n;
		if (va < rip)
			break; /* wrapped past 2^64 */
		uint64_t prot = paging_prot(im, mem_size, va);
		if (!(prot & PTE_P) || (prot & PTE_NX) ||
		    gm_read(mem, mem_size, va, &buf[n], 1) < 0)
			break;
	}
	return n;
}

/* The hypercall forms: `e7 ib` outl %eax, $imm8 and `ef` outl %eax, %dx. Prefixed
 * forms (66 = outw, REX, segment) are not hypercalls. Returns 1 with *port and *len,
 * 0 for anything else. */
int decode_outl(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t rip,
                uint64_t rdx, unsigned *port, unsigned *len)
{
	uint8_t b[2];
	size_t n = decode_fetch(mem, mem_size, im, rip, b, sizeof(b));

	if (n >= 1 && b[0] == 0xef) {
		*port = (unsigned)(rdx & 0xffff);
		*len = 1;
		return 1;
	}
	if (n >= 2 && b[0] == 0xe7) {
		*port = b[1];
		*len = 2;
		return 1;
	}
	return 0;
}

/* A u64 at va from a present page (readable to ring 3); va 8-aligned, so it never
 * straddles two pages. */
int decode_read64(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t va,
                  uint64_t *out)
{
	if (va % 8 != 0 || !(paging_prot(im, mem_size, va) & PTE_P))
		return -1;
	return gm_read(mem, mem_size, va, out, 8);
}
