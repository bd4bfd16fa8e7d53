// SPDX-License-Identifier: MIT
/* Picks the host once, before the first console write. spore-kvm enters at
 * the Spore note's 64-bit entry (boot_ring3), or, entering at the PVH entry,
 * announces itself with a CPUID leaf (kernel/hypercall.h). Not CPUID alone:
 * in ring 3 on an AMD host without CPUID faulting the instruction is not
 * intercepted and shows the real CPU's leaves. Xen (a PVH domU) says so in
 * its own CPUID leaves. Anything else is QEMU. In ring 0 spore-kvm may offer
 * virtio devices and an in-kernel irqchip (HC_FEAT_VIRTIO in its next leaf),
 * which picks host_sporekvm_virtio. The one place that reads
 * boot_ring3: the rest asks the table (host->ring3). */
#include "kernel.h"
#include "hypercall.h"
#include "host.h"

void host_init(void)
{
	uint32_t r[4];

	cpuid(HC_CPUID_LEAF, 0, r);
	if (boot_ring3)
		host = &host_sporekvm_ring3;
	else if (r[1] == 0x726f7053 && r[2] == 0x4d564b65 && r[3] == 0) { /* "SporeKVM" */
		/* In ring 0 the monitor may offer virtio devices and an irqchip. */
		host = sporekvm_pick();
	} else if (xen_detect())
		host = &host_xen;
	else
		host = &host_qemu;
	if (host->init)
		host->init();
}
