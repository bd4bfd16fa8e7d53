// SPDX-License-Identifier: MIT
/* --snapshot=FILE: at the guest's HC_READY, write its vCPU, devices and non-zero RAM
 * (snap.c's format) and exit 0. --restore=FILE: map that RAM MAP_PRIVATE (instances of
 * one snapshot share its untouched pages through the page cache), load the vCPU and
 * resume inside HC_READY with a new generation, the wall clock and fresh entropy.
 * Trusts nothing in a snapshot until snap_parse accepted it; RAM contents are the
 * guest's own and stay unchecked (a guest can harm only itself). The sandbox forbids
 * open, so FILE is made at start, unnamed (O_TMPFILE), and named by one linkat that
 * never replaces a file: an existing snapshot may be mapped by running instances. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

struct snapshot {
	struct core out; /* --snapshot: the unnamed file and its linkat paths */
	uint64_t ready_gpa;
};

/* The MSRs a spore guest's state lives in beyond the registers: the TSC (the
 * monotonic clock), syscall and swapgs state a ring-0 kernel may set, PAT. */
static const uint32_t msr_list[] = {
	0x10,                                           /* IA32_TSC */
	0x277,                                          /* IA32_PAT */
	0x174, 0x175, 0x176,                            /* SYSENTER_CS, _ESP, _EIP */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000102,                                     /* KERNEL_GS_BASE */
	0xc0000103,                                     /* TSC_AUX */
	/* With the in-kernel LAPIC only, and last: a restore sets them after KVM_SET_LAPIC
	 * (KVM takes a deadline only with the LAPIC's timer in TSC-deadline mode). Not
	 * kvmclock's: rewritten in a new VM they would restart the guest's clock near 0;
	 * the guest's pvti page stays as it was and the TSC goes on. */
	0x4b564d04, /* MSR_KVM_PV_EOI_EN */
	0x6e0,      /* IA32_TSC_DEADLINE */
};
#define MSR_IRQCHIP_ONLY 2 /* the last entries of msr_list */

static int fail(const char *path, const char *what)
{
	msg("spore-kvm: --snapshot=%s: %s: %s\n", path, what, strerror(errno));
	return -1;
}

/* Before the sandbox: FILE must not exist; an unnamed file in its directory. */
int snapshot_open(struct vm *vm, const char *path)
{
	static struct snapshot s;
	static char paths[SNAP_PAGE] __attribute__((aligned(SNAP_PAGE)));
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[1024];
	struct stat st;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strlen(path) >= 1000) {
		msg("spore-kvm: --snapshot=%s: want a file name\n", path);
		return -1;
	}
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		msg("spore-kvm: --snapshot=%s: %s\n", path,
		    errno == ENOENT || !errno
		            ? "exists; not overwritten (running instances may map it: remove it first)"
		            : strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	s.out.dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.out.dir < 0)
		return fail(path, "its directory");
	s.out.fd = openat(s.out.dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (s.out.fd < 0)
		return fail(path, "cannot make an unnamed file (O_TMPFILE) in its directory");
	int n = snprintf(paths, sizeof(paths), "/proc/self/fd/%d", s.out.fd);
	snprintf(paths + n + 1, sizeof(paths) - (size_t)n - 1, "%s", base);
	if (mprotect(paths, sizeof(paths), PROT_READ) < 0) /* seccomp pins these pointers */
		return fail(path, "mprotect");
	s.out.from = paths;
	s.out.name = paths + n + 1;
	s.out.path = path;
	vm->snap = &s;
	vm->snap_out = &s.out;
	return 0;
}

/* HC_READY: the app is ready. Under --snapshot the run loop writes the file once the
 * call is complete (snapshot_write); otherwise the guest learns its generation. */
int snapshot_ready(struct vm *vm, uint64_t gpa)
{
	struct hc_ready b;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_READY, "argument block outside guest RAM or misaligned", gpa);
	memset(&b, 0, sizeof(b));
	b.generation = vm->generation;
	hc_put(vm, gpa, &b, sizeof(b));
	if (vm->snap_out && !vm->snap_due) {
		vm->snap->ready_gpa = gpa;
		vm->snap_due = 1;
	}
	return -1;
}

static int page_zero(const uint8_t *p)
{
	static const uint8_t zero[SNAP_PAGE];

	return !p || memcmp(p, zero, SNAP_PAGE) == 0; /* NULL: not RAM, nothing to save */
}

