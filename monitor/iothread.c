// SPDX-License-Identifier: MIT
/* The virtio path's KVM plumbing and the I/O thread. Each device's QueueNotify is an
 * ioeventfd (the guest's kick ends in the host kernel, not in a return from
 * KVM_RUN), its interrupt a pin of the in-kernel I/O APIC that the I/O thread pulses
 * with KVM_IRQ_LINE (KVM injects without stopping the vCPU; vmmio_pulse says why not
 * an irqfd), or with --vhost an irqfd the kernel's worker signals. One thread, with
 * its own seccomp allowlist, waits in epoll on the tap and every eventfd and serves
 * the queues. Trusts the guest in nothing: the devices' queues go through vq.c. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

enum { EV_KICK0, EV_KICK1, EV_CTL, EV_TAP };

static int io_fail(const char *what)
{
	msg("spore-kvm: virtio: %s: %s\n", what, strerror(errno));
	return -1;
}

static int epoll_add(int ep, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event e = { .events = events, .data.u32 = tag };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* Device i's eventfds and their KVM bindings: a kick per queue (the guest's 32-bit
 * write of the queue's number to QueueNotify, matched by value), its interrupt on
 * GSI VMMIO_GSI + i (KVM_IRQ_LINE from the I/O thread; with --vhost an irqfd), one
 * wake-up from the vCPU thread (DRIVER_OK). */
static int io_device(struct vm *vm, struct vdev *d, unsigned i)
{
	d->gsi = VMMIO_GSI + i;
	d->irqfd = -1;
	d->ctl = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->ctl < 0)
		return io_fail("eventfd");
	if (d->vhost) {
		d->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->irqfd < 0)
			return io_fail("eventfd");
		struct kvm_irqfd irq = { .fd = (uint32_t)d->irqfd, .gsi = d->gsi };
		if (ioctl(vm->vm_fd, KVM_IRQFD, &irq) < 0)
			return io_fail("KVM_IRQFD");
	} else {
		d->line = 1;
		d->vm_fd = vm->vm_fd;
	}
	for (unsigned q = 0; q < d->nq; q++) {
		d->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->kick[q] < 0)
			return io_fail("eventfd");
		struct kvm_ioeventfd io = {
			.datamatch = q,
			.addr = VMMIO_BASE + i * VMMIO_SIZE + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.fd = d->kick[q],
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			return io_fail("KVM_IOEVENTFD");
		/* Edge-triggered and never read: KVM's every kick is a write to the eventfd,
		 * and every write wakes epoll again, so the count (which saturates, never
		 * blocks KVM) need not be drained: one read(2) less per kick, a system call
		 * of the ~7 per 1-byte round trip (docs/network.md). */
		if (!d->vhost && /* --vhost: the kernel's worker waits on it instead */
		    epoll_add(vm->io_epoll, d->kick[q], EPOLLIN | EPOLLET,
		              i << 8 | (EV_KICK0 + q)) < 0)
			return io_fail("epoll_ctl");
	}
	if (epoll_add(vm->io_epoll, d->ctl, EPOLLIN, i << 8 | EV_CTL) < 0)
		return io_fail("epoll_ctl");
	return 0;
}

static void drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v)); /* EAGAIN: already drained */
	(void)r;
}

/* An interrupt the guest asked for and has not answered (vq_owing) is raised once
 * more after IO_RETRY_MS in which the I/O thread had nothing else to do: a wake-up
 * lost between the pin and the guest's receive thread (none has been seen since
 * the fixes of docs/reliability.md, but one cost an idle guest its network once)
 * then costs about a second. A guest merely held up (a stopped VM, a busy host)
 * takes one spurious interrupt. Once per interrupt: a guest that ignores the second
 * one too is not asked again until its next. Nothing is owed while the guest keeps
 * up, so an idle VM's I/O thread still sleeps without a timeout; the guest's own
 * idle guard can then back off further (HC_FEAT_IRQ_RETRY, docs/density.md).
 * raise 0: whether anything is owed; 1: raise each device that owes again. */
