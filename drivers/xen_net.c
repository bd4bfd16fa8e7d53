// SPDX-License-Identifier: MIT
/* netfront (io/netif.h): the first vif in xenstore as the network device.
 * One tx and one rx ring, one event channel, rx by copy (the backend copies
 * into pages we grant; we never map its memory). Buffers are granted once at
 * start and reused; nothing is allocated per packet. Every response goes
 * through xen_netring.c's checks on a private copy. No scatter-gather, no
 * offloads (feature-no-csum-offload: the backend sends complete checksums),
 * one queue, no reconnect after the backend closes. The handshake waits on a
 * xenstore watch of the backend's state. */
#include "kernel.h"
#include "net.h"
#include "xen.h"

#define NRX        XNRING_MAXBUF /* receive buffers, a granted page each */
#define NTX        32            /* transmit buffers, a granted page each */
#define TXBUF      PAGE_SIZE
#define HS_TIMEOUT (60ull * 1000000000) /* each handshake wait; dom0 under TCG is slow */
#define HS_RECHECK (100ull * 1000000)   /* the longest between two reads of the backend's state */
#define HS_TOKEN   "spore-netfront"     /* our watch on the backend's state */
#define TX_WAIT    (50ull * 1000000)    /* for a transmit buffer when all are out */

static struct {
	volatile uint8_t *txs, *rxs; /* the shared rings: header, then entries */
	uint32_t tx_prod, rx_prod;   /* our producer indices: the ring's copy is only published */
	struct xnring tx, rx;
	uint8_t *rxbuf, *txbuf;
	int rx_gref[NRX], tx_gref[NTX], txs_gref, rxs_gref;
	uint16_t txfree[NTX];
	unsigned ntxfree;
	uint32_t port;
	uint16_t backend;
	char fe[32], be[128]; /* front and back end's xenstore paths */
} nf;

#define HDR(s) ((volatile struct xen_sring_hdr *)(s))

static volatile void *entry(volatile uint8_t *s, uint32_t i, unsigned size)
{
	return s + sizeof(struct xen_sring_hdr) + (i % NETIF_RING_SIZE) * size;
}

/* Publishes requests up to prod; notifies only when the backend asked to be
 * (io/ring.h RING_PUSH_REQUESTS_AND_CHECK_NOTIFY). old: what we published before. */
static void push(volatile uint8_t *s, uint32_t old, uint32_t prod)
{
	wmb(); /* requests before the index (x86: stores in order) */
	HDR(s)->req_prod = prod;
	/* The index store before the req_event load: without a full fence the
	 * load may pass the store, the backend may miss our index and we its
	 * request for a notification, and both wait. */
	mb();
	if ((uint32_t)(prod - HDR(s)->req_event) < (uint32_t)(prod - old))
		xen_evtchn_notify(nf.port);
}

static void broken(struct xnring *r, const char *ring)
{
	static int said;
	if (!said++)
		kprintf("spore: netfront: %s ring: %s; network disabled\n", ring, r->broken);
}

/* Transmit buffers the backend has answered go back on the free list. */
static void tx_reap(void)
{
	int n = xnring_pending(&nf.tx, HDR(nf.txs)->rsp_prod);
	rmb(); /* the index before the entries */
	for (; n > 0; n--) {
		volatile struct netif_tx_response *e =
			entry(nf.txs, nf.tx.rsp_cons, NETIF_TX_ENTRY);
		struct netif_tx_response rsp = { e->id, e->status }; /* one copy, then checks */
		uint16_t id;
		if (xnring_tx(&nf.tx, &rsp, &id) < 0)
			break;
		nf.txfree[nf.ntxfree++] = id;
	}
	if (nf.tx.broken)
		broken(&nf.tx, "tx");
}

/* All transmit buffers out: wait (bounded) for the backend to answer one
 * rather than drop the frame. Clear, check, poll, as everywhere. The port
 * may carry an rx event too: the receive thread is woken for it. */
