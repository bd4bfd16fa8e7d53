// SPDX-License-Identifier: MIT
/* The fd table. fds 0-2 are the console from boot; the rest are handed out
 * lowest-first, as POSIX requires. */
#include <errno.h>
#include "fd.h"

static struct fd table[FD_MAX]; /* bss: 16 KiB the image does not carry */

void fd_init(void)
{
	for (int i = 0; i < 3; i++)
		table[i] = (struct fd){ &console_ops, -1, 0, 0, 0 };
}

struct fd *fd_get(int fd)
{
	if (fd < 0 || fd >= FD_MAX || !table[fd].ops) {
		errno = EBADF;
		return 0;
	}
	return &table[fd];
}

int fd_alloc(const struct fd_ops *ops, int sock)
{
	for (int i = 0; i < FD_MAX; i++) {
		if (!table[i].ops) {
			table[i] = (struct fd){ ops, sock, 0, 0, 0 };
			return i;
		}
	}
	errno = EMFILE;
	return -1;
}

/* dup2's half: NEWFD, which must be free, becomes a copy of *F. */
int fd_install(int newfd, const struct fd *f)
{
	if (newfd < 0 || newfd >= FD_MAX || table[newfd].ops) {
		errno = EBADF;
		return -1;
	}
	table[newfd] = *f;
	return newfd;
}

void fd_release(int fd) { table[fd] = (struct fd){ 0, -1, 0, 0, 0 }; }
