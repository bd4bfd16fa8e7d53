// SPDX-License-Identifier: MIT
/* The seam between lwIP and the kernel's network device (kernel/net.h): one
 * netif, a receive thread that feeds frames to the tcpip thread, and the
 * address from the command line (ip=, gw=) or DHCP. Started by the first
 * socket() call, so apps without sockets never run lwIP. */
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netifapi.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
#include "kernel/net.h"
#include "libc/libc.h"
#include "net.h"

static struct netif nif;
#define LENT_MAX 64 /* pieces of a lent frame: 33 of 2 KiB hold 64 KiB; more are copied */
static int started;

/* lwIP's transmit. A frame in one pbuf (TCP's segments: lwipopts.h's
 * LWIP_NETIF_TX_SINGLE_PBUF) goes to the device as it is, which copies it once into
 * its ring; a chain is flattened first. */
static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	static unsigned char frame[1600];
	(void)n;
	timers_frame();
	if (p->len == p->tot_len)
		return net_dev->send(p->payload, p->len) == 0 ? ERR_OK : ERR_IF;
	if (p->tot_len > sizeof frame)
		return ERR_BUF;
	pbuf_copy_partial(p, frame, p->tot_len, 0);
	return net_dev->send(frame, p->tot_len) == 0 ? ERR_OK : ERR_IF;
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	n->mtu = (u16_t)net_dev->mtu;
	n->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(n->hwaddr, net_dev->mac, ETH_HWADDR_LEN);
	n->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	/* What the device (or its driver) does for TCP, lwIP does not do again; IP,
	 * UDP and ICMP checksums stay lwIP's (UDP may be fragmented, which a
	 * device's partial checksum cannot span). */
	u16_t off = (net_dev->offload & NET_OFF_TCP_CSUM_TX ? NETIF_CHECKSUM_GEN_TCP : 0) |
	            (net_dev->offload & NET_OFF_TCP_CSUM_RX ? NETIF_CHECKSUM_CHECK_TCP : 0);
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_ENABLE_ALL & ~off);
	return ERR_OK;
}

/* A frame the device lent (kernel/net.h rx_lend): a chain of custom pbufs over its
 * buffers, each given back as lwIP frees it. Their headers are kept for the next
 * frame, never freed: at most as many as the device lends at once. */
struct lent {
	struct pbuf_custom pc; /* first: lwIP's pbuf is the lent */
	void *buf;
	struct lent *next;
};
static struct lent *lent_spare;

static void lent_free(struct pbuf *p)
{
	struct lent *l = (struct lent *)(void *)p;
	net_dev->rx_return(l->buf);
	l->next = lent_spare;
	lent_spare = l;
}

/* NULL (the frame dropped, every piece given back) when out of memory. Built from
 * the last piece back, each pbuf's tot_len its own and what follows (pbuf_cat walks
 * the whole chain at every piece: 33 of them for a 64 KiB frame). */
static struct pbuf *lent_chain(void **buf, const uint16_t *len, unsigned n)
{
	struct pbuf *rest = NULL;
	unsigned i = n;
	while (i > 0) {
		struct lent *l = lent_spare;
		if (l)
			lent_spare = l->next;
		else if (!(l = malloc(sizeof *l)))
			break;
		i--;
		l->buf = buf[i];
		l->pc.custom_free_function = lent_free;
		struct pbuf *p =
			pbuf_alloced_custom(PBUF_RAW, len[i], PBUF_REF, &l->pc, buf[i], len[i]);
		if (rest) {
			p->next = rest;
			p->tot_len = (u16_t)(p->len + rest->tot_len);
		}
		rest = p;
	}
	if (i == 0)
		return rest;
	if (rest)
		pbuf_free(rest);
	while (i > 0)
		net_dev->rx_return(buf[--i]);
	return NULL;
}

