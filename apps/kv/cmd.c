// SPDX-License-Identifier: MIT
/* The commands, with Redis's replies and error texts. Arguments are binary
 * strings (pointer + length); keys and values are copied into the store. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "kv.h"

unsigned long kv_clients;
static int aof = -1; /* -f: the append-only log (a file, or a disk like /dev/vda) */

#define IS(i, s) (c->len[i] == sizeof(s) - 1 && !strncasecmp(c->argv[i], s, sizeof(s) - 1))
static const char OOM[] = "OOM command not allowed when used memory > 'maxmemory'.";
static const char NOTINT[] = "ERR value is not an integer or out of range";
static const char SYNTAX[] = "ERR syntax error";

/* A whole-string signed 64-bit integer, as Redis reads them. */
static int to_ll(const char *s, size_t n, long long *v)
{
	char b[32];
	if (!n || n >= sizeof b)
		return -1;
	memcpy(b, s, n);
	b[n] = 0;
	char *end;
	errno = 0;
	*v = strtoll(b, &end, 10);
	return errno || *end || isspace((unsigned char)b[0]) ? -1 : 0;
}

/* The absolute expiry in ms for v seconds (or v ms) from now; -1 when it does
 * not fit in 64 bits, which Redis answers "invalid expire time". */
static int expire_at(long long v, int ms, int64_t *at)
{
	int64_t now = db_now_ms();
	if (!ms && (v > INT64_MAX / 1000 || v < INT64_MIN / 1000))
		return -1;
	v = ms ? v : v * 1000;
	if (now >= 0 ? v > INT64_MAX - now : v < INT64_MIN - now)
		return -1;
	*at = now + v;
	return 0;
}

static void bad_expire(struct out *o, const char *name)
{
	char b[128];
	snprintf(b, sizeof b, "ERR invalid expire time in '%s' command", name);
	out_error(o, b);
}

static void arity(struct out *o, const char *name)
{
	char b[128];
	snprintf(b, sizeof b, "ERR wrong number of arguments for '%s' command", name);
	out_error(o, b);
}

/* Writes the command to the log, durably, before it is acknowledged. */
static void logged(const struct cmd *c)
{
	static struct out rec;
	if (aof < 0)
		return;
	rec.len = 0;
	char h[32];
	out_raw(&rec, h, (size_t)snprintf(h, sizeof h, "*%d\r\n", c->argc));
	for (int i = 0; i < c->argc; i++) {
		out_raw(&rec, h, (size_t)snprintf(h, sizeof h, "$%zu\r\n", c->len[i]));
		out_raw(&rec, c->argv[i], c->len[i]);
		out_raw(&rec, "\r\n", 2);
	}
	if (rec.oom || write(aof, rec.buf, rec.len) != (ssize_t)rec.len || fsync(aof) < 0) {
		perror("kv: log write"); /* durability lost: say so, keep serving */
	}
}

static int set(const struct cmd *c, struct out *o)
{
	int64_t exp = 0;
	int nx = 0, xx = 0;
	for (int i = 3; i < c->argc; i++) {
		long long v;
		if ((IS(i, "EX") || IS(i, "PX")) && i + 1 < c->argc) {
			if (to_ll(c->argv[i + 1], c->len[i + 1], &v) || v <= 0 ||
			    expire_at(v, IS(i, "PX"), &exp) < 0)
				return bad_expire(o, "set"), 0;
			i++;
		} else if (IS(i, "NX")) {
			nx = 1;
		} else if (IS(i, "XX")) {
			xx = 1;
		} else {
			return out_error(o, SYNTAX), 0;
		}
	}
	if (nx && xx)
		return out_error(o, SYNTAX), 0;
	int exists = db_get(c->argv[1], c->len[1]) != NULL;
	if ((nx && exists) || (xx && !exists))
		return out_nil(o), 0;
	if (db_set(c->argv[1], c->len[1], c->argv[2], c->len[2], exp) < 0)
		return out_error(o, OOM), 0;
	return out_simple(o, "OK"), 1;
}

