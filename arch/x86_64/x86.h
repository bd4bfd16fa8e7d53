/* SPDX-License-Identifier: MIT */
/* x86_64 instructions as inline functions, and the arch's internal prototypes. */
#ifndef X86_H
#define X86_H
#include <stdint.h>
#include <stddef.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
/* Port I/O. Under QEMU the kernel runs in ring 0 and these are ordinary
 * exits; under spore-kvm (ring 3) only outl is used, for hypercalls, and the
 * monitor decodes it from the trap it causes (docs/hypercalls.md). */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port) : "memory"); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
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
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
/* sti's one-instruction shadow makes "sti; hlt" atomic: no wake-up is lost. */
static inline void safe_halt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }

#define CPUID1_ECX_X2APIC    (1u << 21)
#define CPUID1_ECX_TSCDL     (1u << 24)
#define CPUID1_ECX_RDRAND    (1u << 30)
#define CPUID7_EBX_RDSEED    (1u << 18)

/* Saved by the trap stubs in trap.S, in push order reversed. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* cpu.c: CPU features */
int  cpu_has_rdrand(void);
int  cpu_rdrand(uint64_t *v);

/* trap.c: exception reports, interrupt dispatch (interrupt context) */
void trap(struct trapframe *tf);
extern volatile uint64_t timer_fired;
extern const struct trapframe *fault_frame;  /* the exception being reported, or NULL: the
                                              * host's exit may hand it on (spore-kvm --core) */

/* mmu.c: the final page tables */
void mmu_init(uint64_t ram_end);
int  mmu_mapped(uint64_t va);   /* 1 if a read of va would not fault */

/* apic.c: one-shot timer for halt_until() under QEMU */
void apic_init(void);
void apic_arm(uint64_t deadline_ns);
void apic_eoi(void);

/* clock.c: pvclock or calibrated TSC */
void     clock_init(void);
uint64_t clock_tsc_from_ns(uint64_t ns);  /* TSC value at monotonic time ns */
uint64_t clock_tsc_delta_ns(uint64_t dtsc);

/* pit.c: 8254 and CMOS for TCG */
uint64_t pit_calibrate_tsc_khz(void);
uint64_t rtc_wall_ns(void);

extern uint64_t boot_tsc;
extern uint32_t boot_ring3;   /* set by _start64: ring 3 on the monitor's page tables, so no
                                 * privileged instruction may run (they would end the VM) */
extern char _text[], _etext[], _erodata[], _edata[], _end[];
extern char boot_stack_guard[], boot_stack_top[];
#endif
