// SPDX-License-Identifier: MIT
/* The host table's one pointer (set by host_init() in drivers/host.c) and
 * what the kernel decides from what the host offers: the clock. */
#include "kernel.h"

const struct host *host;

/* The host's own pvclock record first (Xen: nothing to set up, no PIT);
 * then the host's word on the TSC rate (spore-kvm: no exit per read, and no
 * MSR write, which ring 3 cannot do; the wall time comes with it, so one
 * exit at boot, not two); then kvmclock; then the PIT's measure. */
void host_clock_init(void)
{
	uint64_t wall = 0;

	if (host->pvclock) {
		const void *rec = host->pvclock(&wall);
		if (clock_use_pvclock(rec, wall) < 0)
			panic(__FILE__, __LINE__, "the host's pvclock record is empty");
		return;
	}
	uint64_t khz = host->tsc_khz ? host->tsc_khz(&wall) : 0;

	if (khz) {
		clock_use_tsc(khz, wall);
		return;
	}
	if (!host->ring3 && clock_use_kvmclock() == 0)
		return;
	if (!host->ring3)
		khz = pit_calibrate_tsc_khz();
	if (!khz)
		panic(__FILE__, __LINE__, "no clock: no kvmclock and the TSC rate is unknown");
	clock_use_tsc(khz, host->wall_ns());
}
