/* SPDX-License-Identifier: MIT */
/* The Xen drivers' own interface: what xen.c (the host: hypercalls, event
 * channels, grant table) gives xen_store.c and xen_net.c. Wire formats are in
 * xen_reg.h; xen_netring.c is pure (the unit test builds it on the host). */
#ifndef XEN_H
#define XEN_H
#include <stddef.h>
#include <stdint.h>
#include "xen_reg.h"
#include "barrier.h"

/* xen.c */
long xen_hvm_param(uint32_t index, uint64_t *value);       /* 0 or -errno */
int xen_evtchn_alloc(uint16_t remote_dom, uint32_t *port); /* -1: refused */
void xen_evtchn_notify(uint32_t port);
void xen_evtchn_clear(uint32_t port);
/* Blocks until port is pending or Xen system time reaches deadline. Recipe
 * for a wait without a lost wake-up: clear the port, check the condition,
 * then xen_evtchn_wait, and check again. */
void xen_evtchn_wait(uint32_t port, uint64_t deadline_ns);
/* halt_until also blocks on port from now on, and when it finds the port
 * pending it clears it and calls fn (scheduler context: fn only wakes). */
int xen_evtchn_watch(uint32_t port, void (*fn)(void)); /* -1: table full */
void *xen_map_special(uint64_t pa); /* a page outside RAM (ring), mapped; NULL: cannot */
int gnttab_grant(uint16_t domid, const void *page, int readonly); /* ref, -1: none left */
int gnttab_end(int ref); /* -1: the other side still uses it */

/* xen_store.c: a xenstore client, for probe time (no thread needed: it
 * blocks the vCPU in SCHEDOP_poll). Paths are relative to our domain's home
 * unless they start with '/'. Each call returns -1 with a message printed
 * on a ring error, a timeout or an error reply ("ENOENT"...) . */
int xs_init(void);
int xs_read(const char *path, char *buf, size_t size); /* length, NUL-terminated */
int xs_write(const char *path, const char *value);
int xs_directory(const char *path, char *buf, size_t size); /* NUL-separated names */
extern const char *xs_last_error; /* the last error reply, e.g. "ENOENT" */
/* Watches. Recipe: xs_watch(path, token); then read the node, act, and
 * xs_wait_event until the next event or a deadline; read again; at the end
 * xs_unwatch (it also drops that watch's queued events). xenstored fires an
 * event when the watch is set and for changes to path and below it; events
 * are only a hint to read again, so a missed one must not matter to the
 * caller: at most 8 wait, more drop the oldest, and every loss (or an event
 * longer than 255 bytes) is counted and reported to the next waiter as one
 * event with path and token "" (read everything watched again).
 * xs_wait_event blocks the vCPU on the store's port until deadline (Xen
 * system time): 1 an event, path and token copied; 0 none before the
 * deadline; -1 the client is dead, or the event did not fit (dropped). */
int xs_watch(const char *path, const char *token);
int xs_unwatch(const char *path, const char *token);
int xs_wait_event(char *path, size_t psize, char *token, size_t tsize, uint64_t deadline);
extern unsigned long xs_events_lost; /* events dropped (queue full or too long) */

/* xen_netring.c: the frontend's checks on what the backend returns (pure) */
#define XNRING_MAXBUF 64
struct xnring {
	uint32_t rsp_cons;          /* our consumer index */
	unsigned nbuf;              /* ids 0..nbuf-1 */
	uint8_t out[XNRING_MAXBUF]; /* out[id]: the buffer is with the backend */
	unsigned nout;
	const char *broken; /* why the backend is no longer trusted */
};
void xnring_init(struct xnring *r, unsigned nbuf);
void xnring_post(struct xnring *r, uint16_t id);         /* id handed to the backend */
int xnring_pending(struct xnring *r, uint32_t rsp_prod); /* responses to take, -1 broken */
/* One rx response (a copy, never the shared entry): the frame length, with
 * *id and *off set; 0 when the frame is dropped (error status, too long, flags
 * we did not negotiate) but *id is valid and back with us; -1 broken. */
long xnring_rx(struct xnring *r, const struct netif_rx_response *rsp, unsigned bufsize,
               uint16_t *id, uint16_t *off);
int xnring_tx(struct xnring *r, const struct netif_tx_response *rsp,
              uint16_t *id); /* 0, -1 broken */

/* xen_net.c */
void xnet_init(void);
#endif
