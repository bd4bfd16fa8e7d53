// SPDX-License-Identifier: MIT
/* Sleeping: halt the vCPU until the deadline (the host wakes it by a timer
 * interrupt or a poll hypercall's return); other wake-ups just loop. */
#include "kernel.h"

void sleep_until(uint64_t deadline_ns)
{
	while (clock_monotonic_ns() < deadline_ns)
		host->halt_until(deadline_ns);
}
