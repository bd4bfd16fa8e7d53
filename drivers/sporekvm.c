// SPDX-License-Identifier: MIT
/* The spore-kvm host: every host service is one hypercall (kernel/hypercall.h).
 * Argument blocks are static, so they sit in the image below 4 GiB as the ABI
 * requires; one vCPU and no preemption, so they need no locking. */
#include "kernel.h"
#include "net.h"
#include "hc.h"
#include "host.h"
#include "virtio.h"
#include "x86.h"

static struct hc_console con;
static struct hc_time tm;
static struct hc_poll pl;
static struct hc_entropy ent;
static struct hc_exit ex;
static struct hc_ready rd;
static uint32_t feat[4]; /* HC_CPUID_FEATURES, read at boot in ring 0; zero in ring 3 */

static void hc_console_write(const char *s, size_t n)
{
	while (n) {
		size_t k = n < HC_CONSOLE_MAX ? n : HC_CONSOLE_MAX;
		con.buf = (uintptr_t)s;
		con.len = k;
		hypercall_raw(HC_CONSOLE_WRITE, &con);
		s += k;
		n -= k;
	}
}

static void hc_halt_until(uint64_t deadline_ns)
{
	uint64_t now = clock_monotonic_ns();

	pl.timeout_ns = deadline_ns == UINT64_MAX ? UINT64_MAX
	                : deadline_ns > now       ? deadline_ns - now
	                                          : 0;
	pl.mask = net_dev ? HC_EV_NET : 0;
	hypercall_raw(HC_POLL, &pl);
	if (pl.ready & HC_EV_NET)
		net_wake();
}

static uint64_t hc_wall_ns(void)
{
	hypercall_raw(HC_TIME, &tm);
	return tm.wall_ns;
}

static uint64_t hc_tsc_khz(uint64_t *wall_ns)
{
	hypercall_raw(HC_TIME, &tm);
	*wall_ns = tm.wall_ns;
	return tm.tsc_khz;
}

static int hc_entropy(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		size_t k = n < HC_ENTROPY_MAX ? n : HC_ENTROPY_MAX;
		ent.buf = (uintptr_t)p;
		ent.len = k;
		hypercall_raw(HC_ENTROPY, &ent);
		if (ent.ret != (int64_t)k)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* One exit per boot. Under --snapshot the monitor saves the guest inside this call;
 * a restored copy returns from it with a generation above 0. */
static int hc_ready(uint64_t *wall_ns, uint8_t seed[32])
{
	rd.generation = 0;
	hypercall_raw(HC_READY, &rd);
	if (rd.generation == 0)
		return 0;
	*wall_ns = rd.wall_ns;
	for (int i = 0; i < 32; i++)
		seed[i] = rd.seed[i];
	return 1;
}

/* A fault's registers (trap.c's fault_frame) go with the exit: spore-kvm --core
 * writes them as the crashing thread's. */
static NORETURN void hc_exit(int status)
{
	static struct hc_regs r;
	const struct trapframe *tf = fault_frame;

	if (tf) {
		r = (struct hc_regs){
			.rax = tf->rax,
			.rbx = tf->rbx,
			.rcx = tf->rcx,
			.rdx = tf->rdx,
			.rsi = tf->rsi,
			.rdi = tf->rdi,
			.rbp = tf->rbp,
			.rsp = tf->rsp,
			.r8 = tf->r8,
			.r9 = tf->r9,
			.r10 = tf->r10,
			.r11 = tf->r11,
			.r12 = tf->r12,
			.r13 = tf->r13,
			.r14 = tf->r14,
			.r15 = tf->r15,
			.rip = tf->rip,
			.rflags = tf->rflags,
			.cs = tf->cs,
			.ss = tf->ss,
			.vector = tf->vector,
			.error = tf->error,
			.cr2 = tf->vector == 14 ? read_cr2() : 0,
		};
		ex.regs = (uintptr_t)&r;
	}
	ex.status = status;
	hypercall_raw(HC_EXIT, &ex);
	for (;;)
		__asm__ volatile("ud2"); /* not reached: the monitor has exited */
}

/* The hypercall devices, unless the monitor says there are none: HC_INFO would name
 * nothing (one exit at boot, saved). */
static void hc_probe(void)
{
	if (!(feat[0] & HC_FEAT_NO_HCDEV))
		hcnet_init();
}

#define SPOREKVM                                                                                   \
	.name = "spore-kvm", .probe = hc_probe, .console_write = hc_console_write,                 \
	.halt_until = hc_halt_until, .wall_ns = hc_wall_ns, .tsc_khz = hc_tsc_khz,                 \
	.entropy = hc_entropy, .ready = hc_ready, .exit = hc_exit
const struct host host_sporekvm = { SPOREKVM };
const struct host host_sporekvm_ring3 = { SPOREKVM, .ring3 = 1 };

/* spore-kvm with an in-kernel irqchip on ordinary KVM (HC_FEAT_VIRTIO, ring 0): the
 * devices are virtio-mmio, named on the command line, and interrupt through the I/O
 * APIC; the guest sleeps as under QEMU, hlt with the LAPIC timer armed, and KVM
 * keeps both in the host kernel. Console, time, entropy and exit stay hypercalls. */
static void hcv_init(void)
{
	outb(0x21, 0xff); /* mask both 8259 PICs: only the LAPIC interrupts */
	outb(0xa1, 0xff);
	/* An EOI without an exit where KVM offers it (every KVM with an in-kernel
	 * LAPIC does): one exit less an interrupt, timer's and devices'. */
	apic_pv_eoi();
}

static void hcv_probe(void)
{
	const uint32_t *r = feat; /* sporekvm_pick's read: no second CPUID exit */

	/* Each InterruptStatus read and ack is an exit to the monitor: skipped when its
	 * interrupts say nothing else (irqfd pulses on a level pin whose handler only
	 * wakes the threads that then read the used rings after the EOI). */
	vmmio_noack = !!(r[0] & HC_FEAT_IRQ_NOACK);
	/* The monitor raises an unanswered interrupt again after a second: the idle
	 * guard against a lost wake-up can then back off to 1024 s, not 64 (at 10,000
	 * idle instances ~10 wake-ups a second, not ~156: docs/density.md, "Idle"). */
	if (r[0] & HC_FEAT_IRQ_RETRY)
		net_config.guard_max_ms = 1024000;
	/* No kick the device's avail_event does not ask for: its I/O thread polls
	 * after moving frames and looks for the guest's answer itself. */
	virtq_exact_event = !!(r[0] & HC_FEAT_EXACT_EVENT);
	/* Only the monitor's window (ebx, ecx): a word the user typed names no device. */
	virtio_probe_named(r[1], (uint64_t)r[1] + r[2]);
	hc_probe(); /* HC_INFO would name none of the devices served as virtio */
}

static void hcv_halt_until(uint64_t deadline_ns)
{
	if (apic_arm(deadline_ns) < 0)
		panic(__FILE__, __LINE__, "the APIC timer does not count");
	safe_halt();
}

const struct host host_sporekvm_virtio = {
	.name = "spore-kvm",
	.init = hcv_init,
	.probe = hcv_probe,
	.console_write = hc_console_write,
	.halt_until = hcv_halt_until,
	.wall_ns = hc_wall_ns,
	.tsc_khz = hc_tsc_khz,
	.entropy = hc_entropy,
	.ready = hc_ready,
	.exit = hc_exit,
};

const struct host *sporekvm_pick(void)
{
	cpuid(HC_CPUID_FEATURES, 0, feat);
	return feat[0] & HC_FEAT_VIRTIO ? &host_sporekvm_virtio : &host_sporekvm;
}
