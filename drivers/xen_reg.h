/* SPDX-License-Identifier: MIT */
/* The few parts of Xen's guest ABI that spore uses (x86_64 layout), written from
 * the values documented in Xen's public headers (xen/include/public/): xen.h,
 * sched.h, vcpu.h, event_channel.h, memory.h, grant_table.h, hvm/hvm_op.h,
 * hvm/params.h, io/console.h, io/xs_wire.h, io/xenbus.h, io/ring.h, io/netif.h.
 * Wire formats only; the drivers' state is in xen.c, xen_store.c, xen_net.c. */
#ifndef XEN_REG_H
#define XEN_REG_H
#include <stdint.h>

/* arch-x86/cpuid.h: the signature leaf, at 0x40000000, or at 0x40000100 when
 * Xen also offers Viridian (Hyper-V) leaves, which then take 0x40000000;
 * leaf base + 2 gives the MSR that installs the hypercall page. Only these
 * two are asked: each CPUID is a VM exit on the other hosts' boot path. */
#define XEN_CPUID_FIRST   0x40000000u
#define XEN_CPUID_LAST    0x40000200u /* exclusive */
#define XEN_CPUID_SIG_EBX 0x566e6558u /* "XenV" */
#define XEN_CPUID_SIG_ECX 0x65584d4du /* "MMXe" */
#define XEN_CPUID_SIG_EDX 0x4d4d566eu /* "nVMM" */

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
#define XENMAPSPACE_grant_table 1 /* idx: grant-table frame number */
struct xen_add_to_physmap {
	uint16_t domid;
	uint16_t size; /* only for XENMAPSPACE_gmfn_range */
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

/* hvm/hvm_op.h and hvm/params.h: the toolstack leaves the console ring's frame
 * and event channel in HVM params. */
#define HVMOP_get_param          1
#define HVM_PARAM_STORE_PFN      1
#define HVM_PARAM_STORE_EVTCHN   2
#define HVM_PARAM_CONSOLE_PFN    17
#define HVM_PARAM_CONSOLE_EVTCHN 18
struct xen_hvm_param {
	uint16_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

/* event_channel.h */
#define EVTCHNOP_bind_virq     1
#define EVTCHNOP_send          4
#define EVTCHNOP_alloc_unbound 6
#define VIRQ_TIMER             0 /* fires when the single-shot timer expires */
struct evtchn_bind_virq {
	uint32_t virq, vcpu;
	uint32_t port; /* out */
};
struct evtchn_send {
	uint32_t port;
};
struct evtchn_alloc_unbound { /* a port of ours that remote_dom may bind */
	uint16_t dom, remote_dom;
	uint32_t port; /* out */
};

/* vcpu.h: VCPUOP_*(cmd, vcpu id, arg). The timeout is Xen system time, the
 * pvclock's own time base; a deadline in the past fires at once. */
#define VCPUOP_set_singleshot_timer  8
#define VCPUOP_stop_singleshot_timer 9
struct vcpu_set_singleshot_timer {
	uint64_t timeout_abs_ns;
	uint32_t flags; /* 0: no VCPU_SSHOTTMR_future check */
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
	uint64_t ports; /* guest handle: address of nr_ports uint32_t ports */
	uint32_t nr_ports;
	uint32_t pad;
	uint64_t timeout; /* 0: none; else absolute system time */
};

/* xen.h: struct shared_info, x86_64. vcpu_info[32] of 64 bytes each; the
 * pvclock record (vcpu_time_info, 32 bytes) is at offset 32 in vcpu_info;
 * wall-clock time at system time 0 is wc_sec_hi:wc_sec . wc_nsec under the
 * wc_version seqlock. Event-channel pending bits: one bit per port. */
#define XEN_SI_VCPU0_TIME     32
#define XEN_SI_EVTCHN_PENDING 2048
#define XEN_NR_PORTS          4096 /* 2-level ABI, 64-bit: 64 x 64 pending bits */
#define XEN_SI_WC_VERSION     3072
#define XEN_SI_WC_SEC         3076
#define XEN_SI_WC_NSEC        3080
#define XEN_SI_WC_SEC_HI      3084

/* io/console.h: the PV console ring; the guest produces into out[]. */
struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

/* grant_table.h, v1 (the default; no GNTTABOP_set_version): 8-byte entries,
 * 512 to a frame; refs below 8 are the toolstack's (console, xenstore). The
 * guest writes domid and frame, then flags; ending a grant is a cmpxchg of
 * flags to 0 that fails while the other side has it mapped or in a copy. */
struct grant_entry_v1 {
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;
};
#define GTF_permit_access  (1u << 0)
#define GTF_readonly       (1u << 2)
#define GTF_reading        (1u << 3)
#define GTF_writing        (1u << 4)
#define GNTTAB_NR_RESERVED 8

/* io/xs_wire.h: the xenstore ring. Each message is this header and len bytes
 * of payload (at most XENSTORE_PAYLOAD_MAX); indices are free-running. */
struct xsd_sockmsg {
	uint32_t type, req_id, tx_id, len;
};
#define XS_DIRECTORY         1
#define XS_READ              2
#define XS_WATCH             4 /* payload: path NUL token NUL; reply "OK" */
#define XS_UNWATCH           5 /* the same payload */
#define XS_WRITE             11
#define XS_WATCH_EVENT       15 /* unasked, any time: path NUL token NUL */
#define XS_ERROR             16
#define XENSTORE_PAYLOAD_MAX 4096
#define XENSTORE_RING_SIZE   1024
struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE]; /* guest -> xenstored */
	char rsp[XENSTORE_RING_SIZE]; /* xenstored -> guest */
	uint32_t req_cons, req_prod;
	uint32_t rsp_cons, rsp_prod;
	uint32_t server_features, connection, error;
};

