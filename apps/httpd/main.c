// SPDX-License-Identifier: MIT
/* httpd: an HTTP/1.1 server in plain POSIX (builds for spore and for Linux):
 * keep-alive and pipelining, GET/HEAD of static files, POST to /fn/NAME, one
 * poll() loop over non-blocking sockets, bounded connections and buffers.
 *   httpd [-p PORT] [-d DIR] [-l] [-c MAXCONN] [-t SECONDS]  (tests: tests/httpd.sh) */
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
#include <time.h>
#include <unistd.h>
#include "http.h"

struct conn {
	int fd;
	char *in;                 /* request bytes received, not yet answered */
	size_t inlen, incap;
	char *out;                /* response head and generated body */
	size_t outlen, outoff;
	int file;                 /* file body being sent, or -1 */
	off_t foff;
	size_t fleft;
	int close_after;
	time_t last;
};

static struct conn *conns;
static struct pollfd *pfd;
static int nconn, maxconn = 256, timeout_s = 10, logging;
static const char *root = "/";
static struct http_req req;   /* one request is parsed at a time */

static time_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void conn_close(int i)
{
	close(conns[i].fd);
	if (conns[i].file >= 0)
		close(conns[i].file);
	free(conns[i].in);
	free(conns[i].out);
	conns[i] = conns[--nconn];
}

/* Queues head + body; the body is either generated (body) or a file (fd). */
static void respond(struct conn *c, const struct http_req *r, struct reply *rep, int keep)
{
	char date[64], lm[96] = "";
	time_t t = time(NULL);
	http_date_format(t, date, sizeof date);
	if (rep->mtime) {
		char d[48];
		http_date_format(rep->mtime, d, sizeof d);
		snprintf(lm, sizeof lm, "Last-Modified: %s\r\n", d);
	}
	int err = rep->status >= 400;
	char ebody[128];
	if (err && !rep->body && rep->fd < 0)
		rep->len = (size_t)snprintf(ebody, sizeof ebody, "%d %s\n", rep->status, http_reason(rep->status));
	int head_only = r && r->method == M_HEAD;
	size_t bodylen = rep->status == 304 ? 0 : rep->len;
	size_t cap = 512 + (rep->body && !head_only ? rep->len : 0) + (err ? sizeof ebody : 0);
	free(c->out);
	c->out = malloc(cap);
	if (!c->out) {
		c->close_after = 1;
		return;
	}
	c->outlen = (size_t)snprintf(c->out, cap, "HTTP/1.1 %d %s\r\nServer: spore-httpd\r\nDate: %s\r\n"
				     "%sContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
				     rep->status, http_reason(rep->status), date, lm,
				     rep->type ? rep->type : "text/plain; charset=utf-8", bodylen,
				     keep ? "keep-alive" : "close");
	c->outoff = 0;
	if (!head_only && rep->status != 304) {
		if (rep->body)
			memcpy(c->out + c->outlen, rep->body, rep->len), c->outlen += rep->len;
		else if (err)
			memcpy(c->out + c->outlen, ebody, rep->len), c->outlen += rep->len;
	}
	free(rep->body);
	c->file = rep->fd;
	c->foff = 0;
	c->fleft = rep->fd >= 0 ? rep->len : 0;
	c->close_after = !keep;
	if (logging)
		printf("%s %s %d %zu\n", r ? (r->method == M_GET ? "GET" : r->method == M_HEAD ? "HEAD" : "POST") : "-",
		       r ? r->path : "-", rep->status, bodylen), fflush(stdout);
}

static void fail(struct conn *c, int status)
{
	struct reply rep = { .status = status, .fd = -1 };
	respond(c, NULL, &rep, 0);
}

/* Answers the next complete request in c->in, if there is one. */
static void process(struct conn *c)
{
	long head = http_parse(c->in, c->inlen, &req);
	if (head == 0)
		return;
	if (head < 0) {
		fail(c, (int)-head);
		c->inlen = 0;
		return;
	}
	if (c->inlen < (size_t)head + req.content_length)
		return;   /* the body is still arriving */
	struct reply rep;
	if (!strncmp(req.path, "/fn/", 4))
		fn_call(&req, c->in + head, req.content_length, &rep);
	else if (req.method == M_POST)
		rep = (struct reply){ .status = 405, .fd = -1 };
	else
		files_get(root, &req, &rep);
	respond(c, &req, &rep, req.keepalive);
	size_t used = (size_t)head + req.content_length;
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
}

