// SPDX-License-Identifier: MIT
/* The split virtqueue (virtio 1.x, 2.7) shared by every device: buffers (one
 * descriptor, or a chain: device-readable parts first) handed to the device
 * through the avail ring and taken back from the used ring. Everything the
 * device writes is checked before use: a bad index, id or length marks the
 * queue broken (q->broken says why, the driver logs it), never corrupts memory.
 * The rings are shared, so the device can rewrite what we wrote: each
 * descriptor's length and link, and the avail index, are kept in our own
 * copies too, and only those are read back.
 * The device is another CPU: barriers below order our ring writes. */
#include "virtio.h"

/* clang-format takes "(a) -" for a cast and writes "(a)-" */
/* clang-format off */
#define ALIGN(x, a) (((x) + (a) - 1) & ~(uint64_t)((a) - 1))
/* clang-format on */

/* One block, packed: the descriptor table, the avail ring, the used ring (in a cache
 * line of its own: the device writes it), then per descriptor our cookie, length,
 * chain length and link (never shown to the device). Every page of it is zeroed and
 * so costs the host a page per instance: a 64-entry queue takes one page, not the
 * three of a used ring and a cookie array each on a page of its own (virtio 1.x
 * gives each ring its own address; 2.7 asks 16, 2 and 4 bytes of alignment). */
static uint64_t avail_off(uint16_t n) { return 16ull * n; }
static uint64_t used_off(uint16_t n) { return ALIGN(avail_off(n) + 6 + 2ull * n, 64); }
static uint64_t cookie_off(uint16_t n) { return ALIGN(used_off(n) + 6 + 8ull * n, 64); }

uint64_t virtq_mem_size(uint16_t n) { return ALIGN(cookie_off(n) + 16ull * n, 4096); }

int virtq_init(struct virtq *q, uint16_t n, void *mem)
{
	uint8_t *m = mem;

	if (n == 0 || (n & (n - 1)))
		return -1; /* the split ring wants a power of two */
	*q = (struct virtq){ .size = n, .num_free = n };
	q->desc = (struct virtq_desc *)m;
	q->avail = (struct virtq_avail *)(m + avail_off(n));
	q->used = (struct virtq_used *)(m + used_off(n));
	q->cookie = (void **)(m + cookie_off(n));
	q->len = (uint32_t *)(q->cookie + n);
	q->chain = (uint16_t *)(q->len + n);
	q->next = q->chain + n;
	for (uint16_t i = 0; i < n; i++)
		q->next[i] = (uint16_t)(i + 1); /* the free list */
	return 0;
}

int virtq_add(struct virtq *q, uint64_t addr, uint32_t len, int device_writes, void *cookie)
{
	struct vbuf b = { addr, len, device_writes };
	return virtq_add_chain(q, &b, 1, cookie);
}

