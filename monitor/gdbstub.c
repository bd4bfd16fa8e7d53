// SPDX-License-Identifier: MIT
/* --gdb=PATH: the socket and KVM side of the gdb stub. Waits on a Unix socket at PATH
 * (gdbsock.c: mode 0600, peers checked) for one gdb before the guest's first
 * instruction (as QEMU -S -gdb does), then
 * serves it whenever the vCPU stops: at a breakpoint or a single step
 * (KVM_SET_GUEST_DEBUG, KVM_EXIT_DEBUG), at Ctrl-C, at the guest's exit. Commands are
 * gdb.c's, framing rsp.c's. Breakpoints are int3 (KVM_GUESTDBG_USE_SW_BP) for a
 * ring-3 start and hlt for a ring-0 one: under QEMU's TCG, where the lab's kvm_amd
 * runs, int3 in the nested guest is checked against the INTn intercept, not #BP's,
 * and never exits (the guest took its own #BP there); hlt always exits to the
 * monitor (no in-kernel irqchip: KVM_EXIT_HLT), and a ring-0 guest may run it. Ctrl-C while the
 * vCPU runs: the socket is O_ASYNC, so its SIGIO sets kvm_run->immediate_exit and KVM_RUN returns
 * EINTR (as --timeout's SIGALRM does). One gdb, once: after it detaches or goes away the guest runs
 * on. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "monitor.h"

#define SIGTRAP_  5
#define SIGINT_   2
#define SIGSEGV_  11
#define DB_VECTOR 1
#define BP_VECTOR 3

static struct {
	struct gdb g;
	struct rsp_rx rx;
	struct kvm_regs regs; /* as loaded: what the G packet does not set */
	int armed, step;      /* KVM_SET_GUEST_DEBUG done; with SINGLESTEP */
	int intr;             /* 0x03 seen while the vCPU ran */
	int killed;           /* gdb said k: nothing more to tell it */
	char reply[RSP_MAX], out[2 * RSP_MAX + 8];
} st;
static struct kvm_run *volatile sigio_run;

