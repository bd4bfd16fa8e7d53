/* SPDX-License-Identifier: MIT */
/* The one network device, whichever driver found it (virtio-net under QEMU,
 * hypercalls under spore-kvm), as the netif glue (libc/net/netif.c) sees it. */
#ifndef KERNEL_NET_H
#define KERNEL_NET_H
#include <stddef.h>
#include <stdint.h>

struct net_dev {
	uint8_t mac[6];
	unsigned mtu;
	/* One frame (Ethernet header on, no FCS). 0, or -1 when it was dropped. */
	int (*send)(const void *frame, size_t len);
	/* The next received frame into buf: its length, 0 when none is waiting,
	 * -1 on a device error. A frame longer than size is dropped. NULL where the
	 * driver receives in the two steps below instead. */
	long (*recv)(void *buf, size_t size);
	/* Receiving in two steps, so a frame is copied once, from the device's buffers
	 * straight into one the stack allocates for its length. rx_peek: the next
	 * frame's length (at most NET_FRAME_MAX), 0 when none is waiting, -1 on a
	 * device error; it stays in the device's buffers until rx_take copies it into
	 * buf (that length; NULL: drop it) and gives the buffers back. rx_take returns
	 * 0 when the frame is to be dropped after all (a bad checksum). Recipe: peek,
	 * then take before any other receive call. NULL where recv() is the way. */
	long (*rx_peek)(void);
	int (*rx_take)(void *buf);
	/* Or, after rx_peek, no copy at all (else NULL): rx_lend hands the held frame
	 * to the stack in the device's own buffers, up to max pieces (buf[i], len[i];
	 * the first after the device's header), and returns their count; 0 when it is
	 * to be taken with rx_take after all (short, a checksum to check here, no
	 * spare buffers left). Each piece goes back through rx_return (its buf[i])
	 * once the stack is done with it; the device has others meanwhile. */
	unsigned (*rx_lend)(void **buf, uint16_t *len, unsigned max);
	void (*rx_return)(void *buf);
	uint64_t rx_lent, rx_copied; /* frames each way, for memstats= (the driver's) */
	/* Whether a received frame waits in the device, read without taking it (else
	 * NULL): the test option lose_irqs= loses only wake-ups with a frame to take. */
	int (*rx_waiting)(void);
	/* Sends what send() batched, if the device batches (else NULL); idle: the
	 * vCPU halts next, so nothing may stay (else a bare ACK may wait a switch). */
	void (*flush)(int idle);
	unsigned offload; /* NET_OFF_*: what the device does in lwIP's stead */
};
#define NET_OFF_TCP_CSUM_TX 1     /* send() completes the TCP checksums lwIP leaves at 0 */
#define NET_OFF_TCP_CSUM_RX 2     /* recv() returns no TCP segment with a bad checksum */
#define NET_FRAME_MAX       65535 /* a received frame's limit: a TSO segment, a pbuf's length */
/* The largest MTU a device may give the stack: a jumbo frame. TCP's segments are
 * at most MTU - 40 bytes, lwIP's TCP_MSS (libc/net/lwipopts.h). */
#define NET_MTU_MAX 9000

/* The address, from the command line (kernel/options.c: ip=, gw=, dhcp=). */
struct net_config {
	uint32_t addr, gw; /* network byte order */
	unsigned prefix;
	int static_ip, dhcp;
	int offload; /* offload=0: ask the device for no offloads (to measure them) */
	/* Not an option: the idle guard's longest gap (libc/net/timers.c), 0 for its
	 * default; longer where the host raises a lost interrupt again itself. */
	unsigned guard_max_ms;
};
extern struct net_config net_config;

/* net.c */
extern const struct net_dev *net_dev; /* NULL: no network device */
int net_wait(void);                   /* block until a frame may be waiting; 1: net_guard's */
void net_wake(void);                  /* a frame may be waiting (not from interrupt context) */
void net_guard(void);                 /* look anyway: an idle timer, not a device */
void net_poll(void);                  /* scheduler idle loop: act on net_irq */
void net_flush(int idle);    /* scheduler, before a switch (0) or a halt (1): batched frames out */
extern volatile int net_irq; /* interrupt handlers set it */

#endif
