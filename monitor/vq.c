// SPDX-License-Identifier: MIT
/* The device side of one split virtqueue (virtio 1.x, 2.7) over guest RAM: the
 * monitor's trust boundary for virtio. Trusts nothing the guest wrote: ring
 * addresses, every descriptor and the avail index are read once into our own
 * copies and checked through gm_at() (no gpa+len sums); a chain is bounded by the
 * queue size; indirect descriptors are not offered and refused. The first
 * impossible value sets a sticky `broken` reason and the queue does nothing more.
 * Pure: no system calls; the guest is another CPU, so barriers order our ring I/O. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "monitor.h"
#include "virtio_reg.h"

#define VIRTQ_DESC_F_INDIRECT 4

static int vq_fail(struct vq *q, const char *why)
{
	if (!q->broken)
		q->broken = why;
	return -1;
}

/* Spec 2.7: the descriptor table 16-aligned, the avail ring 2, the used ring 4,
 * each with its event word (6 bytes of header and trailer). Aligned, so that our
 * atomic 16-bit accesses are never split. */
int vq_setup(struct vq *q, uint8_t *mem, uint64_t mem_size, uint16_t size, uint64_t desc,
             uint64_t avail, uint64_t used, int event_idx)
{
	*q = (struct vq){ .mem = mem, .mem_size = mem_size, .size = size, .event_idx = event_idx };
	if (size == 0 || size > VQ_MAX || (size & (size - 1)))
		return vq_fail(q, "queue size is not a power of two up to the maximum");
	if (desc % 16 || avail % 2 || used % 4)
		return vq_fail(q, "ring address misaligned (2.7: 16, 2, 4)");
	q->desc = gm_at(mem, mem_size, desc, 16ull * size);
	q->avail = gm_at(mem, mem_size, avail, 6 + 2ull * size);
	q->used = gm_at(mem, mem_size, used, 6 + 8ull * size);
	if (!q->desc || !q->avail || !q->used)
		return vq_fail(q, "ring outside guest RAM");
	return 0;
}

static uint16_t load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

/* Entries the guest has made available and we have not taken. The index is read
 * once and kept: a guest that moves it back or more than a queue ahead is broken. */
static int avail_pending(struct vq *q)
{
	if (q->last_avail != q->avail_idx)
		return 1;
	/* Acquire: ring entries and descriptors written before the index (2.7.13). */
	uint16_t idx = load16(q->avail + 2);
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return vq_fail(q, "avail index moved more than a queue ahead");
	q->avail_idx = idx;
	return idx != q->last_avail;
}

/* The next chain into *c: each segment a host pointer checked against RAM, the
 * device-readable ones first. 1: a chain; 0: none available; -1: broken. */
int vq_pop(struct vq *q, struct vq_chain *c)
{
	if (q->broken)
		return -1;
	int r = avail_pending(q);
	if (r <= 0)
		return r;
	uint16_t head = load16(q->avail + 4 + 2 * (q->last_avail & (q->size - 1)));
	if (head >= q->size)
		return vq_fail(q, "avail ring entry is not a descriptor");
	q->last_avail++;
	/* Not *c = (struct vq_chain){...}: that clears all VQ_MAX segments (4 KiB, a rep
	 * stos) at every pop: 2.7-3.8 of the 48-67 ms of L1's CPU a MiB of echo took in the
	 * lab (docs/network.md, "Where a MiB of echo goes"); no one reads past n. */
	c->head = head;
	c->n = 0;
	c->rlen = c->wlen = 0;
	for (uint16_t i = head;;) {
		struct virtq_desc d;
		memcpy(&d, q->desc + 16ull * i, sizeof(d)); /* once: the guest may rewrite it */
		if (c->n == q->size)
			return vq_fail(q, "descriptor chain longer than the queue (a loop)");
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return vq_fail(q, "indirect descriptor (not offered)");
		void *p = gm_at(q->mem, q->mem_size, d.addr, d.len);
		if (!p)
			return vq_fail(q, "descriptor buffer outside guest RAM");
		int w = !!(d.flags & VIRTQ_DESC_F_WRITE);
		if (!w && c->wlen)
			return vq_fail(q, "device-readable descriptor after a writable one");
		c->seg[c->n++] = (struct vq_seg){ .p = p, .len = d.len, .write = w };
		if (w)
			c->wlen += d.len;
		else
			c->rlen += d.len;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (d.next >= q->size)
			return vq_fail(q, "descriptor link is not a descriptor");
		i = d.next;
	}
}

/* Hands a chain back with len bytes written. The element before the index
 * (release), as the guest reads them in that order. */
void vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	if (q->broken)
		return;
	uint8_t *e = q->used + 4 + 8 * (q->used_idx & (q->size - 1));
	uint32_t el[2] = { head, len };
	memcpy(e, el, sizeof(el));
	q->used_idx++;
	store16(q->used + 2, q->used_idx);
}

/* Several chains handed back as one (a frame over merged receive buffers,
 * virtio-net's MRG_RXBUF): every element first, then the index once, so the guest
 * never sees part of them. */
