// SPDX-License-Identifier: MIT
/* --restore=FILE [IMAGE]: guest RAM mapped MAP_PRIVATE from a snapshot (snap.c), one
 * mmap per extent over an anonymous mapping (the zero pages between them), so the
 * instances restored from one file share every page none of them wrote. The header
 * and metadata are read once into the monitor and checked by snap_parse before any
 * of it is used; a refusal is one line and HC_EXIT_SNAPSHOT. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

/* The image file's hash, to refuse a snapshot of another image; 0 after a message. */
static uint64_t image_hash(const char *path)
{
	char err[200];
	struct stat st;
	uint8_t *img;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg("spore-kvm: %s: %s\n", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int r = image_read(fd, (uint64_t)st.st_size, &img, err, sizeof(err));
	close(fd);
	if (r < 0) {
		msg("spore-kvm: %s: %s\n", path, err);
		return 0;
	}
	uint64_t h = snap_hash(img, (size_t)st.st_size);
	free(img);
	return h ? h : 1;
}

/* The header, then everything up to the first extent (metadata and table), as far
 * as the header's own layout is plausible; snap_parse judges what was read. */
static uint8_t *read_prefix(int fd, uint64_t file_size, size_t *len)
{
	struct snap_hdr h;
	size_t n = sizeof(h);

	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.data_off >= sizeof(h) &&
	    h.data_off <= file_size && h.data_off <= snap_data_off((uint64_t)SNAP_EXTENT_MAX))
		n = (size_t)h.data_off;
	uint8_t *buf = calloc(1, n);
	if (buf == NULL)
		return NULL;
	ssize_t got = pread(fd, buf, n, 0);
	*len = got > 0 ? (size_t)got : 0;
	return buf;
}

int restore_open(struct vm *vm, const char *path, const char *image)
{
	static struct snap s;
	static struct image im;
	char err[200];
	struct stat st;
	size_t len;
	uint64_t want = 0;

	if (image && (want = image_hash(image)) == 0)
		return HC_EXIT_SETUP;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg("spore-kvm: --restore=%s: %s\n", path,
		    fd < 0 ? strerror(errno) : "not a regular file");
		return HC_EXIT_SETUP;
	}
	uint8_t *buf = read_prefix(fd, (uint64_t)st.st_size, &len); /* kept: s points into it */
	if (buf == NULL) {
		msg("spore-kvm: --restore=%s: out of memory\n", path);
		return HC_EXIT_SETUP;
	}
	if (snap_parse(buf, len, (uint64_t)st.st_size, HC_ABI_VERSION, want, &s, err, sizeof(err)) <
	    0) {
		msg("spore-kvm: --restore=%s: refused: %s\n", path, err);
		return HC_EXIT_SNAPSHOT;
	}
	vm->mem_size = s.hdr.mem_size;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		msg("spore-kvm: cannot map %llu bytes of guest RAM: %s\n",
		    (unsigned long long)vm->mem_size, strerror(errno));
		return HC_EXIT_SETUP;
	}
	madvise(vm->mem, vm->mem_size, MADV_DONTDUMP);
	madvise(vm->mem, vm->mem_size, MADV_NOHUGEPAGE); /* as main.c: only what is touched */
	for (uint64_t i = 0; i < s.hdr.nextents; i++) {
		const struct snap_extent *e = &s.ext[i];
		uint8_t *at = gm_at(vm->mem, vm->mem_size, e->gpa,
		                    e->pages * SNAP_PAGE); /* parse: inside */
		if (at == NULL ||
		    mmap(at, e->pages * SNAP_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		         fd, (off_t)e->file_off) == MAP_FAILED) {
			msg("spore-kvm: --restore=%s: cannot map RAM extent %llu: %s\n", path,
			    (unsigned long long)i, strerror(errno));
			return HC_EXIT_SETUP;
		}
	}
	close(fd); /* the mappings hold the file */
	im = s.meta->image;
	vm->im = &im;
	vm->ring3 = s.hdr.mode == 1;
	memcpy(vm->net_mac, s.meta->dev.net_mac, 6);
	vm->net_mac_set = 1;
	vm->restored = &s;
	return 0;
}