/* The next received frame in a pbuf (*pp NULL: dropped): its length, 0 when none
 * is waiting, -1 on a device error. Where the driver receives in two steps
 * (kernel/net.h), lent in the device's own buffers or copied once, from them into
 * a pbuf of the frame's length; else through buf, whose size bounds a frame. */
static long rx_next(struct pbuf **pp)
{
	static unsigned char buf[NET_FRAME_MAX];
	long len;
	*pp = NULL;
	if (net_dev->rx_peek) {
		if ((len = net_dev->rx_peek()) <= 0)
			return len;
		void *piece[LENT_MAX];
		uint16_t plen[LENT_MAX];
		unsigned n = net_dev->rx_lend ? net_dev->rx_lend(piece, plen, LENT_MAX) : 0;
		if (n) {
			*pp = lent_chain(piece, plen, n);
			return len;
		}
		*pp = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!net_dev->rx_take(*pp ? (*pp)->payload : NULL) && *pp) {
			pbuf_free(*pp); /* a bad checksum */
			*pp = NULL;
		}
		return len;
	}
	if ((len = net_dev->recv(buf, sizeof buf)) > 0 &&
	    (*pp = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL)))
		pbuf_take(*pp, buf, (u16_t)len);
	return len;
}

/* Drains the device into lwIP, then blocks until it may have more. A frame may
 * be a TCP segment of up to 64 KiB (virtio-net's GUEST_TSO4): lwIP takes
 * segments past its MSS, and a pbuf's length is 16 bits. A frame lwIP cannot
 * have (out of memory, a bad checksum) is dropped, as a NIC would. */
static void rx_thread(void *arg)
{
	static unsigned long lost; /* frames only the idle guard found */
	int guard = 0;
	(void)arg;
	for (;;) {
		struct pbuf *p;
		while (rx_next(&p) > 0) {
			/* The device had a frame and said nothing: a lost wake-up, or
			 * one that came in the same instant as the guard's. */
			if (guard && !lost++)
				fprintf(stderr, "spore: net: a frame waited for the idle guard "
				                "(a device wake-up lost or late)\n");
			guard = 0;
			if (!p)
				continue;
			timers_frame();
			if (nif.input(p, &nif) != ERR_OK)
				pbuf_free(p);
		}
		guard = net_wait();
	}
}

static void tcpip_ready(void *arg) { *(volatile int *)arg = 1; }

int net_start(void)
{
	volatile int ready = 0;
	ip4_addr_t addr, mask, gw;

	if (started)
		return started > 0 ? 0 : -1;
	started = -1;
	tcpip_init(tcpip_ready, (void *)&ready);
	while (!ready)
		sched_yield();
	if (!net_dev)
		return started = 1, 0; /* sockets work, but nothing reaches a wire */
	ip4_addr_set_u32(&addr, net_config.static_ip ? net_config.addr : 0);
	ip4_addr_set_u32(&mask, net_config.static_ip && net_config.prefix
	                                ? lwip_htonl(0xffffffffu << (32 - net_config.prefix))
	                                : 0);
	ip4_addr_set_u32(&gw, net_config.gw);
	if (netifapi_netif_add(&nif, &addr, &mask, &gw, NULL, nif_init, tcpip_input) != ERR_OK)
		return -1;
	netifapi_netif_set_default(&nif);
	netifapi_netif_set_up(&nif);
	sys_thread_new("rx", rx_thread, NULL, DEFAULT_THREAD_STACKSIZE, 0);
	if (net_config.dhcp || !net_config.static_ip) {
		netifapi_dhcp_start(&nif);
		/* Wait for a lease, but not forever: sockets still work without one. */
		for (int i = 0; i < 1000 && !dhcp_supplied_address(&nif); i++)
			usleep(10000);
		if (!dhcp_supplied_address(&nif))
			fprintf(stderr,
			        "spore: no DHCP lease after 10 s; continuing without an address\n");
	}
	started = 1;
	return 0;
}
