// SPDX-License-Identifier: MIT
/* Host unit test for the xenstore client (drivers/xen_store.c) against a
 * scripted xenstored: replies placed in the ring before the request, honest
 * and hostile (indices far apart, a reply longer than the payload limit, an
 * error reply, another request's id, another type, no reply at all), and
 * watch events: before a reply, while a waiter blocks, more than the queue
 * holds, malformed or too long. Each call must return the value or -1,
 * never read or write outside its buffers (ASan). "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "kernel.h"
#include "xen.h"

/* Stubs for what xen_store.c calls: the clock advances 1 s per read, so a
 * missing reply times out after ~20 calls; no hypercall is made. A wait
 * calls on_wait once if set: xenstored answering while the vCPU blocks. */
static uint64_t now;
static struct xenstore_domain_interface page;
static void (*on_wait)(void);
static unsigned waits;
uint64_t clock_monotonic_ns(void) { return now += 1000000000ull; }
void xen_evtchn_clear(uint32_t port) { (void)port; }
void xen_evtchn_notify(uint32_t port) { (void)port; }
void xen_evtchn_wait(uint32_t port, uint64_t deadline)
{
	void (*f)(void) = on_wait;
	(void)port, (void)deadline;
	waits++;
	on_wait = NULL;
	if (f)
		f();
}
long xen_hvm_param(uint32_t index, uint64_t *v)
{
	*v = index == HVM_PARAM_STORE_PFN ? 0xfeffc : 1;
	return 0;
}
void *xen_map_special(uint64_t pa)
{
	(void)pa;
	return &page;
}
void kprintf(const char *fmt, ...) { (void)fmt; }
int ksnprintf(char *b, size_t n, const char *fmt, ...)
{
	(void)b;
	(void)n;
	(void)fmt;
	return 0;
}

#include "../../drivers/xen_store.c"

static void fresh(void)
{
	memset(&page, 0, sizeof page);
	memset(&xs, 0, sizeof xs);
	xs_events_lost = 0;
	on_wait = NULL;
	xs_init();
}

/* xenstored's side: one reply of type t for request id (the next one). */
static void reply(uint32_t t, uint32_t id, const void *p, uint32_t len, uint32_t claimed)
{
	struct xsd_sockmsg h = { t, id, 0, claimed };
	const char *b = (const char *)&h;
	for (unsigned i = 0; i < sizeof h; i++)
		page.rsp[page.rsp_prod++ % RING] = b[i];
	for (unsigned i = 0; i < len; i++)
		page.rsp[page.rsp_prod++ % RING] = ((const char *)p)[i];
}

static const char *t_good(void)
{
	char v[64];
	fresh();
	reply(XS_READ, 1, "/local/domain/0/backend/vif/1/0", 31, 31);
	CHECK(xs_read("device/vif/0/backend", v, sizeof v) == 31 &&
	      !strcmp(v, "/local/domain/0/backend/vif/1/0"));
	CHECK(!memcmp(page.req + sizeof(struct xsd_sockmsg), "device/vif/0/backend",
	              21)); /* with its NUL */
	reply(XS_WRITE, 2, "OK", 3, 3);
	CHECK(xs_write("device/vif/0/state", "4") == 0);
	reply(XS_DIRECTORY, 3,
	      "0\0"
	      "1\0",
	      4, 4);
	CHECK(xs_directory("device/vif", v, sizeof v) == 4 && !strcmp(v, "0"));
	reply(XS_WATCH_EVENT, 0, "x\0y\0", 4, 4); /* not ours: skipped */
	reply(XS_READ, 4, "4", 1, 1);
	CHECK(xs_read("state", v, sizeof v) == 1 && !strcmp(v, "4"));
	page.rsp_cons = page.rsp_prod = 0xfffffff0u; /* indices wrap */
	reply(XS_READ, 5, "abc", 3, 3);
	CHECK(xs_read("k", v, sizeof v) == 3 && !strcmp(v, "abc"));
	return NULL;
}

