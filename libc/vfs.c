// SPDX-License-Identifier: MIT
/* The file name space: /dev/vda is the raw disk (blkdev.c), /tmp and /data
 * (and all below) the writable memfs, everything else the read-only initrd
 * (tarfs.c). This file turns paths into the right one and memfs's negated
 * errnos into POSIX's; memfs's size limit is the kernel option memfs=SIZE. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "libc.h"
#include "fd.h"
#include "memfs.h"

extern uint64_t opt_memfs_bytes;
static struct memfs fs;
static int fs_ready;

static time_t wall_seconds(void) { return (time_t)(clock_wall_ns() / NSEC); }

static struct memfs *memfs(void)
{
	struct memfs_node *n;
	if (!fs_ready) {
		memfs_init(&fs, opt_memfs_bytes ? opt_memfs_bytes : ram_bytes / 4, wall_seconds);
		memfs_create(&fs, "/tmp", 1, 1, &n);
		memfs_create(&fs, "/data", 1, 1, &n);
		fs_ready = 1;
	}
	return &fs;
}

static int fail(int negerr)
{
	errno = -negerr;
	return -1;
}

/* The working directory: "/" or a directory of memfs (chdir() goes nowhere
 * else), so a relative path is the initrd's as given when it is "/", and
 * memfs's, joined to it, otherwise. */
static char cwd[MEMFS_PATH_MAX] = "/";

/* 1: PATH is memfs's, 0: tarfs's, -1 (errno set): no such path. NORM gets
 * the normalized path; tarfs is given the caller's own (it refuses "..",
 * where memfs resolves it by name, so a relative path that climbs out of
 * memfs from a memfs working directory is not found). */
static int in_memfs(const char *path, char *norm)
{
	char joined[MEMFS_PATH_MAX];
	if (path && *path && *path != '/' && strcmp(cwd, "/")) {
		if (strlen(cwd) + 1 + strlen(path) >= sizeof joined)
			return fail(-ENAMETOOLONG);
		strcpy(joined, cwd);
		strcat(joined, "/");
		strcat(joined, path);
		path = joined;
	}
	int r = memfs_normalize(path, norm, MEMFS_PATH_MAX);
	if (r < 0)
		return fail(r);
	return !strncmp(norm, "/tmp", 4) && (norm[4] == '/' || !norm[4])
	               ? 1
	               : !strncmp(norm, "/data", 5) && (norm[5] == '/' || !norm[5]);
}

static struct memfs_node *node(struct fd *f) { return (struct memfs_node *)(uintptr_t)f->priv; }

static long mpread(struct fd *f, void *buf, unsigned long n, long long off)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return fail(-EBADF);
	long r = memfs_read(node(f), off, buf, n);
	return r < 0 ? fail((int)r) : r;
}

static long mread(struct fd *f, void *buf, unsigned long n)
{
	long r = mpread(f, buf, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static long mpwrite(struct fd *f, const void *buf, unsigned long n, long long off)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return fail(-EBADF);
	long r = memfs_write(memfs(), node(f), off, buf, n);
	return r < 0 ? fail((int)r) : r;
}

static long mwrite(struct fd *f, const void *buf, unsigned long n)
{
	if (f->flags & O_APPEND)
		f->off = (long long)node(f)->size;
	long r = mpwrite(f, buf, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static void fill_stat(const struct memfs_node *n, struct stat *st)
{
	*st = (struct stat){ .st_ino = n->ino,
		             .st_mode = n->dir ? S_IFDIR | 0777 : S_IFREG | 0666,
		             .st_nlink = 1,
		             .st_size = (off_t)n->size,
		             .st_blksize = 4096,
		             .st_blocks = (blkcnt_t)((n->size + 511) / 512) };
	st->st_mtime = st->st_atime = st->st_ctime = n->mtime;
}

static int mfstat(struct fd *f, struct stat *st)
{
	fill_stat(node(f), st);
	return 0;
}

/* Memory is as durable as this file system gets. */
static int mfsync(struct fd *f)
{
	(void)f;
	return 0;
}

static int mftruncate(struct fd *f, long long size)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return fail(-EINVAL); /* POSIX: EBADF or EINVAL; Linux says EINVAL */
	int r = memfs_truncate(memfs(), node(f), size);
	return r < 0 ? fail(r) : 0;
}

static int mclose(struct fd *f)
{
	memfs_release(memfs(), node(f));
	return 0;
}

static const struct fd_ops memfs_ops = {
	.read = mread,
	.write = mwrite,
	.close = mclose,
	.pread = mpread,
	.fstat = mfstat,
	.fsync = mfsync,
	.pwrite = mpwrite,
	.ftruncate = mftruncate,
	.mode = S_IFREG,
};

/* /dev/null: reads end at once, writes vanish. */
static long null_read(struct fd *f, void *buf, unsigned long n)
{
	(void)f, (void)buf, (void)n;
	return 0;
}

static long null_write(struct fd *f, const void *buf, unsigned long n)
{
	(void)f, (void)buf;
	return (long)n;
}

static const struct fd_ops null_ops = { .read = null_read,
	                                .write = null_write,
	                                .mode = S_IFCHR | 0666 };

int open(const char *path, int flags, ...)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	int acc = flags & O_ACCMODE, r;

	if (path && !strcmp(path, "/dev/vda"))
		return blkdev_open(); /* the disk, read-write */
	if (path && !strcmp(path, "/dev/null"))
		return fd_alloc(&null_ops, -1);
	if ((r = in_memfs(path, norm)) <= 0)
		return r < 0 ? -1 : tarfs_open(path, flags);
	r = flags & O_CREAT ? memfs_create(memfs(), norm, 0, flags & O_EXCL, &n)
	                    : memfs_lookup(memfs(), norm, &n);
	if (r < 0)
		return fail(r);
	if (n->dir && acc != O_RDONLY)
		return fail(-EISDIR);
	if ((flags & O_DIRECTORY) && !n->dir)
		return fail(-ENOTDIR);
	if ((flags & O_TRUNC) && acc != O_RDONLY && !n->dir &&
	    (r = memfs_truncate(memfs(), n, 0)) < 0)
		return fail(r);
	int fd = fd_alloc(&memfs_ops, -1);
	if (fd < 0)
		return -1;
	struct fd *f = fd_get(fd);
	f->priv = n;
	f->flags = flags & (O_ACCMODE | O_APPEND);
	memfs_hold(n);
	return fd;
}

int stat(const char *path, struct stat *st)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : tarfs_stat(path, st);
	if ((r = memfs_lookup(memfs(), norm, &n)) < 0)
		return fail(r);
	fill_stat(n, st);
	return 0;
}

