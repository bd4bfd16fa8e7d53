// SPDX-License-Identifier: MIT
/* Reads the image file once, with pread, into the monitor's own memory; elf.c then
 * checks and copies from that copy only. Not a mapping: another writer of the file
 * could change a mapped program header between elf.c's check and its copy, and a
 * truncation would turn the copy into SIGBUS. Does not parse anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

/* size is what fstat said; a file that shrinks under the read is an error, one that
 * grows is read up to size. *out is the caller's to free. -1 with err filled. */
int image_read(int fd, uint64_t size, uint8_t **out, char *err, size_t errlen)
{
	uint8_t *buf;

	*out = NULL;
	if (size > MON_IMAGE_MAX) {
		snprintf(err, errlen, "%llu bytes: larger than the %llu MiB an image may have",
		         (unsigned long long)size, (unsigned long long)(MON_IMAGE_MAX >> 20));
		return -1;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		snprintf(err, errlen, "cannot allocate %llu bytes to read it",
		         (unsigned long long)size);
		return -1;
	}
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				snprintf(err, errlen,
				         "the file shrank while being read (%llu of %llu bytes)",
				         (unsigned long long)done, (unsigned long long)size);
			else
				snprintf(err, errlen, "read failed: %s", strerror(errno));
			free(buf);
			return -1;
		}
		done += (uint64_t)n;
	}
	*out = buf;
	return 0;
}
