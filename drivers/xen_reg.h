/* SPDX-License-Identifier: MIT */
/* The few parts of Xen's guest ABI that spore uses (x86_64 layout), written from
 * the values documented in Xen's public headers (xen/include/public/): xen.h,
 * sched.h, vcpu.h, event_channel.h, memory.h, hvm/hvm_op.h, hvm/params.h,
 * io/console.h. Wire formats only; the driver's state is in xen.c. */
#ifndef XEN_REG_H
#define XEN_REG_H
#include <stdint.h>

/* arch-x86/cpuid.h: the signature leaf, at 0x40000000, or at 0x40000100 when
 * Xen also offers Viridian (Hyper-V) leaves, which then take 0x40000000;
 * leaf base + 2 gives the MSR that installs the hypercall page. Only these
 * two are asked: each CPUID is a VM exit on the other hosts' boot path. */
#define XEN_CPUID_FIRST     0x40000000u
#define XEN_CPUID_LAST      0x40000200u     /* exclusive */
#define XEN_CPUID_SIG_EBX   0x566e6558u    /* "XenV" */
#define XEN_CPUID_SIG_ECX   0x65584d4du    /* "MMXe" */
#define XEN_CPUID_SIG_EDX   0x4d4d566eu    /* "nVMM" */

/* xen.h: hypercall numbers; entry nr of the hypercall page is at nr * 32. */
#define __HYPERVISOR_memory_op        12
#define __HYPERVISOR_vcpu_op          24
#define __HYPERVISOR_sched_op         29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_hvm_op           34
#define XEN_HYPERCALL_STRIDE          32
#define DOMID_SELF                    0x7ff0u

/* memory.h: XENMEM_add_to_physmap puts a Xen page at a frame of ours. */
#define XENMEM_add_to_physmap   7
#define XENMAPSPACE_shared_info 0
struct xen_add_to_physmap {
	uint16_t domid;
	uint16_t size;            /* only for XENMAPSPACE_gmfn_range */
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

/* hvm/hvm_op.h and hvm/params.h: the toolstack leaves the console ring's frame
 * and event channel in HVM params. */
#define HVMOP_get_param         1
#define HVM_PARAM_CONSOLE_PFN   17
#define HVM_PARAM_CONSOLE_EVTCHN 18
struct xen_hvm_param {
	uint16_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

/* event_channel.h */
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_send      4
#define VIRQ_TIMER         0      /* fires when the single-shot timer expires */
struct evtchn_bind_virq {
	uint32_t virq, vcpu;
	uint32_t port;            /* out */
};
struct evtchn_send {
	uint32_t port;
};

/* vcpu.h: VCPUOP_*(cmd, vcpu id, arg). The timeout is Xen system time, the
 * pvclock's own time base; a deadline in the past fires at once. */
#define VCPUOP_set_singleshot_timer  8
#define VCPUOP_stop_singleshot_timer 9
struct vcpu_set_singleshot_timer {
	uint64_t timeout_abs_ns;
	uint32_t flags;           /* 0: no VCPU_SSHOTTMR_future check */
	uint32_t pad;
};

/* sched.h */
#define SCHEDOP_shutdown  2
#define SCHEDOP_poll      3
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash    3
struct sched_shutdown {
	uint32_t reason;
};
struct sched_poll {
	uint64_t ports;           /* guest handle: address of nr_ports uint32_t ports */
	uint32_t nr_ports;
	uint32_t pad;
	uint64_t timeout;         /* 0: none; else absolute system time */
};

/* xen.h: struct shared_info, x86_64. vcpu_info[32] of 64 bytes each; the
 * pvclock record (vcpu_time_info, 32 bytes) is at offset 32 in vcpu_info;
 * wall-clock time at system time 0 is wc_sec_hi:wc_sec . wc_nsec under the
 * wc_version seqlock. Event-channel pending bits: one bit per port. */
#define XEN_SI_VCPU0_TIME   32
#define XEN_SI_EVTCHN_PENDING 2048
#define XEN_SI_WC_VERSION   3072
#define XEN_SI_WC_SEC       3076
#define XEN_SI_WC_NSEC      3080
#define XEN_SI_WC_SEC_HI    3084

/* io/console.h: the PV console ring; the guest produces into out[]. */
struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap");
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param");
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface");
#endif
