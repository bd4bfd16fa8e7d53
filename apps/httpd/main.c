// SPDX-License-Identifier: MIT
/* httpd: an HTTP/1.1 server in plain POSIX (builds for spore and for Linux):
 * one poll() loop over non-blocking sockets, per-connection buffers, requests
 * answered in order. No threads, fork or signals. docs/httpd.md.
 *   httpd [-p PORT] [-d DIR] [-l] [-c MAXCONN] [-t SECONDS] */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "http.h"

#define IN_FIRST 4096                  /* a connection's first input buffer */
#define IN_MAX   (HEAD_MAX + BODY_MAX) /* its largest: one whole request */
#define CHUNK    16384                 /* file bytes read per send */

struct conn {
	int fd;
	char *in; /* bytes received, not yet answered; freed when idle */
	size_t inlen, incap;
	size_t need;   /* head + body once the head is in, else 0 */
	int continued; /* 100 Continue already sent for this request */
	char *out;     /* the response head (and a short error body) */
	size_t outlen, outoff;
	char *body; /* a generated body, sent after the head */
	size_t bodylen, bodyoff;
	int file; /* the file body being sent, or -1 */
	off_t foff;
	size_t fleft;
	int close_after;
	long long start; /* ms: this request's head is due by start + timeout */
	long long last;  /* ms: the last progress either way */
};

static struct conn *conns;
static struct pollfd *pfd;
static int nconn, maxconn = 256, logging;
static long long timeout_ms = 10000;
static const char *root = "/";
static struct http_req req; /* one request is parsed at a time */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(int i)
{
	close(conns[i].fd);
	if (conns[i].file >= 0)
		close(conns[i].file);
	free(conns[i].in);
	free(conns[i].out);
	free(conns[i].body);
	conns[i] = conns[--nconn];
}

/* Queues the status line, headers and a generated body in c->out; a file
 * body (rep->fd) follows from on_writable. r is NULL for unparsable input. */
static void respond(struct conn *c, const struct http_req *r, struct reply *rep, int keep)
{
	char date[40], lm[64] = "", loc[3 * PATH_MAX_ + 16] = "", ebody[64];
	http_date_format(time(NULL), date, sizeof date);
	if (rep->mtime) {
		char d[40];
		http_date_format(rep->mtime, d, sizeof d);
		snprintf(lm, sizeof lm, "Last-Modified: %s\r\n", d);
	}
	if (rep->redirect && r) {
		size_t n = http_url_escape(r->path, loc + 10, sizeof loc - 16);
		memcpy(loc, "Location: ", 10);
		memcpy(loc + 10 + n, "/\r\n", 4);
	}
	if (rep->status >= 300 && !rep->body && rep->fd < 0 && rep->status != 304)
		rep->len = (size_t)snprintf(ebody, sizeof ebody, "%d %s\n", rep->status,
		                            http_reason(rep->status));
	int nobody = (r && r->method == M_HEAD) || rep->status == 304;
	size_t cap = 512 + sizeof lm + sizeof loc + sizeof ebody;
	char *o = malloc(cap);
	if (!o) {
		if (rep->fd >= 0)
			close(rep->fd);
		free(rep->body);
		c->close_after = 1;
		c->out = strdup("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
		                "Connection: close\r\n\r\n"); /* or nothing, if even that fails */
		c->outlen = c->out ? strlen(c->out) : 0, c->outoff = 0;
		return;
	}
	int n = snprintf(o, cap, "HTTP/1.1 %d %s\r\nServer: spore-httpd\r\nDate: %s\r\n%s%s",
	                 rep->status, http_reason(rep->status), date, lm, loc);
	if (rep->allow)
		n += snprintf(o + n, cap - (size_t)n, "Allow: %s\r\n", rep->allow);
	if (rep->status != 304) /* a 304 describes the 200 it stands for: no type, no length */
		n += snprintf(o + n, cap - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		              rep->type ? rep->type : "text/plain; charset=utf-8", rep->len);
	n += snprintf(o + n, cap - (size_t)n, "Connection: %s\r\n\r\n",
	              keep ? "keep-alive" : "close");
	c->out = o, c->outlen = (size_t)n, c->outoff = 0;
	c->body = nobody ? NULL : rep->body, c->bodylen = c->body ? rep->len : 0, c->bodyoff = 0;
	if (nobody)
		free(rep->body);
	else if (!rep->body && rep->fd < 0 && rep->len)
		memcpy(o + n, ebody, rep->len), c->outlen += rep->len;
	c->file = rep->fd, c->foff = 0, c->fleft = rep->fd >= 0 ? rep->len : 0;
	c->close_after = !keep;
	if (logging) {
		printf("%s %s %d %zu\n", r ? http_method_name(r->method) : "-", r ? r->path : "-",
		       rep->status, nobody ? 0 : rep->len);
		fflush(stdout);
	}
}

