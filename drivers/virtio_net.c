// SPDX-License-Identifier: MIT
/* virtio-net (spec 5.1) over either transport: queue 0 receives, queue 1
 * transmits, each buffer one descriptor holding the 12-byte header and the
 * frame. Buffers are preallocated; nothing is allocated per packet. Checksum
 * offload both ways when the device offers it (CSUM, GUEST_CSUM): lwIP then
 * neither computes nor checks TCP checksums (kernel/net.h NET_OFF_*), this
 * file does what the device's header does not vouch for (netcsum.c). With
 * GUEST_TSO4 and MRG_RXBUF the host may send TCP segments of up to 64 KiB,
 * spread over 2 KiB receive buffers (num_buffers in the first's header); a
 * frame over 1 KiB goes to lwIP in those buffers, not copied (rx_lend), a
 * spare taking each one's place in the ring; with HOST_TSO4 a burst of lwIP's
 * segments of one flow leaves as one frame (netcoal.c) that the host cuts up
 * again, sent at the scheduler's flush. A device that says its MTU (F_MTU) sets
 * the stack's, up to a jumbo frame's with MRG_RXBUF: lwIP's segments grow with it. */
#include "kernel.h"
#include "net.h"
#include "netcoal.h"
#include "netcsum.h"
#include "virtio.h"

#define NBUF  32   /* receive and transmit buffers each */
#define BUFSZ 2048 /* header + 1514-byte frame, two per page; transmit: past MTU 1500, pages */
#define HDR   sizeof(struct virtio_net_hdr)
/* Receive buffers with MRG_RXBUF: 2 KiB each, two per page, 33 hold 64 KiB. Half a
 * page, not a page: the device writes each frame into the next buffer of the ring,
 * and every page it writes costs the host a page of RAM from then on, so an idle
 * guest that has taken 20 small frames holds 10 pages of them, not 20 (the lab,
 * docs/density.md). The same 64 pages in all, and the ring as long (128 buffers):
 * as many 64 KiB segments fit in it as with 64 pages of a page each. */
#define NMRG  128
#define MRGSZ 2048
/* Lending (kernel/net.h rx_lend): a frame of more than RXCOPY bytes goes to the
 * stack in the buffers it came in, each replaced in the ring at once by a spare,
 * so the ring stays full however long the stack holds them. NMRG spares: the
 * stack holds at most a window's bytes (128 KiB, lwipopts.h) and a few frames on
 * their way; with none left a frame is copied as before. The spares' pages are
 * touched only once lent buffers are out: an idle guest touches none of them.
 * A smaller frame is copied (cheap), so a connection's short requests do not
 * each hold 2 KiB while they wait to be read. */
#define NSPARE NMRG
#define RXCOPY 1024
/* HOST_TSO4: joined frames of up to 64 KiB, one held, the rest sent and not yet
 * taken by the device. Two were too few: where the device's I/O thread shares a CPU
 * with the vCPU (the kvm_amd lab) the guest sends on while the thread waits, and with
 * both in flight every further segment went alone: 22497 of the echo's 24057 data
 * frames, 63% of its bytes; 897 of 4210 with eight (docs/network.md). */
#define NBIG  8
#define BIGSZ (17 * PAGE_SIZE)

static struct vdev *dev;
static int vnet_send(const void *frame, size_t len);
static long vnet_rx_peek(void);
static int vnet_rx_waiting(void);
static int vnet_rx_take(void *buf);
static unsigned vnet_rx_lend(void **buf, uint16_t *len, unsigned max);
static void vnet_rx_return(void *buf);
static void vnet_flush(int idle);
static struct net_dev ndev = { .send = vnet_send,
	                       .rx_peek = vnet_rx_peek,
	                       .rx_waiting = vnet_rx_waiting,
	                       .rx_take = vnet_rx_take,
	                       .rx_lend = vnet_rx_lend,
	                       .rx_return = vnet_rx_return,
	                       .flush = vnet_flush,
	                       .mtu = 1500 };
static struct virtq rxq, txq;
static uint8_t *rxbuf, *txbuf;
static uint8_t *txfree[NBUF];
static unsigned ntxfree;
static uint64_t feat;                     /* negotiated */
static unsigned nrx = NBUF, rxsz = BUFSZ; /* receive buffers: NMRG of MRGSZ with MRG_RXBUF */
static unsigned txsz = BUFSZ;             /* transmit buffers: a frame of the MTU fits */
static uint8_t *bigbuf, *bigfree[NBIG];   /* HOST_TSO4's */
static unsigned nbigfree, nbigall;
static struct netcoal coal;      /* the burst being joined, in a big buffer after its header */
static int tso_on;               /* HOST_TSO4 negotiated */
static uint8_t *rxspare[NSPARE]; /* receive buffers in neither the ring nor the stack */
static unsigned nspare, nlent;   /* spares; buffers the stack holds */