static void tx_wait(void)
{
	uint64_t deadline = clock_monotonic_ns() + TX_WAIT;
	while (!nf.ntxfree && !nf.tx.broken && clock_monotonic_ns() < deadline) {
		xen_evtchn_clear(nf.port);
		HDR(nf.txs)->rsp_event = nf.tx.rsp_cons + 1;
		mb(); /* as in push */
		tx_reap();
		if (!nf.ntxfree)
			xen_evtchn_wait(nf.port, deadline);
		net_wake();
	}
}

static int xnet_send(const void *frame, size_t len)
{
	tx_reap();
	if (!nf.ntxfree)
		tx_wait();
	if (nf.tx.broken || len > TXBUF || len < 14 || !nf.ntxfree)
		return -1; /* the backend did not answer in time: drop, as a NIC would */
	uint16_t id = nf.txfree[--nf.ntxfree];
	memcpy(nf.txbuf + id * TXBUF, frame, len);
	volatile struct netif_tx_request *q = entry(nf.txs, nf.tx_prod, NETIF_TX_ENTRY);
	q->gref = (uint32_t)nf.tx_gref[id];
	q->offset = 0;
	q->flags = 0;
	q->id = id;
	q->size = (uint16_t)len;
	xnring_post(&nf.tx, id);
	push(nf.txs, nf.tx_prod, nf.tx_prod + 1);
	nf.tx_prod++;
	return 0;
}

static void rx_post(uint16_t id)
{
	volatile struct netif_rx_request *q = entry(nf.rxs, nf.rx_prod, NETIF_RX_ENTRY);
	q->id = id;
	q->gref = (uint32_t)nf.rx_gref[id];
	xnring_post(&nf.rx, id);
	nf.rx_prod++;
}

/* The next frame; a dropped one is skipped: 0 must mean "nothing waits",
 * and only after asking for a notification of the next response
 * (RING_FINAL_CHECK_FOR_RESPONSES): the check after the fence catches one
 * that came in between, so the receive thread never sleeps on a full ring. */
static long xnet_recv(void *buf, size_t size)
{
	for (;;) {
		int n = xnring_pending(&nf.rx, HDR(nf.rxs)->rsp_prod);
		if (n < 0) {
			broken(&nf.rx, "rx");
			return -1;
		}
		if (n == 0) {
			HDR(nf.rxs)->rsp_event = nf.rx.rsp_cons + 1;
			mb(); /* store before the load, as in push */
			if (HDR(nf.rxs)->rsp_prod == nf.rx.rsp_cons)
				return 0;
			continue;
		}
		rmb(); /* the index before the entry */
		volatile struct netif_rx_response *e =
			entry(nf.rxs, nf.rx.rsp_cons, NETIF_RX_ENTRY);
		struct netif_rx_response rsp = { e->id, e->offset, e->flags, e->status };
		uint16_t id, off;
		long len = xnring_rx(&nf.rx, &rsp, PAGE_SIZE, &id, &off);
		if (len < 0) {
			broken(&nf.rx, "rx");
			return -1;
		}
		if ((size_t)len > size)
			len = 0; /* longer than the caller's buffer: dropped */
		memcpy(buf, nf.rxbuf + (size_t)id * PAGE_SIZE + off, (size_t)len);
		uint32_t old = nf.rx_prod;
		rx_post(id);
		push(nf.rxs, old, nf.rx_prod);
		if (len)
			return len;
	}
}

static struct net_dev ndev = { .send = xnet_send, .recv = xnet_recv, .mtu = 1500 };

/* ---- the handshake (io/xenbus.h, io/netif.h) ---- */

static int parse_uint(const char *s, unsigned long *v)
{
	*v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || *v > 0xffffffffu)
			return -1;
		*v = *v * 10 + (unsigned long)(*s - '0');
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
		if (l < 0 || s[2] != (i == 5 ? 0 : ':'))
			return -1;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

static int xs_readf(char *buf, size_t size, const char *dir, const char *key)
{
	char path[192];
	ksnprintf(path, sizeof path, "%s/%s", dir, key);
	return xs_read(path, buf, size);
}

