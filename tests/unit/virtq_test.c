// SPDX-License-Identifier: MIT
/* Host unit tests for the split virtqueue (drivers/virtq.c) against a
 * simulated device working on the same ring memory: round trips, index
 * wrap-around past 65535, hostile used-ring entries, which must mark the
 * queue broken and never hand out a bad buffer, and a device rewriting the
 * descriptor table, which must change nothing the driver decides. And the
 * checksum offload helpers (drivers/netcsum.c) against a plain RFC 1071 sum,
 * with malformed frames, and HOST_TSO4's segment coalescing (drivers/netcoal.c). "ok NAME" / "FAIL
 * NAME: why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netcoal.h"
#include "netcsum.h"
#include "unit.h"
#include "virtio.h"

static struct virtq q;
static uint16_t dev_avail; /* the device's next avail index */

static void setup(uint16_t n)
{
	static void *mem;
	free(mem);
	mem = aligned_alloc(4096, virtq_mem_size(n));
	memset(mem, 0, virtq_mem_size(n));
	if (virtq_init(&q, n, mem) != 0)
		abort();
	dev_avail = 0;
}

/* The device consumes one avail entry and returns it as used with len. */
static int dev_complete(uint32_t len)
{
	if (dev_avail == q.avail->idx)
		return 0;
	uint16_t id = q.avail->ring[dev_avail++ & (q.size - 1)];
	q.used->ring[q.used->idx & (q.size - 1)] = (struct virtq_used_elem){ id, len };
	q.used->idx++;
	return 1;
}

static const char *t_roundtrip(void)
{
	static char buf[8][64];
	setup(8);
	for (int i = 0; i < 8; i++)
		CHECK(virtq_add(&q, (uint64_t)buf[i], 64, 1, buf[i]) == 0);
	CHECK(virtq_add(&q, 0, 1, 1, buf[0]) == -1); /* full */
	void *c;
	uint32_t len;
	CHECK(virtq_get(&q, &c, &len) == 0); /* nothing used yet */
	for (int i = 0; i < 8; i++)
		CHECK(dev_complete(10 + i));
	for (int i = 0; i < 8; i++)
		CHECK(virtq_get(&q, &c, &len) == 1 && c == buf[i] && len == 10u + i);
	CHECK(q.num_free == 8);
	return NULL;
}

static const char *t_wrap(void)
{
	static char b[4];
	setup(4);
	for (unsigned i = 0; i < 70000; i++) { /* indices wrap past 65535 */
		void *c;
		uint32_t len;
		CHECK(virtq_add(&q, (uint64_t)b, 4, 0, b) == 0);
		CHECK(dev_complete(0));
		CHECK(virtq_get(&q, &c, &len) == 1 && c == b);
	}
	CHECK(q.avail->idx == (uint16_t)70000 && !q.broken);
	return NULL;
}

/* One buffer in flight, then a hostile used entry: rejected with the reason
 * named, the queue dead from then on, no buffer handed out, the buffer still
 * owned by the driver's record, nothing else touched. */
static int hostile(struct virtq_used_elem e, uint16_t jump, const char *reason)
{
	static char b[16], canary[16];
	void *c = NULL;
	uint32_t len = 12345;
	setup(8);
	memset(canary, 0x5a, sizeof canary);
	virtq_add(&q, (uint64_t)b, 16, 1, b);
	q.used->ring[0] = e;
	q.used->idx = jump;
	int ok = virtq_get(&q, &c, &len) == -1 && q.broken && !strcmp(q.broken, reason) &&
	         c == NULL && len == 12345 && q.num_free == 7 && q.cookie[0] == b &&
	         virtq_add(&q, (uint64_t)b, 16, 1, b) == -1 && virtq_get(&q, &c, &len) == -1;
	for (unsigned i = 0; i < sizeof canary; i++)
		ok = ok && canary[i] == 0x5a;
	return ok;
}