/* Runs of non-zero pages; -1 when there are more than SNAP_EXTENT_MAX. */
static long find_extents(const struct vm *vm, struct snap_extent *e, uint64_t data_base)
{
	uint64_t npages = vm->mem_size / SNAP_PAGE, off = data_base;
	long n = 0;

	for (uint64_t p = 0; p < npages; p++) {
		if (page_zero(gm_at(vm->mem, vm->mem_size, p * SNAP_PAGE, SNAP_PAGE)))
			continue;
		if (n > 0 && e[n - 1].gpa + e[n - 1].pages * SNAP_PAGE == p * SNAP_PAGE) {
			e[n - 1].pages++;
		} else {
			if (n == SNAP_EXTENT_MAX)
				return -1;
			e[n++] = (struct snap_extent){ p * SNAP_PAGE, 1, 0 };
		}
	}
	for (long i = 0; i < n; i++) { /* the table's size sets where data starts */
		e[i].file_off = off;
		off += e[i].pages * SNAP_PAGE;
	}
	return n;
}

/* The virtio path: the irqchip (PICs, I/O APIC, the LAPIC), the vCPU's pending
 * events, and each device's transport and queues, taken under its lock so the I/O
 * thread is between two batches. A frame read from the tap and waiting for a buffer
 * is not kept: lost, as a network may lose it. */
static int get_virt(struct vm *vm, struct snap_virt *v)
{
	v->irqchip = 1;
	for (unsigned i = 0; i < 3; i++) {
		v->chip[i].chip_id = i; /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &v->chip[i]) < 0)
			return fail(vm->snap_out->path, "KVM_GET_IRQCHIP");
	}
	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &v->lapic) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &v->events) < 0)
		return fail(vm->snap_out->path, "reading the LAPIC and vCPU events");
	v->nvdev = (uint32_t)vm->nvdev;
	for (int i = 0; i < vm->nvdev; i++) {
		struct vdev *d = &vm->vdev[i];
		struct snap_vdev *s = &v->vdev[i];
		pthread_mutex_lock(&d->lock);
		*s = (struct snap_vdev){
			.id = d->id,
			.status = d->status,
			.live = (uint32_t)d->live,
			.isr = __atomic_load_n(&d->isr, __ATOMIC_ACQUIRE),
			.dev_sel = d->dev_sel,
			.drv_sel = d->drv_sel,
			.queue_sel = d->queue_sel,
			.driver_features = d->driver_features,
			.mtu = vdev_mtu(d),
		};
		for (unsigned q = 0; q < VDEV_QUEUES; q++) {
			s->qcfg[q] = d->qcfg[q];
			s->q[q] = (struct snap_vq){ .last_avail = d->q[q].last_avail,
				                    .avail_idx = d->q[q].avail_idx,
				                    .used_idx = d->q[q].used_idx,
				                    .signalled = d->q[q].signalled,
				                    .event_idx = d->q[q].event_idx ? 1 : 0 };
		}
		pthread_mutex_unlock(&d->lock);
	}
	return 0;
}

/* The vCPU's state. KVM_RUN with immediate_exit first: it completes the port write
 * (ring 0: rip moves past the outl only on the next entry) and loads the registers
 * the ring-3 trap path left in kvm_run (sync regs), then returns EINTR at once. */
static int get_vcpu(struct vm *vm, struct snap_meta *m)
{
	union { /* kvm_msrs ends in a flexible array: room for one entry */
		struct kvm_msrs h;
		uint8_t raw[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} one;

	vm->run->immediate_exit = 1;
	int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	vm->run->immediate_exit = 0;
	if (r == 0 || errno != EINTR)
		return fail(vm->snap_out->path, "KVM_RUN to complete the call");
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &m->regs) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_SREGS, &m->sregs) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_FPU, &m->fpu) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_XSAVE, &m->xsave) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_XCRS, &m->xcrs) < 0)
		return fail(vm->snap_out->path, "reading the vCPU state");
	/* One at a time: KVM stops at the first MSR it lacks; keep those it has. */
	/* The virtio path: an irqchip serving devices in ring 0. kvm_pvm's ring-3 guests
	 * may have an irqchip made before the mode was known, and no use for it. */
	int virt = vm->irqchip && !vm->ring3 && vm->nvdev > 0;
	size_t nmsr = sizeof(msr_list) / sizeof(msr_list[0]) - (virt ? 0 : MSR_IRQCHIP_ONLY);
	for (size_t i = 0; i < nmsr; i++) {
		memset(&one, 0, sizeof(one));
		one.h.nmsrs = 1;
		one.h.entries[0].index = msr_list[i];
		if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &one) != 1)
			continue;
		m->dev.msrs[m->dev.nmsrs++] =
			(struct snap_msr){ .index = msr_list[i], .data = one.h.entries[0].data };
		if (msr_list[i] == 0x10)
			m->dev.tsc = one.h.entries[0].data;
	}
	return virt ? get_virt(vm, &m->virt) : 0;
}

