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

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	ssize_t done = 0;
	if (iov_check(iov, n) < 0) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t r = write(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
	ssize_t done = 0;
	if (iov_check(iov, n) < 0) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t r = read(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}
