// SPDX-License-Identifier: MIT
/* echo: a TCP and UDP echo server (RFC 862), plain POSIX: the same source
 * builds for spore and for Linux. One thread, poll() over every connection.
 *   echo [PORT]    (default 7)
 * Prints "echo: listening on PORT" once ready. */
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

#define MAXFD 1024

static struct pollfd pfd[MAXFD];
static int npfd;

static int listener(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, type, 0);
	if (s < 0) {
		perror("echo: socket");
		exit(1);
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    (type == SOCK_STREAM && listen(s, 128) < 0)) {
		perror("echo: bind/listen");
		exit(1);
	}
	return s;
}

static void drop(int i)
{
	close(pfd[i].fd);
	pfd[i] = pfd[--npfd];
}

/* Echo what is readable; a peer that reads slowly makes us block in send,
 * which is fine for an echo server (it is also what RFC 862 asks). */
static int echo_tcp(int fd)
{
	char buf[16384];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n <= 0)
		return -1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = send(fd, buf + off, (size_t)(n - off), 0);
		if (w < 0)
			return -1;
		off += w;
	}
	return 0;
}

static void echo_udp(int fd)
{
	static char buf[65536]; /* not on the stack: a datagram may be 64 KiB */
	struct sockaddr_in from;
	socklen_t len = sizeof from;
	ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
	if (n >= 0)
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a peer that resets gets EPIPE, not the end of the server */
	int port = argc > 1 ? atoi(argv[1]) : 7;
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: echo [PORT]\n");
		return 2;
	}
	int tcp = listener(SOCK_STREAM, port), udp = listener(SOCK_DGRAM, port);
	pfd[npfd++] = (struct pollfd){ tcp, POLLIN, 0 };
	pfd[npfd++] = (struct pollfd){ udp, POLLIN, 0 };
	printf("echo: listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		if (poll(pfd, (nfds_t)npfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("echo: poll");
			return 1;
		}
		for (int i = npfd - 1; i >= 0; i--) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == udp) {
				echo_udp(udp);
			} else if (pfd[i].fd == tcp) {
				int c = accept(tcp, NULL, NULL), one = 1;
				if (c < 0)
					continue;
				if (npfd == MAXFD) {
					close(c); /* full: refuse rather than fail */
					continue;
				}
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				pfd[npfd++] = (struct pollfd){ c, POLLIN, 0 };
			} else if (echo_tcp(pfd[i].fd) < 0) {
				drop(i);
			}
		}
	}
}
