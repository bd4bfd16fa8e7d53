// SPDX-License-Identifier: MIT
/* A xenstore client (io/xs_wire.h) for probe time: read, write, directory,
 * watch, one request at a time over the ring whose frame and event channel
 * the toolstack left in HVM params. No transactions. Watch events arrive
 * unasked, between replies too: whoever reads the ring queues them, and
 * xs_wait_event hands them out. Everything from the ring is checked
 * (indices, lengths, request ids, an event's two strings): a hostile dom0
 * gets an error message and a dead client, never an overrun. */
#include "kernel.h"
#include "xen.h"

/* Per request. dom0 under TCG is slow, and on a loaded host slower still: one echo guest
 * of 20 in a Xen lab boot waited over 20 s for one reply (its xl create took 41 s, the
 * others' 3-17 s), gave up xenstore and so its network, and never answered an ARP (the
 * make test failure of stop 27). A guest is better late than without devices; the
 * lab's deadline for a domU with a client is 240 s. */
#define XS_TIMEOUT_NS (60ull * 1000000000)
#define XS_EVENTS     8   /* watch events queued; one more drops the oldest */
#define XS_EVENT_MAX  256 /* bytes of a queued event: path NUL token NUL */
#define RING          XENSTORE_RING_SIZE

static struct {
	volatile struct xenstore_domain_interface *r;
	uint32_t port;
	uint32_t req_id;
	const char *broken;                 /* set once the ring cannot be trusted */
	char msg[XENSTORE_PAYLOAD_MAX + 1]; /* the last message's payload, NUL added */
	char ev[XS_EVENTS][XS_EVENT_MAX];   /* queued events, each path NUL token NUL */
	unsigned ev_head, ev_n;             /* the oldest slot, how many are queued */
	int ev_lost;                        /* one was lost since the last xs_wait_event */
} xs;

const char *xs_last_error;
unsigned long xs_events_lost;

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int fail(const char *why)
{
	if (!xs.broken)
		kprintf("spore: xenstore: %s; xenstore disabled\n", why);
	xs.broken = why;
	return -1;
}

/* Clear, check, poll: an event after the check leaves the port pending.
 * -1: the deadline passed first. */
static int wait_for(int (*ready)(void), uint64_t deadline)
{
	for (;;) {
		xen_evtchn_clear(xs.port);
		if (ready())
			return 0;
		if (clock_monotonic_ns() >= deadline)
			return -1;
		xen_evtchn_wait(xs.port, deadline);
	}
}

static int req_space(void) { return xs.r->req_prod - xs.r->req_cons < RING; }
static int rsp_data(void) { return xs.r->rsp_prod != xs.r->rsp_cons; }

/* Our producer index is ours alone; xenstored's consumer index is checked
 * against it (never more than RING behind, never ahead). */
static int put(const void *p, size_t n, uint64_t deadline)
{
	const char *s = p;

	while (n) {
		uint32_t prod = xs.r->req_prod, cons = xs.r->req_cons;
		if (prod - cons > RING)
			return fail("request ring indices out of range");
		if (prod - cons == RING) {
			if (wait_for(req_space, deadline) < 0)
				return fail("no answer from xenstored in time");
			continue;
		}
		size_t k = RING - (prod - cons);
		if (k > n)
			k = n;
		for (size_t i = 0; i < k; i++)
			xs.r->req[(prod + i) % RING] = s[i];
		wmb(); /* data before index (x86: stores in order) */
		xs.r->req_prod = prod + (uint32_t)k;
		xen_evtchn_notify(xs.port);
		s += k;
		n -= k;
	}
	return 0;
}

static int get(void *p, size_t n, uint64_t deadline)
{
	char *d = p;

	while (n) {
		uint32_t prod = xs.r->rsp_prod, cons = xs.r->rsp_cons;
		rmb(); /* index before data (x86: loads in order) */
		if (prod - cons > RING)
			return fail("response ring indices out of range");
		if (prod == cons) {
			if (wait_for(rsp_data, deadline) < 0)
				return fail("no answer from xenstored in time");
			continue;
		}
		size_t k = prod - cons;
		if (k > n)
			k = n;
		for (size_t i = 0; i < k; i++)
			d[i] = xs.r->rsp[(cons + i) % RING];
		/* Data read before the slot is given back: a load then a store,
		 * which x86 keeps in order, but neither rmb() nor wmb() says so;
		 * one fence per chunk on a path that runs at boot. */
		mb();
		xs.r->rsp_cons = cons + (uint32_t)k;
		xen_evtchn_notify(xs.port);
		d += k;
		n -= k;
	}
	return 0;
}

