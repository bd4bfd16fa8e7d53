// SPDX-License-Identifier: MIT
/* POSIX sockets over lwIP's socket API, behind libc's fd table: an fd maps to
 * an lwIP socket, so read/write/close/poll/select mix sockets and the
 * console. lwIP sets errno itself (LWIP_ERRNO_STDINCLUDE). The first socket
 * brings the network up (netif.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <poll.h>
#include <arpa/inet.h>
#include "libc/fd.h"
#include "net.h"

static long sread(struct fd *f, void *buf, unsigned long n) { return lwip_read(f->sock, buf, n); }
static long swrite(struct fd *f, const void *buf, unsigned long n)
{
	return lwip_write(f->sock, buf, n);
}
static int sclose(struct fd *f) { return lwip_close(f->sock); }

static const struct fd_ops sock_ops = {
	.read = sread, .write = swrite, .close = sclose, .mode = 0140666, /* S_IFSOCK */
};

/* The lwIP socket behind fd, or -1 with errno (EBADF, ENOTSOCK). */
static int sock(int fd)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (f->ops != &sock_ops) {
		errno = ENOTSOCK;
		return -1;
	}
	return f->sock;
}

/* Wraps a new lwIP socket in an fd; closes it when the table is full. */
static int wrap(int s)
{
	if (s < 0)
		return -1;
	int fd = fd_alloc(&sock_ops, s);
	if (fd < 0)
		lwip_close(s);
	return fd;
}

int socket(int domain, int type, int protocol)
{
	/* lwIP ignores the domain and would make a TCP socket of AF_UNIX
	 * (and, IPv4 only here, AF_INET6 is AF_UNSPEC: no family at all). */
	if (domain != AF_INET && !(LWIP_IPV6 && domain == AF_INET6)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (net_start() < 0) {
		errno = ENETDOWN;
		return -1;
	}
	return wrap(lwip_socket(domain, type, protocol));
}

int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	int s = sock(fd);
	return s < 0 ? -1 : wrap(lwip_accept(s, a, l));
}

#define VIA(name, decl, call)                                                                      \
	decl                                                                                       \
	{                                                                                          \
		int s = sock(fd);                                                                  \
		return s < 0 ? -1 : call;                                                          \
	}
VIA(bind, int bind(int fd, const struct sockaddr *a, socklen_t l), lwip_bind(s, a, l))
VIA(listen, int listen(int fd, int backlog), lwip_listen(s, backlog))
VIA(connect, int connect(int fd, const struct sockaddr *a, socklen_t l), lwip_connect(s, a, l))
VIA(send, ssize_t send(int fd, const void *b, size_t n, int fl), lwip_send(s, b, n, fl))
VIA(recv, ssize_t recv(int fd, void *b, size_t n, int fl), lwip_recv(s, b, n, fl))
VIA(sendto,
    ssize_t sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *to,
                   socklen_t tl),
    lwip_sendto(s, b, n, fl, to, tl))
VIA(recvfrom,
    ssize_t recvfrom(int fd, void *b, size_t n, int fl, struct sockaddr *from, socklen_t *fl2),
    lwip_recvfrom(s, b, n, fl, from, fl2))
VIA(sendmsg, ssize_t sendmsg(int fd, const struct msghdr *m, int fl), lwip_sendmsg(s, m, fl))
VIA(recvmsg, ssize_t recvmsg(int fd, struct msghdr *m, int fl), lwip_recvmsg(s, m, fl))
VIA(shutdown, int shutdown(int fd, int how), lwip_shutdown(s, how))
VIA(setsockopt, int setsockopt(int fd, int lv, int nm, const void *v, socklen_t l),
    lwip_setsockopt(s, lv, nm, v, l))
VIA(getsockopt, int getsockopt(int fd, int lv, int nm, void *v, socklen_t *l),
    lwip_getsockopt(s, lv, nm, v, l))
VIA(getsockname, int getsockname(int fd, struct sockaddr *a, socklen_t *l),
    lwip_getsockname(s, a, l))
VIA(getpeername, int getpeername(int fd, struct sockaddr *a, socklen_t *l),
    lwip_getpeername(s, a, l))

