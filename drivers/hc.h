/* SPDX-License-Identifier: MIT */
/* spore-kvm hypercalls, the raw layer: one port write carrying the block's
 * guest-physical address (identity-mapped, so its virtual address). In ring 3
 * the outl traps and the monitor decodes it; the monitor reads and writes the
 * block while the vCPU is stopped, and outl's memory clobber orders that. */
#ifndef DRIVERS_HC_H
#define DRIVERS_HC_H
#include "hypercall.h"
#include "x86.h"

static inline void hypercall_raw(unsigned nr, void *block)
{
	outl(HC_PORT_BASE + nr, (uint32_t)(uintptr_t)block);
}

/* sporekvm_net.c */
void hcnet_init(void); /* finds the --net and --disk devices, if any */
void hcblk_init(uint64_t sectors);
#endif