static int on_readable(struct conn *c)
{
	if (c->incap - c->inlen < 4096) {
		size_t cap = c->incap ? c->incap * 2 : 16384;
		if (cap > HEAD_MAX + BODY_MAX + 16384)
			cap = HEAD_MAX + BODY_MAX + 16384;
		if (cap == c->incap) {
			fail(c, 413);
			return 0;
		}
		char *n = realloc(c->in, cap);
		if (!n) {
			fail(c, 503);
			return 0;
		}
		c->in = n, c->incap = cap;
	}
	ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		return -1;
	if (n > 0)
		c->inlen += (size_t)n, c->last = now();
	if (!c->out)
		process(c);
	return 0;
}

/* Sends queued bytes; returns -1 to close, 1 when the response is done. */
static int on_writable(struct conn *c)
{
	char buf[16384];
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->outoff += (size_t)n, c->last = now();
	}
	while (c->fleft) {
		ssize_t k = pread(c->file, buf, c->fleft < sizeof buf ? c->fleft : sizeof buf, c->foff);
		if (k <= 0)
			return -1;
		ssize_t n = send(c->fd, buf, (size_t)k, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->foff += n, c->fleft -= (size_t)n, c->last = now();
		if (n < k)
			return 0;
	}
	if (c->file >= 0)
		close(c->file), c->file = -1;
	free(c->out);
	c->out = NULL;
	return c->close_after ? -1 : 1;
}

static int listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0) {
		perror("httpd: listen");
		exit(1);
	}
	fcntl(s, F_SETFL, O_NONBLOCK);
	return s;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);   /* a peer that resets gets EPIPE, not the end of the server */
	int port = 80, opt;
	while ((opt = getopt(argc, argv, "p:d:lc:t:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'd': root = optarg; break;
		case 'l': logging = 1; break;
		case 'c': maxconn = atoi(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: httpd [-p PORT] [-d DIR] [-l] [-c MAXCONN] [-t SECONDS]\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || maxconn <= 0 || timeout_s <= 0) {
		fprintf(stderr, "httpd: bad -p, -c or -t\n");
		return 2;
	}
	conns = calloc((size_t)maxconn, sizeof *conns);
	pfd = calloc((size_t)maxconn + 1, sizeof *pfd);
	if (!conns || !pfd)
		return 1;
	int ls = listener(port);
	printf("httpd: listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconn; i++)
			pfd[i + 1] = (struct pollfd){ conns[i].fd, conns[i].out ? POLLOUT : POLLIN, 0 };
		if (poll(pfd, (nfds_t)nconn + 1, 1000) < 0 && errno != EINTR)
			return perror("httpd: poll"), 1;
		time_t t = now();
		for (int i = nconn - 1; i >= 0; i--) {
			struct conn *c = &conns[i];
			short ev = pfd[i + 1].revents;
			int r = 0;
			if (ev & (POLLERR | POLLNVAL))
				r = -1;
			else if (ev & POLLOUT)
				r = on_writable(c);
			else if (ev & (POLLIN | POLLHUP))
				r = on_readable(c);
			if (r == 1 && c->inlen)
				process(c);   /* the next pipelined request */
			if (r < 0 || (!c->out && t - c->last > timeout_s))
				conn_close(i);   /* gone, or idle / too slow */
		}
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd = accept(ls, NULL, NULL), one = 1;
				if (fd < 0)
					break;
				if (nconn == maxconn) {
					static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						"Content-Length: 0\r\nConnection: close\r\n\r\n";
					send(fd, busy, sizeof busy - 1, 0);
					close(fd);
					continue;
				}
				fcntl(fd, F_SETFL, O_NONBLOCK);
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				conns[nconn++] = (struct conn){ .fd = fd, .file = -1, .last = t };
			}
		}
	}
}