/* io/xenbus.h: the states front and back end walk through. */
#define XenbusStateInitialising 1
#define XenbusStateInitWait     2
#define XenbusStateInitialised  3
#define XenbusStateConnected    4
#define XenbusStateClosing      5

/* io/ring.h: a shared ring in one page: four free-running indices, 48 bytes
 * of padding, then the entries (a power of two that fits the rest). The
 * side that produces sets *_prod; the other asks for a notification when
 * the producer passes its *_event. */
struct xen_sring_hdr {
	uint32_t req_prod, req_event;
	uint32_t rsp_prod, rsp_event;
	uint8_t pad[48];
};

/* io/netif.h: netfront. tx entries are a union of 12 bytes (request,
 * extra info, response), rx entries of 8: 256 of each fit a page. */
struct netif_tx_request {
	uint32_t gref;
	uint16_t offset;
	uint16_t flags;
	uint16_t id;
	uint16_t size; /* the whole frame */
};
struct netif_tx_response {
	uint16_t id;
	int16_t status;
};
struct netif_rx_request {
	uint16_t id;
	uint16_t pad;
	uint32_t gref;
};
struct netif_rx_response {
	uint16_t id;
	uint16_t offset;
	uint16_t flags;
	int16_t status; /* > 0: frame length; < 0: NETIF_RSP_* */
};
#define NETIF_TX_ENTRY    12
#define NETIF_RX_ENTRY    8
#define NETIF_RING_SIZE   256 /* both rings: (4096 - 64) / 12 and / 8, rounded down */
#define NETRXF_more_data  (1u << 2)
#define NETRXF_extra_info (1u << 3)
#define NETIF_RSP_NULL    1

_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound");
_Static_assert(sizeof(struct xenstore_domain_interface) == 2076, "xenstore_domain_interface");
_Static_assert(sizeof(struct xen_sring_hdr) == 64, "sring header");
_Static_assert(sizeof(struct netif_tx_request) == NETIF_TX_ENTRY, "netif_tx_request");
_Static_assert(sizeof(struct netif_rx_response) == NETIF_RX_ENTRY, "netif_rx_response");
_Static_assert(64 + NETIF_RING_SIZE * NETIF_TX_ENTRY <= 4096, "tx ring fits a page");
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap");
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param");
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface");
#endif