static int vcpu_fail(const char *what)
{
	msg("spore-kvm: --restore: %s: %s\n", what, strerror(errno));
	return -1;
}

/* In kvm_start, in place of the fresh registers: the devices must be those the guest
 * had, then the vCPU as it was, the monitor's clock continued, and the guest's ready
 * block told the generation, the wall clock and new entropy. */
int restore_vcpu(struct vm *vm)
{
	const struct snap_meta *m = vm->restored->meta;
	const struct snap_dev *d = &m->dev;
	union { /* kvm_msrs ends in a flexible array: room for SNAP_MSR_MAX */
		struct kvm_msrs h;
		uint8_t raw[sizeof(struct kvm_msrs) + SNAP_MSR_MAX * sizeof(struct kvm_msr_entry)];
	} msrs = { .h.nmsrs = d->nmsrs };
	struct timespec now;

	const struct snap_virt *v = &m->virt;
	if (d->net_present != (vm->tap_fd >= 0 || vm->vnet_tap >= 0)) {
		msg("spore-kvm: --restore: the snapshot's guest %s\n",
		    d->net_present ? "has a network device: give --net=TAP"
		                   : "has no network device: drop --net");
		return -1;
	}
	if (d->disk_sectors != (vm->disk_fd >= 0 || vm->vblk_disk >= 0 ? vm->disk_sectors : 0)) {
		msg("spore-kvm: --restore: the snapshot's guest had a disk of %llu sectors; give --disk "
		    "with one of that size\n",
		    (unsigned long long)d->disk_sectors);
		return -1;
	}
	for (uint32_t i = 0; i < d->nmsrs; i++)
		msrs.h.entries[i] = (struct kvm_msr_entry){ .index = d->msrs[i].index,
			                                    .data = d->msrs[i].data };
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &m->sregs) < 0)
		return vcpu_fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &m->regs) < 0)
		return vcpu_fail("KVM_SET_REGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_FPU, &m->fpu) < 0)
		return vcpu_fail("KVM_SET_FPU");
	if (ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &m->xsave) < 0)
		return vcpu_fail("KVM_SET_XSAVE");
	if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &m->xcrs) < 0)
		return vcpu_fail("KVM_SET_XCRS");
	/* The irqchip before the MSRs: the TSC deadline needs the LAPIC's timer mode, which
	 * needs the LAPIC enabled (sregs' apic_base, set above). */
	for (unsigned i = 0; v->irqchip && i < 3; i++) {
		struct kvm_irqchip c = v->chip[i];
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
			return vcpu_fail("KVM_SET_IRQCHIP");
	}
	if (v->irqchip && ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &v->lapic) < 0)
		return vcpu_fail("KVM_SET_LAPIC");
	int n = ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs); /* MSRs set: it stops at a refused one */
	if (n < 0)
		return vcpu_fail("KVM_SET_MSRS");
	if (n < (int)d->nmsrs) {
		msg("spore-kvm: --restore: this KVM refuses MSR 0x%x of the snapshot (made on another host?)\n",
		    d->msrs[n].index);
		return -1;
	}
	if (v->irqchip) {
		struct kvm_vcpu_events e = v->events;
		e.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
		           KVM_VCPUEVENT_VALID_SHADOW; /* no TSC or SMM state from a file */
		if (ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &e) < 0)
			return vcpu_fail("KVM_SET_VCPU_EVENTS");
	}
	/* HC_TIME's mono_ns goes on from the snapshot's, as the guest TSC does. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t t0 = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - (int64_t)d->mono_ns;
	vm->t0 = (struct timespec){ .tv_sec = t0 / 1000000000, .tv_nsec = t0 % 1000000000 };
	if (vm->t0.tv_nsec < 0) {
		vm->t0.tv_sec--;
		vm->t0.tv_nsec += 1000000000;
	}
	vm->generation = d->generation + 1;
	struct hc_ready b = { .generation = vm->generation };
	clock_gettime(CLOCK_REALTIME, &now);
	b.wall_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (getrandom(b.seed, sizeof(b.seed), 0) != (ssize_t)sizeof(b.seed))
		return vcpu_fail("getrandom");
	uint8_t *at = gm_at(vm->mem, vm->mem_size, d->ready_gpa, sizeof(b)); /* parse: inside */
	if (at == NULL)
		return -1;
	memcpy(at, &b, sizeof(b));
	return 0;
}

