// SPDX-License-Identifier: MIT
/* virtio-net (virtio 1.x, 5.1) over --net's tap, served by the I/O thread (with --vhost
 * by the host kernel instead, vhost.c: then only vnet_init and vnet_offload are used):
 * queue 0 receives (tap -> guest), queue 1 transmits (guest -> tap). Features: VERSION_1,
 * MAC, STATUS, EVENT_IDX, checksum offload both ways (CSUM, GUEST_CSUM), and TCP
 * segments of up to 64 KiB to the guest (GUEST_TSO4) over merged receive buffers
 * (MRG_RXBUF), and from it (HOST_TSO4, cut up by the tap's GSO): the tap has
 * IFF_VNET_HDR (net_open), so the header crosses it, and TUNSETOFFLOAD follows what
 * the guest took. F_MTU says the tap's MTU, so a guest on a tap of jumbo frames sends
 * them. The guest's header is never passed on as it came: a new one is
 * built from fields checked against the frame (a checksum must lie inside it).
 * Guest buffers come only from vq.c's checked chains. The guest is interrupted
 * once a batch, when this side is about to wait. */
#include <errno.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

#define HDR                  sizeof(struct virtio_net_hdr) /* 12 with VERSION_1 */
#define FRAME_MAX            65536                         /* more than a tap without GSO gives */
#define TX_HEAD              256 /* of a frame sent, copied for count(): all its headers */
#define VIRTIO_NET_S_LINK_UP 1

static struct {
	int tap;
	const char *name; /* --net's TAP, for messages */
	int tap_ready;    /* epoll said readable (edge-triggered) and no EAGAIN since */
	int poll;         /* the caller looks again after a serve that gave the guest frames */
	int quiet;        /* such a serve came since the last vnet_poll: transmit asks no kick */
	uint32_t pending; /* bytes of a frame read from the tap, waiting for a buffer */
	unsigned tun_off; /* TUN_F_* the tap was last given */
	uint8_t frame[HDR + FRAME_MAX]; /* that frame, after the tap's header */
	uint8_t out[HDR + TX_HEAD];     /* the header and head of a frame on its way to the
	                                 * tap: apart, so a send never overwrites a pending receive */
} n = { .tap = -1 };

uint64_t vnet_rx, vnet_tx, vnet_drops; /* --stats */
/* --stats: where the frames stay small. Per direction (0: to the guest, 1: from it):
 * TCP segments with payload, their payload bytes, those of them that came or went as
 * one GSO frame, bare TCP segments (ACKs, window updates); and the tap's reads and
 * writes, with the reads that found nothing. */
uint64_t vnet_seg[2], vnet_bytes[2], vnet_gso[2], vnet_bare[2], vnet_reads, vnet_empty, vnet_writes;

/* Counts a frame of flen bytes after its header h (checked before: inside the frame),
 * from its first have bytes at f (its headers). */
static void count(int dir, const struct virtio_net_hdr *h, const uint8_t *f, uint32_t have,
                  uint32_t flen)
{
	if (have < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[23] != 6)
		return; /* not TCP over IPv4 */
	uint32_t l4 = 14 + (f[14] & 15u) * 4;
	if (l4 + 20 > have)
		return;
	uint32_t hdr = l4 + (f[l4 + 12] >> 4) * 4u;
	if (hdr >= flen) {
		vnet_bare[dir]++;
		return;
	}
	vnet_seg[dir]++;
	vnet_bytes[dir] += flen - hdr;
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		vnet_gso[dir]++;
}

/* The device's identity: MAC, link status and, when the tap's is known, its MTU in
 * the config space (5.1.4; 68 to 65535). */
void vnet_init(struct vdev *d, int tap, const char *name, const uint8_t mac[6], unsigned mtu)
{
	d->id = VIRTIO_ID_NET;
	d->features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
	              1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_F_EVENT_IDX |
	              1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
	              1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_MRG_RXBUF |
	              1ull << VIRTIO_NET_F_HOST_TSO4;
	d->nq = 2;
	memcpy(d->config, mac, 6);
	d->config[6] = VIRTIO_NET_S_LINK_UP;
	d->config_len = 8;
	d->mtu = 0;
	if (mtu >= 68 && mtu <= 65535) {
		d->features |= 1ull << VIRTIO_NET_F_MTU;
		d->config[10] = (uint8_t)mtu, d->config[11] = (uint8_t)(mtu >> 8);
		d->config_len = 12; /* max_virtqueue_pairs at 8 stays 0: no MQ */
		d->mtu = mtu;
	}
	n.tap = tap;
	n.name = name;
	n.pending = 0;
	n.tun_off = 0; /* net_open() cleared the tap's */
}

