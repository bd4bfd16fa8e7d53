// SPDX-License-Identifier: MIT
/* --gdb=PATH: where the gdb stub meets gdb. A Unix socket of mode 0600, not a TCP port:
 * 127.0.0.1 is open to every local user, every container sharing the namespace and any web
 * page that can POST to localhost, and the stub writes guest memory and registers for
 * whoever speaks first. Here only the owner (and root) may connect; a peer of another uid,
 * or one whose first byte is not gdb's '+' or '$', is refused; the first gdb is the only
 * one (the socket is closed and unlinked once it is accepted). Set-up only: runs before
 * the sandbox, so it may use any call. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"

#define FIRST_BYTE_MS 10000 /* a peer gets this long to say its first byte */

const char *gdbsock_check(const char *path)
{
	struct sockaddr_un a;

	if (path[0] == '\0')
		return "want a socket path (gdb IMAGE -ex 'target remote PATH')";
	if (strspn(path, "0123456789") == strlen(path))
		return "looks like a TCP port; --gdb takes a Unix socket path now (a port on 127.0.0.1 "
		       "lets every local user write guest memory): --gdb=/run/user/UID/spore.gdb";
	if (strlen(path) >= sizeof(a.sun_path))
		return "socket path longer than 107 bytes";
	return NULL;
}

/* A file already at path: a socket nobody listens on (a monitor that died waiting)
 * is replaced; anything else stays, and the caller stops. 0 when path is free now. */
static int clear_stale(const char *path, const struct sockaddr_un *a)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		msg("spore-kvm: --gdb=%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		msg("spore-kvm: --gdb=%s: exists and is not a socket; not replaced\n", path);
		return -1;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = s < 0 ? -1 : connect(s, (const struct sockaddr *)a, sizeof(*a));
	int err = errno;
	if (s >= 0)
		close(s);
	if (r == 0) {
		msg("spore-kvm: --gdb=%s: another process listens on this socket\n", path);
		return -1;
	}
	if (err != ECONNREFUSED || unlink(path) < 0) {
		msg("spore-kvm: --gdb=%s: a socket is there and cannot be replaced: %s\n", path,
		    strerror(err != ECONNREFUSED ? err : errno));
		return -1;
	}
	return 0;
}

/* Why the peer on fd is not our gdb, or NULL: the same uid as the monitor (or root),
 * and a first byte of '+' (gdb's ack, sent on connect) or '$' (a packet). The byte is
 * peeked, not taken: the stub's framing reads it again. */
static const char *not_gdb(int fd, char *why, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return strerror(errno);
	if (cred.uid != geteuid() && cred.uid != 0) {
		snprintf(why, size, "a process of uid %u, not %u", (unsigned)cred.uid,
		         (unsigned)geteuid());
		return why;
	}
	int r;
	do
		r = poll(&p, 1, FIRST_BYTE_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return "it sent nothing for 10 s";
	ssize_t n = recv(fd, &c, 1, MSG_PEEK);
	if (n <= 0)
		return n == 0 ? "it closed before sending a byte" : strerror(errno);
	if (c != '+' && c != '$') {
		snprintf(why, size, "it sent 0x%02x first, not gdb's '+' or '$'", c);
		return why;
	}
	return NULL;
}

int gdbsock_wait(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char why[80];
	const char *bad = gdbsock_check(path);

	if (bad) {
		msg("spore-kvm: --gdb=%s: %s\n", path, bad);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (clear_stale(path, &a) < 0)
		return -1;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0) {
		msg("spore-kvm: --gdb=%s: socket: %s\n", path, strerror(errno));
		return -1;
	}
	/* Mode 0600 from the start: a chmod after bind would leave a window in which
	 * anyone may connect. bind never follows or replaces a file put there since. */
	mode_t old = umask(0177);
	int r = bind(l, (struct sockaddr *)&a, sizeof(a));
	int err = errno;
	umask(old);
	if (r < 0 || listen(l, 1) < 0) {
		msg("spore-kvm: --gdb=%s: cannot listen: %s\n", path,
		    strerror(r < 0 ? err : errno));
		if (r == 0)
			unlink(path);
		close(l);
		return -1;
	}
	msg("spore-kvm: waiting for gdb on %s (gdb IMAGE -ex 'target remote %s')\n", path, path);
	int fd;
	for (;;) {
		fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 || !(bad = not_gdb(fd, why, sizeof(why))))
			break;
		msg("spore-kvm: --gdb=%s: refused a peer: %s\n", path, bad);
		close(fd);
	}
	if (fd < 0)
		msg("spore-kvm: --gdb=%s: accept: %s\n", path, strerror(errno));
	/* One gdb, once: nobody else can even connect from now on. */
	unlink(path);
	close(l);
	return fd;
}
