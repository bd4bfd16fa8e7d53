// SPDX-License-Identifier: MIT
/* Reopening a connection from TIME-WAIT (RFC 1122 4.2.2.13), as a port hook.
 *
 * When spore's side closes a connection first (httpd after a 503 or
 * "Connection: close"), lwIP keeps the pcb in TIME-WAIT for 2 MSL (120 s).
 * The peer's side is closed by then and may pick the same local port again
 * at once: Linux does, its port allocation skips only its own TIME-WAITs.
 * lwIP answers that new SYN with a bare ACK, the peer resets, lwIP ignores
 * resets in TIME-WAIT (RFC 1337), and the connection cannot be made for up to
 * two minutes: tests/httpd.sh's "connection 65" check timed out now and then,
 * and a client that reconnects often would see it too.
 *
 * RFC 1122 lets a TCP accept such a SYN when its sequence number is beyond
 * the old connection's, which is what Linux and the BSDs do. lwIP 2.1 has no
 * option for it, so this hook (LWIP_HOOK_IP4_INPUT, called by ip4_input before
 * demultiplexing) drops the TIME-WAIT pcb the SYN names; the SYN then goes on
 * to the listener like any other. A SYN at or before the old sequence number
 * (an old duplicate) is left to lwIP's TIME-WAIT handling. */
#include <string.h>
#include "lwip/def.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "timewait.h"

/* The 4-tuple and sequence number of a bare SYN (no ACK, RST or FIN) in an
 * IPv4 datagram, read with bounds checks from a pbuf chain of any shape; 0 when
 * the datagram is anything else (or malformed: lwIP's own checks reject it). */
int spore_tw_syn(const struct pbuf *p, struct spore_tw_key *k)
{
	unsigned char h[60 + 20];
	if (p->tot_len < 20 || pbuf_copy_partial(p, h, 20, 0) != 20)
		return 0;
	unsigned ihl = (h[0] & 15u) * 4;
	if ((h[0] >> 4) != 4 || ihl < 20 || h[9] != IP_PROTO_TCP)
		return 0;
	if (((h[6] << 8 | h[7]) & 0x3fff) != 0)   /* a fragment (MF or offset) */
		return 0;
	unsigned total = (unsigned)h[2] << 8 | h[3];
	if (total > p->tot_len || total < ihl + 20)
		return 0;
	if (pbuf_copy_partial(p, h, (u16_t)(ihl + 20), 0) != ihl + 20)
		return 0;
	const unsigned char *t = h + ihl;
	unsigned flags = t[13] & 0x3f;
	if ((flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return 0;
	memcpy(&k->src, h + 12, 4);
	memcpy(&k->dst, h + 16, 4);
	k->sport = (u16_t)(t[0] << 8 | t[1]);
	k->dport = (u16_t)(t[2] << 8 | t[3]);
	k->seq = (u32_t)t[4] << 24 | (u32_t)t[5] << 16 | (u32_t)t[6] << 8 | t[7];
	return 1;
}

int spore_ip4_input_hook(struct pbuf *p, struct netif *inp)
{
	struct spore_tw_key k;
	(void)inp;
	if (!spore_tw_syn(p, &k))
		return 0;
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->remote_port != k.sport || pcb->local_port != k.dport ||
		    ip_2_ip4(&pcb->remote_ip)->addr != k.src ||
		    ip_2_ip4(&pcb->local_ip)->addr != k.dst)
			continue;
		if (TCP_SEQ_GT(k.seq, pcb->rcv_nxt))
			tcp_abandon(pcb, 0);   /* TIME-WAIT: unlinked and freed, no RST */
		break;
	}
	return 0;   /* never eats the packet */
}