int lstat(const char *path, struct stat *st)
{
	return stat(path, st); /* neither file system has symbolic links */
}

int access(const char *path, int mode)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : tarfs_access(path, mode);
	return (r = memfs_lookup(memfs(), norm, &n)) < 0 ? fail(r) : 0;
}

/* A path outside memfs that exists is read-only; one that does not, absent. */
static int readonly(const char *path)
{
	struct stat st;
	return tarfs_stat(path, &st) < 0 ? -1 : fail(-EROFS);
}

int unlink(const char *path)
{
	char norm[MEMFS_PATH_MAX];
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : readonly(path);
	return (r = memfs_unlink(memfs(), norm)) < 0 ? fail(r) : 0;
}

int rmdir(const char *path)
{
	char norm[MEMFS_PATH_MAX];
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : readonly(path);
	if (!strcmp(norm, "/tmp") || !strcmp(norm, "/data"))
		return fail(-EBUSY); /* the mount points themselves */
	return (r = memfs_rmdir(memfs(), norm)) < 0 ? fail(r) : 0;
}

int mkdir(const char *path, mode_t mode)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	(void)mode; /* one user: permission bits mean nothing here */
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : fail(-EROFS);
	return (r = memfs_create(memfs(), norm, 1, 1, &n)) < 0 ? fail(r) : 0;
}

int rename(const char *from, const char *to)
{
	char a[MEMFS_PATH_MAX], b[MEMFS_PATH_MAX];
	int ra = in_memfs(from, a), rb = in_memfs(to, b), r;
	if (ra < 0 || rb < 0)
		return -1;
	if (!ra && !rb)
		return readonly(from);
	if (ra != rb)
		return fail(-EXDEV); /* across file systems: the caller copies */
	if (!strcmp(a, "/tmp") || !strcmp(a, "/data") || !strcmp(b, "/tmp") || !strcmp(b, "/data"))
		return fail(-EBUSY);
	return (r = memfs_rename(memfs(), a, b)) < 0 ? fail(r) : 0;
}

int link(const char *from, const char *to)
{
	(void)from, (void)to;
	return fail(-EPERM); /* memfs keeps one name per file */
}

int ftruncate(int fd, off_t size)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	return f->ops->ftruncate ? f->ops->ftruncate(f, size) : fail(-EINVAL);
}

int truncate(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY), r;
	if (fd < 0)
		return -1;
	r = ftruncate(fd, size);
	close(fd);
	return r;
}

/* Permission bits are reported (0666, 0777) and never enforced: one
 * program, one user. Changing them is accepted where writing would be. */
int chmod(const char *path, mode_t mode)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	(void)mode;
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : readonly(path);
	return (r = memfs_lookup(memfs(), norm, &n)) < 0 ? fail(r) : 0;
}

