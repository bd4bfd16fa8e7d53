// SPDX-License-Identifier: MIT
/* kv: a Redis-protocol (RESP2) in-memory key-value store in plain POSIX, for
 * spore (lwIP sockets) and Linux. One poll() loop, no threads, no signals.
 *   kv [-p PORT] [-m MAXMEM] [-f LOGFILE] [-c MAXCONN]   (docs/kv.md) */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kv.h"
#include "resp.h"

#define RBUF (64 * 1024)   /* one read; only a partial command is kept per connection */

struct conn {
	int fd, closing;       /* closing: send what is queued, then close */
	struct resp r;         /* the parser's place in the pending command */
	char *in;              /* that partial command (or unrun ones), else NULL */
	size_t inlen, incap;
	struct out out;        /* replies; out.buf + sent is not yet sent */
	size_t sent;
};

static struct conn *conns;
static struct pollfd *pfd;
static int nconn, maxconn = 256;
static char rbuf[RBUF];

static void fail(struct conn *c, const char *msg)
{
	out_error(&c->out, msg);
	c->closing = 1;
}

/* Runs the whole commands at the start of buf, in order, while the replies
 * waiting stay under OUT_HIGH; returns the bytes used. */
static size_t run(struct conn *c, char *buf, size_t len)
{
	size_t off = 0;
	while (off < len && !c->closing && c->out.len - c->sent < OUT_HIGH) {
		long n = resp_parse(&c->r, buf + off, len - off);
		if (n < 0) {
			char b[96];
			snprintf(b, sizeof b, "ERR %s", c->r.err);
			fail(c, b);
			break;
		}
		if (n == 0) {
			if (c->r.need > QUERY_MAX)
				fail(c, "ERR Protocol error: command over the 1 MiB query buffer limit");
			break;
		}
		if (cmd_args(c->r.argc) < 0) {
			fail(c, "ERR out of memory for the arguments");
			break;
		}
		resp_args(&c->r, buf + off, cmd_argv, cmd_lens);
		off += (size_t)n;
		if (cmd_run(c->r.argc, cmd_argv, cmd_lens, &c->out))
			c->closing = 1;
	}
	return off;
}

/* What run left of buf (c->in or rbuf) becomes c->in; none frees it. */
static void keep(struct conn *c, char *buf, size_t used, size_t len)
{
	size_t left = c->closing ? 0 : len - used;
	if (buf != c->in && left) {
		if (!(c->in = malloc(left + RBUF))) {
			fail(c, "ERR out of memory for the query buffer");
			return;
		}
		c->incap = left + RBUF;
	}
	if (left)
		memmove(c->in, buf + used, left);
	c->inlen = left;
	if (!left) {
		free(c->in);
		c->in = NULL, c->incap = 0;
	}
}

static void on_readable(struct conn *c)
{
	char *buf = rbuf;
	size_t len = 0, room = RBUF;
	if (c->inlen) {   /* the pending command is below QUERY_MAX: this stays bounded */
		if (c->incap - c->inlen < RBUF) {
			char *n = realloc(c->in, c->inlen + RBUF);
			if (!n) {
				fail(c, "ERR out of memory for the query buffer");
				return;
			}
			c->in = n, c->incap = c->inlen + RBUF;
		}
		buf = c->in, len = c->inlen, room = c->incap - c->inlen;
	}
	ssize_t n = recv(c->fd, buf + len, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {   /* the peer is done: what it asked for still goes out */
		c->closing = 1;
		keep(c, buf, len, len);
		return;
	}
	len += (size_t)n;
	keep(c, buf, run(c, buf, len), len);
}

/* Sends queued replies; -1: close the connection. */
static int flush(struct conn *c)
{
	if (c->out.oom)
		return -1;
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->sent += (size_t)n;
	}
	c->out.len = c->sent = 0;
	if (c->out.cap > OUT_HIGH) {
		free(c->out.buf);
		c->out = (struct out){ 0 };
	}
	if (c->closing)
		return -1;
	if (c->inlen)   /* commands held back by OUT_HIGH; replies go out next round */
		keep(c, c->in, run(c, c->in, c->inlen), c->inlen);
	return 0;
}

