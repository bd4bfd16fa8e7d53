/* SPDX-License-Identifier: MIT */
/* netcsum.c: the Internet checksum (RFC 1071) of TCP over IPv4 in an Ethernet frame, for
 * network drivers whose device completes or checks it (checksum offload). Pure. */
#ifndef DRIVERS_NETCSUM_H
#define DRIVERS_NETCSUM_H
#include <stddef.h>
#include <stdint.h>

/* Where a frame's TCP segment lies: l4 its offset, l4len its length (from the IP header). */
struct netcsum_tcp {
	unsigned l4, l4len;
};
#define NETCSUM_OTHER 0 /* not TCP over IPv4 (or malformed): lwIP's business */
#define NETCSUM_TCP4  1 /* TCP over IPv4, whole */
#define NETCSUM_FRAG  2 /* an IPv4 fragment of a TCP segment: no checksum to see here */
int netcsum_classify(const uint8_t *f, size_t len, struct netcsum_tcp *t);
void netcsum_partial(uint8_t *f, const struct netcsum_tcp *t); /* pseudo-header sum into th_sum */
int netcsum_ok(const uint8_t *f, const struct netcsum_tcp *t); /* 1: the checksum is right */
/* A partial checksum (the field holds the pseudo-header's sum) completed: the sum of
 * f[start, len) stored at start + off, as a device does. -1: not inside the frame. */
int netcsum_complete(uint8_t *f, size_t len, unsigned start, unsigned off);
#endif
