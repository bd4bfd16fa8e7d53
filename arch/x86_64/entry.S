/* SPDX-License-Identifier: MIT */
/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Switches to long mode on static boot page tables and calls kmain(). */
#include "param.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.pvh, "a"
	.p2align 2
	.long 4              /* namesz */
	.long 4              /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start32

	.section .text.entry, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	/* The boot-time budget is measured from here. */
	rdtsc
	movl %eax, boot_tsc
	movl %edx, boot_tsc + 4
	movl %ebx, %edi                 /* kmain's first argument */

	lgdt gdt_ptr
	movl $0x620, %eax               /* CR4: PAE | OSFXSR | OSXMMEXCPT */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME | NXE */
	rdmsr
	orl $0x900, %eax
	wrmsr
	movl %cr0, %eax
	andl $~0x4, %eax                /* EM off: SSE is used by newlib */
	orl $0x80010023, %eax           /* PG | WP | NE | MP | PE */
	movl %eax, %cr0
	ljmp $0x08, $start64

	.code64
start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp                 /* ends backtraces */
	call kmain
1:	hlt
	jmp 1b

	.data
	.p2align 3
	.globl boot_tsc
boot_tsc:
	.quad 0
	.globl gdt
gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0, 0                      /* 0x18: TSS, filled by cpu_init() */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	/* Identity map of the first 1 GiB with 2 MiB pages: only for the switch to
	 * long mode; mmu_init() replaces it. Static, so boot writes no page table. */
	.section .data.pagetables, "aw"
	.p2align 12
boot_pml4:
	.quad boot_pdpt + 3
	.fill 511, 8, 0
boot_pdpt:
	.quad boot_pd + 3
	.fill 511, 8, 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr

	/* The boot stack runs kmain() and the application; the page below it is
	 * left unmapped by mmu_init() so an overflow faults instead of corrupting. */
	.section .bss.stack, "aw", @nobits
	.p2align 12
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096
	.skip BOOT_STACK_SIZE
boot_stack_top:
