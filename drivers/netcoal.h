/* SPDX-License-Identifier: MIT */
/* netcoal.c: consecutive TCP/IPv4 segments of one flow joined into one frame for a
 * device that cuts it up again (virtio-net's HOST_TSO4, Linux's GSO). Pure. */
#ifndef DRIVERS_NETCOAL_H
#define DRIVERS_NETCOAL_H
#include <stddef.h>
#include <stdint.h>

struct netcoal {
	uint8_t *f;         /* the held frame; room for cap bytes */
	uint32_t cap, len;  /* len 0: nothing held */
	unsigned l4, hdr;   /* the TCP header's offset; every header's length */
	unsigned mss, nseg; /* the longest joined payload: the host cuts the frame at it */
	int bare;           /* what is held is a bare ACK (netcoal_start_ack), no payload yet */
	/* The flow (addresses, ports) and ack of the last segment seen here */
	uint8_t last[12];
	uint32_t last_ack;
	int have_last;
};
int netcoal_start(struct netcoal *c, const uint8_t *f,
                  size_t len); /* 1: held; 0: not a candidate */
/* A bare ACK held: no flag but ACK, no TCP option (none with SACK blocks), and an
 * ack newer than that of the last segment seen here, of the same flow: never a
 * duplicate ACK, which the peer counts and would not count on data (RFC 5681). The
 * flow's next segment with payload joins it and takes its place (it carries an ack
 * and window as new); anything else sends it alone. */
int netcoal_start_ack(struct netcoal *c, const uint8_t *f, size_t len); /* 1: held */
/* A segment sent without netcoal (no room to hold it): its ack seen all the same. */
void netcoal_seen(struct netcoal *c, const uint8_t *f, size_t len);
int netcoal_append(struct netcoal *c, const uint8_t *f, size_t len); /* 1: joined; 0: not */
/* The held frame made whole: IP length and checksum, TCP's pseudo-header sum in
 * its checksum field; *gso_size 0 when it is one segment. Then nothing is held. */
void netcoal_finish(struct netcoal *c, unsigned *gso_size);
#endif
