/* SPDX-License-Identifier: MIT */
/* newlib's <sys/signal.h> with POSIX's full struct sigaction and siginfo_t:
 * newlib gives non-RTEMS targets a sigaction with no sa_sigaction and no
 * SA_SIGINFO, and a siginfo_t without si_pid or si_addr, which Redis's
 * crash handlers name. Nothing in newlib's libc.a takes either type (its
 * signal() and raise() use handlers only), so spore's libc/posix.c, which
 * implements sigaction(), is the one place that must agree with this. */
#ifndef SPORE_SYS_SIGNAL_H
#define SPORE_SYS_SIGNAL_H
#pragma GCC system_header /* #include_next, under -pedantic */
#define sigaction newlib_sigaction
#define siginfo_t newlib_siginfo_t
#include_next <sys/signal.h>
#undef sigaction
#undef siginfo_t

typedef struct {
	int si_signo;
	int si_code;
	int si_errno;
	pid_t si_pid;
	uid_t si_uid;
	void *si_addr;
	int si_status;
#if defined(_POSIX_REALTIME_SIGNALS) || __POSIX_VISIBLE >= 199309
	union sigval si_value; /* last: where newlib hides sigval, it is absent */
#endif
} siginfo_t;

struct sigaction {
	union {
		_sig_func_ptr sa_handler;
		void (*sa_sigaction)(int, siginfo_t *, void *);
	};
	sigset_t sa_mask;
	int sa_flags;
};

/* Linux's values; SA_NOCLDSTOP is newlib's. Kept, reported back: only
 * SA_SIGINFO and SA_RESETHAND change what raise() does (libc/posix.c). */
#define SA_SIGINFO   0x4
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000

int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
#endif
