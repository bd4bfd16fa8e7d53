/* SPDX-License-Identifier: MIT */
/* libc/net/timewait.c: a new SYN reopens a connection in TIME-WAIT. */
#ifndef SPORE_TIMEWAIT_H
#define SPORE_TIMEWAIT_H
#include <stdint.h>

struct pbuf;
struct netif;

struct spore_tw_key {
	uint32_t src, dst;        /* network byte order, as in ip4_addr */
	uint16_t sport, dport;    /* host byte order, as in tcp_pcb */
	uint32_t seq;
};

int spore_tw_syn(const struct pbuf *p, struct spore_tw_key *k);
int spore_ip4_input_hook(struct pbuf *p, struct netif *inp);
#endif