static void fail(struct conn *c, int status)
{
	struct reply rep = { .status = status, .fd = -1 };
	respond(c, NULL, &rep, 0);
	c->inlen = 0; /* nothing after a bad head can be framed: close after */
}

/* Answers the request at the start of c->in once it is all there. */
static void process(struct conn *c)
{
	long head = http_parse(c->in, c->inlen, &req);
	if (head == 0)
		return;
	if (head < 0)
		return fail(c, (int)-head);
	c->need = (size_t)head + req.content_length;
	if (c->inlen < c->need) {
		if (req.expect_continue && req.minor >= 1 && !c->continued) {
			c->continued = 1; /* an interim answer: the final one follows the body */
			c->out = strdup("HTTP/1.1 100 Continue\r\n\r\n");
			c->outlen = c->out ? strlen(c->out) : 0, c->outoff = 0, c->close_after = 0;
		}
		return;
	}
	struct reply rep;
	if (!strncmp(req.path, "/fn/", 4) && !req.bad_path)
		fn_call(&req, c->in + head, req.content_length, &rep);
	else if (req.method == M_POST)
		rep = (struct reply){ .status = 405, .fd = -1, .allow = "GET, HEAD" };
	else
		files_get(root, &req, &rep);
	respond(c, &req, &rep, req.keepalive);
	memmove(c->in, c->in + c->need, c->inlen - c->need);
	c->inlen -= c->need;
	c->need = 0, c->continued = 0;
}

/* Returns -1 to close. */
static int on_readable(struct conn *c)
{
	if (c->inlen == c->incap) {
		size_t cap = c->incap ? 2 * c->incap : IN_FIRST;
		cap = c->need > cap ? c->need : cap;
		cap = cap > IN_MAX ? IN_MAX : cap;
		char *n = cap > c->incap ? realloc(c->in, cap) : NULL;
		if (!n) {
			fail(c, cap > c->incap ? 503 : 413);
			return 0;
		}
		c->in = n, c->incap = cap;
	}
	ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		return -1;
	if (n > 0) {
		c->inlen += (size_t)n, c->last = now_ms();
		process(c);
	}
	return 0;
}

/* Returns 1 once b[0, len) is all sent, 0 to wait for the socket, -1 to close. */
static int send_all(struct conn *c, const char *b, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(c->fd, b + *off, len - *off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		*off += (size_t)n, c->last = now_ms();
	}
	return 1;
}

/* Sends the head, the body, then the file in chunks as the socket drains.
 * Returns -1 to close, 1 when the response is done, 0 for more later. */
