/* SPDX-License-Identifier: MIT */
/* Two entries. _start32 is the PVH entry (32-bit protected mode, paging off,
 * %ebx = hvm_start_info) that QEMU uses: long mode on static boot tables, then
 * kmain() in ring 0. _start64 is spore-kvm's: already 64-bit ring 3 on page
 * tables the monitor built from the ELF segments (W^X), %rdi = hvm_start_info.
 * Why ring 3 there: on this project's KVM host (kvm_pvm, nested without
 * hardware support) ring-0 guest code is emulated instruction by instruction
 * and SSE does not run at all, while ring-3 code runs natively (docs/boot.md).
 * GDT, IDT and TSS are static: no boot code fills them. */
#include "machine.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define SPORE_ELFNOTE_ENTRY64    1
#define LOAD_ADDR 0x100000
/* Absolute address of a symbol in this section: the linker script puts this
 * section first at LOAD_ADDR, so the difference is known when assembling, and
 * descriptors (which split addresses into bit fields) can be static. */
#define ABS(sym) ((sym) - _start32 + LOAD_ADDR)

	.section .note.pvh, "a"
	.p2align 2
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start32
	.long 6, 8, SPORE_ELFNOTE_ENTRY64       /* kernel/hypercall.h */
	.asciz "Spore"
	.p2align 2
	.quad _start64

	.section .text.entry, "ax"
	.code32
	.globl _start32
_start32:
	rdtsc                           /* the boot-time budget starts here */
	movl %eax, boot_tsc
	movl %edx, boot_tsc + 4
	movl %ebx, %edi                 /* kmain's argument */
	lgdt gdt_ptr
	movl $0x620, %eax               /* CR4: PAE | OSFXSR | OSXMMEXCPT */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME | NXE */
	rdmsr
	orl $0x900, %eax
	wrmsr
	movl $0x80010033, %eax          /* CR0: PG | WP | NE | ET | MP | PE; EM off for SSE */
	movl %eax, %cr0
	ljmp $0x08, $start64

	.code64
start64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	lidt idt_ptr
	movl $0x28, %eax
	ltr %ax
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp                 /* ends backtraces */
	call kmain
	ud2

	.globl _start64
_start64:
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, boot_tsc(%rip)
	movl $1, boot_ring3(%rip)
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call kmain
	ud2

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx                 /* callee-saved: the frame */
	andq $~15, %rsp                 /* ABI alignment for the C handler */
	call trap
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp                  /* vector, error code */
	iretq

/* 256 stubs of 16 bytes each, so stub v sits at trap_stubs + 16 * v. */
	.p2align 4
trap_stubs:
	.set v, 0
	.rept 256
	.p2align 4
	.if !(v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30)
	pushq $0                        /* no error code: keep the frame uniform */
	.endif
	pushq $v
	jmp trap_common
	.set v, v + 1
	.endr

/* The TSS is only read by the CPU in long mode, so it may live here. */
	.p2align 4
tss:
	.long 0
	.quad 0                         /* rsp0: unused, nothing runs in ring 3 under QEMU */
	.quad 0, 0, 0
	.quad ist1_top                  /* IST1: exceptions */
	.quad ist2_top                  /* IST2: double fault, NMI */
	.quad 0, 0, 0, 0, 0, 0
	.word 0, 0x68                   /* no I/O bitmap */
tss_end:

	.data
	.p2align 3
	.globl boot_tsc
boot_tsc:
	.quad 0
	.globl boot_ring3
boot_ring3:
	.long 0
gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: kernel code, 64-bit */
	.quad 0x00cf92000000ffff        /* 0x10: kernel data */
	.quad 0x00affa000000ffff        /* 0x18: user code, 64-bit, DPL 3 */
	.quad 0x00cff2000000ffff        /* 0x20: user data, DPL 3 */
	/* 0x28: 64-bit available TSS (type 9) */
	.word tss_end - tss - 1
	.word ABS(tss) & 0xffff
	.byte (ABS(tss) >> 16) & 0xff
	.byte 0x89, 0
	.byte (ABS(tss) >> 24) & 0xff
	.long 0, 0
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
null_idt:
	.word 0
	.quad 0
idt_ptr:
	.word 256 * 16 - 1
	.quad idt

	/* Interrupt gates for every vector. Exceptions use IST1 (IST2 for #DF
	 * and NMI) so a fault on an overflowed stack still reports. */
	.p2align 4
idt:
	.set v, 0
	.rept 256
	.word (ABS(trap_stubs) + 16 * v) & 0xffff
	.word 0x08
	.if v == 2 || v == 8
	.byte 2
	.elseif v < 32
	.byte 1
	.else
	.byte 0
	.endif
	.byte 0x8e
	.word ((ABS(trap_stubs) + 16 * v) >> 16) & 0xffff
	.long 0, 0
	.set v, v + 1
	.endr

	/* Identity map of the first 1 GiB with 2 MiB pages, until mmu_init()
	 * edits these pages into the final tables. Static, so the boot
	 * writes no page table, and with the accessed and dirty bits set
	 * the CPU's walks write none either before then. */
	.section .data.pagetables, "aw"
	.p2align 12
	.globl boot_pml4                /* mmu_init() edits them into the final tables */
boot_pml4:
	.quad boot_pdpt + 0x23          /* P | W | A */
	.fill 511, 8, 0
boot_pdpt:
	.quad boot_pd + 0x23
	.fill 511, 8, 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0xe3          /* P | W | A | D | PS */
	.set i, i + 1
	.endr

	/* The boot stack's guard page: its own segment with no access flags,
	 * which mmu_init() and spore-kvm leave unmapped, so an overflow faults
	 * instead of corrupting. */
	.section .boot.guard, "aw", @nobits
	.p2align 12
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096
	.section .boot.stack, "aw", @nobits
	.p2align 12
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.skip KSTACK_SIZE
ist1_top:
	.skip KSTACK_SIZE
ist2_top:

	.section .note.GNU-stack, "", @progbits
