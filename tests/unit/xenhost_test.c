// SPDX-License-Identifier: MIT
/* Host unit test for the Xen host (drivers/xen.c, compiled in whole) under a
 * fake Xen: each hypercall lands on the int3 that fills the hypercall page
 * until Xen writes it, and the SIGTRAP handler below answers it as Xen would,
 * with HVM params and ports the test chooses, then returns as the stub's ret.
 * The console's frame and port come from HVM params, i.e. from the toolstack:
 * a port past the pending bitmap, a frame in RAM or beyond any address, and a
 * timer port past the bitmap must never be used. "ok NAME" / "FAIL NAME: why". */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

/* x86.h's privileged instructions, as a domU on Xen would see them, and
 * the few names the kernel's headers take from it. */
#define X86_H
#include "machine.h"
#define NORETURN      __attribute__((noreturn))
#define ROUNDUP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))
struct trapframe;
int mmu_map_ram(uint64_t addr, uint64_t len);
uint64_t clock_monotonic_ns(void);
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)sub;
	r[0] = leaf + 2, r[1] = 0x40000000, r[2] = r[3] = 0; /* the MSR for the hypercall page */
}
static inline void wrmsr(uint32_t msr, uint64_t v) { (void)msr, (void)v; }
#include "../../drivers/xen.c"
#include "unit.h"

/* ---- what xen.c calls besides Xen ---- */
struct ram_info ram_map;
static jmp_buf panicked;
static uint64_t now;
static uint64_t mapped[8]; /* mmu_map_ram's requests */
static unsigned nmapped;
static uint8_t ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
void panic(const char *file, int line, const char *msg)
{
	(void)file, (void)line, (void)msg;
	longjmp(panicked, 1);
}
void kprintf(const char *fmt, ...) { (void)fmt; }
int ksnprintf(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return r;
}
uint64_t clock_monotonic_ns(void) { return now += 1000; }
int xs_init(void) { return -1; }
void xnet_init(void) {}
/* Maps only the ring page: anything else asked for is recorded and refused. */
int mmu_map_ram(uint64_t addr, uint64_t len)
{
	(void)len;
	if (nmapped < 8)
		mapped[nmapped++] = addr;
	return addr == (uintptr_t)ring_page ? 0 : -1;
}
int memmap_overlaps_ram(const struct ram_info *ri, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < ri->nram; i++)
		if (start < ri->ram[i].end && ri->ram[i].start < end)
			return 1;
	return 0;
}

/* ---- the fake Xen ---- */
static uint64_t con_pfn, con_port, timer_port;
static uint32_t sent[16], polled[16]; /* ports named in EVTCHNOP_send, SCHEDOP_poll */
static unsigned nsent, npolled;

static long fake_xen(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	(void)a3;
	if (nr == __HYPERVISOR_hvm_op && a1 == HVMOP_get_param) {
		struct xen_hvm_param *p = (void *)a2;
		p->value = p->index == HVM_PARAM_CONSOLE_PFN      ? con_pfn
		           : p->index == HVM_PARAM_CONSOLE_EVTCHN ? con_port
		                                                  : 0;
		return 0;
	}
	if (nr == __HYPERVISOR_event_channel_op && a1 == EVTCHNOP_bind_virq) {
		((struct evtchn_bind_virq *)a2)->port = (uint32_t)timer_port;
		return 0;
	}
	if (nr == __HYPERVISOR_event_channel_op && a1 == EVTCHNOP_send) {
		if (nsent < 16)
			sent[nsent++] = ((struct evtchn_send *)a2)->port;
		return 0;
	}
	if (nr == __HYPERVISOR_sched_op && a1 == SCHEDOP_poll) {
		struct sched_poll *p = (void *)a2;
		for (uint32_t i = 0; i < p->nr_ports && npolled < 16; i++)
			polled[npolled++] = ((uint32_t *)p->ports)[i];
		return 0;
	}
	return nr == __HYPERVISOR_memory_op || nr == __HYPERVISOR_vcpu_op ? 0 : -38; /* ENOSYS */
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	uintptr_t at = (uintptr_t)g[REG_RIP] - 1; /* past the int3 */
	(void)sig, (void)si;
	unsigned nr = (unsigned)((at - (uintptr_t)xen_hypercall_page) / XEN_HYPERCALL_STRIDE);
	g[REG_RAX] = fake_xen(nr, (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI], (uint64_t)g[REG_RDX]);
	g[REG_RIP] = *(greg_t *)g[REG_RSP]; /* the stub's ret */
	g[REG_RSP] += 8;
}