_Static_assert(VDEV_NET_F_MTU == VIRTIO_NET_F_MTU, "monitor.h's vdev_mtu tests another bit");

static int has(const struct vdev *d, unsigned feature)
{
	return !!(d->driver_features & 1ull << feature);
}

/* The tap hands the guest only what it negotiated: partial checksums with
 * GUEST_CSUM. Set once the device is live (and again after a reset that changed
 * it; with --vhost at DRIVER_OK, vhost.c). A tap that refuses keeps handing out whole checksums,
 * which is still right. */
void vnet_offload(const struct vdev *d)
{
	unsigned want = has(d, VIRTIO_NET_F_GUEST_CSUM) ? TUN_F_CSUM : 0;
	if (want && has(d, VIRTIO_NET_F_GUEST_TSO4))
		want |= TUN_F_TSO4; /* the tap takes TSO only with CSUM */
	if (want == n.tun_off)
		return;
	if (ioctl(n.tap, TUNSETOFFLOAD, want) < 0)
		msg("spore-kvm: --net=%s: TUNSETOFFLOAD 0x%x: %s (checksums stay whole)\n",
		    n.name ? n.name : "?", want, strerror(errno));
	n.tun_off = want;
}

/* The header the tap gets for a guest's frame of flen bytes, from the guest's *g:
 * NULL, or why the frame is refused. Only what was negotiated, and a checksum
 * start and place inside the frame (the tap's own check is not ours to lean on). */
static const char *tx_header(const struct vdev *d, const struct virtio_net_hdr *g, uint32_t flen,
                             struct virtio_net_hdr *h)
{
	*h = (struct virtio_net_hdr){ 0 };
	if (g->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return "unknown header flags";
	if (g->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		/* 14..1514 as on the hypercall path, or the MTU the guest took + 14 */
		if (flen > 14 + (vdev_mtu(d) ? vdev_mtu(d) : 1500))
			return "longer than the MTU without GSO";
	} else {
		/* 5.1.6.2.1: TCP/IPv4 only, its checksum left partial, segments of
		 * some bytes, the headers inside the frame (the tap refuses less) */
		if (g->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || !has(d, VIRTIO_NET_F_HOST_TSO4))
			return "GSO not negotiated";
		if (!(g->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !g->gso_size || g->hdr_len > flen)
			return "GSO without a partial checksum, a segment size or its headers";
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = g->gso_size;
		h->hdr_len = g->hdr_len;
	}
	if (g->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!has(d, VIRTIO_NET_F_CSUM))
			return "NEEDS_CSUM without CSUM";
		if ((uint32_t)g->csum_start + g->csum_offset + 2 > flen)
			return "checksum outside the frame";
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = g->csum_start;
		h->csum_offset = g->csum_offset;
	}
	return NULL;
}

/* The guest's header for a frame of flen bytes the tap gave with *t: NULL, or why
 * it is dropped. What the guest did not negotiate the tap should not give (tap_offload). */
static const char *rx_header(const struct vdev *d, const struct virtio_net_hdr *t, uint32_t flen,
                             struct virtio_net_hdr *h)
{
	*h = (struct virtio_net_hdr){ .num_buffers = 1 };
	if (t->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (t->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || !has(d, VIRTIO_NET_F_GUEST_TSO4) ||
		    !has(d, VIRTIO_NET_F_GUEST_CSUM))
			return "GSO not negotiated";
		h->gso_type = t->gso_type;
		h->gso_size = t->gso_size;
		h->hdr_len = t->hdr_len;
	}
	if (!has(d, VIRTIO_NET_F_GUEST_CSUM))
		return t->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ? "partial checksum" : NULL;
	h->flags = t->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if ((uint32_t)t->csum_start + t->csum_offset + 2 > flen)
			return "checksum outside the frame";
		h->csum_start = t->csum_start;
		h->csum_offset = t->csum_offset;
	}
	return NULL;
}

