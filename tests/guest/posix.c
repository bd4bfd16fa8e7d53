// SPDX-License-Identifier: MIT
/* The POSIX surface ported programs use (libc/posix.c, docs/porting.md):
 * uname, rlimits, anonymous mmap, sigaction with raise, signal masks, fcntl
 * record locks, getpwuid; and fork, execve, dlopen, popen failing with ENOSYS,
 * each named once on the console however often it is called.
 * expect-status: 0
 * expect-output: ^posix ok: spore x86_64$
 * expect-output: ^spore: fork: not supported in one address space \(ENOSYS\)$
 * expect-output: ^spore: dlopen: not supported in one address space \(ENOSYS\)$
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

static int caught;
static void on_usr1(int sig) { caught = sig; }

int main(void)
{
	struct utsname u;
	struct rlimit rl;
	CHECK(uname(&u) == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 1024);
	CHECK(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 64, 64 }) == 0 &&
	      getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max == 64);
	CHECK(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 64, 4096 }) == -1 && errno == EPERM);
	unsigned char *p =
		mmap(NULL, 10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && ((unsigned long)p & 4095) == 0 && p[0] == 0 && p[12287] == 0);
	CHECK(munmap(p + 4096, 4096) == -1 && errno == EINVAL && munmap(p, 10000) == 0);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) == MAP_FAILED && errno == ENOSYS);
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	sigset_t set, was;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0 && sigaction(SIGUSR1, NULL, &old) == 0 &&
	      old.sa_handler == on_usr1);
	CHECK(raise(SIGUSR1) == 0 && caught == SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
	      sigprocmask(SIG_SETMASK, NULL, &was) == 0 && was == set);
	int fd = open("/tmp/lock", O_CREAT | O_RDWR, 0600);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	CHECK(fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 && fcntl(fd, F_GETLK, &fl) == 0 &&
	      fl.l_type == F_UNLCK);
	CHECK(getpwuid(geteuid()) && !strcmp(getpwuid(0)->pw_dir, "/"));
	for (int i = 0; i < 3; i++) {
		CHECK(fork() == -1 && errno == ENOSYS && execve("/x", NULL, NULL) == -1 &&
		      errno == ENOSYS);
		CHECK(dlopen("libx.so", RTLD_NOW) == NULL && errno == ENOSYS &&
		      popen("ls", "r") == NULL);
	}
	printf("posix ok: %s %s\n", u.sysname, u.machine);
	return 0;
}
