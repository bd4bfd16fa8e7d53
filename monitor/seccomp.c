// SPDX-License-Identifier: MIT
/* The run loop's system-call allowlist: a hand-written seccomp BPF filter, installed
 * after all set-up and before the first KVM_RUN. Calls that take an fd are allowed
 * only on the fds they serve. Anything else traps (SECCOMP_RET_TRAP): a SIGSYS
 * handler names the call on stderr and exits HC_EXIT_SANDBOX, so the user can act on
 * a monitor bug. The list is in docs/monitor.md. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/vhost.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

#define ARG_LO(n) (offsetof(struct seccomp_data, args[n]))
#define ARG_HI(n) (offsetof(struct seccomp_data, args[n]) + 4)
#define DENY      SECCOMP_RET_TRAP /* SIGSYS: on_sigsys reports it, then exits */

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
 * fd is denied. Another nr skips the block with A untouched. The kernel takes fds
 * as 32-bit ints, but the high half must be zero too. */
static void allow_fds(struct filter *p, uint32_t nr, const int *fds, unsigned nfd)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nfd; i++)
		k += fds[i] >= 0;
	jump(p, nr, 0, (uint8_t)(5 + 2 * k));
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	for (unsigned i = 0; i < nfd; i++) {
		if (fds[i] < 0)
			continue;
		jump(p, (uint32_t)fds[i], 0, 1);
		stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	stmt(p, BPF_RET | BPF_K, DENY);
}

/* With the syscall number in A: nr is allowed only when each of its arguments
 * 0..n-1 equals want[i]: all 64 bits where bit i of ptrs is set (the pointers point
 * into a page made read-only before the filter went in, and mprotect is not
 * allowed), else the low 32 (an int: the kernel ignores the high half, and glibc
 * may leave -100 zero-extended there). Otherwise A is the number again and the
 * filter goes on: a later block may allow nr with other arguments (--core's and
 * --snapshot's linkat), and nr matches nothing after them, so it is denied. */
static void allow_args(struct filter *p, uint32_t nr, const uint64_t *want, unsigned n,
                       unsigned ptrs)
{
	unsigned len = 0, done = 0;

	for (unsigned i = 0; i < n; i++)
		len += ptrs >> i & 1 ? 4 : 2;
	jump(p, nr, 0, (uint8_t)(len + 2));
	for (unsigned i = 0; i < n; i++) {
		if (ptrs >> i & 1) {
			stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(i));
			done += 2;
			jump(p, (uint32_t)(want[i] >> 32), 0, (uint8_t)(len - done + 1));
		}
		stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(i));
		done += 2;
		jump(p, (uint32_t)want[i], 0, (uint8_t)(len - done + 1));
	}
	stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
}

/* Pure: the filter for these fds (-1: absent) into f[0..SECCOMP_MAX); returns its
 * length. The unit tests run it through a BPF interpreter. --gdb (gdb_fd >= 0) adds
 * reads and writes on its socket and two ioctls; --core (core != NULL) adds pwrite64
 * on the core's fd and the one linkat that names it; --snapshot (snap != NULL) the
 * same for its file and the ioctls that read the vCPU's state; --vhost (vhost_fd >= 0)
 * the five vhost-net ioctls of a device's DRIVER_OK and reset on that fd and
 * TUNSETOFFLOAD on vhost_tap, nothing else of either. Without them the filter is what
 * it was before any existed. */