static void broken(struct vdev *d, struct vq *q)
{
	msg("spore-kvm: guest error: virtio-net %s queue: %s\n",
	    q == &d->q[0] ? "receive" : "transmit", q->broken);
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->live = 0;
}

/* The tap is gone (deleted under the guest: EBADFD): as the hypercall path does,
 * end the guest with its one line and HC_EXIT_HOSTIO. A tap that is only down
 * (`ip link set TAP down`) refuses writes with EIO: that frame is lost, as on a
 * wire without a link, and the guest carries on (the hypercall path's send_batch
 * does the same). */
static void tap_gone(int err)
{
	msg("spore-kvm: --net=%s: the tap is gone (deleted under the running guest?); ending the "
	    "guest (%s)\n",
	    n.name ? n.name : "?", strerror(err));
	_exit(HC_EXIT_HOSTIO);
}

/* The frame in chain c (its flen bytes after the guest's header) to the tap behind
 * header h, straight from the guest's buffers (vq.c checked each): one copy, the
 * tap's. The guest may rewrite them meanwhile, but only its own frame's bytes: the
 * header is ours, and the tap checks the frame against it in its own copy. */
static ssize_t tap_send(const struct vq_chain *c, struct virtio_net_hdr *h)
{
	static struct iovec iov[VQ_MAX + 1];
	unsigned k = 0;
	uint32_t off = HDR;

	iov[k++] = (struct iovec){ h, HDR };
	for (unsigned i = 0; i < c->n && !c->seg[i].write; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		iov[k++] = (struct iovec){ (uint8_t *)s->p + off, s->len - off };
		off = 0;
	}
	return writev(n.tap, iov, (int)k);
}

/* Every frame the guest has queued goes to the tap; 1 if any was completed. */
static int tx(struct vdev *d)
{
	static struct vq_chain ch;
	struct vq *q = &d->q[1];
	int done = 0;

	for (;;) {
		int r = vq_pop(q, &ch);
		/* Polling, avail_event stays behind what was taken: the guest's next
		 * frames need no kick (2.7.10), the I/O thread comes back for them. */
		if (r == 0 && !n.quiet && vq_arm(q) == 1)
			continue;
		if (r < 0)
			broken(d, q);
		if (r <= 0)
			return done;
		uint32_t head = vq_read(&ch, 0, n.out, HDR + TX_HEAD),
			 flen = (uint32_t)ch.rlen - HDR;
		struct virtio_net_hdr g, h;
		memcpy(&g, n.out, HDR); /* from our copy: what is checked is what is sent */
		/* 14 bytes to the MTU + 14, or up to 64 KiB with GSO (tx_header) */
		if (ch.rlen < HDR + 14 || ch.rlen > HDR + FRAME_MAX || tx_header(d, &g, flen, &h)) {
			vnet_drops++; /* not a frame: dropped, the buffer returned */
		} else if (vnet_writes++, tap_send(&ch, &h) < 0) {
			if (errno == EBADFD)
				tap_gone(errno);
			vnet_drops++; /* a full tap queue or a link down drops, as a NIC would */
		} else {
			vnet_tx++;
			count(1, &h, n.out + HDR, head - HDR, flen);
		}
		vq_push(q, ch.head, 0);
		done = 1;
	}
}

/* MRG_RXBUF: the tap's next frame read straight into the guest's receive buffers,
 * its header apart (checked, rebuilt, then written into the first buffer's header
 * slot): the tap's copy the only one. Buffers for the largest frame are taken
 * first and those it did not fill given back; with fewer, or buffers of an odd
 * shape, 0: rx() reads it through n.frame instead. 1: a frame in (or dropped,
 * no buffer used); -1: the tap is empty; -2: the queue is broken. */
