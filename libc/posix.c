// SPDX-License-Identifier: MIT
/* The POSIX calls real programs make beyond newlib's system layer
 * (docs/porting.md has the table): signals as one process without
 * asynchronous signals sees them, stdio locks, and the calls one address
 * space cannot offer (fork, exec*, popen, system, dlopen), which fail with
 * ENOSYS and name themselves once on the console. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "libc.h"
#include "fd.h"

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
#define NOSYS(name)                                                                                \
	do {                                                                                       \
		static int said;                                                                   \
		libc_nosys(&said, name);                                                           \
	} while (0)

/* _setjmp/_longjmp are setjmp/longjmp without the signal mask, and newlib's
 * never saves one: a tail jump keeps the caller's frame, as setjmp needs. */
__asm__(".text\n.globl _setjmp\n.type _setjmp,@function\n_setjmp: jmp setjmp\n"
        ".globl _longjmp\n.type _longjmp,@function\n_longjmp: jmp longjmp\n");

/* newlib here is built without stdio locks, and the threads are
 * cooperative: a stream is never entered by two threads at once unless its
 * I/O blocks, which console and file I/O never do. */
void flockfile(FILE *f) { (void)f; }
void funlockfile(FILE *f) { (void)f; }
int ftrylockfile(FILE *f)
{
	(void)f;
	return 0;
}

/* Nothing delivers a signal but raise() and kill() to ourselves: the
 * handler goes where newlib's raise() finds it (signal()); the mask and
 * flags are kept and reported back, never consulted, but for SA_SIGINFO:
 * such a handler is called through siginfo() with a siginfo_t saying the
 * program sent the signal to itself (SI_USER, our pid and uid) and no
 * context. newlib's raise() resets every handler to SIG_DFL before it runs
 * it, as SA_RESETHAND does. */
static sigset_t mask;
static struct sigaction acts[NSIG];

static void siginfo(int sig)
{
	siginfo_t info = { .si_signo = sig, .si_code = SI_USER, .si_pid = 1, .si_uid = 0 };
	if (sig > 0 && sig < NSIG && acts[sig].sa_sigaction)
		acts[sig].sa_sigaction(sig, &info, NULL);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig <= 0 || sig >= NSIG || ((sig == SIGKILL || sig == SIGSTOP) && act)) {
		errno = EINVAL;
		return -1;
	}
	_sig_func_ptr h = act && (act->sa_flags & SA_SIGINFO) ? siginfo
	                  : act                               ? act->sa_handler
	                                                      : SIG_DFL;
	_sig_func_ptr prev = signal(sig, h);
	if (!act)
		signal(sig, prev); /* only asked: put it back */
	if (old) {
		/* What sigaction() set, unless signal() changed it since. */
		if (prev == siginfo ||
		    (prev == acts[sig].sa_handler && !(acts[sig].sa_flags & SA_SIGINFO)))
			*old = acts[sig];
		else
			*old = (struct sigaction){ .sa_handler = prev };
	}
	if (act)
		acts[sig] = *act;
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

/* One program, one user, with every right: root, whose home is "/". */
uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }

struct passwd *getpwuid(uid_t uid)
{
	static struct passwd root = {
		.pw_name = "root", .pw_passwd = "", .pw_dir = "/", .pw_shell = ""
	};
	return uid == 0 ? &root : NULL;
}

/* As times(): all time since boot is the program's, as user time. */
int getrusage(int who, struct rusage *ru)
{
	uint64_t us = clock_monotonic_ns() / 1000;
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN) {
		errno = EINVAL;
		return -1;
	}
	*ru = (struct rusage){ 0 };
	if (who == RUSAGE_SELF)
		ru->ru_utime = (struct timeval){ .tv_sec = (time_t)(us / 1000000),
			                         .tv_usec = (suseconds_t)(us % 1000000) };
	return 0;
}

int uname(struct utsname *u)
{
	*u = (struct utsname){ "spore", "spore", "1", "spore unikernel", "x86_64" };
	return 0;
}