/* The i-th queued event, 0 the oldest. */
static char *slot(unsigned i) { return xs.ev[(xs.ev_head + i) % XS_EVENTS]; }

static void lose(void)
{
	xs_events_lost++;
	xs.ev_lost = 1;
}

/* A watch event (len bytes in xs.msg): two NUL-terminated strings, or the
 * ring is not trusted. One longer than a slot, or the oldest when the queue
 * is full, is lost: counted, and reported by the next xs_wait_event as an
 * event with empty path and token (re-read everything watched). */
static int queue_event(size_t len)
{
	size_t p = 0, e;

	while (p < len && xs.msg[p])
		p++;
	for (e = p + 1; e < len && xs.msg[e]; e++)
		;
	if (e >= len) /* also when p == len: the path has no NUL */
		return fail("watch event without a path and a token");
	if (e >= XS_EVENT_MAX) {
		lose();
		return 0;
	}
	if (xs.ev_n == XS_EVENTS) {
		xs.ev_head = (xs.ev_head + 1) % XS_EVENTS;
		xs.ev_n--;
		lose();
	}
	char *d = slot(xs.ev_n++);
	for (size_t i = 0; i <= e; i++)
		d[i] = xs.msg[i];
	return 0;
}

/* One message: its header in *r, its payload in xs.msg (NUL added). An
 * event is queued here, whoever reads: a reader never takes it for a reply. */
static int recv_msg(struct xsd_sockmsg *r, uint64_t deadline)
{
	if (get(r, sizeof *r, deadline) < 0)
		return -1;
	if (r->len > XENSTORE_PAYLOAD_MAX)
		return fail("message longer than XENSTORE_PAYLOAD_MAX");
	if (get(xs.msg, r->len, deadline) < 0)
		return -1;
	xs.msg[r->len] = 0;
	return r->type == XS_WATCH_EVENT ? queue_event(r->len) : 0;
}

/* One request (payload a then b) and its reply into xs.msg; the reply's
 * length, or -1 (xs_last_error names an error reply). */
static long request(uint32_t type, const char *a, size_t alen, const char *b, size_t blen)
{
	struct xsd_sockmsg h = { .type = type,
		                 .req_id = ++xs.req_id,
		                 .len = (uint32_t)(alen + blen) };
	uint64_t deadline = clock_monotonic_ns() + XS_TIMEOUT_NS;

	xs_last_error = NULL;
	if (xs.broken || !xs.r)
		return -1;
	if (alen + blen > XENSTORE_PAYLOAD_MAX) {
		kprintf("spore: xenstore: request of %lu bytes too long\n",
		        (uint64_t)(alen + blen));
		return -1;
	}
	if (put(&h, sizeof h, deadline) < 0 || put(a, alen, deadline) < 0 ||
	    put(b, blen, deadline) < 0)
		return -1;
	for (;;) {
		struct xsd_sockmsg r;
		if (recv_msg(&r, deadline) < 0)
			return -1;
		if (r.type == XS_WATCH_EVENT || r.req_id != h.req_id)
			continue; /* an event (queued) or not ours: bounded by the deadline */
		if (r.type == XS_ERROR) {
			xs_last_error = xs.msg;
			return -1;
		}
		if (r.type != type)
			return fail("reply of another type than the request");
		return r.len;
	}
}

int xs_read(const char *path, char *buf, size_t size)
{
	long n = request(XS_READ, path, slen(path) + 1, NULL, 0);
	if (n < 0)
		return -1;
	if ((size_t)n >= size) {
		kprintf("spore: xenstore: %s: value of %ld bytes too long\n", path, n);
		return -1;
	}
	for (long i = 0; i < n; i++)
		buf[i] = xs.msg[i];
	buf[n] = 0;
	return (int)n;
}

