/* SPDX-License-Identifier: MIT */
/* kv: a Redis-protocol (RESP2) key-value store. The internal header for its
 * files but the parser, which has resp.h to itself. */
#ifndef KV_H
#define KV_H
#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX (1024 * 1024)   /* a connection's unanswered command; more: error, close */
#define OUT_HIGH  (256 * 1024)    /* pending replies above this: stop running its commands */

/* out.c: a reply buffer; a failed allocation sets oom (the caller closes) */
struct out {
	char *buf;
	size_t len, cap;
	int oom;
};
void out_raw(struct out *o, const void *p, size_t n);
void out_simple(struct out *o, const char *s);        /* +s */
void out_error(struct out *o, const char *s);         /* -s, CR and LF made spaces */
void out_int(struct out *o, long long v);             /* :v */
void out_bulk(struct out *o, const void *p, size_t n);
void out_nil(struct out *o);                          /* $-1 */
void out_array(struct out *o, long long n);

/* db.c: string keys with optional expiry (absolute, ms since the epoch);
 * memory counted against db_max. Failed writes leave the store unchanged. */
struct item {
	struct item *next;
	int64_t expire_ms;          /* 0: none */
	uint32_t klen : 31, mark : 1;
	uint32_t vlen;
	char data[];                /* key then value */
};
#define VAL(it) ((it)->data + (it)->klen)
extern size_t db_used, db_max;
int64_t db_now_ms(void);
struct item *db_get(const char *k, size_t klen);       /* NULL if absent or expired */
int  db_set(const char *k, size_t klen, const char *v, size_t vlen, int64_t expire_ms); /* -1: OOM */
int  db_mset(char **argv, size_t *lens, int n);        /* n/2 pairs, all or none; -1: OOM */
int  db_del(const char *k, size_t klen);               /* 1 if it was there */
void db_expire(struct item *it, int64_t at);           /* 0: persist */
size_t db_size(void);
size_t db_expires(void);
void db_flush(void);
void db_each(void (*fn)(struct item *it, void *arg), void *arg);
void db_sweep(int all);    /* drops expired keys: some buckets, or all */
int  glob_match(const char *p, size_t plen, const char *s, size_t slen);

/* cmd.c: runs one command; returns 1 when the client asked to QUIT.
 * cmd_argv/cmd_lens: argument arrays for resp_args, grown by cmd_args. */
extern unsigned long kv_clients;
extern char **cmd_argv;
extern size_t *cmd_lens;
int cmd_args(int argc);      /* -1: no memory for that many */
int cmd_run(int argc, char **argv, size_t *lens, struct out *o);

/* log.c: -f FILE, the append-only log. Recipe: log_open once (replays the
 * file through cmd_run), log_append per write, log_sync before any reply
 * that follows a write is sent. A failed write or fsync ends the process. */
int  log_open(const char *path);     /* -1 after a message */
void log_append(int argc, const char **argv, const size_t *lens);
void log_sync(void);
#endif
