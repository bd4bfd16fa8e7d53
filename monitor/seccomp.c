// SPDX-License-Identifier: MIT
/* The run loop's system-call allowlist: a hand-written seccomp BPF filter, installed
 * after all set-up and before the first KVM_RUN. Anything else kills the whole process
 * (SIGSYS, no message: the filter cannot print). The list is in docs/monitor.md. */
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

#define LD(off)         BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)          BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW_NR(nr)    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(SECCOMP_RET_ALLOW)

int seccomp_install(int vcpu_fd)
{
	struct sock_filter f[] = {
		/* 1. Only the x86_64 ABI (x32 numbers have bit 30 set and match nothing below). */
		LD(offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		/* 2. Plain allowed calls. */
		LD(offsetof(struct seccomp_data, nr)),
		ALLOW_NR(__NR_write),           /* console hypercall, error messages, tap frames */
		ALLOW_NR(__NR_read),            /* tap frames */
		ALLOW_NR(__NR_pread64),         /* disk sectors */
		ALLOW_NR(__NR_pwrite64),
		ALLOW_NR(__NR_fdatasync),       /* HC_BLK_FLUSH */
		ALLOW_NR(__NR_ppoll),           /* poll hypercall */
		ALLOW_NR(__NR_getrandom),       /* entropy hypercall */
		ALLOW_NR(__NR_clock_gettime),   /* time hypercall when the vDSO falls back */
		ALLOW_NR(__NR_rt_sigreturn),    /* return from the --timeout SIGALRM handler */
		ALLOW_NR(__NR_exit_group),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		/* 3. ioctl: only on the vCPU fd, only the four commands below. The kernel
		 * takes fd and cmd as 32-bit ints, but check the high halves are zero too. */
		LD(ARG_HI(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)vcpu_fd, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(ARG_HI(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(ARG_LO(1)),
		ALLOW_NR(KVM_RUN),
		ALLOW_NR(KVM_GET_REGS),         /* rip for messages; trapped calls without sync regs */
		ALLOW_NR(KVM_SET_REGS),         /* step over a trapped call without sync regs */
		ALLOW_NR(KVM_GET_SREGS),        /* CR2 for the guest fault report */
		RET(SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		msg("spore-kvm: cannot install the seccomp filter: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