static const char *t_errors(void)
{
	char v[8];
	fresh();
	reply(XS_ERROR, 1, "ENOENT", 7, 7);
	CHECK(xs_read("device/vif", v, sizeof v) < 0 && xs_last_error &&
	      !strcmp(xs_last_error, "ENOENT"));
	reply(XS_READ, 2, "0123456789", 10, 10); /* longer than the caller's buffer */
	CHECK(xs_read("k", v, sizeof v) < 0 && !xs.broken);
	static char big[XENSTORE_PAYLOAD_MAX + 10];
	memset(big, 'a', sizeof big - 1);
	CHECK(xs_write(big, "") < 0 && !xs.broken);        /* request too long: refused locally */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken); /* no reply: times out, client dead */
	CHECK(xs_read("k", v, sizeof v) < 0);
	return NULL;
}

static const char *t_hostile(void)
{
	char v[64];
	fresh();
	page.rsp_prod = page.rsp_cons + RING + 1; /* more than a ring of data */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	page.req_cons = page.req_prod + 1; /* consumer ahead of our producer */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, XENSTORE_PAYLOAD_MAX + 1); /* claims a too-long reply */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, 0xffffffffu);
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_WRITE, 1, "OK", 3, 3); /* another type */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 7, "x", 1, 1); /* another id, then nothing */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, 100); /* claims more than it sent */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_DIRECTORY, 1, "0\0", 2, 2);
	CHECK(xs_directory("d", v, 1) < 0); /* bigger than the caller's buffer */
	return NULL;
}

/* An event: path NUL token NUL, as xenstored sends it. */
static void event(const char *path, const char *token)
{
	char b[512];
	size_t p = strlen(path) + 1, t = strlen(token) + 1;
	memcpy(b, path, p);
	memcpy(b + p, token, t);
	reply(XS_WATCH_EVENT, 0, b, (uint32_t)(p + t), (uint32_t)(p + t));
}

/* The request the client put at ring offset at: header, then payload. */
static int sent(uint32_t at, uint32_t type, const void *payload, uint32_t len)
{
	struct xsd_sockmsg h;
	char b[sizeof h + 512];
	if (len > sizeof b - sizeof h)
		return 0;
	for (uint32_t i = 0; i < sizeof h + len; i++)
		b[i] = page.req[(at + i) % RING];
	memcpy(&h, b, sizeof h);
	return h.type == type && h.len == len && !memcmp(b + sizeof h, payload, len);
}

static void late_event(void) { event("backend/state", "nf"); }

static const char *t_watch(void)
{
	char p[64], t[16];
	fresh();
	reply(XS_WATCH, 1, "OK", 3, 3);
	event("backend/state", "nf"); /* fired on registration */
	CHECK(xs_watch("backend/state", "nf") == 0);
	CHECK(sent(0, XS_WATCH, "backend/state\0nf", 17));
	CHECK(xs.ev_n == 0); /* after the reply: still in the ring */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1);
	CHECK(!strcmp(p, "backend/state") && !strcmp(t, "nf"));
	waits = 0;
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 3000000000ull) == 0 && !xs.broken);
	CHECK(waits > 0);                                         /* it blocked, then gave up */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now) == 0); /* past deadline: a look */
	on_wait = late_event;                                     /* comes while the vCPU waits */
	waits = 0;
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 10000000000ull) == 1 && waits == 1);
	CHECK(!strcmp(p, "backend/state") && !strcmp(t, "nf"));
	reply(XS_READ, 99, "stale", 5, 5); /* a reply no one waits for */
	event("backend/state", "nf");
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 && !xs.broken);
	page.rsp_cons = page.rsp_prod = 0xfffffff8u; /* an event across the wrap */
	event("backend/state", "nf");
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
	      !strcmp(t, "nf"));
	CHECK(xs_events_lost == 0);
	return NULL;
}

