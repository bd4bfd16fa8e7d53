// SPDX-License-Identifier: MIT
/* The Xen host: spore as a PVH domU. Hypercalls through the page Xen writes
 * for us; the PV console ring; pvclock and wall clock from shared_info;
 * sleep with a single-shot timer polled on its event channel together with
 * the devices' channels (no interrupts: the vCPU never enables them here);
 * the grant table and event channels that xen_store.c and xen_net.c use.
 * No blkfront. Nothing here touches COM1, the PICs, the PIT or the APICs:
 * a PVH domU has none. */
#include "kernel.h"
#include "xen.h"
#include "host.h"

/* Xen fills this page with one stub per hypercall when we write its physical
 * address to the MSR (xen_init). In .text, so it stays executable under W^X;
 * Xen writes it through guest-physical memory, not our page tables. int3
 * until then, so an early call faults visibly. */
__asm__(".pushsection .text.xen_hypercall_page, \"ax\"\n"
        ".p2align 12\n"
        "xen_hypercall_page: .fill 4096, 1, 0xcc\n"
        ".popsection");
extern char xen_hypercall_page[];

static uint32_t xen_cpuid_base; /* the signature leaf found by xen_detect */

/* drivers/host.c asks: Xen's CPUID signature at 0x40000000 or 0x40000100. */
int xen_detect(void)
{
	uint32_t r[4];

	for (uint32_t base = XEN_CPUID_FIRST; base < XEN_CPUID_LAST; base += 0x100) {
		cpuid(base, 0, r);
		if (r[1] == XEN_CPUID_SIG_EBX && r[2] == XEN_CPUID_SIG_ECX &&
		    r[3] == XEN_CPUID_SIG_EDX && r[0] >= base + 2) {
			xen_cpuid_base = base;
			return 1;
		}
	}
	return 0;
}

/* The raw layer: 64-bit HVM hypercall ABI, args in rdi, rsi, rdx, result in
 * rax. Xen may clobber argument registers (debug builds do), so all are outputs. */
static inline long xen_hypercall3(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	long ret;
	__asm__ volatile("call *%[entry]"
	                 : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3)
	                 : [entry] "r"(xen_hypercall_page + nr * XEN_HYPERCALL_STRIDE)
	                 : "memory", "cc", "r10", "r8");
	return ret;
}

/* The typed layer. Argument structs are on the stack: in a PVH domU Xen reads
 * guest-virtual addresses through our page tables, and the stack is mapped. */
static long sched_op(int cmd, void *arg)
{
	return xen_hypercall3(__HYPERVISOR_sched_op, cmd, (uint64_t)arg, 0);
}
static long evtchn_op(int cmd, void *arg)
{
	return xen_hypercall3(__HYPERVISOR_event_channel_op, cmd, (uint64_t)arg, 0);
}
static long vcpu_op(int cmd, void *arg)
{
	return xen_hypercall3(__HYPERVISOR_vcpu_op, cmd, 0, (uint64_t)arg);
}

long xen_hvm_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
	long r = xen_hypercall3(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0);
	*value = p.value;
	return r;
}

#define GNT_ENTRIES   (PAGE_SIZE / sizeof(struct grant_entry_v1)) /* one frame */
#define XEN_WATCH_MAX 4 /* device ports halt_until polls besides the timer */

static struct {
	volatile uint8_t *si;                   /* shared_info, at shared_page */
	uint64_t con_pa;                        /* console ring's frame (HVM param) */
	volatile struct xencons_interface *con; /* NULL until our tables map it */
	uint32_t con_port, timer_port;
	uint32_t ports[1 + XEN_WATCH_MAX]; /* halt_until polls these: timer first */
	void (*onport[1 + XEN_WATCH_MAX])(void);
	unsigned nports;
	volatile struct grant_entry_v1 *gnt; /* grant-table frame 0, outside RAM */
	uint16_t gfree[GNT_ENTRIES];         /* free refs, a stack */
	unsigned ngfree;
	char early[1024]; /* output before the ring is mapped */
	size_t nearly;
} xen;

