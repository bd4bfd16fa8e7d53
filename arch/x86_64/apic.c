// SPDX-License-Identifier: MIT
/* The local APIC's timer, for halt_until() under QEMU: TSC-deadline mode when
 * offered (KVM), else one-shot with a rate measured once (TCG). x2APIC through
 * MSRs when offered, else xAPIC MMIO. The timer is set up lazily at the first
 * sleep, so a boot that never sleeps never calibrates it; the APIC itself is
 * enabled (apic_enable()) before any device interrupt is routed to it.
 * apic_eoi() and the timer's handler run in interrupt context. */
#include "x86.h"

#define MSR_APIC_BASE    0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_EOI         0x0b0
#define APIC_SVR         0x0f0
#define APIC_LVTT        0x320
#define APIC_TICR        0x380
#define APIC_TCCR        0x390
#define APIC_TDCR        0x3e0
#define LVT_MASKED       (1u << 16)
#define LVT_TSCDL        (2u << 17)

volatile uint64_t timer_fired;
static int enabled, ready, x2apic, tscdl;
static volatile uint32_t *mmio;
static uint64_t ticks_per_ms;

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

static uint32_t apic_read(uint32_t reg)
{
	return x2apic ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

/* The timer's current count and the clock at that moment: the two clock reads
 * around the count within 10 us of each other (else read again), so the pair
 * is never split by the host running something else. */
static uint32_t count_at(uint64_t *t)
{
	for (int i = 0;; i++) {
		uint64_t a = clock_monotonic_ns();
		uint32_t c = apic_read(APIC_TCCR);
		uint64_t b = clock_monotonic_ns();
		if (b - a < 10000 || i == 1000) {
			*t = a + (b - a) / 2;
			return c;
		}
	}
}

/* Interrupt context: the interrupt's work is to end the halt it woke. */
static void timer_irq(void) { timer_fired++; /* apic_arm: a deadline fired since it was set */ }

/* Global and software enable. Until the SVR's enable bit is set, KVM's
 * in-kernel local APIC discards every fixed interrupt sent to it (QEMU's
 * emulated one keeps it pending): a level-triggered I/O APIC pin that fired
 * then keeps its Remote IRR set, waiting for an EOI that never comes, and the
 * device never interrupts again. So this runs before any pin is unmasked or
 * MSI-X enabled (virtio-net on microvm under -accel kvm received nothing). */
void apic_enable(void)
{
	uint32_t r[4];

	if (enabled)
		return;
	cpuid(1, 0, r);
	x2apic = !!(r[2] & CPUID1_ECX_X2APIC);
	tscdl = !!(r[2] & CPUID1_ECX_TSCDL);
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | 1u << 11 | (x2apic ? 1u << 10 : 0));
	mmio = (volatile uint32_t *)(base & ~0xfffull);
	irq_register(TIMER_VECTOR, timer_irq);
	apic_write(APIC_SVR, 0x100 | SPURIOUS_VECTOR); /* software enable */
	enabled = 1;
}

static int apic_init(void)
{
	apic_enable();
	if (tscdl) {
		apic_write(APIC_LVTT, TIMER_VECTOR | LVT_TSCDL);
	} else {
		/* Measure the one-shot rate against the clock over 1 ms, from
		 * (time, count) pairs read back to back: a vCPU descheduled
		 * between writing TICR and reading the clock (a busy host
		 * under TCG) once made every sleep 10x too long. */
		apic_write(APIC_TDCR, 0xb); /* divide by 1 */
		apic_write(APIC_LVTT, TIMER_VECTOR | LVT_MASKED);
		apic_write(APIC_TICR, 0xffffffff);
		uint64_t t0, t1;
		uint32_t c0 = count_at(&t0), c1;
		do
			c1 = count_at(&t1);
		while (t1 - t0 < 1000000);
		ticks_per_ms = (uint64_t)(c0 - c1) * 1000000 / (t1 - t0);
		apic_write(APIC_TICR, 0);
		if (!ticks_per_ms)
			return -1;
		apic_write(APIC_LVTT, TIMER_VECTOR);
	}
	ready = 1;
	return 0;
}

