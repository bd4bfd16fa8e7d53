// SPDX-License-Identifier: MIT
/* The block device as /dev/vda: size, writes and reads at unaligned offsets
 * and across sectors (read-modify-write), fsync, and the end of the disk.
 * run: --disk=build/tests/disk.img --
 * expect-status: 0
 * expect-output: ^disk ok: 4096 KiB$
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	static char a[3000], b[3000];
	struct stat st;
	int fd = open("/dev/vda", O_RDWR);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISBLK(st.st_mode));
	for (int i = 0; i < 3000; i++)
		a[i] = (char)(i * 7 + 3);
	CHECK(pwrite(fd, a, 3000, 1000) == 3000); /* starts and ends mid-sector */
	CHECK(pwrite(fd, "edge", 4, 510) == 4);   /* straddles sectors 0 and 1 */
	CHECK(fsync(fd) == 0);
	CHECK(pread(fd, b, 3000, 1000) == 3000 && !memcmp(a, b, 3000));
	CHECK(pread(fd, b, 4, 510) == 4 && !memcmp(b, "edge", 4));
	CHECK(lseek(fd, st.st_size - 2, SEEK_SET) == st.st_size - 2);
	CHECK(write(fd, "xyz", 3) == 2); /* cut at the end */
	CHECK(write(fd, "x", 1) == -1 && errno == ENOSPC);
	CHECK(read(fd, b, 10) == 0);
	CHECK(close(fd) == 0);
	printf("disk ok: %ld KiB\n", (long)(st.st_size / 1024));
	return 0;
}