int fchmod(int fd, mode_t mode)
{
	struct fd *f = fd_get(fd);
	(void)mode;
	return !f ? -1 : f->ops == &memfs_ops ? 0 : fail(-EROFS);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
	(void)uid, (void)gid;
	return fchmod(fd, 0);
}

/* TIMES NULL: now. Only the modification time is kept. */
int utimes(const char *path, const struct timeval *times)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n;
	int r = in_memfs(path, norm);
	if (r <= 0)
		return r < 0 ? -1 : readonly(path);
	if ((r = memfs_lookup(memfs(), norm, &n)) < 0)
		return fail(r);
	n->mtime = times ? times[1].tv_sec : wall_seconds();
	return 0;
}

/* Neither file system has symbolic links. */
ssize_t readlink(const char *path, char *buf, size_t size)
{
	struct stat st;
	(void)buf, (void)size;
	return stat(path, &st) < 0 ? -1 : fail(-EINVAL);
}

int symlink(const char *target, const char *path)
{
	(void)target, (void)path;
	return fail(-EPERM);
}

/* chdir() to "/" or into memfs (/tmp, /data and below); elsewhere in the
 * initrd is ENOSYS, named on the console. */
int chdir(const char *path)
{
	char norm[MEMFS_PATH_MAX];
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return fail(-ENOTDIR);
	int r = in_memfs(path, norm);
	if (r < 0)
		return -1;
	if (!r && strcmp(norm, "/")) {
		static int said;
		libc_nosys(&said, "chdir (into the initrd, but to /)");
		return -1;
	}
	strcpy(cwd, norm);
	return 0;
}

/* A second fd for the same thing. Stateless fds (console, /dev/null, the
 * disk) and memfs files (held once more) can be copied, though each copy
 * keeps its own offset where POSIX shares one; a socket cannot yet (one
 * lwIP socket would be closed by either fd): ENOSYS, named. */
static int dup_to(int fd, int newfd)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (f->ops->close && f->ops != &memfs_ops) {
		static int said;
		libc_nosys(&said, "dup of a socket or pipe");
		return -1;
	}
	int r = newfd < 0 ? fd_alloc(f->ops, f->sock) : fd_install(newfd, f);
	if (r < 0)
		return -1;
	*fd_get(r) = *f;
	if (f->ops == &memfs_ops)
		memfs_hold(node(f));
	return r;
}

int dup(int fd) { return dup_to(fd, -1); }

int dup2(int fd, int newfd)
{
	if (!fd_get(fd) || newfd < 0 || newfd >= FD_MAX)
		return fail(-EBADF);
	if (fd == newfd)
		return newfd;
	if (fd_get(newfd))
		close(newfd);
	return dup_to(fd, newfd);
}

char *getcwd(char *buf, size_t size)
{
	if (!buf || size < 2)
		return errno = buf ? ERANGE : EINVAL, NULL;
	if (strlen(cwd) >= size)
		return errno = ERANGE, NULL;
	return strcpy(buf, cwd);
}

/* GNU's getcwd into a new allocation (Redis logs it). */
char *get_current_dir_name(void) { return strdup(cwd); }

struct spore_dir {
	struct tarfs_dir *tar;  /* a directory of the initrd, or */
	struct memfs_node *mem; /* one of memfs, held while open */
	size_t next;
	struct dirent ent;
};

DIR *opendir(const char *path)
{
	char norm[MEMFS_PATH_MAX];
	struct memfs_node *n = NULL;
	struct tarfs_dir *t = NULL;
	int r = in_memfs(path, norm);
	if (r < 0)
		return NULL;
	if (r && (r = memfs_lookup(memfs(), norm, &n)) < 0)
		return fail(r), NULL;
	if (n && !n->dir)
		return fail(-ENOTDIR), NULL;
	if (!n && !(t = tarfs_opendir(path)))
		return NULL;
	DIR *d = calloc(1, sizeof *d);
	if (!d) {
		if (t)
			tarfs_closedir(t);
		return fail(-ENOMEM), NULL;
	}
	d->tar = t, d->mem = n;
	if (n)
		memfs_hold(n);
	return d;
}

struct dirent *readdir(DIR *d)
{
	if (d->tar)
		return tarfs_readdir(d->tar);
	struct memfs_node *c = memfs_child(d->mem, d->next);
	if (!c)
		return NULL;
	d->next++;
	strcpy(d->ent.d_name, c->name); /* both hold NAME_MAX + 1 */
	d->ent.d_type = c->dir ? DT_DIR : DT_REG;
	d->ent.d_ino = c->ino;
	return &d->ent;
}

void rewinddir(DIR *d)
{
	if (d->tar)
		tarfs_rewinddir(d->tar);
	d->next = 0;
}

int closedir(DIR *d)
{
	if (d->tar)
		tarfs_closedir(d->tar);
	else
		memfs_release(memfs(), d->mem);
	free(d);
	return 0;
}