unsigned seccomp_build(struct sock_filter *f, int vcpu_fd, int tap_fd, int disk_fd, int gdb_fd,
                       const struct core *core, const struct core *snap, const int *ev,
                       unsigned nev, int vhost_fd, int vhost_tap)
{
	int out[4 + SECCOMP_EV_MAX] = { STDOUT_FILENO, STDERR_FILENO, tap_fd, gdb_fd };
	const int in[] = { tap_fd, gdb_fd };
	int core_fd = core ? core->fd : -1;
	struct filter prog = { f, 0 }, *p = &prog;

	for (unsigned i = 0; i < SECCOMP_EV_MAX; i++)
		out[4 + i] = i < nev ? ev[i] : -1;
	/* 1. Only the x86_64 ABI (x32 numbers have bit 30 set and match nothing below). */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	jump(p, AUDIT_ARCH_X86_64, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	/* 2. Calls without an fd. */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	allow_nr(p, __NR_ppoll);          /* poll hypercall (the tap fd is in its array) */
	allow_nr(p, __NR_getrandom);      /* entropy hypercall */
	allow_nr(p, __NR_clock_gettime);  /* time hypercall when the vDSO falls back */
	allow_nr(p, __NR_rt_sigreturn);   /* return from the --timeout SIGALRM handler */
	allow_nr(p, __NR_rt_sigprocmask); /* let SIGALRM into a blocking host write (timer.c) */
	allow_nr(p, __NR_exit_group);
	if (nev)
		allow_nr(p, __NR_futex); /* a virtio device's lock, shared with the I/O thread */
	/* 3. Calls on one of the monitor's fds. */
	allow_fds(p, __NR_write, out,
	          4 + SECCOMP_EV_MAX);           /* console (1), messages (2), frames
	                                          * to the tap, gdb, waking the I/O thread (virtio) */
	allow_fds(p, __NR_read, in, 2);          /* frames from the tap, packets from gdb */
	allow_fds(p, __NR_pread64, &disk_fd, 1); /* disk sectors */
	const int pw[] = { disk_fd, core_fd, snap ? snap->fd : -1 };
	allow_fds(p, __NR_pwrite64, pw, 3);          /* disk sectors, the core, the snapshot */
	const struct core *named[] = { core, snap }; /* linkat names each at the end */
	for (unsigned i = 0; i < 2; i++) {
		const struct core *c = named[i];
		if (!c)
			continue;
		const uint64_t link[] = { (uint64_t)(int64_t)AT_FDCWD, (uint64_t)(uintptr_t)c->from,
			                  (uint64_t)c->dir, (uint64_t)(uintptr_t)c->name,
			                  AT_SYMLINK_FOLLOW };
		allow_args(p, __NR_linkat, link, 5, 1u << 1 | 1u << 3);
	}
	allow_fds(p, __NR_fdatasync, &disk_fd, 1); /* HC_BLK_FLUSH */
	if (snap && snap->irqchip_fd > 0) { /* the irqchip into the snapshot: that one read */
		const uint64_t get[] = { (uint64_t)snap->irqchip_fd, KVM_GET_IRQCHIP };
		allow_args(p, __NR_ioctl, get, 2, 0);
	}
	if (vhost_fd >= 0) { /* --vhost: DRIVER_OK and reset on this thread (vhost.c) */
		static const uint32_t cmd[] = { VHOST_SET_FEATURES, VHOST_SET_VRING_NUM,
			                        VHOST_SET_VRING_BASE, VHOST_SET_VRING_ADDR,
			                        VHOST_NET_SET_BACKEND };
		for (unsigned i = 0; i < sizeof(cmd) / sizeof(cmd[0]); i++) {
			const uint64_t a[] = { (uint64_t)vhost_fd, cmd[i] };
			allow_args(p, __NR_ioctl, a, 2, 0);
		}
		const uint64_t off[] = { (uint64_t)vhost_tap, TUNSETOFFLOAD }; /* vnet_offload */
		allow_args(p, __NR_ioctl, off, 2, 0);
	}
	jump(p, __NR_ioctl, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	/* 4. ioctl: only on the vCPU fd, only the four commands below. */
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	jump(p, (uint32_t)vcpu_fd, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(1));
	jump(p, 0, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
	allow_nr(p, KVM_RUN);
	allow_nr(p, KVM_GET_REGS);  /* rip for messages; trapped calls without sync regs */
	allow_nr(p, KVM_SET_REGS);  /* step over a trapped call without sync regs */
	allow_nr(p, KVM_GET_SREGS); /* CR2 for the guest fault report */
	if (nev) { /* the in-kernel LAPIC and pending events, for the timeout report */
		allow_nr(p, KVM_GET_LAPIC);
		allow_nr(p, KVM_GET_VCPU_EVENTS);
		allow_nr(p, KVM_GET_MSRS);
	}
	if (gdb_fd >= 0) {
		allow_nr(p, KVM_SET_GUEST_DEBUG); /* breakpoints, single step */
		allow_nr(p, KVM_GET_FPU);         /* gdb's x87 and SSE registers */
	}
	if (snap) { /* the vCPU's state into the snapshot */
		if (gdb_fd < 0)
			allow_nr(p, KVM_GET_FPU);
		allow_nr(p, KVM_GET_XSAVE);
		allow_nr(p, KVM_GET_XCRS);
		if (!nev)
			allow_nr(p, KVM_GET_MSRS);
		if (snap->irqchip_fd > 0 && !nev) {
			allow_nr(p, KVM_GET_LAPIC);
			allow_nr(p, KVM_GET_VCPU_EVENTS);
		}
	}
	stmt(p, BPF_RET | BPF_K, DENY);
	return p->n;
}

/* Pure: the I/O thread's filter (iothread.c). It waits in epoll on one fd, reads the
 * tap and the eventfds in rd, writes the tap, the irqfds and stderr in wr, readv and
 * writev the tap (tap_fd) between its header and guest buffers, reads,
 * writes and syncs the disk (-1: none), takes the devices' locks, sets the tap's
 * offloads (tap_fd, -1: none) to what the guest negotiated (vnet.c), and pulses the
 * devices' interrupt pins with KVM_IRQ_LINE on the VM's fd (line_fd, -1: none),
 * yields the CPU while it polls; nothing else: no other ioctl, no open, no mmap. */
unsigned seccomp_build_io(struct sock_filter *f, int epoll_fd, const int *rd, unsigned nrd,
                          const int *wr, unsigned nwr, int disk_fd, int tap_fd, int line_fd)
{
	struct filter prog = { f, 0 }, *p = &prog;

	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	jump(p, AUDIT_ARCH_X86_64, 1, 0);
	stmt(p, BPF_RET | BPF_K, DENY);
	stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	allow_nr(p, __NR_futex);
	allow_nr(p, __NR_exit_group);
	allow_nr(p, __NR_sched_yield); /* polling on a shared CPU (iothread.c) */
	allow_fds(p, __NR_epoll_wait, &epoll_fd, 1);
	allow_fds(p, __NR_epoll_pwait, &epoll_fd, 1);
	allow_fds(p, __NR_read, rd, nrd);
	allow_fds(p, __NR_write, wr, nwr);
	allow_fds(p, __NR_pread64, &disk_fd, 1); /* virtio-blk */
	allow_fds(p, __NR_pwrite64, &disk_fd, 1);
	allow_fds(p, __NR_fdatasync, &disk_fd, 1);
	allow_fds(p, __NR_readv, &tap_fd, 1); /* frames straight into and from guest buffers */
	allow_fds(p, __NR_writev, &tap_fd, 1);
	if (tap_fd >= 0) { /* TUNSETOFFLOAD's argument is flags, not a pointer */
		const uint64_t off[] = { (uint64_t)tap_fd, TUNSETOFFLOAD };
		allow_args(p, __NR_ioctl, off, 2, 0);
	}
	if (line_fd >= 0) { /* KVM_IRQ_LINE's argument points to its struct, read by KVM */
		const uint64_t line[] = { (uint64_t)line_fd, KVM_IRQ_LINE };
		allow_args(p, __NR_ioctl, line, 2, 0);
	}
	stmt(p, BPF_RET | BPF_K, DENY);
	return p->n;
}

/* Names for the calls a monitor bug is likely to make (glibc's own calls, set-up calls
 * made late); any other is reported by number. */
#define N(x) [__NR_##x] = #x
static const char *const names[] = {
	N(read),         N(write),        N(open),      N(close),         N(stat),
	N(fstat),        N(lstat),        N(poll),      N(lseek),         N(mmap),
	N(mprotect),     N(munmap),       N(brk),       N(rt_sigaction),  N(rt_sigprocmask),
	N(rt_sigreturn), N(ioctl),        N(pread64),   N(pwrite64),      N(readv),
	N(writev),       N(access),       N(pipe),      N(select),        N(sched_yield),
	N(mremap),       N(madvise),      N(dup),       N(dup2),          N(nanosleep),
	N(getpid),       N(socket),       N(connect),   N(sendto),        N(recvfrom),
	N(sendmsg),      N(recvmsg),      N(clone),     N(fork),          N(vfork),
	N(execve),       N(exit),         N(wait4),     N(kill),          N(uname),
	N(fcntl),        N(fsync),        N(fdatasync), N(ftruncate),     N(unlink),
	N(readlink),     N(gettimeofday), N(sysinfo),   N(prctl),         N(arch_prctl),
	N(gettid),       N(tkill),        N(futex),     N(clock_gettime), N(clock_nanosleep),
	N(exit_group),   N(tgkill),       N(openat),    N(newfstatat),    N(ppoll),
	N(pipe2),        N(prlimit64),    N(getrandom), N(memfd_create),  N(statx),
	N(rseq),         N(linkat),       N(accept),    N(accept4),       N(epoll_wait),
	N(epoll_pwait),  N(eventfd2),
};
#undef N

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_num(char *p, char *end, uint64_t v, unsigned base)
{
	char d[24];
	int n = 0;

	if (base == 16)
		p = put_str(p, end, "0x");
	do {
		d[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n && p < end)
		*p++ = d[--n];
	return p;
}

/* Pure and async-signal-safe (no stdio, no locale): the line on_sigsys writes, e.g.
 * "spore-kvm: seccomp: forbidden system call openat (257), args 0xffffffffffffff9c, 0x4ab010".
 * Returns its length (at most size). */
size_t seccomp_report(char *buf, size_t size, int nr, uint32_t arch, uint64_t a0, uint64_t a1)
{
	char *p = buf, *end = buf + size;
	const char *name = nr >= 0 && (size_t)nr < sizeof(names) / sizeof(names[0]) &&
	                                   arch == AUDIT_ARCH_X86_64
	                           ? names[nr]
	                           : NULL;

	p = put_str(p, end, "spore-kvm: seccomp: forbidden system call ");
	if (name) {
		p = put_str(p, end, name);
		p = put_str(p, end, " (");
	}
	p = put_num(p, end, (uint32_t)nr, 10);
	p = put_str(p, end, name ? ")" : "");
	if (arch != AUDIT_ARCH_X86_64) {
		p = put_str(p, end, " of arch ");
		p = put_num(p, end, arch, 16);
	}
	p = put_str(p, end, ", args ");
	p = put_num(p, end, a0, 16);
	p = put_str(p, end, ", ");
	p = put_num(p, end, a1, 16);
	p = put_str(p, end, " (a monitor bug: please report it)\n");
	return (size_t)(p - buf);
}

/* SIGSYS from the filter: the kernel did not run the call. The monitor made it, not
 * the guest, and cannot be trusted to go on: say which, then exit. write and
 * exit_group are allowed; SIGSYS stays blocked in here, so a second one kills. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	char line[200];

	(void)sig;
	size_t n = seccomp_report(line, sizeof(line), si->si_syscall, si->si_arch,
	                          (uint64_t)uc->uc_mcontext.gregs[REG_RDI],
	                          (uint64_t)uc->uc_mcontext.gregs[REG_RSI]);
	ssize_t w = write(STDERR_FILENO, line, n); /* nothing to do if it fails */
	(void)w;
	syscall(__NR_exit_group, HC_EXIT_SANDBOX); /* not _exit: no wrapper that might call more */
}

static int install(struct sock_filter *f, unsigned n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		msg("spore-kvm: cannot install the seccomp filter: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The vCPU thread's filter (seccomp filters are per thread: the I/O thread installs
 * its own). With virtio devices it may wake the I/O thread and take a device lock. */
int seccomp_install(const struct vm *vm)
{
	static struct sock_filter f[SECCOMP_MAX];
	int ev[SECCOMP_EV_MAX];
	unsigned nev = 0;

	for (int i = 0; i < vm->nvdev; i++) {
		ev[nev++] = vm->vdev[i].ctl;
		for (unsigned q = 0; q < vm->vdev[i].nq; q++)
			ev[nev++] = vm->vdev[i].kick[q];
	}
	return install(f, seccomp_build(f, vm->vcpu_fd, vm->tap_fd, vm->disk_fd, vm->gdb_fd,
	                                vm->core, vm->snap_out, ev, nev, vm->vhost_fd,
	                                vm->vhost_fd >= 0 ? vm->vnet_tap : -1));
}

/* In the I/O thread, first thing. */
int seccomp_install_io(const struct vm *vm)
{
	static struct sock_filter f[SECCOMP_MAX];
	int rd[1 + SECCOMP_EV_MAX], wr[2 + VMMIO_MAX], line = -1;
	unsigned nrd = 0, nwr = 0;

	int tap = vm->vhost_fd >= 0 ? -1 : vm->vnet_tap; /* --vhost: the kernel's, not ours */

	rd[nrd++] = tap;
	wr[nwr++] = tap;
	wr[nwr++] = STDERR_FILENO;
	for (int i = 0; i < vm->nvdev; i++) {
		rd[nrd++] = vm->vdev[i].ctl;
		for (unsigned q = 0; q < vm->vdev[i].nq && !vm->vdev[i].vhost; q++)
			rd[nrd++] = vm->vdev[i].kick[q];
		if (vm->vdev[i].irqfd >= 0)
			wr[nwr++] = vm->vdev[i].irqfd;
		if (vm->vdev[i].line)
			line = vm->vm_fd;
	}
	return install(
		f, seccomp_build_io(f, vm->io_epoll, rd, nrd, wr, nwr, vm->vblk_disk, tap, line));
}
