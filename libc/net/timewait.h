/* SPDX-License-Identifier: MIT */
/* libc/net/timewait.c: a new SYN reopens a connection in TIME-WAIT. */
#ifndef SPORE_TIMEWAIT_H
#define SPORE_TIMEWAIT_H
#include <stddef.h>
#include <stdint.h>

struct pbuf;
struct netif;

struct spore_tw_key {
	uint32_t src, dst;     /* network byte order, as in ip4_addr */
	uint16_t sport, dport; /* host byte order, as in tcp_pcb */
	uint32_t seq;
};

/* timewait.c: the hook, called by ip4_input before any check of its own */
int spore_ip4_input_hook(struct pbuf *p, struct netif *inp);

/* twsyn.c: 1 when d[0, len) holds a whole IPv4 datagram that is a bare TCP
 * SYN (no ACK, RST or FIN) to ours (network order) with both checksums right,
 * key filled in; else 0. */
#define TWSYN_MAX (60 + 60) /* largest IP + TCP headers: a SYN with data is left to lwIP */
int twsyn_parse(const uint8_t *d, size_t len, uint32_t ours, struct spore_tw_key *k);
#endif
