// SPDX-License-Identifier: MIT
/* The report of a CPU exception (the arch hands every one here: arch_init in
 * kmain): vector, error code, registers, backtrace, then the VM ends with
 * EXIT_FAULT. Interrupt context, over whatever state faulted: no heap, and
 * the backtrace reads only frames the page tables map. */
#include "kernel.h"

const struct trapframe *fault_frame;

static const char *const names[22] = {
	"divide error (#DE)",
	"debug (#DB)",
	"NMI",
	"breakpoint (#BP)",
	"overflow (#OF)",
	"bound range (#BR)",
	"invalid opcode (#UD)",
	"device not available (#NM)",
	"double fault (#DF)",
	"coprocessor overrun",
	"invalid TSS (#TS)",
	"segment not present (#NP)",
	"stack fault (#SS)",
	"general protection (#GP)",
	"page fault (#PF)",
	"reserved",
	"x87 error (#MF)",
	"alignment check (#AC)",
	"machine check (#MC)",
	"SIMD error (#XM)",
	"virtualization (#VE)",
	"control protection (#CP)",
};

static const char *pf_reason(uint64_t err, uint64_t addr)
{
	uint64_t guard = (uint64_t)boot_stack_guard;

	if (addr >= guard && addr < guard + PAGE_SIZE)
		return "stack overflow (hit the guard page)";
	if (thread_of_guard(addr))
		return "stack overflow (hit a thread's guard page)";
	if (!(err & 1))
		return addr < PAGE_SIZE ? "null pointer (page 0 is unmapped)" : "unmapped page";
	if (err & 16)
		return "execute of a non-executable page (NX)";
	if (err & 2)
		return "write to a read-only page";
	return "protection violation";
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
	kprintf("  backtrace: %lx", rip);
	for (int i = 0; i < 16 && rbp && rbp % 8 == 0; i++) {
		if (!mmu_mapped(rbp) || !mmu_mapped(rbp + 8))
			break;
		uint64_t *frame = (uint64_t *)rbp;
		if (!frame[1])
			break;
		kprintf(" %lx", frame[1]);
		rbp = frame[0];
	}
	kprintf("\n");
}

void fault_report(const struct trapframe *tf)
{
	static int nested;
	uint64_t v = tf->vector;

	if (nested++) { /* a fault while reporting one: say so and stop */
		kprintf("\nspore: fault %lu at %lx while reporting a fault\n", v, tf->rip);
		kexit(EXIT_FAULT);
	}
	kprintf("spore: fault: %s, vector %lu, error %lx, at rip %lx\n",
	        v < 22 ? names[v] : "unknown", v, tf->error, tf->rip);
	if (v == 14) {
		uint64_t cr2 = read_cr2();
		kprintf("  address %lx: %s\n", cr2, pf_reason(tf->error, cr2));
	}
	kprintf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx,
	        tf->rdx);
	kprintf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp,
	        tf->rsp);
	kprintf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10,
	        tf->r11);
	kprintf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14,
	        tf->r15);
	kprintf("  rflags %lx cs %lx ss %lx\n", tf->rflags, tf->cs, tf->ss);
	backtrace(tf->rip, tf->rbp);
	kprintf("spore: exit %d (fault)\n", EXIT_FAULT);
	fault_frame = tf;
	kexit(EXIT_FAULT);
}