static void rx_post(uint8_t *b) { virtq_add(&rxq, (uint64_t)b, rxsz, 1, b); }

/* Transmit buffers the device is done with go back on the free list. */
static void tx_reap(void)
{
	void *b;
	uint32_t len;
	while (virtq_get(&txq, &b, &len) == 1) {
		if (bigbuf && (uint8_t *)b >= bigbuf && (uint8_t *)b < bigbuf + nbigall * BIGSZ)
			bigfree[nbigfree++] = b;
		else
			txfree[ntxfree++] = b;
	}
}

/* Transmit kicks wait for the scheduler's net_flush (a thread switch or a halt):
 * a thread answering several sockets in a row then costs the device one kick (an
 * exit, even as an ioeventfd) for the lot. A half-full ring is kicked at once, so a
 * thread that sends without yielding never runs out of buffers. */
static unsigned tx_unkicked;

static void tx_kick(void)
{
	tx_unkicked = 0;
	if (virtq_kick_needed(&txq))
		vdev_notify(dev, 1);
}

static void tx_kick_later(void)
{
	if (++tx_unkicked >= NBUF / 2)
		tx_kick();
}

static int ack_kept; /* the held bare ACK outlived a thread switch (vnet_flush) */

/* HOST_TSO4: the held burst goes out, one frame the host's GSO cuts into the
 * segments it was joined from (5.1.6.2.1); net_flush() calls it too. */
static void tso_flush(void)
{
	ack_kept = 0;
	if (!coal.len)
		return;
	uint8_t *b = coal.f - HDR;
	uint32_t len = coal.len;
	unsigned gso;
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		                    .csum_start = (uint16_t)coal.l4,
		                    .csum_offset = 16 };
	if (coal.nseg > 1)
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, h.hdr_len = (uint16_t)coal.hdr;
	netcoal_finish(&coal, &gso);
	h.gso_size = (uint16_t)gso;
	memcpy(b, &h, HDR);
	if (virtq_add(&txq, (uint64_t)b, HDR + len, 0, b) < 0) {
		bigfree[nbigfree++] = b; /* a full ring drops, as for one frame */
		return;
	}
	tx_kick_later();
}

/* The scheduler's flush: the held burst, then one kick for all that waits. A
 * bare ACK alone (netcoal_start_ack) outlives one thread switch, not a halt: lwIP
 * acks every second segment as its input thread takes them, and the app thread
 * it wakes answers at once with data that carries the same ack and window; so
 * the ACK goes in that frame and the host takes, and answers, one frame less. */
static void vnet_flush(int idle)
{
	if (tso_on && !idle && coal.len && coal.bare && !ack_kept)
		ack_kept = 1;
	else if (tso_on)
		tso_flush();
	if (tx_unkicked)
		tx_kick();
}

/* HOST_TSO4: 1 when the frame joined the held burst or began one. Anything else
 * sends the held burst first, so frames leave in lwIP's order. */
static int tso_take(const void *frame, size_t len)
{
	if (netcoal_append(&coal, frame, len))
		return 1;
	tso_flush();
	if (!nbigfree) {
		netcoal_seen(&coal, frame, len); /* for netcoal_start_ack's next look */
		return 0;
	}
	coal.f = bigfree[nbigfree - 1] + HDR;
	coal.cap = 65535; /* what a device takes, with room to spare in BIGSZ */
	if (!netcoal_start(&coal, frame, len) && !netcoal_start_ack(&coal, frame, len))
		return 0;
	nbigfree--;
	return 1;
}

