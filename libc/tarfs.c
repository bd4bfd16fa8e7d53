// SPDX-License-Identifier: MIT
/* The root filesystem: a ustar archive passed as the PVH module (QEMU -initrd,
 * spore-kvm --initrd), read in place and never written (EROFS; libc/vfs.c
 * sends /tmp and /data to the writable memfs, the rest here). The archive
 * is indexed once, at first use; every header field is checked against the
 * archive's bounds, and an entry that fails a check ends the index there.
 * Directories that the archive only implies ("docs/a.txt" without "docs/")
 * are added then too: the table never changes after, so open files and open
 * directories may point into it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "libc.h"
#include "fd.h"

struct entry {
	char path[256]; /* normalized: no leading "/", "./" or trailing "/" */
	const unsigned char *data;
	size_t size;
	mode_t mode;
	time_t mtime;
};

static struct entry *ents;
static size_t nents, cap;
static int indexed; /* ents is complete and never moves again */

static unsigned long long octal(const unsigned char *p, size_t n, int *ok)
{
	unsigned long long v = 0;
	size_t i = 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	if (i < n && p[i] != 0 && p[i] != ' ')
		*ok = 0;
	return v;
}

/* "/a/./b/" -> "a/b"; ".." is refused (-1), as is anything too long. */
static int normalize(const char *in, char *out, size_t size)
{
	size_t o = 0;
	while (*in) {
		while (*in == '/')
			in++;
		const char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return -1;
		if (o + len + 2 > size)
			return -1;
		if (o)
			out[o++] = '/';
		memcpy(out + o, seg, len);
		o += len;
	}
	out[o] = 0;
	return 0;
}

/* -1 when memory runs out. A path that does not normalize (too long, "..")
 * is left out, as if the archive did not hold it. */
static int add(const char *path, const unsigned char *data, size_t size, mode_t mode, time_t mtime)
{
	if (nents == cap) {
		size_t ncap = cap ? cap * 2 : 16;
		struct entry *n = realloc(ents, ncap * sizeof *n);
		if (!n)
			return -1;
		ents = n, cap = ncap;
	}
	struct entry *e = &ents[nents];
	if (normalize(path, e->path, sizeof e->path) < 0)
		return 0;
	e->data = data, e->size = size, e->mode = mode, e->mtime = mtime;
	nents++;
	return 0;
}

static struct entry *find(const char *norm)
{
	for (size_t i = 0; i < nents; i++)
		if (!strcmp(ents[i].path, norm))
			return &ents[i];
	return NULL;
}

/* Every parent of every entry exists: "a/b/c" implies "a/b" and "a". Entries
 * added here are walked in turn, so stopping at the first parent found is
 * enough. A parent that exists as a file stays a file (lookup of what lies
 * under it still finds the deeper entries by their own paths). Quadratic in
 * the entries: an initrd holds hundreds, and this runs once. */
static int add_implied_dirs(void)
{
	char parent[sizeof ents->path];
	for (size_t i = 0; i < nents; i++) {
		memcpy(parent, ents[i].path, sizeof parent); /* add() may move ents */
		char *slash;
		while ((slash = strrchr(parent, '/'))) {
			*slash = 0;
			if (find(parent))
				break;
			if (add(parent, NULL, 0, S_IFDIR | 0555, 0) < 0)
				return -1;
		}
	}
	return 0;
}

/* The root always exists, even without an archive. -1 (ENOMEM) when memory
 * runs out: nothing is kept, and the next lookup tries again. */
static int index_archive(void)
{
	const unsigned char *a = (const unsigned char *)(uintptr_t)initrd_base;
	size_t n = initrd_size, off = 0;
	int r = add("", NULL, 0, S_IFDIR | 0555, 0);

	while (r == 0 && a && off + 512 <= n) {
		const unsigned char *h = a + off;
		if (!h[0])
			break; /* the end-of-archive block */
		int ok = 1;
		unsigned sum = 0;
		for (int i = 0; i < 512; i++)
			sum += i >= 148 && i < 156 ? ' ' : h[i];
		size_t size = (size_t)octal(h + 124, 12, &ok);
		unsigned long long mtime = octal(h + 136, 12, &ok);
		if (!ok || octal(h + 148, 8, &ok) != sum || size > n - off - 512)
			break; /* corrupt: index what came before */
		char path[256 + 156] = { 0 };
		if (!memcmp(h + 257, "ustar", 5) && h[345]) {
			memcpy(path, h + 345, strnlen((const char *)h + 345, 155));
			strcat(path, "/");
		}
		strncat(path, (const char *)h, strnlen((const char *)h, 100));
		char type = (char)h[156];
		if (type == '5')
			r = add(path, NULL, 0, S_IFDIR | 0555, (time_t)mtime);
		else if (type == '0' || type == 0)
			r = add(path, h + 512, size, S_IFREG | 0444, (time_t)mtime);
		off += 512 + (size + 511) / 512 * 512;
	}
	if (r == 0 && add_implied_dirs() == 0) {
		struct entry *fit = realloc(ents, nents * sizeof *fit); /* no one points in yet */
		if (fit)
			ents = fit, cap = nents;
		indexed = 1;
		return 0;
	}
	free(ents);
	ents = NULL, nents = cap = 0;
	return -1;
}

