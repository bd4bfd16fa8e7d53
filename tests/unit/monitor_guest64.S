/* SPDX-License-Identifier: MIT */
/* A tiny 64-bit ring-3 guest for tests/monitor.sh: entered through the Spore note on the
 * monitor's page tables. The first command-line byte picks one behaviour; no kernel. */
#define HC(nr, blk) lea blk(%rip), %eax; mov $(0x500 + (nr)), %edx; outl %eax, %dx

	.text
	.globl _start
_start:
	mov 24(%rdi), %rsi              /* hvm_start_info.cmdline_paddr */
	lea stack_top(%rip), %rsp
	xor %ebp, %ebp
	movzbl (%rsi), %eax
	cmp $'n', %al; je null          /* read page 0: fault, null pointer */
	cmp $'o', %al; je overflow      /* recurse into the guard page: stack overflow */
	cmp $'w', %al; je rodata        /* write to a read-only page */
	cmp $'x', %al; je nx            /* jump into a data page */
	cmp $'u', %al; je undef         /* ud2 */
	cmp $'b', %al; je bt            /* three frames deep, then a fault: backtrace */
	cmp $'i', %al; je immport       /* outl %eax, $0x80: not a hypercall */
	cmp $'c', %al; je cpuid         /* spore CPUID leaf: exit 0, else 1 */
	cmp $'t', %al; je time          /* HC_TIME: exit 0 if tsc_khz and tsc are set */
	cmp $'k', %al; je many          /* 1000 one-byte console writes, exit 0 */
	cmp $'s', %al; je sse           /* SSE in ring 3: exit 0 */
	HC(1, con_hello)                /* default: hello, exit 7 */
	HC(4, exit7)
	ud2

null:	mov 0x10, %rax
	ud2
overflow: call overflow
rodata:	movq $1, ro_word(%rip)
	ud2
nx:	lea rw_word(%rip), %rax
	jmp *%rax
undef:	ud2
bt:	call f1
f1:	push %rbp; mov %rsp, %rbp; call f2
f2:	push %rbp; mov %rsp, %rbp; call f3
f3:	push %rbp; mov %rsp, %rbp; mov 0x8, %rax
immport: outl %eax, $0x80
	ud2
cpuid:	mov $0x40000100, %eax; cpuid
	cmp $0x726f7053, %ebx; jne fail         /* "Spor" */
	HC(4, exit0)
fail:	HC(4, exit1)
	ud2
time:	HC(2, time_blk)
	cmpq $0, time_blk + 24(%rip); je fail   /* tsc_khz */
	HC(4, exit0)
many:	mov $1000, %ebx
1:	HC(1, con_dot)
	dec %ebx; jnz 1b
	HC(4, exit0)
sse:	lea ro_word(%rip), %rax
	movups (%rax), %xmm0; addps %xmm0, %xmm0; movups %xmm0, rw_word(%rip)
	HC(4, exit0)

	.section .rodata
	.balign 16
ro_word:	.quad 0, 0
con_hello:	.quad hello, hello_end - hello, 0
con_dot:	.quad dot, 1, 0
hello:		.ascii "hello from the ring-3 test guest\n"
hello_end:
dot:		.ascii "."

	.data
	.balign 16
rw_word:	.quad 0xc3, 0                   /* a ret, never executable */
exit7:		.long 7, 0
exit0:		.long 0, 0
exit1:		.long 1, 0
time_blk:	.quad 0, 0, 0, 0

	.section .bss.guard, "aw", @nobits
	.fill 4096
	.section .bss.stack, "aw", @nobits
	.fill 4096
stack_top:

	/* The 64-bit ring-3 entry: note "Spore", type HC_ELFNOTE_ENTRY64, 8-byte desc. */
	.section .note.spore, "a", @note
	.balign 4
	.long 6, 8, 1
	.asciz "Spore"
	.balign 4
	.quad _start
