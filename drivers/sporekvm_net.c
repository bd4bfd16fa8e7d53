// SPDX-License-Identifier: MIT
/* spore-kvm's network device: frames to and from the monitor's tap through
 * HC_NET_SEND / HC_NET_RECV. Receive is batched: one exit fetches up to
 * HC_NET_BATCH frames into preallocated buffers, handed out one by one. */
#include "kernel.h"
#include "net.h"
#include "hc.h"

#define RX_BUF 2048   /* >= HC_NET_FRAME_MAX, two per page */

static struct hc_info info;
static struct hc_net tx, rx;
static unsigned char *rxbufs;
static unsigned rx_next;   /* next filled buffer to hand out, < rx.done */

static int hcnet_send(const void *frame, size_t len)
{
	if (len > HC_NET_FRAME_MAX)
		return -1;
	tx.count = 1;
	tx.f[0].buf = (uintptr_t)frame;
	tx.f[0].len = (uint32_t)len;
	hypercall_raw(HC_NET_SEND, &tx);
	return tx.done == 1 ? 0 : -1;
}

static long hcnet_recv(void *buf, size_t size)
{
	if (rx_next == rx.done) {
		rx.count = HC_NET_BATCH;
		for (unsigned i = 0; i < HC_NET_BATCH; i++)
			rx.f[i] = (struct hc_net_frame){ (uintptr_t)(rxbufs + i * RX_BUF), RX_BUF, 0 };
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
		return 0;   /* cannot happen with an honest monitor: drop */
	const unsigned char *src = (const unsigned char *)(uintptr_t)f->buf;
	unsigned char *dst = buf;
	for (uint32_t i = 0; i < f->len; i++)
		dst[i] = src[i];
	return f->len;
}

static struct net_dev dev = { .send = hcnet_send, .recv = hcnet_recv };

void hcnet_init(void)
{
	hypercall_raw(HC_INFO, &info);
	if (!info.net_present)
		return;
	rxbufs = mem_alloc_pages(HC_NET_BATCH * RX_BUF / PAGE_SIZE);
	if (!rxbufs) {
		kprintf("spore: net: no memory for receive buffers; network disabled\n");
		return;
	}
	for (int i = 0; i < 6; i++)
		dev.mac[i] = info.net_mac[i];
	dev.mtu = info.net_mtu ? info.net_mtu : 1500;
	net_dev = &dev;
}