#define IO_RETRY_MS 1000
static int owing(struct vm *vm, int raise)
{
	int any = 0;
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		if (d->vhost)
			continue; /* the host kernel's worker raises those */
		/* Not net's transmit queue: its guest reaps sent buffers at its next send and
		 * asks for no interrupt (used_event left at 0: one comes every 65536 frames,
		 * and no one waits for it). */
		unsigned nq = d->id == VIRTIO_ID_NET ? 1 : d->nq;
		int owes = 0;
		pthread_mutex_lock(&d->lock);
		for (unsigned q = 0; d->live && q < nq; q++)
			owes |= vq_owing(&d->q[q]);
		if (owes && raise) {
			for (unsigned q = 0; q < d->nq; q++)
				d->q[q].owing = 0;
			vmmio_irq(d);
			vm->io_retries++;
		}
		pthread_mutex_unlock(&d->lock);
		any |= owes;
	}
	return any;
}

/* Polling on a shared CPU. Once the guest has been given frames it is likely to
 * answer them soon (an echo, a response), and on a CPU the vCPU shares with this
 * thread (the kvm_amd lab's one L1 CPU; a host with more VMs than cores) it can only
 * do so while this thread is off the CPU. So instead of sleeping until the guest's
 * kick, the thread yields (sched_yield: the vCPU it has just interrupted runs until
 * it halts), then looks at the queues without being asked; meanwhile transmit asks
 * the guest for no kick (vnet_poll, vnet_serve), which saves the guest's kick exit
 * and this thread's wake-up for it. Once the answer is found (frames from the
 * guest, none to it), or after IO_POLL_IDLE looks in a row that found nothing, it
 * asks for kicks again, looks once more, and sleeps as before: the tap's writer
 * (a client) then runs with this thread off the CPU, and an idle VM polls no more
 * than that after its last frame. With a CPU to itself the yields return at once and
 * the looks cost a few microseconds before the usual sleep. */
#define IO_POLL_IDLE 2

/* Each virtio-net device the thread serves (not --vhost's): with rearm, first
 * vnet_poll (polling on; a quiet stretch ends, the next serve asks for kicks
 * again); with serve, then served without an event. What moved (vnet_serve). */
static int net_each(struct vm *vm, int rearm, int serve)
{
	int moved = 0;
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		if (d->id != VIRTIO_ID_NET || d->vhost)
			continue;
		pthread_mutex_lock(&d->lock);
		if (rearm)
			vnet_poll(d, 1);
		if (serve)
			moved |= vnet_serve(d, 0);
		pthread_mutex_unlock(&d->lock);
	}
	return moved;
}

static void *io_thread(void *arg)
{
	struct vm *vm = arg;
	struct epoll_event ev[16];
	sigset_t sys;

	/* SIGSYS unblocked: a forbidden call is reported (seccomp.c), not a silent kill. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	/* SCHED_BATCH: a waking batch task never preempts the running one (CFS), so
	 * the task that feeds the tap (a client sending requests), or the guest that
	 * kicks, runs on until it blocks, and this thread then serves all it queued in
	 * one wake-up instead of one frame each. That matters where the host's CPU is
	 * shared (the kvm_amd lab's one L1 CPU: per Redis request, I/O thread wake-ups
	 * 0.67 -> 0.13, kicks 0.32 -> 0.07, all KVM exits 0.56 -> 0.20; docs/monitor.md).
	 * The cost: on a saturated CPU this thread waits for the tick, not the next
	 * wake-up; with an idle CPU it runs at once as before. Lowering one's own policy
	 * needs no privilege; a refusal leaves the default. */
	struct sched_param sp = { 0 };
	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0)
		io_fail("sched_setscheduler(SCHED_BATCH)");
	if (seccomp_install_io(vm) < 0)
		_exit(HC_EXIT_SANDBOX);
	int polling = 0, idle = 0;
	net_each(vm, 1, 0);
	for (;;) {
		if (polling)
			sched_yield();
		int wait = polling ? 0 : owing(vm, 0) ? IO_RETRY_MS : -1;
		int k = epoll_wait(vm->io_epoll, ev, 16, wait);
		if (k < 0 && errno != EINTR) {
			io_fail("epoll_wait");
			_exit(HC_EXIT_VMFAULT);
		}
		if (k == 0 && !polling)
			owing(vm, 1); /* a quiet second, an interrupt still unanswered */
		int moved = 0;        /* VNET_TX, VNET_RX */
		for (int j = 0; j < k; j++) {
			unsigned i = ev[j].data.u32 >> 8, what = ev[j].data.u32 & 0xff;
			struct vdev *d = &vm->vdev[i];
			if (what == EV_KICK0 || what == EV_KICK1) {
				vm->io_kicks++;
			} else if (what == EV_CTL) {
				drain(d->ctl);
			}
			pthread_mutex_lock(&d->lock);
			if (d->id == VIRTIO_ID_NET && !d->vhost)
				moved |= vnet_serve(d, what == EV_TAP);
			else if (d->id == VIRTIO_ID_BLK)
				vblk_serve(d);
			pthread_mutex_unlock(&d->lock);
			vm->io_wakeups++;
		}
		if (polling) {
			int found = net_each(vm, 0, 1);
			vm->io_looks++;
			vm->io_found += found != 0;
			moved |= found;
		}
		if (moved & VNET_RX) {
			polling = 1, idle = 0;
		} else if (polling && (moved || ++idle >= IO_POLL_IDLE)) {
			/* Answered, or nothing for a while: ask for kicks again, looking
			 * once more for what came before the guest could see that. */
			polling = (net_each(vm, 1, 1) & VNET_RX) != 0, idle = 0;
		}
	}
	return NULL;
}