static const char *t_hostile(void)
{
	CHECK(hostile((struct virtq_used_elem){ 8, 0 }, 1, "used id out of range"));
	CHECK(hostile((struct virtq_used_elem){ 0xffffffff, 0 }, 1, "used id out of range"));
	CHECK(hostile((struct virtq_used_elem){ 1, 0 }, 1, "used id not in flight"));
	CHECK(hostile((struct virtq_used_elem){ 0, 17 }, 1, "used length longer than the buffers"));
	CHECK(hostile((struct virtq_used_elem){ 0, 0xffffffff }, 1,
	              "used length longer than the buffers"));
	CHECK(hostile((struct virtq_used_elem){ 0, 1 }, 2,
	              "used index ahead of the buffers in flight"));
	CHECK(hostile((struct virtq_used_elem){ 0, 1 }, 9,
	              "used index ahead of the buffers in flight"));
	CHECK(hostile((struct virtq_used_elem){ 0, 1 }, 0xffff,
	              "used index ahead of the buffers in flight"));
	/* the same id returned twice: the second time it is no longer in flight */
	static char b2[16];
	void *c;
	uint32_t len;
	setup(8);
	virtq_add(&q, (uint64_t)b2, 16, 1, b2);
	virtq_add(&q, (uint64_t)b2, 16, 1, b2);
	q.used->ring[0] = q.used->ring[1] = (struct virtq_used_elem){ 0, 16 };
	q.used->idx = 2;
	CHECK(virtq_get(&q, &c, &len) == 1 && c == b2);
	CHECK(virtq_get(&q, &c, &len) == -1 && !strcmp(q.broken, "used id not in flight"));
	/* random used entries never yield a buffer that was not in flight */
	srand(3);
	for (int i = 0; i < 100000; i++) {
		static char b[16];
		void *c = NULL;
		uint32_t len;
		setup(8);
		virtq_add(&q, (uint64_t)b, 16, 1, b);
		q.used->ring[0] =
			(struct virtq_used_elem){ (uint32_t)rand() % 12, (uint32_t)rand() % 20 };
		q.used->idx = (uint16_t)(rand() % 3);
		int r = virtq_get(&q, &c, &len);
		CHECK(r == -1 || r == 0 || (c == b && len <= 16));
	}
	return NULL;
}

/* The device can write the descriptor table too. It lengthens a buffer
 * there: the used length is still judged by what the driver posted. */
static const char *t_hostile_len(void)
{
	static char b[16];
	void *c;
	uint32_t len;
	setup(8);
	virtq_add(&q, (uint64_t)b, 16, 1, b);
	q.desc[0].len = 1 << 20;
	CHECK(dev_complete(1 << 20));
	CHECK(virtq_get(&q, &c, &len) == -1 &&
	      !strcmp(q.broken, "used length longer than the buffers"));
	setup(8);
	virtq_add(&q, (uint64_t)b, 16, 1, b);
	q.desc[0].len = 0; /* shortened: the posted 16 still holds */
	CHECK(dev_complete(16) && virtq_get(&q, &c, &len) == 1 && c == b && len == 16);
	return NULL;
}

/* It rewrites a chain's links, flags and lengths: the chain is still freed
 * whole, by the driver's links, and its length judged by the driver's. */
static const char *t_hostile_chain(void)
{
	static char h[16], d[512], st[1];
	struct vbuf b[3] = { { (uint64_t)h, 16, 0 },
		             { (uint64_t)d, 512, 1 },
		             { (uint64_t)st, 1, 1 } };
	void *c;
	uint32_t len;
	for (uint32_t used = 529; used <= 530; used++) {
		setup(4);
		CHECK(virtq_add_chain(&q, b, 3, h) == 0);
		for (int i = 0; i < 4; i++)
			q.desc[i] =
				(struct virtq_desc){ 0, 0xffffffff, 0, (uint16_t)(i ? 0 : 0xffff) };
		CHECK(dev_complete(used));
		if (used == 530) { /* 530 > 16+512+1 */
			CHECK(virtq_get(&q, &c, &len) == -1 && q.broken);
			break;
		}
		CHECK(virtq_get(&q, &c, &len) == 1 && c == h && len == 529 && q.num_free == 4);
		/* the free list is whole: all four descriptors can be posted again */
		for (int i = 0; i < 4; i++)
			CHECK(virtq_add(&q, (uint64_t)h, 16, 1, h) == 0);
	}
	return NULL;
}

/* It rewrites the links of free descriptors: the driver's free list is its
 * own, so every buffer posted gets a descriptor of its own. */