static int on_writable(struct conn *c)
{
	char buf[CHUNK];
	int r = send_all(c, c->out, c->outlen, &c->outoff);
	if (r == 1 && c->body)
		r = send_all(c, c->body, c->bodylen, &c->bodyoff);
	if (r != 1)
		return r;
	while (c->fleft) {
		ssize_t k =
			pread(c->file, buf, c->fleft < sizeof buf ? c->fleft : sizeof buf, c->foff);
		if (k <= 0)
			return -1; /* the file shrank: the promised length cannot be kept */
		ssize_t n = send(c->fd, buf, (size_t)k, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->foff += n, c->fleft -= (size_t)n, c->last = now_ms();
		if (n < k)
			return 0; /* the rest is read again once the socket drains */
	}
	if (c->file >= 0)
		close(c->file), c->file = -1;
	free(c->out), free(c->body);
	c->out = c->body = NULL;
	return c->close_after ? -1 : 1;
}

static int listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0 ||
	    fcntl(s, F_SETFL, O_NONBLOCK) < 0) {
		perror("httpd: listen");
		exit(1);
	}
	return s;
}

/* Takes every pending connection; those above -c get a 503 and are closed. */
static void accept_all(int ls)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	for (;;) {
		int one = 1, fd = accept(ls, NULL, NULL);
		if (fd < 0)
			return;
		if (nconn == maxconn || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
			send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		long long t = now_ms();
		conns[nconn++] = (struct conn){ .fd = fd, .file = -1, .start = t, .last = t };
	}
}

/* The moment c is closed unless something happens: no complete head by
 * start + timeout (slow or idle client), or no progress for timeout. */
static long long deadline(const struct conn *c)
{
	return !c->out && !c->need ? c->start + timeout_ms : c->last + timeout_ms;
}

static int usage(void)
{
	fprintf(stderr, "usage: httpd [-p PORT] [-d DIR] [-l] [-c MAXCONN] [-t SECONDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int port = 80, opt;
	while ((opt = getopt(argc, argv, "p:d:lc:t:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'd': root = optarg; break;
		case 'l': logging = 1; break;
		case 'c': maxconn = atoi(optarg); break;
		case 't': timeout_ms = 1000LL * atoi(optarg); break;
		default: return usage();
		}
	}
	if (optind != argc || port <= 0 || port > 65535 || maxconn <= 0 || timeout_ms <= 0)
		return usage();
	/* malloc, not calloc: accept_all fills an entry whole before it is used and the
	 * loop fills pfd[0..nconn] before each poll, so the untouched tail of both stays
	 * untouched RAM. calloc zeroed all of it: 36 KiB, 9 of the 16 heap pages an idle
	 * spore guest had touched (docs/density.md). */
	conns = malloc((size_t)maxconn * sizeof *conns); /* an int times 144: no overflow */
	pfd = malloc(((size_t)maxconn + 1) * sizeof *pfd);
	if (!conns || !pfd) {
		fprintf(stderr, "httpd: out of memory for %d connections\n", maxconn);
		return 1;
	}
	int ls = listener(port);
	printf("httpd: listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		long long t = now_ms(), wait = -1;
		pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconn; i++) {
			pfd[i + 1] =
				(struct pollfd){ conns[i].fd, conns[i].out ? POLLOUT : POLLIN, 0 };
			long long d = deadline(&conns[i]) - t;
			wait = wait < 0 || d < wait ? (d < 0 ? 0 : d) : wait;
		}
		if (poll(pfd, (nfds_t)nconn + 1, (int)wait) < 0 && errno != EINTR) {
			perror("httpd: poll");
			return 1;
		}
		t = now_ms();
		for (int i = nconn - 1; i >= 0; i--) { /* downwards: conn_close moves the last */
			struct conn *c = &conns[i];
			short ev = pfd[i + 1].revents;
			int r = 0;
			if (c->out && (ev & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)))
				r = on_writable(c);
			else if (!c->out && (ev & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
				r = on_readable(c);
			if (r == 1) { /* a response is done: the next request starts now */
				c->start = t;
				if (c->inlen)
					process(c); /* one pipelined behind it */
				else
					free(c->in), c->in = NULL, c->incap = 0;
			}
			if (r < 0 || deadline(c) <= t)
				conn_close(i);
		}
		if (pfd[0].revents & POLLIN)
			accept_all(ls);
	}
}
