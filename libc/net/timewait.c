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
 * (an old duplicate) is left to lwIP's TIME-WAIT handling.
 *
 * The hook runs before ip4_input checks the datagram, so twsyn.c checks what
 * lwIP would (both checksums, our address) before a SYN may end a TIME-WAIT:
 * a corrupt or spoofed SYN with the right 4-tuple must not. Only the first
 * TWSYN_MAX bytes are copied: a SYN carrying data is left to lwIP. */
#include <string.h>
#include "lwip/def.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "timewait.h"

int spore_ip4_input_hook(struct pbuf *p, struct netif *inp)
{
	unsigned char d[TWSYN_MAX];
	struct spore_tw_key k;
	u16_t n = p->tot_len < sizeof d ? p->tot_len : (u16_t)sizeof d;
	uint32_t ours = ip4_addr_get_u32(netif_ip4_addr(inp));
	if (pbuf_copy_partial(p, d, n, 0) != n || !twsyn_parse(d, n, ours, &k))
		return 0;
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->remote_port != k.sport || pcb->local_port != k.dport ||
		    ip_2_ip4(&pcb->remote_ip)->addr != k.src ||
		    ip_2_ip4(&pcb->local_ip)->addr != k.dst)
			continue;
		if (TCP_SEQ_GT(k.seq, pcb->rcv_nxt))
			tcp_abandon(pcb, 0); /* TIME-WAIT: unlinked and freed, no RST */
		break;
	}
	return 0; /* never eats the packet */
}
