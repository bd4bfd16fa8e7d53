// SPDX-License-Identifier: MIT
/* GDB's remote serial protocol, the wire layer (gdb manual, "Overview" of "Remote
 * Protocol"): `$data#cc` packets with a two-digit checksum, `}`-escapes, acks, and
 * the 0x03 interrupt byte; hex helpers for the command layer (gdb.c). Pure. gdb is
 * a network peer: every byte is hostile, every length bounded. Replies are never
 * run-length encoded (the protocol lets a stub choose). */
#include <string.h>

#include "monitor.h"

enum { IDLE, DATA, ESC, SUM1, SUM2 };

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One byte from gdb. A packet's data is kept unescaped; the checksum covers the
 * bytes as sent. Acks ('+', '-') and noise between packets are ignored. */
int rsp_feed(struct rsp_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case IDLE:
		if (c == 0x03)
			return RSP_INTR;
		if (c == '$') {
			rx->state = DATA;
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = 0;
		}
		return RSP_NONE;
	case DATA:
	case ESC:
		if (c == '#' && rx->state == DATA) {
			rx->state = SUM1;
			return RSP_NONE;
		}
		if (c == '$') { /* a new packet before this one ended */
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = 0;
			rx->state = DATA;
			return RSP_NONE;
		}
		rx->sum = (uint8_t)(rx->sum + c);
		if (rx->state == DATA && c == '}') {
			rx->state = ESC;
			return RSP_NONE;
		}
		if (rx->state == ESC)
			c ^= 0x20;
		rx->state = DATA;
		if (rx->len >= RSP_MAX)
			rx->overflow = 1;
		else
			rx->buf[rx->len++] = (char)c;
		return RSP_NONE;
	case SUM1:
		rx->state = hexval(c) < 0 ? IDLE : SUM2;
		if (hexval(c) < 0)
			return RSP_BADSUM;
		rx->got = (uint8_t)(hexval(c) << 4);
		return RSP_NONE;
	default:
		rx->state = IDLE;
		if (hexval(c) < 0 || (uint8_t)(rx->got | hexval(c)) != rx->sum)
			return RSP_BADSUM;
		rx->buf[rx->len] = '\0';
		return rx->overflow ? RSP_TOOLONG : RSP_PACKET;
	}
}

/* `$data#cc` into out, escaping what the protocol reserves; 0 if it does not fit. */
size_t rsp_frame(char *out, size_t size, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	uint8_t sum = 0;

	if (size < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)data[i];
		int esc = c == '#' || c == '$' || c == '}' || c == '*';
		if (n + (esc ? 2 : 1) + 3 > size)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

/* A hex number of 1..16 digits at *p, stopping before end or the first non-digit. */
int rsp_u64(const char **p, const char *end, uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (*p < end && hexval((unsigned char)**p) >= 0) {
		if (++n > 16)
			return -1;
		*v = *v << 4 | (uint64_t)hexval((unsigned char)**p);
		(*p)++;
	}
	return n ? 0 : -1;
}

/* n bytes from 2n hex digits; -1 on a bad digit. */
int rsp_unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* 2n hex digits for n bytes at out (no NUL); returns 2n. */
size_t rsp_hex(char *out, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	return 2 * n;
}
