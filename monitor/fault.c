// SPDX-License-Identifier: MIT
/* The guest fault report of the ring-3 entry: any CPU exception there ends as
 * KVM_EXIT_SHUTDOWN (IDT limit 0), so the monitor explains it from the registers,
 * CR2 and its own page tables. Reads guest memory only through decode.c. */
#include <linux/kvm.h>
#include <stdio.h>

#include "hypercall.h"
#include "monitor.h"

#define BACKTRACE_MAX 16

/* What the page holding cr2 is to the guest, given the fault happened at rip. */
static const char *page_fault_kind(struct vm *vm, uint64_t cr2, uint64_t rip)
{
	uint64_t prot = paging_prot(vm->im, vm->mem_size, cr2);

	if (cr2 < 0x1000)
		return "null pointer (page 0 is unmapped)";
	if (paging_guard(vm->im, cr2))
		return "stack overflow (guard page)";
	if (!(prot & PTE_P))
		return cr2 >= vm->mem_size ? "unmapped page (beyond guest RAM)" : "unmapped page";
	if ((prot & PTE_NX) && cr2 == rip)
		return "execute of a non-executable page (NX)";
	if (!(prot & PTE_W))
		return "write to a read-only page";
	return "page fault on a mapped, writable page (unexpected)";
}

/* Without a page fault, name the common culprits from the instruction bytes. */
static const char *other_kind(const uint8_t *b, size_t n, int after_int3)
{
	if (after_int3)
		return "breakpoint (int3)";
	if (n >= 2 && b[0] == 0x0f && b[1] == 0x0b)
		return "invalid opcode (ud2)";
	if (n >= 1 && (b[0] == 0xcd || b[0] == 0xce))
		return "software interrupt (int $n: no IDT under spore-kvm)";
	if (n >= 1 && (b[0] == 0xf4 || b[0] == 0xfa || b[0] == 0xfb ||
	               (b[0] >= 0xe4 && b[0] <= 0xef) || (b[0] >= 0x6c && b[0] <= 0x6f)))
		return "privileged instruction in ring 3 (hlt, cli, sti, in/out other than a hypercall)";
	return "CPU exception other than a page fault (#GP, #UD, #DE, ...)";
}

int fault_report(struct vm *vm, const struct kvm_regs *r, uint64_t cr2)
{
	uint8_t code[15], prev;
	size_t n = decode_fetch(vm->mem, vm->mem_size, vm->im, r->rip, code, sizeof(code));
	/* int3 is a trap: rip is already past it. */
	int after_int3 = r->rip > 0 &&
	                 decode_fetch(vm->mem, vm->mem_size, vm->im, r->rip - 1, &prev, 1) == 1 &&
	                 prev == 0xcc && (n == 0 || code[0] != 0xcc);
	char bytes[3 * sizeof(code) + 1] = "", line[400];
	int len = 0;

	/* For --core: the faulting registers; vector 14 if CR2 says a page fault happened
	 * (a ring-3 trap does not say which exception it was). */
	vm->fault = (struct hc_regs){
		.rax = r->rax,
		.rbx = r->rbx,
		.rcx = r->rcx,
		.rdx = r->rdx,
		.rsi = r->rsi,
		.rdi = r->rdi,
		.rbp = r->rbp,
		.rsp = r->rsp,
		.r8 = r->r8,
		.r9 = r->r9,
		.r10 = r->r10,
		.r11 = r->r11,
		.r12 = r->r12,
		.r13 = r->r13,
		.r14 = r->r14,
		.r15 = r->r15,
		.rip = r->rip,
		.rflags = r->rflags,
		.cs = SEL_CODE64_U,
		.ss = SEL_DATA_U,
		.vector = cr2 != CR2_NONE ? 14
		          : after_int3    ? 3
		                          : 13,
		.cr2 = cr2 != CR2_NONE ? cr2 : 0,
	};
	vm->fault_known = 1;
	for (size_t i = 0; i < n; i++)
		len += snprintf(bytes + len, sizeof(bytes) - (size_t)len, " %02x", code[i]);
	if (cr2 != CR2_NONE) {
		const char *kind = page_fault_kind(vm, cr2, r->rip);
		msg("spore-kvm: guest fault: page fault at 0x%llx: %s\n", (unsigned long long)cr2,
		    kind);
		msg("  cr2    0x%llx (%s)\n", (unsigned long long)cr2, kind);
	} else {
		msg("spore-kvm: guest fault: %s\n", other_kind(code, n, after_int3));
		msg("  cr2    none (no page fault so far)\n");
	}
	msg("  rip    0x%llx:%s%s\n", (unsigned long long)r->rip,
	    n ? bytes : " (not in an executable page)", n == sizeof(code) ? " ..." : "");
	msg("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
	    "  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
	    "  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
	    "  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
	    "  rflags %llx\n",
	    (unsigned long long)r->rax, (unsigned long long)r->rbx, (unsigned long long)r->rcx,
	    (unsigned long long)r->rdx, (unsigned long long)r->rsi, (unsigned long long)r->rdi,
	    (unsigned long long)r->rbp, (unsigned long long)r->rsp, (unsigned long long)r->r8,
	    (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11,
	    (unsigned long long)r->r12, (unsigned long long)r->r13, (unsigned long long)r->r14,
	    (unsigned long long)r->r15, (unsigned long long)r->rflags);

	/* rbp chain: frame[0] = caller's rbp, frame[1] = return address. Frames must move
	 * up the stack, so a hostile or corrupt chain cannot loop. */
	len = snprintf(line, sizeof(line), "  backtrace: 0x%llx", (unsigned long long)r->rip);
	uint64_t fp = r->rbp, next, ret;
	for (int i = 0; i < BACKTRACE_MAX && fp != 0 && len < (int)sizeof(line) - 20; i++) {
		if (fp > UINT64_MAX - 8 ||
		    decode_read64(vm->mem, vm->mem_size, vm->im, fp, &next) < 0 ||
		    decode_read64(vm->mem, vm->mem_size, vm->im, fp + 8, &ret) < 0)
			break;
		len += snprintf(line + len, sizeof(line) - (size_t)len, " 0x%llx",
		                (unsigned long long)ret);
		if (next <= fp)
			break;
		fp = next;
	}
	msg("%s\n", line);
	return HC_EXIT_FAULT;
}
