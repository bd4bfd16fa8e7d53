/* SPDX-License-Identifier: MIT */
/* ctx_switch(&old_rsp, new_rsp): saves the callee-saved state of the SysV
 * ABI (rbx, rbp, r12-r15, and MXCSR and the x87 control word, which are
 * callee-saved too) on the current stack, stores rsp, and resumes the other
 * thread from its saved rsp. A new thread's stack is laid out by
 * sched.c so that this `ret` lands in thread_start. */
	.text
	.globl ctx_switch
ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.section .note.GNU-stack, "", @progbits
