// SPDX-License-Identifier: MIT
/* The store: a chained hash table of items (key and value in one
 * allocation), expiry checked on access, memory counted against -m. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kv.h"

size_t db_used, db_max = 1024 * 1024;
static struct item **tab;
static size_t nbuckets, nitems;

int64_t db_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return (size_t)h;
}

static size_t cost(size_t klen, size_t vlen) { return sizeof(struct item) + klen + vlen + 16; }

static void unlink_item(struct item **pp)
{
	struct item *it = *pp;
	*pp = it->next;
	db_used -= cost(it->klen, it->vlen);
	nitems--;
	free(it);
}

static struct item **find(const char *k, size_t klen)
{
	if (!nbuckets)
		return NULL;
	for (struct item **pp = &tab[hash(k, klen) & (nbuckets - 1)]; *pp; pp = &(*pp)->next) {
		struct item *it = *pp;
		if (it->klen == klen && !memcmp(it->data, k, klen)) {
			if (it->expire_ms && it->expire_ms <= db_now_ms()) {
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

static void grow(void)
{
	size_t n = nbuckets ? nbuckets * 2 : 1024;
	struct item **t = calloc(n, sizeof *t);
	if (!t)
		return; /* keep the old table: slower, still correct */
	for (size_t i = 0; i < nbuckets; i++)
		for (struct item *it = tab[i], *next; it; it = next) {
			next = it->next;
			size_t b = hash(it->data, it->klen) & (n - 1);
			it->next = t[b];
			t[b] = it;
		}
	free(tab);
	tab = t, nbuckets = n;
}

int db_set(const char *k, size_t klen, const char *v, size_t vlen, int64_t expire_ms)
{
	struct item **pp = find(k, klen);
	size_t old = pp ? cost((*pp)->klen, (*pp)->vlen) : 0;
	if (db_used - old + cost(klen, vlen) > db_max)
		return -1;
	struct item *it = malloc(sizeof *it + klen + vlen);
	if (!it)
		return -1;
	it->klen = klen, it->vlen = vlen, it->expire_ms = expire_ms;
	memcpy(it->data, k, klen);
	memcpy(it->data + klen, v, vlen);
	if (pp)
		unlink_item(pp);
	if (nitems >= 2 * nbuckets)
		grow();
	if (!nbuckets) {
		free(it);
		return -1;
	}
	size_t b = hash(k, klen) & (nbuckets - 1);
	it->next = tab[b];
	tab[b] = it;
	db_used += cost(klen, vlen);
	nitems++;
	return 0;
}

int db_del(const char *k, size_t klen)
{
	struct item **pp = find(k, klen);
	if (!pp)
		return 0;
	unlink_item(pp);
	return 1;
}

size_t db_size(void) { return nitems; }

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
			if (!it->expire_ms || it->expire_ms > now)
				fn(it, arg);
}

/* Redis-style glob: * ? [set] [^set] [a-z] and \\x. */
int glob_match(const char *p, size_t pl, const char *s, size_t sl)
{
	while (pl) {
		switch (*p) {
		case '*':
			while (pl > 1 && p[1] == '*')
				p++, pl--;
			if (pl == 1)
				return 1;
			for (size_t i = 0; i <= sl; i++)
				if (glob_match(p + 1, pl - 1, s + i, sl - i))
					return 1;
			return 0;
		case '?':
			if (!sl)
				return 0;
			break;
		case '[': {
			if (!sl)
				return 0;
			size_t i = 1;
			int neg = i < pl && p[i] == '^', hit = 0;
			i += neg;
			for (; i < pl && p[i] != ']'; i++) {
				if (p[i] == '\\' && i + 1 < pl)
					hit |= p[++i] == *s;
				else if (i + 2 < pl && p[i + 1] == '-' && p[i + 2] != ']')
					hit |= (*s >= p[i] && *s <= p[i + 2]) ||
					       (*s >= p[i + 2] && *s <= p[i]),
						i += 2;
				else
					hit |= p[i] == *s;
			}
			if (hit == neg)
				return 0;
			if (i >= pl)
				i = pl - 1; /* no closing bracket: the set ran to the end */
			p += i, pl -= i;
			break;
		}
		case '\\':
			if (pl > 1)
				p++, pl--;
			/* fall through */
		default:
			if (!sl || *p != *s)
				return 0;
		}
		p++, pl--, s++, sl--;
	}
	return sl == 0;
}
