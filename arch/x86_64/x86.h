/* SPDX-License-Identifier: MIT */
/* x86_64 instructions as inline functions, and the arch's prototypes. The arch
 * is the bottom layer: it names nothing above it. What it cannot handle (a
 * fault, its own fatal error) goes where the kernel registered (arch_init),
 * and interrupts to the handlers drivers registered (irq_register). */
#ifndef X86_H
#define X86_H
#include <stdint.h>
#include <stddef.h>
#include "machine.h"

/* clang-format takes "(a) -" for a cast and writes "(a)-" */
/* clang-format off */
#define ROUNDUP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ROUNDDOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
/* clang-format on */
#define NORETURN __attribute__((noreturn))

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
/* Port I/O. Under QEMU the kernel runs in ring 0 and these are ordinary
 * exits; under spore-kvm (ring 3) only outl is used, for hypercalls, and the
 * monitor decodes it from the trap it causes (docs/hypercalls.md). */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
/* One exit for a whole string: KVM hands it to the device model at once. */
static inline void outsb(uint16_t port, const void *p, size_t n)
{
	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(port) : "memory");
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
/* trap.c: "sti; hlt; cli", from interrupts disabled back to disabled; an interrupt
 * that arrives before the hlt returns past it (trap.c says why), so no wake-up is lost. */
void safe_halt(void);
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSCDL  (1u << 24)
#define CPUID1_ECX_RDRAND (1u << 30)
#define CPUID7_EBX_RDSEED (1u << 18)

/* Saved by the trap stubs in trap.S, in push order reversed. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* cpu.c: CPU features */
int cpu_has_rdrand(void);
int cpu_rdrand(uint64_t *v);

/* trap.c: interrupt dispatch (interrupt context) and where the rest goes.
 * arch_init() first thing at boot: fault gets every exception and any vector
 * nobody registered (it does not return); fatal gets the arch's own broken
 * invariants (arch_panic). Before it, either halts the CPU. */
void trap(struct trapframe *tf);
void arch_init(void (*fault)(const struct trapframe *tf),
               void (*fatal)(const char *file, int line, const char *msg));
NORETURN void arch_panic(const char *file, int line, const char *msg);
#define arch_assert(x) ((x) ? (void)0 : arch_panic(__FILE__, __LINE__, "assertion failed: " #x))
/* fn runs in interrupt context for each interrupt at vector (32..254, one
 * handler each); trap() sends the EOI after it. Register before the device
 * can interrupt. */
void irq_register(unsigned vector, void (*fn)(void));

/* mmu.c: the final page tables. Tables come from the kernel's allocators:
 * early ones (before the tables are live) must lie in the boot tables' first
 * GiB; either returns NULL when out of memory. */
struct mmu_alloc {
	void *(*early)(void);
	void *(*late)(void);
};
void mmu_init(uint64_t ram_end, const struct mmu_alloc *alloc);
int mmu_mapped(uint64_t va);                    /* 1 if a read of va would not fault */
int mmu_guard(void *page, int on);              /* -1: cannot (tables not ours); use a canary */
void mmu_map_mmio(uint64_t addr, uint64_t len); /* QEMU: device registers, at probe */
int mmu_map_ram(uint64_t addr, uint64_t len);   /* shared pages outside RAM; -1: not live yet */

/* apic.c: the local APIC (one-shot timer for halt_until() under QEMU) and
 * the I/O APICs */
void apic_enable(void); /* the local APIC accepts interrupts: before any is routed to it */
int apic_arm(uint64_t deadline_ns); /* -1: the APIC timer does not count */
void apic_eoi(void);
extern volatile uint64_t timer_fired;
void ioapic_route(unsigned gsi, unsigned vector);                 /* level-triggered, to this CPU */
void ioapic_route_trig(unsigned gsi, unsigned vector, int level); /* 0: edge-triggered */
int apic_pv_eoi(void); /* KVM's paravirtual EOI, if offered: -1 if not */
int ioapic_has_gsi(unsigned gsi);

/* clock.c: pvclock records (the host's, kvmclock, or our own over the TSC).
 * The kernel picks which, once (the clock_use_* calls); then the reads. */
int clock_use_pvclock(const void *rec, uint64_t wall_base_ns); /* -1: record empty */
int clock_use_kvmclock(void);                                  /* ring 0; -1: no kvmclock */
void clock_use_tsc(uint64_t khz, uint64_t wall_ns);            /* khz > 0 */
uint64_t clock_monotonic_ns(void);
uint64_t clock_wall_ns(void);
void clock_resume(uint64_t mono_ns, uint64_t wall_ns); /* after a restore (kernel/ready.c) */
const char *clock_source(void);
uint64_t clock_tsc_from_ns(uint64_t ns); /* TSC value at monotonic time ns */
uint64_t clock_tsc_delta_ns(uint64_t dtsc);

/* switch.S: saves callee-saved registers and rsp, loads the other thread's */
void ctx_switch(uint64_t *save_rsp, uint64_t rsp);

/* pit.c: 8254 and CMOS for TCG */
uint64_t pit_calibrate_tsc_khz(void);
uint64_t rtc_wall_ns(void);

extern uint64_t boot_tsc;
extern uint32_t boot_ring3; /* set by _start64: ring 3 on the monitor's page tables, so no
                             * privileged instruction may run (they would end the VM).
                             * Read only where the host is picked (drivers/host.c). */
extern char _text[], _etext[], _erodata[], _edata[], _end[];
extern char boot_stack_guard[], boot_stack_top[];
extern uint64_t boot_pml4[512]; /* entry.S's boot tables: mmu_init() makes them final */
#endif
