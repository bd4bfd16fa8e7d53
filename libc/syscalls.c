// SPDX-License-Identifier: MIT
/* newlib's system layer for the console and the process: fds 0-2 are the
 * console, sbrk is the kernel's heap, _exit ends the VM. Files and sockets
 * join this table with the networking and storage work. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/time.h>
#include <unistd.h>
#include "libc.h"

#undef errno
extern int errno;

static int is_console(int fd) { return fd >= 0 && fd <= 2; }

int write(int fd, const void *buf, size_t n)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	console_flush();       /* newlib buffers lines already: one host write each */
	return (int)n;
}

/* The console has no input path yet on every host: reading it is end-of-file. */
int read(int fd, void *buf, size_t n)
{
	(void)buf, (void)n;
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int close(int fd)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)off, (void)whence;
	errno = is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	*st = (struct stat){ .st_mode = S_IFCHR | 0620, .st_blksize = 1024 };
	return 0;
}

int isatty(int fd)
{
	if (is_console(fd))
		return 1;
	errno = EBADF;
	return 0;
}

void *sbrk(ptrdiff_t incr)
{
	void *p = mem_sbrk(incr);
	if (p == (void *)-1)
		errno = ENOMEM;
	return p;
}

void _exit(int status)
{
	kexit(status);
}

int getpid(void)
{
	return 1;
}

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

/* Not yet backed by anything: no files, no processes. */
#define UNUSED __attribute__((unused))
#define NOSYS(decl) decl { errno = ENOSYS; return -1; }
NOSYS(int open(UNUSED const char *p, UNUSED int f, ...))
NOSYS(int unlink(UNUSED const char *p))
NOSYS(int link(UNUSED const char *a, UNUSED const char *b))
NOSYS(int stat(UNUSED const char *p, UNUSED struct stat *st))
NOSYS(int fork(void))
NOSYS(int execve(UNUSED const char *p, UNUSED char *const a[], UNUSED char *const e[]))
NOSYS(int wait(UNUSED int *st))

long sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE:
		return 4096;
	case _SC_PHYS_PAGES:
		return (long)(ram_bytes / 4096);
	case _SC_AVPHYS_PAGES:
		return (long)(mem_free_bytes() / 4096);
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN:
		return 1;
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC;
	default:
		errno = EINVAL;
		return -1;
	}
}
