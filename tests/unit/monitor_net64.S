/* SPDX-License-Identifier: MIT */
/* A tiny 64-bit ring-3 guest for tests/monitor.sh's --net tests: HC_INFO (prints the MAC),
 * one hand-built ARP request for 10.9.0.1 (we are 10.9.0.2) through HC_NET_SEND, then
 * HC_POLL(HC_EV_NET, 2 s) + HC_NET_RECV until the reply: "arp reply", exit 0; exit 3 when
 * a poll times out, 4 without --net. Command-line byte: 'l' a runt send frame, 'c' a batch of 33 (both 250),
 * 'f' receive until the tap is quiet for 2 s (a flood: --stats counts), exit 0. */
#define HC(nr, blk) lea blk(%rip), %eax; mov $(0x500 + (nr)), %edx; outl %eax, %dx
#define NBUF 32                         /* receive buffers of 2048 bytes */

	.text
	.globl _start
_start:
	mov 24(%rdi), %rsi              /* hvm_start_info.cmdline_paddr */
	lea stack_top(%rip), %rsp
	movzbl (%rsi), %r15d
	HC(6, info)
	cmp $'l', %r15b; je runt        /* the bad calls need no device: 250 either way */
	cmp $'c', %r15b; je toomany
	cmpl $1, info(%rip); jne no_net /* net_present, else exit 4 */
	cmpl $1500, info+4(%rip); jne no_net
	/* "mac xx:xx:xx:xx:xx:xx\n" */
	lea info+8(%rip), %rsi
	lea mac_hex(%rip), %rdi
	lea hexdigits(%rip), %r8
	mov $6, %ecx
1:	movzbl (%rsi), %eax; shr $4, %eax; movb (%r8,%rax), %al; movb %al, (%rdi)
	movzbl (%rsi), %eax; and $15, %eax; movb (%r8,%rax), %al; movb %al, 1(%rdi)
	inc %rsi; add $3, %rdi
	dec %ecx; jnz 1b
	HC(1, con_mac)
	/* Our MAC into the frame: Ethernet source (6) and ARP sender (22). */
	mov info+8(%rip), %eax; mov %eax, arp+6(%rip); mov %eax, arp+22(%rip)
	movzwl info+12(%rip), %eax; mov %ax, arp+10(%rip); mov %ax, arp+26(%rip)
	cmp $'f', %r15b; je flood
	HC(7, tx)
	cmpl $1, tx+4(%rip); jne fail   /* done */
again:	HC(3, poll)
	testl $1, poll+12(%rip); jz timed_out   /* ready & HC_EV_NET */
	call recv_all
	xor %ebx, %ebx
2:	cmp %ebx, rx+4(%rip); jbe again  /* done */
	mov %ebx, %eax; shl $4, %eax
	lea rx+16(%rip), %rdx
	mov (%rdx,%rax), %rsi           /* f[i].buf */
	cmpw $0x0608, 12(%rsi); jne 3f  /* ethertype 0x0806, big-endian */
	cmpw $0x0200, 20(%rsi); jne 3f  /* opcode 2: reply */
	cmpl $0x0100090a, 28(%rsi); jne 3f      /* sender 10.9.0.1 */
	HC(1, con_reply)
	HC(4, exit0)
3:	inc %ebx; jmp 2b

/* HC_NET_RECV with NBUF fresh 2048-byte buffers. */
recv_all:
	movl $NBUF, rx(%rip)
	lea rx+16(%rip), %rdx
	lea bufs(%rip), %rsi
	mov $NBUF, %ecx
4:	mov %rsi, (%rdx); movl $2048, 8(%rdx)
	add $2048, %rsi; add $16, %rdx
	dec %ecx; jnz 4b
	HC(8, rx)
	ret

flood:	HC(3, poll)
	testl $1, poll+12(%rip); jz 5f
	call recv_all
	jmp flood
5:	HC(4, exit0)
runt:	movl $2, tx(%rip)               /* count 2, f[1] 13 bytes */
	lea arp(%rip), %rax; mov %rax, tx+32(%rip)
	movl $13, tx+40(%rip)
	HC(7, tx)
	ud2
toomany: movl $33, tx(%rip)
	HC(7, tx)
	ud2
timed_out: HC(4, exit3)
no_net:	HC(4, exit4)
fail:	HC(4, exit1)
	ud2

	.section .rodata
hexdigits:	.ascii "0123456789abcdef"
con_reply:	.quad reply, 10, 0
reply:		.ascii "arp reply\n"

	.data
	.balign 16
info:		.fill 32                /* struct hc_info */
con_mac:	.quad mac_line, 22, 0
mac_line:	.ascii "mac "
mac_hex:	.ascii "xx:xx:xx:xx:xx:xx\n"
	.balign 8
poll:		.quad 2000000000        /* struct hc_poll: 2 s, */
		.long 1, 0              /* mask HC_EV_NET, ready */
exit0:		.long 0, 0
exit1:		.long 1, 0
exit3:		.long 3, 0
exit4:		.long 4, 0
	.balign 8
tx:		.long 1, 0, 0, 0        /* struct hc_net: count 1 */
		.quad arp; .long 42, 0  /* f[0]: the ARP request */
		.fill 16 * 31
rx:		.fill 16 + 16 * 32
arp:	.byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x08, 0x06
	.byte 0, 1, 0x08, 0, 6, 4, 0, 1         /* Ethernet, IPv4, request */
	.byte 0, 0, 0, 0, 0, 0, 10, 9, 0, 2     /* sender: our MAC, 10.9.0.2 */
	.byte 0, 0, 0, 0, 0, 0, 10, 9, 0, 1     /* target: ?, 10.9.0.1 */

	.section .bss.guard, "aw", @nobits
	.fill 4096
	.section .bss.stack, "aw", @nobits
	.fill 4096
stack_top:
	.balign 4096
bufs:	.fill NBUF * 2048

	/* The 64-bit ring-3 entry: note "Spore", type HC_ELFNOTE_ENTRY64, 8-byte desc. */
	.section .note.spore, "a", @note
	.balign 4
	.long 6, 8, 1
	.asciz "Spore"
	.balign 4
	.quad _start