static const char *t_hostile_freelist(void)
{
	static char b[8][16];
	void *c;
	uint32_t len;
	setup(8);
	for (int round = 0; round < 3; round++) {
		CHECK(virtq_add(&q, (uint64_t)b[0], 16, 1, b[0]) == 0);
		for (int i = 0; i < 8; i++) /* every link to the one in flight */
			q.desc[i].next = q.avail->ring[(q.avail->idx - 1) & 7];
		for (int i = 1; i < 8; i++)
			CHECK(virtq_add(&q, (uint64_t)b[i], 16, 1, b[i]) == 0);
		unsigned seen = 0;
		for (uint16_t k = 0; k < 8; k++) {
			uint16_t head = q.avail->ring[(uint16_t)(q.avail->idx - 8 + k) & 7];
			CHECK(head < 8 && !(seen & 1u << head));
			seen |= 1u << head;
		}
		for (int i = 0; i < 8; i++)
			CHECK(dev_complete(16));
		for (int i = 0; i < 8; i++)
			CHECK(virtq_get(&q, &c, &len) == 1 && c == b[i] && len == 16);
		CHECK(q.num_free == 8 && !q.broken);
	}
	return NULL;
}

/* It rewrites the avail index: the driver publishes at its own next index
 * all the same, and decides kicks by it. */
static const char *t_hostile_avail(void)
{
	static char b[16];
	void *c;
	uint32_t len;
	setup(8);
	virtq_add(&q, (uint64_t)b, 16, 1, b);
	q.avail->idx = 5;
	CHECK(virtq_add(&q, (uint64_t)b, 16, 1, b + 1) == 0);
	CHECK(q.avail->idx == 2 && q.avail->ring[1] == 1);
	CHECK(virtq_kick_needed(&q) == 1 && q.kicked == 2);
	CHECK(dev_complete(16) && dev_complete(16));
	CHECK(virtq_get(&q, &c, &len) == 1 && c == b && virtq_get(&q, &c, &len) == 1 && c == b + 1);
	return NULL;
}

static const char *t_init(void)
{
	static char mem[1 << 16];
	CHECK(virtq_init(&q, 0, mem) == -1);
	CHECK(virtq_init(&q, 6, mem) == -1); /* not a power of two */
	return NULL;
}

/* 2.7.10: notify when the index moved past the event, wrap-around included. */
static const char *t_need_event(void)
{
	static const struct {
		uint16_t ev, nw, old;
		int want;
	} c[] = {
		{ 0, 1, 0, 1 },         { 1, 1, 0, 0 },         { 5, 10, 5, 1 },
		{ 9, 10, 5, 1 },        { 10, 10, 5, 0 },       { 4, 10, 5, 0 },
		{ 65535, 0, 65535, 1 }, { 65534, 1, 65535, 0 }, { 0, 1, 65535, 1 },
		{ 1, 1, 65535, 0 },     { 7, 7, 7, 0 },
	};
	for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++)
		CHECK(virtq_need_event(c[i].ev, c[i].nw, c[i].old) == c[i].want);
	static char b[4];
	setup(4);
	q.event_idx = 1;
	*(uint16_t *)&q.used->ring[q.size] = 3; /* the device wants to hear at 3 */
	for (int i = 0; i < 3; i++) {
		virtq_add(&q, (uint64_t)b, 4, 0, b);
		/* 0: the device had used all (none) it had, so it waits: kick;
		 * 1, 2: it still has buffer 0 and wants to hear at 3: not yet */
		CHECK(virtq_kick_needed(&q) == (i == 0));
	}
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1); /* idx 3 -> 4 passes 3 */
	/* several buffers between kicks: one kick covers them if they pass it */
	setup(8);
	q.event_idx = 1;
	*(uint16_t *)&q.used->ring[q.size] = 1;
	for (int i = 0; i < 3; i++)
		virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1); /* 0 -> 3 passes 1 */
	CHECK(virtq_kick_needed(&q) == 0); /* nothing new */
	/* the device used everything published before: kick even if the
	 * avail_event read is stale (the stall under TCG, docs/virtio.md) */
	setup(8);
	q.event_idx = 1;
	*(uint16_t *)&q.used->ring[q.size] = 0;
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1); /* 0 -> 1 passes 0 */
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 0); /* device still has buffer 0 */
	q.used->idx = 2;                   /* it used both, and saw no more */
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1); /* avail_event still 0: kick anyway */
	/* a host whose avail_event is exact (spore-kvm, polling): only as it says */
	virtq_exact_event = 1;
	q.used->idx = 3;
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 0); /* used all, avail_event 0 behind: none */
	*(uint16_t *)&q.used->ring[q.size] = 4;
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1); /* 4 -> 5 passes 4 */
	virtq_exact_event = 0;
	/* without EVENT_IDX: kick unless the device set NO_NOTIFY */
	setup(4);
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 1);
	q.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	virtq_add(&q, (uint64_t)b, 4, 0, b);
	CHECK(virtq_kick_needed(&q) == 0);
	return NULL;
}

