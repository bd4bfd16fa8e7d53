// SPDX-License-Identifier: MIT
/* --vhost: virtio-net's two queues served by the host kernel's vhost-net, so no
 * monitor thread is in the data path: the guest's kick (the queue's ioeventfd) wakes
 * vhost's worker, which moves frames between the rings and the tap and interrupts
 * through the device's irqfd. The monitor keeps the register block (vmmio.c) and, at
 * DRIVER_OK, hands the kernel the rings vq_setup() checked against guest RAM; it no
 * longer sees frames. Trusts the kernel's tap with the guest's virtio-net headers
 * (vnet.c rebuilds them on the I/O thread's path; here tun's own checks apply). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

/* The ring's features, the ones vhost implements: the rest of the offered set
 * (MAC, STATUS, the checksum and TSO bits) are the tap's and the config space's. */
#define RING_FEATURES                                                                              \
	(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_NET_F_MRG_RXBUF)

static struct {
	int fd;            /* /dev/vhost-net; -1: not --vhost */
	int tap;           /* the backend */
	uint64_t features; /* VHOST_GET_FEATURES */
	int attached;      /* the backend is set on both queues */
} h = { .fd = -1, .tap = -1 };

static int fail(const char *what)
{
	msg("spore-kvm: --vhost: %s: %s\n", what, strerror(errno));
	return -1;
}

/* SCHED_BATCH for the kernel's worker, as iothread.c gives the I/O thread (the why is
 * there): woken by a kick, it then does not preempt the vCPU that kicked, which runs
 * on to its halt, and the worker serves a batch, not a frame. The worker is named
 * vhost-TID after the thread that set the owner (this one): a thread of ours on
 * kernels from 6.4, a kthread before. Not found or refused (no CAP_SYS_NICE for a
 * kthread): the kernel's default, with one line. */
static void worker_batch(void)
{
	static const char *const where[] = { "/proc/self/task", "/proc" };
	char want[32], comm[32], path[300];
	struct sched_param sp = { 0 };

	snprintf(want, sizeof(want), "vhost-%d\n", (int)syscall(SYS_gettid));
	for (unsigned i = 0; i < 2; i++) {
		DIR *dir = opendir(where[i]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/%s/comm", where[i], e->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t k = fd < 0 ? -1 : read(fd, comm, sizeof(comm) - 1);
			if (fd >= 0)
				close(fd);
			if (k <= 0 || (comm[k] = 0, strcmp(comm, want) != 0))
				continue;
			if (sched_setscheduler(atoi(e->d_name), SCHED_BATCH, &sp) < 0)
				fail("SCHED_BATCH for the vhost worker (it keeps the default)");
			closedir(dir);
			return;
		}
		if (dir)
			closedir(dir);
	}
	msg("spore-kvm: --vhost: no vhost worker thread found (it keeps the default policy)\n");
}

/* Start-up, before the device is offered: /dev/vhost-net, its owner (this process:
 * the worker then works in our address space), what it serves. -1 after a message. */
int vhost_open(struct vm *vm)
{
	h.fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (h.fd < 0) {
		msg("spore-kvm: --vhost: /dev/vhost-net: %s (modprobe vhost_net, or run without "
		    "--vhost)\n",
		    strerror(errno));
		return -1;
	}
	if (ioctl(h.fd, VHOST_SET_OWNER) < 0)
		return fail("VHOST_SET_OWNER");
	worker_batch(); /* the owner made it */
	if (ioctl(h.fd, VHOST_GET_FEATURES, &h.features) < 0)
		return fail("VHOST_GET_FEATURES");
	if (!(h.features & 1ull << VIRTIO_F_VERSION_1)) {
		msg("spore-kvm: --vhost: this vhost-net has no VIRTIO_F_VERSION_1 (the devices are "
		    "virtio 1.x only)\n");
		return -1;
	}
	vm->vhost_fd = h.fd;
	h.tap = vm->vnet_tap;
	return 0;
}

/* The device offers only the ring features vhost serves (called after vnet_init). */
void vhost_features(struct vdev *d)
{
	d->features &= ~RING_FEATURES | h.features;
	d->vhost = 1;
}

/* After io_setup, before the sandbox: the guest's RAM as one region at guest physical
 * 0 (vhost translates every descriptor through it: a buffer outside RAM is its
 * error, never our memory), each queue's kick (the ioeventfd) and call (the irqfd). */
