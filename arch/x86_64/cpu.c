// SPDX-License-Identifier: MIT
/* CPU feature queries. The descriptor tables are static (entry.S). */
#include "x86.h"

int cpu_has_rdrand(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return !!(r[2] & CPUID1_ECX_RDRAND);
}

/* RDRAND may transiently fail; Intel's guidance is to retry ten times. */
int cpu_rdrand(uint64_t *v)
{
	for (int i = 0; i < 10; i++) {
		unsigned char ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 0;
	}
	return -1;
}
