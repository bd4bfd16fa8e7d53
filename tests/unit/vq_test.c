// SPDX-License-Identifier: MIT
/* Host unit tests for the monitor's virtio device side with hostile guests: the
 * virtqueue (monitor/vq.c): buffers past RAM and wrapping 2^64, chains that loop or
 * link out of the table, indirect descriptors, avail indices that jump, misaligned
 * rings; EVENT_IDX both ways; the sticky broken state. The virtio-mmio registers
 * (monitor/vmmio.c): negotiation, queue set-up, refusals, reset. Guest RAM is a malloc'd block of
 * exactly its size, so ASan sees any access past it. `vq_test [NAME-FILTER]`. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"
#include "unit.h"
#include "virtio_reg.h"

#define MEM   (256 * 1024) /* room for receive buffers of a 64 KiB frame */
#define QS    8
#define DESC  0x1000 /* the rings in guest RAM */
#define AVAIL 0x2000
#define USED  0x3000
#define BUF   0x8000 /* buffers from here */

static uint8_t *mem;

/* The guest's side, written plainly into RAM. */
static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };
	memcpy(mem + DESC + 16 * i, &d, 16);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, mem + gpa, 2);
	return v;
}

static void put16(uint64_t gpa, uint16_t v) { memcpy(mem + gpa, &v, 2); }

/* Makes head the next avail entry and publishes it. */
static void offer(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);
	put16(AVAIL + 4 + 2 * (idx % QS), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
}

static void fresh(struct vq *q, int event_idx)
{
	memset(mem, 0, MEM);
	if (vq_setup(q, mem, MEM, QS, DESC, AVAIL, USED, event_idx) < 0) {
		fprintf(stderr, "vq_setup failed: %s\n", q->broken);
		exit(1);
	}
}

static struct vq_chain ch;

static const char *t_chain(void)
{
	struct vq q;

	fresh(&q, 0);
	desc(3, BUF, 12, VIRTQ_DESC_F_NEXT, 5);
	desc(5, BUF + 100, 30, VIRTQ_DESC_F_NEXT, 0);
	desc(0, BUF + 200, 2000, VIRTQ_DESC_F_WRITE, 0);
	CHECK(vq_pop(&q, &ch) == 0, "empty queue popped");
	offer(3);
	CHECK(vq_pop(&q, &ch) == 1, "pop: %s", q.broken);
	CHECK(ch.head == 3 && ch.n == 3 && ch.rlen == 42 && ch.wlen == 2000, "chain shape");
	CHECK(ch.seg[0].p == mem + BUF && ch.seg[2].p == mem + BUF + 200 && ch.seg[2].write,
	      "segments");
	CHECK(vq_pop(&q, &ch) == 0, "popped twice");
	vq_push(&q, 3, 1500);
	CHECK(get16(USED + 2) == 1, "used idx %u", get16(USED + 2));
	uint32_t el[2];
	memcpy(el, mem + USED + 4, 8);
	CHECK(el[0] == 3 && el[1] == 1500, "used element %u %u", el[0], el[1]);
	CHECK(vq_need_irq(&q) == 1, "no interrupt without NO_INTERRUPT");
	CHECK(vq_need_irq(&q) == 0, "interrupt for nothing new");
	return NULL;
}

static const char *t_read_write(void)
{
	struct vq q;
	uint8_t out[64], in[64];

	fresh(&q, 0);
	for (int i = 0; i < 64; i++)
		mem[BUF + i] = (uint8_t)i;
	desc(0, BUF, 5, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF + 5, 20, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 1000, 7, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	desc(3, BUF + 2000, 50, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == 1, "pop: %s", q.broken);
	CHECK(vq_read(&ch, 3, out, 64) == 22, "read past the readable part");
	for (int i = 0; i < 22; i++)
		CHECK(out[i] == i + 3, "read byte %d", i);
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)(0x80 + i);
	CHECK(vq_write(&ch, 4, in, 64) == 53, "write past the writable part");
	CHECK(mem[BUF + 1004] == 0x80 && mem[BUF + 1006] == 0x82 && mem[BUF + 2000] == 0x83 &&
	              mem[BUF + 2049] == 0x80 + 52,
	      "write landed wrong");
	CHECK(mem[BUF + 1000] == 0 && mem[BUF + 2050] == 0, "write outside its range");
	return NULL;
}

/* Each a guest mistake or attack that must mark the queue broken, with its reason. */
static const char *t_hostile(void)
{
	static const struct {
		const char *name, *want;
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next, head, idx;
	} c[] = {
		{ "past RAM", "outside", MEM - 4, 8, 0, 0, 0, 1 },
		{ "wraps 2^64", "outside", UINT64_MAX - 3, 8, 0, 0, 0, 1 },
		{ "huge length", "outside", BUF, UINT32_MAX, 0, 0, 0, 1 },
		{ "at the top", "outside", MEM, 1, 0, 0, 0, 1 },
		{ "indirect", "indirect", BUF, 16, 4, 0, 0, 1 },
		{ "link out", "link", BUF, 16, VIRTQ_DESC_F_NEXT, QS, 0, 1 },
		{ "self loop", "loop", BUF, 16, VIRTQ_DESC_F_NEXT, 0, 0, 1 },
		{ "head out", "not a descriptor", BUF, 16, 0, 0, QS, 1 },
		{ "head 0xffff", "not a descriptor", BUF, 16, 0, 0, 0xffff, 1 },
		{ "idx jump", "ahead", BUF, 16, 0, 0, 0, QS + 1 },
		{ "idx back", "ahead", BUF, 16, 0, 0, 0, 0xffff },
	};
	struct vq q;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fresh(&q, 0);
		desc(0, c[i].addr, c[i].len, c[i].flags, c[i].next);
		put16(AVAIL + 4, c[i].head);
		put16(AVAIL + 2, c[i].idx);
		CHECK(vq_pop(&q, &ch) == -1, "%s: accepted", c[i].name);
		CHECK(q.broken && strstr(q.broken, c[i].want), "%s: reason %s", c[i].name,
		      q.broken);
	}
	/* A two-descriptor loop and a full-length ring loop. */
	fresh(&q, 0);
	desc(0, BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF, 1, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == -1 && strstr(q.broken, "loop"), "2-loop: %s", q.broken);
	fresh(&q, 0);
	for (unsigned i = 0; i < QS; i++)
		desc(i, BUF, 1, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QS));
	offer(0);
	CHECK(vq_pop(&q, &ch) == -1 && strstr(q.broken, "loop"), "ring loop: %s", q.broken);
	/* The longest legal chain: the whole table. */
	fresh(&q, 0);
	for (unsigned i = 0; i < QS; i++)
		desc(i, BUF + i, 1, i + 1 < QS ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(0);
	CHECK(vq_pop(&q, &ch) == 1 && ch.n == QS, "full-table chain refused: %s", q.broken);
	/* Readable after writable. */
	fresh(&q, 0);
	desc(0, BUF, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, BUF, 1, 0, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == -1 && strstr(q.broken, "after"), "order: %s", q.broken);
	/* The last byte of RAM is fine. */
	fresh(&q, 0);
	desc(0, MEM - 1, 1, 0, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == 1 && ch.seg[0].p == mem + MEM - 1, "last byte: %s", q.broken);
	return NULL;
}

