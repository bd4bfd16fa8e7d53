/* SPDX-License-Identifier: MIT */
/* The writable in-memory file system's logic (libc/memfs.c): a tree of
 * nodes in malloc'd memory under a byte limit. Pure: no errno, no console,
 * no fd table (libc/vfs.c puts POSIX on top); every call returns 0 or more,
 * or a negated errno value. Built for the guest and for tests/unit/. */
#ifndef LIBC_MEMFS_H
#define LIBC_MEMFS_H
#include <stddef.h>
#include <time.h>

#define MEMFS_NAME_MAX 255
#define MEMFS_PATH_MAX 1024

struct memfs_node {
	char name[MEMFS_NAME_MAX + 1];
	int dir;                   /* 1: a directory, 0: a regular file */
	struct memfs_node *parent; /* NULL for the root and for unlinked nodes */
	struct memfs_node *child;  /* directories: the first entry */
	struct memfs_node *next;   /* the next entry of the parent */
	unsigned char *data;       /* files: cap bytes, size of them in use */
	size_t size, cap;
	int opens; /* open fds and DIR streams: an unlinked node lives on */
	unsigned long ino;
	time_t mtime;
};

struct memfs {
	struct memfs_node root;
	size_t limit, used; /* bytes: nodes and file capacity together */
	unsigned long next_ino;
	time_t (*now)(void); /* mtime source; NULL: 0 */
};

/* memfs.c */
void memfs_init(struct memfs *fs, size_t limit, time_t (*now)(void));
int memfs_normalize(const char *in, char *out, size_t size); /* "a//./b/../c" -> "/a/c" */
int memfs_lookup(struct memfs *fs, const char *path, struct memfs_node **out);
/* A new file or directory; an existing file is returned (*out) unless excl
 * or dir, which fail with -EEXIST. */
int memfs_create(struct memfs *fs, const char *path, int dir, int excl, struct memfs_node **out);
int memfs_unlink(struct memfs *fs, const char *path);
int memfs_rmdir(struct memfs *fs, const char *path);
int memfs_rename(struct memfs *fs, const char *from, const char *to);
int memfs_truncate(struct memfs *fs, struct memfs_node *n, long long size);
long memfs_read(struct memfs_node *n, long long off, void *buf, size_t len);
long memfs_write(struct memfs *fs, struct memfs_node *n, long long off, const void *buf,
                 size_t len);
struct memfs_node *memfs_child(struct memfs_node *dir, size_t index); /* NULL past the end */
void memfs_hold(struct memfs_node *n);                                /* an fd or DIR opens it */
void memfs_release(struct memfs *fs, struct memfs_node *n);           /* ... and closes it */
#endif