static int xs_writef(const char *key, unsigned long v)
{
	char path[64], val[24];
	ksnprintf(path, sizeof path, "%s/%s", nf.fe, key);
	ksnprintf(val, sizeof val, "%lu", v);
	return xs_write(path, val);
}

/* Reads the backend's state until it is in [lo, hi]: bounded, and a backend
 * that closes (or whose state cannot be read) ends the wait. Between two
 * reads it waits for an event of the watch on that state (xnet_init sets
 * it), but at most HS_RECHECK: should an event be missed (the watch could
 * not be set, or an event was lost), the fallback read costs 100 ms, not the
 * handshake. Whatever xs_wait_event returns, the answer is to read again: an
 * event, none in time, an event too long (dropped) or a dead client (then
 * the read fails). */
static int wait_backend(int lo, int hi)
{
	uint64_t deadline = clock_monotonic_ns() + HS_TIMEOUT;
	char v[16], path[160], token[32];
	unsigned long st = 0;

	for (;;) {
		if (xs_readf(v, sizeof v, nf.be, "state") < 0 || parse_uint(v, &st) < 0)
			return -1;
		if ((int)st >= lo && (int)st <= hi)
			return 0;
		uint64_t now = clock_monotonic_ns();
		if (st >= XenbusStateClosing || now >= deadline)
			break;
		uint64_t until = deadline - now < HS_RECHECK ? deadline : now + HS_RECHECK;
		xs_wait_event(path, sizeof path, token, sizeof token, until);
	}
	kprintf("spore: netfront: backend state %lu, waited for %d..%d\n", st, lo, hi);
	return -1;
}

/* Grants every page the backend may touch: the two rings and rx buffers
 * writable, tx buffers read-only. */
static int grant_all(void)
{
	if ((nf.txs_gref = gnttab_grant(nf.backend, (void *)nf.txs, 0)) < 0 ||
	    (nf.rxs_gref = gnttab_grant(nf.backend, (void *)nf.rxs, 0)) < 0)
		return -1;
	for (unsigned i = 0; i < NRX; i++)
		if ((nf.rx_gref[i] = gnttab_grant(nf.backend, nf.rxbuf + i * PAGE_SIZE, 0)) < 0)
			return -1;
	for (unsigned i = 0; i < NTX; i++)
		if ((nf.tx_gref[i] = gnttab_grant(nf.backend, nf.txbuf + i * PAGE_SIZE, 1)) < 0)
			return -1;
	return 0;
}

/* A grant the backend still uses stays (and so does its page: never freed). */
static void ungrant_all(void)
{
	int *all[] = { &nf.txs_gref, &nf.rxs_gref };
	for (unsigned i = 0; i < 2; i++)
		if (*all[i] >= 0)
			gnttab_end(*all[i]);
	for (unsigned i = 0; i < NRX; i++)
		if (nf.rx_gref[i] >= 0)
			gnttab_end(nf.rx_gref[i]);
	for (unsigned i = 0; i < NTX; i++)
		if (nf.tx_gref[i] >= 0)
			gnttab_end(nf.tx_gref[i]);
}

static void zero(volatile uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = 0;
}

/* Steps 3-5 of the recipe below, with the backend's state watched. */
static int handshake(void)
{
	if (wait_backend(XenbusStateInitWait, XenbusStateConnected) < 0) /* 3. */
		return -1;
	if (xs_writef("tx-ring-ref", (unsigned)nf.txs_gref) < 0 || /* 4. */
	    xs_writef("rx-ring-ref", (unsigned)nf.rxs_gref) < 0 ||
	    xs_writef("event-channel", nf.port) < 0 || xs_writef("request-rx-copy", 1) < 0 ||
	    xs_writef("feature-rx-notify", 1) < 0 || xs_writef("feature-no-csum-offload", 1) < 0 ||
	    xs_writef("state", XenbusStateConnected) < 0 || /* 5. */
	    wait_backend(XenbusStateConnected, XenbusStateConnected) < 0) {
		kprintf("spore: netfront: handshake with %s failed\n", nf.be);
		return -1;
	}
	return 0;
}