/* A fresh domain: the RAM map is one range that does not hold the ring page. */
static void boot(uint64_t pfn, uint64_t port, uint64_t tport)
{
	memset(&xen, 0, sizeof xen);
	memset(ring_page, 0, sizeof ring_page);
	nsent = npolled = nmapped = 0;
	con_pfn = pfn, con_port = port, timer_port = tport;
	ram_map = (struct ram_info){ .nram = 1 };
	ram_map.ram[0].start = 0x100000, ram_map.ram[0].end = 0x1000000;
}

static uint64_t ring_pfn(void) { return (uintptr_t)ring_page / PAGE_SIZE; }

/* Console output and one idle wait; every port Xen heard of is a real one. */
static const char *run(void)
{
	host_xen.init();
	host_xen.console_write("hi\n", 3);
	host_xen.halt_until(UINT64_MAX);
	for (unsigned i = 0; i < nsent; i++)
		CHECK(sent[i] < XEN_NR_PORTS);
	for (unsigned i = 0; i < npolled; i++)
		CHECK(polled[i] < XEN_NR_PORTS);
	return NULL;
}

static const char *t_good(void)
{
	const struct xencons_interface *c = (const void *)ring_page;
	boot(ring_pfn(), 3, 5);
	CHECK(run() == NULL);
	CHECK(c->out_prod == 4 && !memcmp(c->out, "hi\r\n", 4));
	CHECK(nsent >= 1 && sent[0] == 3);
	CHECK(npolled == 1 && polled[0] == 5);
	return NULL;
}

/* Port 0x10000000: clear_pending would clear a bit 32 MiB past shared_info. */
static const char *t_console_port(void)
{
	static const uint64_t bad[] = { XEN_NR_PORTS, 0x10000000, 1ull << 32 | 3 };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		boot(ring_pfn(), bad[i], 5);
		const char *why = run();
		if (why)
			return why;
		CHECK(((const struct xencons_interface *)ring_page)->out_prod == 0);
	}
	return NULL;
}

/* A frame in RAM (the ring would overwrite it) or past any physical address. */
static const char *t_console_frame(void)
{
	boot(ring_pfn(), 3, 5);
	ram_map.ram[0].start = (uintptr_t)ring_page; /* the ring's frame is RAM */
	ram_map.ram[0].end = (uintptr_t)ring_page + 2 * PAGE_SIZE;
	CHECK(run() == NULL && nmapped == 0);
	CHECK(((const struct xencons_interface *)ring_page)->out_prod == 0);
	boot(ring_pfn() + (1ull << 40), 3, 5);
	CHECK(run() == NULL && nmapped == 0);
	boot(ring_pfn() | 1ull << 63, 3, 5);
	CHECK(run() == NULL && nmapped == 0);
	return NULL;
}

/* Xen itself hands back the timer's port: past the bitmap, the domain stops. */
static const char *t_timer_port(void)
{
	boot(ring_pfn(), 3, XEN_NR_PORTS + 1);
	if (setjmp(panicked) == 0) {
		host_xen.init();
		return "init went on with timer port 4097";
	}
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "console ring and timer on good params" },
	{ t_console_port, "a console port past the pending bitmap is not used" },
	{ t_console_frame, "a console frame in RAM or past any address is not mapped" },
	{ t_timer_port, "a timer port past the pending bitmap stops the domain" },
};

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	sigaction(SIGTRAP, &sa, NULL);
	return UNIT_RUN(tests, argc, argv, "");
}
