// SPDX-License-Identifier: MIT
/* The run loop's system-call allowlist: a hand-written seccomp BPF filter, installed
 * after all set-up and before the first KVM_RUN. Calls that take an fd are allowed
 * only on the fds they serve. Anything else kills the whole process (SIGSYS, no
 * message: the filter cannot print). The list is in docs/monitor.md. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor.h"

#define ARG_LO(n) (offsetof(struct seccomp_data, args[n]))
#define ARG_HI(n) (offsetof(struct seccomp_data, args[n]) + 4)
#define KILL      SECCOMP_RET_KILL_PROCESS

struct filter {
	struct sock_filter *f;
	unsigned n;
};

static void stmt(struct filter *p, uint16_t code, uint32_t k)
{
	p->f[p->n++] = (struct sock_filter)BPF_STMT(code, k);
}

static void jump(struct filter *p, uint32_t k, uint8_t jt, uint8_t jf)
{
	p->f[p->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
}

/* With the syscall number in A: allow nr. */
static void allow_nr(struct filter *p, uint32_t nr)
{
	jump(p, nr, 0, 1);
	stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
}

/* With the syscall number in A: nr is allowed only when its first argument is
 * one of fds[0..nfd) (negative entries: that device is absent); nr on any other
 * fd kills. Another nr skips the block with A untouched. The kernel takes fds
 * as 32-bit ints, but the high half must be zero too. */
static void allow_fds(struct filter *p, uint32_t nr, const int *fds, unsigned nfd)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nfd; i++)
		k += fds[i] >= 0;
	jump(p, nr, 0, (uint8_t)(5 + 2 * k));
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	for (unsigned i = 0; i < nfd; i++) {
		if (fds[i] < 0)
			continue;
		jump(p, (uint32_t)fds[i], 0, 1);
		stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	stmt(p, BPF_RET | BPF_K, KILL);
}

/* Pure: the filter for these fds (-1: absent) into f[0..SECCOMP_MAX); returns its
 * length. The unit tests run it through a BPF interpreter. */
unsigned seccomp_build(struct sock_filter *f, int vcpu_fd, int tap_fd, int disk_fd)
{
	const int out[] = { STDOUT_FILENO, STDERR_FILENO, tap_fd };
	struct filter prog = { f, 0 }, *p = &prog;

	/* 1. Only the x86_64 ABI (x32 numbers have bit 30 set and match nothing below). */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	jump(p, AUDIT_ARCH_X86_64, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	/* 2. Calls without an fd. */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	allow_nr(p, __NR_ppoll);            /* poll hypercall (the tap fd is in its array) */
	allow_nr(p, __NR_getrandom);        /* entropy hypercall */
	allow_nr(p, __NR_clock_gettime);    /* time hypercall when the vDSO falls back */
	allow_nr(p, __NR_rt_sigreturn);     /* return from the --timeout SIGALRM handler */
	allow_nr(p, __NR_rt_sigprocmask);   /* let SIGALRM into a blocking host write (timer.c) */
	allow_nr(p, __NR_exit_group);
	/* 3. Calls on one of the monitor's fds. */
	allow_fds(p, __NR_write, out, 3);   /* console (1), messages (2), frames to the tap */
	allow_fds(p, __NR_read, &tap_fd, 1);        /* frames from the tap */
	allow_fds(p, __NR_pread64, &disk_fd, 1);    /* disk sectors */
	allow_fds(p, __NR_pwrite64, &disk_fd, 1);
	allow_fds(p, __NR_fdatasync, &disk_fd, 1);  /* HC_BLK_FLUSH */
	jump(p, __NR_ioctl, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	/* 4. ioctl: only on the vCPU fd, only the four commands below. */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	jump(p, (uint32_t)vcpu_fd, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(1));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, KILL);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
	allow_nr(p, KVM_RUN);
	allow_nr(p, KVM_GET_REGS);          /* rip for messages; trapped calls without sync regs */
	allow_nr(p, KVM_SET_REGS);          /* step over a trapped call without sync regs */
	allow_nr(p, KVM_GET_SREGS);         /* CR2 for the guest fault report */
	stmt(p, BPF_RET | BPF_K, KILL);
	return p->n;
}

int seccomp_install(const struct vm *vm)
{
	static struct sock_filter f[SECCOMP_MAX];
	unsigned n = seccomp_build(f, vm->vcpu_fd, vm->tap_fd, vm->disk_fd);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		msg("spore-kvm: cannot install the seccomp filter: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
