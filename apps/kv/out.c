// SPDX-License-Identifier: MIT
/* Building RESP2 replies into a growing buffer; an allocation failure marks
 * the buffer (the connection is then closed) instead of losing bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kv.h"

void out_raw(struct out *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = (o->cap ? o->cap * 2 : 4096);
		while (cap < o->len + n)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->oom = 1;
			return;
		}
		o->buf = b, o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void line(struct out *o, char type, const char *s, size_t n)
{
	out_raw(o, &type, 1);
	out_raw(o, s, n);
	out_raw(o, "\r\n", 2);
}

void out_simple(struct out *o, const char *s) { line(o, '+', s, strlen(s)); }
void out_error(struct out *o, const char *s) { line(o, '-', s, strlen(s)); }

void out_int(struct out *o, long long v)
{
	char b[32];
	line(o, ':', b, (size_t)snprintf(b, sizeof b, "%lld", v));
}

void out_bulk(struct out *o, const void *p, size_t n)
{
	char b[32];
	line(o, '$', b, (size_t)snprintf(b, sizeof b, "%zu", n));
	out_raw(o, p, n);
	out_raw(o, "\r\n", 2);
}

void out_nil(struct out *o) { out_raw(o, "$-1\r\n", 5); }

void out_array(struct out *o, long n)
{
	char b[32];
	line(o, '*', b, (size_t)snprintf(b, sizeof b, "%ld", n));
}
