// SPDX-License-Identifier: MIT
/* Host unit test for netfront's handshake (drivers/xen_net.c, xnet_init)
 * against a model of xenstore and a backend on a virtual clock: the backend
 * reaches InitWait at some time and Connected some time after our Connected.
 * Checks that the handshake waits on its watch (few reads of the state when
 * events come), still finishes by re-reading when no event ever comes or
 * the watch is refused, gives up at the deadline or when the backend closes,
 * and always removes its watch. "ok NAME" / "FAIL NAME: why". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "kernel.h"
#include "net.h"
#include "xen.h"

#define MS 1000000ull
#define BE "/local/domain/0/backend/vif/1/0"

/* The model: the backend's state changes at times; a watch (if set and
 * xenstored fires) gets an event on registration and on each change. */
static struct {
	uint64_t now, initwait_at, connect_delay, connect_at, close_at, dead_at;
	int state, fires, refuse, dead, watched, pending;
	unsigned reads, waits, watches, unwatches, grants, ends;
	char wpath[160], wtoken[32];
	char log[512];
} m;

uint64_t clock_monotonic_ns(void) { return m.now += 1000; } /* 1 us per look */
void kprintf(const char *fmt, ...)
{
	size_t n = strlen(m.log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.log + n, sizeof m.log - n, fmt, ap);
	va_end(ap);
}
int ksnprintf(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return r;
}
static void *pages[16]; /* what the driver allocated, freed by fresh() */
static unsigned npages;
void *mem_alloc_pages(size_t n)
{
	if (npages == sizeof pages / sizeof pages[0])
		abort();
	return pages[npages++] = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);
}
const struct net_dev *net_dev;
void net_wake(void) {}
void xen_evtchn_notify(uint32_t port) { (void)port; }
void xen_evtchn_clear(uint32_t port) { (void)port; }
void xen_evtchn_wait(uint32_t port, uint64_t deadline)
{
	(void)port, (void)deadline;
	printf("FAIL netfront: slept on its own port, not on the watch\n");
	exit(1);
}
int xen_evtchn_alloc(uint16_t dom, uint32_t *port)
{
	(void)dom;
	*port = 9;
	return 0;
}
int xen_evtchn_watch(uint32_t port, void (*fn)(void))
{
	(void)port, (void)fn;
	return 0;
}
int gnttab_grant(uint16_t dom, const void *page, int ro)
{
	(void)dom, (void)page, (void)ro;
	return 8 + m.grants++;
}
int gnttab_end(int ref)
{
	(void)ref;
	m.ends++;
	return 0;
}

/* Applies every change due by now; each is an event for a live watch. */
static void advance(void)
{
	int old = m.state;
	if (m.state < XenbusStateInitWait && m.initwait_at && m.now >= m.initwait_at)
		m.state = XenbusStateInitWait;
	if (m.connect_at && m.now >= m.connect_at)
		m.state = XenbusStateConnected;
	if (m.close_at && m.now >= m.close_at)
		m.state = XenbusStateClosing;
	if (m.state != old && m.watched && m.fires)
		m.pending++;
}

static uint64_t next_change(void)
{
	uint64_t t = ~0ull;
	if (m.state < XenbusStateInitWait && m.initwait_at > m.now && m.initwait_at < t)
		t = m.initwait_at;
	if (m.connect_at > m.now && m.connect_at < t)
		t = m.connect_at;
	if (m.close_at > m.now && m.close_at < t)
		t = m.close_at;
	if (m.dead_at > m.now && m.dead_at < t)
		t = m.dead_at;
	return t;
}

int xs_directory(const char *path, char *buf, size_t size)
{
	(void)path;
	if (size < 2)
		return -1;
	memcpy(buf, "0", 2);
	return 2;
}

int xs_read(const char *path, char *buf, size_t size)
{
	const char *v = !strcmp(path, "device/vif/0/backend")      ? BE
	                : !strcmp(path, "device/vif/0/backend-id") ? "0"
	                : !strcmp(path, "device/vif/0/mac")        ? "00:16:3e:0a:0b:0c"
	                                                           : NULL;
	char st[8];
	if (m.dead)
		return -1;
	if (!strcmp(path, BE "/state")) {
		advance();
		snprintf(st, sizeof st, "%d", m.state);
		v = st;
		if (++m.reads > 100000)
			abort(); /* a loop that never waits */
	}
	if (!v || strlen(v) >= size)
		return -1;
	strcpy(buf, v);
	return (int)strlen(v);
}

int xs_write(const char *path, const char *value)
{
	if (!strcmp(path, "device/vif/0/state") && !strcmp(value, "4") && m.connect_delay)
		m.connect_at = m.now + m.connect_delay;
	return m.dead ? -1 : 0;
}

int xs_watch(const char *path, const char *token)
{
	m.watches++;
	if (m.refuse)
		return -1;
	snprintf(m.wpath, sizeof m.wpath, "%s", path);
	snprintf(m.wtoken, sizeof m.wtoken, "%s", token);
	m.watched = 1;
	m.pending += m.fires; /* xenstored fires once on registration */
	return 0;
}