int apic_arm(uint64_t deadline_ns)
{
	static uint64_t armed_tsc, armed_at = ~0ull;

	if (!ready && apic_init() < 0)
		return -1;
	if (tscdl) {
		/* The same deadline, not yet fired, is still armed: each MSR write is an
		 * exit to the hypervisor, and an idle loop sleeps to one deadline many times. */
		uint64_t t = clock_tsc_from_ns(deadline_ns); /* UINT64_MAX: no deadline */
		/* An earlier deadline, not yet fired, is kept too: it wakes the
		 * idle loop early once, which then arms this one. A server's poll
		 * timeout moves a little later at every call (Redis's select):
		 * re-arming each time cost one exit per sleep. */
		if (t >= armed_tsc && timer_fired == armed_at)
			return 0;
		armed_tsc = t;
		armed_at = timer_fired;
		wrmsr(MSR_TSC_DEADLINE, t == UINT64_MAX ? 0 : t); /* 0 disarms */
		return 0;
	}
	uint64_t now = clock_monotonic_ns();
	uint64_t ns = deadline_ns > now ? deadline_ns - now : 1000;
	uint64_t ticks = ns / 1000 * ticks_per_ms / 1000 + 1;
	apic_write(APIC_TICR, ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
	return 0;
}

/* KVM's paravirtual EOI (Linux's Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_PV_EOI_EN): at entry KVM sets bit 0 of this word when the interrupt it
 * injects needs no EOI write (edge-triggered, nothing else in service, no I/O APIC
 * waiting for it); the handler then clears the bit instead, and KVM completes the
 * EOI at the next exit it takes anyway. Without APIC virtualization (the kvm_amd
 * lab: no AVIC) each EOI write is an exit of its own. */
#define MSR_KVM_PV_EOI_EN  0x4b564d04
#define KVM_FEATURE_PV_EOI 6
static volatile uint32_t pv_eoi __attribute__((aligned(4)));
static int pv_eoi_on;

int apic_pv_eoi(void)
{
	uint32_t r[4];

	cpuid(0x40000000, 0, r); /* "KVMKVMKVM\0\0\0" in ebx, ecx, edx */
	if (r[0] < 0x40000001 || r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d)
		return -1;
	cpuid(0x40000001, 0, r);
	if (!(r[0] & 1u << KVM_FEATURE_PV_EOI))
		return -1;
	pv_eoi = 0;
	wrmsr(MSR_KVM_PV_EOI_EN, (uint64_t)(uintptr_t)&pv_eoi | 1); /* identity-mapped */
	pv_eoi_on = 1;
	return 0;
}

/* Bit 0 of the word tested and cleared by one instruction: KVM reads and clears it
 * at any exit, which can fall between a load and a store. With the two apart, an
 * exit there would make KVM clear the bit and forget the EOI (the guest had not done
 * it), and the store then make the guest think it was done: the vector would stay in
 * service for good. Found by reading while chasing the lab's idle hang (which was
 * safe_halt's, trap.c; turning PV EOI off did not change its count). One instruction
 * is atomic for the local CPU, which is all KVM needs (Linux uses btr too). */
static int pv_eoi_take(void)
{
	unsigned char was;
	__asm__ volatile("btrl $0, %0\n\tsetc %1" : "+m"(pv_eoi), "=q"(was) : : "memory", "cc");
	return was;
}

/* Interrupt context. */
void apic_eoi(void)
{
	if (pv_eoi_on && pv_eoi_take())
		return; /* KVM completes it at its next exit */
	if (x2apic)
		wrmsr(0x800 + (APIC_EOI >> 4), 0);
	else
		mmio[APIC_EOI / 4] = 0;
}

/* The I/O APICs (QEMU: 0xfec00000, microvm's second one at 0xfec10000 for
 * GSIs 24 and up), for device interrupts. Each pin found is routed to one
 * vector on CPU 0; a pin that does not exist is left alone. */
#define IOAPIC1 0xfec00000ull
#define IOAPIC2 0xfec10000ull

static uint32_t ioapic_rw(uint64_t base, unsigned reg, int write, uint32_t v)
{
	static int mapped;
	if (!mapped) {
		mmu_map_mmio(IOAPIC1, PAGE_SIZE);
		mmu_map_mmio(IOAPIC2, PAGE_SIZE);
		mapped = 1;
	}
	volatile uint32_t *io = (volatile uint32_t *)base;
	io[0] = reg; /* IOREGSEL */
	if (write)
		io[4] = v; /* IOWIN at +0x10 */
	return io[4];
}

/* Pins of the I/O APIC at base: the version register's max entry + 1, or 0
 * when nothing answers there. */
static unsigned pins(uint64_t base)
{
	uint32_t ver = ioapic_rw(base, 1, 0, 0);
	return ver == 0xffffffff || ver == 0 ? 0 : ((ver >> 16) & 0xff) + 1;
}

int ioapic_has_gsi(unsigned gsi)
{
	unsigned n1 = pins(IOAPIC1);
	return gsi < n1 || (gsi >= 24 && gsi - 24 < pins(IOAPIC2));
}

void ioapic_route(unsigned gsi, unsigned vector) { ioapic_route_trig(gsi, vector, 1); }

void ioapic_route_trig(unsigned gsi, unsigned vector, int level)
{
	uint64_t base = gsi < 24 ? IOAPIC1 : IOAPIC2;
	unsigned pin = gsi < 24 ? gsi : gsi - 24;
	apic_enable(); /* first: an interrupt it discarded would wedge the pin */
	/* Masked and edge-triggered first: that clears a Remote IRR left set by
	 * an interrupt nobody acknowledged (QEMU's and KVM's I/O APICs both do). */
	ioapic_rw(base, 0x10 + 2 * pin, 1, vector | 1u << 16);
	/* Level- (or edge-) triggered, active high, fixed delivery to APIC id 0. */
	ioapic_rw(base, 0x10 + 2 * pin + 1, 1, 0);
	ioapic_rw(base, 0x10 + 2 * pin, 1, vector | (level ? 1u << 15 : 0));
}