void vq_push_n(struct vq *q, const uint16_t *head, const uint32_t *len, unsigned n)
{
	if (q->broken)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint32_t el[2] = { head[i], len[i] };
		memcpy(q->used + 4 + 8 * ((q->used_idx + i) & (q->size - 1)), el, sizeof(el));
	}
	q->used_idx = (uint16_t)(q->used_idx + n);
	store16(q->used + 2, q->used_idx);
}

/* The last n chains popped go back to the avail ring unused (a frame that found
 * too few buffers waits for more): popped again, re-read and re-checked. */
void vq_unpop(struct vq *q, unsigned n) { q->last_avail = (uint16_t)(q->last_avail - n); }

/* Should the guest be interrupted for what was pushed since the last call?
 * 2.7.10: with EVENT_IDX, when used_event lies in [old, new); else
 * unless the guest set NO_INTERRUPT. The full fence: our used index store must be
 * visible before we read the guest's used_event, or both sides wait (the guest
 * stores used_event and then reads our index). */
int vq_need_irq(struct vq *q)
{
	if (q->broken || q->used_idx == q->signalled)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = q->signalled, now = q->used_idx;
	int need;
	if (q->event_idx) {
		uint16_t ev = load16(q->avail + 4 + 2ull * q->size);
		need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
		if (need)
			q->owed = now, q->owing = 1;
	} else {
		need = !(load16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled = now; /* vhost's rule: old is the index at the last check */
	return need;
}

/* Has the guest left the last interrupt it asked for unanswered? With EVENT_IDX
 * its used_event says how far it has taken the used ring (2.7.10: it moves it to
 * the next entry it will take, as it takes them or before it waits again), so an
 * interrupt is answered once used_event reaches the used index it was raised for.
 * 1: not yet; 0: answered (the note is dropped), never asked, or no EVENT_IDX
 * (nothing to tell by). The I/O thread raises such an interrupt once more after a
 * quiet second (iothread.c): a wake-up lost anywhere between the pin and the
 * guest's receive thread then costs a second, not the guest's idle guard. */
int vq_owing(struct vq *q)
{
	if (!q->owing || q->broken) {
		q->owing = 0;
		return 0;
	}
	uint16_t ev = load16(q->avail + 4 + 2ull * q->size);
	if ((uint16_t)(ev - q->owed) < 0x8000)
		q->owing = 0; /* ev at or past owed: taken */
	return q->owing;
}

/* The device is about to wait for a notification: ask for one as soon as anything
 * beyond what it has taken is made available (avail_event = last_avail, or the
 * NO_NOTIFY flag cleared), then look once more. 1: more is already there (keep
 * serving; the guest may not notify for it); 0: safe to sleep; -1: broken. */
int vq_arm(struct vq *q)
{
	if (q->broken)
		return -1;
	if (q->event_idx)
		store16(q->used + 4 + 8ull * q->size, q->last_avail);
	else
		store16(q->used, 0);
	/* Our store before the guest's index is read: the guest stores the index and
	 * then reads avail_event, so one of us sees the other (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_pending(q);
}

/* As vq_arm, when the chains available were too few (a frame over merged buffers
 * found no more, and vq_unpop gave them back): ask to hear of entries past those
 * already seen (avail_event = the guest's index as last read), then look once more.
 * 1: the guest added some (try again); 0: safe to sleep; -1: broken. */
int vq_arm_more(struct vq *q)
{
	if (q->broken)
		return -1;
	if (q->event_idx)
		store16(q->used + 4 + 8ull * q->size, q->avail_idx);
	else
		store16(q->used, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t idx = load16(q->avail + 2);
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return vq_fail(q, "avail index moved more than a queue ahead");
	if (idx == q->avail_idx)
		return 0;
	q->avail_idx = idx;
	return 1;
}

/* While the device will look at the queue anyway: no notifications (without
 * EVENT_IDX the NO_NOTIFY hint; with it, avail_event one behind what the device has
 * taken, so that no entry the guest adds in the next 65535 lies in [old, new) of its
 * check, 2.7.10). A guest that read the old value kicks once more: harmless. vq_arm
 * asks again. */
void vq_quiet(struct vq *q)
{
	if (q->broken)
		return;
	if (q->event_idx)
		store16(q->used + 4 + 8ull * q->size, (uint16_t)(q->last_avail - 1));
	else
		store16(q->used, VIRTQ_USED_F_NO_NOTIFY);
}

/* Copies up to len bytes of the chain's device-readable part from offset off into
 * buf; returns the count. */
uint32_t vq_read(const struct vq_chain *c, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	uint32_t done = 0;

	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (s->write)
			break;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t k = s->len - off < len - done ? s->len - off : len - done;
		memcpy(out + done, (uint8_t *)s->p + off, k);
		done += k;
		off = 0;
	}
	return done;
}

/* Copies len bytes into the chain's device-writable part from offset off; returns
 * the count (less when the chain is shorter). */
uint32_t vq_write(const struct vq_chain *c, uint32_t off, const void *buf, uint32_t len)
{
	const uint8_t *in = buf;
	uint32_t done = 0;

	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t k = s->len - off < len - done ? s->len - off : len - done;
		memcpy((uint8_t *)s->p + off, in + done, k);
		done += k;
		off = 0;
	}
	return done;
}