static const char *t_event_before_reply(void)
{
	char v[16], p[64], t[16];
	fresh();
	reply(XS_WATCH_EVENT, 1, "backend/state\0nf", 17, 17); /* even with the request's id */
	reply(XS_READ, 1, "2", 1, 1);
	event("backend/state", "nf2"); /* after: still in the ring */
	CHECK(xs_read("backend/state", v, sizeof v) == 1 && !strcmp(v, "2"));
	CHECK(xs.ev_n == 1);
	reply(XS_WRITE, 2, "OK", 3, 3);
	CHECK(xs_write("state", "4") == 0 && xs.ev_n == 2); /* the read left one behind */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
	      !strcmp(t, "nf"));
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
	      !strcmp(t, "nf2"));
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 3000000000ull) == 0);
	return NULL;
}

static const char *t_overflow(void)
{
	char v[16], p[64], t[16], tok[16], lp[300];
	fresh();
	for (int i = 0; i < 11; i++) {
		snprintf(tok, sizeof tok, "t%d", i);
		event("a", tok);
	}
	reply(XS_READ, 1, "x", 1, 1);
	CHECK(xs_read("a", v, sizeof v) == 1);
	CHECK(xs.ev_n == XS_EVENTS && xs_events_lost == 3);
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 && !*p &&
	      !*t);                    /* lost */
	for (int i = 3; i < 11; i++) { /* the newest 8, oldest first */
		snprintf(tok, sizeof tok, "t%d", i);
		CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
		      !strcmp(t, tok));
	}
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 3000000000ull) == 0);
	static char longpath[400]; /* longer than a slot: lost */
	memset(longpath, 'p', sizeof longpath - 1);
	event(longpath, "nf");
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 && !*p && !*t);
	CHECK(xs_events_lost == 4 && !xs.broken);
	memset(longpath, 'p', 252); /* 252 + NUL + "nf" + NUL: a full slot */
	longpath[252] = 0;
	event(longpath, "nf");
	longpath[252] = 'p'; /* a byte more: lost */
	longpath[253] = 0;
	event(longpath, "nf");
	CHECK(xs_wait_event(lp, sizeof lp, t, sizeof t, now + 5000000000ull) == 1 &&
	      strlen(lp) == 252);
	CHECK(!strcmp(t, "nf"));
	CHECK(xs_wait_event(lp, sizeof lp, t, sizeof t, now + 5000000000ull) == 1 && !*lp && !*t);
	CHECK(xs_events_lost == 5 && xs.ev_n == 0);
	event("a", "t");
	CHECK(xs_wait_event(p, 0, t, sizeof t, now + 5000000000ull) == -1); /* no room at all */
	CHECK(!xs.broken && xs.ev_n == 0);
	return NULL;
}

/* xenstored writes a 4096-byte payload a ring at a time, as the client drains. */
static char big[XENSTORE_PAYLOAD_MAX];
static unsigned nbig;
static void feed(void)
{
	while (page.rsp_prod - page.rsp_cons < RING && nbig < sizeof big)
		page.rsp[page.rsp_prod++ % RING] = big[nbig++];
	if (nbig < sizeof big)
		on_wait = feed;
}