/* Once broken, nothing: not even after the guest repairs the ring. */
static const char *t_sticky(void)
{
	struct vq q;

	fresh(&q, 1);
	desc(0, UINT64_MAX, 2, 0, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == -1, "bad buffer accepted");
	const char *reason = q.broken;
	desc(0, BUF, 2, 0, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == -1 && q.broken == reason, "repaired queue came back");
	vq_push(&q, 0, 1);
	CHECK(get16(USED + 2) == 0, "push on a broken queue");
	CHECK(vq_need_irq(&q) == 0 && vq_arm(&q) == -1, "broken queue still signals");
	return NULL;
}

static const char *t_setup(void)
{
	static const struct {
		uint16_t size;
		uint64_t d, a, u;
		int ok;
	} c[] = {
		{ 8, DESC, AVAIL, USED, 1 },
		{ 0, DESC, AVAIL, USED, 0 },
		{ 6, DESC, AVAIL, USED, 0 },
		{ 512, DESC, AVAIL, USED, 0 },
		{ 8, DESC + 8, AVAIL, USED, 0 },
		{ 8, DESC, AVAIL + 1, USED, 0 },
		{ 8, DESC, AVAIL, USED + 2, 0 },
		{ 8, MEM - 128, AVAIL, USED, 1 }, /* the table ends at RAM's end */
		{ 8, MEM - 112, AVAIL, USED, 0 },
		{ 8, DESC, MEM - 22, USED, 1 },
		{ 8, DESC, MEM - 20, USED, 0 },
		{ 8, DESC, AVAIL, MEM - 68, 0 },
		{ 8, DESC, AVAIL, MEM - 72, 1 }, /* 70 bytes: ends 2 short */
		{ 8, UINT64_MAX - 15, AVAIL, USED, 0 },
		{ 8, DESC, UINT64_MAX - 1, USED, 0 },
		{ 8, DESC, AVAIL, UINT64_MAX - 3, 0 },
	};
	struct vq q;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int ok = vq_setup(&q, mem, MEM, c[i].size, c[i].d, c[i].a, c[i].u, 1) == 0;
		CHECK(ok == c[i].ok && (ok || q.broken), "case %zu: %s", i,
		      ok ? "accepted" : q.broken);
		CHECK(ok || vq_pop(&q, &ch) == -1, "case %zu: broken queue pops", i);
	}
	return NULL;
}

/* EVENT_IDX (2.7.10) both ways: used_event decides our interrupts, avail_event is
 * what we ask of the guest before sleeping. */
static const char *t_event_idx(void)
{
	struct vq q;
	const uint64_t used_event = AVAIL + 4 + 2 * QS, avail_event = USED + 4 + 8 * QS;

	fresh(&q, 1);
	for (unsigned i = 0; i < QS; i++)
		desc(i, BUF + 16 * i, 16, VIRTQ_DESC_F_WRITE, 0);
	put16(used_event, 2); /* interrupt me when used idx passes 2 */
	for (unsigned i = 0; i < 4; i++)
		offer((uint16_t)i);
	CHECK(vq_arm(&q) == 1, "arm missed the pending entries");
	CHECK(get16(avail_event) == 0, "avail_event %u", get16(avail_event));
	for (unsigned i = 0; i < 2; i++) {
		CHECK(vq_pop(&q, &ch) == 1, "pop %u", i);
		vq_push(&q, ch.head, 16);
	}
	CHECK(vq_need_irq(&q) == 0, "interrupt before used_event");
	CHECK(vq_pop(&q, &ch) == 1, "pop 3");
	vq_push(&q, ch.head, 16);
	CHECK(vq_need_irq(&q) == 1, "no interrupt at used_event");
	CHECK(vq_pop(&q, &ch) == 1, "pop 4");
	vq_push(&q, ch.head, 16);
	CHECK(vq_need_irq(&q) == 0, "interrupt past used_event (guest has not asked again)");
	put16(used_event, 4);
	CHECK(vq_need_irq(&q) == 0, "interrupt for nothing new");
	CHECK(vq_arm(&q) == 0, "arm saw entries that are not there");
	CHECK(get16(avail_event) == 4, "avail_event %u, want 4", get16(avail_event));
	vq_quiet(&q); /* one behind what was taken: no kick for the next entries */
	CHECK(get16(avail_event) == 3, "quiet: avail_event %u, want 3", get16(avail_event));
	CHECK(vq_arm(&q) == 0 && get16(avail_event) == 4, "arm after quiet");
	/* Without EVENT_IDX: NO_INTERRUPT and NO_NOTIFY. */
	fresh(&q, 0);
	desc(0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(vq_pop(&q, &ch) == 1, "pop");
	vq_push(&q, 0, 1);
	CHECK(vq_need_irq(&q) == 0, "interrupt despite NO_INTERRUPT");
	vq_quiet(&q);
	CHECK(get16(USED) == VIRTQ_USED_F_NO_NOTIFY, "quiet did not set NO_NOTIFY");
	CHECK(vq_arm(&q) == 0 && get16(USED) == 0, "arm did not clear NO_NOTIFY");
	return NULL;
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 11 ^ *s << 29;
}

/* Random descriptor tables and indices: every segment handed out lies inside RAM
 * (ASan checks the rest), chains are at most QS long, broken is sticky. */
static const char *t_random(void)
{
	struct vq q;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (int round = 0; round < 3000; round++) {
		fresh(&q, round & 1);
		for (unsigned i = 0; i < QS; i++) {
			uint64_t r1 = rnd(&seed), r2 = rnd(&seed);
			/* mostly near RAM's end and small lengths, sometimes anything */
			uint64_t addr = r1 % 4 ? r2 % (MEM + 64) : r2;
			uint32_t len = r1 % 8 ? (uint32_t)(r1 >> 8) % 4096 : (uint32_t)(r1 >> 32);
			desc(i, addr, len, (uint16_t)(r1 >> 40) % 8,
			     (uint16_t)((r1 >> 48) % (QS + 1)));
			put16(AVAIL + 4 + 2 * i, (uint16_t)(r2 >> 48) % (QS + 1));
		}
		put16(AVAIL + 2, (uint16_t)(rnd(&seed) % (QS + 2)));
		int broken = 0;
		for (int k = 0; k < 12; k++) {
			int r = vq_pop(&q, &ch);
			CHECK(!broken || r == -1, "round %d: broken queue came back", round);
			if (r < 0) {
				broken = 1;
				continue;
			}
			if (r == 0)
				break;
			CHECK(ch.n >= 1 && ch.n <= QS && ch.head < QS, "round %d: chain of %u",
			      round, ch.n);
			for (unsigned s = 0; s < ch.n; s++) {
				uint8_t *p = ch.seg[s].p;
				CHECK(p >= mem && p <= mem + MEM &&
				              ch.seg[s].len <= (uint64_t)(mem + MEM - p),
				      "round %d: segment outside RAM", round);
				if (ch.seg[s].len)
					p[ch.seg[s].len - 1] ^= 0; /* ASan: the last byte is ours */
			}
			vq_push(&q, ch.head, (uint32_t)ch.wlen);
			vq_need_irq(&q);
		}
	}
	return NULL;
}

/* vmmio.c's messages (main.c's msg in the monitor): kept for the checks. */
static char last_msg[200];

void msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
}

