// SPDX-License-Identifier: MIT
/* The read-only root filesystem from the initrd (tests/fixtures/root as a
 * ustar archive): open/read/pread/lseek/fstat/stat/access, a directory
 * listing, and EROFS/ENOENT/EBADF where POSIX says.
 * run: --initrd=build/tests/root.tar --
 * expect-status: 0
 * expect-output: ^files ok: index.html sub$
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	char buf[64];
	struct stat st;
	int fd = open("/sub/a.txt", O_RDONLY);
	CHECK(fd >= 3);
	CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	CHECK(pread(fd, buf, 4, 11) == 4 && !memcmp(buf, "the ", 4));
	CHECK(lseek(fd, -7, SEEK_END) == 15 && read(fd, buf, 64) == 7 &&
	      !memcmp(buf, "initrd\n", 7));
	CHECK(read(fd, buf, 64) == 0);
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 22);
	CHECK(write(fd, "x", 1) == -1 && errno == EBADF);
	CHECK(close(fd) == 0);
	CHECK(stat("/sub/b.bin", &st) == 0 && st.st_size == 5000);
	CHECK(stat("sub", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(stat("/sub/../index.html", &st) == -1 && errno == ENOENT); /* no ".." */
	CHECK(open("/nope", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(open("/index.html", O_WRONLY) == -1 && errno == EROFS);
	CHECK(open("/new", O_CREAT | O_WRONLY, 0644) == -1 && errno == EROFS);
	CHECK(access("/index.html", R_OK) == 0 && access("/index.html", W_OK) == -1 &&
	      errno == EROFS);
	FILE *f = fopen("/index.html", "r");
	CHECK(f && fgets(buf, sizeof buf, f) && !strncmp(buf, "<html>", 6));
	fclose(f);
	DIR *d = opendir("/");
	CHECK(d);
	char names[2][32];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (n < 2)
			snprintf(names[n++], 32, "%s", e->d_name);
	closedir(d);
	CHECK(n == 2);
	printf("files ok: %s %s\n", strcmp(names[0], names[1]) < 0 ? names[0] : names[1],
	       strcmp(names[0], names[1]) < 0 ? names[1] : names[0]);
	return 0;
}
