// SPDX-License-Identifier: MIT
/* readv/writev (<sys/uio.h>) over any fd: one read() or write() per buffer, stopping at
 * the first short transfer, so a nonblocking socket's partial write is
 * reported as POSIX asks (bytes done so far). Not atomic across buffers:
 * with one process and cooperative threads nothing interleaves anyway. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <sys/uio.h>

static int iov_check(const struct iovec *iov, int n)
{
	size_t total = 0;
	if (n < 0 || n > IOV_MAX || (n && !iov))
		return -1;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
			return -1;
		total += iov[i].iov_len;
	}
	return 0;
}

/* Each buffer in turn until one is short (the rest would not follow it); an error
 * after some bytes returns the count, as a short write would. */
static ssize_t iov_each(int fd, const struct iovec *iov, int n, ssize_t (*op)(int, void *, size_t))
{
	ssize_t done = 0;
	if (iov_check(iov, n) < 0) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t r = op(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

/* newlib's read and write return int: widened here. */
static ssize_t write_op(int fd, void *buf, size_t len) { return write(fd, buf, len); }
static ssize_t read_op(int fd, void *buf, size_t len) { return read(fd, buf, len); }

ssize_t writev(int fd, const struct iovec *iov, int n) { return iov_each(fd, iov, n, write_op); }

ssize_t readv(int fd, const struct iovec *iov, int n) { return iov_each(fd, iov, n, read_op); }
