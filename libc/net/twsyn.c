// SPDX-License-Identifier: MIT
/* The TIME-WAIT hook's look at one IPv4 datagram (timewait.c), pure so that a
 * host test can feed it anything: a bare TCP SYN, whole in the buffer, to our
 * address, with its IP and TCP checksums right? The hook runs before
 * ip4_input has checked any of that, and what it decides frees a pcb: a SYN
 * that lwIP would then drop (corrupt, or spoofed to another address) must not
 * end a TIME-WAIT. Trusts nothing in d; reads only d[0, len). */
#include <string.h>
#include "timewait.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* RFC 1071: the one's complement sum of 16-bit big-endian words, an odd last
 * byte padded with zero; a header or segment with its checksum in is right
 * when the folded sum is all ones. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static int all_ones(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

int twsyn_parse(const uint8_t *d, size_t len, uint32_t ours, struct spore_tw_key *k)
{
	if (len < 20)
		return 0;
	unsigned ihl = (d[0] & 15u) * 4;
	if ((d[0] >> 4) != 4 || ihl < 20 || d[9] != 6)
		return 0;
	if (((d[6] << 8 | d[7]) & 0x3fff) != 0) /* a fragment (MF or offset) */
		return 0;
	unsigned total = (unsigned)d[2] << 8 | d[3];
	if (total > len || total < ihl + 20)
		return 0;
	const uint8_t *t = d + ihl;
	unsigned thl = (t[12] >> 4) * 4u;
	if (thl < 20 || ihl + thl > total)
		return 0;
	if ((t[13] & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return 0;
	if (!ours || memcmp(d + 16, &ours, 4))
		return 0; /* not to us: lwIP would forward or drop it */
	if (!all_ones(sum16(d, ihl, 0)))
		return 0;
	/* The pseudo-header: source and destination, protocol, segment length. */
	uint32_t pseudo = sum16(d + 12, 8, 0) + 6 + (total - ihl);
	if (!all_ones(sum16(t, total - ihl, pseudo)))
		return 0;
	memcpy(&k->src, d + 12, 4);
	memcpy(&k->dst, d + 16, 4);
	k->sport = (uint16_t)(t[0] << 8 | t[1]);
	k->dport = (uint16_t)(t[2] << 8 | t[3]);
	k->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	return 1;
}
