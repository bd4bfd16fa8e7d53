// SPDX-License-Identifier: MIT
/* Host unit test for the xenstore client (drivers/xen_store.c) against a
 * scripted xenstored: replies placed in the ring before the request, honest
 * and hostile (indices far apart, a reply longer than the payload limit, an
 * error reply, another request's id, another type, no reply at all). Each
 * call must return the value or -1, never read or write outside its buffers
 * (ASan). "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "xen.h"

static const char *why;
#define CHECK(c) do { if (!(c)) { why = #c; return 1; } } while (0)

/* Stubs for what xen_store.c calls: the clock advances 1 s per read, so a
 * missing reply times out after ~20 calls; no hypercall is made. */
static uint64_t now;
static struct xenstore_domain_interface page;
uint64_t clock_monotonic_ns(void) { return now += 1000000000ull; }
void xen_evtchn_clear(uint32_t port) { (void)port; }
void xen_evtchn_notify(uint32_t port) { (void)port; }
void xen_evtchn_wait(uint32_t port, uint64_t deadline) { (void)port; (void)deadline; }
long xen_hvm_param(uint32_t index, uint64_t *v) { *v = index == HVM_PARAM_STORE_PFN ? 0xfeffc : 1; return 0; }
void *xen_map_special(uint64_t pa) { (void)pa; return &page; }
void kprintf(const char *fmt, ...) { (void)fmt; }
int ksnprintf(char *b, size_t n, const char *fmt, ...) { (void)b; (void)n; (void)fmt; return 0; }

#include "../../drivers/xen_store.c"

static void fresh(void)
{
	memset(&page, 0, sizeof page);
	memset(&xs, 0, sizeof xs);
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

static int t_good(void)
{
	char v[64];
	fresh();
	reply(XS_READ, 1, "/local/domain/0/backend/vif/1/0", 31, 31);
	CHECK(xs_read("device/vif/0/backend", v, sizeof v) == 31 && !strcmp(v, "/local/domain/0/backend/vif/1/0"));
	CHECK(!memcmp(page.req + sizeof(struct xsd_sockmsg), "device/vif/0/backend", 21));   /* with its NUL */
	reply(XS_WRITE, 2, "OK", 3, 3);
	CHECK(xs_write("device/vif/0/state", "4") == 0);
	reply(XS_DIRECTORY, 3, "0\0" "1\0", 4, 4);
	CHECK(xs_directory("device/vif", v, sizeof v) == 4 && !strcmp(v, "0"));
	reply(XS_WATCH_EVENT, 0, "x\0y\0", 4, 4);            /* not ours: skipped */
	reply(XS_READ, 4, "4", 1, 1);
	CHECK(xs_read("state", v, sizeof v) == 1 && !strcmp(v, "4"));
	page.rsp_cons = page.rsp_prod = 0xfffffff0u;          /* indices wrap */
	reply(XS_READ, 5, "abc", 3, 3);
	CHECK(xs_read("k", v, sizeof v) == 3 && !strcmp(v, "abc"));
	return 0;
}

static int t_errors(void)
{
	char v[8];
	fresh();
	reply(XS_ERROR, 1, "ENOENT", 7, 7);
	CHECK(xs_read("device/vif", v, sizeof v) < 0 && xs_last_error && !strcmp(xs_last_error, "ENOENT"));
	reply(XS_READ, 2, "0123456789", 10, 10);              /* longer than the caller's buffer */
	CHECK(xs_read("k", v, sizeof v) < 0 && !xs.broken);
	static char big[XENSTORE_PAYLOAD_MAX + 10];
	memset(big, 'a', sizeof big - 1);
	CHECK(xs_write(big, "") < 0 && !xs.broken);            /* request too long: refused locally */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);     /* no reply: times out, client dead */
	CHECK(xs_read("k", v, sizeof v) < 0);
	return 0;
}

static int t_hostile(void)
{
	char v[64];
	fresh();
	page.rsp_prod = page.rsp_cons + RING + 1;              /* more than a ring of data */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	page.req_cons = page.req_prod + 1;                     /* consumer ahead of our producer */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, XENSTORE_PAYLOAD_MAX + 1);   /* claims a too-long reply */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, 0xffffffffu);
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_WRITE, 1, "OK", 3, 3);                        /* another type */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 7, "x", 1, 1);                          /* another id, then nothing */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_READ, 1, "x", 1, 100);                        /* claims more than it sent */
	CHECK(xs_read("k", v, sizeof v) < 0 && xs.broken);
	fresh();
	reply(XS_DIRECTORY, 1, "0\0", 2, 2);
	CHECK(xs_directory("d", v, 1) < 0);                    /* bigger than the caller's buffer */
	return 0;
}

static const struct { int (*fn)(void); const char *name; } tests[] = {
	{ t_good, "xenstore_good" },
	{ t_errors, "xenstore_errors" },
	{ t_hostile, "xenstore_hostile" },
};

int main(int argc, char **argv)
{
	int failed = 0;
	for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		if (tests[i].fn() == 0)
			printf("ok %s\n", tests[i].name);
		else
			printf("FAIL %s: %s\n", tests[i].name, why), failed = 1;
	}
	return failed;
}
