// SPDX-License-Identifier: MIT
/* spore-fn: a fresh VM per connection. Listens on a TCP port; every connection is
 * relayed to its own spore-kvm restored from one snapshot (docs/serverless.md), which is
 * destroyed when the connection ends. SLOTS VMs are restored ahead of demand, one per tap
 * (TAP0..TAPn-1, made and addressed by the caller); a connection takes a ready one, so
 * it pays for neither the process nor the restore, and a new one is restored in its slot
 * once it is gone. A connection waits (at most 2 s) for a VM being replaced; with every
 * VM serving a connection the next gets 503 at once. One connection is one VM: requests a client
 * sends on a kept-alive connection go to the same VM. Trusts the snapshot as spore-kvm
 * does; relays bytes, parses nothing.
 *   spore-fn [-p PORT] [-n SLOTS] [-t TAPPREFIX] [-g GUESTIP:PORT] [-k SPORE-KVM] SNAPSHOT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOT_MAX 256
enum { EMPTY, READY, BUSY, DRAINING }; /* DRAINING: its VM killed, not yet reaped */

static struct slot {
	int state;
	pid_t vm, relay; /* the VM's spore-kvm; the relay serving its connection */
	char tap[16];
} slot[SLOT_MAX];
static int nslot = 4;
static const char *kvm = "build/spore-kvm", *snap;
static struct sockaddr_in guest = { .sin_family = AF_INET };
static unsigned long served, refused, vms;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "spore-fn: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A new VM in slot k: spore-kvm --restore on the slot's tap, its output discarded. It
 * dies with spore-fn (PR_SET_PDEATHSIG), even a spore-fn killed by SIGKILL: no VM is ever
 * left behind holding a tap. */
static void restore(int k)
{
	char net[32], rs[4200];
	pid_t parent = getpid();

	snprintf(net, sizeof(net), "--net=%s", slot[k].tap);
	snprintf(rs, sizeof(rs), "--restore=%s", snap);
	char *argv[] = { (char *)kvm, net, rs, NULL };
	slot[k].vm = fork();
	if (slot[k].vm < 0)
		die("fork");
	if (slot[k].vm == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || null < 0 ||
		    dup2(null, 1) < 0)
			_exit(127);
		execv(kvm, argv);
		fprintf(stderr, "spore-fn: %s: %s\n", kvm, strerror(errno));
		_exit(127);
	}
	slot[k].state = READY;
	vms++;
}

/* 1 if TAP has a carrier: its monitor has opened it. */
static int carrier(const char *tap)
{
	char p[64], c = 0;
	snprintf(p, sizeof(p), "/sys/class/net/%s/carrier", tap);
	int fd = open(p, O_RDONLY | O_CLOEXEC), up = fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
	if (fd >= 0)
		close(fd);
	return up;
}

/* The guest's socket over slot k's tap. Until the VM has opened the tap (no carrier) a SYN
 * is dropped and TCP would send it again only a second later: so the carrier first (2 s at
 * most; a VM restored ahead has it long since), then one connect, the handshake bounded by
 * 2 s. Not a short timeout and a new SYN each time: where a round trip to the guest is
 * slow (the lab's nested KVM), every new attempt would be dropped the same way. */
static int connect_guest(int k)
{
	struct timespec ms = { 0, 1000000 };
	struct timeval tv = { 2, 0 };
	int s;

	for (int i = 0; i < 2000 && !carrier(slot[k].tap); i++)
		nanosleep(&ms, NULL);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, slot[k].tap, strlen(slot[k].tap)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 || /* bounds connect() */
	    connect(s, (struct sockaddr *)&guest, sizeof(guest)) < 0) {
		close(s);
		return -1;
	}
	tv.tv_sec = 0;
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return s;
}

/* The relay (a child process): bytes both ways until the guest closes; the client's EOF
 * is passed on as a half-close. Exits 0 if the guest answered. */
static void relay(int c, int k)
{
	char buf[65536];
	int g = connect_guest(k), answered = 0;
	struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .fd = g, .events = POLLIN } };

	if (g < 0) {
		fprintf(stderr, "spore-fn: %s: no connection to the guest: %s\n", slot[k].tap,
		        strerror(errno));
		_exit(2);
	}
	while (p[1].fd >= 0) {
		if (poll(p, 2, 30000) <= 0)
			break; /* a silent side for 30 s ends the connection */
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				if (i == 1)
					goto out;
				shutdown(g, SHUT_WR);
				p[0].fd = -1;
				continue;
			}
			answered |= i == 1;
			for (ssize_t w = 0; w < n;) {
				ssize_t m = write(i ? c : g, buf + w, (size_t)(n - w));
				if (m <= 0)
					goto out;
				w += m;
			}
		}
	}
out:
	_exit(answered ? 0 : 3);
}

/* 503. What the client already sent is read first: closing a socket with unread bytes
 * sends a reset, which can reach the client before the answer does. */
