// SPDX-License-Identifier: MIT
/* A 1-byte round-trip timer for the lab's L1 (static: L1 has busybox only): sends one
 * byte to an echo server at HOST:PORT, waits for it to come back, COUNT times on one
 * connection (TCP_NODELAY), and prints the median, p99 and mean round trip. Trusts
 * nothing it reads: a wrong byte, an early close or 10 s of silence fail. Bounded:
 * gives up after 120 s (alarm).
 *   rtt HOST PORT COUNT -> "rtt COUNT round trips: median M us, p99 P us, mean A us", 0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RTT_MAX 100000

static double rtt_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int rtt_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* one byte out, the same byte back; 0 or -1 with the reason printed */
static int rtt_one(int s, unsigned char c)
{
	unsigned char r;
	struct pollfd p = { .fd = s, .events = POLLIN };

	if (send(s, &c, 1, 0) != 1) {
		perror("rtt: send");
		return -1;
	}
	if (poll(&p, 1, 10000) != 1) {
		fprintf(stderr, "rtt: no answer in 10 s\n");
		return -1;
	}
	ssize_t k = recv(s, &r, 1, 0);
	if (k != 1 || r != c) {
		fprintf(stderr, "rtt: %s\n", k == 1 ? "wrong byte back" : "connection ended");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static double t[RTT_MAX];
	int one = 1;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: rtt HOST PORT COUNT\n");
		return 2;
	}
	int n = atoi(argv[3]);
	if (n < 1 || n > RTT_MAX) {
		fprintf(stderr, "rtt: COUNT must be 1..%d\n", RTT_MAX);
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	alarm(120);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("rtt: connect");
		return 1;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a few untimed round trips first: ARP, the first page faults, delayed ACK modes */
	for (int i = 0; i < 10; i++)
		if (rtt_one(s, (unsigned char)i) < 0)
			return 1;
	double sum = 0;
	for (int i = 0; i < n; i++) {
		double t0 = rtt_now();
		if (rtt_one(s, (unsigned char)(i * 7 + 1)) < 0)
			return 1;
		t[i] = rtt_now() - t0;
		sum += t[i];
	}
	close(s);
	qsort(t, (size_t)n, sizeof(t[0]), rtt_cmp);
	printf("rtt %d round trips: median %.0f us, p99 %.0f us, mean %.0f us\n", n, t[n / 2],
	       t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], sum / n);
	return 0;
}