#define RX_CHAINS 64 /* buffers one frame may take here: 17 of a page for 64 KiB */
static int rx_direct(struct vdev *d)
{
	/* A chain is 4 KiB (VQ_MAX segments): the first is kept whole for its header
	 * slot, the others pass through one, keeping their head and length. An array
	 * of whole chains was 64 pages of every idle instance's memory. */
	static struct vq_chain first, other;
	static struct iovec iov[RX_CHAINS + 1];
	static uint16_t head[RX_CHAINS];
	static uint64_t wlen[RX_CHAINS];
	static uint32_t used[RX_CHAINS];
	struct vq *q = &d->q[0];
	struct virtio_net_hdr t, h;
	unsigned nc = 0, k = 1;
	uint64_t room = 0;
	int r = 1;

	iov[0] = (struct iovec){ &t, HDR };
	while (room < FRAME_MAX && nc < RX_CHAINS) {
		struct vq_chain *c = nc ? &other : &first;
		if ((r = vq_pop(q, c)) != 1)
			break;
		head[nc] = c->head;
		wlen[nc] = c->wlen;
		uint32_t off = nc ? 0 : HDR; /* the first's header slot: ours, written last */
		if (c->wlen > UINT32_MAX || c->wlen < off + (nc ? 1 : 14)) {
			nc++;
			break; /* no room for a header and a frame: rx()'s path drops it */
		}
		for (unsigned i = 0; i < c->n; i++) {
			const struct vq_seg *s = &c->seg[i];
			if (!s->write || s->len == 0)
				continue;
			if (off >= s->len) {
				off -= s->len;
				continue;
			}
			if (k == RX_CHAINS + 1) {
				room = 0; /* more pieces than the iovec holds */
				break;
			}
			iov[k++] = (struct iovec){ (uint8_t *)s->p + off, s->len - off };
			room += s->len - off;
			off = 0;
		}
		nc++;
	}
	if (r < 0)
		return -2;
	if (room < FRAME_MAX) {
		vq_unpop(q, nc);
		return 0;
	}
	ssize_t got = readv(n.tap, iov, (int)k);
	vnet_reads++;
	if (got < 0 && errno != EAGAIN && errno != EINTR)
		tap_gone(errno);
	if (got <= 0) {
		vq_unpop(q, nc);
		vnet_empty++;
		return -1;
	}
	uint32_t flen = (uint32_t)(got - (ssize_t)HDR);
	if (got < (ssize_t)HDR + 14 || rx_header(d, &t, flen, &h)) {
		vq_unpop(q, nc);
		vnet_drops++; /* not a frame this guest can take: no buffer used */
		return 1;
	}
	/* The frame's bytes filled the buffers in order: those it reached are used. */
	uint64_t left = HDR + (uint64_t)flen;
	unsigned nb = 0;
	while (left) {
		used[nb] = wlen[nb] < left ? (uint32_t)wlen[nb] : (uint32_t)left;
		left -= used[nb++];
	}
	vq_unpop(q, nc - nb);
	h.num_buffers = (uint16_t)nb;
	vq_write(&first, 0, &h, HDR);
	uint8_t f[TX_HEAD];
	uint32_t have = 0;
	for (unsigned i = 1; i < k && have < sizeof(f); i++) {
		size_t c = iov[i].iov_len < sizeof(f) - have ? iov[i].iov_len : sizeof(f) - have;
		memcpy(f + have, iov[i].iov_base, c); /* for --stats only: a race costs a count */
		have += (uint32_t)c;
	}
	count(0, &h, f, have < flen ? have : flen, flen);
	vq_push_n(q, head, used, nb);
	vnet_rx++;
	return 1;
}

/* Frames from the tap into the guest's receive buffers until either runs out. A
 * frame read when there are too few buffers for it waits in n.frame for the guest's
 * kick. One chain a frame (5.1.6.3.1), or with MRG_RXBUF as many as it takes, each
 * filled before the next, num_buffers in the first's header and the used index
 * moved once for all (5.1.6.4.2). A frame the whole ring could not hold is lost. */