/* Before io_setup: each device as the guest left it. The devices this monitor built
 * (from --net, --disk) must be the snapshot's, in its order; every queue is set up
 * again through vq_setup's checks (gm_at), as at the guest's QUEUE_READY, and a
 * refusal is the snapshot's fault: HC_EXIT_SNAPSHOT. 0 when all is restored. */
int restore_devices(struct vm *vm)
{
	const struct snap_virt *v = &vm->restored->meta->virt;

	if (v->nvdev != (uint32_t)vm->nvdev) {
		msg("spore-kvm: --restore: the snapshot's guest has %u virtio devices, this monitor "
		    "%d (give the same --net and --disk)\n",
		    v->nvdev, vm->nvdev);
		return HC_EXIT_SNAPSHOT;
	}
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		const struct snap_vdev *s = &v->vdev[i];
		if (s->id != d->id || (s->driver_features & ~d->features)) {
			msg("spore-kvm: --restore: refused: virtio device %d is not the snapshot's\n",
			    i);
			return HC_EXIT_SNAPSHOT;
		}
		d->status = s->status;
		d->live = (int)s->live;
		d->isr = s->isr;
		d->dev_sel = s->dev_sel;
		d->drv_sel = s->drv_sel;
		d->queue_sel = s->queue_sel;
		d->driver_features = s->driver_features;
		if (vdev_mtu(d) != s->mtu) {
			msg("spore-kvm: --restore: refused: the snapshot's guest took MTU %u, the tap "
			    "offers %u (give a tap of the same MTU)\n",
			    s->mtu, vdev_mtu(d));
			return HC_EXIT_SNAPSHOT;
		}
		for (unsigned q = 0; q < d->nq; q++) {
			const struct vdev_qcfg *c = &s->qcfg[q];
			d->qcfg[q] = *c;
			memset(&d->q[q], 0, sizeof(d->q[q]));
			if (!c->ready)
				continue;
			struct vq *vq = &d->q[q];
			if (vq_setup(vq, vm->mem, vm->mem_size, (uint16_t)c->num, c->desc, c->avail,
			             c->used, (int)s->q[q].event_idx) < 0) {
				msg("spore-kvm: --restore: refused: virtio device %d queue %u: %s\n",
				    i, q, vq->broken);
				return HC_EXIT_SNAPSHOT;
			}
			vq->last_avail = s->q[q].last_avail;
			vq->avail_idx = s->q[q].avail_idx;
			vq->used_idx = s->q[q].used_idx;
			vq->signalled = s->q[q].signalled;
		}
	}
	return 0;
}

static void wake(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one)); /* EAGAIN: it is already awake */
	(void)r;
}

/* After io_setup: the I/O thread serves each device once (what the guest queued
 * before the snapshot and frames already in the new tap), and a device whose
 * interrupt was raised and not yet acknowledged raises it again: the irqchip state
 * kept the pin's, but a second one costs the guest one look at its rings, a lost one
 * a stall. */
void restore_wake(struct vm *vm)
{
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		if (__atomic_load_n(&d->isr, __ATOMIC_ACQUIRE))
			vmmio_pulse(d);
		wake(d->ctl);
	}
}
