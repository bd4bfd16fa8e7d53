// SPDX-License-Identifier: MIT
/* dup and dup2 (libc/vfs.c): stdout moved into a memfs file and back,
 * /dev/null swallowing writes, a dup'd file outliving its first fd, and
 * bad fds refused with EBADF.
 * expect-status: 0
 * expect-output: ^dup ok: captured 'to the file'$
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	char buf[32] = { 0 };
	int saved = dup(1), fd = open("/tmp/out", O_CREAT | O_RDWR, 0600);
	CHECK(saved >= 3 && fd > saved);
	fflush(stdout);
	CHECK(dup2(fd, 1) == 1 && write(1, "to the file", 11) == 11);
	CHECK(dup2(saved, 1) == 1 && close(saved) == 0);
	int again = dup(fd); /* the lowest free fd: saved's */
	CHECK(again == saved && close(fd) == 0 && unlink("/tmp/out") == 0);
	CHECK(pread(again, buf, sizeof buf - 1, 0) == 11 && close(again) == 0);
	int null = open("/dev/null", O_WRONLY);
	CHECK(null >= 0 && write(null, "x", 1) == 1 && read(null, buf + 20, 1) == 0 &&
	      close(null) == 0);
	CHECK(dup(77) == -1 && errno == EBADF && dup2(1, -1) == -1 && errno == EBADF);
	CHECK(dup2(1, 1) == 1);
	printf("dup ok: captured '%s'\n", buf);
	return 0;
}