static const char *t_chain(void)
{
	static char h[16], d[512], st[1];
	struct vbuf b[3] = { { (uint64_t)h, 16, 0 },
		             { (uint64_t)d, 512, 1 },
		             { (uint64_t)st, 1, 1 } };
	setup(4);
	CHECK(virtq_add_chain(&q, b, 3, h) == 0 && q.num_free == 1);
	CHECK(virtq_add_chain(&q, b, 3, h) == -1); /* not enough descriptors */
	uint16_t head = q.avail->ring[0];
	CHECK(q.desc[head].flags == VIRTQ_DESC_F_NEXT);
	CHECK((q.desc[q.desc[head].next].flags & VIRTQ_DESC_F_WRITE));
	CHECK(dev_complete(513));
	void *c;
	uint32_t len;
	CHECK(virtq_get(&q, &c, &len) == 1 && c == h && len == 513 && q.num_free == 4);
	CHECK(virtq_add_chain(&q, b, 3, h) == 0 && dev_complete(530)); /* 530 > 16+512+1 */
	CHECK(virtq_get(&q, &c, &len) == -1 && q.broken);
	return NULL;
}

/* RFC 1071 the slow way, for comparison: the one's complement sum, inverted. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet frame with IPv4 (ihl words of header) and a TCP segment of tcplen
 * bytes (payload bytes varied), checksum field 0; returns its length. */
static size_t tcp_frame(uint8_t *f, unsigned ihl, unsigned tcplen)
{
	size_t len = 14 + 4 * ihl + tcplen;
	memset(f, 0, len);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *tcp = ip + 4 * ihl;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[2] = (uint8_t)((4 * ihl + tcplen) >> 8);
	ip[3] = (uint8_t)(4 * ihl + tcplen);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	tcp[12] = 0x50;
	for (unsigned i = 20; i < tcplen; i++)
		tcp[i] = (uint8_t)(i * 7 + 3);
	return len;
}

static uint16_t ref_tcp(const uint8_t *f, unsigned l4, unsigned tcplen)
{
	uint8_t ph[12];
	memcpy(ph, f + 14 + 12, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)(tcplen >> 8), ph[11] = (uint8_t)tcplen;
	uint32_t s = (uint16_t)~ref_csum(ph, 12, 0);
	return ref_csum(f + l4, tcplen, s);
}