/* Recipe (Linux's and Mini-OS's netfront walk the same steps):
 * 1. find our vif in xenstore: device/vif/N, its backend path and domain, mac;
 * 2. rings, buffers, grants, an unbound event channel for the backend;
 * 3. watch the backend's state; wait for it to reach InitWait (its hotplug
 *    script has run);
 * 4. publish ring refs, the channel and our features; rx buffers posted;
 * 5. our state Connected, then wait for the backend's Connected; unwatch. */
void xnet_init(void)
{
	char names[64], v[128], state[160];
	unsigned long dom;
	int n = xs_directory("device/vif", names, sizeof names - 1);

	if (n <= 0)
		return; /* no vif: no network, not an error */
	names[n] = 0;   /* 1. */
	ksnprintf(nf.fe, sizeof nf.fe, "device/vif/%s", names);
	if (xs_readf(nf.be, sizeof nf.be, nf.fe, "backend") < 0 ||
	    xs_readf(v, sizeof v, nf.fe, "backend-id") < 0 || parse_uint(v, &dom) < 0 ||
	    dom >= 0x7ff0 || xs_readf(v, sizeof v, nf.fe, "mac") < 0 ||
	    parse_mac(v, ndev.mac) < 0) {
		kprintf("spore: netfront: %s: no usable backend, backend-id or mac\n", nf.fe);
		return;
	}
	nf.backend = (uint16_t)dom;

	nf.txs = mem_alloc_pages(1); /* 2. */
	nf.rxs = mem_alloc_pages(1);
	nf.rxbuf = mem_alloc_pages(NRX);
	nf.txbuf = mem_alloc_pages(NTX);
	if (!nf.txs || !nf.rxs || !nf.rxbuf || !nf.txbuf) {
		kprintf("spore: netfront: no memory for rings and buffers; network disabled\n");
		return;
	}
	zero(nf.txs, PAGE_SIZE);
	zero(nf.rxs, PAGE_SIZE);
	HDR(nf.txs)->req_event = HDR(nf.txs)->rsp_event = 1; /* io/ring.h SHARED_RING_INIT */
	HDR(nf.rxs)->req_event = HDR(nf.rxs)->rsp_event = 1;
	nf.txs_gref = nf.rxs_gref = -1;
	for (unsigned i = 0; i < NRX; i++)
		nf.rx_gref[i] = -1;
	for (unsigned i = 0; i < NTX; i++)
		nf.tx_gref[i] = -1;
	if (grant_all() < 0 || xen_evtchn_alloc(nf.backend, &nf.port) < 0 ||
	    nf.port >= XEN_NR_PORTS) {
		kprintf("spore: netfront: out of grant references or event channels\n");
		goto ungrant;
	}
	xnring_init(&nf.tx, NTX);
	xnring_init(&nf.rx, NRX);
	for (unsigned i = 0; i < NTX; i++)
		nf.txfree[nf.ntxfree++] = (uint16_t)(NTX - 1 - i);
	for (unsigned i = 0; i < NRX; i++)
		rx_post((uint16_t)i);
	HDR(nf.rxs)->req_prod = nf.rx_prod;

	ksnprintf(state, sizeof state, "%s/state", nf.be); /* 3. */
	int watched = xs_watch(state, HS_TOKEN) == 0;
	if (!watched)
		kprintf("spore: netfront: cannot watch %s; reading it every 100 ms\n", state);
	int rc = handshake(); /* 3.-5. */
	if (watched)
		xs_unwatch(state, HS_TOKEN); /* a failure leaves events no one reads: harmless */
	if (rc < 0)
		goto ungrant;
	if (xen_evtchn_watch(nf.port, net_wake) < 0)
		goto ungrant;
	xen_evtchn_notify(nf.port); /* the rx buffers posted before the backend looked */
	net_dev = &ndev;
	return;
ungrant:
	ungrant_all();
}
