// SPDX-License-Identifier: MIT
/* GET /fn/random, timed, for the lab's L1 (static: busybox has no client that times a
 * millisecond): ROUNDS rounds, each one request to every TARGET in turn, each on a new
 * connection, timed from before connect() to the answer's end (the server closes: HTTP/1.0).
 * TARGET is IP:PORT, or IP:PORT@DEV for a socket bound to DEV (several taps hold guests
 * with one address: docs/serverless.md). A connection refused or unanswered is tried
 * again every 20 ms for WAIT ms (a guest still booting); then that request fails. Trusts
 * nothing it reads: an answer that is not "HTTP/1.x 200" is a failure.
 *   fnget [-n ROUNDS] [-g GAP_MS] [-w WAIT_MS] TARGET...
 *   -> one line per request: "INDEX MS BODY" (BODY the answer's last line), or
 *      "INDEX fail WHY"; status 1 if any failed. -g: a pause after each round. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connect20.h"

#define TARGET_MAX 64

static struct target {
	struct sockaddr_in a;
	char dev[16];
} tg[TARGET_MAX];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int parse(const char *s, struct target *t)
{
	char ip[64];
	unsigned port;
	int n = 0;

	if (sscanf(s, "%63[0-9.]:%u%n", ip, &port, &n) != 2 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &t->a.sin_addr) != 1)
		return -1;
	t->a.sin_family = AF_INET;
	t->a.sin_port = htons((unsigned short)port);
	if (s[n] == '@') {
		if (strlen(s + n + 1) == 0 || strlen(s + n + 1) >= sizeof(t->dev))
			return -1;
		strcpy(t->dev, s + n + 1);
	} else if (s[n]) {
		return -1;
	}
	return 0;
}

/* One connection attempt, at most 20 ms for the handshake: the socket, or -1. */
static int try_connect(const struct target *t)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -1;
	if (t->dev[0] && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, t->dev, strlen(t->dev)) < 0) {
		perror("fnget: SO_BINDTODEVICE");
		exit(2);
	}
	return connect20(s, &t->a);
}

/* One request: 0 and the elapsed ms and body's last line, or -1 and why in body. */
static int get(const struct target *t, double wait, double *ms, char *body, size_t size)
{
	static const char req[] = "GET /fn/random HTTP/1.0\r\n\r\n";
	static char buf[8192];
	struct timeval tv = { 5, 0 };
	size_t got = 0;
	ssize_t n;
	double t0 = now();
	int s;

	while ((s = try_connect(t)) < 0)
		if (now() - t0 > wait) {
			snprintf(body, size, "no connection in %.0f ms", wait * 1000);
			return -1;
		} else if (errno != ETIMEDOUT) {
			usleep(20000); /* refused or unreachable: a guest still booting */
		}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(s, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		close(s);
		snprintf(body, size, "write: %s", strerror(errno));
		return -1;
	}
	while (got < sizeof(buf) - 1 && (n = read(s, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	*ms = (now() - t0) * 1000;
	close(s);
	buf[got] = 0;
	if (strncmp(buf, "HTTP/1.0 200", 12) && strncmp(buf, "HTTP/1.1 200", 12)) {
		snprintf(body, size, "answer '%.40s'", got ? strtok(buf, "\r\n") : "");
		return -1;
	}
	char *b = strstr(buf, "\r\n\r\n"), *nl;
	b = b ? b + 4 : buf;
	while ((nl = strrchr(b, '\n')) && nl[1] == 0) /* the last non-empty line */
		*nl = 0;
	if ((nl = strrchr(b, '\n')))
		b = nl + 1;
	snprintf(body, size, "%.100s", b);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = 1, gap = 0, wait = 2000, o, nt = 0, failed = 0;

	while ((o = getopt(argc, argv, "n:g:w:")) != -1) {
		switch (o) {
		case 'n': rounds = atoi(optarg); break;
		case 'g': gap = atoi(optarg); break;
		case 'w': wait = atoi(optarg); break;
		default: goto usage;
		}
	}
	for (; optind < argc; optind++)
		if (nt == TARGET_MAX || parse(argv[optind], &tg[nt++]) < 0) {
			fprintf(stderr, "fnget: %s: want IP:PORT or IP:PORT@DEV\n", argv[optind]);
			return 2;
		}
	if (nt == 0 || rounds < 1 || gap < 0 || wait < 1) {
	usage:
		fprintf(stderr, "usage: fnget [-n ROUNDS] [-g GAP_MS] [-w WAIT_MS] TARGET...\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < nt; i++) {
			char body[128];
			double ms = 0;
			if (get(&tg[i], wait / 1000.0, &ms, body, sizeof(body)) < 0) {
				printf("%d fail %s\n", i, body);
				failed++;
			} else {
				printf("%d %.3f %s\n", i, ms, body);
			}
			fflush(stdout);
		}
		if (gap)
			usleep((useconds_t)gap * 1000);
	}
	return failed ? 1 : 0;
}