int xs_unwatch(const char *path, const char *token)
{
	m.unwatches++;
	if (m.dead || !m.watched || strcmp(path, m.wpath) || strcmp(token, m.wtoken))
		return -1;
	m.watched = m.pending = 0;
	return 0;
}

int xs_wait_event(char *path, size_t psize, char *token, size_t tsize, uint64_t deadline)
{
	m.waits++;
	for (;;) {
		if (m.dead_at && m.now >= m.dead_at)
			m.dead = 1;
		if (m.dead)
			return -1;
		advance();
		if (m.pending) {
			m.pending--;
			snprintf(path, psize, "%s", m.wpath);
			snprintf(token, tsize, "%s", m.wtoken);
			return 1;
		}
		if (m.now >= deadline)
			return 0;
		uint64_t t = next_change();
		m.now = t < deadline ? t : deadline;
	}
}

#include "../../drivers/xen_net.c"

/* A fresh model and driver; the backend reaches InitWait at initwait ms and
 * Connected connect ms after our Connected (0: never). */
static void fresh(uint64_t initwait, uint64_t connect, int fires)
{
	while (npages)
		free(pages[--npages]);
	memset(&m, 0, sizeof m);
	memset(&nf, 0, sizeof nf);
	net_dev = NULL;
	m.now = 1000 * MS;
	m.state = XenbusStateInitialising;
	m.initwait_at = initwait ? m.now + initwait * MS : 0;
	m.connect_delay = connect * MS;
	m.fires = fires;
}

/* The backend's changes fall between two 100 ms re-reads: an event makes
 * netfront read at once, the fallback alone makes it up to 100 ms late. */
static const char *t_events(void)
{
	fresh(1050, 530, 1);
	uint64_t t0 = m.now;
	xnet_init();
	CHECK(net_dev == &ndev && m.state == XenbusStateConnected);
	CHECK(!strcmp(m.wpath, BE "/state") && m.watches == 1 && m.unwatches == 1 && !m.watched);
	CHECK(m.now - t0 >= 1580 * MS && m.now - t0 < 1581 * MS); /* at each change, not after */
	CHECK(m.reads <= 1580 / 100 + 6); /* the fallback re-reads, and one per event */
	CHECK(!m.ends && !ndev.mac[0] && ndev.mac[5] == 0x0c);
	return NULL;
}

static const char *t_no_events(void)
{
	fresh(1050, 530, 0); /* xenstored never fires */
	uint64_t t0 = m.now;
	xnet_init();
	CHECK(net_dev == &ndev && m.unwatches == 1);
	CHECK(m.now - t0 >= 1600 * MS && m.now - t0 < 1800 * MS); /* each noticed at a re-read */
	CHECK(m.reads >= 16 && m.reads <= 20);
	fresh(1050, 530, 1);
	m.refuse = 1; /* the watch is refused */
	t0 = m.now;
	xnet_init();
	CHECK(net_dev == &ndev && m.unwatches == 0 && strstr(m.log, "cannot watch " BE "/state"));
	CHECK(m.now - t0 >= 1600 * MS && m.now - t0 < 1800 * MS);
	return NULL;
}

static const char *t_deadline(void)
{
	fresh(0, 0, 1); /* never InitWait */
	uint64_t t0 = m.now;
	xnet_init();
	CHECK(!net_dev && m.unwatches == 1 && m.ends == m.grants && m.grants == NRX + NTX + 2);
	CHECK(m.now - t0 >= HS_TIMEOUT && m.now - t0 < HS_TIMEOUT + 200 * MS);
	CHECK(m.reads >= 590 && m.reads <= 610); /* 60 s at 100 ms */
	CHECK(strstr(m.log, "backend state 1, waited for 2..4"));
	fresh(1000, 0, 1); /* InitWait, never Connected */
	xnet_init();
	CHECK(!net_dev && m.unwatches == 1 && strstr(m.log, "waited for 4..4"));
	return NULL;
}

static const char *t_closing(void)
{
	fresh(1000, 500, 1);
	m.close_at = m.now + 300 * MS; /* closes before InitWait */
	uint64_t t0 = m.now;
	xnet_init();
	CHECK(!net_dev && m.unwatches == 1 && m.now - t0 < 400 * MS && m.ends == m.grants);
	CHECK(strstr(m.log, "backend state 5, waited for 2..4"));
	return NULL;
}

static const char *t_dead_store(void)
{
	fresh(1000, 500, 1);
	m.dead_at = m.now + 200 * MS; /* the client dies while netfront waits */
	uint64_t t0 = m.now;
	xnet_init();
	CHECK(!net_dev && m.now - t0 < 300 * MS && m.ends == m.grants);
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_events, "netfront_watch_events" },         { t_no_events, "netfront_watch_fallback" },
	{ t_deadline, "netfront_watch_deadline" },     { t_closing, "netfront_watch_closing" },
	{ t_dead_store, "netfront_watch_dead_store" },
};

int main(int argc, char **argv)
{
	int failed = UNIT_RUN(tests, argc, argv, "");

	fresh(0, 0, 0); /* frees what the last test's driver allocated */
	return failed;
}