/* shared_info replaces this page of the image's bss (XENMEM_add_to_physmap). */
static char shared_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* The only places a port becomes an address: every port is checked where it
 * comes in (HVM param, Xen's reply), and once more here. */
static void clear_pending(uint32_t port)
{
	if (port >= XEN_NR_PORTS)
		return;
	/* Xen sets these bits from another CPU: a locked bit op, never a plain store. */
	__asm__ volatile(
		"lock btrl %1, %0"
		: "+m"(*(volatile uint32_t *)(xen.si + XEN_SI_EVTCHN_PENDING + port / 32 * 4))
		: "r"(port % 32)
		: "memory");
}

static int is_pending(uint32_t port)
{
	if (port >= XEN_NR_PORTS)
		return 0;
	return !!(*(volatile uint32_t *)(xen.si + XEN_SI_EVTCHN_PENDING + port / 32 * 4) &
	          1u << port % 32);
}

/* Blocks until one of ports is pending or Xen system time reaches timeout
 * (0: none). Returns at once if one is already pending: clear it first to wait. */
static void poll_ports(uint32_t *ports, unsigned n, uint64_t timeout)
{
	struct sched_poll p = { .ports = (uint64_t)ports, .nr_ports = n, .timeout = timeout };
	sched_op(SCHEDOP_poll, &p);
}

static void poll(uint32_t port, uint64_t timeout) { poll_ports(&port, 1, timeout); }

static void notify(uint32_t port)
{
	struct evtchn_send s = { .port = port };
	evtchn_op(EVTCHNOP_send, &s);
}

static void ring_put(const char *s, size_t n)
{
	volatile struct xencons_interface *c = xen.con;

	while (n) {
		uint32_t prod = c->out_prod;
		if (prod - c->out_cons >= sizeof c->out) {
			/* Full: let xenconsoled drain it; it notifies us when it has. */
			clear_pending(xen.con_port);
			notify(xen.con_port);
			if (prod - c->out_cons >= sizeof c->out)
				poll(xen.con_port, clock_monotonic_ns() + 10000000);
			continue;
		}
		c->out[prod % sizeof c->out] = *s++;
		n--;
		/* The data before the index: x86 keeps stores in order, so a
		 * compiler barrier is enough (io/ring.h's wmb() on x86). */
		wmb();
		c->out_prod = prod + 1;
	}
}

/* One notify per call: console.c calls once per line. \n becomes \r\n, as
 * `xl console`'s raw terminal expects. */
static void ring_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			ring_put("\r", 1);
		ring_put(&s[i], 1);
	}
	notify(xen.con_port);
}

/* The ring lies outside RAM (a page the toolstack reserved), so it can be
 * mapped only once our tables are live (mmu_map_ram fails before mmu_init);
 * until then output waits in xen.early. */
static int ring_up(void)
{
	if (xen.con)
		return 1;
	if (!xen.con_pa || !xen_map_special(xen.con_pa))
		return 0;
	xen.con = (volatile struct xencons_interface *)xen.con_pa;
	ring_write(xen.early, xen.nearly);
	xen.nearly = 0;
	return 1;
}

static void xen_console_write(const char *s, size_t n)
{
	if (ring_up()) {
		ring_write(s, n);
		return;
	}
	for (size_t i = 0; i < n && xen.nearly < sizeof xen.early; i++)
		xen.early[xen.nearly++] = s[i];
}

/* Recipe, in order (each step needs the one before):
 * 1. the hypercall page (MSR from CPUID leaf base + 2);
 * 2. shared_info at our page (XENMEM_add_to_physmap, XENMAPSPACE_shared_info);
 * 3. the console ring and its event channel (HVMOP_get_param);
 * 4. VIRQ_TIMER bound to an event channel, which halt_until polls. */
