// SPDX-License-Identifier: MIT
/* spore-fn: a fresh VM per connection. Listens on a TCP port; every connection is
 * relayed to its own spore-kvm restored from one snapshot (docs/serverless.md), which is
 * destroyed when the connection ends. SLOTS VMs are restored ahead of demand, one per tap
 * (TAP0..TAPn-1, made and addressed by the caller), each with its relay process forked
 * then and already connected to the guest's server: a slot is ready once the guest has
 * accepted that connection, and a request pays for neither the process, the restore, the
 * relay's fork nor the handshake with the guest (the accepted socket is handed to the
 * relay, SCM_RIGHTS). A new VM is restored in the slot once the connection is over. A
 * connection waits (at most 2 s) for a VM being replaced; with every VM serving a
 * connection the next gets 503 at once. One connection is one VM: requests a client
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
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOT_MAX 256
/* STARTING: VM and relay forked, the relay not yet connected to the guest; DRAINING: the
 * connection over (or a process lost), its VM and relay killed, not yet both reaped. */
enum { EMPTY, STARTING, READY, BUSY, DRAINING };

static struct slot {
	int state, ctl;  /* ctl: our end of a socketpair with the relay; -1: none */
	pid_t vm, relay; /* the VM's spore-kvm and its relay; 0: reaped */
	char tap[16];
} slot[SLOT_MAX];
static int nslot = 4, lsock = -1;
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

/* Connections waiting for a slot whose VM is being replaced (not for one in use: with
 * every slot serving a connection, the next gets 503 at once). */
static struct {
	int fd;
	struct timespec t;
} wait_q[SLOT_MAX];
static int nwait;

static void relay(int k, int ctl);

/* A new VM in slot k: spore-kvm --restore on the slot's tap, its output discarded, and its
 * relay. Both die with spore-fn (PR_SET_PDEATHSIG), even a spore-fn killed by SIGKILL: no
 * VM is ever left behind holding a tap. */
static void restore(int k)
{
	char net[32], rs[4200];
	pid_t parent = getpid();
	int sv[2];

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
	vms++;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	slot[k].relay = fork();
	if (slot[k].relay < 0)
		die("fork");
	if (slot[k].relay == 0) {
		/* Only its own end: a relay holding another slot's end, the listening socket
		 * or a waiting client's would keep them open after spore-fn closed them (a
		 * client would see no end of its answer). */
		for (int j = 0; j < nslot; j++)
			if (slot[j].ctl >= 0)
				close(slot[j].ctl);
		for (int j = 0; j < nwait; j++)
			close(wait_q[j].fd);
		close(lsock);
		close(sv[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		relay(k, sv[1]);
	}
	close(sv[1]);
	slot[k].ctl = sv[0];
	slot[k].state = STARTING;
}

static int ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000);
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

/* The guest's socket over slot k's tap, connected, or -1 after 10 s. Until the VM has opened
 * the tap (no carrier) a SYN is dropped: the carrier first. A SYN can still be lost while
 * the guest resumes, and TCP would send it again only a second later: a new attempt every
 * 200 ms beside the pending ones, the first to connect wins (not a short timeout and a new
 * SYN each time: where a round trip is slow, as in the lab's nested KVM, none would win). */
static int connect_guest(int k)
{
	struct timespec t0, ms = { 0, 1000000 };
	struct pollfd p[64];
	int n = 0, won = -1, next = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!carrier(slot[k].tap))
		if (ms_since(&t0) > 10000 || nanosleep(&ms, NULL) < 0)
			return -1;
	while (won < 0 && ms_since(&t0) < 10000) {
		if (n < 64 && ms_since(&t0) >= next) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (s < 0)
				break;
			if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, slot[k].tap,
			               strlen(slot[k].tap)) < 0 ||
			    (connect(s, (struct sockaddr *)&guest, sizeof(guest)) < 0 &&
			     errno != EINPROGRESS)) {
				close(s); /* no route over this tap: no use trying again */
				break;
			}
			p[n++] = (struct pollfd){ .fd = s, .events = POLLOUT };
			next = ms_since(&t0) + 200;
		}
		if (poll(p, (nfds_t)n, 10) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			int err = 0;
			socklen_t len = sizeof(err);
			if (!p[i].revents)
				continue;
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err &&
			    won < 0) {
				won = p[i].fd;
				continue;
			}
			close(p[i].fd); /* refused: the guest not listening yet */
			p[i--] = p[--n];
			next = ms_since(&t0) + 10;
		}
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd != won)
			close(p[i].fd);
	if (won >= 0)
		fcntl(won, F_SETFL, 0);
	return won;
}

