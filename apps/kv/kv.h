/* SPDX-License-Identifier: MIT */
/* kv: a Redis-protocol (RESP2) key-value store. One header for its files:
 * the parser is pure (fuzzed by tests/fuzz/resp_fuzz.c). */
#ifndef KV_H
#define KV_H
#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX (1024 * 1024) /* a connection's unanswered input; more: error, close */
#define ARGS_MAX  4096

struct cmd {
	int argc;
	const char *argv[ARGS_MAX];
	size_t len[ARGS_MAX];
};

/* resp.c: one command from buf. Returns the bytes it used, 0 when more are
 * needed, or -1 with *err set to a protocol error (the connection closes). */
long resp_parse(const char *buf, size_t len, struct cmd *c, const char **err);

/* out.c: the reply buffer */
struct out {
	char *buf;
	size_t len, cap;
	int oom;
};
void out_raw(struct out *o, const void *p, size_t n);
void out_simple(struct out *o, const char *s); /* +s */
void out_error(struct out *o, const char *s);  /* -s */
void out_int(struct out *o, long long v);      /* :v */
void out_bulk(struct out *o, const void *p, size_t n);
void out_nil(struct out *o);
void out_array(struct out *o, long n);

/* db.c: keys with optional expiry; memory counted against a limit */
struct item {
	struct item *next;
	int64_t expire_ms; /* 0: none */
	size_t klen, vlen;
	char data[]; /* key then value */
};
extern size_t db_used, db_max;
int64_t db_now_ms(void);
struct item *db_get(const char *k, size_t klen); /* NULL if absent or expired */
int db_set(const char *k, size_t klen, const char *v, size_t vlen, int64_t expire_ms); /* -1: OOM */
int db_del(const char *k, size_t klen);
size_t db_size(void);
void db_flush(void);
void db_each(void (*fn)(struct item *it, void *arg), void *arg);
int glob_match(const char *p, size_t plen, const char *s, size_t slen);

/* cmd.c: runs one command; returns 1 when the client asked to QUIT */
int cmd_run(const struct cmd *c, struct out *o);
extern unsigned long kv_clients;
int log_open(const char *path); /* -f FILE: replay, then append; -1 after a message */
#endif
