// SPDX-License-Identifier: MIT
/* The store: a chained hash table of items (key and value in one allocation)
 * that doubles as it fills; expired keys go on access, by a sweep of a few
 * buckets per tick, or all at once before a write is refused for memory. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kv.h"

size_t db_used, db_max = 1024 * 1024;   /* items and the bucket array, bytes */
static struct item **tab;
static size_t nbuckets, nitems, nexpires, sweep_at;

int64_t db_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);   /* absolute: expiry times go to the log */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

/* What an item costs, with a guess at malloc's own overhead. */
static size_t cost(size_t klen, size_t vlen) { return sizeof(struct item) + klen + vlen + 16; }

static void unlink_item(struct item **pp)
{
	struct item *it = *pp;
	*pp = it->next;
	db_used -= cost(it->klen, it->vlen);
	nitems--;
	nexpires -= it->expire_ms != 0;
	free(it);
}

static int expired(const struct item *it, int64_t now) { return it->expire_ms && it->expire_ms <= now; }

static struct item **find(const char *k, size_t klen)
{
	if (!nbuckets)
		return NULL;
	for (struct item **pp = &tab[hash(k, klen) & (nbuckets - 1)]; *pp; pp = &(*pp)->next) {
		struct item *it = *pp;
		if (it->klen == klen && !memcmp(it->data, k, klen)) {
			if (expired(it, db_now_ms())) {
				unlink_item(pp);
				return NULL;
			}
			return pp;
		}
	}
	return NULL;
}

struct item *db_get(const char *k, size_t klen)
{
	struct item **pp = find(k, klen);
	return pp ? *pp : NULL;
}

/* Doubles the table; on failure keeps the old one (slower, still correct). */
static void grow(void)
{
	size_t n = nbuckets ? nbuckets * 2 : 256;
	struct item **t = calloc(n, sizeof *t);
	if (!t)
		return;
	for (size_t i = 0; i < nbuckets; i++)
		for (struct item *it = tab[i], *next; it; it = next) {
			next = it->next;
			size_t b = hash(it->data, it->klen) & (n - 1);
			it->next = t[b];
			t[b] = it;
		}
	free(tab);
	db_used += (n - nbuckets) * sizeof *t;
	tab = t, nbuckets = n;
}

/* Would `more` bytes fit? Expired keys are dropped first if that helps. */
static int fits(size_t more)
{
	if (db_used + more <= db_max)
		return 1;
	if (nexpires)
		db_sweep(1);
	return db_used + more <= db_max;
}

static struct item *make(const char *k, size_t klen, const char *v, size_t vlen, int64_t expire_ms)
{
	if (klen >= 1u << 31 || vlen > UINT32_MAX)
		return NULL;
	struct item *it = malloc(sizeof *it + klen + vlen);
	if (!it)
		return NULL;
	*it = (struct item){ .expire_ms = expire_ms, .klen = (uint32_t)klen, .vlen = (uint32_t)vlen };
	memcpy(it->data, k, klen);
	memcpy(VAL(it), v, vlen);
	return it;
}

/* Puts a made item in, replacing the key's old one. */
static void insert(struct item *it)
{
	struct item **pp = find(it->data, it->klen);
	if (pp)
		unlink_item(pp);
	if (nitems >= 2 * nbuckets)
		grow();
	size_t b = hash(it->data, it->klen) & (nbuckets - 1);
	it->next = tab[b];
	tab[b] = it;
	db_used += cost(it->klen, it->vlen);
	nitems++;
	nexpires += it->expire_ms != 0;
}

int db_set(const char *k, size_t klen, const char *v, size_t vlen, int64_t expire_ms)
{
	if (!nbuckets && (grow(), !nbuckets))
		return -1;
	struct item *old = db_get(k, klen);
	size_t was = old ? cost(old->klen, old->vlen) : 0, now = cost(klen, vlen);
	if (now > was && !fits(now - was))
		return -1;
	struct item *it = make(k, klen, v, vlen, expire_ms);
	if (!it)
		return -1;
	insert(it);
	return 0;
}

/* All pairs are made before any goes in. What they free is counted once per
 * existing key (the mark), so a key named twice never makes room twice. */
