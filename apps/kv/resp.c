// SPDX-License-Identifier: MIT
/* RESP2 requests as Redis reads them: multibulk (*N, then N $LEN bulk strings)
 * or an inline line of words (telnet). Incremental: the state keeps how far
 * the pending command was checked, so no byte is scanned twice. */
#include <string.h>
#include "resp.h"

#define E(s) (r->err = "Protocol error: " s, -1L)

/* Redis's string2ll: optional '-', no '+', no leading zeros, no overflow. */
static int to_ll(const char *s, size_t n, long long *v)
{
	size_t i = 0;
	unsigned long long u = 0, lim = (unsigned long long)__LONG_LONG_MAX__;
	if (n == 1 && s[0] == '0')
		return *v = 0, 0;
	if (n && s[0] == '-')
		i = 1, lim++;
	if (i == n || n - i > 19 || s[i] < '1' || s[i] > '9')
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		u = u * 10 + (unsigned)(s[i] - '0');   /* 19 digits cannot wrap */
		if (u > lim)
			return -1;
	}
	*v = s[0] == '-' ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* The "*N\r\n" or "$N\r\n" line at *pos: 1 and *pos past it, 0 if incomplete,
 * -1 if not a number (or no CRLF). */
static int line_ll(const char *b, size_t len, size_t *pos, long long *v)
{
	const char *cr = memchr(b + *pos, '\r', len - *pos);
	if (!cr || (size_t)(cr - b) + 1 >= len)
		return 0;
	size_t s = *pos + 1, e = (size_t)(cr - b);
	if (to_ll(b + s, e - s, v) < 0 || cr[1] != '\n')
		return -1;
	*pos = e + 2;
	return 1;
}

static int sp(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0; }

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 32);   /* 'A'-'F' only: digits were taken above */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* sdssplitargs: words, "double quotes" with \n \r \t \b \a \xHH \c, 'single'
 * with \'. A closing quote must end the word. argv != NULL: fills argv and
 * lens, unescaping in place (the output never overtakes the input). Returns
 * argc, or -1 for unbalanced quotes. */
static int split(char *s, size_t n, char **argv, size_t *lens)
{
	size_t i = 0;
	int argc = 0;
	for (;;) {
		while (i < n && sp(s[i]))
			i++;
		if (i == n)
			return argc;
		char *w = s + i, *o = w;
		int q = 0;   /* 0, '"' or '\'' */
		for (;; i++) {
			if (i == n) {
				if (q)
					return -1;
				break;
			}
			char ch = s[i];
			if (q == '"' && ch == '\\' && i + 3 < n && s[i + 1] == 'x' &&
			    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
				ch = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
				i += 3;
			} else if (q == '"' && ch == '\\' && i + 1 < n) {
				ch = s[++i];
				ch = ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 't' ? '\t' :
				     ch == 'b' ? '\b' : ch == 'a' ? '\a' : ch;
			} else if (q == '\'' && ch == '\\' && i + 1 < n && s[i + 1] == '\'') {
				ch = s[++i];
			} else if (q && ch == q) {
				if (i + 1 < n && !sp(s[i + 1]))
					return -1;   /* a closing quote must end the word */
				i++;
				break;
			} else if (!q && sp(ch)) {
				break;
			} else if (!q && (ch == '"' || ch == '\'')) {
				q = ch;
				continue;
			}
			if (argv)
				*o = ch;
			o++;
		}
		if (argv)
			argv[argc] = w, lens[argc] = (size_t)(o - w);
		argc++;
	}
}

static long multibulk(struct resp *r, const char *b, size_t len)
{
	long long v;
	int k;
	if (r->state == 0) {
		if (!(k = line_ll(b, len, &r->pos, &v)))
			return len > RESP_INLINE_MAX ? E("too big mbulk count string") : 0;
		if (k < 0 || v > RESP_ARGS_MAX)
			return E("invalid multibulk length");
		r->state = 1, r->left = v > 0 ? v : 0, r->bulk = -1, r->argc = 0;
	}
	while (r->left > 0) {
		if (r->bulk < 0) {
			r->need = r->pos + 6 * (size_t)r->left;   /* "$0\r\n\r\n" each */
			if (r->pos >= len)
				return 0;
			if (b[r->pos] != '$') {
				memcpy(r->ebuf, "Protocol error: expected '$', got ' '", 38);
				r->ebuf[35] = b[r->pos];
				r->err = r->ebuf;
				return -1;
			}
			if (!(k = line_ll(b, len, &r->pos, &v)))
				return len - r->pos > RESP_INLINE_MAX ? E("too big bulk count string") : 0;
			if (k < 0 || v < 0 || v > RESP_BULK_MAX)
				return E("invalid bulk length");
			r->bulk = v;
		}
		r->need = r->pos + (size_t)r->bulk + 2 + 6 * (size_t)(r->left - 1);
		if (len - r->pos < (size_t)r->bulk + 2)
			return 0;
		if (b[r->pos + r->bulk] != '\r' || b[r->pos + r->bulk + 1] != '\n')
			return E("bulk string not ended by CRLF");
		r->pos += (size_t)r->bulk + 2;
		r->bulk = -1, r->left--, r->argc++;
	}
	r->state = 3;
	return (long)r->pos;
}

static long parse(struct resp *r, const char *b, size_t len)
{
	if (r->state == 1 || (r->state == 0 && b[0] == '*'))
		return multibulk(r, b, len);
	r->state = 2;
	const char *nl = memchr(b + r->pos, '\n', len - r->pos);
	if (!nl) {
		r->pos = len;
		return len > RESP_INLINE_MAX ? E("too big inline request") : 0;
	}
	size_t e = (size_t)(nl - b);
	if ((r->argc = split((char *)b, e, NULL, NULL)) < 0)
		return E("unbalanced quotes in request");
	r->state = 3, r->pos = e + 1;
	return (long)r->pos;
}

long resp_parse(struct resp *r, const char *b, size_t len)
{
	if (r->state == 3)
		*r = (struct resp){ 0 };
	r->err = NULL;
	long n = r->pos < len ? parse(r, b, len) : 0;
	if (n == 0 && r->need <= len)
		r->need = len + 1;
	return n;
}

void resp_args(const struct resp *r, char *b, char **argv, size_t *lens)
{
	if (b[0] != '*') {   /* inline: the line without its \n */
		split(b, r->pos - 1, argv, lens);
		return;
	}
	size_t p = (size_t)((char *)memchr(b, '\n', r->pos) - b) + 1;
	for (int i = 0; i < r->argc; i++) {
		size_t n = 0, q = p + 1;
		for (; b[q] != '\r'; q++)
			n = n * 10 + (size_t)(b[q] - '0');
		argv[i] = b + q + 2, lens[i] = n;
		p = q + 2 + n + 2;
	}
}