/* fcntl: O_NONBLOCK on sockets; descriptor flags are accepted and ignored
 * (there is no exec). Record locks: POSIX locks never conflict within one
 * process, and there is only one, so every lock is granted at once and
 * F_GETLK always finds the range free. */
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	int lk = cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW;
	struct flock *fl = lk ? va_arg(ap, struct flock *) : NULL;
	int arg = lk ? 0 : va_arg(ap, int);
	va_end(ap);
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	switch (cmd) {
	case F_GETLK: fl->l_type = F_UNLCK; return 0;
	case F_SETLK:
	case F_SETLKW: return 0;
	case F_GETFD:
	case F_SETFD: return 0;
	case F_GETFL:
		return f->ops == &sock_ops ? lwip_fcntl(f->sock, F_GETFL, 0) | O_RDWR
		                           : O_RDWR | (f->flags & O_NONBLOCK);
	case F_SETFL:
		if (f->ops == &sock_ops)
			return lwip_fcntl(f->sock, F_SETFL, arg & O_NONBLOCK);
		/* Kept for pipes (libc/pipe.c); files and the console never block. */
		f->flags = (f->flags & ~O_NONBLOCK) | (arg & O_NONBLOCK);
		return 0;
	default: errno = EINVAL; return -1;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int s = sock(fd);
	return s < 0 ? -1 : lwip_ioctl(s, (long)req, arg);
}

/* poll over mixed fds: sockets go to lwip_poll (which blocks properly); the
 * console is always writable and reads at end-of-file. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd *ls = n ? malloc(n * sizeof *ls) : NULL;
	int ready = 0, nsock = 0;

	if (n && !ls) {
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < n; i++) {
		struct fd *f = fds[i].fd < 0 ? NULL : fd_get(fds[i].fd);
		fds[i].revents = 0;
		ls[i] = (struct pollfd){ -1, 0, 0 };
		if (fds[i].fd < 0)
			continue;
		if (!f)
			fds[i].revents = POLLNVAL;
		else if (f->ops == &sock_ops)
			ls[i] = (struct pollfd){ f->sock, fds[i].events, 0 }, nsock++;
		else if (f->ops->poll)
			fds[i].revents = f->ops->poll(f, fds[i].events);
		else
			fds[i].revents = fds[i].events & (POLLIN | POLLOUT);
		ready += fds[i].revents != 0;
	}
	if (nsock) {
		int r = lwip_poll(ls, n, ready ? 0 : timeout);
		if (r < 0) {
			free(ls);
			return -1;
		}
		for (nfds_t i = 0; i < n; i++) {
			if (ls[i].fd >= 0 && ls[i].revents) {
				fds[i].revents = ls[i].revents;
				ready++;
			}
		}
	} else if (!ready && timeout != 0) {
		/* Nothing that can become ready: sleep out the timeout. */
		if (timeout > 0)
			usleep((useconds_t)timeout * 1000);
	}
	free(ls);
	return ready;
}

/* select over poll: the sets are translated fd by fd. */
int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	struct pollfd p[FD_MAX];
	int n = 0;

	if (nfds < 0 || nfds > FD_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (r && FD_ISSET(fd, r) ? POLLIN : 0) |
		           (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
		           (e && FD_ISSET(fd, e) ? POLLPRI : 0);
		if (ev)
			p[n++] = (struct pollfd){ fd, ev, 0 };
	}
	int timeout = tv ? (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000) : -1;
	int got = poll(p, (nfds_t)n, timeout);
	if (got < 0)
		return -1;
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (e)
		FD_ZERO(e);
	int count = 0;
	for (int i = 0; i < n; i++) {
		if (p[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		if (r && p[i].revents & (POLLIN | POLLHUP | POLLERR))
			FD_SET(p[i].fd, r), count++;
		if (w && p[i].revents & (POLLOUT | POLLERR))
			FD_SET(p[i].fd, w), count++;
		if (e && p[i].revents & POLLPRI)
			FD_SET(p[i].fd, e), count++;
	}
	return count;
}

int inet_pton(int af, const char *src, void *dst)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return lwip_inet_pton(af, src, dst);
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	const char *r = lwip_inet_ntop(af, src, dst, size);
	if (!r)
		errno = ENOSPC;
	return r;
}

in_addr_t inet_addr(const char *cp) { return ipaddr_addr(cp); }
int inet_aton(const char *cp, struct in_addr *inp) { return ip4addr_aton(cp, (ip4_addr_t *)inp); }
char *inet_ntoa(struct in_addr in) { return ip4addr_ntoa((const ip4_addr_t *)&in); }
