// SPDX-License-Identifier: MIT
/* Host unit test for netfront's response checks (drivers/xen_netring.c): a
 * backend's rx and tx responses, honest and hostile (ids out of range or not
 * outstanding, answered twice, more responses than requests, frames outside
 * the granted page, extra-info slots), and random ones against a reference
 * model: an accepted frame always lies inside a buffer the backend held.
 * "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "xen.h"

#define PAGE 4096

static struct xnring r;

static long rx(uint16_t id, uint16_t off, uint16_t flags, int16_t status)
{
	struct netif_rx_response rsp = { id, off, flags, status };
	uint16_t gid = 0xffff, goff = 0xffff;
	long n = xnring_rx(&r, &rsp, PAGE, &gid, &goff);
	if (n >= 0 && (gid != id || goff != off))
		abort();
	return n;
}

static int tx(uint16_t id, int16_t status)
{
	struct netif_tx_response rsp = { id, status };
	uint16_t got;
	return xnring_tx(&r, &rsp, &got) < 0 ? -1 : got;
}

static void fresh(unsigned nbuf)
{
	xnring_init(&r, nbuf);
	for (unsigned i = 0; i < nbuf; i++)
		xnring_post(&r, (uint16_t)i);
}

static const char *t_good(void)
{
	fresh(64);
	CHECK(xnring_pending(&r, 3) == 3);
	CHECK(rx(5, 0, 0, 1514) == 1514);
	CHECK(rx(0, 10, 0, 60) == 60);
	CHECK(rx(63, 0, 0, PAGE) == PAGE); /* the whole page */
	CHECK(r.rsp_cons == 3 && r.nout == 61 && !r.broken);
	xnring_post(&r, 5); /* reposted: may come back */
	CHECK(rx(5, 2, 0, 100) == 100);
	CHECK(xnring_pending(&r, 0xffffffffu + 5u) == 0); /* indices wrap */
	fresh(64);
	r.rsp_cons = 0xfffffffe; /* wrap-around of rsp_cons */
	CHECK(xnring_pending(&r, 2) == 4);
	CHECK(tx(7, 0) == 7 && tx(8, -1) == 8 && tx(9, -2) == 9); /* OKAY, ERROR, DROPPED */
	return NULL;
}

static const char *t_dropped(void)
{
	fresh(64);
	CHECK(rx(1, 0, 0, -1) == 0);                 /* NETIF_RSP_ERROR: buffer back, no frame */
	CHECK(rx(2, 0, 0, 0) == 0);                  /* empty */
	CHECK(rx(3, 0, NETRXF_more_data, 100) == 0); /* scatter-gather: not negotiated */
	CHECK(rx(4, 0, NETRXF_extra_info, 100) == 0);
	CHECK(rx(5, PAGE - 10, 0, 11) == 0); /* one byte past the page */
	CHECK(rx(6, PAGE, 0, 1) == 0);       /* offset at the page's end */
	CHECK(rx(7, 0xffff, 0, 0x7fff) == 0);
	CHECK(rx(8, 1, 0, PAGE) == 0);
	CHECK(rx(9, PAGE - 10, 0, 10) == 10); /* the last 10 bytes: fine */
	CHECK(!r.broken && r.nout == 55);
	return NULL;
}

static const char *t_hostile(void)
{
	fresh(64);
	CHECK(rx(64, 0, 0, 60) < 0 && r.broken); /* id out of range */
	CHECK(rx(0, 0, 0, 60) < 0);              /* broken stays broken */
	CHECK(xnring_pending(&r, 1) < 0);
	fresh(64);
	CHECK(rx(0xffff, 0, 0, 60) < 0);
	fresh(64);
	CHECK(rx(3, 0, 0, 60) == 60);
	CHECK(rx(3, 0, 0, 60) < 0 && r.broken); /* answered twice */
	fresh(4);
	CHECK(xnring_pending(&r, 5) < 0); /* more responses than buffers out */
	fresh(4);
	CHECK(xnring_pending(&r, 0x80000000u) < 0);
	xnring_init(&r, 64);
	CHECK(rx(0, 0, 0, 60) < 0); /* nothing outstanding at all */
	CHECK(xnring_pending(&r, 1) < 0);
	fresh(64);
	CHECK(tx(64, 0) < 0);
	fresh(64);
	CHECK(tx(1, NETIF_RSP_NULL) < 0); /* an extra-info slot we never sent */
	fresh(64);
	CHECK(tx(2, 0) == 2 && tx(2, 0) < 0);
	xnring_init(&r, 1000); /* clamped to the table's size */
	CHECK(r.nbuf == XNRING_MAXBUF);
	return NULL;
}

/* Random responses, most honest, against a model of who holds which id. */
static const char *t_random(void)
{
	srand(42);
	for (int round = 0; round < 2000; round++) {
		unsigned nbuf = 1 + (unsigned)rand() % 64;
		uint8_t held[64] = { 0 };
		unsigned nheld = 0;
		xnring_init(&r, nbuf);
		for (int step = 0; step < 200 && !r.broken; step++) {
			uint16_t id = (uint16_t)(rand() % 4 ? rand() % 64 : rand());
			if (rand() % 2) {
				if (id < nbuf && !held[id]) {
					xnring_post(&r, id);
					held[id] = 1, nheld++;
				}
				continue;
			}
			uint16_t off = (uint16_t)(rand() % 3 ? rand() % 64 : rand());
			int16_t st = (int16_t)(rand() % 3 ? rand() % 1600 : rand());
			uint16_t fl = (uint16_t)(rand() % 8 ? 0 : rand() % 16);
			uint32_t before = r.rsp_cons;
			int pend = xnring_pending(&r, r.rsp_cons + 1);
			CHECK((pend < 0) == (nheld == 0));
			if (pend < 0)
				break;
			long n = rx(id, off, fl, st);
			int ok_id = id < nbuf && held[id];
			CHECK((n >= 0) == ok_id);
			if (n < 0)
				break;
			held[id] = 0, nheld--;
			CHECK(r.rsp_cons == before + 1 && r.nout == nheld);
			int good = st > 0 && !(fl & (NETRXF_more_data | NETRXF_extra_info)) &&
			           off < PAGE && off + st <= PAGE;
			CHECK(n == (good ? st : 0));
			CHECK(n == 0 || (off + n <= PAGE));
		}
	}
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "netring_good" },
	{ t_dropped, "netring_dropped" },
	{ t_hostile, "netring_hostile" },
	{ t_random, "netring_random" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
