// SPDX-License-Identifier: MIT
/* The writable memfs at /tmp and /data (libc/vfs.c): stdio, mkdir, rename,
 * ftruncate, readdir, unlink while open, and ENOSPC at the memfs=SIZE limit;
 * the initrd root stays read-only and rename across the two is EXDEV.
 * run: --initrd=build/tests/root.tar -- memfs=64K --
 * expect-status: 0
 * expect-output: ^memfs ok: 2 entries, ENOSPC after [0-9]+ bytes$
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
	char buf[4096] = { 0 };
	struct stat st;
	FILE *f = fopen("/tmp/a.txt", "w");
	CHECK(f && fprintf(f, "line %d\n", 1) == 7 && fclose(f) == 0);
	CHECK((f = fopen("/tmp/a.txt", "a")) && fputs("line 2\n", f) >= 0 && fclose(f) == 0);
	CHECK((f = fopen("/tmp/a.txt", "r")) && fread(buf, 1, sizeof buf, f) == 14 &&
	      fclose(f) == 0);
	CHECK(!strcmp(buf, "line 1\nline 2\n"));
	CHECK(mkdir("/data/db", 0755) == 0 && mkdir("/data/db", 0755) == -1 && errno == EEXIST);
	CHECK(rename("/tmp/a.txt", "/data/db/b.txt") == 0 && access("/tmp/a.txt", F_OK) == -1);
	CHECK(stat("/data/db/../db/b.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 14);
	int fd = open("/data/db/b.txt", O_RDWR);
	CHECK(fd >= 3 && ftruncate(fd, 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4);
	CHECK(pwrite(fd, "XY", 2, 8) == 2 && pread(fd, buf, 16, 0) == 10 &&
	      !memcmp(buf, "line\0\0\0\0XY", 10));
	CHECK(open("/data/db/c", O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0);
	DIR *d = opendir("/data/db");
	int n = 0;
	while (d && readdir(d))
		n++;
	CHECK(d && closedir(d) == 0 && n == 2);
	CHECK(unlink("/data/db/b.txt") == 0 && read(fd, buf, 4) == 4 && close(fd) == 0);
	CHECK(rmdir("/data/db") == -1 && errno == ENOTEMPTY);
	CHECK(rename("/index.html", "/tmp/x") == -1 && errno == EXDEV);
	CHECK(unlink("/index.html") == -1 && errno == EROFS && mkdir("/new", 0) == -1 &&
	      errno == EROFS);
	CHECK((fd = open("/tmp/big", O_CREAT | O_WRONLY | O_TRUNC, 0600)) >= 0);
	long total = 0, r;
	while ((r = write(fd, buf, sizeof buf)) > 0)
		total += r;
	CHECK(r == -1 && errno == ENOSPC && total >= 32768 && total < 65536);
	CHECK(close(fd) == 0 && unlink("/tmp/big") == 0);
	CHECK((fd = open("/tmp/again", O_CREAT | O_WRONLY, 0600)) >= 0 &&
	      write(fd, buf, 4096) == 4096);
	printf("memfs ok: %d entries, ENOSPC after %ld bytes\n", n, total);
	return 0;
}