static int rx(struct vdev *d)
{
	static struct vq_chain ch, first;
	static uint16_t head[VQ_MAX];
	static uint32_t used[VQ_MAX];
	struct vq *q = &d->q[0];
	int done = 0, mrg = has(d, VIRTIO_NET_F_MRG_RXBUF);

	while (n.tap_ready || n.pending) {
		if (!n.pending && mrg) {
			int r = rx_direct(d);
			if (r == -2) {
				broken(d, q);
				break;
			}
			if (r == -1) {
				n.tap_ready = 0;
				break;
			}
			done |= r;
			if (r == 1)
				continue;
		}
		if (!n.pending) {
			ssize_t k = read(n.tap, n.frame, HDR + FRAME_MAX);
			vnet_reads++;
			if (k < 0 && errno != EAGAIN && errno != EINTR)
				tap_gone(errno);
			if (k <= 0) {
				vnet_empty++;
				n.tap_ready = 0;
				break;
			}
			struct virtio_net_hdr t, h;
			memcpy(&t, n.frame, HDR);
			if (k < (ssize_t)HDR + 14 ||
			    rx_header(d, &t, (uint32_t)(k - (ssize_t)HDR), &h)) {
				vnet_drops++; /* not a frame this guest can take: no buffer used */
				continue;
			}
			memcpy(n.frame, &h, HDR);
			n.pending = (uint32_t)(k - (ssize_t)HDR);
			count(0, &h, n.frame + HDR, n.pending, n.pending);
		}
		uint32_t len = HDR + n.pending, got = 0;
		unsigned nb = 0;
		int r;
		do {
			r = vq_pop(q, &ch);
			if (r != 1)
				break;
			uint32_t k = ch.wlen < len - got ? (uint32_t)ch.wlen : len - got;
			if (mrg ? nb == 0 && k < HDR : k < len)
				k = 0; /* no room for the header, or (no MRG) the frame */
			vq_write(&ch, 0, n.frame + got, k);
			if (nb == 0 && mrg)
				first.n = ch.n, memcpy(first.seg, ch.seg, ch.n * sizeof(ch.seg[0]));
			head[nb] = ch.head;
			used[nb++] = k;
			got = k ? got + k : len + 1; /* k 0: the frame is lost */
		} while (mrg && got < len && nb < q->size);
		if (r < 0) {
			broken(d, q);
			break;
		}
		if (r == 0) {
			vq_unpop(q, nb); /* too few buffers yet: all of them again later */
			if ((nb ? vq_arm_more(q) : vq_arm(q)) == 1)
				continue; /* the guest added buffers as we looked */
			if (q->broken)
				broken(d, q);
			break; /* wait for the guest's kick */
		}
		if (got == len) {
			uint16_t num = (uint16_t)nb; /* num_buffers: in the first's header */
			if (mrg)
				vq_write(&first, 10, &num, 2);
			vnet_rx++;
		} else {
			vnet_drops++; /* a buffer too small, or the ring: the frame is lost */
			for (unsigned i = 0; i < nb; i++)
				used[i] = 0;
		}
		vq_push_n(q, head, used, nb);
		n.pending = 0;
		done = 1;
	}
	return done;
}

/* The I/O thread, with d->lock held, after any of the device's events: transmit,
 * receive, then one interrupt if either queue's guest asked for one (EVENT_IDX).
 * What moved: VNET_TX, VNET_RX, both or 0. With vnet_poll on, a serve that gave the
 * guest frames stops transmit's kicks before it interrupts the guest: the vCPU may
 * run at once, and its answer is the frame it would kick for. */
int vnet_serve(struct vdev *d, int tap_event)
{
	if (tap_event)
		n.tap_ready = 1;
	if (!d->live)
		return 0; /* frames wait in the tap until DRIVER_OK */
	vnet_offload(d);
	int irq = 0, t, r = 0;
	if ((t = tx(d)))
		irq |= vq_need_irq(&d->q[1]);
	if (d->live && (r = rx(d)))
		irq |= vq_need_irq(&d->q[0]);
	if (r && n.poll && !n.quiet && d->live) {
		vq_quiet(&d->q[1]);
		n.quiet = 1;
	}
	if (irq)
		vmmio_irq(d);
	return (t ? VNET_TX : 0) | (r ? VNET_RX : 0);
}

/* on: the caller (iothread.c) promises to call vnet_serve again without an event,
 * after yielding the CPU, whenever one gave the guest frames, until the guest has
 * answered or a while has passed; so from such a serve on, transmit asks the guest
 * for no kick (its answer is looked for). Each call, on or off, ends that: the next
 * serve that finds transmit empty asks for a kick again and looks once more
 * (vq_arm). */
void vnet_poll(struct vdev *d, int on)
{
	(void)d; /* one net device: its state is n */
	n.poll = on;
	n.quiet = 0;
}