static uint32_t rd(struct vdev *d, unsigned off)
{
	uint32_t v;
	vmmio_access(d, off, (uint8_t *)&v, 4, 0);
	return v;
}

static void wr(struct vdev *d, unsigned off, uint32_t v)
{
	vmmio_access(d, off, (uint8_t *)&v, 4, 1);
}

static void new_dev(struct vdev *d)
{
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };

	memset(mem, 0, MEM);
	*d = (struct vdev){
		.mem = mem, .mem_size = MEM, .ctl = -1, .irqfd = -1, .kick = { -1, -1 }
	};
	pthread_mutex_init(&d->lock, NULL);
	vnet_init(d, -1, "tap9", mac, 0); /* MTU unknown: no F_MTU */
}

/* The driver's side of spec 3.1.1 and 4.2.3.2 for queue q at (desc, avail, used). */
static void setup_queue(struct vdev *d, unsigned q, uint64_t desc_a, uint64_t avail_a,
                        uint64_t used_a)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, QS);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_a);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_a >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail_a);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail_a >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_a);
	wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used_a >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static const char *t_mmio(void)
{
	static struct vdev d;
	uint8_t b[4];

	new_dev(&d);
	CHECK(rd(&d, VIRTIO_MMIO_MAGIC) == VIRTIO_MMIO_MAGIC_VALUE &&
	              rd(&d, VIRTIO_MMIO_VERSION) == 2 &&
	              rd(&d, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_NET,
	      "identity");
	wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) == 1, "VERSION_1 not offered");
	wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) == 0, "feature word 7");
	vmmio_access(&d, VIRTIO_MMIO_CONFIG, b, 4, 0);
	CHECK(b[0] == 2 && b[3] == 3, "MAC in the config space");
	vmmio_access(&d, VIRTIO_MMIO_CONFIG + 6, b, 1, 0);
	CHECK(b[0] == 1, "link status");
	vmmio_access(&d, VIRTIO_MMIO_CONFIG + 0xf0, b, 4, 0);
	CHECK(!b[0] && !b[3], "past the config space");
	vmmio_access(&d, VIRTIO_MMIO_MAGIC + 1, b, 2, 0);
	CHECK(!b[0] && !b[1], "unaligned register read");
	/* 3.1.1 step 5: a feature not offered, or no VERSION_1, is refused. */
	for (int k = 0; k < 3; k++) {
		wr(&d, VIRTIO_MMIO_STATUS, 0);
		wr(&d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, k == 0 ? 1u << 2 : 1u << VIRTIO_F_EVENT_IDX);
		wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, k == 1 ? 0 : 1);
		wr(&d, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		int ok = !!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
		CHECK(ok == (k == 2), "negotiation %d: FEATURES_OK %d", k, ok);
	}
	/* A queue size that would wrap 16 bits into 8 is refused. */
	wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&d, VIRTIO_MMIO_QUEUE_NUM, 0x10000 + QS);
	wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr(&d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	wr(&d, VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(rd(&d, VIRTIO_MMIO_QUEUE_READY) == 0, "queue size 0x10008 taken as 8");
	wr(&d, VIRTIO_MMIO_STATUS, 0);
	/* Queues: the receive queue's used ring outside RAM is refused at QUEUE_READY. */
	setup_queue(&d, 0, DESC, AVAIL, MEM - 8);
	CHECK(rd(&d, VIRTIO_MMIO_QUEUE_READY) == 0 && strstr(last_msg, "outside guest RAM"),
	      "bad ring accepted: %s", last_msg);
	CHECK(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "no NEEDS_RESET");
	wr(&d, VIRTIO_MMIO_STATUS, 0x0f);
	CHECK(!d.live, "live after a refused queue");
	/* Reset, then properly. */
	wr(&d, VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(&d, VIRTIO_MMIO_STATUS) == 0 && !d.live, "reset");
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0b);
	setup_queue(&d, 0, DESC, AVAIL, USED);
	setup_queue(&d, 1, DESC + 0x800, AVAIL + 0x800, USED + 0x800);
	CHECK(rd(&d, VIRTIO_MMIO_QUEUE_READY) == 1, "queue 1 not ready: %s", last_msg);
	wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x100); /* ignored while ready */
	CHECK(d.qcfg[1].desc == DESC + 0x800, "ring moved under a live queue");
	wr(&d, VIRTIO_MMIO_QUEUE_SEL, 5);
	CHECK(rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "queue 5 exists");
	wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0f);
	CHECK(d.live, "not live after DRIVER_OK");
	vmmio_irq(&d);
	CHECK(rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS) == 1, "interrupt status");
	wr(&d, VIRTIO_MMIO_INTERRUPT_ACK, 1);
	CHECK(rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS) == 0, "ack");
	wr(&d, VIRTIO_MMIO_STATUS, 0);
	CHECK(!d.live && d.q[0].desc == NULL && d.qcfg[1].ready == 0, "reset left queues live");
	return NULL;
}

/* virtio-net's I/O (vnet.c) with a datagram socket pair as the tap: frames keep
 * their boundaries. Queue 0 (receive) at DESC/AVAIL/USED, queue 1 (transmit) 0x800
 * above; buffers from BUF. */
