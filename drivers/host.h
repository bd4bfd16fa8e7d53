/* SPDX-License-Identifier: MIT */
/* The host instances (kernel.h's struct host) the drivers provide, for
 * host.c's one choice at boot. Nothing else names a host. */
#ifndef DRIVERS_HOST_H
#define DRIVERS_HOST_H

/* qemu.c */
extern const struct host host_qemu;

/* sporekvm.c: entered at the PVH entry (ring 0), or at the Spore note's
 * 64-bit entry in ring 3 on the monitor's page tables */
extern const struct host host_sporekvm, host_sporekvm_ring3;
/* ... and in ring 0 with the monitor's virtio devices and irqchip (HC_FEAT_VIRTIO) */
extern const struct host host_sporekvm_virtio;
/* ring 0: the one of the two HC_CPUID_FEATURES names, read once (its other bits kept) */
const struct host *sporekvm_pick(void);

/* xen.c */
extern const struct host host_xen;
int xen_detect(void); /* 1 when Xen's CPUID leaves say so */
#endif
