// SPDX-License-Identifier: MIT
/* trap(): called from trap.S for every exception and interrupt. An interrupt
 * goes to the handler registered for its vector, then the EOI; everything
 * else (exceptions, a vector nobody registered) to the kernel's fault report.
 * Built with -mgeneral-regs-only: it runs in interrupt context over the app's
 * SSE state. Trusts its callers to register before an interrupt can come. */
#include "x86.h"

static void (*irq[256])(void);
static void (*on_fault)(const struct trapframe *tf);
static void (*on_fatal)(const char *file, int line, const char *msg);

void arch_init(void (*fault)(const struct trapframe *tf),
               void (*fatal)(const char *file, int line, const char *msg))
{
	on_fault = fault;
	on_fatal = fatal;
}

/* Nowhere to report (before arch_init), or the reporter came back: stop. */
static NORETURN void stop(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

NORETURN void arch_panic(const char *file, int line, const char *msg)
{
	if (on_fatal)
		on_fatal(file, line, msg);
	stop();
}

void irq_register(unsigned vector, void (*fn)(void))
{
	arch_assert(vector >= 32 && vector < SPURIOUS_VECTOR && fn);
	arch_assert(!irq[vector] || irq[vector] == fn);
	irq[vector] = fn;
}

/* The idle halt. sti's one-instruction shadow should make "sti; hlt" atomic: an
 * interrupt pending at the sti is taken after the hlt, and wakes it. Nested under an
 * emulated SVM (the kvm_amd lab: KVM in a QEMU TCG guest) the shadow is sometimes
 * lost: the timer's interrupt came between the sti and the hlt, returned to the hlt,
 * and the vCPU halted with no deadline armed (1 guest in 10 hung in the lab's disk
 * test, seen in cores: the timer counted as fired, nothing pending, no deadline). So
 * an interrupt taken at the hlt returns past it, as if it had woken it. */
__asm__(".text\n"
        ".globl safe_halt\n"
        "safe_halt:\n"
        "\tsti\n"
        ".globl safe_halt_hlt\n" /* for tests/unit/idle_test.c too */
        "safe_halt_hlt:\n"
        "\thlt\n"
        "\tcli\n"
        "\tret\n");
extern const char safe_halt_hlt[];

void trap(struct trapframe *tf)
{
	if (tf->vector >= 32 && tf->rip == (uint64_t)(uintptr_t)safe_halt_hlt)
		tf->rip++; /* past the one-byte hlt */
	if (tf->vector == SPURIOUS_VECTOR)
		return; /* no EOI for spurious interrupts (SDM 10.9) */
	if (tf->vector < 256 && irq[tf->vector]) {
		irq[tf->vector]();
		apic_eoi();
		return;
	}
	if (on_fault)
		on_fault(tf);
	stop();
}
