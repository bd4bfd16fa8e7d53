// SPDX-License-Identifier: MIT
/* Process-wide calls of one program in one address space (docs/porting.md):
 * umask kept and reported (permission bits are not enforced), flock granted
 * (one process: locks never conflict), and what needs a second process or
 * an asynchronous signal (setsid, arming setitimer) fails with ENOSYS, named once. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "libc.h"
#include "fd.h"

static mode_t cmask = 022;

mode_t umask(mode_t m)
{
	mode_t old = cmask;
	cmask = m & 0777;
	return old;
}

/* As fcntl's record locks: within one process nothing is ever held against
 * us, so every lock is granted at once. */
int flock(int fd, int op)
{
	if (!fd_get(fd))
		return -1;
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
	case LOCK_EX:
	case LOCK_UN: return 0;
	}
	errno = EINVAL;
	return -1;
}

pid_t setsid(void)
{
	static int said;
	libc_nosys(&said, "setsid");
	return -1;
}

/* Nothing delivers SIGALRM/SIGPROF asynchronously (libc/posix.c). */
int setitimer(int which, const struct itimerval *v, struct itimerval *old)
{
	static int said;
	if (which < ITIMER_REAL || which > ITIMER_PROF) {
		errno = EINVAL;
		return -1;
	}
	if (old)
		*old = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	/* Disarming a timer that never runs is done already. */
	if (v && !v->it_value.tv_sec && !v->it_value.tv_usec)
		return 0;
	libc_nosys(&said, "setitimer");
	return -1;
}