/* Input the peer sent after its last answered command is read away first:
 * closing with unread bytes sends a reset, which can destroy the last reply
 * (a protocol error's) before the peer reads it. */
static void conn_close(int i)
{
	for (int k = 0; k < 16 && recv(conns[i].fd, rbuf, RBUF, 0) > 0; k++)
		;
	close(conns[i].fd);
	free(conns[i].in);
	free(conns[i].out.buf);
	conns[i] = conns[--nconn];
	kv_clients = (unsigned long)nconn;
}

static void accept_all(int ls)
{
	static const char full[] = "-ERR max number of clients reached\r\n";
	int one = 1, fd;
	while ((fd = accept(ls, NULL, NULL)) >= 0) {
		if (nconn == maxconn) {
			send(fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		conns[nconn++] = (struct conn){ .fd = fd };
		kv_clients = (unsigned long)nconn;
	}
}

static int serve(int ls)
{
	int64_t swept = db_now_ms();
	for (;;) {
		pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconn; i++) {
			struct conn *c = &conns[i];
			short ev = c->sent < c->out.len ? POLLOUT : 0;
			if (!c->closing && c->out.len - c->sent < OUT_HIGH)
				ev |= POLLIN;
			pfd[i + 1] = (struct pollfd){ c->fd, ev, 0 };
		}
		if (poll(pfd, (nfds_t)nconn + 1, db_expires() ? 100 : -1) < 0 && errno != EINTR)
			return perror("kv: poll"), 1;
		if (db_expires() && db_now_ms() - swept >= 100)
			db_sweep(0), swept = db_now_ms();
		for (int i = 0; i < nconn; i++)
			if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL) && !conns[i].closing)
				on_readable(&conns[i]);
		if (pfd[0].revents & POLLIN)
			accept_all(ls);
		log_sync();   /* durable before any reply to a write leaves */
		for (int i = nconn - 1; i >= 0; i--)
			if ((conns[i].sent < conns[i].out.len || conns[i].closing || conns[i].out.oom) &&
			    flush(&conns[i]) < 0)
				conn_close(i);
	}
}

/* A byte count with an optional K, M or G (powers of 1024). */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int sh = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20 : *end == 'g' || *end == 'G' ? 30 : 0;
	if (end == s || *s == '-' || (sh && *++end) || *end || !v || v > (~0ull >> 1 >> sh))
		return -1;
	*out = (size_t)(v << sh);
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	int port = 6379, opt, one = 1;
	const char *logfile = NULL;
	while ((opt = getopt(argc, argv, "p:m:f:c:")) != -1) {
		if ((opt == 'p' && parse_int(optarg, 1, 65535, &port) < 0) ||
		    (opt == 'm' && parse_size(optarg, &db_max) < 0) ||
		    (opt == 'c' && parse_int(optarg, 1, 1 << 20, &maxconn) < 0)) {
			fprintf(stderr, "kv: -%c %s: want %s\n", opt, optarg,
				opt == 'm' ? "a size like 4M" : "a number in range");
			return 2;
		}
		if (opt == 'f')
			logfile = optarg;
		if (opt == '?') {
			fprintf(stderr, "usage: kv [-p PORT] [-m MAXMEM] [-f LOGFILE] [-c MAXCONN]\n");
			return 2;
		}
	}
	if (logfile && log_open(logfile) < 0)
		return 1;
	conns = calloc((size_t)maxconn, sizeof *conns);
	pfd = calloc((size_t)maxconn + 1, sizeof *pfd);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (!conns || !pfd || ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0 ||
	    fcntl(ls, F_SETFL, O_NONBLOCK) < 0) {
		perror("kv: listen");
		return 1;
	}
	printf("kv: listening on %d\n", port);
	fflush(stdout);
	return serve(ls);
}
