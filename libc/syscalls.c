// SPDX-License-Identifier: MIT
/* newlib's system layer for the process and the fd table's dispatch: fds 0-2
 * are the console, sockets go to socket.c, sbrk is the kernel's heap, _exit
 * ends the VM. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/time.h>
#include <unistd.h>
#include "libc.h"
#include "fd.h"

#undef errno
extern int errno;

static long console_write_op(struct fd *f, const void *buf, unsigned long n)
{
	(void)f;
	console_write(buf, n);
	console_flush(); /* newlib buffers lines already: one host write each */
	return (long)n;
}

/* The console has no input path yet on every host: reading it is end-of-file. */
static long console_read_op(struct fd *f, void *buf, unsigned long n)
{
	(void)f, (void)buf, (void)n;
	return 0;
}

const struct fd_ops console_ops = {
	.read = console_read_op,
	.write = console_write_op,
	.mode = S_IFCHR | 0620,
	.isatty = 1,
};

int write(int fd, const void *buf, size_t n)
{
	struct fd *f = fd_get(fd);
	return f ? (int)f->ops->write(f, buf, n) : -1;
}

int read(int fd, void *buf, size_t n)
{
	struct fd *f = fd_get(fd);
	return f ? (int)f->ops->read(f, buf, n) : -1;
}

int close(int fd)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	int r = f->ops->close ? f->ops->close(f) : 0;
	fd_release(fd);
	return r;
}

/* Seekable fds are those with pread (files); the size comes from fstat. */
off_t lseek(int fd, off_t off, int whence)
{
	struct fd *f = fd_get(fd);
	struct stat st;
	if (!f)
		return -1;
	if (!f->ops->pread) {
		errno = ESPIPE;
		return -1;
	}
	long long base = whence == SEEK_SET                                 ? 0
	                 : whence == SEEK_CUR                               ? f->off
	                 : whence == SEEK_END && f->ops->fstat(f, &st) == 0 ? st.st_size
	                                                                    : -1;
	if (base < 0 || (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) ||
	    base + off < 0) {
		errno = EINVAL;
		return -1;
	}
	return f->off = base + off;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (!f->ops->pread) {
		errno = ESPIPE;
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return f->ops->pread(f, buf, n, off);
}

int fstat(int fd, struct stat *st)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (f->ops->fstat)
		return f->ops->fstat(f, st);
	*st = (struct stat){ .st_mode = f->ops->mode, .st_blksize = 1024 };
	return 0;
}

int isatty(int fd)
{
	struct fd *f = fd_get(fd);
	if (f && f->ops->isatty)
		return 1;
	if (f)
		errno = ENOTTY;
	return 0;
}

/* newlib 3.3's mallocr.c builds mallinfo() with its own struct of ten ints,
 * not the size_t struct its <malloc.h> declares (reading that one gives
 * garbage): declare what the library returns. tests/guest/memstats.c checks
 * the figure against an allocation it knows. */
struct newlib_mallinfo {
	int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct newlib_mallinfo mallinfo(void);

/* For the kernel's memstats=N line: bytes malloc has handed out and not
 * taken back. Called from the scheduler, never from inside malloc (which
 * does not block), so newlib's unlocked mallinfo() is safe here. */
size_t libc_heap_in_use(void) { return (size_t)(unsigned)mallinfo().uordblks; }

void *sbrk(ptrdiff_t incr)
{
	void *p = mem_sbrk(incr);
	if (p == (void *)-1)
		errno = ENOMEM;
	return p;
}

void _exit(int status) { kexit(status); }

int getpid(void) { return 1; }

/* Only the VM's one process exists; a signal to it ends it like Linux's
 * default action would, with status 128 + signal. */
int kill(int pid, int sig)
{
	if (pid != 1 && pid != 0) {
		errno = ESRCH;
		return -1;
	}
	if (sig == 0)
		return 0;
	if (sig < 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	static const char msg[] = "spore: killed by signal\n";
	console_write(msg, sizeof msg - 1);
	kexit(128 + sig);
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint64_t ns = clock_wall_ns();
	if (tv) {
		tv->tv_sec = ns / NSEC;
		tv->tv_usec = ns % NSEC / 1000;
	}
	return 0;
}

/* No accounting of user vs system time: all of it counts as user time. */
clock_t times(struct tms *t)
{
	clock_t c = clock_monotonic_ns() / (NSEC / CLOCKS_PER_SEC);
	if (t)
		*t = (struct tms){ .tms_utime = c };
	return c;
}

long sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE: return 4096;
	case _SC_PHYS_PAGES: return (long)(ram_bytes / 4096);
	case _SC_AVPHYS_PAGES: return (long)(mem_free_bytes() / 4096);
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN: return 1;
	case _SC_CLK_TCK: return CLOCKS_PER_SEC;
	default: errno = EINVAL; return -1;
	}
}

/* Only the block device has anything to make durable; POSIX's answer for
 * the rest (console, sockets, read-only files) is EINVAL. */
int fsync(int fd)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (f->ops->fsync)
		return f->ops->fsync(f);
	errno = EINVAL;
	return -1;
}

int fdatasync(int fd) { return fsync(fd); }
