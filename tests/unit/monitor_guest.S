/* SPDX-License-Identifier: MIT */
/* A tiny PVH guest for tests/monitor.sh: 32-bit code, paging off, no kernel. The first
 * byte of the command line picks what it does; nothing else here is a real guest. */
#define HC(nr, blk) mov $blk, %eax; mov $(0x500 + (nr)), %dx; out %eax, %dx

	.code32
	.text
	.globl _start
_start:
	mov 24(%ebx), %esi              /* hvm_start_info.cmdline_paddr */
	movzbl (%esi), %eax
	cmp $'s', %al; je spin          /* spin forever: --timeout */
	cmp $'b', %al; je badgpa        /* block beyond RAM: 250 */
	cmp $'u', %al; je unknown       /* unused call nr 13: 250 */
	cmp $'p', %al; je poll          /* sleep 1.5 s in HC_POLL, exit 0 */
	cmp $'f', %al; je forever       /* poll without limit: 251 */
	cmp $'e', %al; je echo          /* print the command line, exit 0 */
	cmp $'t', %al; je calls         /* time, info, entropy: exit 0 if sane */
	cmp $'H', %al; je halt          /* hlt: 251 */
	cmp $'c', %al; je cpuid         /* CPUID leaves: exit 0 if both signatures are there */
	cmp $'k', %al; je kvmclock      /* kvmclock: exit 0 if the host fills pvclock */
	cmp $'x', %al; je impostor      /* HC_EXIT 251, the monitor's VM fault: 250 */
	cmp $'T', %al; je triple        /* ud2 with no IDT: a triple fault, 251 */
	HC(1, con_hello)                /* default: hello, exit 7 */
	HC(4, exit7)
halt:	hlt
spin:	jmp spin
triple:	ud2
badgpa:	mov $0xfffffff8, %eax; mov $0x501, %dx; out %eax, %dx
	hlt
unknown: HC(13, exit0)
	hlt
impostor: HC(4, exit251)
	hlt
poll:	HC(3, poll_blk)
	HC(4, exit0)
forever: HC(3, forever_blk)
	hlt
echo:	xor %ecx, %ecx
1:	cmpb $0, (%esi, %ecx); je 2f; inc %ecx; jmp 1b
2:	mov %esi, con_echo; mov %ecx, con_echo + 8
	HC(1, con_echo)
	HC(4, exit0)
calls:	rdtsc; mov %eax, tsc0; mov %edx, tsc0 + 4
	HC(2, time_blk)
	rdtsc; mov %eax, tsc1; mov %edx, tsc1 + 4
	cmpl $0, time_blk + 8; je fail     /* wall_ns low half */
	/* tsc0 <= time.tsc <= tsc1 (64-bit compares: subtract with borrow) */
	mov time_blk + 16, %eax; mov time_blk + 20, %edx
	sub tsc0, %eax; sbb tsc0 + 4, %edx; jb fail2
	mov tsc1, %eax; mov tsc1 + 4, %edx
	sub time_blk + 16, %eax; sbb time_blk + 20, %edx; jb fail2
	HC(6, info_blk)
	cmpl $0x800000, info_blk + 24; jne fail /* mem_bytes with the default --mem */
	HC(5, ent_blk)
	cmpl $16, ent_blk + 16; jne fail
	HC(4, exit0)
fail:	HC(4, exit1)
	hlt
fail2:	HC(4, exit2)                    /* HC_TIME's tsc is not the guest's TSC */
	hlt
cpuid:	mov $0x40000100, %eax; cpuid
	cmp $2, %eax; jne fail                  /* HC_ABI_VERSION */
	cmp $0x726f7053, %ebx; jne fail         /* "Spor" */
	cmp $0x4d564b65, %ecx; jne fail         /* "eKVM" */
	test %edx, %edx; jne fail
	mov $0x40000000, %eax; cpuid
	cmp $0x40000001, %eax; jb fail
	cmp $0x4b4d564b, %ebx; jne fail         /* "KVMK" */
	HC(4, exit0)
kvmclock: mov $0x4b564d01, %ecx               /* MSR_KVM_SYSTEM_TIME_NEW */
	mov $(pvclock + 1), %eax; xor %edx, %edx /* bit 0: enable */
	wrmsr
	mov pvclock, %eax; test $1, %eax; jnz fail /* version: even when stable */
	mov pvclock + 16, %eax; or pvclock + 20, %eax; jz fail /* system_time */
	HC(4, exit0)

	.data
	.balign 8
con_hello:	.quad hello, hello_end - hello, 0
con_echo:	.quad 0, 0, 0
exit7:		.long 7, 0
exit0:		.long 0, 0
exit251:	.long 251, 0
exit1:		.long 1, 0
exit2:		.long 2, 0
tsc0:		.quad 0
tsc1:		.quad 0
poll_blk:	.quad 1500000000; .long 0, 0
forever_blk:	.quad -1; .long 0, 0
time_blk:	.quad 0, 0, 0, 0
info_blk:	.quad 0, 0, 0, 0
ent_blk:	.quad ent_buf, 16, 0
ent_buf:	.quad 0, 0
	.balign 64
pvclock:	.fill 32, 1, 0                  /* struct pvclock_vcpu_time_info */
hello:		.ascii "hello from the monitor test guest\n"
hello_end:

	/* PVH entry: Xen ELF note, type XEN_ELFNOTE_PHYS32_ENTRY (18). */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long _start
