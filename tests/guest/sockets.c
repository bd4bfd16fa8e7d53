// SPDX-License-Identifier: MIT
/* The socket API over the guest's own loopback (no network device needed):
 * TCP accept/connect/send/recv between two threads, poll and select, names,
 * O_NONBLOCK and EAGAIN, SO_RCVTIMEO, UDP, address conversion, numeric
 * getaddrinfo, and errno on bad calls.
 * expect-status: 0
 * expect-output: ^sockets ok$
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return a;
}

static void *server(void *arg)
{
	int l = *(int *)arg, c = accept(l, NULL, NULL);
	char buf[64];
	ssize_t n = recv(c, buf, sizeof buf, 0);
	send(c, buf, n > 0 ? (size_t)n : 0, 0);
	close(c);
	return NULL;
}

int main(void)
{
	struct sockaddr_in a = lo(7000), b;
	socklen_t len = sizeof b;
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 3 && setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&b, &len) == 0 && ntohs(b.sin_port) == 7000);
	pthread_t t;
	pthread_create(&t, NULL, server, &l);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(getpeername(c, (struct sockaddr *)&b, &len) == 0 && b.sin_port == a.sin_port);
	CHECK(write(c, "hello", 5) == 5);
	struct pollfd p = { c, POLLIN, 0 };
	CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN));
	char buf[16] = { 0 };
	CHECK(read(c, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5));
	pthread_join(t, NULL);
	CHECK(recv(c, buf, sizeof buf, 0) == 0); /* the server closed */
	close(c);
	/* Non-blocking and timeouts: nothing to accept. */
	CHECK(fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK) == 0);
	CHECK(accept(l, NULL, NULL) == -1 && errno == EAGAIN);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = lo(7001);
	CHECK(bind(u, (struct sockaddr *)&ua, sizeof ua) == 0);
	struct timeval tv = { 0, 50000 };
	CHECK(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
	CHECK(recv(u, buf, sizeof buf, 0) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
	CHECK(sendto(u, "dgram", 5, 0, (struct sockaddr *)&ua, sizeof ua) == 5);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(u, &rs);
	struct timeval two = { 2, 0 };
	CHECK(select(u + 1, &rs, NULL, NULL, &two) == 1 && FD_ISSET(u, &rs));
	len = sizeof b;
	CHECK(recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&b, &len) == 5 &&
	      !memcmp(buf, "dgram", 5));
	/* Conversions and getaddrinfo. */
	char s[INET_ADDRSTRLEN];
	CHECK(inet_ntop(AF_INET, &ua.sin_addr, s, sizeof s) && !strcmp(s, "127.0.0.1"));
	CHECK(inet_pton(AF_INET, "300.1.1.1", &b.sin_addr) == 0);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	CHECK(getaddrinfo("10.1.2.3", "80", &hints, &res) == 0 && res->ai_family == AF_INET &&
	      ((struct sockaddr_in *)res->ai_addr)->sin_port == htons(80));
	freeaddrinfo(res);
	CHECK(getaddrinfo("example.com", "80", &hints, &res) == EAI_NONAME);
	/* errno on bad calls */
	CHECK(send(1, "x", 1, 0) == -1 && errno == ENOTSOCK);
	CHECK(recv(999, buf, 1, 0) == -1 && errno == EBADF);
	CHECK(close(999) == -1 && errno == EBADF);
	close(u);
	close(l);
	printf("sockets ok\n");
	return 0;
}
