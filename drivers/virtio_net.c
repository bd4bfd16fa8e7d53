// SPDX-License-Identifier: MIT
/* virtio-net (spec 5.1) over either transport: queue 0 receives, queue 1
 * transmits, each buffer one descriptor holding the 12-byte header and the
 * frame. Buffers are preallocated; nothing is allocated per packet. */
#include "kernel.h"
#include "net.h"
#include "virtio.h"

#define NBUF  32   /* receive and transmit buffers each */
#define BUFSZ 2048 /* header + 1514-byte frame, two per page */
#define HDR   sizeof(struct virtio_net_hdr)

static struct vdev *dev;
static struct virtq rxq, txq;
static uint8_t *rxbuf, *txbuf;
static uint8_t *txfree[NBUF];
static unsigned ntxfree;

static void rx_post(uint8_t *b) { virtq_add(&rxq, (uint64_t)b, BUFSZ, 1, b); }

/* Transmit buffers the device is done with go back on the free list. */
static void tx_reap(void)
{
	void *b;
	uint32_t len;
	while (virtq_get(&txq, &b, &len) == 1)
		txfree[ntxfree++] = b;
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

static void vnet_flush(void)
{
	if (tx_unkicked)
		tx_kick();
}

static int vnet_send(const void *frame, size_t len)
{
	tx_reap();
	if (len > BUFSZ - HDR || !ntxfree || txq.broken)
		return -1; /* a full ring drops, as a NIC would; TCP retransmits */
	uint8_t *b = txfree[--ntxfree];
	memset(b, 0, HDR); /* no offloads */
	memcpy(b + HDR, frame, len);
	if (virtq_add(&txq, (uint64_t)b, (uint32_t)(HDR + len), 0, b) < 0) {
		txfree[ntxfree++] = b;
		return -1;
	}
	tx_kick_later();
	return 0;
}

/* The next frame; one that does not fit (or has no header) is dropped and
 * the next one taken: 0 must mean "the ring is empty", or the receive thread
 * would sleep on entries whose interrupt has already come and gone. */
static long vnet_recv(void *buf, size_t size)
{
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
		uint8_t *b = c;
		long n = len > HDR && len - HDR <= size ? (long)(len - HDR) : 0;
		memcpy(buf, b + HDR, (size_t)n);
		rx_post(b);
		if (virtq_kick_needed(&rxq))
			vdev_notify(dev, 0);
		if (n)
			return n;
	}
}

static struct net_dev ndev = {
	.send = vnet_send, .recv = vnet_recv, .flush = vnet_flush, .mtu = 1500
};

int vnet_init(struct vdev *d)
{
	uint64_t got;

	dev = d;
	if (vdev_negotiate(d,
	                   1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
	                           1ull << VIRTIO_F_EVENT_IDX,
	                   &got) < 0) {
		kprintf("spore: virtio-net: feature negotiation failed\n");
		return -1;
	}
	rxbuf = mem_alloc_pages(NBUF * BUFSZ / PAGE_SIZE); /* 7. queues */
	txbuf = mem_alloc_pages(NBUF * BUFSZ / PAGE_SIZE);
	if (!rxbuf || !txbuf || vdev_setup_queue(d, 0, &rxq, 64) < 0 ||
	    vdev_setup_queue(d, 1, &txq, 64) < 0) {
		kprintf("spore: virtio-net: no memory for its queues\n");
		vdev_fail(d);
		return -1;
	}
	for (unsigned i = 0; i < 6; i++)
		ndev.mac[i] =
			got & 1ull << VIRTIO_NET_F_MAC ? vdev_config8(d, i) : (uint8_t)(i ? i : 2);
	rxq.event_idx = txq.event_idx = !!(got & 1ull << VIRTIO_F_EVENT_IDX);
	/* Sent buffers are reaped at the next send: no interrupt for them (with
	 * EVENT_IDX; used_event stays 0, so at most one a 65536 frames). */
	txq.quiet = 1;
	for (unsigned i = 0; i < NBUF && i < rxq.size; i++)
		rx_post(rxbuf + i * BUFSZ);
	for (unsigned i = 0; i < NBUF; i++)
		txfree[ntxfree++] = txbuf + i * BUFSZ;
	vdev_driver_ok(d); /* 8. live */
	vdev_notify(d, 0);
	net_dev = &ndev;
	return 0;
}
