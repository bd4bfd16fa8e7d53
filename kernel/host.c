// SPDX-License-Identifier: MIT
/* Picks the host once, before the first console write. spore-kvm enters at
 * the Spore note's 64-bit entry (boot_ring3), or, entering at the PVH entry,
 * announces itself with a CPUID leaf (kernel/hypercall.h). Not CPUID alone:
 * in ring 3 on an AMD host without CPUID faulting the instruction is not
 * intercepted and shows the real CPU's leaves. Xen (a PVH domU) says so in
 * its own CPUID leaves. Anything else is QEMU. In ring 0 spore-kvm may offer
 * virtio devices and an in-kernel irqchip (HC_FEAT_VIRTIO in its next leaf). */
#include "kernel.h"
#include "hypercall.h"
#include "../arch/x86_64/x86.h"

const struct host *host = &host_qemu;

void host_init(void)
{
	uint32_t r[4];

	cpuid(HC_CPUID_LEAF, 0, r);
	if (boot_ring3 || (r[1] == 0x726f7053 && r[2] == 0x4d564b65 && r[3] == 0))  /* "SporeKVM" */
		host = &host_sporekvm;
	if (host == &host_sporekvm && !boot_ring3) {
		cpuid(HC_CPUID_FEATURES, 0, r);
		if (r[0] & HC_FEAT_VIRTIO)
			host = &host_sporekvm_virtio;
	}
	else if (xen_detect())
		host = &host_xen;
	if (host->init)
		host->init();
}