/* NULL with errno ENOENT, or ENOMEM when the archive cannot be indexed. */
static const struct entry *lookup(const char *path)
{
	char norm[256];
	if (!indexed && index_archive() < 0) {
		errno = ENOMEM;
		return NULL;
	}
	const struct entry *e = path && normalize(path, norm, sizeof norm) == 0 ? find(norm) : NULL;
	if (!e)
		errno = ENOENT;
	return e;
}

static void fill_stat(const struct entry *e, struct stat *st)
{
	*st = (struct stat){ .st_mode = e->mode,
		             .st_size = (off_t)e->size,
		             .st_nlink = 1,
		             .st_blksize = 4096,
		             .st_blocks = (e->size + 511) / 512 };
	st->st_mtime = st->st_atime = st->st_ctime = e->mtime;
}

static long fpread(struct fd *f, void *buf, unsigned long n, long long off)
{
	const struct entry *e = f->priv;
	if (S_ISDIR(e->mode)) {
		errno = EISDIR;
		return -1;
	}
	if ((unsigned long long)off >= e->size)
		return 0;
	if (n > e->size - (size_t)off)
		n = e->size - (size_t)off;
	memcpy(buf, e->data + off, n);
	return (long)n;
}

static long fread_(struct fd *f, void *buf, unsigned long n)
{
	long r = fpread(f, buf, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static long fwrite_(struct fd *f, const void *buf, unsigned long n)
{
	(void)f, (void)buf, (void)n;
	errno = EBADF; /* opened read-only */
	return -1;
}

static int ffstat(struct fd *f, struct stat *st)
{
	fill_stat(f->priv, st);
	return 0;
}

static const struct fd_ops file_ops = {
	.read = fread_,
	.write = fwrite_,
	.pread = fpread,
	.fstat = ffstat,
	.mode = S_IFREG,
};

int tarfs_open(const char *path, int flags)
{
	const struct entry *e = lookup(path);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND))) {
		if (e || (flags & O_CREAT))
			errno = EROFS;
		return -1;
	}
	if (!e)
		return -1;
	if ((flags & O_DIRECTORY) && !S_ISDIR(e->mode)) {
		errno = ENOTDIR;
		return -1;
	}
	int fd = fd_alloc(&file_ops, -1);
	if (fd >= 0)
		fd_get(fd)->priv = e;
	return fd;
}

int tarfs_stat(const char *path, struct stat *st)
{
	const struct entry *e = lookup(path);
	if (!e)
		return -1;
	fill_stat(e, st);
	return 0;
}

int tarfs_access(const char *path, int mode)
{
	const struct entry *e = lookup(path);
	if (!e)
		return -1;
	if (mode & W_OK) {
		errno = EROFS;
		return -1;
	}
	return 0;
}

struct tarfs_dir {
	const struct entry *dir;
	size_t next;
	struct dirent ent;
};

struct tarfs_dir *tarfs_opendir(const char *path)
{
	const struct entry *e = lookup(path);
	if (!e)
		return NULL;
	if (!S_ISDIR(e->mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	struct tarfs_dir *d = calloc(1, sizeof *d);
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->dir = e;
	return d;
}

/* Direct children only: entries whose path is DIR/NAME with no further '/'. */
struct dirent *tarfs_readdir(struct tarfs_dir *d)
{
	size_t len = strlen(d->dir->path);
	for (; d->next < nents; d->next++) {
		const char *p = ents[d->next].path;
		if (!*p || (len && (strncmp(p, d->dir->path, len) || p[len] != '/')))
			continue;
		const char *name = len ? p + len + 1 : p;
		if (strchr(name, '/'))
			continue;
		strncpy(d->ent.d_name, name, sizeof d->ent.d_name - 1);
		d->ent.d_type = S_ISDIR(ents[d->next].mode) ? DT_DIR : DT_REG;
		d->ent.d_ino = d->next + 1;
		d->next++;
		return &d->ent;
	}
	return NULL;
}

void tarfs_rewinddir(struct tarfs_dir *d) { d->next = 0; }
void tarfs_closedir(struct tarfs_dir *d) { free(d); }