int xs_write(const char *path, const char *value)
{
	return request(XS_WRITE, path, slen(path) + 1, value, slen(value)) < 0 ? -1 : 0;
}

int xs_directory(const char *path, char *buf, size_t size)
{
	long n = request(XS_DIRECTORY, path, slen(path) + 1, NULL, 0);
	if (n < 0 || (size_t)n > size)
		return -1;
	for (long i = 0; i < n; i++)
		buf[i] = xs.msg[i];
	return (int)n;
}

static int watch_req(uint32_t type, const char *path, const char *token)
{
	return request(type, path, slen(path) + 1, token, slen(token) + 1) < 0 ? -1 : 0;
}

int xs_watch(const char *path, const char *token) { return watch_req(XS_WATCH, path, token); }

/* An event of the watch (path itself or below it, the same token). */
static int of_watch(const char *ev, const char *path, const char *token)
{
	size_t n = slen(path), i;
	for (i = 0; i < n && ev[i] == path[i]; i++)
		;
	if (i < n || (ev[n] && ev[n] != '/'))
		return 0;
	const char *t = ev + slen(ev) + 1;
	for (i = 0; t[i] == token[i] && t[i]; i++)
		;
	return t[i] == token[i];
}

/* Events of the watch still queued go too: xenstored sends none after its
 * reply, so none is left to surprise a later waiter. */
int xs_unwatch(const char *path, const char *token)
{
	int rc = watch_req(XS_UNWATCH, path, token);
	unsigned k = 0;

	for (unsigned i = 0; i < xs.ev_n; i++) {
		char *e = slot(i), *d = slot(k);
		if (of_watch(e, path, token))
			continue;
		if (d != e)
			for (unsigned j = 0; j < XS_EVENT_MAX; j++)
				d[j] = e[j];
		k++;
	}
	xs.ev_n = k;
	return rc;
}

/* The oldest queued event into the caller's buffers; dropped if it does not fit. */
static int pop(char *path, size_t psize, char *token, size_t tsize)
{
	const char *e = slot(0), *t = e + slen(e) + 1;
	size_t p = slen(e), n = slen(t);

	xs.ev_head = (xs.ev_head + 1) % XS_EVENTS;
	xs.ev_n--;
	if (p >= psize || n >= tsize) {
		kprintf("spore: xenstore: watch event on %s longer than the buffers; dropped\n", e);
		return -1;
	}
	for (size_t i = 0; i <= p; i++)
		path[i] = e[i];
	for (size_t i = 0; i <= n; i++)
		token[i] = t[i];
	return 1;
}

int xs_wait_event(char *path, size_t psize, char *token, size_t tsize, uint64_t deadline)
{
	struct xsd_sockmsg r;

	for (;;) {
		if (xs.broken || !xs.r)
			return -1;
		if (xs.ev_lost) {
			xs.ev_lost = 0;
			if (!psize || !tsize)
				return -1;
			path[0] = token[0] = 0;
			return 1;
		}
		if (xs.ev_n)
			return pop(path, psize, token, tsize);
		if (wait_for(rsp_data, deadline) < 0)
			return 0;
		/* A message has begun: it gets a request's time to end. Anything
		 * but an event is a reply no one waits for: skipped. */
		if (recv_msg(&r, clock_monotonic_ns() + XS_TIMEOUT_NS) < 0)
			return -1;
	}
}

/* The ring's frame and port from HVM params; the frame lies outside RAM. */
int xs_init(void)
{
	uint64_t pfn = 0, port = 0;

	if (xen_hvm_param(HVM_PARAM_STORE_PFN, &pfn) < 0 ||
	    xen_hvm_param(HVM_PARAM_STORE_EVTCHN, &port) < 0 || !pfn || pfn >> 40 ||
	    port >= XEN_NR_PORTS || !(xs.r = xen_map_special(pfn * PAGE_SIZE))) {
		kprintf("spore: xenstore: no ring; no devices\n");
		return -1;
	}
	xs.port = (uint32_t)port;
	return 0;
}
