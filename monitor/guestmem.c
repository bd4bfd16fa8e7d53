// SPDX-License-Identifier: MIT
/* Guest-physical range checks and the one checked accessor: every address and
 * length a guest hands the monitor becomes a host pointer only through gm_at().
 * Pure, overflow-safe; trusts nothing but mem_size. */
#include <stdint.h>

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
