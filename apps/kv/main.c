// SPDX-License-Identifier: MIT
/* kv: a Redis-protocol (RESP2) in-memory key-value store in plain POSIX
 * (builds for spore and for Linux). One poll() loop; pipelined commands are
 * answered in order from each read.
 *   kv [-p PORT] [-m MAXMEM] [-f LOGFILE] [-c MAXCONN]   (tests: tests/kv.sh) */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kv.h"

struct conn {
	int fd, closing;
	char *in;
	size_t inlen, incap;
	struct out out;
	size_t outoff;
};

static struct conn *conns;
static struct pollfd *pfd;
static int nconn, maxconn = 256;
static struct cmd cmd;

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end || !v)
		return -1;
	*out = (size_t)v;
	return 0;
}

static void conn_close(int i)
{
	close(conns[i].fd);
	free(conns[i].in);
	free(conns[i].out.buf);
	conns[i] = conns[--nconn];
	kv_clients--;
}

/* Runs every complete command in the input; a protocol error answers and closes. */
static void process(struct conn *c)
{
	size_t off = 0;
	while (off < c->inlen && !c->closing) {
		const char *err = NULL;
		long used = resp_parse(c->in + off, c->inlen - off, &cmd, &err);
		if (used == 0)
			break;
		if (used < 0) {
			char b[160];
			snprintf(b, sizeof b, "ERR %s", err);
			out_error(&c->out, b);
			c->closing = 1;
			break;
		}
		off += (size_t)used;
		if (cmd_run(&cmd, &c->out))
			c->closing = 1;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	if (c->inlen >= QUERY_MAX) {
		out_error(&c->out, "ERR Protocol error: query buffer exceeds 1 MiB");
		c->closing = 1;
	}
}

static int on_readable(struct conn *c)
{
	if (c->incap - c->inlen < 16384) {
		size_t cap = c->incap ? c->incap * 2 : 32768;
		if (cap > QUERY_MAX + 32768)
			cap = QUERY_MAX + 32768;
		char *n = realloc(c->in, cap);
		if (!n)
			return -1;
		c->in = n, c->incap = cap;
	}
	ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		return -1;
	if (n > 0)
		c->inlen += (size_t)n;
	process(c);
	return c->out.oom ? -1 : 0;
}

static int on_writable(struct conn *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->outoff, c->out.len - c->outoff, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->outoff += (size_t)n;
	}
	c->out.len = c->outoff = 0;
	return c->closing ? -1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a peer that resets gets EPIPE, not the end of the server */
	int port = 6379, opt;
	const char *logfile = NULL;
	while ((opt = getopt(argc, argv, "p:m:f:c:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'm':
			if (parse_size(optarg, &db_max) < 0)
				return fprintf(stderr, "kv: -m %s: want a size like 4M\n", optarg),
				       2;
			break;
		case 'f': logfile = optarg; break;
		case 'c': maxconn = atoi(optarg); break;
		default:
			fprintf(stderr,
			        "usage: kv [-p PORT] [-m MAXMEM] [-f LOGFILE] [-c MAXCONN]\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || maxconn <= 0)
		return fprintf(stderr, "kv: bad -p or -c\n"), 2;
	if (logfile && log_open(logfile) < 0)
		return 1;
	conns = calloc((size_t)maxconn, sizeof *conns);
	pfd = calloc((size_t)maxconn + 1, sizeof *pfd);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
	if (!conns || !pfd || ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0)
		return perror("kv: listen"), 1;
	fcntl(ls, F_SETFL, O_NONBLOCK);
	printf("kv: listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconn; i++)
			pfd[i + 1] = (struct pollfd){ conns[i].fd,
				                      conns[i].out.len ? POLLOUT : POLLIN, 0 };
		if (poll(pfd, (nfds_t)nconn + 1, -1) < 0 && errno != EINTR)
			return perror("kv: poll"), 1;
		for (int i = nconn - 1; i >= 0; i--) {
			short ev = pfd[i + 1].revents;
			int r = 0;
			if (ev & (POLLERR | POLLNVAL))
				r = -1;
			else if (ev & POLLOUT)
				r = on_writable(&conns[i]);
			else if (ev & (POLLIN | POLLHUP))
				r = on_readable(&conns[i]);
			if (r < 0)
				conn_close(i);
		}
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd = accept(ls, NULL, NULL);
				if (fd < 0)
					break;
				if (nconn == maxconn) {
					static const char full[] =
						"-ERR max number of clients reached\r\n";
					send(fd, full, sizeof full - 1, 0);
					close(fd);
					continue;
				}
				fcntl(fd, F_SETFL, O_NONBLOCK);
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				conns[nconn++] = (struct conn){ .fd = fd };
				kv_clients++;
			}
		}
	}
}