static void busy(int c)
{
	static const char r[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				"Retry-After: 1\r\nConnection: close\r\n\r\n";
	char buf[4096];

	while (recv(c, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	if (write(c, r, sizeof(r) - 1) > 0)
		refused++;
	shutdown(c, SHUT_WR);
	close(c);
}

/* Connections waiting for a slot whose VM is being replaced (not for one in use: with
 * every slot serving a connection, the next gets 503 at once). */
static struct {
	int fd;
	struct timespec t;
} wait_q[SLOT_MAX];
static int nwait;

static int ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000);
}

/* Hands waiting connections to ready slots, oldest first; one waiting 2 s gets 503. */
static void dispatch(void)
{
	int i = 0;

	while (i < nwait) {
		int k = 0, c = wait_q[i].fd;
		while (k < nslot && slot[k].state != READY)
			k++;
		if (k == nslot) {
			if (ms_since(&wait_q[i].t) < 2000) {
				i++;
				continue;
			}
			busy(c);
		} else if ((slot[k].relay = fork()) == 0) {
			relay(c, k);
		} else {
			if (slot[k].relay > 0)
				slot[k].state = BUSY;
			close(c);
		}
		wait_q[i] = wait_q[--nwait];
	}
}

/* A relay ended: its VM is killed; once reaped (its tap free again) a new one is
 * restored in the slot, without blocking the accept loop meanwhile (a VM's teardown
 * takes milliseconds). A VM that died by itself while ready is replaced too. */
static void reap(void)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int k = 0; k < nslot; k++) {
			if (slot[k].state == BUSY && p == slot[k].relay) {
				served += WIFEXITED(st) && WEXITSTATUS(st) == 0;
				if (slot[k].vm > 0) /* never kill(0): that is our whole group */
					kill(slot[k].vm, SIGKILL);
				slot[k].state = DRAINING;
			} else if (slot[k].state == BUSY && p == slot[k].vm) {
				slot[k].vm = 0; /* died under its relay: nothing to drain */
			} else if ((slot[k].state == DRAINING || slot[k].state == READY) &&
			           p == slot[k].vm) {
				if (slot[k].state == READY)
					fprintf(stderr,
					        "spore-fn: the VM on %s ended by itself (status 0x%x); "
					        "restoring another\n",
					        slot[k].tap, st);
				slot[k].state = EMPTY;
				if (!stop)
					restore(k);
			}
		}
	}
	for (int k = 0; k < nslot; k++) /* its VM was reaped before its relay */
		if (slot[k].state == DRAINING && slot[k].vm == 0) {
			slot[k].state = EMPTY;
			if (!stop)
				restore(k);
		}
}

int main(int argc, char **argv)
{
	const char *prefix = "tapfn";
	unsigned port = 8080;
	int o;

	guest.sin_port = htons(80);
	inet_pton(AF_INET, "10.0.0.2", &guest.sin_addr);
	while ((o = getopt(argc, argv, "p:n:t:g:k:")) != -1) {
		char ip[64];
		unsigned gp;
		switch (o) {
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'n': nslot = atoi(optarg); break;
		case 't': prefix = optarg; break;
		case 'k': kvm = optarg; break;
		case 'g':
			if (sscanf(optarg, "%63[0-9.]:%u", ip, &gp) != 2 || gp == 0 || gp > 65535 ||
			    inet_pton(AF_INET, ip, &guest.sin_addr) != 1) {
				fprintf(stderr, "spore-fn: -g %s: want IPV4:PORT\n", optarg);
				return 2;
			}
			guest.sin_port = htons((uint16_t)gp);
			break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || nslot < 1 || nslot > SLOT_MAX || port == 0 || port > 65535 ||
	    strlen(prefix) > 10 || strlen(argv[optind]) > 4000) {
	usage:
		fprintf(stderr,
		        "usage: spore-fn [-p PORT] [-n SLOTS (1..%d)] [-t TAPPREFIX] "
		        "[-g GUESTIP:PORT] [-k SPORE-KVM] SNAPSHOT\n",
		        SLOT_MAX);
		return 2;
	}
	snap = argv[optind];
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 128) < 0)
		die("listen");
	for (int k = 0; k < nslot; k++) {
		snprintf(slot[k].tap, sizeof(slot[k].tap), "%s%d", prefix, k);
		restore(k);
	}
	fprintf(stderr, "spore-fn: listening on %u, %d VMs of %s ready\n", port, nslot, snap);
	while (!stop) {
		struct pollfd p = { .fd = l, .events = POLLIN };
		reap();
		dispatch();
		if (poll(&p, 1, nwait ? 1 : 5) <= 0)
			continue;
		int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		int inflight = 0;
		for (int k = 0; k < nslot; k++)
			inflight += slot[k].state == BUSY;
		if (inflight + nwait >= nslot) {
			busy(c); /* as many connections as VMs: full */
			continue;
		}
		wait_q[nwait].fd = c;
		clock_gettime(CLOCK_MONOTONIC, &wait_q[nwait++].t);
		dispatch();
	}
	for (int i = 0; i < nwait; i++)
		busy(wait_q[i].fd);
	/* Stopping: connections in flight get a second to finish, then every VM goes. */
	for (int i = 0; i < 200; i++) {
		int busy = 0;
		reap();
		for (int k = 0; k < nslot; k++)
			busy += slot[k].state == BUSY;
		if (!busy)
			break;
		usleep(5000);
	}
	for (int k = 0; k < nslot; k++) {
		if (slot[k].state == BUSY)
			kill(slot[k].relay, SIGKILL);
		if (slot[k].state != EMPTY && slot[k].vm > 0)
			kill(slot[k].vm, SIGKILL);
	}
	while (wait(NULL) > 0)
		;
	fprintf(stderr, "spore-fn: %lu connections served, %lu refused (503), %lu VMs restored\n",
	        served, refused, vms);
	return 0;
}
