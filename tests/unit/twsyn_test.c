// SPDX-License-Identifier: MIT
/* Host unit test for the TIME-WAIT hook's decision (libc/net/twsyn.c): which
 * datagrams count as a new SYN that may end a TIME-WAIT. The hook runs
 * before lwIP checks anything, so a SYN that lwIP would drop (a bit flipped
 * anywhere, a bad checksum, another destination, cut short) must not count
 * either. Checksums here are computed the plain RFC 1071 way over a built
 * pseudo-header, apart from twsyn.c's code. "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <string.h>
#include "timewait.h"
#include "unit.h"

static const uint8_t US[4] = { 10, 0, 0, 2 }, PEER[4] = { 10, 0, 0, 1 };
static uint32_t ours(void)
{
	uint32_t a;
	memcpy(&a, US, 4);
	return a;
}

static uint16_t rfc1071(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A SYN from PEER:40000 to dst:80, seq 0x12345678, with nopt bytes of TCP
 * options and ndata of data; both checksums right. Returns its length. */
static size_t syn(uint8_t *d, const uint8_t dst[4], unsigned nopt, unsigned ndata, uint8_t flags)
{
	unsigned thl = 20 + nopt, total = 20 + thl + ndata;
	memset(d, 0, total);
	d[0] = 0x45, d[2] = (uint8_t)(total >> 8), d[3] = (uint8_t)total;
	d[6] = 0x40, d[8] = 64, d[9] = 6;
	memcpy(d + 12, PEER, 4), memcpy(d + 16, dst, 4);
	uint16_t c = rfc1071(d, 20);
	d[10] = (uint8_t)(c >> 8), d[11] = (uint8_t)c;
	uint8_t *t = d + 20;
	t[0] = 40000 >> 8, t[1] = 40000 & 255, t[2] = 0, t[3] = 80;
	t[4] = 0x12, t[5] = 0x34, t[6] = 0x56, t[7] = 0x78;
	t[12] = (uint8_t)(thl / 4 << 4), t[13] = flags, t[14] = 0xfa;
	for (unsigned i = 0; i < nopt; i++)
		t[20 + i] = i + 1 < nopt ? 1 : 0; /* NOPs, then end of options */
	for (unsigned i = 0; i < ndata; i++)
		t[thl + i] = (uint8_t)(i * 7 + 1);
	uint8_t ph[12 + 1500];
	memcpy(ph, d + 12, 8);
	ph[8] = 0, ph[9] = 6;
	ph[10] = (uint8_t)((thl + ndata) >> 8), ph[11] = (uint8_t)(thl + ndata);
	memcpy(ph + 12, t, thl + ndata);
	c = rfc1071(ph, 12 + thl + ndata);
	t[16] = (uint8_t)(c >> 8), t[17] = (uint8_t)c;
	return total;
}

static const char *t_good(void)
{
	uint8_t d[200];
	struct spore_tw_key k;
	size_t n = syn(d, US, 0, 0, 0x02);
	CHECK(twsyn_parse(d, n, ours(), &k) == 1);
	CHECK(k.sport == 40000 && k.dport == 80 && k.seq == 0x12345678);
	CHECK(!memcmp(&k.src, PEER, 4) && !memcmp(&k.dst, US, 4));
	n = syn(d, US, 20, 0, 0x02 | 0x40); /* options; ECE is not a reason to refuse */
	CHECK(twsyn_parse(d, n, ours(), &k) == 1);
	n = syn(d, US, 4, 3, 0x02); /* an odd length: the last byte padded */
	CHECK(twsyn_parse(d, n, ours(), &k) == 1);
	memset(d + n, 0xee, 10); /* link-layer padding after the datagram */
	CHECK(twsyn_parse(d, n + 10, ours(), &k) == 1);
	return NULL;
}

/* Every single bit flipped, in the headers, the options and the checksums. */
static const char *t_any_bit(void)
{
	uint8_t d[200];
	struct spore_tw_key k;
	size_t n = syn(d, US, 8, 3, 0x02);
	for (size_t bit = 0; bit < n * 8; bit++) {
		d[bit / 8] ^= (uint8_t)(1 << bit % 8);
		int r = twsyn_parse(d, n, ours(), &k);
		d[bit / 8] ^= (uint8_t)(1 << bit % 8);
		CHECK(!r, "bit %zu of byte %zu flipped, still a SYN", bit % 8, bit / 8);
	}
	CHECK(twsyn_parse(d, n, ours(), &k) == 1);
	return NULL;
}

static const char *t_not_ours(void)
{
	uint8_t d[200];
	struct spore_tw_key k;
	static const uint8_t other[4] = { 10, 0, 0, 3 };
	size_t n = syn(d, other, 0, 0, 0x02); /* checksums right, for someone else */
	CHECK(twsyn_parse(d, n, ours(), &k) == 0);
	n = syn(d, US, 0, 0, 0x02);
	CHECK(twsyn_parse(d, n, 0, &k) == 0); /* no address yet */
	return NULL;
}

static const char *t_not_a_bare_syn(void)
{
	uint8_t d[200];
	struct spore_tw_key k;
	static const uint8_t flags[] = { 0x12, 0x06, 0x03, 0x10, 0x00 };
	for (unsigned i = 0; i < sizeof flags; i++)
		CHECK(twsyn_parse(d, syn(d, US, 0, 0, flags[i]), ours(), &k) == 0);
	size_t n = syn(d, US, 0, 0, 0x02);
	for (size_t len = 0; len < n; len++) /* cut short anywhere */
		CHECK(twsyn_parse(d, len, ours(), &k) == 0);
	n = syn(d, US, 0, 200 - 40, 0x02); /* whole, but more than the hook copies */
	CHECK(twsyn_parse(d, TWSYN_MAX, ours(), &k) == 0);
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_good, "a SYN to us with both checksums right" },
	{ t_any_bit, "any one bit flipped: not a SYN to act on" },
	{ t_not_ours, "a SYN to another address: not ours" },
	{ t_not_a_bare_syn, "SYN-ACK, RST, FIN, cut short: not a bare SYN" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
