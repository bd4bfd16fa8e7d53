// SPDX-License-Identifier: MIT
/* virtio-net (virtio 1.x, 5.1) over --net's tap, served by the I/O thread: queue 0
 * receives (tap -> guest), queue 1 transmits (guest -> tap). Features: VERSION_1,
 * MAC, EVENT_IDX; no offloads, so every buffer holds the 12-byte header and one
 * plain Ethernet frame. Guest buffers come only from vq.c's checked chains. The
 * guest is interrupted once a batch, when this side is about to wait. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

#define HDR                  sizeof(struct virtio_net_hdr) /* 12 with VERSION_1 */
#define FRAME_MAX            65536 /* more than a tap without offloads gives */
#define VIRTIO_NET_S_LINK_UP 1

static struct {
	int tap;
	const char *name; /* --net's TAP, for messages */
	int tap_ready;    /* epoll said readable (edge-triggered) and no EAGAIN since */
	uint32_t pending; /* bytes of a frame read from the tap, waiting for a buffer */
	uint8_t frame[HDR + FRAME_MAX]; /* that frame, after room for its header */
	uint8_t out[FRAME_MAX];         /* a frame on its way to the tap: apart, so a
	                                 * send never overwrites a pending receive */
} n = { .tap = -1 };

uint64_t vnet_rx, vnet_tx, vnet_drops; /* --stats */

/* The device's identity: MAC and link status in the config space (5.1.4). */
void vnet_init(struct vdev *d, int tap, const char *name, const uint8_t mac[6])
{
	d->id = VIRTIO_ID_NET;
	d->features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
	              1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_F_EVENT_IDX;
	d->nq = 2;
	memcpy(d->config, mac, 6);
	d->config[6] = VIRTIO_NET_S_LINK_UP;
	d->config_len = 8;
	n.tap = tap;
	n.name = name;
}

static void broken(struct vdev *d, struct vq *q)
{
	msg("spore-kvm: guest error: virtio-net %s queue: %s\n",
	    q == &d->q[0] ? "receive" : "transmit", q->broken);
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->live = 0;
}

/* The tap is gone (deleted under the guest: EBADFD, or EIO): as the hypercall
 * path does, end the guest with its one line and HC_EXIT_HOSTIO. */
static void tap_gone(int err)
{
	msg("spore-kvm: --net=%s: the tap is gone (deleted under the running guest?); ending the "
	    "guest (%s)\n",
	    n.name ? n.name : "?", strerror(err));
	_exit(HC_EXIT_HOSTIO);
}

/* Every frame the guest has queued goes to the tap; 1 if any was completed. */
static int tx(struct vdev *d)
{
	static struct vq_chain ch;
	struct vq *q = &d->q[1];
	int done = 0;

	for (;;) {
		int r = vq_pop(q, &ch);
		if (r == 0 && vq_arm(q) == 1)
			continue;
		if (r < 0)
			broken(d, q);
		if (r <= 0)
			return done;
		uint32_t len = vq_read(&ch, HDR, n.out, FRAME_MAX);
		/* 14..1514 bytes, as on the hypercall path: no GSO was offered. */
		if (ch.rlen < HDR + 14 || ch.rlen > HDR + HC_NET_FRAME_MAX) {
			vnet_drops++; /* not a frame: dropped, the buffer returned */
		} else if (write(n.tap, n.out, len) < 0) {
			if (errno == EIO || errno == EBADFD)
				tap_gone(errno);
			vnet_drops++; /* a full tap queue drops, as a NIC would */
		} else {
			vnet_tx++;
		}
		vq_push(q, ch.head, 0);
		done = 1;
	}
}

/* Frames from the tap into the guest's receive buffers until either runs out. A
 * frame read when no buffer is there waits in n.frame for the guest's kick. */
static int rx(struct vdev *d)
{
	static struct vq_chain ch;
	struct vq *q = &d->q[0];
	int done = 0;

	while (n.tap_ready || n.pending) {
		if (!n.pending) {
			ssize_t k = read(n.tap, n.frame + HDR, FRAME_MAX);
			if (k < 0 && errno != EAGAIN && errno != EINTR)
				tap_gone(errno);
			if (k <= 0) {
				n.tap_ready = 0;
				break;
			}
			n.pending = (uint32_t)k;
		}
		int r = vq_pop(q, &ch);
		if (r == 0 && vq_arm(q) == 1)
			continue; /* the guest added buffers as we looked */
		if (r < 0)
			broken(d, q);
		if (r <= 0)
			break; /* no buffer: wait for the guest's kick */
		/* 5.1.6.4: no offloads, one buffer a frame (no MRG_RXBUF: num_buffers 1). */
		struct virtio_net_hdr h = { .num_buffers = 1 };
		memcpy(n.frame, &h, HDR);
		uint32_t len = HDR + n.pending;
		if (ch.wlen < len) {
			vnet_drops++; /* a buffer too small for it: the frame is lost */
			len = 0;
		} else {
			vq_write(&ch, 0, n.frame, len);
			vnet_rx++;
		}
		vq_push(q, ch.head, len);
		n.pending = 0;
		done = 1;
	}
	return done;
}

/* The I/O thread, with d->lock held, after any of the device's events: transmit,
 * receive, then one interrupt if either queue's guest asked for one (EVENT_IDX). */
void vnet_serve(struct vdev *d, int tap_event)
{
	if (tap_event)
		n.tap_ready = 1;
	if (!d->live)
		return; /* frames wait in the tap until DRIVER_OK */
	int irq = 0;
	if (tx(d))
		irq |= vq_need_irq(&d->q[1]);
	if (d->live && rx(d))
		irq |= vq_need_irq(&d->q[0]);
	if (irq)
		vmmio_irq(d);
}
