// SPDX-License-Identifier: MIT
/* Host unit test for kv's commands (apps/kv/cmd.c over db.c and out.c, the
 * same files the Linux build uses) with the integers at the edges of 64 bits.
 * Built with UBSan that stops at the first report: a signed overflow anywhere
 * kills the test. The replies are real Redis 7.0's (redis-server 7.0.15
 * asked the same). "ok NAME" / "FAIL NAME: why". */
#include <stdio.h>
#include <string.h>
#include "../../apps/kv/kv.h"
#include "unit.h"

static char whybuf[300];

/* One command, its words split at spaces; the reply as RESP. */
static const char *run(const char *line)
{
	static char words[512], reply[4096];
	static struct cmd c;
	static struct out o;
	snprintf(words, sizeof words, "%s", line);
	c.argc = 0;
	for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
		c.argv[c.argc] = w;
		c.len[c.argc++] = strlen(w);
	}
	o.len = 0;
	cmd_run(&c, &o);
	snprintf(reply, sizeof reply, "%.*s", (int)o.len, o.buf);
	return reply;
}

/* The reply to line must be want; on a mismatch why says both. */
static int is(const char *line, const char *want)
{
	const char *got = run(line);
	if (!strcmp(got, want))
		return 1;
	snprintf(whybuf, sizeof whybuf, "%.80s: got '%.100s', want '%.100s'", line, got, want);
	return 0;
}
#define REPLY(line, want)                                                                          \
	do {                                                                                       \
		if (!is(line, want))                                                               \
			return whybuf;                                                             \
	} while (0)

static const char *t_set_expire(void)
{
	db_flush();
	REPLY("SET k v EX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n");
	REPLY("SET k v EX 9223372036854775", "-ERR invalid expire time in 'set' command\r\n");
	REPLY("SET k v PX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n");
	REPLY("SET k v EX -9223372036854775808", "-ERR invalid expire time in 'set' command\r\n");
	REPLY("SET k v EX 0", "-ERR invalid expire time in 'set' command\r\n");
	REPLY("GET k", "$-1\r\n");
	REPLY("SET k v EX 100000000000", "+OK\r\n"); /* ~3000 years: far, but no overflow */
	REPLY("TTL k", ":100000000000\r\n");
	REPLY("SET k v PX 9000000000000000000", "+OK\r\n");
	REPLY("GET k", "$1\r\nv\r\n");
	return NULL;
}

static const char *t_expire(void)
{
	db_flush();
	REPLY("SET k v", "+OK\r\n");
	REPLY("PEXPIRE k 9223372036854775807", "-ERR invalid expire time in 'pexpire' command\r\n");
	REPLY("EXPIRE k 9223372036854775807", "-ERR invalid expire time in 'expire' command\r\n");
	REPLY("EXPIRE k -9223372036854775808", "-ERR invalid expire time in 'expire' command\r\n");
	REPLY("PEXPIRE nokey 9223372036854775807",
	      "-ERR invalid expire time in 'pexpire' command\r\n");
	REPLY("TTL k", ":-1\r\n"); /* refused: unchanged */
	REPLY("PEXPIRE k 9000000000000000000", ":1\r\n");
	REPLY("GET k", "$1\r\nv\r\n");
	REPLY("PEXPIRE k -9223372036854775808", ":1\r\n"); /* in the past: deleted */
	REPLY("GET k", "$-1\r\n");
	return NULL;
}

static const char *t_incr_edges(void)
{
	db_flush();
	REPLY("SET n 5", "+OK\r\n");
	REPLY("DECRBY n -9223372036854775808", "-ERR decrement would overflow\r\n");
	REPLY("DECRBY nokey -9223372036854775808", "-ERR decrement would overflow\r\n");
	REPLY("INCRBY n 9223372036854775807", "-ERR increment or decrement would overflow\r\n");
	REPLY("SET z 0", "+OK\r\n");
	REPLY("INCRBY z -9223372036854775808", ":-9223372036854775808\r\n");
	REPLY("DECR z", "-ERR increment or decrement would overflow\r\n");
	REPLY("DECRBY z 9223372036854775807", "-ERR increment or decrement would overflow\r\n");
	REPLY("SET m 9223372036854775807", "+OK\r\n");
	REPLY("INCR m", "-ERR increment or decrement would overflow\r\n");
	REPLY("DECRBY m 9223372036854775807", ":0\r\n");
	REPLY("GET n", "$1\r\n5\r\n");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_set_expire, "SET EX/PX at the edges: invalid expire time, never a wrap" },
	{ t_expire, "EXPIRE/PEXPIRE at the edges: invalid expire time, never a wrap" },
	{ t_incr_edges, "INCRBY/DECRBY at the edges: overflow refused as Redis does" },
};

int main(int argc, char **argv)
{
	db_max = 1 << 20;
	return UNIT_RUN(tests, argc, argv, "");
}