static void xen_init(void)
{
	uint32_t r[4];

	cpuid(xen_cpuid_base + 2, 0, r);
	wrmsr(r[1], (uint64_t)xen_hypercall_page); /* page 0 of r[0] */

	struct xen_add_to_physmap m = { .domid = DOMID_SELF,
		                        .space = XENMAPSPACE_shared_info,
		                        .idx = 0,
		                        .gpfn = (uint64_t)shared_page / PAGE_SIZE };
	if (xen_hypercall3(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&m, 0) < 0)
		panic(__FILE__, __LINE__, "xen: cannot map shared_info");
	xen.si = (volatile uint8_t *)shared_page;

	/* The toolstack's values, which Xen does not check: the port indexes the
	 * pending bitmap, the frame becomes a ring we write (ring_up maps it only
	 * outside RAM). Checked as xenstore's are (xs_init); a bad pair leaves
	 * the domain without a console, as a missing one does. */
	uint64_t pfn = 0, port = 0;
	if (xen_hvm_param(HVM_PARAM_CONSOLE_PFN, &pfn) == 0 &&
	    xen_hvm_param(HVM_PARAM_CONSOLE_EVTCHN, &port) == 0 && pfn && !(pfn >> 40) &&
	    port < XEN_NR_PORTS) {
		xen.con_pa = pfn * PAGE_SIZE;
		xen.con_port = (uint32_t)port;
	}

	struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };
	if (evtchn_op(EVTCHNOP_bind_virq, &b) < 0 || b.port >= XEN_NR_PORTS)
		panic(__FILE__, __LINE__, "xen: cannot bind VIRQ_TIMER");
	xen.timer_port = b.port;
	xen.ports[0] = xen.timer_port;
	xen.nports = 1;
}

/* ---- event channels and the grant table, for xen_store.c and xen_net.c ---- */

int xen_evtchn_alloc(uint16_t remote_dom, uint32_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote_dom };
	if (evtchn_op(EVTCHNOP_alloc_unbound, &a) < 0)
		return -1;
	*port = a.port;
	return 0;
}

void xen_evtchn_notify(uint32_t port) { notify(port); }
void xen_evtchn_clear(uint32_t port) { clear_pending(port); }
void xen_evtchn_wait(uint32_t port, uint64_t deadline_ns) { poll(port, deadline_ns); }

int xen_evtchn_watch(uint32_t port, void (*fn)(void))
{
	if (xen.nports >= sizeof xen.ports / sizeof xen.ports[0])
		return -1;
	xen.onport[xen.nports] = fn;
	xen.ports[xen.nports++] = port;
	return 0;
}

/* Rings the toolstack put in reserved pages outside RAM (console, xenstore). */
void *xen_map_special(uint64_t pa)
{
	if (!pa || (pa & (PAGE_SIZE - 1)) || memmap_overlaps_ram(&ram_map, pa, pa + PAGE_SIZE) ||
	    mmu_map_ram(pa, PAGE_SIZE) < 0)
		return NULL;
	return (void *)pa;
}

/* Grant-table frame 0 (512 v1 entries, enough for netfront's ~100 grants)
 * goes at a frame above the top of RAM, where nothing else is: Xen puts its
 * own page there (XENMAPSPACE_grant_table), as it did shared_info, but no
 * page of RAM is given up for it. */
static void gnttab_init(void)
{
	uint64_t pa = ROUNDUP(ram_map.top, 2ull << 20);
	struct xen_add_to_physmap m = { .domid = DOMID_SELF,
		                        .space = XENMAPSPACE_grant_table,
		                        .idx = 0,
		                        .gpfn = pa / PAGE_SIZE };
	if (xen_hypercall3(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&m, 0) < 0 ||
	    pa == xen.con_pa || mmu_map_ram(pa, PAGE_SIZE) < 0) {
		kprintf("spore: xen: cannot map the grant table; no devices\n");
		return;
	}
	xen.gnt = (volatile struct grant_entry_v1 *)pa;
	for (unsigned r = GNT_ENTRIES; r-- > GNTTAB_NR_RESERVED;)
		xen.gfree[xen.ngfree++] = (uint16_t)r;
}

/* Lets domid map or copy the page (the guest-physical frame: in a PVH
 * domU that is what grants name). Domain and frame first, then the flags
 * that make the entry valid: x86 keeps stores in order, so a compiler
 * barrier suffices (grant_table.h's wmb()). */