static int vnet_send(const void *frame, size_t len)
{
	tx_reap();
	if (tso_on && tso_take(frame, len))
		return 0;
	if (len > txsz - HDR || !ntxfree || txq.broken)
		return -1; /* a full ring drops, as a NIC would; TCP retransmits */
	uint8_t *b = txfree[--ntxfree];
	memset(b, 0, HDR);
	memcpy(b + HDR, frame, len);
	struct netcsum_tcp t;
	if ((ndev.offload & NET_OFF_TCP_CSUM_TX) &&
	    netcsum_classify(b + HDR, len, &t) == NETCSUM_TCP4) {
		/* lwIP left the checksum at 0: the pseudo-header's sum goes there, the
		 * device sums the segment over it (5.1.6.2) */
		netcsum_partial(b + HDR, &t);
		struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			                    .csum_start = (uint16_t)t.l4,
			                    .csum_offset = 16 };
		memcpy(b, &h, HDR);
	}
	if (virtq_add(&txq, (uint64_t)b, (uint32_t)(HDR + len), 0, b) < 0) {
		txfree[ntxfree++] = b;
		return -1;
	}
	tx_kick_later();
	return 0;
}

/* A frame past the MTU only as the TCPv4 GSO we asked for (GUEST_TSO4). */
static int rx_gso_ok(const struct virtio_net_hdr *h)
{
	return h->gso_type == VIRTIO_NET_HDR_GSO_NONE || (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
	                                                  (feat & 1ull << VIRTIO_NET_F_GUEST_TSO4));
}

/* GUEST_CSUM: lwIP checks no TCP checksum, so a segment the device neither
 * checked (DATA_VALID) nor left for the guest's own stack to sum (NEEDS_CSUM:
 * it never crossed a wire) is checked here. A TCP fragment cannot be: dropped
 * (TCP sizes its segments to the path; nothing here sends it fragments). A
 * partial checksum on anything else (UDP from the host's own stack) is
 * completed here, since lwIP checks those, and so is a SYN's. 0: drop the frame. */
static int rx_csum(const struct virtio_net_hdr *h, uint8_t *f, size_t n)
{
	struct netcsum_tcp t;

	if (!rx_gso_ok(h))
		return 0;
	if (!(ndev.offload & NET_OFF_TCP_CSUM_RX))
		return 1; /* lwIP checks */
	int kind = netcsum_classify(f, n, &t);
	/* SYNs too: the TIME-WAIT hook (libc/net/twsyn.c) checks theirs itself */
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return (kind == NETCSUM_TCP4 && !(f[t.l4 + 13] & 0x02)) ||
		       netcsum_complete(f, n, h->csum_start, h->csum_offset) == 0;
	if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		return kind != NETCSUM_FRAG;
	switch (kind) {
	case NETCSUM_TCP4: return netcsum_ok(f, &t);
	case NETCSUM_FRAG: return 0;
	default: return 1; /* not TCP: lwIP checks it */
	}
}

/* The frame vnet_rx_peek found, still in the receive buffers it came in (one, or
 * num_buffers with MRG_RXBUF): vnet_rx_take copies it out once, into the stack's
 * own buffer, and posts them again. */
static struct {
	uint8_t *b[NMRG];
	uint32_t len[NMRG]; /* used lengths, each checked against the buffer by virtq_get */
	unsigned n;         /* 0: none held */
	size_t tot;         /* the frame's bytes, after the first buffer's header */
	struct virtio_net_hdr h;
} rxf;

/* The held buffers go back to the device, its frame taken or dropped. */
static void rx_release(void)
{
	for (unsigned i = 0; i < rxf.n; i++)
		rx_post(rxf.b[i]);
	rxf.n = 0;
	if (virtq_kick_needed(&rxq))
		vdev_notify(dev, 0);
}

/* A frame held, or a used entry not yet taken: read only (no used_event moved). */
static int vnet_rx_waiting(void)
{
	return rxf.n || __atomic_load_n(&rxq.used->idx, __ATOMIC_ACQUIRE) != rxq.last_used;
}

/* The next frame's length, its buffers held; one that is too long, lost or has
 * no header is dropped and the next one taken: 0 must mean "the ring is empty",
 * or the receive thread would sleep on entries whose interrupt has come and gone. */
