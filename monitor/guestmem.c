// SPDX-License-Identifier: MIT
/* Guest-physical range checks: every address and length a guest hands the monitor
 * passes one of these before the monitor touches guest memory. Pure, overflow-safe. */
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
