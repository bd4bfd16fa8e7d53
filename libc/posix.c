// SPDX-License-Identifier: MIT
/* The POSIX calls real programs make beyond newlib's system layer
 * (docs/porting.md has the table): signals as one process without
 * asynchronous signals sees them, stdio locks, and the calls one address
 * space cannot offer (fork, exec*, popen, system, dlopen), which fail with
 * ENOSYS and name themselves once on the console. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "libc.h"

/* "spore: NAME: not supported in one address space (ENOSYS)", once per
 * call site, so a program that retries does not flood the console. */
void libc_nosys(int *said, const char *name)
{
	static const char a[] = "spore: ", b[] = ": not supported in one address space (ENOSYS)\n";
	if (!*said) {
		*said = 1;
		console_write(a, sizeof a - 1);
		console_write(name, strlen(name));
		console_write(b, sizeof b - 1);
		console_flush();
	}
	errno = ENOSYS;
}
#define NOSYS(name) do { static int said; libc_nosys(&said, name); } while (0)

/* _setjmp/_longjmp are setjmp/longjmp without the signal mask, and newlib's
 * never saves one: a tail jump keeps the caller's frame, as setjmp needs. */
__asm__(".text\n.globl _setjmp\n.type _setjmp,@function\n_setjmp: jmp setjmp\n"
	".globl _longjmp\n.type _longjmp,@function\n_longjmp: jmp longjmp\n");

/* newlib here is built without stdio locks, and the threads are
 * cooperative: a stream is never entered by two threads at once unless its
 * I/O blocks, which console and file I/O never do. */
void flockfile(FILE *f) { (void)f; }
void funlockfile(FILE *f) { (void)f; }
int ftrylockfile(FILE *f) { (void)f; return 0; }

/* Nothing delivers a signal but raise() and kill() to ourselves: the
 * handler goes where newlib's raise() finds it (signal()); the mask and
 * flags are kept and reported back, never consulted. */
static sigset_t mask;

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig <= 0 || sig >= NSIG || ((sig == SIGKILL || sig == SIGSTOP) && act)) {
		errno = EINVAL;
		return -1;
	}
	_sig_func_ptr prev = act ? signal(sig, act->sa_handler) : signal(sig, SIG_DFL);
	if (!act)
		signal(sig, prev);   /* only asked: put it back */
	if (old)
		*old = (struct sigaction){ .sa_handler = prev };
	return 0;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (old)
		*old = mask;
	if (!set)
		return 0;
	switch (how) {
	case SIG_BLOCK: mask |= *set; return 0;
	case SIG_UNBLOCK: mask &= ~*set; return 0;
	case SIG_SETMASK: mask = *set; return 0;
	}
	errno = EINVAL;
	return -1;
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	return sigprocmask(how, set, old) < 0 ? errno : 0;
}

/* One address space: no second process, no shell, no loader. */
FILE *popen(const char *cmd, const char *mode)
{
	(void)cmd, (void)mode;
	NOSYS("popen");
	return NULL;
}

int pclose(FILE *f)
{
	(void)f;
	NOSYS("pclose");
	return -1;
}

/* system(NULL) asks whether a shell exists: 0, none. */
int system(const char *cmd)
{
	if (!cmd)
		return 0;
	NOSYS("system");
	return -1;
}

int fork(void) { NOSYS("fork"); return -1; }
int vfork(void) { NOSYS("vfork"); return -1; }
int wait(int *st) { (void)st; NOSYS("wait"); return -1; }
int waitpid(int pid, int *st, int opt) { (void)pid, (void)st, (void)opt; NOSYS("waitpid"); return -1; }
int execve(const char *p, char *const a[], char *const e[]) { (void)p, (void)a, (void)e; NOSYS("execve"); return -1; }
int execv(const char *p, char *const a[]) { (void)p, (void)a; NOSYS("execv"); return -1; }
int execvp(const char *p, char *const a[]) { (void)p, (void)a; NOSYS("execvp"); return -1; }

void *dlopen(const char *file, int mode)
{
	(void)file, (void)mode;
	NOSYS("dlopen");
	return NULL;
}

void *dlsym(void *h, const char *name)
{
	(void)h, (void)name;
	NOSYS("dlsym");
	return NULL;
}

int dlclose(void *h)
{
	(void)h;
	return -1;
}

char *dlerror(void)
{
	return "dynamic loading is not supported in one address space";
}