static int incrby(const struct cmd *c, struct out *o, long long by)
{
	struct item *it = db_get(c->argv[1], c->len[1]);
	long long v = 0;
	if (it && to_ll(it->data + it->klen, it->vlen, &v))
		return out_error(o, NOTINT), 0;
	if ((by > 0 && v > __LONG_LONG_MAX__ - by) || (by < 0 && v < -__LONG_LONG_MAX__ - 1 - by))
		return out_error(o, "ERR increment or decrement would overflow"), 0;
	v += by;
	char b[32];
	int n = snprintf(b, sizeof b, "%lld", v);
	if (db_set(c->argv[1], c->len[1], b, (size_t)n, it ? it->expire_ms : 0) < 0)
		return out_error(o, OOM), 0;
	return out_int(o, v), 1;
}

struct keys_arg {
	const struct cmd *c;
	struct out *o;
	long n;
	int count_only;
};

static void keys_one(struct item *it, void *a)
{
	struct keys_arg *k = a;
	if (!glob_match(k->c->argv[1], k->c->len[1], it->data, it->klen))
		return;
	k->n++;
	if (!k->count_only)
		out_bulk(k->o, it->data, it->klen);
}

static void ttl(const struct cmd *c, struct out *o, int ms)
{
	struct item *it = db_get(c->argv[1], c->len[1]);
	if (!it)
		return out_int(o, -2);
	if (!it->expire_ms)
		return out_int(o, -1);
	long long left = it->expire_ms - db_now_ms(); /* > 0: db_get dropped it otherwise */
	out_int(o, ms ? left : left / 1000 + (left % 1000 != 0));
}

int cmd_run(const struct cmd *c, struct out *o)
{
	int n = c->argc, w = 0;
	char name[32];
	if (!n)
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)(c->len[0] < 31 ? c->len[0] : 31), c->argv[0]);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
#define ARGS(cond)                                                                                 \
	if (!(cond))                                                                               \
	return arity(o, name), 0
	if (IS(0, "PING")) {
		ARGS(n <= 2);
		n == 2 ? out_bulk(o, c->argv[1], c->len[1]) : out_simple(o, "PONG");
	} else if (IS(0, "ECHO")) {
		ARGS(n == 2);
		out_bulk(o, c->argv[1], c->len[1]);
	} else if (IS(0, "GET")) {
		ARGS(n == 2);
		struct item *it = db_get(c->argv[1], c->len[1]);
		it ? out_bulk(o, it->data + it->klen, it->vlen) : out_nil(o);
	} else if (IS(0, "SET")) {
		ARGS(n >= 3);
		w = set(c, o);
	} else if (IS(0, "DEL") || IS(0, "EXISTS")) {
		ARGS(n >= 2);
		long k = 0;
		for (int i = 1; i < n; i++)
			k += IS(0, "DEL") ? db_del(c->argv[i], c->len[i])
			                  : db_get(c->argv[i], c->len[i]) != NULL;
		out_int(o, k);
		w = IS(0, "DEL") && k;
	} else if (IS(0, "INCR") || IS(0, "DECR")) {
		ARGS(n == 2);
		w = incrby(c, o, IS(0, "INCR") ? 1 : -1);
	} else if (IS(0, "INCRBY") || IS(0, "DECRBY")) {
		ARGS(n == 3);
		long long by;
		if (to_ll(c->argv[2], c->len[2], &by))
			return out_error(o, NOTINT), 0;
		if (IS(0, "DECRBY") && by == INT64_MIN) /* -by does not exist */
			return out_error(o, "ERR decrement would overflow"), 0;
		w = incrby(c, o, IS(0, "INCRBY") ? by : -by);
	} else if (IS(0, "MGET")) {
		ARGS(n >= 2);
		out_array(o, n - 1);
		for (int i = 1; i < n; i++) {
			struct item *it = db_get(c->argv[i], c->len[i]);
			it ? out_bulk(o, it->data + it->klen, it->vlen) : out_nil(o);
		}
	} else if (IS(0, "MSET")) {
		ARGS(n >= 3 && n % 2 == 1);
		for (int i = 1; i < n; i += 2)
			if (db_set(c->argv[i], c->len[i], c->argv[i + 1], c->len[i + 1], 0) < 0)
				return out_error(o, OOM), 0;
		out_simple(o, "OK");
		w = 1;
	} else if (IS(0, "EXPIRE") || IS(0, "PEXPIRE")) {
		ARGS(n == 3);
		long long s;
		int64_t at;
		if (to_ll(c->argv[2], c->len[2], &s))
			return out_error(o, NOTINT), 0;
		if (expire_at(s, IS(0, "PEXPIRE"), &at) < 0) /* before the key: as Redis */
			return bad_expire(o, name), 0;
		struct item *it = db_get(c->argv[1], c->len[1]);
		if (it && s <= 0)
			db_del(c->argv[1], c->len[1]);
		else if (it)
			it->expire_ms = at;
		out_int(o, it != NULL);
		w = it != NULL;
	} else if (IS(0, "TTL") || IS(0, "PTTL")) {
		ARGS(n == 2);
		ttl(c, o, IS(0, "PTTL"));
	} else if (IS(0, "KEYS")) {
		ARGS(n == 2);
		struct keys_arg k = { c, o, 0, 1 };
		db_each(keys_one, &k);
		out_array(o, k.n);
		k.count_only = 0, k.n = 0;
		db_each(keys_one, &k);
	} else if (IS(0, "DBSIZE")) {
		ARGS(n == 1);
		out_int(o, (long long)db_size());
	} else if (IS(0, "FLUSHALL") || IS(0, "FLUSHDB")) {
		db_flush();
		out_simple(o, "OK");
		w = 1;
	} else if (IS(0, "INFO")) {
		char b[512];
		int len = snprintf(
			b, sizeof b,
			"# Server\r\nredis_version:7.0.0-spore\r\nredis_mode:standalone\r\n"
			"# Clients\r\nconnected_clients:%lu\r\n# Memory\r\nused_memory:%zu\r\n"
			"maxmemory:%zu\r\n# Keyspace\r\ndb0:keys=%zu,expires=0\r\n",
			kv_clients, db_used, db_max, db_size());
		out_bulk(o, b, (size_t)len);
	} else if (IS(0, "COMMAND") || IS(0, "CONFIG")) {
		out_array(o, 0); /* enough for redis-cli's hints and redis-benchmark's probes */
	} else if (IS(0, "SELECT")) {
		ARGS(n == 2);
		c->len[1] == 1 && c->argv[1][0] == '0'
			? out_simple(o, "OK")
			: out_error(o, "ERR DB index is out of range");
	} else if (IS(0, "QUIT")) {
		out_simple(o, "OK");
		return 1;
	} else {
		char b[200];
		snprintf(b, sizeof b, "ERR unknown command '%s', with args beginning with: ", name);
		for (int i = 1; i < n && strlen(b) < sizeof b - 40; i++)
			snprintf(b + strlen(b), sizeof b - strlen(b), "'%.*s' ",
			         (int)(c->len[i] < 20 ? c->len[i] : 20), c->argv[i]);
		out_error(o, b);
	}
	if (w)
		logged(c);
	return 0;
}