int gnttab_grant(uint16_t domid, const void *page, int readonly)
{
	if (!xen.gnt || !xen.ngfree)
		return -1;
	int ref = xen.gfree[--xen.ngfree];
	xen.gnt[ref].domid = domid;
	xen.gnt[ref].frame = (uint32_t)((uint64_t)page / PAGE_SIZE);
	wmb();
	xen.gnt[ref].flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
	return ref;
}

/* Clears flags unless the other side is reading or writing the page now:
 * one cmpxchg, so Xen cannot start a copy between our check and the clear. */
int gnttab_end(int ref)
{
	volatile uint16_t *f = &xen.gnt[ref].flags;
	uint16_t old = *f;

	do {
		if (old & (GTF_reading | GTF_writing))
			return -1;
	} while (!__atomic_compare_exchange_n(f, &old, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	xen.gfree[xen.ngfree++] = (uint16_t)ref;
	return 0;
}

/* After mmu_init: map the ring and write out what came before; then the
 * grant table, xenstore and the network device. */
static void xen_probe(void)
{
	ring_up();
	gnttab_init();
	if (xs_init() == 0)
		xnet_init();
}

/* Clear, arm, poll: a timer that fires between the arm and the poll leaves
 * its port pending, so the poll returns at once and no wake-up is lost. The
 * devices' ports are polled too, but cleared only once seen pending here,
 * before their handler runs (which only wakes the thread that then looks at
 * its ring): an event after that leaves the port pending for the next poll. */
static void xen_halt_until(uint64_t deadline_ns)
{
	clear_pending(xen.timer_port);
	if (deadline_ns == UINT64_MAX) {
		vcpu_op(VCPUOP_stop_singleshot_timer, NULL);
	} else {
		struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline_ns };
		vcpu_op(VCPUOP_set_singleshot_timer, &t);
	}
	poll_ports(xen.ports, xen.nports, 0);
	for (unsigned i = 1; i < xen.nports; i++) {
		if (is_pending(xen.ports[i])) {
			clear_pending(xen.ports[i]);
			xen.onport[i]();
		}
	}
}

/* shared_info's vcpu_info[0].time is a pvclock record (clock.c reads it), and
 * its time base is Xen system time, so the wall clock is wc + system time. */
static const void *xen_pvclock(uint64_t *wall_base_ns)
{
	volatile uint32_t *ver = (volatile uint32_t *)(xen.si + XEN_SI_WC_VERSION);
	uint32_t v;

	do {
		v = *ver;
		rmb(); /* seqlock: see clock.c */
		uint64_t sec = *(volatile uint32_t *)(xen.si + XEN_SI_WC_SEC) |
		               (uint64_t) * (volatile uint32_t *)(xen.si + XEN_SI_WC_SEC_HI) << 32;
		*wall_base_ns =
			sec * 1000000000ull + *(volatile uint32_t *)(xen.si + XEN_SI_WC_NSEC);
		rmb();
	} while ((v & 1) || v != *ver);
	return (const void *)(xen.si + XEN_SI_VCPU0_TIME);
}

/* A domU has no exit code: the status is the console's last line, for the
 * toolstack's log; then wait (bounded) until xenconsoled has read the ring,
 * so the line is not lost with the domain. */
static NORETURN void xen_exit(int status)
{
	char line[32];
	int n = ksnprintf(line, sizeof line, "spore: exit %d\n", status);

	xen_console_write(line, (size_t)n);
	for (int i = 0; i < 100 && xen.con && xen.con->out_cons != xen.con->out_prod; i++) {
		clear_pending(xen.con_port);
		if (xen.con->out_cons != xen.con->out_prod)
			poll(xen.con_port, clock_monotonic_ns() + 10000000);
	}
	struct sched_shutdown s = { .reason = status ? SHUTDOWN_crash : SHUTDOWN_poweroff };
	for (;;)
		sched_op(SCHEDOP_shutdown, &s);
}

const struct host host_xen = {
	.name = "xen",
	.init = xen_init,
	.probe = xen_probe,
	.console_write = xen_console_write,
	.halt_until = xen_halt_until,
	.pvclock = xen_pvclock,
	.exit = xen_exit,
};
