// SPDX-License-Identifier: MIT
/* POSIX time: clocks read pvclock without exits; sleeps halt the vCPU until a
 * timer deadline (never spin). Also getentropy(). */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "libc.h"

int clock_gettime(clockid_t id, struct timespec *ts)
{
	uint64_t ns;

	if (id == CLOCK_MONOTONIC)
		ns = clock_monotonic_ns();
	else if (id == CLOCK_REALTIME)
		ns = clock_wall_ns();
	else {
		errno = EINVAL;
		return -1;
	}
	ts->tv_sec = ns / NSEC;
	ts->tv_nsec = ns % NSEC;
	return 0;
}

int clock_getres(clockid_t id, struct timespec *res)
{
	if (id != CLOCK_MONOTONIC && id != CLOCK_REALTIME) {
		errno = EINVAL;
		return -1;
	}
	if (res)
		*res = (struct timespec){ .tv_sec = 0, .tv_nsec = 1 };
	return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= (long)NSEC) {
		errno = EINVAL;
		return -1;
	}
	uint64_t ns = (uint64_t)req->tv_sec * NSEC + req->tv_nsec;
	uint64_t now = clock_monotonic_ns();
	sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

int usleep(useconds_t us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
	return nanosleep(&ts, NULL);
}

unsigned sleep(unsigned s)
{
	struct timespec ts = { s, 0 };
	nanosleep(&ts, NULL);
	return 0;
}

/* POSIX/OpenBSD semantics: at most 256 bytes; EIO beyond. */
int getentropy(void *buf, size_t n)
{
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	if (entropy_get(buf, n) < 0) {
		errno = ENOSYS;
		return -1;
	}
	return 0;
}