/* -f FILE: replays the commands in it, then appends every write after the
 * last good one. The log ends at the file's end, or at a zero byte (a fresh
 * disk is zeros); a torn last command (a crash mid-write) is reported and
 * overwritten. Works on a file or a raw disk (/dev/vda). */
int log_open(const char *path)
{
	static char buf[QUERY_MAX + 65536];
	static struct cmd c;
	static struct out sink;
	size_t at = 0, len = 0, replayed = 0; /* buf[at, len) is unparsed */
	long long end = 0;                    /* offset after the last good command */
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		perror("kv: -f");
		return -1;
	}
	for (int eof = 0, more = 1; !eof || at < len;) {
		if (more && !eof) {
			/* Move the rest down only when refilling: moving it after
			 * every command made a replay quadratic in the log. */
			memmove(buf, buf + at, len - at);
			len -= at, at = 0;
			ssize_t n = read(fd, buf + len, sizeof buf - len);
			if (n <= 0)
				eof = 1;
			else
				len += (size_t)n;
		}
		if (at < len && buf[at] == 0)
			break; /* a disk's unused zeros: the clean end */
		const char *err = NULL;
		long used = at < len ? resp_parse(buf + at, len - at, &c, &err) : 0;
		more = used <= 0;
		if (used <= 0) {
			if (used < 0 || eof) {
				if (at < len)
					fprintf(stderr,
					        "kv: %s: ignoring a torn or bad last command\n",
					        path);
				break;
			}
			continue;
		}
		cmd_run(&c, &sink);
		sink.len = 0;
		replayed++;
		end += used;
		at += (size_t)used;
	}
	if (lseek(fd, end, SEEK_SET) != end) {
		perror("kv: -f: seek");
		close(fd);
		return -1;
	}
	aof = fd;
	printf("kv: replayed %zu commands from %s\n", replayed, path);
	return 0;
}
