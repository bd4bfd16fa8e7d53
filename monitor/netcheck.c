// SPDX-License-Identifier: MIT
/* The pure half of --net: MAC parsing and the frame-batch checks, apart from
 * the tap I/O so the unit tests can drive them with hostile values. */
#include <stddef.h>
#include <stdint.h>

#include "hypercall.h"
#include "monitor.h"

/* Parses "02:00:00:aa:bb:cc"; -1 unless six hex bytes, unicast. */
int net_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		for (int d = 0; d < 2; d++, s++) {
			int c = *s;
			int x = c >= '0' && c <= '9'   ? c - '0'
			        : c >= 'a' && c <= 'f' ? c - 'a' + 10
			        : c >= 'A' && c <= 'F' ? c - 'A' + 10
			                               : -1;
			if (x < 0)
				return -1;
			v = v * 16 + (unsigned)x;
		}
		mac[i] = (uint8_t)v;
		if (*s != (i < 5 ? ':' : '\0'))
			return -1;
		s += i < 5;
	}
	return mac[0] & 1 ? -1 : 0; /* a multicast address cannot be a NIC's */
}

/* Checks a batch block; returns NULL when good, else what is wrong (names the
 * frame through *bad_frame). Pure: unit-tested. */
const char *net_check(const struct hc_net *b, uint64_t mem_size, int send, unsigned *bad_frame)
{
	*bad_frame = 0;
	if (b->count > HC_NET_BATCH)
		return "count above HC_NET_BATCH";
	for (unsigned i = 0; i < b->count; i++) {
		*bad_frame = i;
		if (send && (b->f[i].len < 14 || b->f[i].len > HC_NET_FRAME_MAX))
			return "frame length outside 14..HC_NET_FRAME_MAX";
		if (!send && b->f[i].len > NET_RECV_MAX)
			return "buffer above 64 KiB";
		if (!gm_range_ok(mem_size, b->f[i].buf, b->f[i].len))
			return "frame buffer outside guest RAM";
	}
	return NULL;
}