static const char *t_netcsum(void)
{
	static uint8_t f[70000];
	struct netcsum_tcp t;

	/* Partial, then completed as a device does: the reference checksum; then
	 * netcsum_ok accepts it and refuses any one byte changed. Odd lengths,
	 * IP options, a segment past 64 KiB of frame's worth of carries. */
	static const unsigned sizes[][2] = {
		{ 5, 20 }, { 5, 21 }, { 6, 1480 }, { 15, 1001 }, { 5, 65515 }
	};
	for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned ihl = sizes[k][0], tcplen = sizes[k][1];
		size_t len = tcp_frame(f, ihl, tcplen);
		CHECK(netcsum_classify(f, len, &t) == NETCSUM_TCP4 && t.l4 == 14 + 4 * ihl &&
		              t.l4len == tcplen,
		      "classify %u/%u", ihl, tcplen);
		uint16_t want = ref_tcp(f, t.l4, tcplen);
		netcsum_partial(f, &t);
		CHECK(netcsum_complete(f, len, t.l4, 16) == 0, "complete %u", tcplen);
		CHECK((f[t.l4 + 16] << 8 | f[t.l4 + 17]) == want, "%u: checksum %04x, want %04x",
		      tcplen, f[t.l4 + 16] << 8 | f[t.l4 + 17], want);
		CHECK(netcsum_ok(f, &t), "%u: right checksum refused", tcplen);
		f[t.l4 + tcplen - 1] ^= 0x10;
		CHECK(!netcsum_ok(f, &t), "%u: changed byte accepted", tcplen);
		f[t.l4 + tcplen - 1] ^= 0x10;
		f[14 + 15] ^= 1; /* the source address: in the pseudo-header */
		CHECK(!netcsum_ok(f, &t), "%u: changed address accepted", tcplen);
	}
	/* Ethernet padding after the IP packet is not summed. */
	size_t len = tcp_frame(f, 5, 20);
	netcsum_classify(f, len, &t);
	f[t.l4 + 16] = (uint8_t)(ref_tcp(f, t.l4, 20) >> 8);
	f[t.l4 + 17] = (uint8_t)ref_tcp(f, t.l4, 20);
	memset(f + len, 0xab, 6);
	CHECK(netcsum_classify(f, len + 6, &t) == NETCSUM_TCP4 && t.l4len == 20 &&
	              netcsum_ok(f, &t),
	      "padded frame");
	/* Malformed or not TCP/IPv4: never read past len. */
	struct {
		unsigned at;
		uint8_t v;
		size_t len;
		int want;
		const char *what;
	} bad[] = {
		{ 12, 0x81, 54, NETCSUM_OTHER, "VLAN tag" },
		{ 14, 0x44, 54, NETCSUM_OTHER, "ihl 4" },
		{ 14, 0x65, 54, NETCSUM_OTHER, "IPv6 version" },
		{ 14, 0x4f, 54, NETCSUM_OTHER, "ihl past the frame" },
		{ 17, 41, 54, NETCSUM_OTHER, "total length past the frame" },
		{ 17, 19, 54, NETCSUM_OTHER, "total length under ihl" },
		{ 17, 39, 54, NETCSUM_OTHER, "TCP shorter than its header" },
		{ 23, 17, 54, NETCSUM_OTHER, "UDP" },
		{ 20, 0x20, 54, NETCSUM_FRAG, "more fragments" },
		{ 21, 0x01, 54, NETCSUM_FRAG, "fragment offset" },
		{ 12, 0x08, 33, NETCSUM_OTHER, "shorter than an IP header" },
	};
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		uint8_t *g = malloc(bad[k].len); /* exactly: ASan sees a read past it */
		tcp_frame(f, 5, 20);
		f[bad[k].at] = bad[k].v;
		memcpy(g, f, bad[k].len);
		int r = netcsum_classify(g, bad[k].len, &t);
		free(g);
		CHECK(r == bad[k].want, "%s: %d", bad[k].what, r);
	}
	CHECK(netcsum_complete(f, 54, 50, 3) == -1 && netcsum_complete(f, 54, 50, 2) == 0 &&
	              netcsum_complete(f, 54, 0xffff, 0xffff) == -1,
	      "complete: a field outside the frame");
	return NULL;
}

/* A segment of lwIP's: seq, pay bytes of payload, TCP flags; its length. */
static size_t seg(uint8_t *f, uint32_t seq, unsigned pay, uint8_t flags)
{
	size_t len = tcp_frame(f, 5, 20 + pay);
	uint8_t *tcp = f + 34;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8), tcp[7] = (uint8_t)seq;
	tcp[13] = flags;
	tcp[14] = 0x10; /* window */
	for (unsigned i = 0; i < pay; i++)
		tcp[20 + i] = (uint8_t)(seq + i); /* the stream's bytes: joined, they run on */
	return len;
}

/* seg() with the ack's low byte (the rest 0). */
static size_t sega(uint8_t *f, uint32_t seq, unsigned pay, uint8_t flags, uint8_t ack)
{
	size_t len = seg(f, seq, pay, flags);
	f[45] = ack;
	return len;
}

