// SPDX-License-Identifier: MIT
/* The commands, with Redis 7's replies and error texts. Arguments are binary
 * strings (pointer + length). A write is logged as the state it left: SET key
 * value [PXAT ms], DEL key, MSET or FLUSHALL, so a replay needs no clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kv.h"

unsigned long kv_clients;
char **cmd_argv;
size_t *cmd_lens;
static int cmd_cap;

int cmd_args(int argc)
{
	if (argc <= cmd_cap)
		return 0;
	int cap = argc < 64 ? 64 : argc;
	char **v = realloc(cmd_argv, sizeof *v * (size_t)cap);
	if (v)
		cmd_argv = v;
	size_t *l = realloc(cmd_lens, sizeof *l * (size_t)cap);
	if (l)
		cmd_lens = l;
	if (!v || !l)
		return -1;
	cmd_cap = cap;
	return 0;
}

struct args { int n; char **v; size_t *l; struct out *o; };
#define IS(i, s) (a->l[i] == sizeof(s) - 1 && !strncasecmp(a->v[i], s, sizeof(s) - 1))
#define ERR(s) (out_error(a->o, s), 0)

static const char OOM[] = "OOM command not allowed when used memory > 'maxmemory'.";
static const char NOTINT[] = "ERR value is not an integer or out of range";
static const char SYNTAX[] = "ERR syntax error";
static const char *LOG_SET = "SET", *LOG_DEL = "DEL", *LOG_PXAT = "PXAT";

/* Redis's string2ll: optional '-', no '+', no spaces, no leading zeros. */
static int to_ll(const char *s, size_t n, long long *v)
{
	char b[24];
	if (!n || n > 20)
		return -1;
	memcpy(b, s, n);
	b[n] = 0;
	unsigned long long u = 0, lim = (unsigned long long)__LONG_LONG_MAX__ + (b[0] == '-');
	size_t i = b[0] == '-';
	if (!(n == 1 && b[0] == '0') && (i == n || b[i] < '1' || b[i] > '9'))
		return -1;
	for (; i < n; i++) {
		if (b[i] < '0' || b[i] > '9' || u > (lim - (unsigned)(b[i] - '0')) / 10)
			return -1;
		u = u * 10 + (unsigned)(b[i] - '0');
	}
	*v = b[0] == '-' ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* The key's state into the log: SET key value [PXAT ms], or DEL key. */
static void log_key(const char *k, size_t klen)
{
	struct item *it = db_get(k, klen);
	char at[24];
	const char *v[5] = { it ? LOG_SET : LOG_DEL, k, it ? VAL(it) : 0, LOG_PXAT, at };
	size_t l[5] = { 3, klen, it ? it->vlen : 0, 4, 0 };
	if (it && it->expire_ms)
		l[4] = (size_t)snprintf(at, sizeof at, "%lld", (long long)it->expire_ms);
	log_append(!it ? 2 : it->expire_ms ? 5 : 3, v, l);
}

/* A relative or absolute time (s or ms) into *at, ms since the epoch;
 * -1 when it overflows (Redis: "invalid expire time"). */
static int when(long long v, int ms, int abs, int64_t *at)
{
	if (!ms && (v > __LONG_LONG_MAX__ / 1000 || v < -__LONG_LONG_MAX__ / 1000))
		return -1;
	v *= ms ? 1 : 1000;
	int64_t base = abs ? 0 : db_now_ms();
	if ((v > 0 && base > __LONG_LONG_MAX__ - v) || (v < 0 && base < -__LONG_LONG_MAX__ - v))
		return -1;
	*at = base + v;
	return 0;
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
static int set(struct args *a)
{
	int nx = 0, xx = 0, get = 0, keep = 0, unit = -1, ui = 0, i;
	long long v = 0;
	for (i = 3; i < a->n; i++) {
		int u = IS(i, "EX") ? 0 : IS(i, "PX") ? 1 : IS(i, "EXAT") ? 2 : IS(i, "PXAT") ? 3 : -1;
		if (IS(i, "NX") && !xx)
			nx = 1;
		else if (IS(i, "XX") && !nx)
			xx = 1;
		else if (IS(i, "GET"))
			get = 1;
		else if (IS(i, "KEEPTTL") && unit < 0)
			keep = 1;
		else if (u >= 0 && unit < 0 && !keep && i + 1 < a->n)
			unit = u, ui = ++i;
		else
			return ERR(SYNTAX);
	}
	int64_t at = 0;
	if (unit >= 0) {
		if (to_ll(a->v[ui], a->l[ui], &v))
			return ERR(NOTINT);
		if (v <= 0 || when(v, unit & 1, unit >= 2, &at) < 0)
			return ERR("ERR invalid expire time in 'set' command");
	}
	struct item *old = db_get(a->v[1], a->l[1]);
	if (keep && old)
		at = old->expire_ms;
	if ((nx && old) || (xx && !old)) {
		get && old ? out_bulk(a->o, VAL(old), old->vlen) : out_nil(a->o);
		return 0;
	}
	if (get) {   /* the old value goes out before it is freed */
		size_t mark = a->o->len;
		old ? out_bulk(a->o, VAL(old), old->vlen) : out_nil(a->o);
		if (db_set(a->v[1], a->l[1], a->v[2], a->l[2], at) < 0)
			return a->o->len = mark, ERR(OOM);
		return 1;
	}
	if (db_set(a->v[1], a->l[1], a->v[2], a->l[2], at) < 0)
		return ERR(OOM);
	return out_simple(a->o, "OK"), 1;
}

static int incrby(struct args *a, long long by)
{
	struct item *it = db_get(a->v[1], a->l[1]);
	long long v = 0;
	if (it && to_ll(VAL(it), it->vlen, &v))
		return ERR(NOTINT);
	if ((by > 0 && v > __LONG_LONG_MAX__ - by) || (by < 0 && v < -__LONG_LONG_MAX__ - 1 - by))
		return ERR("ERR increment or decrement would overflow");
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", v += by);
	if (db_set(a->v[1], a->l[1], b, (size_t)n, it ? it->expire_ms : 0) < 0)
		return ERR(OOM);
	return out_int(a->o, v), 1;
}

/* EXPIRE key s [NX|XX|GT|LT], PEXPIRE, EXPIREAT, PEXPIREAT */
static int expire(struct args *a, int ms, int abs, const char *name)
{
	long long v;
	int nx = 0, xx = 0, gt = 0, lt = 0;
	for (int i = 3; i < a->n; i++) {
		nx |= IS(i, "NX"), xx |= IS(i, "XX"), gt |= IS(i, "GT"), lt |= IS(i, "LT");
		if (!IS(i, "NX") && !IS(i, "XX") && !IS(i, "GT") && !IS(i, "LT")) {
			char b[96];
			snprintf(b, sizeof b, "ERR Unsupported option %.*s", (int)(a->l[i] < 40 ? a->l[i] : 40), a->v[i]);
			return ERR(b);
		}
	}
	if (nx && (xx || gt || lt))
		return ERR("ERR NX and XX, GT or LT options at the same time are not compatible");
	if (gt && lt)
		return ERR("ERR GT and LT options at the same time are not compatible");
	if (to_ll(a->v[2], a->l[2], &v))
		return ERR(NOTINT);
	int64_t at;
	if (when(v, ms, abs, &at) < 0) {
		char b[64];
		snprintf(b, sizeof b, "ERR invalid expire time in '%s' command", name);
		return ERR(b);
	}
	struct item *it = db_get(a->v[1], a->l[1]);
	/* GT and LT: no expiry counts as an infinite TTL. */
	int64_t cur = it ? it->expire_ms : 0;
	if (!it || (nx && cur) || (xx && !cur) || (gt && (!cur || at <= cur)) || (lt && cur && at >= cur))
		return out_int(a->o, 0), 0;
	if (at <= db_now_ms())
		db_del(a->v[1], a->l[1]);
	else
		db_expire(it, at);
	return out_int(a->o, 1), 1;
}

static void ttl(struct args *a, int ms)
{
	struct item *it = db_get(a->v[1], a->l[1]);
	long long left = it && it->expire_ms ? it->expire_ms - db_now_ms() : 0;
	if (left < 0)
		left = 0;
	out_int(a->o, !it ? -2 : !it->expire_ms ? -1 : ms ? left : (left + 500) / 1000);
}

struct keys { struct args *a; long long n; int count; };

static void keys_one(struct item *it, void *arg)
{
	struct keys *k = arg;
	const char *p = k->a->v[1];
	size_t pl = k->a->l[1];
	/* Redis: "*" is every key; otherwise an empty key matches only "" */
	if (!(pl == 1 && *p == '*') && (it->klen ? !glob_match(p, pl, it->data, it->klen) : pl != 0))
		return;
	k->n++;
	if (!k->count)
		out_bulk(k->a->o, it->data, it->klen);
}

static void info(struct args *a)
{
	char b[640];
	int n = snprintf(b, sizeof b,
			 "# Server\r\nredis_version:7.0.0-spore\r\nredis_mode:standalone\r\n\r\n"
			 "# Clients\r\nconnected_clients:%lu\r\n\r\n"
			 "# Memory\r\nused_memory:%zu\r\nmaxmemory:%zu\r\nmaxmemory_policy:noeviction\r\n\r\n"
			 "# Keyspace\r\nkeys:%zu\r\ndb0:keys=%zu,expires=%zu,avg_ttl=0\r\n",
			 kv_clients, db_used, db_max, db_size(), db_size(), db_expires());
	out_bulk(a->o, b, (size_t)n);
}

/* Returns 1 if the command changed the store (and logged it). */
static int run(struct args *a, int *quit)
{
	struct out *o = a->o;
	int n = a->n, w = 0;
	long long k = 0;
	if (IS(0, "PING")) {
		n == 2 ? out_bulk(o, a->v[1], a->l[1]) : out_simple(o, "PONG");
	} else if (IS(0, "ECHO")) {
		out_bulk(o, a->v[1], a->l[1]);
	} else if (IS(0, "GET")) {
		struct item *it = db_get(a->v[1], a->l[1]);
		it ? out_bulk(o, VAL(it), it->vlen) : out_nil(o);
	} else if (IS(0, "SET")) {
		if ((w = set(a)))
			log_key(a->v[1], a->l[1]);
	} else if (IS(0, "SETNX")) {
		if ((w = !db_get(a->v[1], a->l[1]))) {
			if (db_set(a->v[1], a->l[1], a->v[2], a->l[2], 0) < 0)
				return ERR(OOM);
			log_key(a->v[1], a->l[1]);
		}
		out_int(o, w);
	} else if (IS(0, "DEL")) {
		for (int i = 1; i < n; i++)
			if (db_del(a->v[i], a->l[i]))
				k++, log_key(a->v[i], a->l[i]);
		out_int(o, k);
	} else if (IS(0, "EXISTS")) {
		for (int i = 1; i < n; i++)
			k += db_get(a->v[i], a->l[i]) != NULL;
		out_int(o, k);
	} else if (IS(0, "INCR") || IS(0, "DECR")) {
		if ((w = incrby(a, IS(0, "INCR") ? 1 : -1)))
			log_key(a->v[1], a->l[1]);
	} else if (IS(0, "INCRBY") || IS(0, "DECRBY")) {
		if (to_ll(a->v[2], a->l[2], &k))
			return ERR(NOTINT);
		if (IS(0, "DECRBY") && k == -__LONG_LONG_MAX__ - 1)
			return ERR("ERR decrement would overflow");
		if ((w = incrby(a, IS(0, "INCRBY") ? k : -k)))
			log_key(a->v[1], a->l[1]);
	} else if (IS(0, "GETSET")) {   /* SET key value GET */
		char *v[4] = { a->v[0], a->v[1], a->v[2], "GET" };
		size_t l[4] = { 3, a->l[1], a->l[2], 3 };
		struct args g = { 4, v, l, o };
		if ((w = set(&g)))
			log_key(a->v[1], a->l[1]);
	} else if (IS(0, "APPEND")) {
		struct item *it = db_get(a->v[1], a->l[1]);
		size_t ol = it ? it->vlen : 0;
		char *nv = malloc(ol + a->l[2] + 1);
		if (!nv)
			return ERR(OOM);
		memcpy(nv, it ? VAL(it) : "", ol);
		memcpy(nv + ol, a->v[2], a->l[2]);
		if ((w = db_set(a->v[1], a->l[1], nv, ol + a->l[2], it ? it->expire_ms : 0) == 0))
			out_int(o, (long long)(ol + a->l[2])), log_key(a->v[1], a->l[1]);
		else
			out_error(o, OOM);
		free(nv);
	} else if (IS(0, "TYPE")) {
		out_simple(o, db_get(a->v[1], a->l[1]) ? "string" : "none");
	} else if (IS(0, "STRLEN")) {
		struct item *it = db_get(a->v[1], a->l[1]);
		out_int(o, it ? it->vlen : 0);
	} else if (IS(0, "MGET")) {
		out_array(o, n - 1);
		for (int i = 1; i < n; i++) {
			struct item *it = db_get(a->v[i], a->l[i]);
			it ? out_bulk(o, VAL(it), it->vlen) : out_nil(o);
		}
	} else if (IS(0, "MSET")) {
		if (n % 2 == 0)
			return ERR("ERR wrong number of arguments for 'mset' command");
		if (db_mset(a->v + 1, a->l + 1, n - 1) < 0)
			return ERR(OOM);
		log_append(n, (const char **)a->v, a->l);
		w = 1;
		out_simple(o, "OK");
	} else if (IS(0, "EXPIRE") || IS(0, "PEXPIRE") || IS(0, "EXPIREAT") || IS(0, "PEXPIREAT")) {
		char name[16];
		snprintf(name, sizeof name, "%s", IS(0, "EXPIRE") ? "expire" : IS(0, "PEXPIRE") ? "pexpire" :
			 IS(0, "EXPIREAT") ? "expireat" : "pexpireat");
		/* the AT forms are the longer names: expireat (8), pexpireat (9) */
		if ((w = expire(a, name[0] == 'p', a->l[0] > 7, name)))
			log_key(a->v[1], a->l[1]);
	} else if (IS(0, "PERSIST")) {
		struct item *it = db_get(a->v[1], a->l[1]);
		if ((w = it && it->expire_ms))
			db_expire(it, 0), log_key(a->v[1], a->l[1]);
		out_int(o, w);
	} else if (IS(0, "TTL") || IS(0, "PTTL")) {
		ttl(a, IS(0, "PTTL"));
	} else if (IS(0, "KEYS")) {
		struct keys ks = { a, 0, 1 };
		db_each(keys_one, &ks);
		out_array(o, ks.n);
		ks.count = 0;
		db_each(keys_one, &ks);
	} else if (IS(0, "DBSIZE")) {
		out_int(o, (long long)db_size());
	} else if (IS(0, "FLUSHALL") || IS(0, "FLUSHDB")) {
		if (n > 2 || (n == 2 && !IS(1, "ASYNC") && !IS(1, "SYNC")))
			return ERR(SYNTAX);
		db_flush();
		log_append(1, (const char *[]){ "FLUSHALL" }, (size_t[]){ 8 });
		w = 1;
		out_simple(o, "OK");
	} else if (IS(0, "INFO")) {
		info(a);
	} else if (IS(0, "COMMAND")) {   /* redis-cli 7 asks COMMAND DOCS for its hints */
		n > 1 && IS(1, "COUNT") ? out_int(o, 0) : out_array(o, 0);
	} else if (IS(0, "CONFIG")) {   /* redis-benchmark asks CONFIG GET save, appendonly */
		if (IS(1, "GET") && n < 3)
			return ERR("ERR wrong number of arguments for 'config|get' command");
		if (IS(1, "GET"))
			return out_array(o, 0), 0;
		if (IS(1, "RESETSTAT"))
			return out_simple(o, "OK"), 0;
		char b[96];
		snprintf(b, sizeof b, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			 (int)(a->l[1] < 40 ? a->l[1] : 40), a->v[1]);
		out_error(o, b);
	} else if (IS(0, "SELECT")) {
		if (to_ll(a->v[1], a->l[1], &k))
			return ERR(NOTINT);
		k == 0 ? out_simple(o, "OK") : out_error(o, "ERR DB index is out of range");
	} else if (IS(0, "QUIT")) {
		out_simple(o, "OK");
		*quit = 1;
	}
	return w;
}

/* name, arity as Redis counts it: n exactly, or at least -n */
static const struct { const char *name; int arity; } cmds[] = {
	{ "ping", -1 }, { "echo", 2 }, { "get", 2 }, { "set", -3 }, { "setnx", 3 }, { "del", -2 },
	{ "exists", -2 }, { "incr", 2 }, { "decr", 2 }, { "incrby", 3 }, { "decrby", 3 },
	{ "strlen", 2 }, { "getset", 3 }, { "append", 3 }, { "type", 2 }, { "mget", -2 }, { "mset", -3 }, { "expire", -3 }, { "pexpire", -3 },
	{ "expireat", -3 }, { "pexpireat", -3 }, { "persist", 2 }, { "ttl", 2 }, { "pttl", 2 },
	{ "keys", 2 }, { "dbsize", 1 }, { "flushall", -1 }, { "flushdb", -1 }, { "info", -1 },
	{ "command", -1 }, { "config", -2 }, { "select", 2 }, { "quit", -1 },
};

int cmd_run(int argc, char **argv, size_t *lens, struct out *o)
{
	struct args a = { argc, argv, lens, o };
	int quit = 0;
	if (!argc)
		return 0;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *nm = cmds[i].name;
		int ar = cmds[i].arity;
		if (lens[0] != strlen(nm) || strncasecmp(argv[0], nm, lens[0]))
			continue;
		if ((ar > 0 && argc != ar) || (ar < 0 && argc < -ar) || (!strcmp(nm, "ping") && argc > 2)) {
			char b[80];
			snprintf(b, sizeof b, "ERR wrong number of arguments for '%s' command", nm);
			out_error(o, b);
			return 0;
		}
		run(&a, &quit);
		return quit;
	}
	/* Redis: the name as sent, then each argument quoted while the list is under 128 bytes. */
	char b[400], args[160];
	size_t al = 0;
	args[0] = 0;
	for (int i = 1; i < argc && al < 128; i++)
		al += (size_t)snprintf(args + al, sizeof args - al, "'%.*s' ",
				       (int)(lens[i] < 128 - al ? lens[i] : 128 - al), argv[i]);
	snprintf(b, sizeof b, "ERR unknown command '%.*s', with args beginning with: %s",
		 (int)(lens[0] < 128 ? lens[0] : 128), argv[0], args);
	out_error(o, b);
	return 0;
}
