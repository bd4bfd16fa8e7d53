// SPDX-License-Identifier: MIT
/* Launch to first HTTP answer, for the lab's L1 (static: busybox's wget forks and
 * cannot time a millisecond): starts COMMAND (spore-kvm serving on TAP), waits for
 * the tap's carrier, asks HOST:80 for GET /fn/random until an answer starts with
 * "HTTP/1.", reads COUNTFILE (a number: KVM's debugfs exits, "-" for none), then
 * sends COMMAND SIGTERM (spore-kvm prints --stats there) and reaps it. Trusts
 * COMMAND to be the monitor; bounded by a 20 s deadline.
 *   firstanswer TAP HOST ERRFILE COUNTFILE COMMAND [ARGS...]
 *   -> "ms 12.34 random 0123... kvm N": launch to answer, the answer's last line,
 *      COUNTFILE's number at the answer (-1: none) */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Until the monitor opens the tap it has no carrier and drops frames (TCP would
 * resend a second later); after that the tap queues them for the guest. */
static long long count(const char *path)
{
	long long n = -1;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : NULL;
	if (f) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int carrier(const char *tap)
{
	char p[128], c = 0;
	snprintf(p, sizeof p, "/sys/class/net/%s/carrier", tap);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return 0;
	int ok = read(fd, &c, 1) == 1 && c == '1';
	close(fd);
	return ok;
}

/* GET /fn/random on a connected socket: 1 with the answer's first bytes in buf (and
 * the time they came in, *t), 0 if cut or not HTTP. */
static int ask(int s, char *buf, size_t size, double *t)
{
	static const char req[] = "GET /fn/random HTTP/1.0\r\n\r\n";
	struct timeval tv = { 2, 0 };
	size_t got;

	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
		return 0;
	ssize_t n = read(s, buf, size - 1);
	*t = now();
	if (n <= 0)
		return 0;
	got = (size_t)n;
	while (got < size - 1 &&
	       (n = read(s, buf + got, size - 1 - got)) > 0) /* the rest, untimed */
		got += (size_t)n;
	buf[got] = 0;
	return strncmp(buf, "HTTP/1.", 7) == 0;
}

/* A connection to the guest, as soon as it takes one. A refused attempt (a cold guest
 * not listening yet) is retried at once; a SYN that gets no answer is not waited on
 * alone (one dropped before the guest's NIC was ready would cost TCP's 1 s resend):
 * a new attempt every 10 ms beside the pending ones, the first to connect wins. */
static int connect_first(const struct sockaddr_in *a, pid_t pid, double end)
{
	struct pollfd p[64];
	int n = 0, won = -1;
	double next = 0;

	while (won < 0 && now() < end) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			break;
		if (n < 64 && now() >= next) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (s < 0)
				break;
			if (connect(s, (const struct sockaddr *)a, sizeof *a) == 0 ||
			    errno == EINPROGRESS)
				p[n++] = (struct pollfd){ .fd = s, .events = POLLOUT };
			else
				close(s);
			next = now() + 0.01;
		}
		struct timespec nap = { 0, 100000 }; /* not to hog L1's one vCPU */
		if (ppoll(p, (nfds_t)n, &nap, NULL) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			int err = 0;
			socklen_t len = sizeof err;
			if (!p[i].revents)
				continue;
			getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err == 0 && won < 0) {
				won = p[i].fd;
				continue;
			}
			close(p[i].fd); /* refused: try again now */
			p[i--] = p[--n];
			next = 0;
		}
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd != won)
			close(p[i].fd);
	return won;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	char buf[4096];
	double t = 0;
	int r = 0, st;

	if (argc < 6 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) {
		fprintf(stderr,
		        "usage: firstanswer TAP HOST ERRFILE COUNTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	if (carrier(argv[1])) {
		fprintf(stderr, "firstanswer: %s has a carrier already: another monitor on it?\n",
		        argv[1]);
		return 2;
	}
	double t0 = now(), end = t0 + 20;
	pid_t pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		int e = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644),
		    o = open("/dev/null", O_WRONLY);
		if (e < 0 || o < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execv(argv[5], argv + 5);
		_exit(127);
	}
	struct timespec nap = { 0, 100000 };
	while (!carrier(argv[1]) && now() < end && waitpid(pid, &st, WNOHANG) == 0)
		nanosleep(&nap, NULL);
	while (r == 0 && now() < end) {
		int c = connect_first(&a, pid, end);
		if (c < 0)
			break;
		r = ask(c, buf, sizeof buf, &t);
		close(c);
	}
	if (r == 0 && waitpid(pid, &st, WNOHANG) != 0) {
		fprintf(stderr, "firstanswer: %s ended before it answered\n", argv[5]);
		return 1;
	}
	long long kvm = count(argv[4]); /* before the teardown's exits */
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	if (r != 1) {
		fprintf(stderr, "firstanswer: no answer from %s in 20 s\n", argv[2]);
		return 1;
	}
	char *body = strstr(buf, "\r\n\r\n"), *nl;
	body = body ? body + 4 : buf;
	while ((nl = strrchr(body, '\n')) && nl[1] == 0) /* the last non-empty line */
		*nl = 0;
	if ((nl = strrchr(body, '\n')))
		body = nl + 1;
	printf("ms %.2f random %s kvm %lld\n", (t - t0) * 1000, body, kvm);
	return 0;
}
