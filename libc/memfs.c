// SPDX-License-Identifier: MIT
/* The writable in-memory file system: directories are linked lists of
 * nodes, files one malloc'd buffer each. Every byte it takes (nodes and file
 * capacity) counts against one limit, so a program filling /tmp gets ENOSPC,
 * never the whole heap. Pure logic: libc/vfs.c maps it to POSIX; no locks,
 * because no call here blocks and spore's threads are cooperative. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "memfs.h"

void memfs_init(struct memfs *fs, size_t limit, time_t (*now)(void))
{
	memset(fs, 0, sizeof *fs);
	fs->root.dir = 1;
	fs->root.ino = 1;
	fs->next_ino = 2;
	fs->limit = limit;
	fs->now = now;
}

static time_t now(struct memfs *fs) { return fs->now ? fs->now() : 0; }

/* Lexical, as the path is the only thing known: "." goes, ".." pops a
 * component ("/.." is "/"), and a relative path starts at "/" (the one cwd). */
int memfs_normalize(const char *in, char *out, size_t size)
{
	size_t o = 0;
	if (!in || !*in)
		return -ENOENT;
	if (size < 2)
		return -ENAMETOOLONG;
	while (*in) {
		while (*in == '/')
			in++;
		const char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[--o] != '/')
				; /* back to the slash before the last name */
			continue;
		}
		if (len > MEMFS_NAME_MAX || o + len + 2 > size)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, seg, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = 0;
	return 0;
}

static struct memfs_node *find(struct memfs_node *dir, const char *name, size_t len)
{
	for (struct memfs_node *c = dir->child; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* Walks a normalized path; *last (if asked) gets its final component. */
static int walk(struct memfs *fs, const char *norm, int parent_only, struct memfs_node **out,
                const char **last)
{
	struct memfs_node *n = &fs->root;
	const char *p = norm + 1;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!n->dir)
			return -ENOTDIR;
		if (parent_only && !end) {
			*last = p;
			break;
		}
		if (!(n = find(n, p, len)))
			return -ENOENT;
		p += len + (end != NULL);
	}
	*out = n;
	return 0;
}

int memfs_lookup(struct memfs *fs, const char *path, struct memfs_node **out)
{
	char norm[MEMFS_PATH_MAX];
	int r = memfs_normalize(path, norm, sizeof norm);
	return r < 0 ? r : walk(fs, norm, 0, out, NULL);
}

/* The directory that holds PATH and PATH's last name; -EBUSY for "/". */
static int parent(struct memfs *fs, const char *path, struct memfs_node **dir, const char **name,
                  char *norm)
{
	int r = memfs_normalize(path, norm, MEMFS_PATH_MAX);
	if (r < 0)
		return r;
	if (!strcmp(norm, "/"))
		return -EBUSY;
	*name = NULL;
	r = walk(fs, norm, 1, dir, name);
	if (r < 0)
		return r;
	return (*dir)->dir ? 0 : -ENOTDIR;
}

static int charge(struct memfs *fs, size_t bytes)
{
	if (bytes > fs->limit - fs->used)
		return -ENOSPC;
	fs->used += bytes;
	return 0;
}

static void destroy(struct memfs *fs, struct memfs_node *n)
{
	fs->used -= sizeof *n + n->cap;
	free(n->data);
	free(n);
}

static void detach(struct memfs_node *n)
{
	struct memfs_node **pp = &n->parent->child;
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->parent = n->next = NULL;
}

static void attach(struct memfs_node *dir, struct memfs_node *n)
{
	n->parent = dir;
	n->next = dir->child;
	dir->child = n;
}

/* Gone from the tree; freed now unless an fd or DIR still holds it. */
static void drop(struct memfs *fs, struct memfs_node *n)
{
	n->parent->mtime = now(fs);
	detach(n);
	if (!n->opens)
		destroy(fs, n);
}

int memfs_create(struct memfs *fs, const char *path, int dir, int excl, struct memfs_node **out)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *d, *n;
	const char *name;
	int r = parent(fs, path, &d, &name, norm);
	if (r < 0)
		return r == -EBUSY ? -EEXIST : r;
	if ((n = find(d, name, strlen(name)))) {
		if (excl || dir)
			return -EEXIST;
		*out = n;
		return 0;
	}
	if ((r = charge(fs, sizeof *n)) < 0)
		return r;
	if (!(n = calloc(1, sizeof *n))) {
		fs->used -= sizeof *n;
		return -ENOSPC;
	}
	strcpy(n->name, name); /* fits: memfs_normalize bounds each name */
	n->dir = dir;
	n->ino = fs->next_ino++;
	n->mtime = now(fs);
	attach(d, n);
	d->mtime = n->mtime;
	*out = n;
	return 0;
}