/* The client's socket, sent by spore-fn with one byte; -1 if spore-fn is gone. */
static int recv_fd(int ctl)
{
	char b;
	struct iovec io = { &b, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &io,
		            .msg_iovlen = 1,
		            .msg_control = u.buf,
		            .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *h;
	int fd;

	if (recvmsg(ctl, &m, MSG_CMSG_CLOEXEC) != 1 || !(h = CMSG_FIRSTHDR(&m)) ||
	    h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	return fd;
}

static int send_fd(int ctl, int fd)
{
	char b = 'c';
	struct iovec io = { &b, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &io,
		            .msg_iovlen = 1,
		            .msg_control = u.buf,
		            .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	return sendmsg(ctl, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* The relay (a child process): connects to slot k's guest, says so on ctl, and waits for
 * the client's socket. httpd closes a connection that sent nothing for its timeout (10 s by
 * default): a slot idle that long connects again (the guest has served no request). Then
 * bytes both ways until the guest closes; the client's EOF is passed on as a half-close.
 * Exits 0 if the guest answered. */
static void relay(int k, int ctl)
{
	char buf[65536];
	int g = connect_guest(k), c = -1, answered = 0;

	if (g < 0 || write(ctl, "r", 1) != 1) {
		fprintf(stderr, "spore-fn: %s: no connection to the guest in 10 s\n", slot[k].tap);
		_exit(2);
	}
	while (c < 0) {
		struct pollfd w[2] = { { .fd = ctl, .events = POLLIN },
			               { .fd = g, .events = POLLIN } };
		if (poll(w, 2, -1) < 0)
			_exit(2);
		if (w[0].revents && !w[1].revents) {
			if ((c = recv_fd(ctl)) < 0)
				_exit(2);  /* spore-fn is gone */
		} else if (w[1].revents) { /* closed (or talking) before any request: again */
			close(g);
			if ((g = connect_guest(k)) < 0) {
				fprintf(stderr,
				        "spore-fn: %s: the guest closed an idle connection "
				        "and took no new one\n",
				        slot[k].tap);
				_exit(2);
			}
		}
	}
	struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .fd = g, .events = POLLIN } };
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

/* Slot k's connection is over or one of its processes is lost: both go (never kill(0):
 * that is our whole group); once both are reaped (its tap free again) a new VM is
 * restored in the slot. */
static void drain(int k)
{
	if (slot[k].vm > 0)
		kill(slot[k].vm, SIGKILL);
	if (slot[k].relay > 0)
		kill(slot[k].relay, SIGKILL);
	if (slot[k].ctl >= 0)
		close(slot[k].ctl);
	slot[k].ctl = -1;
	slot[k].state = DRAINING;
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
		} else if (send_fd(slot[k].ctl, c) < 0) {
			drain(k); /* its relay is gone: the connection tries the next slot */
			continue;
		} else {
			slot[k].state = BUSY;
			close(c);
		}
		wait_q[i] = wait_q[--nwait];
	}
}

/* A relay says it is connected to its guest: the slot is ready. EOF: the relay is gone
 * (reap() sees to it). */
static void ready(int k)
{
	char b;

	if (read(slot[k].ctl, &b, 1) == 1)
		slot[k].state = READY;
	else
		drain(k);
}

/* Reaps without blocking the accept loop (a VM's teardown takes milliseconds). A relay's
 * end ends its slot's VM, and a VM's end (by itself, unless its connection was over) its
 * relay; a slot with both gone is restored again. */
static void reap(void)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int k = 0; k < nslot; k++) {
			if (p == slot[k].relay) {
				slot[k].relay = 0;
				if (slot[k].state == BUSY)
					served += WIFEXITED(st) && WEXITSTATUS(st) == 0;
				if (slot[k].state != DRAINING)
					drain(k);
			} else if (p == slot[k].vm) {
				slot[k].vm = 0;
				if (slot[k].state == STARTING || slot[k].state == READY)
					fprintf(stderr,
					        "spore-fn: the VM on %s ended by itself (status 0x%x); "
					        "restoring another\n",
					        slot[k].tap, st);
				if (slot[k].state != DRAINING)
					drain(k);
			}
		}
	}
	for (int k = 0; k < nslot; k++)
		if (slot[k].state == DRAINING && !slot[k].vm && !slot[k].relay) {
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
	lsock = l;
	for (int k = 0; k < nslot; k++)
		slot[k].ctl = -1;
	for (int k = 0; k < nslot; k++) {
		snprintf(slot[k].tap, sizeof(slot[k].tap), "%s%d", prefix, k);
		restore(k);
	}
	fprintf(stderr, "spore-fn: listening on %u, %d VMs of %s being restored\n", port, nslot,
	        snap);
	while (!stop) {
		struct pollfd p[SLOT_MAX + 1] = { { .fd = l, .events = POLLIN } };
		int at[SLOT_MAX + 1], n = 1;
		reap();
		dispatch();
		for (int k = 0; k < nslot; k++) /* relays not yet connected to their guest */
			if (slot[k].state == STARTING && slot[k].ctl >= 0) {
				at[n] = k;
				p[n++] = (struct pollfd){ .fd = slot[k].ctl, .events = POLLIN };
			}
		if (poll(p, (nfds_t)n, nwait ? 1 : 5) <= 0)
			continue;
		for (int i = 1; i < n; i++)
			if (p[i].revents)
				ready(at[i]);
		dispatch();
		if (!p[0].revents)
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
	for (int k = 0; k < nslot; k++)
		if (slot[k].state != EMPTY)
			drain(k);
	while (wait(NULL) > 0)
		;
	fprintf(stderr, "spore-fn: %lu connections served, %lu refused (503), %lu VMs restored\n",
	        served, refused, vms);
	return 0;
}