/* The limits that exist: fds (the table), the main stack, and RAM. Lower
 * limits are kept and reported back but not enforced; none can be raised
 * past what exists. */
static struct rlimit limits[RLIMIT_NLIMITS];

static struct rlimit hard(int r)
{
	switch (r) {
	case RLIMIT_NOFILE: return (struct rlimit){ FD_MAX, FD_MAX };
	case RLIMIT_STACK: return (struct rlimit){ 128 * 1024, 128 * 1024 }; /* BOOT_STACK_SIZE */
	case RLIMIT_AS:
	case RLIMIT_DATA: return (struct rlimit){ ram_bytes, ram_bytes };
	case RLIMIT_CORE: return (struct rlimit){ 0, 0 };
	default: return (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	}
}

int getrlimit(int r, struct rlimit *rl)
{
	if (r < 0 || r >= RLIMIT_NLIMITS) {
		errno = EINVAL;
		return -1;
	}
	*rl = limits[r].rlim_max ? limits[r] : hard(r);
	return 0;
}

int setrlimit(int r, const struct rlimit *rl)
{
	if (r < 0 || r >= RLIMIT_NLIMITS || rl->rlim_cur > rl->rlim_max) {
		errno = EINVAL;
		return -1;
	}
	if (rl->rlim_max > hard(r).rlim_max) {
		errno = EPERM;
		return -1;
	}
	limits[r] = *rl;
	return 0;
}

/* Anonymous memory from the heap, page-aligned and zeroed; each mapping is
 * unmapped whole (a partial munmap is EINVAL). With no second process,
 * MAP_SHARED is MAP_PRIVATE. Protections are accepted, not enforced. */
struct mapping {
	void *addr;
	size_t len;
	struct mapping *next;
};
static struct mapping *maps;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)addr, (void)prot, (void)fd; /* ADDR is a hint */
	int share = flags & (MAP_SHARED | MAP_PRIVATE);
	if (!len || len > SIZE_MAX - 4095 || (off & 4095) || (flags & MAP_FIXED) || share == 0 ||
	    share == (MAP_SHARED | MAP_PRIVATE)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (!(flags & MAP_ANONYMOUS)) {
		NOSYS("mmap of a file");
		return MAP_FAILED;
	}
	size_t n = (len + 4095) & ~(size_t)4095;
	struct mapping *m = malloc(sizeof *m);
	void *p = m ? memalign(4096, n) : NULL;
	if (!p) {
		free(m);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	memset(p, 0, n);
	*m = (struct mapping){ p, n, maps };
	maps = m;
	return p;
}

int munmap(void *addr, size_t len)
{
	size_t n = (len + 4095) & ~(size_t)4095;
	for (struct mapping **pp = &maps; *pp; pp = &(*pp)->next) {
		struct mapping *m = *pp;
		if (m->addr == addr && m->len == n) {
			*pp = m->next;
			free(m->addr);
			free(m);
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

int mprotect(void *addr, size_t len, int prot)
{
	(void)addr, (void)len, (void)prot;
	return 0;
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

int fork(void)
{
	NOSYS("fork");
	return -1;
}
int vfork(void)
{
	NOSYS("vfork");
	return -1;
}
int wait(int *st)
{
	(void)st;
	NOSYS("wait");
	return -1;
}
int waitpid(int pid, int *st, int opt)
{
	(void)pid, (void)st, (void)opt;
	NOSYS("waitpid");
	return -1;
}
int execve(const char *p, char *const a[], char *const e[])
{
	(void)p, (void)a, (void)e;
	NOSYS("execve");
	return -1;
}
int execv(const char *p, char *const a[])
{
	(void)p, (void)a;
	NOSYS("execv");
	return -1;
}
int execvp(const char *p, char *const a[])
{
	(void)p, (void)a;
	NOSYS("execvp");
	return -1;
}

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

/* No symbol table in the image: every address is outside any object. */
int dladdr(const void *addr, Dl_info *info)
{
	(void)addr;
	*info = (Dl_info){ 0 };
	return 0;
}

char *dlerror(void) { return "dynamic loading is not supported in one address space"; }
