// SPDX-License-Identifier: MIT
/* spore-kvm's network device: frames to and from the monitor's tap through
 * HC_NET_SEND / HC_NET_RECV, both batched. Receive: one exit fetches up to
 * HC_NET_BATCH frames into preallocated buffers, handed out one by one.
 * Transmit: frames are copied into a batch that goes out in one exit when it
 * is full, when the receive side asks for more, or when the scheduler
 * switches threads or halts (net_flush), so a burst costs one exit. */
#include "kernel.h"
#include "net.h"
#include "hc.h"

#define RX_BUF 2048 /* >= HC_NET_FRAME_MAX, two per page */

static struct hc_info info;
static struct hc_net tx, rx;
static unsigned char *rxbufs, *txbufs;
static unsigned rx_next; /* next filled buffer to hand out, < rx.done */

static void hcnet_flush(int idle)
{
	(void)idle; /* nothing here waits for another thread */
	if (!tx.count)
		return;
	hypercall_raw(HC_NET_SEND, &tx);
	tx.count = 0; /* frames the tap refused are dropped, as a full NIC queue would */
}

static int hcnet_send(const void *frame, size_t len)
{
	if (len > HC_NET_FRAME_MAX)
		return -1;
	if (tx.count == HC_NET_BATCH)
		hcnet_flush(1);
	unsigned char *b = txbufs + tx.count * RX_BUF;
	memcpy(b, frame, len);
	tx.f[tx.count++] = (struct hc_net_frame){ (uintptr_t)b, (uint32_t)len, 0 };
	return 0;
}

static long hcnet_recv(void *buf, size_t size)
{
	if (rx_next == rx.done) {
		hcnet_flush(1); /* replies to what we are about to read go out first */
		rx.count = HC_NET_BATCH;
		for (unsigned i = 0; i < HC_NET_BATCH; i++)
			rx.f[i] = (struct hc_net_frame){ (uintptr_t)(rxbufs + i * RX_BUF), RX_BUF,
				                         0 };
		rx.done = rx_next = 0;
		hypercall_raw(HC_NET_RECV, &rx);
		if (rx.done > HC_NET_BATCH) {
			kprintf("spore: net: the monitor returned %u frames for %u buffers\n",
			        rx.done, HC_NET_BATCH);
			rx.done = 0;
			return -1;
		}
		if (!rx.done)
			return 0;
	}
	struct hc_net_frame *f = &rx.f[rx_next++];
	if (f->len > RX_BUF || f->len > size)
		return 0; /* cannot happen with an honest monitor: drop */
	memcpy(buf, (const void *)(uintptr_t)f->buf, f->len);
	return f->len;
}

static struct net_dev dev = { .send = hcnet_send, .recv = hcnet_recv, .flush = hcnet_flush };

void hcnet_init(void)
{
	hypercall_raw(HC_INFO, &info);
	hcblk_init(info.blk_sectors);
	if (!info.net_present)
		return;
	rxbufs = mem_alloc_pages(HC_NET_BATCH * RX_BUF / PAGE_SIZE);
	txbufs = mem_alloc_pages(HC_NET_BATCH * RX_BUF / PAGE_SIZE);
	if (!rxbufs || !txbufs) {
		kprintf("spore: net: no memory for receive buffers; network disabled\n");
		return;
	}
	memcpy(dev.mac, info.net_mac, sizeof dev.mac);
	dev.mtu = info.net_mtu ? info.net_mtu : 1500;
	net_dev = &dev;
}