int memfs_unlink(struct memfs *fs, const char *path)
{
	struct memfs_node *n;
	int r = memfs_lookup(fs, path, &n);
	if (r < 0)
		return r;
	if (n->dir)
		return -EISDIR; /* Linux's answer; POSIX allows EPERM */
	drop(fs, n);
	return 0;
}

int memfs_rmdir(struct memfs *fs, const char *path)
{
	struct memfs_node *n;
	int r = memfs_lookup(fs, path, &n);
	if (r < 0)
		return r;
	if (!n->dir)
		return -ENOTDIR;
	if (n == &fs->root)
		return -EBUSY;
	if (n->child)
		return -ENOTEMPTY;
	drop(fs, n);
	return 0;
}

/* POSIX rename(): an existing target is replaced in one step if it is of
 * the same kind (and, for a directory, empty); a directory never moves
 * below itself. */
int memfs_rename(struct memfs *fs, const char *from, const char *to)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *src, *d, *old;
	const char *name;
	int r = memfs_lookup(fs, from, &src);
	if (r < 0)
		return r;
	if (src == &fs->root)
		return -EBUSY;
	if ((r = parent(fs, to, &d, &name, norm)) < 0)
		return r;
	for (struct memfs_node *p = d; p; p = p->parent)
		if (p == src)
			return -EINVAL;
	if ((old = find(d, name, strlen(name)))) {
		if (old == src)
			return 0;
		if (src->dir && !old->dir)
			return -ENOTDIR;
		if (!src->dir && old->dir)
			return -EISDIR;
		if (old->child)
			return -ENOTEMPTY;
		drop(fs, old);
	}
	detach(src);
	strcpy(src->name, name);
	attach(d, src);
	d->mtime = now(fs);
	return 0;
}

/* Capacity for NEED bytes: doubling, so appends cost O(1) each, but never
 * past the limit when the exact size would still fit. */
static int reserve(struct memfs *fs, struct memfs_node *n, size_t need)
{
	if (need <= n->cap)
		return 0;
	size_t cap = n->cap > need / 2 ? n->cap * 2 : need;
	if (cap < 64)
		cap = 64;
	if (cap - n->cap > fs->limit - fs->used)
		cap = need;
	if (charge(fs, cap - n->cap) < 0)
		return -ENOSPC;
	unsigned char *p = realloc(n->data, cap);
	if (!p) {
		fs->used -= cap - n->cap;
		return -ENOSPC;
	}
	n->data = p;
	n->cap = cap;
	return 0;
}

int memfs_truncate(struct memfs *fs, struct memfs_node *n, long long size)
{
	if (n->dir)
		return -EISDIR;
	if (size < 0)
		return -EINVAL;
	if ((unsigned long long)size > SIZE_MAX / 2)
		return -EFBIG;
	if (size == 0) { /* give the space back: the common "rewrite" case */
		fs->used -= n->cap;
		free(n->data);
		n->data = NULL;
		n->cap = 0;
	} else if ((size_t)size > n->size) {
		int r = reserve(fs, n, (size_t)size);
		if (r < 0)
			return r;
		memset(n->data + n->size, 0, (size_t)size - n->size);
	}
	n->size = (size_t)size;
	n->mtime = now(fs);
	return 0;
}

long memfs_read(struct memfs_node *n, long long off, void *buf, size_t len)
{
	if (n->dir)
		return -EISDIR;
	if (off < 0)
		return -EINVAL;
	if ((unsigned long long)off >= n->size)
		return 0;
	if (len > n->size - (size_t)off)
		len = n->size - (size_t)off;
	if (len > LONG_MAX)
		len = LONG_MAX;
	memcpy(buf, n->data + off, len);
	return (long)len;
}

long memfs_write(struct memfs *fs, struct memfs_node *n, long long off, const void *buf, size_t len)
{
	if (n->dir)
		return -EISDIR;
	if (off < 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > LONG_MAX || (unsigned long long)off > SIZE_MAX / 2 ||
	    len > SIZE_MAX / 2 - (size_t)off)
		return -EFBIG;
	size_t end = (size_t)off + len;
	int r = reserve(fs, n, end);
	if (r < 0)
		return r;
	if ((size_t)off > n->size) /* a hole reads as zeros */
		memset(n->data + n->size, 0, (size_t)off - n->size);
	memcpy(n->data + off, buf, len);
	if (end > n->size)
		n->size = end;
	n->mtime = now(fs);
	return (long)len;
}

struct memfs_node *memfs_child(struct memfs_node *dir, size_t index)
{
	struct memfs_node *c = dir->dir ? dir->child : NULL;
	while (c && index--)
		c = c->next;
	return c;
}

void memfs_hold(struct memfs_node *n) { n->opens++; }

void memfs_release(struct memfs *fs, struct memfs_node *n)
{
	if (--n->opens == 0 && !n->parent && n != &fs->root)
		destroy(fs, n);
}
