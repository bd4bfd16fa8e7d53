// SPDX-License-Identifier: MIT
/* Guest-physical range checks and the one checked accessor: every address and
 * length a guest hands the monitor becomes a host pointer only through gm_at()
 * (or the copies gm_read/gm_write on top of it). Pure, overflow-safe; trusts
 * nothing but mem_size. */
#include <stdint.h>
#include <string.h>

#include "monitor.h"

/* [gpa, gpa + len) lies wholly inside RAM [0, mem_size). Written without the
 * sum gpa + len, which a hostile guest could wrap past 2^64. */
int gm_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len)
{
	return gpa <= mem_size && len <= mem_size - gpa;
}

/* An argument block: 8-byte aligned, inside RAM and below 4 GiB (the port
 * carries 32 bits), with no wrap. */
int gm_block_ok(uint64_t mem_size, uint64_t gpa, uint64_t len)
{
	const uint64_t lim = 1ull << 32;

	if (gpa % 8 != 0 || len == 0)
		return 0;
	if (!gm_range_ok(mem_size, gpa, len))
		return 0;
	return gm_range_ok(lim, gpa, len);
}

/* The host address of guest range [gpa, gpa + len), or NULL when any byte of it
 * lies outside RAM. The only place in the monitor that adds a guest address to
 * the mapping: every device, hypercall and debugger path goes through here.
 * len 0 is allowed (an empty range at gpa <= mem_size). */
void *gm_at(uint8_t *mem, uint64_t mem_size, uint64_t gpa, uint64_t len)
{
	if (!gm_range_ok(mem_size, gpa, len))
		return NULL;
	return mem + gpa;
}

/* Copies guest range [gpa, gpa + len) out to out; -1 (nothing copied) when any
 * byte of it lies outside RAM. For readers that hold a const mapping. */
int gm_read(const uint8_t *mem, uint64_t mem_size, uint64_t gpa, void *out, size_t len)
{
	const void *p = gm_at((uint8_t *)mem, mem_size, gpa, len); /* only read below */

	if (p == NULL)
		return -1;
	memcpy(out, p, len);
	return 0;
}

/* Copies len bytes from in to guest range [gpa, gpa + len); -1 (nothing written)
 * when any byte of it lies outside RAM. */
int gm_write(uint8_t *mem, uint64_t mem_size, uint64_t gpa, const void *in, size_t len)
{
	void *p = gm_at(mem, mem_size, gpa, len);

	if (p == NULL)
		return -1;
	memcpy(p, in, len);
	return 0;
}