/* At the first HC_READY under --snapshot: the file, named; 0 (the monitor exits 0),
 * or HC_EXIT_HOSTIO after a message. Data first, the header last, then the name: a
 * file cut short anywhere has no valid header and is never named. */
int snapshot_write(struct vm *vm)
{
	static struct snap_meta m;
	static struct snap_extent ext[SNAP_EXTENT_MAX];
	struct snapshot *s = vm->snap;
	struct snap_hdr h = { .version = SNAP_VERSION, .abi = HC_ABI_VERSION };
	struct timespec now;

	memset(&m, 0, sizeof(m));
	if (get_vcpu(vm, &m) < 0)
		return HC_EXIT_HOSTIO;
	clock_gettime(CLOCK_MONOTONIC, &now);
	m.dev.ready_gpa = s->ready_gpa;
	m.dev.generation = vm->generation;
	m.dev.mono_ns = (uint64_t)(now.tv_sec - vm->t0.tv_sec) * 1000000000ull +
	                (uint64_t)(now.tv_nsec - vm->t0.tv_nsec);
	m.dev.tsc_khz = vm->tsc_khz;
	/* On the virtio path the devices own the tap and the disk (vnet_tap, vblk_disk). */
	m.dev.disk_sectors = vm->disk_fd >= 0 || vm->vblk_disk >= 0 ? vm->disk_sectors : 0;
	m.dev.net_present = vm->tap_fd >= 0 || vm->vnet_tap >= 0;
	memcpy(m.dev.net_mac, vm->net_mac, 6);
	m.image = *vm->im;
	/* Two passes over RAM: count the extents (the data starts after the table). */
	long n = find_extents(vm, ext, 0);
	if (n < 0) {
		msg("spore-kvm: --snapshot=%s: RAM is in more than %u runs of non-zero pages\n",
		    s->out.path, SNAP_EXTENT_MAX);
		return HC_EXIT_HOSTIO;
	}
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.image_hash = vm->image_hash;
	h.mem_size = vm->mem_size;
	h.mode = vm->ring3 ? 1 : 0;
	h.meta_off = sizeof(h);
	h.meta_len = sizeof(m);
	h.nextents = (uint64_t)n;
	h.data_off = snap_data_off(h.nextents);
	find_extents(vm, ext, h.data_off);
	h.file_size = h.data_off;
	uint64_t ram = 0;
	for (long i = 0; i < n; i++) {
		uint64_t len = ext[i].pages * SNAP_PAGE;
		const void *src =
			gm_at(vm->mem, vm->mem_size, ext[i].gpa, len); /* in RAM by find_extents */
		if (!src || core_pwrite_all(s->out.fd, src, len, ext[i].file_off) < 0)
			return fail(s->out.path, "writing RAM"), HC_EXIT_HOSTIO;
		ram += len;
	}
	h.file_size += ram;
	/* The metadata and the table are hashed as one run: lay them out that way. */
	static uint8_t meta[sizeof(m) + sizeof(ext)];
	memcpy(meta, &m, sizeof(m));
	memcpy(meta + sizeof(m), ext, (size_t)n * sizeof(ext[0]));
	uint64_t meta_bytes = sizeof(m) + (uint64_t)n * sizeof(ext[0]);
	h.meta_sum = snap_hash(meta, meta_bytes);
	h.hdr_sum = snap_hdr_sum(&h);
	if (core_pwrite_all(s->out.fd, meta, meta_bytes, h.meta_off) < 0 ||
	    core_pwrite_all(s->out.fd, &h, sizeof(h), 0) < 0)
		return fail(s->out.path, "writing the metadata"), HC_EXIT_HOSTIO;
	if (n == 0 &&
	    core_pwrite_all(s->out.fd, "", 1, h.file_size - 1) < 0) /* the padding's end */
		return fail(s->out.path, "writing the metadata"), HC_EXIT_HOSTIO;
	if (linkat(AT_FDCWD, s->out.from, s->out.dir, s->out.name, AT_SYMLINK_FOLLOW) < 0) {
		msg("spore-kvm: --snapshot=%s: %s\n", s->out.path,
		    errno == EEXIST ? "appeared while the guest ran; not overwritten"
		                    : strerror(errno));
		return HC_EXIT_HOSTIO;
	}
	msg("spore-kvm: snapshot written to %s (%llu KiB of RAM in %ld extents)\n", s->out.path,
	    (unsigned long long)(ram / 1024), n);
	return 0;
}