static const char *t_vnet(void)
{
	static struct vdev d;
	int sv[2];
	uint8_t frame[100], got[200];
	uint32_t el[2];
	uint64_t n;

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	new_dev(&d);
	vnet_init(&d, sv[0], "tap9", (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 0);
	d.irqfd = eventfd(0, EFD_NONBLOCK);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_MAC);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0b);
	setup_queue(&d, 0, DESC, AVAIL, USED);
	setup_queue(&d, 1, DESC + 0x800, AVAIL + 0x800, USED + 0x800);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0f);
	CHECK(d.live, "not live");
	/* Transmit: a 12-byte header and 60 bytes in two descriptors; a runt. The tap
	 * gets a header too (IFF_VNET_HDR), all zero: no offload was negotiated. */
	for (int i = 0; i < 100; i++)
		mem[BUF + i] = (uint8_t)i;
	memset(mem + BUF, 0, 12);
	memcpy(mem + DESC + 0x800, &(struct virtq_desc){ BUF, 20, VIRTQ_DESC_F_NEXT, 1 }, 16);
	memcpy(mem + DESC + 0x810, &(struct virtq_desc){ BUF + 20, 52, 0, 0 }, 16);
	memcpy(mem + DESC + 0x820, &(struct virtq_desc){ BUF, 20, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4, 0);
	put16(AVAIL + 0x800 + 6, 2);
	put16(AVAIL + 0x800 + 2, 2);
	vnet_serve(&d, 0);
	CHECK(recv(sv[1], got, sizeof(got), 0) == 72 && got[12] == 12 && got[71] == 71 &&
	              !memcmp(got, (uint8_t[12]){ 0 }, 12),
	      "sent frame");
	CHECK(recv(sv[1], got, sizeof(got), 0) < 0, "the runt went out");
	CHECK(get16(USED + 0x800 + 2) == 2, "transmit used idx %u", get16(USED + 0x800 + 2));
	CHECK(get16(USED + 0x800 + 4 + 8 * QS) == 2, "transmit avail_event not re-armed");
	CHECK(read(d.irqfd, &n, 8) == 8, "no interrupt at transmit's used_event 0");
	/* A frame of 1515 bytes (past MTU 1500 + 14, no GSO offered) is dropped. */
	memcpy(mem + DESC + 0x840, &(struct virtq_desc){ BUF, 12 + 1515, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4 + 2 * 2, 4);
	put16(AVAIL + 0x800 + 2, 3);
	vnet_serve(&d, 0);
	CHECK(recv(sv[1], got, sizeof(got), 0) < 0, "a frame longer than 1514 went out");
	CHECK(get16(USED + 0x800 + 2) == 3, "long frame not returned");
	/* Receive: a frame with no buffer waits, a send meanwhile leaves it intact, and
	 * the kick brings it in. */
	memset(frame, 0, 12); /* the tap's header */
	for (int i = 0; i < 64; i++)
		frame[12 + i] = (uint8_t)(0xff - i);
	CHECK(send(sv[1], frame, 76, 0) == 76, "send");
	vnet_serve(&d, 1);
	CHECK(get16(USED + 2) == 0, "received without a buffer");
	CHECK(read(d.irqfd, &n, 8) < 0, "interrupt for nothing");
	memcpy(mem + DESC + 0x830, &(struct virtq_desc){ BUF + 0x200, 12 + 60, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4 + 2 * 3, 3);
	put16(AVAIL + 0x800 + 2, 4);
	vnet_serve(&d, 0);
	CHECK(recv(sv[1], got, sizeof(got), 0) == 72, "second sent frame");
	memcpy(mem + DESC, &(struct virtq_desc){ BUF + 0x400, 2048, VIRTQ_DESC_F_WRITE, 0 }, 16);
	offer(0);
	put16(AVAIL + 4 + 2 * QS, 0); /* used_event: interrupt at the first */
	vnet_serve(&d, 0);
	CHECK(get16(USED + 2) == 1, "received idx %u", get16(USED + 2));
	memcpy(el, mem + USED + 4, 8);
	CHECK(el[0] == 0 && el[1] == 12 + 64, "used element %u %u", el[0], el[1]);
	CHECK(get16(BUF + 0x400 + 10) == 1 && mem[BUF + 0x400 + 12] == 0xff &&
	              mem[BUF + 0x400 + 75] == 0xff - 63,
	      "received bytes or header");
	CHECK(read(d.irqfd, &n, 8) == 8 && n == 1, "no interrupt");
	/* A buffer too small: the frame is dropped, the buffer returned empty. */
	memcpy(mem + DESC + 16, &(struct virtq_desc){ BUF + 0x400, 30, VIRTQ_DESC_F_WRITE, 0 }, 16);
	offer(1);
	CHECK(send(sv[1], frame, 76, 0) == 76, "send");
	vnet_serve(&d, 1);
	memcpy(el, mem + USED + 12, 8);
	CHECK(get16(USED + 2) == 2 && el[0] == 1 && el[1] == 0, "short buffer: %u %u", el[0],
	      el[1]);
	CHECK(read(d.irqfd, &n, 8) < 0, "interrupt past used_event");
	close(sv[0]);
	close(sv[1]);
	close(d.irqfd);
	return NULL;
}

/* A live virtio-net over a datagram socket pair, with the given features taken:
 * one receive buffer of 2048 bytes at BUF + 0x400 offered, transmit empty. */
static const char *vnet_live_mtu(struct vdev *d, int sv[2], uint32_t features, unsigned mtu)
{
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	new_dev(d);
	vnet_init(d, sv[0], "tap9", (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, mtu);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(d, VIRTIO_MMIO_STATUS, 0x0b);
	setup_queue(d, 0, DESC, AVAIL, USED);
	setup_queue(d, 1, DESC + 0x800, AVAIL + 0x800, USED + 0x800);
	wr(d, VIRTIO_MMIO_STATUS, 0x0f);
	CHECK(d->live, "not live");
	return NULL;
}

static const char *vnet_live(struct vdev *d, int sv[2], uint32_t features)
{
	return vnet_live_mtu(d, sv, features, 0);
}

/* The guest sends a frame of flen bytes without GSO (one descriptor at transmit slot
 * i, its buffer at BUF + 0x4000): what reached the tap, its length, or -1: nothing. */
static long vnet_tx_len(struct vdev *d, int sv[2], unsigned i, uint32_t flen)
{
	static uint8_t got[12 + 9100];
	unsigned slot = i % QS;
	memset(mem + BUF + 0x4000, 0, 12);
	for (uint32_t k = 0; k < flen; k++)
		mem[BUF + 0x4000 + 12 + k] = (uint8_t)k;
	memcpy(mem + DESC + 0x800 + 16 * slot,
	       &(struct virtq_desc){ BUF + 0x4000, 12 + flen, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4 + 2 * slot, (uint16_t)slot);
	put16(AVAIL + 0x800 + 2, (uint16_t)(i + 1));
	vnet_serve(d, 0);
	return recv(sv[1], got, sizeof got, 0);
}

/* F_MTU (5.1.4): offered with the tap's MTU in the config space, read in one 16-bit
 * access; once taken, a frame without GSO may be that MTU + 14 bytes, not one more;
 * not taken, 1514 stays the limit. An MTU out of 68..65535 is not offered. */
static const char *t_vnet_mtu(void)
{
	static struct vdev d;
	int sv[2];
	uint16_t m = 0;
	const char *e;

	if ((e = vnet_live_mtu(&d, sv, 1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_MTU, 9000)))
		return e;
	wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_NET_F_MTU, "F_MTU not offered");
	vmmio_access(&d, VIRTIO_MMIO_CONFIG + 10, (uint8_t *)&m, 2, 0);
	CHECK(m == 9000 && vdev_mtu(&d) == 9000, "config MTU %u, vdev_mtu %u", m, vdev_mtu(&d));
	CHECK(vnet_tx_len(&d, sv, 0, 9014) == 12 + 9014, "a 9014-byte frame at MTU 9000 refused");
	CHECK(vnet_tx_len(&d, sv, 1, 9015) < 0, "a 9015-byte frame at MTU 9000 went out");
	CHECK(get16(USED + 0x800 + 2) == 2, "transmit buffers not returned");
	close(sv[0]);
	close(sv[1]);
	if ((e = vnet_live_mtu(&d, sv, 1u << VIRTIO_F_EVENT_IDX, 9000)))
		return e;
	CHECK(vdev_mtu(&d) == 0, "vdev_mtu %u without F_MTU taken", vdev_mtu(&d));
	CHECK(vnet_tx_len(&d, sv, 0, 1514) == 12 + 1514, "1514 bytes refused");
	CHECK(vnet_tx_len(&d, sv, 1, 1515) < 0, "1515 bytes went out without F_MTU taken");
	close(sv[0]);
	close(sv[1]);
	for (int k = 0; k < 2; k++) {
		new_dev(&d);
		vnet_init(&d, -1, "tap9", (const uint8_t[6]){ 2 }, k ? 65536 : 67);
		wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		CHECK(!(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_NET_F_MTU),
		      "F_MTU offered for MTU %d", k ? 65536 : 67);
	}
	return NULL;
}

/* The guest sends header h and a 60-byte frame (one descriptor at transmit slot i):
 * what reached the tap, header included, into got; its length, or -1: nothing. */
static long vnet_tx_one(struct vdev *d, int sv[2], unsigned i, struct virtio_net_hdr h,
                        uint8_t *got, size_t size)
{
	unsigned slot = i % QS; /* descriptor and buffer: reused once returned */
	memcpy(mem + BUF + 0x100 * slot, &h, 12);
	for (int k = 0; k < 60; k++)
		mem[BUF + 0x100 * slot + 12 + k] = (uint8_t)k;
	memcpy(mem + DESC + 0x800 + 16 * slot, &(struct virtq_desc){ BUF + 0x100 * slot, 72, 0, 0 },
	       16);
	put16(AVAIL + 0x800 + 4 + 2 * slot, (uint16_t)slot);
	put16(AVAIL + 0x800 + 2, (uint16_t)(i + 1));
	vnet_serve(d, 0);
	return recv(sv[1], got, size, 0);
}

/* The tap gives header t and a 64-byte frame, a receive buffer at slot i offered
 * for it (all at BUF + 0x400): the used length, NONE when no buffer was used (the
 * frame dropped before; the buffer stays for the next), the guest's header in *h. */
#define NONE 0xffffffffu
static uint32_t vnet_rx_one(struct vdev *d, int sv[2], unsigned i, struct virtio_net_hdr t,
                            struct virtio_net_hdr *h)
{
	uint8_t f[76] = { 0 };
	uint32_t el[2];
	uint16_t before = get16(USED + 2);

	memcpy(f, &t, 12);
	memcpy(mem + DESC + 16 * (i % QS),
	       &(struct virtq_desc){ BUF + 0x400, 2048, VIRTQ_DESC_F_WRITE, 0 }, 16);
	offer((uint16_t)(i % QS));
	memset(mem + BUF + 0x400, 0xee, 12);
	if (send(sv[1], f, sizeof(f), 0) != sizeof(f))
		return 0;
	vnet_serve(d, 1);
	if (get16(USED + 2) == before)
		return NONE;
	memcpy(el, mem + USED + 4 + 8 * (before % QS), 8);
	memcpy(h, mem + BUF + 0x400, 12);
	return el[1];
}

/* Polling (vnet_poll, iothread.c): once a serve has given the guest frames,
 * transmit's avail_event is left behind what was taken, so the guest's answer needs
 * no kick (2.7.10: it kicks only when avail_event lies in [old, new)), until the I/O
 * thread calls vnet_poll again: the next serve that finds transmit empty asks again,
 * and finds a frame queued meanwhile. Frames only sent ask as before, and so does
 * every serve without vnet_poll (t_vnet). vnet_serve says what moved. */
static int kicks(uint16_t event, uint16_t old, uint16_t now)
{
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

static const char *t_vnet_poll(void)
{
	static struct vdev d;
	int sv[2];
	uint8_t got[200];
	const char *e = vnet_live(&d, sv, 1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_MAC);
	const uint64_t ev = USED + 0x800 + 4 + 8 * QS; /* transmit's avail_event */
	const struct virtio_net_hdr h0 = { 0 };

	if (e)
		return e;
	vnet_poll(&d, 1);
	CHECK(vnet_serve(&d, 0) == 0 && get16(ev) == 0, "an idle serve moved a frame");
	CHECK(vnet_tx_one(&d, sv, 0, h0, got, sizeof(got)) == 72, "first frame");
	CHECK(get16(ev) == 1, "avail_event %u after a frame sent", get16(ev));
	/* a frame to the guest: kicks stop */
	CHECK(vnet_rx_one(&d, sv, 0, h0, &(struct virtio_net_hdr){ 0 }) == 12 + 64, "received");
	CHECK(get16(ev) == 0, "avail_event %u after a frame received, not behind", get16(ev));
	for (unsigned i = 1; i < 4; i++) {
		CHECK(!kicks(get16(ev), (uint16_t)i, (uint16_t)(i + 1)),
		      "the guest would kick for frame %u", i);
		CHECK(vnet_tx_one(&d, sv, i, h0, got, sizeof(got)) == 72, "frame %u polled", i);
		CHECK(get16(ev) == 0, "avail_event moved to %u while polling", get16(ev));
	}
	CHECK(vnet_serve(&d, 0) == 0 && get16(ev) == 0, "an empty look armed or moved");
	/* a frame queued as polling stops: found by the serve after vnet_poll */
	memcpy(mem + DESC + 0x800 + 16 * 4, &(struct virtq_desc){ BUF + 0x100 * 4, 72, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4 + 2 * 4, 4);
	put16(AVAIL + 0x800 + 2, 5);
	vnet_poll(&d, 1);
	CHECK(vnet_serve(&d, 0) == VNET_TX && recv(sv[1], got, sizeof(got), 0) == 72,
	      "the frame queued while polling ended was left");
	CHECK(get16(ev) == 5 && kicks(get16(ev), 5, 6), "avail_event %u: no kick asked after",
	      get16(ev));
	/* both ways in one serve */
	memcpy(mem + DESC + 0x800, &(struct virtq_desc){ BUF, 72, 0, 0 }, 16);
	put16(AVAIL + 0x800 + 4 + 2 * 5, 0);
	put16(AVAIL + 0x800 + 2, 6);
	memcpy(mem + DESC + 16, &(struct virtq_desc){ BUF + 0x400, 2048, VIRTQ_DESC_F_WRITE, 0 },
	       16);
	offer(1);
	uint8_t f[76] = { 0 };
	CHECK(send(sv[1], f, sizeof(f), 0) == sizeof(f), "send");
	CHECK(vnet_serve(&d, 1) == (VNET_TX | VNET_RX), "both ways");
	CHECK(get16(ev) == 5, "avail_event %u after both ways, not behind", get16(ev));
	vnet_poll(&d, 0); /* the other tests serve without polling */
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

/* Checksum offload (CSUM, GUEST_CSUM) with hostile headers both ways: the tap gets
 * only a header rebuilt from checked fields, the guest only what it negotiated. */
static const char *t_vnet_csum(void)
{
	static struct vdev d;
	int sv[2];
	uint8_t got[200];
	struct virtio_net_hdr h;
	const char *why;
	const struct virtio_net_hdr zero = { 0 };

	/* Negotiated both ways. */
	if ((why = vnet_live(&d, sv,
	                     1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_CSUM |
	                             1u << VIRTIO_NET_F_GUEST_CSUM)))
		return why;
	CHECK(d.features & 1ull << VIRTIO_NET_F_CSUM &&
	              d.features & 1ull << VIRTIO_NET_F_GUEST_CSUM,
	      "checksum offload not offered");
	/* A partial checksum inside the frame goes out, its header rebuilt: the
	 * guest's other fields (hdr_len, gso_size, num_buffers) do not pass. */
	long k = vnet_tx_one(&d, sv, 0,
	                     (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                                              .hdr_len = 999,
	                                              .gso_size = 7,
	                                              .csum_start = 34,
	                                              .csum_offset = 16,
	                                              .num_buffers = 5 },
	                     got, sizeof(got));
	memcpy(&h, got, 12);
	CHECK(k == 72 && h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.csum_start == 34 &&
	              h.csum_offset == 16 && !h.hdr_len && !h.gso_size && !h.num_buffers &&
	              !h.gso_type && got[12] == 0 && got[71] == 59,
	      "partial checksum: %ld, flags %u start %u offset %u", k, h.flags, h.csum_start,
	      h.csum_offset);
	/* The last byte of the checksum at the frame's end: allowed; one past: not. */
	k = vnet_tx_one(&d, sv, 1,
	                (struct virtio_net_hdr){ .flags = 1, .csum_start = 50, .csum_offset = 8 },
	                got, sizeof(got));
	CHECK(k == 72, "checksum ending at the frame's end refused");
	static const struct {
		struct virtio_net_hdr h;
		const char *what;
	} bad[] = {
		{ { .flags = 1, .csum_start = 50, .csum_offset = 9 }, "checksum past the end" },
		{ { .flags = 1, .csum_start = 0xffff, .csum_offset = 0xffff }, "16-bit wrap" },
		{ { .flags = 1, .csum_start = 60, .csum_offset = 0 }, "start at the end" },
		{ { .flags = 2 }, "DATA_VALID from the guest" },
		{ { .flags = 0x80 }, "an unknown flag" },
		{ { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000 }, "GSO" },
		{ { .gso_type = 0x80 }, "GSO with ECN" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t drops = vnet_drops;
		k = vnet_tx_one(&d, sv, 2 + i, bad[i].h, got, sizeof(got));
		CHECK(k < 0 && vnet_drops == drops + 1, "%s reached the tap (%ld)", bad[i].what, k);
		CHECK(get16(USED + 0x800 + 2) == 3 + i, "%s: buffer not returned", bad[i].what);
	}
	/* Receive: the tap's NEEDS_CSUM and DATA_VALID reach the guest; a checksum
	 * outside the frame, or GSO (not negotiated), does not. */
	uint32_t len = vnet_rx_one(
		&d, sv, 0,
		(struct virtio_net_hdr){
			.flags = 1, .hdr_len = 54, .csum_start = 34, .csum_offset = 16 },
		&h);
	CHECK(len == 76 && h.flags == 1 && h.csum_start == 34 && h.csum_offset == 16 &&
	              h.num_buffers == 1 && !h.hdr_len,
	      "partial checksum received: %u, flags %u", len, h.flags);
	len = vnet_rx_one(&d, sv, 1, (struct virtio_net_hdr){ .flags = 2 | 4 }, &h);
	CHECK(len == 76 && h.flags == 2 && h.num_buffers == 1, "DATA_VALID: %u, flags %u", len,
	      h.flags);
	len = vnet_rx_one(&d, sv, 2, (struct virtio_net_hdr){ .flags = 1, .csum_start = 63 }, &h);
	CHECK(len == NONE, "a checksum past the frame reached the guest");
	len = vnet_rx_one(&d, sv, 3, (struct virtio_net_hdr){ .gso_type = 1, .gso_size = 1448 },
	                  &h);
	CHECK(len == NONE, "GSO reached a guest that did not take it");
	close(sv[0]);
	close(sv[1]);

	/* Not negotiated: no partial checksum either way, DATA_VALID not passed on. */
	if ((why = vnet_live(&d, sv, 1u << VIRTIO_F_EVENT_IDX)))
		return why;
	k = vnet_tx_one(&d, sv, 0,
	                (struct virtio_net_hdr){ .flags = 1, .csum_start = 34, .csum_offset = 16 },
	                got, sizeof(got));
	CHECK(k < 0, "NEEDS_CSUM without CSUM reached the tap");
	k = vnet_tx_one(&d, sv, 1, zero, got, sizeof(got));
	CHECK(k == 72 && !memcmp(got, &zero, 12), "plain frame: %ld", k);
	len = vnet_rx_one(&d, sv, 0, (struct virtio_net_hdr){ .flags = 2 }, &h);
	CHECK(len == 76 && h.flags == 0 && h.num_buffers == 1, "DATA_VALID passed: flags %u",
	      h.flags);
	len = vnet_rx_one(&d, sv, 1, (struct virtio_net_hdr){ .flags = 1, .csum_start = 34 }, &h);
	CHECK(len == NONE, "a partial checksum reached a guest without GUEST_CSUM");
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

/* Receive buffer: descriptor i of len bytes at BUF + 0x100 * i, made available. */
static void rx_buf(unsigned i, uint32_t len)
{
	desc(i, BUF + 0x100 * i, len, VIRTQ_DESC_F_WRITE, 0);
	offer((uint16_t)i);
}

/* GUEST_TSO4 over MRG_RXBUF: a frame past one buffer spreads over several, the
 * first's header counting them, the used index moved once; too few buffers and the
 * frame waits (asking to hear of more), a ring too small for it loses it. */
static const char *t_vnet_mrg(void)
{
	static struct vdev d;
	int sv[2];
	uint8_t f[12 + 250];
	uint32_t el[2];
	struct virtio_net_hdr h;
	const char *why;

	if ((why = vnet_live(&d, sv,
	                     1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_GUEST_CSUM |
	                             1u << VIRTIO_NET_F_GUEST_TSO4 | 1u << VIRTIO_NET_F_MRG_RXBUF)))
		return why;
	memcpy(f,
	       &(struct virtio_net_hdr){ .flags = 1,
	                                 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	                                 .hdr_len = 54,
	                                 .gso_size = 1448,
	                                 .csum_start = 34,
	                                 .csum_offset = 16 },
	       12);
	for (int i = 12; i < (int)sizeof(f); i++)
		f[i] = (uint8_t)i;
	/* One buffer of 100 bytes: not enough; nothing used, avail_event asks for more. */
	rx_buf(0, 100);
	CHECK(send(sv[1], f, sizeof(f), 0) == sizeof(f), "send");
	vnet_serve(&d, 1);
	CHECK(get16(USED + 2) == 0, "a part of the frame went in");
	CHECK(get16(USED + 4 + 8 * QS) == 1, "avail_event %u: not past the buffer seen",
	      get16(USED + 4 + 8 * QS));
	/* Two more: 100 + 100 + 62 bytes, one used index move of 3. */
	rx_buf(1, 100);
	rx_buf(2, 100);
	vnet_serve(&d, 0);
	CHECK(get16(USED + 2) == 3, "used idx %u", get16(USED + 2));
	for (unsigned i = 0; i < 3; i++) {
		memcpy(el, mem + USED + 4 + 8 * i, 8);
		CHECK(el[0] == i && el[1] == (i < 2 ? 100u : 62u), "element %u: %u %u", i, el[0],
		      el[1]);
		CHECK(!memcmp(mem + BUF + 0x100 * i + (i ? 0 : 12), f + 12 + (i ? 100 * i - 12 : 0),
		              i ? el[1] : 88),
		      "buffer %u's bytes", i);
	}
	memcpy(&h, mem + BUF, 12);
	CHECK(h.num_buffers == 3 && h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && h.gso_size == 1448 &&
	              h.flags == 1,
	      "header: num_buffers %u gso %u/%u", h.num_buffers, h.gso_type, h.gso_size);
	/* A first buffer with no room for the header: the frame is lost, the buffer
	 * returned empty. */
	rx_buf(3, 8);
	CHECK(send(sv[1], f, sizeof(f), 0) == sizeof(f), "send");
	vnet_serve(&d, 1);
	memcpy(el, mem + USED + 4 + 8 * 3, 8);
	CHECK(get16(USED + 2) == 4 && el[0] == 3 && el[1] == 0, "header-less buffer: %u %u", el[0],
	      el[1]);
	/* A ring of 8 buffers of 16 bytes cannot hold 262: every one returned empty,
	 * nothing waits for ever. */
	for (unsigned i = 0; i < QS; i++)
		rx_buf(i, 16);
	CHECK(send(sv[1], f, sizeof(f), 0) == sizeof(f), "send");
	vnet_serve(&d, 1);
	CHECK(get16(USED + 2) == 4 + QS, "used idx %u after a frame the ring cannot hold",
	      get16(USED + 2));
	for (unsigned i = 0; i < QS; i++) {
		memcpy(el, mem + USED + 4 + 8 * ((4 + i) % QS), 8);
		CHECK(el[1] == 0, "buffer %u of a lost frame: %u bytes", i, el[1]);
	}
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

/* MRG_RXBUF with buffers for the largest frame offered: frames are read from the
 * tap straight into them (vnet.c rx_direct). A 9000-byte frame fills two of the
 * eight, the rest wait for the next frame; one the guest may not have uses none.
 * With less room than 64 KiB a frame goes through the device's buffer (t_vnet_mrg). */
#define BIG 0x10000 /* eight buffers of 8200 bytes from here: 65600, past 64 KiB */
static const char *t_vnet_direct(void)
{
	static struct vdev d;
	static uint8_t f[12 + 9000];
	int sv[2];
	uint32_t el[2];
	struct virtio_net_hdr h;
	const char *why;

	if ((why = vnet_live(&d, sv,
	                     1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_GUEST_CSUM |
	                             1u << VIRTIO_NET_F_GUEST_TSO4 | 1u << VIRTIO_NET_F_MRG_RXBUF)))
		return why;
	CHECK(get16(AVAIL + 2) == 0, "receive buffers offered before");
	for (unsigned i = 0; i < QS; i++) {
		desc(i, BIG + 8200ull * i, 8200, VIRTQ_DESC_F_WRITE, 0);
		offer((uint16_t)i);
	}
	memcpy(f,
	       &(struct virtio_net_hdr){ .flags = 1,
	                                 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	                                 .hdr_len = 54,
	                                 .gso_size = 1448,
	                                 .csum_start = 34,
	                                 .csum_offset = 16 },
	       12);
	for (unsigned i = 12; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 13);
	CHECK(send(sv[1], f, sizeof(f), 0) == sizeof(f), "send");
	vnet_serve(&d, 1);
	CHECK(get16(USED + 2) == 2, "used idx %u, want 2", get16(USED + 2));
	memcpy(el, mem + USED + 4, 8);
	CHECK(el[0] == 0 && el[1] == 8200, "first element %u %u", el[0], el[1]);
	memcpy(el, mem + USED + 12, 8);
	CHECK(el[0] == 1 && el[1] == 12 + 9000 - 8200, "second element %u %u", el[0], el[1]);
	CHECK(!memcmp(mem + BIG + 12, f + 12, 9000), "the frame's bytes");
	memcpy(&h, mem + BIG, 12);
	CHECK(h.num_buffers == 2 && h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && h.gso_size == 1448 &&
	              h.flags == 1 && h.csum_start == 34,
	      "header: num_buffers %u gso %u/%u", h.num_buffers, h.gso_type, h.gso_size);
	/* The two used come back: room for 64 KiB again, so the next frames come straight
	 * too. A partial checksum past the frame's end: dropped, no buffer used. */
	offer(0);
	offer(1);
	CHECK(send(sv[1], f, 12 + 40, 0) == 12 + 40, "send");
	vnet_serve(&d, 1);
	CHECK(get16(USED + 2) == 2, "a dropped frame used a buffer: used idx %u", get16(USED + 2));
	/* The next goes into the first buffer not used: 2. */
	CHECK(send(sv[1], f, 12 + 100, 0) == 12 + 100, "send");
	vnet_serve(&d, 1);
	memcpy(el, mem + USED + 4 + 16, 8);
	CHECK(get16(USED + 2) == 3 && el[0] == 2 && el[1] == 112, "third element %u %u", el[0],
	      el[1]);
	memcpy(&h, mem + BIG + 2 * 8200, 12);
	CHECK(h.num_buffers == 1 && !memcmp(mem + BIG + 2 * 8200 + 12, f + 12, 100),
	      "third frame: num_buffers %u", h.num_buffers);
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

/* HOST_TSO4: a GSO frame from the guest reaches the tap with its checked fields;
 * one without a partial checksum, a segment size or its headers inside, or of
 * another GSO type, does not; past 1514 bytes only with GSO. */
static const char *t_vnet_tso(void)
{
	static struct vdev d;
	static uint8_t got[4096];
	int sv[2];
	struct virtio_net_hdr h;
	const char *why;
	const struct virtio_net_hdr gso = { .flags = 1,
		                            .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		                            .hdr_len = 54,
		                            .gso_size = 1448,
		                            .csum_start = 34,
		                            .csum_offset = 16 };

	if ((why = vnet_live(&d, sv,
	                     1u << VIRTIO_F_EVENT_IDX | 1u << VIRTIO_NET_F_CSUM |
	                             1u << VIRTIO_NET_F_HOST_TSO4)))
		return why;
	long k = vnet_tx_one(&d, sv, 0, gso, got, sizeof(got));
	memcpy(&h, got, 12);
	CHECK(k == 72 && h.gso_type == 1 && h.gso_size == 1448 && h.hdr_len == 54 && h.flags == 1,
	      "GSO frame: %ld, type %u size %u hdr %u", k, h.gso_type, h.gso_size, h.hdr_len);
	struct virtio_net_hdr bad[] = { gso, gso, gso, gso };
	bad[0].flags = 0;       /* no partial checksum */
	bad[1].gso_size = 0;    /* no segment size */
	bad[2].hdr_len = 61;    /* headers past the 60-byte frame */
	bad[3].gso_type = 0x81; /* TCPV4 with ECN: not negotiated */
	for (unsigned i = 0; i < 4; i++)
		CHECK(vnet_tx_one(&d, sv, 1 + i, bad[i], got, sizeof(got)) < 0,
		      "bad GSO header %u sent", i);
	/* 2000 bytes: with GSO it goes, without it does not. */
	for (int g = 1; g >= 0; g--) {
		struct virtio_net_hdr x = g ? gso : (struct virtio_net_hdr){ 0 };
		memcpy(mem + BUF, &x, 12);
		memcpy(mem + DESC + 0x800 + 16 * 5, &(struct virtq_desc){ BUF, 12 + 2000, 0, 0 },
		       16);
		uint16_t idx = get16(AVAIL + 0x800 + 2);
		put16(AVAIL + 0x800 + 4 + 2 * (idx % QS), 5);
		put16(AVAIL + 0x800 + 2, (uint16_t)(idx + 1));
		vnet_serve(&d, 0);
		k = recv(sv[1], got, sizeof(got), 0);
		CHECK(g ? k == 2012 : k < 0, "2000 bytes %s GSO: %ld", g ? "with" : "without", k);
	}
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

/* virtio-blk (vblk.c) over a 16-sector temporary file: a write, a read back, a flush,
 * and requests past the end, not whole sectors, of an unknown type, or with no room
 * for the status byte. */
static const char *t_vblk(void)
{
	static struct vdev d;
	char path[] = "/tmp/vq_test_disk.XXXXXX";
	int fd = mkstemp(path);
	uint32_t el[2];
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h;
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
		int write_data;
		uint8_t want;
	} c[] = {
		{ 1, 3, 1024, 0, 0 },         /* OUT: sectors 3-4 from BUF + 0x100 */
		{ 0, 3, 1024, 1, 0 },         /* IN: back into BUF + 0x800 */
		{ 4, 0, 0, 0, 0 },            /* FLUSH */
		{ 0, 15, 1024, 1, 1 },        /* past the end */
		{ 0, UINT64_MAX, 512, 1, 1 }, /* sector * 512 would wrap */
		{ 1, 0, 100, 0, 1 },          /* not whole sectors */
		{ 9, 0, 0, 0, 2 },            /* unknown type */
	};

	CHECK(fd >= 0 && ftruncate(fd, 16 * 512) == 0, "temporary disk");
	unlink(path);
	memset(mem, 0, MEM);
	d = (struct vdev){
		.mem = mem, .mem_size = MEM, .ctl = -1, .irqfd = -1, .kick = { -1, -1 }
	};
	pthread_mutex_init(&d.lock, NULL);
	vblk_init(&d, fd, 16);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0b);
	setup_queue(&d, 0, DESC, AVAIL, USED);
	wr(&d, VIRTIO_MMIO_STATUS, 0x0f);
	CHECK(d.live && rd(&d, VIRTIO_MMIO_CONFIG) == 16, "not live, or capacity");
	for (int i = 0; i < 1024; i++)
		mem[BUF + 0x100 + i] = (uint8_t)(i * 7);
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		h = (typeof(h)){ c[k].type, 0, c[k].sector };
		memcpy(mem + BUF, &h, sizeof(h));
		/* header, data (if any), status */
		desc(0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
		if (c[k].len)
			desc(1, c[k].write_data ? BUF + 0x800 : BUF + 0x100, c[k].len,
			     VIRTQ_DESC_F_NEXT | (c[k].write_data ? VIRTQ_DESC_F_WRITE : 0), 2);
		desc(c[k].len ? 2 : 1, BUF + 0x7f0, 1, VIRTQ_DESC_F_WRITE, 0);
		mem[BUF + 0x7f0] = 0xee;
		offer(0);
		vblk_serve(&d);
		memcpy(el, mem + USED + 4 + 8 * (k % QS), 8);
		CHECK(mem[BUF + 0x7f0] == c[k].want, "request %zu: status %u, want %u", k,
		      mem[BUF + 0x7f0], c[k].want);
		CHECK(el[1] == (c[k].want == 0 && c[k].write_data ? c[k].len : 0) + 1,
		      "request %zu: used length %u", k, el[1]);
	}
	CHECK(memcmp(mem + BUF + 0x100, mem + BUF + 0x800, 1024) == 0, "read back differs");
	/* No status byte: no answer written, the chain returned with length 0. */
	desc(0, BUF, 16, 0, 0);
	offer(0);
	vblk_serve(&d);
	CHECK(get16(USED + 2) == 8, "used idx %u", get16(USED + 2));
	close(fd);
	return NULL;
}

/* vq_owing: an interrupt the guest asked for (EVENT_IDX) stays owed until its
 * used_event reaches the used index it was raised at; never for a queue whose guest
 * asks for none (the transmit queue, used_event left behind), nor without EVENT_IDX;
 * a hostile used_event far ahead counts as answered (its own loss). */
static const char *t_owing(void)
{
	struct vq q;
	const uint64_t used_event = AVAIL + 4 + 2 * QS;

	fresh(&q, 1);
	for (unsigned i = 0; i < QS; i++) {
		desc(i, BUF + 16 * i, 16, VIRTQ_DESC_F_WRITE, 0);
		offer((uint16_t)i);
	}
	CHECK(vq_owing(&q) == 0, "owed before any interrupt");
	CHECK(vq_pop(&q, &ch) == 1, "pop 1");
	vq_push(&q, ch.head, 16);
	CHECK(vq_need_irq(&q) == 1, "no interrupt at used_event 0");
	CHECK(vq_owing(&q) == 1, "interrupt not owed before the guest took the entry");
	CHECK(vq_owing(&q) == 1, "asking twice changed the answer");
	put16(used_event, 1); /* the guest took entry 0: interrupt me at the next */
	CHECK(vq_owing(&q) == 0, "owed after the guest took the entry");
	/* Two more, the guest takes one: still owed until both are taken. */
	for (unsigned i = 0; i < 2; i++) {
		CHECK(vq_pop(&q, &ch) == 1, "pop %u", i + 2);
		vq_push(&q, ch.head, 16);
	}
	CHECK(vq_need_irq(&q) == 1, "no interrupt at used_event 1");
	put16(used_event, 2);
	CHECK(vq_owing(&q) == 1, "owed cleared with one of two entries taken");
	put16(used_event, 3);
	CHECK(vq_owing(&q) == 0, "owed after both were taken");
	/* A guest that asks for nothing (used_event left behind, as the transmit queue
	 * is kept): entries pushed past it raise nothing and owe nothing. */
	CHECK(vq_pop(&q, &ch) == 1, "pop 4");
	vq_push(&q, ch.head, 16);
	put16(used_event, 1);
	CHECK(vq_need_irq(&q) == 0 && vq_owing(&q) == 0, "owed for an interrupt not asked for");
	/* Across 2^16: owed at 0x0001, used_event 0xfffe is behind, 0x0001 is not. */
	fresh(&q, 1);
	q.used_idx = 0xffff;
	q.signalled = 0xffff;
	desc(0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == 1, "pop at the wrap");
	vq_push(&q, ch.head, 16);
	put16(used_event, 0xffff);
	CHECK(vq_need_irq(&q) == 1 && q.owed == 0, "no interrupt at the wrap");
	put16(used_event, 0xfffe);
	CHECK(vq_owing(&q) == 1, "used_event behind the wrap counted as taken");
	put16(used_event, 0);
	CHECK(vq_owing(&q) == 0, "used_event at the wrap not counted as taken");
	/* Without EVENT_IDX nothing tells: never owed. A broken queue owes nothing. */
	fresh(&q, 0);
	desc(0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK(vq_pop(&q, &ch) == 1, "pop without EVENT_IDX");
	vq_push(&q, ch.head, 16);
	CHECK(vq_need_irq(&q) == 1 && vq_owing(&q) == 0, "owed without EVENT_IDX");
	fresh(&q, 1);
	q.owing = 1;
	q.broken = "test";
	CHECK(vq_owing(&q) == 0 && q.owing == 0, "a broken queue owes");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_mmio, "mmio" },
	{ t_vblk, "vblk" },
	{ t_vnet, "vnet" },
	{ t_vnet_mtu, "vnet_mtu" },
	{ t_vnet_poll, "vnet_poll" },
	{ t_vnet_csum, "vnet_csum" },
	{ t_vnet_mrg, "vnet_mrg" },
	{ t_vnet_direct, "vnet_direct" },
	{ t_vnet_tso, "vnet_tso" },
	{ t_chain, "chain" },
	{ t_read_write, "read_write" },
	{ t_hostile, "hostile" },
	{ t_sticky, "sticky" },
	{ t_setup, "setup" },
	{ t_event_idx, "event_idx" },
	{ t_random, "random" },
	{ t_owing, "owing" },
};

int main(int argc, char **argv)
{
	mem = malloc(MEM);
	if (!mem)
		return 1;
	int r = UNIT_RUN(tests, argc, argv, "vq_");
	free(mem);
	return r;
}
