// SPDX-License-Identifier: MIT
/* Segment coalescing for HOST_TSO4: the segments lwIP sends in a burst are joined
 * here, as one byte stream, into one frame the device (the host's GSO) cuts into
 * segments of gso_size, the longest joined segment's payload: no longer than lwIP
 * ever sent, so no longer than the peer's MSS. Each joined segment continues the
 * held one's sequence and has its headers byte for byte but the sequence number,
 * IP length, id and checksum, and the ack and window, which may only move on (the
 * frame carries the newest, as lwIP writes them at each output). A short or pushed
 * segment no longer ends the burst: the stream is cut again at gso_size, as a TSO
 * NIC cuts a sender's buffer, and PSH goes on the frame's last segment (Linux's GSO
 * clears it on the others), as when Linux appends a write to a pushed skb. SYN,
 * FIN, RST, URG and IP options are never held. A bare ACK may be held too
 * (netcoal_start_ack), for the flow's next data to take its place. Pure; frames
 * are lwIP's own, checked anyway. */
#include "netcoal.h"
#include "netcsum.h"

/* Built into the kernel (no libc headers there) and into host tests alike. */
#define memcpy __builtin_memcpy
#define memcmp __builtin_memcmp

#define ACK 0x10
#define PSH 0x08

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TCP over IPv4 without IP options, exactly the frame (no padding), ACK set and
 * no flag but PSH beside it, some payload: its TCP header's offset and length. With
 * bare, instead a bare ACK: no payload, no option, no flag but ACK. */
static int segment(const uint8_t *f, size_t len, unsigned *l4, unsigned *hdr, int bare)
{
	struct netcsum_tcp t;

	if (netcsum_classify(f, len, &t) != NETCSUM_TCP4 || f[14] != 0x45 ||
	    len != (size_t)t.l4 + t.l4len)
		return 0;
	unsigned doff = (f[t.l4 + 12] >> 4) * 4u, flags = f[t.l4 + 13];
	if (bare ? doff != 20 || t.l4len != 20 || flags != ACK
	         : doff < 20 || doff >= t.l4len || (flags & ~PSH) != ACK)
		return 0;
	*l4 = t.l4;
	*hdr = t.l4 + doff;
	return 1;
}

/* b after a, in sequence space (RFC 793's modulo 2^32 comparison). */
static int seq_gt(uint32_t b, uint32_t a) { return (int32_t)(b - a) > 0; }

/* The segment's flow and ack, as the last seen; 1 if it acks more of that flow
 * than the one before. */
static int note(struct netcoal *c, const uint8_t *f, unsigned l4)
{
	uint8_t flow[12];
	memcpy(flow, f + 26, 8);     /* IP addresses */
	memcpy(flow + 8, f + l4, 4); /* ports */
	uint32_t ack = be32(f + l4 + 8);
	int newer = c->have_last && !memcmp(flow, c->last, 12) && seq_gt(ack, c->last_ack);
	memcpy(c->last, flow, 12);
	c->last_ack = ack;
	c->have_last = 1;
	return newer;
}

static int start(struct netcoal *c, const uint8_t *f, size_t len, int bare)
{
	unsigned l4, hdr;

	if (len > c->cap || !segment(f, len, &l4, &hdr, bare) || (!note(c, f, l4) && bare))
		return 0;
	memcpy(c->f, f, len);
	c->len = (uint32_t)len;
	c->l4 = l4;
	c->hdr = hdr;
	c->mss = (unsigned)len - hdr;
	c->nseg = !bare;
	c->bare = bare;
	return 1;
}

int netcoal_start(struct netcoal *c, const uint8_t *f, size_t len) { return start(c, f, len, 0); }

void netcoal_seen(struct netcoal *c, const uint8_t *f, size_t len)
{
	unsigned l4, hdr;

	if (segment(f, len, &l4, &hdr, 0) || segment(f, len, &l4, &hdr, 1))
		note(c, f, l4);
}

int netcoal_start_ack(struct netcoal *c, const uint8_t *f, size_t len)
{
	return start(c, f, len, 1);
}

/* b at or after a, in sequence space (RFC 793's modulo 2^32 comparison). */
static int seq_geq(uint32_t b, uint32_t a) { return (int32_t)(b - a) >= 0; }

int netcoal_append(struct netcoal *c, const uint8_t *f, size_t len)
{
	unsigned l4, hdr;

	if (!c->len || !segment(f, len, &l4, &hdr, 0) || l4 != c->l4 || hdr != c->hdr)
		return 0;
	unsigned pay = (unsigned)len - hdr, l = c->l4;
	uint8_t *h = c->f;
	/* Ethernet; IP's version to TOS, fragment field to protocol, addresses; TCP's
	 * ports, offset (flags apart), urgent pointer and options: all but lengths,
	 * ids, sequence numbers, checksums, the ack and the window. */
	if (c->len + pay > c->cap || c->len + pay - 14 > 65535 || memcmp(f, h, 16) ||
	    memcmp(f + 20, h + 20, 4) || memcmp(f + 26, h + 26, 8) || memcmp(f + l, h + l, 4) ||
	    f[l + 12] != h[l + 12] || memcmp(f + l + 18, h + l + 18, hdr - l - 18) ||
	    be32(f + l + 4) != be32(h + l + 4) + (c->len - c->hdr) ||
	    !seq_geq(be32(f + l + 8), be32(h + l + 8)))
		return 0;
	note(c, f, l);
	memcpy(c->f + c->len, f + hdr, pay);
	c->len += pay;
	c->nseg++; /* a held bare ACK counted none: the segment takes its place */
	c->bare = 0;
	if (pay > c->mss)
		c->mss = pay;
	memcpy(h + l + 8, f + l + 8, 4);   /* the newest ack */
	memcpy(h + l + 14, f + l + 14, 2); /* and window */
	h[l + 13] |= f[l + 13] & PSH;
	return 1;
}

void netcoal_finish(struct netcoal *c, unsigned *gso_size)
{
	struct netcsum_tcp t;
	unsigned tot = c->len - 14;

	c->f[16] = (uint8_t)(tot >> 8);
	c->f[17] = (uint8_t)tot;
	c->f[24] = c->f[25] = 0;
	netcsum_complete(c->f, 34, 14, 10); /* the IP header's checksum, over its 20 bytes */
	netcsum_classify(c->f, c->len, &t);
	netcsum_partial(c->f, &t);
	*gso_size = c->nseg > 1 ? c->mss : 0;
	c->len = 0;
	c->bare = 0;
}
