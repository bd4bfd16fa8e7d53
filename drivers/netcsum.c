// SPDX-License-Identifier: MIT
/* The TCP/IPv4 checksum (RFC 1071, RFC 793's pseudo-header) for a driver whose device
 * shares the work: on transmit the field gets the pseudo-header sum and the device sums
 * the rest (virtio's NEEDS_CSUM, Linux's CHECKSUM_PARTIAL); on receive a frame the
 * device did not vouch for is checked here, so lwIP need not check any. Pure; trusts
 * nothing in the frame: every offset is checked against len before it is read. */
#include "netcsum.h"

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int netcsum_classify(const uint8_t *f, size_t len, struct netcsum_tcp *t)
{
	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return NETCSUM_OTHER; /* not IPv4 (a VLAN tag, ARP, or too short) */
	const uint8_t *ip = f + 14;
	unsigned ihl = (ip[0] & 15u) * 4, tot = (unsigned)(ip[2] << 8 | ip[3]);
	if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl || 14 + (size_t)tot > len || ip[9] != 6)
		return NETCSUM_OTHER;
	if ((ip[6] << 8 | ip[7]) & 0x3fff)
		return NETCSUM_FRAG; /* more fragments, or an offset */
	t->l4 = 14 + ihl;
	t->l4len = tot - ihl;
	return t->l4len >= 20 ? NETCSUM_TCP4 : NETCSUM_OTHER;
}

/* Addresses, protocol and TCP length: what the checksum covers besides the segment. */
static uint32_t pseudo(const uint8_t *f, const struct netcsum_tcp *t)
{
	return sum(6 + t->l4len, f + 14 + 12, 8);
}

void netcsum_partial(uint8_t *f, const struct netcsum_tcp *t)
{
	uint16_t s = fold(pseudo(f, t)); /* not inverted: the device adds the segment */
	f[t->l4 + 16] = (uint8_t)(s >> 8);
	f[t->l4 + 17] = (uint8_t)s;
}

int netcsum_ok(const uint8_t *f, const struct netcsum_tcp *t)
{
	return fold(sum(pseudo(f, t), f + t->l4, t->l4len)) == 0xffff;
}

int netcsum_complete(uint8_t *f, size_t len, unsigned start, unsigned off)
{
	if ((size_t)start + off + 2 > len)
		return -1;
	uint16_t s = (uint16_t)~fold(sum(0, f + start, len - start));
	f[start + off] = (uint8_t)(s >> 8);
	f[start + off + 1] = (uint8_t)s;
	return 0;
}