int vhost_bind(const struct vm *vm, const struct vdev *d)
{
	static union {
		struct vhost_memory m;
		uint8_t b[sizeof(struct vhost_memory) + sizeof(struct vhost_memory_region)];
	} t;
	void *ram = gm_at(vm->mem, vm->mem_size, 0, vm->mem_size);

	if (!ram)
		return fail("guest RAM");
	t.m.nregions = 1;
	t.m.regions[0] = (struct vhost_memory_region){ .guest_phys_addr = 0,
		                                       .memory_size = vm->mem_size,
		                                       .userspace_addr = (uintptr_t)ram };
	if (ioctl(h.fd, VHOST_SET_MEM_TABLE, &t.m) < 0)
		return fail("VHOST_SET_MEM_TABLE");
	for (unsigned q = 0; q < d->nq; q++) {
		struct vhost_vring_file kick = { q, d->kick[q] }, call = { q, d->irqfd };
		if (ioctl(h.fd, VHOST_SET_VRING_KICK, &kick) < 0)
			return fail("VHOST_SET_VRING_KICK");
		if (ioctl(h.fd, VHOST_SET_VRING_CALL, &call) < 0)
			return fail("VHOST_SET_VRING_CALL");
	}
	return 0;
}

/* Both queues' backend: the tap, or -1 to stop them (the kernel flushes its
 * worker before returning, so nothing touches the rings after). */
static int backend(struct vdev *d, int fd)
{
	for (unsigned q = 0; q < d->nq; q++) {
		struct vhost_vring_file b = { q, fd };
		if (ioctl(h.fd, VHOST_NET_SET_BACKEND, &b) < 0)
			return fail(fd < 0 ? "VHOST_NET_SET_BACKEND (detach)"
			                   : "VHOST_NET_SET_BACKEND");
	}
	h.attached = fd >= 0;
	return 0;
}

/* DRIVER_OK with both queues live (vmmio.c, vCPU thread, d->lock held). Recipe:
 * features, then per queue its size, first index 0 (a fresh ring) and the three
 * addresses vq_setup() checked through gm_at(), then the backend, then a kick of
 * our own: buffers made available before the backend was set are seen now. A
 * refusal is the device's error: NEEDS_RESET, with a message. */
void vhost_start(struct vdev *d)
{
	uint64_t f = d->driver_features & h.features & RING_FEATURES;

	vnet_offload(d); /* the tap hands the guest only what it took (vnet.c) */
	if (ioctl(h.fd, VHOST_SET_FEATURES, &f) < 0) {
		fail("VHOST_SET_FEATURES");
		goto broken;
	}
	for (unsigned i = 0; i < d->nq; i++) {
		const struct vq *q = &d->q[i];
		struct vhost_vring_state num = { i, q->size }, base = { i, 0 };
		struct vhost_vring_addr a = { .index = i,
			                      .desc_user_addr = (uintptr_t)q->desc,
			                      .avail_user_addr = (uintptr_t)q->avail,
			                      .used_user_addr = (uintptr_t)q->used };
		if (!q->desc || !q->avail || !q->used || q->broken) {
			msg("spore-kvm: --vhost: virtio-net queue %u: not set up\n", i);
			goto broken;
		}
		if (ioctl(h.fd, VHOST_SET_VRING_NUM, &num) < 0 ||
		    ioctl(h.fd, VHOST_SET_VRING_BASE, &base) < 0 ||
		    ioctl(h.fd, VHOST_SET_VRING_ADDR, &a) < 0) {
			fail("virtio-net queue set-up");
			goto broken;
		}
	}
	if (backend(d, h.tap) < 0)
		goto detach;
	for (unsigned q = 0; q < d->nq; q++) {
		uint64_t one = 1;
		ssize_t r = write(d->kick[q], &one, sizeof(one)); /* EAGAIN: already kicked */
		(void)r;
	}
	return;
detach:
	backend(d, -1);
broken:
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->live = 0;
}

/* Device reset (vmmio.c, lock held): the kernel lets go of the rings before the
 * guest may reuse their memory; a later DRIVER_OK sets them up again. A kernel that
 * will not let go could write into memory the guest has reused: the guest ends. */
void vhost_stop(struct vdev *d)
{
	if (h.attached && backend(d, -1) < 0)
		_exit(HC_EXIT_HOSTIO);
}
