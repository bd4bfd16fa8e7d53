// SPDX-License-Identifier: MIT
/* RESP2 requests: multibulk (*N then $LEN bulk strings) and inline commands
 * (a line of words, as telnet sends). Incremental: a partial command returns
 * 0 and is parsed again when more bytes arrive. Bounded by ARGS_MAX and
 * QUERY_MAX; every read stays inside buf. */
#include <string.h>
#include "kv.h"

/* A decimal after a one-byte prefix, ended by CRLF; 0 if incomplete. */
static long number(const char *b, size_t len, size_t *pos, long long *v, const char **err)
{
	size_t i = *pos + 1;
	int neg = 0, digits = 0;
	long long n = 0;
	if (i < len && b[i] == '-')
		neg = 1, i++;
	for (; i < len && b[i] >= '0' && b[i] <= '9'; i++, digits++)
		if ((n = n * 10 + (b[i] - '0')) > QUERY_MAX * 64LL)
			return *err = "Protocol error: invalid bulk length", -1;
	if (i + 1 >= len)
		return 0;
	if (!digits || b[i] != '\r' || b[i + 1] != '\n')
		return *err = b[*pos] == '*' ? "Protocol error: invalid multibulk length"
		                             : "Protocol error: invalid bulk length",
		       -1;
	*v = neg ? -n : n;
	*pos = i + 2;
	return 1;
}

static long inline_cmd(const char *b, size_t len, struct cmd *c, const char **err)
{
	const char *nl = memchr(b, '\n', len);
	if (!nl)
		return len > 64 * 1024 ? (*err = "Protocol error: too big inline request", -1) : 0;
	size_t end = (size_t)(nl - b), i = 0;
	if (end && b[end - 1] == '\r')
		end--;
	c->argc = 0;
	while (i < end) {
		while (i < end && (b[i] == ' ' || b[i] == '\t'))
			i++;
		if (i == end)
			break;
		size_t s = i;
		while (i < end && b[i] != ' ' && b[i] != '\t')
			i++;
		if (c->argc == ARGS_MAX)
			return *err = "Protocol error: too many arguments", -1;
		c->argv[c->argc] = b + s;
		c->len[c->argc++] = i - s;
	}
	return (long)(nl - b) + 1;
}

long resp_parse(const char *b, size_t len, struct cmd *c, const char **err)
{
	if (!len)
		return 0;
	if (b[0] != '*')
		return inline_cmd(b, len, c, err);
	size_t pos = 0;
	long long n, l;
	long r = number(b, len, &pos, &n, err);
	if (r <= 0)
		return r;
	if (n > ARGS_MAX)
		return *err = "Protocol error: invalid multibulk length", -1;
	c->argc = 0;
	for (long long i = 0; i < n; i++) {
		if (pos >= len)
			return 0;
		if (b[pos] != '$')
			return *err = "Protocol error: expected '$'", -1;
		if ((r = number(b, len, &pos, &l, err)) <= 0)
			return r;
		if (l < 0 || l > QUERY_MAX)
			return *err = "Protocol error: invalid bulk length", -1;
		if (len - pos < (size_t)l + 2)
			return 0;
		if (b[pos + l] != '\r' || b[pos + l + 1] != '\n')
			return *err = "Protocol error: bulk string not ended by CRLF", -1;
		c->argv[c->argc] = b + pos;
		c->len[c->argc++] = (size_t)l;
		pos += (size_t)l + 2;
	}
	return (long)pos;
}