static const char *t_malformed(void)
{
	char v[16], p[64], t[16];
	fresh();
	event("backend/state", "a-long-token");
	CHECK(xs_wait_event(p, sizeof p, t, 8, now + 5000000000ull) == -1); /* token > buffer */
	CHECK(!xs.broken && xs.ev_n == 0);
	event("backend/state", "nf");
	CHECK(xs_wait_event(p, 8, t, sizeof t, now + 5000000000ull) == -1); /* path > buffer */
	char *p14 = malloc(14), *t3 = malloc(3); /* exact sizes: ASan sees a byte more */
	event("backend/state", "nf");
	int short_p = xs_wait_event(p14, 13, t3, 3, now + 5000000000ull);
	event("backend/state", "nf");
	int short_t = xs_wait_event(p14, 14, t3, 2, now + 5000000000ull);
	event("backend/state", "nf");
	int fits = xs_wait_event(p14, 14, t3, 3, now + 5000000000ull);
	int same = fits == 1 && !strcmp(p14, "backend/state") && !strcmp(t3, "nf");
	free(p14);
	free(t3);
	CHECK(short_p == -1 && short_t == -1 && same);
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 3000000000ull) == 0 && !xs.broken);

	fresh();
	reply(XS_WATCH_EVENT, 0, "abc", 3, 3); /* no NUL at all */
	reply(XS_READ, 1, "x", 1, 1);
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken && xs.ev_n == 0);
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == -1);
	fresh();
	reply(XS_WATCH_EVENT, 0, "path\0tok", 8, 8); /* the token has no NUL */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == -1 && xs.broken);
	fresh();
	reply(XS_WATCH_EVENT, 0, "", 0, 0); /* empty */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == -1 && xs.broken);
	fresh();
	reply(XS_WATCH_EVENT, 0, "p\0t\0", 4, XENSTORE_PAYLOAD_MAX + 1); /* len > 4096 */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == -1 && xs.broken);
	fresh();
	reply(XS_WATCH_EVENT, 0, "p\0t\0", 4, 0xffffffffu);
	reply(XS_READ, 1, "x", 1, 1);
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_WATCH_EVENT, 0, "p\0t\0", 4, 40); /* claims more than it sent */
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == -1 && xs.broken);
	fresh(); /* at the limit, honest: lost, not fatal */
	memset(big, 'q', sizeof big);
	big[100] = big[sizeof big - 1] = 0;
	reply(XS_WATCH_EVENT, 0, big, 0,
	      XENSTORE_PAYLOAD_MAX); /* the header; feed streams the rest */
	nbig = 0;
	feed();
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 && !*p && !*t);
	CHECK(!xs.broken && xs_events_lost == 1 && nbig == sizeof big);
	return NULL;
}

static const char *t_unwatch(void)
{
	char p[64], t[16];
	fresh();
	event("a/b", "one");
	event("a/b/c", "one"); /* below the watch: its event */
	event("a/bc", "one");  /* another node */
	event("a/b", "two");   /* another watch's token */
	event("x", "one");
	event("a/b", "one"); /* read while waiting for the reply */
	reply(XS_UNWATCH, 1, "OK", 3, 3);
	CHECK(xs_unwatch("a/b", "one") == 0);
	CHECK(sent(0, XS_UNWATCH, "a/b\0one", 8));
	CHECK(xs.ev_n == 3 && page.rsp_cons == page.rsp_prod);
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
	      !strcmp(p, "a/bc"));
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 &&
	      !strcmp(t, "two"));
	CHECK(xs_wait_event(p, sizeof p, t, sizeof t, now + 5000000000ull) == 1 && !strcmp(p, "x"));
	page.req_cons = page.req_prod;
	uint32_t at = page.req_prod;
	event("a/b", "two");
	reply(XS_ERROR, 2, "ENOENT", 7, 7); /* no such watch: refused, still purged */
	CHECK(xs_unwatch("a/b", "two") < 0 && !strcmp(xs_last_error, "ENOENT") && !xs.broken);
	CHECK(sent(at, XS_UNWATCH, "a/b\0two", 8));
	CHECK(xs.ev_n == 0);
	page.req_cons = page.req_prod;
	reply(XS_WATCH, 3, "OK", 3, 3);
	CHECK(xs_watch("a/b", "one") == 0 && xs_unwatch("a/b", "one") < 0 &&
	      xs.broken); /* no reply */
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "xenstore_good" },
	{ t_errors, "xenstore_errors" },
	{ t_hostile, "xenstore_hostile" },
	{ t_watch, "xenstore_watch" },
	{ t_event_before_reply, "xenstore_event_before_reply" },
	{ t_overflow, "xenstore_event_overflow" },
	{ t_malformed, "xenstore_event_malformed" },
	{ t_unwatch, "xenstore_unwatch" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
