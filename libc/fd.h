/* SPDX-License-Identifier: MIT */
/* The one fd table: console, sockets (and files later) share it, so read,
 * write, close, poll and select work on any of them. Each open fd points to
 * the operations of its kind, so an app that never opens a socket never links
 * the network stack. */
#ifndef LIBC_FD_H
#define LIBC_FD_H

#define FD_MAX 1024 /* = FD_SETSIZE (Makefile) */

struct stat;
struct fd;
struct fd_ops {
	long (*read)(struct fd *f, void *buf, unsigned long n);
	long (*write)(struct fd *f, const void *buf, unsigned long n);
	int (*close)(struct fd *f);
	long (*pread)(struct fd *f, void *buf, unsigned long n, long long off); /* NULL: ESPIPE */
	int (*fstat)(struct fd *f, struct stat *st); /* NULL: st_mode = mode */
	int (*fsync)(struct fd *f);                  /* NULL: EINVAL */
	long (*pwrite)(struct fd *f, const void *buf, unsigned long n,
	               long long off);                  /* NULL: pwrite() decides */
	int (*ftruncate)(struct fd *f, long long size); /* NULL: EINVAL */
	short (*poll)(struct fd *f, short events);      /* NULL: always ready */
	unsigned mode; /* st_mode for fstat: S_IFCHR, S_IFSOCK... */
	int isatty;
};

struct fd {
	const struct fd_ops *ops; /* NULL: free */
	int sock;                 /* the lwIP socket, for sockets */
	const void *priv;         /* files: the archive entry */
	long long off;            /* files: the offset read() and lseek() use */
	int flags;                /* memfs files: O_ACCMODE and O_APPEND from open();
	                             pipes: O_NONBLOCK from fcntl() */
};

extern const struct fd_ops console_ops;

/* blkdev.c */
int blkdev_open(void); /* /dev/vda */

/* tarfs.c: the read-only root; libc/vfs.c is its only caller */
struct dirent;
struct tarfs_dir;
int tarfs_open(const char *path, int flags);
int tarfs_stat(const char *path, struct stat *st);
int tarfs_access(const char *path, int mode);
struct tarfs_dir *tarfs_opendir(const char *path);
struct dirent *tarfs_readdir(struct tarfs_dir *d);
void tarfs_rewinddir(struct tarfs_dir *d);
void tarfs_closedir(struct tarfs_dir *d);

/* fd.c */
void fd_init(void);                               /* fds 0-2: the console */
struct fd *fd_get(int fd);                        /* NULL (errno EBADF) when not open */
int fd_alloc(const struct fd_ops *ops, int sock); /* lowest free fd, or -1 (EMFILE) */
int fd_install(int newfd, const struct fd *f);    /* into a free NEWFD, or -1 (EBADF) */
void fd_release(int fd);
#endif