static long vnet_rx_peek(void)
{
	if (rxf.n)
		return (long)rxf.tot; /* peeked before and not taken */
	for (;;) {
		void *c;
		uint32_t len;
		int r = virtq_get(&rxq, &c, &len);
		if (r < 0) {
			kprintf("spore: virtio-net: receive ring: %s\n", rxq.broken);
			return -1;
		}
		if (r == 0)
			return 0;
		rxf.b[0] = c, rxf.len[0] = len, rxf.n = 1;
		int ok = len >= HDR;
		if (ok)
			memcpy(&rxf.h, c, HDR);
		size_t tot = ok ? len - HDR : 0;
		/* MRG_RXBUF: the frame goes on in the next num_buffers - 1 used
		 * buffers, which the device published with the first (5.1.6.4.2);
		 * all of them are taken back even when the frame is dropped. More
		 * than the ring's buffers is a lie: what is there is dropped. */
		unsigned nb = ok && (feat & 1ull << VIRTIO_NET_F_MRG_RXBUF) ? rxf.h.num_buffers : 1;
		ok &= nb >= 1 && nb <= nrx;
		for (unsigned k = 1; ok && k < nb; k++) {
			if (virtq_get(&rxq, &c, &len) != 1) {
				ok = 0; /* fewer than it said (lost), or broken: the next call says
				         */
				break;
			}
			rxf.b[rxf.n] = c, rxf.len[rxf.n++] = len;
			tot += len;
		}
		if (ok && tot && tot <= NET_FRAME_MAX) {
			rxf.tot = tot;
			return (long)tot;
		}
		rx_release();
	}
}

/* The held frame into buf (NULL: dropped), its buffers posted again; 0 when a
 * bad TCP checksum loses it, as on a wire. */
static int vnet_rx_take(void *buf)
{
	uint8_t *o = buf;
	ndev.rx_copied += !!o;
	for (unsigned i = 0; o && i < rxf.n; i++) {
		uint32_t skip = i ? 0 : HDR;
		memcpy(o, rxf.b[i] + skip, rxf.len[i] - skip);
		o += rxf.len[i] - skip;
	}
	rx_release();
	return o && rx_csum(&rxf.h, buf, rxf.tot);
}

/* Whether the held frame may go to the stack unread: what rx_csum would let
 * through without reading past the headers, which lie in the first buffer (a
 * device that splits them there gets its frame copied and checked as before). */
static int rx_lendable(void)
{
	struct netcsum_tcp t;
	const struct virtio_net_hdr *h = &rxf.h;
	const uint8_t *f = rxf.b[0] + HDR;

	if (rxf.tot <= RXCOPY || nspare < rxf.n || rxf.len[0] < HDR + 14 + 60 + 60)
		return 0;
	if (!rx_gso_ok(h))
		return 0; /* rx_take drops it */
	if (!(ndev.offload & NET_OFF_TCP_CSUM_RX))
		return 1; /* lwIP checks, over the pieces */
	/* a segment the host's stack left to be summed (it never crossed a wire), or
	 * one the device checked: not a SYN (rx_csum, twsyn.c) */
	return (h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) &&
	       netcsum_classify(f, rxf.tot, &t) == NETCSUM_TCP4 && !(f[t.l4 + 13] & 0x02);
}

/* The held frame to the stack in its own buffers (kernel/net.h): a spare takes
 * each one's place in the ring. 0: take it with rx_take. */
static unsigned vnet_rx_lend(void **buf, uint16_t *len, unsigned max)
{
	if (!rxf.n || rxf.n > max || !rx_lendable())
		return 0;
	unsigned n = rxf.n;
	for (unsigned i = 0; i < n; i++) {
		uint32_t skip = i ? 0 : HDR;
		buf[i] = rxf.b[i] + skip;
		len[i] = (uint16_t)(rxf.len[i] - skip);
		rx_post(rxspare[--nspare]);
	}
	nlent += n;
	ndev.rx_lent++;
	rxf.n = 0;
	if (virtq_kick_needed(&rxq))
		vdev_notify(dev, 0);
	return n;
}

/* A lent buffer back from the stack (any pointer into it): a spare again. */
static void vnet_rx_return(void *buf)
{
	uint8_t *b = (uint8_t *)((uintptr_t)buf & ~(uintptr_t)(rxsz - 1));
	if (b < rxbuf || b >= rxbuf + (nrx + NSPARE) * rxsz || !nlent || nspare == NSPARE)
		panic(__FILE__, __LINE__,
		      "virtio-net: a receive buffer returned that was not lent");
	nlent--;
	rxspare[nspare++] = b;
}