/* A chain of n descriptors (device-readable ones first, as the spec wants). */
int virtq_add_chain(struct virtq *q, const struct vbuf *b, unsigned n, void *cookie)
{
	if (q->broken || n == 0 || q->num_free < n)
		return -1;
	uint16_t head = q->free_head, i = head;
	for (unsigned k = 0; k < n; k++) {
		/* free descriptors are linked in order, so the free list's
		 * link is also the chain's: q->next[i] serves both */
		uint16_t next = q->next[i];
		q->desc[i] = (struct virtq_desc){
			b[k].addr, b[k].len,
			(uint16_t)((b[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			           (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			k + 1 < n ? next : 0
		};
		q->len[i] = b[k].len;
		q->chain[i] = (uint16_t)n;
		if (k + 1 < n)
			i = next;
		else
			q->free_head = next;
	}
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookie[head] = cookie;
	/* The avail index from our own copy too: the device can rewrite the
	 * ring's, and would have us publish entries where it never looks. */
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	/* The device may read the ring entry as soon as it sees the new idx:
	 * publish the descriptors and the entry first (2.7.13). */
	wmb();
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELAXED);
	return 0;
}

/* True when the other side asked to hear about index `event` and the move from
 * old_idx to new_idx passed it (spec 2.7.10, the same arithmetic both ways). */
int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

int virtq_exact_event;

/* With EVENT_IDX the device says in avail_event (after the used ring) which
 * avail index it wants to be told about; notifications before it are skipped.
 * Without it, the device's VIRTQ_USED_F_NO_NOTIFY flag asks for none. */
int virtq_kick_needed(struct virtq *q)
{
	uint16_t old = q->kicked, now = q->avail_idx;
	q->kicked = now;
	/* Our idx store must be visible before we read the device's event
	 * index or flag, or both sides may decide the other will act: the
	 * device would sleep on a ring with work in it (2.7.13.4). A store then
	 * a load: only a full fence orders them (x86 reorders store-load). */
	mb();
	if (!q->event_idx)
		return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
		         VIRTQ_USED_F_NO_NOTIFY);
	uint16_t event = __atomic_load_n((uint16_t *)&q->used->ring[q->size], __ATOMIC_RELAXED);
	/* The device had used every buffer published before these: it waits
	 * for a notification, or soon will (it then sets avail_event to the
	 * index it saw, so this kick is one it would ask for anyway). Notify
	 * whatever avail_event says: where a host runs our fence as a no-op
	 * (QEMU's TCG with one vCPU, docs/virtio.md) the avail_event we read
	 * can predate the device's wait, and that kick would be lost for good.
	 * Not where the host says its avail_event is exact (virtq_exact_event:
	 * spore-kvm, on KVM, whose I/O thread leaves it behind while it polls). */
	if (virtq_need_event(event, now, old))
		return 1;
	return !virtq_exact_event && __atomic_load_n(&q->used->idx, __ATOMIC_RELAXED) == old;
}

int virtq_get(struct virtq *q, void **cookie, uint32_t *len)
{
	if (q->broken)
		return -1;
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	if (idx == q->last_used && q->event_idx) {
		/* Empty: the caller may now wait for an interrupt. Our last
		 * used_event store must reach the device before we look again,
		 * or an entry it adds meanwhile is judged against an older
		 * used_event, raises no interrupt, and sits unseen (a store then
		 * a load: only a full fence orders them). */
		mb();
		idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	}
	if (idx == q->last_used)
		return 0;
	/* The device wrote the element before idx; the acquire above orders
	 * our reads of it after. More in flight than the ring holds is a lie. */
	if ((uint16_t)(idx - q->last_used) > q->size - q->num_free) {
		q->broken = "used index ahead of the buffers in flight";
		return -1;
	}
	/* Each field read once: the device may rewrite the element meanwhile,
	 * and what was checked must be what is used. */
	struct virtq_used_elem *u = &q->used->ring[q->last_used & (q->size - 1)];
	struct virtq_used_elem e = { __atomic_load_n(&u->id, __ATOMIC_RELAXED),
		                     __atomic_load_n(&u->len, __ATOMIC_RELAXED) };
	if (e.id >= q->size || !q->cookie[e.id]) {
		q->broken = e.id >= q->size ? "used id out of range" : "used id not in flight";
		return -1;
	}
	/* Walk the chain by our own records of its length, links and buffer
	 * lengths: the device can rewrite the descriptor table, so nothing is
	 * read back from it. 64 bits: the lengths of a long chain may pass 4 GiB. */
	uint64_t total = q->len[e.id];
	uint16_t tail = (uint16_t)e.id, n = q->chain[e.id];
	for (uint16_t k = 1; k < n; k++) {
		tail = q->next[tail];
		total += q->len[tail];
	}
	if (e.len > total) {
		q->broken = "used length longer than the buffers";
		return -1;
	}
	q->last_used++;
	/* EVENT_IDX: interrupt us again when the next entry is used. */
	if (!q->quiet)
		__atomic_store_n(&q->avail->ring[q->size], q->last_used, __ATOMIC_RELAXED);
	*cookie = q->cookie[e.id];
	*len = e.len;
	q->cookie[e.id] = 0;
	q->next[tail] = q->free_head;
	q->free_head = (uint16_t)e.id;
	q->num_free = (uint16_t)(q->num_free + n);
	return 1;
}