/* SIGIO: gdb sent something while the vCPU may be in KVM_RUN. */
static void on_sigio(int sig)
{
	(void)sig;
	if (sigio_run)
		sigio_run->immediate_exit = 1;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_packet(struct vm *vm, const char *data, size_t len)
{
	size_t n = rsp_frame(st.out, sizeof(st.out), data, len);

	return n ? send_all(vm->gdb_fd, st.out, n) : -1;
}

int gdbstub_open(struct vm *vm, const char *path)
{
	struct sigaction sa = { .sa_handler = on_sigio, .sa_flags = SA_RESTART };
	int fd = gdbsock_wait(path);

	if (fd < 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL) < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) < 0) {
		msg("spore-kvm: --gdb=%s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	st.g.mem = vm->mem;
	st.g.mem_size = vm->mem_size;
	st.g.insn = vm->ring3 ? 0xcc : 0xf4; /* int3 : hlt */
	vm->gdb = &st.g;
	vm->gdb_fd = fd;
	sigio_run = vm->run;
	return 0;
}

static struct kvm_regs *sync_regs(struct vm *vm)
{
	return vm->sync_regs && (vm->run->kvm_dirty_regs & KVM_SYNC_X86_REGS)
	               ? &vm->run->s.regs.regs
	               : NULL;
}

/* The stopped vCPU into st.g; -1 after a message. */
static int load(struct vm *vm)
{
	struct gdb_cpu *c = &st.g.cpu;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct kvm_regs *r = &st.regs;

	if (sync_regs(vm))
		*r = *sync_regs(vm); /* a trap's step-over not yet loaded */
	else if (ioctl(vm->vcpu_fd, KVM_GET_REGS, r) < 0)
		goto fail;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		goto fail;
	const uint64_t gpr[16] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
		                   r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(c->gpr, gpr, sizeof(gpr));
	c->rip = r->rip;
	c->rflags = r->rflags;
	const uint32_t seg[6] = { s.cs.selector, s.ss.selector, s.ds.selector,
		                  s.es.selector, s.fs.selector, s.gs.selector };
	memcpy(c->seg, seg, sizeof(seg));
	c->fpu_ok = ioctl(vm->vcpu_fd, KVM_GET_FPU, &f) == 0;
	if (c->fpu_ok) {
		uint32_t tag = 0;
		for (int i = 0; i < 8; i++) {
			memcpy(c->st[i], f.fpr[i], 10);
			tag |= (f.ftwx >> i & 1 ? 0u : 3u) << (2 * i); /* FXSAVE's abridged tags */
		}
		const uint32_t ctl[8] = {
			f.fcw,        f.fsw, tag, 0, (uint32_t)f.last_ip, 0, (uint32_t)f.last_dp,
			f.last_opcode
		};
		memcpy(c->fpctl, ctl, sizeof(ctl));
		memcpy(c->xmm, f.xmm, sizeof(c->xmm));
		c->mxcsr = f.mxcsr;
	}
	st.g.mmu = (struct gva_mmu){ s.cr0, s.cr3, s.cr4, s.efer };
	st.g.dirty = 0;
	return 0;
fail:
	msg("spore-kvm: --gdb: reading the vCPU: %s\n", strerror(errno));
	return -1;
}

/* gdb's changes back into the vCPU, and single step on or off. */
static int store(struct vm *vm, int step)
{
	if (st.g.dirty) {
		const uint64_t *g = st.g.cpu.gpr;
		struct kvm_regs *r = &st.regs, *sr = sync_regs(vm);
		r->rax = g[0], r->rbx = g[1], r->rcx = g[2], r->rdx = g[3];
		r->rsi = g[4], r->rdi = g[5], r->rbp = g[6], r->rsp = g[7];
		r->r8 = g[8], r->r9 = g[9], r->r10 = g[10], r->r11 = g[11];
		r->r12 = g[12], r->r13 = g[13], r->r14 = g[14], r->r15 = g[15];
		r->rip = st.g.cpu.rip;
		r->rflags = st.g.cpu.rflags;
		if (sr)
			*sr = *r;
		else if (ioctl(vm->vcpu_fd, KVM_SET_REGS, r) < 0)
			goto fail;
		st.g.dirty = 0;
	}
	if (!st.armed || step != st.step) {
		struct kvm_guest_debug d = { .control = KVM_GUESTDBG_ENABLE |
			                                KVM_GUESTDBG_USE_SW_BP |
			                                (step ? KVM_GUESTDBG_SINGLESTEP : 0) };
		if (ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
			goto fail;
		st.step = step;
		st.armed = 1;
	}
	return 0;
fail:
	msg("spore-kvm: --gdb: setting the vCPU: %s\n", strerror(errno));
	return -1;
}

/* gdb is gone or detached: the guest's bytes back, debugging off, the guest runs on. */
static void detach(struct vm *vm, const char *why)
{
	struct kvm_guest_debug d = { .control = 0 };

	gdb_clear_breakpoints(&st.g);
	ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
	msg("spore-kvm: --gdb: %s; the guest runs on\n", why);
	sigio_run = NULL;
	vm->gdb = NULL; /* immediate_exit stays: --timeout's SIGALRM may have set it */
}

/* Bytes gdb sent while the vCPU ran: 0x03 asks for a stop; anything else is noise
 * (acks). Reads only what ppoll says is there; ppoll keeps the signal mask (--timeout's
 * SIGALRM stays blocked out here, as timer.c wants). Returns -1 when gdb went away. */
static int drain(struct vm *vm)
{
	struct pollfd p = { .fd = vm->gdb_fd, .events = POLLIN };
	const struct timespec zero = { 0, 0 };
	uint8_t b[256];

	while (ppoll(&p, 1, &zero, NULL) > 0) {
		ssize_t n = read(vm->gdb_fd, b, sizeof(b));
		if (n <= 0)
			return -1;
		for (ssize_t i = 0; i < n; i++)
			st.intr |= rsp_feed(&st.rx, b[i]) == RSP_INTR;
	}
	return 0;
}

/* Serve gdb until it resumes the vCPU (-1), kills the guest or ends the session. */
static int serve(struct vm *vm, int frozen)
{
	uint8_t b[512];

	for (;;) {
		ssize_t n = read(vm->gdb_fd, b, sizeof(b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			detach(vm, "gdb closed the connection");
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			int ev = rsp_feed(&st.rx, b[i]);
			if (ev == RSP_BADSUM) {
				send_all(vm->gdb_fd, "-", 1);
				continue;
			}
			if (ev != RSP_PACKET && ev != RSP_TOOLONG)
				continue;
			send_all(vm->gdb_fd, "+", 1);
			size_t rlen = 0;
			int a = ev == RSP_TOOLONG ? GDB_REPLY
			                          : gdb_command(&st.g, st.rx.buf, st.rx.len,
			                                        st.reply, sizeof(st.reply), &rlen);
			if (ev == RSP_TOOLONG)
				rlen = (size_t)(stpcpy(st.reply, "E16") - st.reply);
			switch (a) {
			case GDB_REPLY:
				if (send_packet(vm, st.reply, rlen) < 0) {
					detach(vm, "cannot write to gdb");
					return -1;
				}
				break;
			case GDB_KILL:
				msg("spore-kvm: --gdb: killed by gdb\n");
				st.killed = 1;
				return GDB_KILLED;
			case GDB_DETACH:
				send_packet(vm, st.reply, rlen);
				detach(vm, "gdb detached");
				return -1;
			default: /* continue or step */
				if (frozen)
					return -1;
				if (store(vm, a == GDB_STEP) < 0)
					return HC_EXIT_VMFAULT;
				st.intr = 0;
				vm->run->immediate_exit = 0;
				/* A Ctrl-C that came while we served: the next KVM_RUN
				 * returns at once and the run loop asks again. */
				if (i + 1 < n || drain(vm) < 0 || st.intr)
					vm->run->immediate_exit = 1;
				while (++i < n)
					st.intr |= rsp_feed(&st.rx, b[i]) == RSP_INTR;
				return -1;
			}
		}
	}
}

/* The vCPU stopped (sig; swbreak: at one of gdb's breakpoints). first: before the
 * first instruction, where gdb asks why with '?' itself. */
int gdbstub_stop(struct vm *vm, int sig, int first)
{
	if (load(vm) < 0)
		return HC_EXIT_VMFAULT;
	st.g.sig = sig;
	st.g.swbreak = 0;
	/* At one of gdb's breakpoints: int3's #BP (rip at it, or past it on some KVM),
	 * hlt's exit or a ring-3 int3's trap (rip past it). gdb hears the breakpoint's
	 * own address. */
	const struct kvm_run *run = vm->run;
	int trap = run->exit_reason == KVM_EXIT_HLT || run->exit_reason == KVM_EXIT_SHUTDOWN;
	if (trap ||
	    (run->exit_reason == KVM_EXIT_DEBUG && run->debug.arch.exception == BP_VECTOR)) {
		uint64_t pc = trap ? st.g.cpu.rip : run->debug.arch.pc;
		if (!gdb_hit(&st.g, pc) && gdb_hit(&st.g, pc - 1))
			pc--;
		st.g.swbreak = gdb_hit(&st.g, pc);
		if (st.g.swbreak && st.g.cpu.rip != pc) {
			st.g.cpu.rip = pc;
			st.g.dirty = 1;
		}
	}
	if (!first) {
		size_t n = gdb_stop_reply(&st.g, st.reply, sizeof(st.reply));
		if (send_packet(vm, st.reply, n) < 0) {
			detach(vm, "cannot write to gdb");
			return -1;
		}
	}
	return serve(vm, 0);
}

/* KVM_EXIT_DEBUG: a breakpoint (#BP) or a single step (#DB). */
int gdbstub_debug(struct vm *vm) { return gdbstub_stop(vm, SIGTRAP_, 0); }

/* KVM_EXIT_HLT: one of gdb's hlt breakpoints, or -2: the guest's own hlt. */
int gdbstub_halt(struct vm *vm)
{
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 || !gdb_hit(&st.g, r.rip - 1))
		return -2;
	return gdbstub_stop(vm, SIGTRAP_, 0);
}

/* KVM_RUN returned EINTR: 1 if it was gdb's Ctrl-C (the caller stops), else 0. */
int gdbstub_interrupted(struct vm *vm)
{
	/* Cleared before reading: a SIGIO for bytes that arrive after the read sets it
	 * again, so the next KVM_RUN returns at once and they are read then. */
	vm->run->immediate_exit = 0;
	if (drain(vm) < 0) {
		detach(vm, "gdb closed the connection");
		return 0;
	}
	if (!st.intr)
		return 0;
	st.intr = 0;
	return 1;
}

/* gdb acks the exit packet with a '+' before it takes the end of the session. On a
 * Unix socket that write fails with EPIPE once the monitor has exited and closed its
 * end (TCP took it silently), and gdb reports "Remote communication error" instead
 * of the exit. So wait for the ack, or for gdb to go, at most 2 s (20 x 100 ms). */
static void wait_ack(struct vm *vm)
{
	struct pollfd p = { .fd = vm->gdb_fd, .events = POLLIN };
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	char b[64];

	for (int i = 0; i < 20; i++) {
		if (ppoll(&p, 1, &tick, NULL) <= 0)
			continue; /* nothing yet, or EINTR */
		ssize_t n = read(vm->gdb_fd, b, sizeof(b));
		if (n <= 0 || memchr(b, '+', (size_t)n) || memchr(b, '-', (size_t)n))
			return;
	}
}

/* The guest is ending with status: a crash is shown to gdb first (the faulting
 * registers, SIGSEGV), then gdb hears the exit status. */
int gdbstub_exit(struct vm *vm, int status)
{
	char w[8];

	if (st.killed)
		return status;
	if (status == HC_EXIT_FAULT && vm->fault_known && load(vm) == 0) {
		const struct hc_regs *f = &vm->fault;
		const uint64_t gpr[16] = { f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi,
			                   f->rbp, f->rsp, f->r8,  f->r9,  f->r10, f->r11,
			                   f->r12, f->r13, f->r14, f->r15 };
		memcpy(st.g.cpu.gpr, gpr, sizeof(gpr));
		st.g.cpu.rip = f->rip;
		st.g.cpu.rflags = f->rflags;
		st.g.sig = SIGSEGV_;
		st.g.swbreak = 0;
		size_t n = gdb_stop_reply(&st.g, st.reply, sizeof(st.reply));
		if (send_packet(vm, st.reply, n) < 0 || serve(vm, 1) == GDB_KILLED || !vm->gdb)
			return status;
	}
	int n = snprintf(w, sizeof(w), "W%02x", status & 0xff);
	if (send_packet(vm, w, (size_t)n) == 0)
		wait_ack(vm);
	return status;
}
