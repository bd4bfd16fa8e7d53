// SPDX-License-Identifier: MIT
/* netfront's checks on the backend's responses, as virtq.c checks a used
 * ring: pure (no hypercalls, no shared memory: the caller passes copies), so
 * tests/unit/netring_test.c runs it on the host with hostile responses. A
 * backend may answer only ids it holds, each once, and a frame must lie in
 * the buffer it was given; anything else marks the ring broken. */
#include "xen.h"

void xnring_init(struct xnring *r, unsigned nbuf)
{
	r->rsp_cons = 0;
	r->nbuf = nbuf <= XNRING_MAXBUF ? nbuf : XNRING_MAXBUF;
	for (unsigned i = 0; i < XNRING_MAXBUF; i++)
		r->out[i] = 0;
	r->nout = 0;
	r->broken = 0;
}

/* The caller hands only ids it holds; a second post is a driver bug. */
void xnring_post(struct xnring *r, uint16_t id)
{
	if (id < r->nbuf && !r->out[id]) {
		r->out[id] = 1;
		r->nout++;
	}
}

static int broken(struct xnring *r, const char *why)
{
	if (!r->broken)
		r->broken = why;
	return -1;
}

/* How many responses the backend published past ours: never more than the
 * buffers it holds (each request gets one response; we ask for no extra
 * slots), which also bounds the caller's loop. */
int xnring_pending(struct xnring *r, uint32_t rsp_prod)
{
	uint32_t n = rsp_prod - r->rsp_cons;
	if (r->broken)
		return -1;
	if (n > r->nout)
		return broken(r, "more responses than requests outstanding");
	return (int)n;
}

static int take(struct xnring *r, uint16_t id)
{
	if (id >= r->nbuf)
		return broken(r, "response id out of range");
	if (!r->out[id])
		return broken(r, "response for a buffer the backend does not hold");
	r->out[id] = 0;
	r->nout--;
	r->rsp_cons++;
	return 0;
}

long xnring_rx(struct xnring *r, const struct netif_rx_response *rsp, unsigned bufsize,
               uint16_t *id, uint16_t *off)
{
	if (r->broken || take(r, rsp->id) < 0)
		return -1;
	*id = rsp->id;
	*off = rsp->offset;
	if (rsp->status <= 0)
		return 0; /* NETIF_RSP_ERROR/DROPPED, or empty: the buffer is back, no frame */
	if (rsp->flags & (NETRXF_more_data | NETRXF_extra_info))
		return 0; /* multi-slot frames and extra info were not negotiated */
	if ((unsigned)rsp->offset >= bufsize || (unsigned)rsp->status > bufsize - rsp->offset)
		return 0; /* outside the buffer: drop, never read past it */
	return rsp->status;
}

int xnring_tx(struct xnring *r, const struct netif_tx_response *rsp, uint16_t *id)
{
	if (r->broken)
		return -1;
	if (rsp->status == NETIF_RSP_NULL)
		return broken(r, "tx response for an extra-info slot we never sent");
	if (take(r, rsp->id) < 0)
		return -1;
	*id = rsp->id;
	return 0;
}
