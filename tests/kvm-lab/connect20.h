// SPDX-License-Identifier: MIT
/* The lab clients' connection attempt (fnget.c, snapget.c): a non-blocking TCP socket,
 * bound as its caller wants, connected with at most 20 ms for the handshake. Included
 * by one static program each; trusts s to be such a socket. */
#ifndef CONNECT20_H
#define CONNECT20_H
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* s made blocking once connected, or -1 with errno (s closed; ETIMEDOUT after 20 ms). */
static int connect20(int s, const struct sockaddr_in *a)
{
	struct pollfd p = { .fd = s, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(s, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS)
		goto fail;
	if (poll(&p, 1, 20) != 1) {
		err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto fail;
	fcntl(s, F_SETFL, 0);
	return s;
fail:
	err = err ? err : errno;
	close(s);
	errno = err;
	return -1;
}
#endif