int db_mset(char **argv, size_t *lens, int n)
{
	int pairs = n / 2, i, made = 0;
	struct item **its = malloc(sizeof *its * (size_t)(pairs ? pairs : 1));
	size_t add = 0, freed = 0;
	if (!its || (!nbuckets && (grow(), !nbuckets)))
		goto fail;
	for (i = 0; i < pairs; i++, made++) {
		if (!(its[i] = make(argv[2 * i], lens[2 * i], argv[2 * i + 1], lens[2 * i + 1], 0)))
			goto fail;
		add += cost(lens[2 * i], lens[2 * i + 1]);
		struct item *old = db_get(argv[2 * i], lens[2 * i]);
		if (old && !old->mark)
			old->mark = 1, freed += cost(old->klen, old->vlen);
	}
	for (i = 0; i < pairs; i++) {
		struct item *old = db_get(argv[2 * i], lens[2 * i]);
		if (old)
			old->mark = 0;
	}
	if (add > freed && !fits(add - freed))
		goto fail;
	for (i = 0; i < pairs; i++)
		insert(its[i]);
	free(its);
	return 0;
fail:
	for (i = 0; i < made; i++)
		free(its[i]);
	for (i = 0; its && i < made; i++) {
		struct item *old = db_get(argv[2 * i], lens[2 * i]);
		if (old)
			old->mark = 0;
	}
	free(its);
	return -1;
}

int db_del(const char *k, size_t klen)
{
	struct item **pp = find(k, klen);
	if (!pp)
		return 0;
	unlink_item(pp);
	return 1;
}

void db_expire(struct item *it, int64_t at)
{
	nexpires += (at != 0) - (it->expire_ms != 0);
	it->expire_ms = at;
}

size_t db_size(void) { return nitems; }
size_t db_expires(void) { return nexpires; }

void db_flush(void)
{
	for (size_t i = 0; i < nbuckets; i++)
		while (tab[i])
			unlink_item(&tab[i]);
}

void db_each(void (*fn)(struct item *it, void *arg), void *arg)
{
	int64_t now = db_now_ms();
	for (size_t i = 0; i < nbuckets; i++)
		for (struct item *it = tab[i]; it; it = it->next)
			if (!expired(it, now))
				fn(it, arg);
}

/* 64 buckets per call (a tick), round robin; all: every bucket. */
void db_sweep(int all)
{
	int64_t now = db_now_ms();
	size_t n = all ? nbuckets : 64;
	for (size_t i = 0; i < n && i < nbuckets && nexpires; i++) {
		sweep_at = (sweep_at + 1) & (nbuckets - 1);
		for (struct item **pp = &tab[sweep_at]; *pp;)
			if (expired(*pp, now))
				unlink_item(pp);
			else
				pp = &(*pp)->next;
	}
}

/* Redis's glob: * ? [set] [^set] [a-z] \x. One char-class token against c;
 * *tl gets the token's length. A set without its ] runs to the pattern's end. */
static int token(const char *p, size_t pl, char c, size_t *tl)
{
	size_t i = 1;
	if (*p == '?')
		return *tl = 1, 1;
	if (*p == '\\' && pl > 1)
		return *tl = 2, p[1] == c;
	if (*p != '[')
		return *tl = 1, *p == c;
	int neg = i < pl && p[i] == '^', hit = 0;
	for (i += neg; i < pl && p[i] != ']'; i++) {
		if (p[i] == '\\' && i + 1 < pl) {
			hit |= p[++i] == c;
		} else if (i + 2 < pl && p[i + 1] == '-' && p[i + 2] != ']') {
			unsigned char a = (unsigned char)p[i], b = (unsigned char)p[i + 2], x = (unsigned char)c;
			hit |= a <= b ? x >= a && x <= b : x >= b && x <= a;
			i += 2;
		} else {
			hit |= p[i] == c;
		}
	}
	*tl = i < pl ? i + 1 : pl;
	return hit != neg;
}

/* Linear in practice: on a mismatch, back to the last star, one char later. */
int glob_match(const char *p, size_t pl, const char *s, size_t sl)
{
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0, tl;
	while (si < sl) {
		if (pi < pl && p[pi] == '*') {
			star_p = ++pi, star_s = si;
		} else if (pi < pl && token(p + pi, pl - pi, s[si], &tl)) {
			pi += tl, si++;
		} else if (star_p != (size_t)-1) {
			pi = star_p, si = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < pl && p[pi] == '*')
		pi++;
	return pi == pl;
}
