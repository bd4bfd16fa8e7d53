// SPDX-License-Identifier: MIT
/* The calls Redis needed (docs/porting.md): pipe within one process (data,
 * O_NONBLOCK, poll and select readiness, end of file, EPIPE), readv/writev,
 * chdir into memfs with relative paths, dirname, sigaction with SA_SIGINFO,
 * umask, flock, setitimer (disarm works, arming is ENOSYS), syslog to the
 * console, ceill/llroundl, and socket(AF_UNIX) refused.
 * expect-status: 0
 * expect-output: ^unixcalls ok: pipe, chdir /data/d, SI_USER from pid 1$
 * expect-output: ^tag\[1\]: syslog to the console 42$
 * expect-output: ^spore: setitimer: not supported in one address space \(ENOSYS\)$
 */
#define _GNU_SOURCE /* get_current_dir_name */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"

static volatile int got_sig, got_code, got_pid;

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	got_sig = sig;
	got_code = info->si_code;
	got_pid = info->si_pid;
}

static int dir_is(const char *in, const char *want)
{
	char buf[64];
	strcpy(buf, in);
	return !strcmp(dirname(buf), want);
}

int main(void)
{
	int p[2];
	char buf[64] = { 0 };
	struct pollfd pf[2];

	/* pipe: data through, readiness, O_NONBLOCK, EOF, EPIPE */
	CHECK(pipe(p) == 0 && p[0] != p[1]);
	pf[0] = (struct pollfd){ p[0], POLLIN, 0 };
	pf[1] = (struct pollfd){ p[1], POLLOUT, 0 };
	CHECK(poll(pf, 2, 0) == 1 && pf[0].revents == 0 && pf[1].revents == POLLOUT);
	CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0 &&
	      (fcntl(p[0], F_GETFL) & O_NONBLOCK));
	CHECK(read(p[0], buf, sizeof buf) == -1 && errno == EAGAIN);
	struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	CHECK(writev(p[1], iov, 3) == 5);
	CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = { 0, 0 };
	CHECK(select(p[0] + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rs));
	char a[2], b[8] = { 0 };
	struct iovec in[2] = { { a, 2 }, { b, sizeof b } };
	CHECK(readv(p[0], in, 2) == 5 && !memcmp(a, "ab", 2) && !strcmp(b, "cde"));
	CHECK(close(p[1]) == 0 && read(p[0], buf, sizeof buf) == 0);
	CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP));
	CHECK(close(p[0]) == 0);
	CHECK(pipe(p) == 0 && close(p[0]) == 0 && write(p[1], "x", 1) == -1 && errno == EPIPE &&
	      close(p[1]) == 0);
	/* A full pipe, nonblocking: a short write, then EAGAIN. */
	CHECK(pipe(p) == 0 && fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
	static char big[20000];
	ssize_t w = write(p[1], big, sizeof big);
	CHECK(w > 0 && w < (ssize_t)sizeof big && write(p[1], big, 1) == -1 && errno == EAGAIN);
	CHECK(dup(p[0]) == -1 && errno == ENOSYS);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);

	/* chdir into memfs; relative paths resolve there */
	char cwd[64];
	CHECK(mkdir("/data/d", 0755) == 0 && chdir("/data/d") == 0);
	CHECK(getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/data/d"));
	FILE *f = fopen("rel.txt", "w");
	CHECK(f && fputs("here", f) >= 0 && fclose(f) == 0 && access("/data/d/rel.txt", F_OK) == 0);
	CHECK(rename("rel.txt", "../moved.txt") == 0 && access("/data/moved.txt", F_OK) == 0);
	char *g = get_current_dir_name();
	CHECK(g && !strcmp(g, "/data/d"));
	free(g);
	CHECK(chdir("/data/moved.txt") == -1 && errno == ENOTDIR);
	CHECK(chdir("/") == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"));
	CHECK(getcwd(cwd, 1) == NULL && errno == ERANGE);

	CHECK(dir_is("/a/b/", "/a") && dir_is("a", ".") && dir_is("/", "/") && dir_is("//x", "/") &&
	      dir_is("a/b//c", "a/b") && !strcmp(dirname(NULL), "."));

	/* SA_SIGINFO: raise() reaches the three-argument handler */
	struct sigaction sa = { 0 }, old;
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0 && sigaction(SIGUSR1, NULL, &old) == 0);
	CHECK(old.sa_sigaction == on_usr1 && (old.sa_flags & SA_SIGINFO));
	CHECK(raise(SIGUSR1) == 0 && got_sig == SIGUSR1 && got_code == SI_USER && got_pid == 1);

	CHECK(umask(077) == 022 && umask(022) == 077);
	int fd = open("/tmp/lock", O_CREAT | O_RDWR, 0644);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && flock(fd, LOCK_UN) == 0 &&
	      flock(fd, 99) == -1 && errno == EINVAL);
	CHECK(close(fd) == 0 && flock(fd, LOCK_SH) == -1 && errno == EBADF);

	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	it.it_value.tv_sec = 1;
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == -1 && errno == ENOSYS);
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == -1 && errno == ENOSYS); /* named once */

	volatile long double x = 2.5L, y = -2.5L, z = 1.0000001L, big_ld = 9007199254740993.0L;
	CHECK(ceill(z) == 2.0L && ceill(-z) == -1.0L && ceill(big_ld) == big_ld);
	CHECK(llroundl(x) == 3 && llroundl(y) == -3 && llroundl(2.49L) == 2 &&
	      llroundl(big_ld) == 9007199254740993LL);

	CHECK(socket(AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT);

	openlog("tag", LOG_PID, LOG_USER);
	setlogmask(LOG_UPTO(LOG_NOTICE));
	syslog(LOG_DEBUG, "filtered out");
	syslog(LOG_WARNING, "syslog to the console %d", 42);
	fflush(stderr);
	printf("unixcalls ok: pipe, chdir /data/d, SI_USER from pid %d\n", got_pid);
	return 0;
}