/* Recipe: KVM_CREATE_IRQCHIP before the vCPU (kvm_open), the devices' command-line
 * words before pvh_write (io_cmdline), then io_setup after kvm_open and before the
 * vCPU thread's seccomp filter. The thread starts with every signal blocked, so
 * SIGALRM and SIGTERM keep going to the vCPU thread. */
int io_setup(struct vm *vm)
{
	sigset_t all, old;

	vm->io_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (vm->io_epoll < 0)
		return io_fail("epoll_create1");
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		d->mem = vm->mem;
		d->mem_size = vm->mem_size;
		pthread_mutex_init(&d->lock, NULL);
		if (io_device(vm, d, (unsigned)i) < 0)
			return -1;
		if (d->id == VIRTIO_ID_NET && !d->vhost &&
		    epoll_add(vm->io_epoll, vm->vnet_tap, EPOLLIN | EPOLLET,
		              (unsigned)i << 8 | EV_TAP) < 0)
			return io_fail("epoll_ctl");
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int r = pthread_create(&t, NULL, io_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r;
		return io_fail("pthread_create");
	}
	return 0;
}

/* The guest finds the devices by Linux's word SIZE@BASE:IRQ, as QEMU microvm and
 * Firecracker pass them, appended after the app's arguments (the guest takes them
 * out). -1 if the command line has no room. */
int io_cmdline(const struct vm *vm, char *cmdline, size_t size)
{
	size_t len = strlen(cmdline);

	for (int i = 0; i < vm->nvdev; i++) {
		int k = snprintf(cmdline + len, size - len, "%svirtio_mmio.device=%u@0x%llx:%u",
		                 len ? " " : "", VMMIO_SIZE,
		                 (unsigned long long)(VMMIO_BASE + (unsigned)i * VMMIO_SIZE),
		                 VMMIO_GSI + i);
		if (k < 0 || (size_t)k >= size - len)
			return -1;
		len += (size_t)k;
	}
	return 0;
}

/* KVM_EXIT_MMIO in the devices' window (the CPUID feature leaf names all of it): a
 * device's registers, or an empty slot that reads as 0 (no magic: no device). 0 if
 * it was in the window. */
int io_mmio(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint64_t a = run->mmio.phys_addr;

	if (a < VMMIO_BASE || a - VMMIO_BASE >= (uint64_t)VMMIO_MAX * VMMIO_SIZE ||
	    run->mmio.len > 8)
		return -1;
	uint64_t i = (a - VMMIO_BASE) / VMMIO_SIZE, off = (a - VMMIO_BASE) % VMMIO_SIZE;
	if (off + run->mmio.len > VMMIO_SIZE)
		return -1;
	if (i < (uint64_t)vm->nvdev)
		vmmio_access(&vm->vdev[i], off, run->mmio.data, run->mmio.len, run->mmio.is_write);
	else if (!run->mmio.is_write)
		memset(run->mmio.data, 0, run->mmio.len);
	return 0;
}