int vnet_init(struct vdev *d)
{
	uint64_t got;

	dev = d;
	uint64_t want =
		1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_F_EVENT_IDX;
	if (net_config.offload)
		want |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
		        1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_MRG_RXBUF |
		        1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_MTU;
	if (vdev_negotiate(d, want, &got) < 0) {
		kprintf("spore: virtio-net: feature negotiation failed\n");
		return -1;
	}
	/* A device that gives GUEST_TSO4 without GUEST_CSUM breaks 5.1.3.1, but
	 * what it sends is still taken safely: whole segments, checksums checked. */
	feat = got;
	if (got & 1ull << VIRTIO_NET_F_MRG_RXBUF)
		nrx = NMRG, rxsz = MRGSZ;
	/* The device's MTU (5.1.4.1, 68 at least): past 1500 only where a frame may span
	 * receive buffers (MRG_RXBUF, asked for with it), and at most NET_MTU_MAX. */
	if (got & 1ull << VIRTIO_NET_F_MTU) {
		unsigned m = vdev_config16(d, 10), max = nrx == NMRG ? NET_MTU_MAX : 1500;
		if (m < 68)
			kprintf("spore: virtio-net: the device's MTU %u is below 68: using 1500\n",
			        m);
		else
			ndev.mtu = m < max ? m : max;
		if (HDR + 14 + ndev.mtu > BUFSZ)
			txsz = (HDR + 14 + ndev.mtu + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	}
	int tso = (got & 1ull << VIRTIO_NET_F_HOST_TSO4) && (got & 1ull << VIRTIO_NET_F_CSUM);
	unsigned nbig = NBIG; /* fewer on a small guest: 2 still join */
	while (tso && nbig >= 2 && !(bigbuf = mem_alloc_pages(nbig * BIGSZ / PAGE_SIZE)))
		nbig /= 2;
	if (bigbuf) {
		for (unsigned i = 0; i < nbig; i++)
			bigfree[nbigfree++] = bigbuf + i * BIGSZ;
		nbigall = nbig;
		tso_on = 1; /* HOST_TSO4 on */
	}
	/* 7. queues; the receive buffers, then the spares (none on a small guest) */
	if ((rxbuf = mem_alloc_pages((nrx + NSPARE) * rxsz / PAGE_SIZE)))
		for (unsigned i = 0; i < NSPARE; i++)
			rxspare[nspare++] = rxbuf + (nrx + NSPARE - 1 - i) * rxsz;
	else
		rxbuf = mem_alloc_pages(nrx * rxsz / PAGE_SIZE);
	txbuf = mem_alloc_pages(NBUF * txsz / PAGE_SIZE);
	if (!rxbuf || !txbuf || vdev_setup_queue(d, 0, &rxq, nrx > 64 ? (uint16_t)nrx : 64) < 0 ||
	    vdev_setup_queue(d, 1, &txq, 64) < 0) {
		kprintf("spore: virtio-net: no memory for its queues\n");
		vdev_fail(d);
		return -1;
	}
	for (unsigned i = 0; i < 6; i++)
		ndev.mac[i] =
			got & 1ull << VIRTIO_NET_F_MAC ? vdev_config8(d, i) : (uint8_t)(i ? i : 2);
	rxq.event_idx = txq.event_idx = !!(got & 1ull << VIRTIO_F_EVENT_IDX);
	ndev.offload = (got & 1ull << VIRTIO_NET_F_CSUM ? NET_OFF_TCP_CSUM_TX : 0) |
	               (got & 1ull << VIRTIO_NET_F_GUEST_CSUM ? NET_OFF_TCP_CSUM_RX : 0);
	if (opt_boottime) /* what was negotiated, for tests and docs/virtio.md */
		kprintf("spore: virtio-net: offloads%s%s%s%s%s%s; mtu %u\n",
		        got & 1ull << VIRTIO_NET_F_CSUM ? " csum" : "",
		        got & 1ull << VIRTIO_NET_F_GUEST_CSUM ? " guest_csum" : "",
		        tso_on ? " host_tso4" : "",
		        got & 1ull << VIRTIO_NET_F_GUEST_TSO4 ? " guest_tso4" : "",
		        got & 1ull << VIRTIO_NET_F_MRG_RXBUF ? " mrg_rxbuf" : "",
		        ndev.offload ? "" : " none", ndev.mtu);
	/* Sent buffers are reaped at the next send: no interrupt for them (with
	 * EVENT_IDX; used_event stays 0, so at most one a 65536 frames). */
	txq.quiet = 1;
	for (unsigned i = 0; i < nrx && i < rxq.size; i++)
		rx_post(rxbuf + i * rxsz);
	for (unsigned i = 0; i < NBUF; i++)
		txfree[ntxfree++] = txbuf + i * txsz;
	vdev_driver_ok(d); /* 8. live */
	vdev_notify(d, 0);
	net_dev = &ndev;
	return 0;
}
