// SPDX-License-Identifier: MIT
/* One request to a guest on a tap, with the guest's TCP ISN, for the lab's snapshot rows
 * (tests/kvm-lab/snapshot.sh; static: L1 has busybox only, no tcpdump). A plain socket
 * never sees the peer's ISN, so a packet socket on DEV (opened before the first connection
 * attempt) reads the guest's SYN-ACK to this connection's port: its sequence number is the
 * ISN. REQUEST is sent as given, with \r and \n unescaped (an HTTP request, or a RESP
 * array for kv); the answer is read to the server's close, or to 1 s without a byte once
 * some came (kv keeps the connection open). A refused or unanswered connection is tried
 * again every 20 ms for WAIT ms (a guest still resuming). -p: from this local port (with
 * the same 4-tuple, two guests with the same ISN key differ only by their clocks). Trusts
 * nothing it reads: frames are length-checked before any field is.
 *   snapget [-w WAIT_MS] [-p PORT] IP:PORT@DEV REQUEST
 *   -> "isn N after MS ms" (from snapget's start to the SYN-ACK), then the answer's lines
 *      without CRs; status 0, or 1 and "snapget: why". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connect20.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *why)
{
	printf("snapget: %s\n", why);
	exit(1);
}

/* One connection attempt bound to dev, at most 20 ms for the handshake: the socket or -1. */
static int try_connect(const struct sockaddr_in *a, const char *dev, int lport)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (s < 0)
		die("socket failed");
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) < 0)
		die("SO_BINDTODEVICE failed");
	if (lport && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR failed");
	/* The last attempt's socket from this port may not be gone yet (seen once in a
	 * clean-clone run: EADDRINUSE on a retry): the caller tries again, in its time. */
	if (lport && bind(s, (struct sockaddr *)&me, sizeof(me)) < 0) {
		int e = errno;
		close(s);
		if (e != EADDRINUSE)
			die("cannot bind the local port");
		errno = e;
		return -1;
	}
	return connect20(s, a);
}

/* The SYN-ACK from a to local port lport among the frames ps holds: its sequence number
 * in *isn and 0, or -1 after 2 s without it. */
static int syn_ack(int ps, const struct sockaddr_in *a, uint16_t lport, uint32_t *isn)
{
	unsigned char f[2048];
	double t0 = now();

	while (now() - t0 < 2) {
		struct pollfd p = { .fd = ps, .events = POLLIN };
		if (poll(&p, 1, 100) != 1)
			continue;
		ssize_t n = recv(ps, f, sizeof(f), 0); /* SOCK_DGRAM: from the IP header on */
		if (n < 20 || (f[0] >> 4) != 4 || f[9] != IPPROTO_TCP)
			continue;
		size_t ihl = (size_t)(f[0] & 15) * 4;
		if (ihl < 20 || (size_t)n < ihl + 20 || memcmp(f + 12, &a->sin_addr, 4))
			continue;
		const unsigned char *t = f + ihl;
		uint16_t sport = (uint16_t)(t[0] << 8 | t[1]), dport = (uint16_t)(t[2] << 8 | t[3]);
		if (sport != ntohs(a->sin_port) || dport != lport || (t[13] & 0x12) != 0x12)
			continue;
		*isn = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int wait = 5000, lport = 0, o;
	char ip[64], dev[IFNAMSIZ], req[4096];
	unsigned port;
	int n = 0;
	size_t rl = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };

	while ((o = getopt(argc, argv, "w:p:")) != -1) {
		if (o == 'w' && (wait = atoi(optarg)) >= 1)
			continue;
		if (o == 'p' && (lport = atoi(optarg)) >= 1 && lport <= 65535)
			continue;
		goto usage;
	}
	if (argc - optind != 2 || sscanf(argv[optind], "%63[0-9.]:%u@%n", ip, &port, &n) != 2 ||
	    n == 0 || port == 0 || port > 65535 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 ||
	    !argv[optind][n] || strlen(argv[optind] + n) >= sizeof(dev)) {
	usage:
		fprintf(stderr, "usage: snapget [-w WAIT_MS] [-p PORT] IP:PORT@DEV REQUEST\n");
		return 2;
	}
	strcpy(dev, argv[optind] + n);
	a.sin_port = htons((unsigned short)port);
	for (const char *s = argv[optind + 1]; *s && rl < sizeof(req); s++) {
		if (s[0] == '\\' && (s[1] == 'r' || s[1] == 'n'))
			req[rl++] = *++s == 'r' ? '\r' : '\n';
		else
			req[rl++] = *s;
	}

	/* The packet socket first: every frame on dev from here on is queued for it. */
	int ps = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	if (ps < 0 || !(ll.sll_ifindex = (int)if_nametoindex(dev)) ||
	    bind(ps, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		die("cannot open a packet socket on the tap");

	double t0 = now();
	int s;
	while ((s = try_connect(&a, dev, lport)) < 0) {
		if (now() - t0 > wait / 1000.0)
			die(errno == EADDRINUSE ? "cannot bind the local port (in use)"
			                        : "no connection");
		if (errno != ETIMEDOUT)
			usleep(20000); /* refused or unreachable: a guest still resuming */
	}
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	uint32_t isn;
	if (getsockname(s, (struct sockaddr *)&me, &ml) < 0)
		die("getsockname failed");
	if (syn_ack(ps, &a, ntohs(me.sin_port), &isn) < 0)
		die("no SYN-ACK to this connection seen on the tap");
	printf("isn %u after %.0f ms\n", isn, (now() - t0) * 1000);

	if (write(s, req, rl) != (ssize_t)rl)
		die("write failed");
	char buf[8192];
	size_t got = 0;
	ssize_t r;
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, got ? 1000 : 10000) != 1)
			break;
		if ((r = read(s, buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(buf) - 1)
			break;
	}
	close(s);
	if (!got)
		die("no answer");
	for (size_t i = 0; i < got; i++)
		if (buf[i] != '\r')
			putchar(buf[i]);
	if (buf[got - 1] != '\n')
		putchar('\n');
	return 0;
}