static const char *t_netcoal(void)
{
	static uint8_t held[70000], f[2000];
	struct netcoal c = { .f = held, .cap = 65535 };
	struct netcsum_tcp t;
	unsigned gso;
	size_t len;

	/* 1000, 1000, a short 500, then 1000 again: one stream, which the host cuts
	 * at the longest payload joined. */
	len = seg(f, 5000, 1000, 0x10);
	CHECK(netcoal_start(&c, f, len) && c.mss == 1000 && c.hdr == 54, "start");
	len = seg(f, 6000, 1000, 0x10);
	CHECK(netcoal_append(&c, f, len), "second segment");
	len = seg(f, 7000, 500, 0x10);
	CHECK(netcoal_append(&c, f, len), "short segment");
	len = seg(f, 7500, 1000, 0x10);
	CHECK(netcoal_append(&c, f, len), "a segment after a short one");
	CHECK(c.nseg == 4 && c.len == 54 + 3500, "%u segments, %u bytes", c.nseg, c.len);
	uint32_t total = c.len;
	netcoal_finish(&c, &gso);
	CHECK(gso == 1000 && c.len == 0, "gso_size %u", gso);
	CHECK((held[16] << 8 | held[17]) == 40 + 3500, "IP length");
	CHECK(ref_csum(held + 14, 20, 0) == 0, "IP header checksum");
	for (unsigned i = 0; i < 3500; i++)
		CHECK(held[54 + i] == (uint8_t)(5000 + i), "byte %u of the stream", i);
	CHECK(netcsum_classify(held, total, &t) == NETCSUM_TCP4 && t.l4len == 3520, "classify");
	CHECK(netcsum_complete(held, total, 34, 16) == 0 && netcsum_ok(held, &t),
	      "the joined segment's checksum");
	/* A short first segment: the cut is the longest that joins after it. */
	netcoal_start(&c, f, seg(f, 1, 300, 0x10));
	CHECK(netcoal_append(&c, f, seg(f, 301, 1000, 0x10)) && c.mss == 1000, "mss %u", c.mss);
	netcoal_finish(&c, &gso);
	CHECK(gso == 1000, "gso_size %u after a short first segment", gso);
	/* One segment: no GSO. */
	len = seg(f, 1, 300, 0x10);
	CHECK(netcoal_start(&c, f, len), "start");
	netcoal_finish(&c, &gso);
	CHECK(gso == 0, "one segment: gso_size %u", gso);
	/* PSH neither ends the burst nor stays off it: it goes on the frame (the last
	 * segment the host cuts). */
	CHECK(netcoal_start(&c, f, seg(f, 100, 1000, 0x18)), "a pushed segment held");
	CHECK(netcoal_append(&c, f, seg(f, 1100, 1000, 0x10)) && (held[34 + 13] & 0x08),
	      "PSH kept after an unpushed segment");
	netcoal_finish(&c, &gso);
	netcoal_start(&c, f, seg(f, 100, 1000, 0x10));
	CHECK(netcoal_append(&c, f, seg(f, 1100, 1000, 0x18)) && (held[34 + 13] & 0x08), "PSH");
	CHECK(netcoal_append(&c, f, seg(f, 2100, 1000, 0x10)), "a segment after PSH");
	CHECK(held[34 + 13] == 0x18, "flags %#x", held[34 + 13]);
	netcoal_finish(&c, &gso);
	/* The ack and the window: the newest go on the frame; an older ack never joins. */
	netcoal_start(&c, f, seg(f, 1, 1000, 0x10));
	len = seg(f, 1001, 1000, 0x10);
	f[45] = 7, f[48] = 0x20;
	CHECK(netcoal_append(&c, f, len) && held[45] == 7 && held[48] == 0x20,
	      "a newer ack and window");
	len = seg(f, 2001, 1000, 0x10);
	f[45] = 6;
	CHECK(!netcoal_append(&c, f, len), "an older ack joined");
	len = seg(f, 2001, 1000, 0x10);
	f[42] = 0xff, f[43] = 0xff, f[44] = 0xff, f[45] = 0xf0;
	CHECK(!netcoal_append(&c, f, len), "an ack 16 behind, across 2^32, joined");
	netcoal_finish(&c, &gso);
	/* What never starts. */
	static const struct {
		unsigned at;
		uint8_t v;
		const char *what;
	} nostart[] = {
		{ 34 + 13, 0x12, "SYN" }, { 34 + 13, 0x11, "FIN" },    { 34 + 13, 0x14, "RST" },
		{ 34 + 13, 0x30, "URG" }, { 34 + 13, 0x00, "no ACK" }, { 14, 0x46, "IP options" },
		{ 23, 17, "UDP" },        { 20, 0x20, "a fragment" },
	};
	for (unsigned k = 0; k < sizeof(nostart) / sizeof(nostart[0]); k++) {
		len = seg(f, 1, 1000, 0x10);
		f[nostart[k].at] = nostart[k].v;
		CHECK(!netcoal_start(&c, f, len), "%s held", nostart[k].what);
	}
	len = seg(f, 1, 0, 0x10);
	CHECK(!netcoal_start(&c, f, len), "a bare ACK held");
	/* A bare ACK held for the flow's next data, which takes its place: one frame,
	 * the data's payload, the newest ack; alone it goes out as it came. Held only
	 * when it acks more of the flow than the last segment seen (ack 2 here). */
	netcoal_start(&c, f, sega(f, 800, 100, 0x10, 2));
	netcoal_finish(&c, &gso);
	len = sega(f, 900, 0, 0x10, 3);
	CHECK(netcoal_start_ack(&c, f, len) && c.bare && c.nseg == 0 && c.len == 54,
	      "a bare ACK held for data");
	CHECK(!netcoal_append(&c, f, sega(f, 900, 0, 0x10, 3)),
	      "a second bare ACK joined the first");
	CHECK(!netcoal_append(&c, f, sega(f, 901, 1000, 0x10, 3)), "data at another seq joined");
	len = sega(f, 900, 1000, 0x18, 4);
	CHECK(netcoal_append(&c, f, len) && !c.bare && c.nseg == 1 && c.len == 54 + 1000 &&
	              held[45] == 4 && held[34 + 13] == 0x18,
	      "data took the bare ACK's place");
	netcoal_finish(&c, &gso);
	CHECK(gso == 0 && held[54] == (uint8_t)900 && (held[16] << 8 | held[17]) == 40 + 1000,
	      "one segment of data: gso_size %u", gso);
	CHECK(netcoal_start_ack(&c, f, sega(f, 1900, 0, 0x10, 5)) &&
	              netcoal_append(&c, f, sega(f, 1900, 1000, 0x10, 5)) &&
	              netcoal_append(&c, f, sega(f, 2900, 1000, 0x10, 5)),
	      "data after a held ACK and more");
	netcoal_finish(&c, &gso);
	CHECK(gso == 1000, "gso_size %u after a held ACK", gso);
	CHECK(netcoal_start_ack(&c, f, sega(f, 3900, 0, 0x10, 6)), "a bare ACK held");
	netcoal_finish(&c, &gso);
	CHECK(gso == 0 && !c.bare && ref_csum(held + 14, 20, 0) == 0 &&
	              netcsum_classify(held, 54, &t) == NETCSUM_TCP4 &&
	              netcsum_complete(held, 54, 34, 16) == 0 && netcsum_ok(held, &t),
	      "a bare ACK alone, whole");
	/* A duplicate ACK (the last ack again), an older one, another flow's: sent. */
	CHECK(!netcoal_start_ack(&c, f, sega(f, 3900, 0, 0x10, 6)), "a duplicate ACK held");
	CHECK(!netcoal_start_ack(&c, f, sega(f, 3900, 0, 0x10, 5)), "an older ACK held");
	len = sega(f, 3900, 0, 0x10, 9);
	f[37] ^= 1;
	CHECK(!netcoal_start_ack(&c, f, len), "a bare ACK of another flow held");
	CHECK(!netcoal_start_ack(&c, f, sega(f, 3900, 0, 0x10, 10)), "held after a flow change");
	CHECK(netcoal_start_ack(&c, f, sega(f, 3900, 0, 0x10, 11)), "not held again");
	netcoal_finish(&c, &gso);
	netcoal_seen(&c, f, sega(f, 3900, 100, 0x10, 12)); /* sent alone: no room to hold it */
	CHECK(!netcoal_start_ack(&c, f, sega(f, 4000, 0, 0x10, 12)),
	      "a duplicate of a seen ack held");
	netcoal_seen(&c, f, sega(f, 4000, 0, 0x10, 13));
	CHECK(!netcoal_start_ack(&c, f, sega(f, 4000, 0, 0x10, 13)),
	      "a duplicate of a seen ACK held");
	netcoal_seen(&c, f, seg(f, 4000, 0, 0x11)); /* FIN: not a segment netcoal takes */
	CHECK(netcoal_start_ack(&c, f, sega(f, 4000, 0, 0x10, 14)), "a newer ACK not held");
	netcoal_finish(&c, &gso);
	static const struct {
		unsigned at;
		uint8_t v;
		const char *what;
	} noack[] = {
		{ 34 + 13, 0x18, "PSH" }, { 34 + 13, 0x11, "FIN" },   { 34 + 13, 0x12, "SYN" },
		{ 34 + 13, 0x14, "RST" }, { 14, 0x46, "IP options" },
	};
	for (unsigned k = 0; k < sizeof(noack) / sizeof(noack[0]); k++) {
		len = seg(f, 1, 0, 0x10);
		f[noack[k].at] = noack[k].v;
		CHECK(!netcoal_start_ack(&c, f, len), "a bare ACK with %s held", noack[k].what);
	}
	len = tcp_frame(f, 5, 24); /* an option (SACK's room): a duplicate ACK may carry it */
	f[34 + 12] = 6 << 4, f[34 + 13] = 0x10;
	CHECK(!netcoal_start_ack(&c, f, len), "a bare ACK with an option held");
	CHECK(!netcoal_start_ack(&c, f, seg(f, 1, 10, 0x10)), "a segment with data held as bare");
	len = seg(f, 1, 1000, 0x10);
	CHECK(!netcoal_start(&c, f, len + 6), "a padded frame held");
	/* What never joins: each against a held 1000-byte segment at 1. */
	static const struct {
		unsigned at;
		uint8_t v;
		const char *what;
	} nojoin[] = {
		{ 0, 0x77, "another destination MAC" },
		{ 15, 0x10, "another TOS" },
		{ 22, 63, "another TTL" },
		{ 29, 9, "another source address" },
		{ 33, 9, "another destination address" },
		{ 35, 9, "another source port" },
		{ 37, 9, "another destination port" },
		{ 46, 0x40, "another data offset" },
		{ 52, 0x1, "another urgent pointer" },
		{ 34 + 13, 0x11, "FIN" },
		{ 34 + 13, 0x12, "SYN" },
	};
	for (unsigned k = 0; k < sizeof(nojoin) / sizeof(nojoin[0]); k++) {
		netcoal_start(&c, f, seg(f, 1, 1000, 0x10));
		len = seg(f, 1001, 1000, 0x10);
		f[nojoin[k].at] ^= nojoin[k].v;
		CHECK(!netcoal_append(&c, f, len), "%s joined", nojoin[k].what);
		netcoal_finish(&c, &gso);
	}
	netcoal_start(&c, f, seg(f, 1, 1000, 0x10));
	CHECK(!netcoal_append(&c, f, seg(f, 1002, 1000, 0x10)), "a sequence gap joined");
	CHECK(!netcoal_append(&c, f, seg(f, 1, 1000, 0x10)), "a retransmission joined");
	CHECK(netcoal_append(&c, f, seg(f, 1001, 1400, 0x10)) && c.mss == 1400,
	      "a longer segment: joined, the cut %u", c.mss);
	netcoal_finish(&c, &gso);
	netcoal_start(&c, f, seg(f, 1, 1000, 0x10));
	/* 64 KiB: up to an IP length of 65535, not past. */
	uint32_t next = 1001;
	while (netcoal_append(&c, f, seg(f, next, 1000, 0x10)))
		next += 1000;
	CHECK(c.len - 14 <= 65535 && c.len - 14 + 1000 > 65535, "stopped at %u bytes", c.len);
	netcoal_finish(&c, &gso);
	CHECK(!netcoal_append(&c, f, seg(f, next, 1000, 0x10)), "joined with nothing held");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_chain, "virtq_chain" },
	{ t_need_event, "virtq_event_idx" },
	{ t_init, "virtq_init" },
	{ t_roundtrip, "virtq_roundtrip" },
	{ t_wrap, "virtq_wraparound" },
	{ t_hostile, "virtq_hostile_used" },
	{ t_hostile_len, "virtq_hostile_desc_len" },
	{ t_hostile_chain, "virtq_hostile_desc_chain" },
	{ t_hostile_freelist, "virtq_hostile_desc_freelist" },
	{ t_hostile_avail, "virtq_hostile_avail_idx" },
	{ t_netcsum, "netcsum" },
	{ t_netcoal, "netcoal" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
