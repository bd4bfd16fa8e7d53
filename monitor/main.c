// SPDX-License-Identifier: MIT
/* spore-kvm: boots one spore image on KVM with one vCPU and serves its hypercalls.
 * This file: options, the set-up order, the run loop and its traps. Devices: the
 * hypercall ones, or virtio-mmio served by the I/O thread (iothread.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

static const char usage[] =
	"usage: spore-kvm [--mem=SIZE] [--timeout=SECONDS] [--net=TAP [--mac=MAC]] IMAGE [ARGS...]\n"
	"  --mem=SIZE         guest RAM, bytes or with K/M/G suffix (default 8M, 2M..64G)\n"
	"  --timeout=SECONDS  end the guest after SECONDS (status 252)\n"
	"  --net=TAP          attach the existing tap device TAP as the guest's network\n"
	"  --mac=MAC          the guest's MAC (default: random, locally administered)\n"
	"  --stats            print hypercall and frame counts at exit (and on SIGTERM)\n"
	"  --vhost            --net's virtio-net queues served by the host kernel's vhost-net\n"
	"                     (/dev/vhost-net; ring 0 on ordinary KVM only)\n"
	"  --initrd=FILE      a tar archive: the guest's read-only root filesystem\n"
	"  --disk=FILE        a file of 512-byte sectors: the guest's block device\n"
	"  --mode=auto|ring3|ring0  start mode (default auto: ring 3 on kvm_pvm, else ring 0)\n"
	"  --gdb=PATH         wait for gdb on a Unix socket at PATH (mode 0600) before the first\n"
	"                     instruction (gdb IMAGE -ex 'target remote PATH'; docs/debugging.md)\n"
	"  --core=FILE        on a guest crash (status 120) or timeout (252) write an ELF core\n"
	"                     to FILE (gdb IMAGE FILE)\n"
	"  --io=virtio|hypercall  devices: virtio-mmio with an in-kernel irqchip (default where the\n"
	"                     guest runs in ring 0; with --snapshot only if given), or the hypercall\n"
	"                     devices\n"
	"  --snapshot=FILE    when the app is ready, write a snapshot to FILE and exit 0\n"
	"  --restore=FILE     resume a snapshot (IMAGE optional: checked against it; no ARGS, --mem)\n"
	"  --image=share|copy the image's read-only pages mapped from its file, shared by every\n"
	"                     instance (default), or copied into guest RAM (an image file that\n"
	"                     may be rewritten in place while the guest runs)\n"
	"ARGS are joined with spaces into the guest command line (at most 4095 bytes).\n"
	"Exit status: the guest's, or 120 guest CPU exception, 249 set-up error, 250 bad hypercall,\n"
	"251 VM fault, 252 timeout, 253 stdout closed or tap deleted, 254 sandbox violation,\n"
	"248 snapshot refused (truncated, corrupted, foreign), 137 killed by gdb.\n";

/* Formats into a stack buffer and writes once: no stdio buffers, no allocation, so it
 * is safe under the seccomp filter (write only). */
void msg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

/* --stats: counts at exit, also when the monitor is told to stop (SIGTERM,
 * SIGINT: a server guest never exits by itself). write() and exit_group are
 * in the sandbox's allowlist. */
static struct vm *stats_vm;

static unsigned long long vdev_irqs(const struct vm *v)
{
	uint64_t n = 0;
	for (int i = 0; i < v->nvdev; i++)
		n += v->vdev[i].irqs;
	return n;
}

void print_stats(void)
{
	const struct vm *v = stats_vm;

	if (v) {
		const uint64_t *e = v->exits;
		uint64_t all = 0;
		for (int i = 0; i < 64; i++)
			all += e[i];
		msg("spore-kvm: exits: %llu: io %llu, mmio %llu, hlt %llu, intr %llu, other %llu\n",
		    (unsigned long long)all, (unsigned long long)e[KVM_EXIT_IO],
		    (unsigned long long)e[KVM_EXIT_MMIO], (unsigned long long)e[KVM_EXIT_HLT],
		    (unsigned long long)e[KVM_EXIT_INTR],
		    (unsigned long long)(all - e[KVM_EXIT_IO] - e[KVM_EXIT_MMIO] - e[KVM_EXIT_HLT] -
		                         e[KVM_EXIT_INTR]));
	}
	if (v && v->nvdev)
		msg("spore-kvm: virtio: %llu kicks, %llu interrupts, %llu I/O thread wake-ups; net: "
		    "%llu frames sent, %llu received, %llu dropped\n",
		    (unsigned long long)v->io_kicks, (unsigned long long)vdev_irqs(v),
		    (unsigned long long)v->io_wakeups, (unsigned long long)vnet_tx,
		    (unsigned long long)vnet_rx, (unsigned long long)vnet_drops);
	if (v && v->io_looks)
		msg("spore-kvm: I/O thread: %llu looks after a yield, %llu of them found frames "
		    "(no kick, no wake-up)\n",
		    (unsigned long long)v->io_looks, (unsigned long long)v->io_found);
	if (v && v->io_retries)
		msg("spore-kvm: virtio: %llu interrupts raised again, unanswered after a quiet "
		    "second (a wake-up lost, or the guest held up)\n",
		    (unsigned long long)v->io_retries);
	if (v && v->vhost_fd >= 0)
		msg("spore-kvm: virtio-net: data path vhost-net (the host kernel's: its frames, "
		    "kicks and interrupts are not counted here)\n");
	if (v && v->nvdev && (vnet_tx || vnet_rx))
		msg("spore-kvm: virtio-net: to the guest %llu TCP segments (%llu as GSO) of %llu bytes, "
		    "%llu bare; from it %llu (%llu as GSO) of %llu bytes, %llu bare; tap reads %llu "
		    "(%llu empty), writes %llu\n",
		    (unsigned long long)vnet_seg[0], (unsigned long long)vnet_gso[0],
		    (unsigned long long)vnet_bytes[0], (unsigned long long)vnet_bare[0],
		    (unsigned long long)vnet_seg[1], (unsigned long long)vnet_gso[1],
		    (unsigned long long)vnet_bytes[1], (unsigned long long)vnet_bare[1],
		    (unsigned long long)vnet_reads, (unsigned long long)vnet_empty,
		    (unsigned long long)vnet_writes);
	if (v && v->vblk_disk >= 0)
		msg("spore-kvm: virtio-blk: %llu requests, %llu failed\n",
		    (unsigned long long)vblk_reqs, (unsigned long long)vblk_errors);
	if (v)
		msg("spore-kvm: stats: %llu hypercalls; net: %llu calls, %llu frames sent, %llu received; "
		    "%llu send calls, %llu receive calls, at most %llu frames in one\n",
		    (unsigned long long)v->hypercalls,
		    (unsigned long long)(v->net_tx_calls + v->net_rx_calls),
		    (unsigned long long)v->net_tx, (unsigned long long)v->net_rx,
		    (unsigned long long)v->net_tx_calls, (unsigned long long)v->net_rx_calls,
		    (unsigned long long)v->net_rx_most);
}

/* Guest RAM pages in [gpa, gpa + len) that mincore calls resident; -1: outside RAM. */
static int64_t resident_pages(const struct vm *v, uint64_t gpa, uint64_t len)
{
	static unsigned char vec[4096]; /* 16 MiB of guest RAM a call */
	uint64_t npages = len >> 12, resident = 0;

	for (uint64_t pg = 0; pg < npages; pg += sizeof(vec)) {
		uint64_t n = npages - pg < sizeof(vec) ? npages - pg : sizeof(vec);
		void *at = gm_at(v->mem, v->mem_size, gpa + (pg << 12), n << 12);
		if (!at || mincore(at, n << 12, vec) < 0)
			return -1;
		for (uint64_t i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	return (int64_t)resident;
}

/* --stats, last thing before the sandbox: what set-up cost in memory, as counts that
 * carry over between hosts (docs/monitor.md, "Launch"): guest RAM pages resident
 * (the image, the boot data, ring 3's page tables) and the monitor's page faults so
 * far. The guest's own touches are the process's faults at exit minus these
 * (bench/launch.c -m): the sandbox allows neither call later. The image's pages
 * mapped from its file (image_share) are counted apart: mincore calls them resident
 * when they are in the page cache, which every instance shares. */
static void print_setup_pages(const struct vm *v)
{
	struct rusage ru;
	int64_t own, shared = 0, mapped = 0;

	if (getrusage(RUSAGE_SELF, &ru) < 0) /* first: the loops below fault vec in */
		return;
	own = resident_pages(v, 0, v->mem_size);
	for (int i = 0; v->im && i < v->im->nseg && own >= 0; i++) {
		const struct image_map *m = &v->im->map[i];
		int64_t r = m->len ? resident_pages(v, m->gpa, m->len) : 0;
		if (r < 0)
			return;
		own -= r;
		shared += r;
		mapped += (int64_t)(m->len >> 12);
	}
	if (v->initrd_map.len && own >= 0) { /* counted with the image's: shared the same way */
		int64_t r = resident_pages(v, v->initrd_map.gpa, v->initrd_map.len);
		own = r < 0 ? -1 : own - r;
		shared += r;
		mapped += (int64_t)(v->initrd_map.len >> 12);
	}
	if (own < 0)
		return;
	msg("spore-kvm: before the first run: %lld guest RAM pages resident, %ld page faults in "
	    "the monitor; %lld image pages mapped from its file (%lld in the page cache)\n",
	    (long long)own, ru.ru_minflt + ru.ru_majflt, (long long)mapped, (long long)shared);
}

static void on_term(int sig)
{
	print_stats();
	_exit(128 + sig);
}

/* --timeout (timer.c); KVM_RUN gets the same mask as HC_POLL's ppoll: SIGALRM
 * unblocked inside it. */
static int setup_timeout(struct vm *vm, uint64_t secs)
{
	union {
		struct kvm_signal_mask km;
		uint8_t raw[sizeof(struct kvm_signal_mask) + 8];
	} u = { .km.len = 8 }; /* the kernel's sigset: 64 bits */

	if (secs == 0)
		return 0;
	if (timer_arm(vm, secs) == 0) {
		memcpy(u.km.sigset, vm->poll_mask, 8);
		if (ioctl(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, &u.km) == 0)
			return 0;
	}
	msg("spore-kvm: cannot arm --timeout: %s\n", strerror(errno));
	return -1;
}

/* --initrd: the file goes at the top of guest RAM, page-aligned, above the
 * image; -1 after a message. The guest only reads it (libc/tarfs.c), so as the
 * image's pages (image.c) it is mapped MAP_PRIVATE from the file, one page-cache
 * copy for every instance, trusted the same way (replaced by a rename, never
 * rewritten in place); read into guest RAM with --image=copy and --snapshot. */
static int load_initrd(const char *path, struct vm *vm, const struct image *im, uint64_t *addr,
                       uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t img_end = GPA_LOW_END;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg("spore-kvm: --initrd=%s: %s\n", path,
		    fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (int i = 0; i < im->nseg; i++)
		if (im->seg[i].gpa + im->seg[i].memsz > img_end)
			img_end = im->seg[i].gpa + im->seg[i].memsz;
	*size = (uint64_t)st.st_size;
	*addr = (vm->mem_size - *size) & ~4095ull;
	if (*size == 0 || *size > vm->mem_size ||
	    *addr < ((img_end + 4095) & ~4095ull) + (1 << 20)) {
		msg("spore-kvm: --initrd=%s: %llu bytes do not fit in --mem above the image (and 1 MiB for it to run)\n",
		    path, (unsigned long long)*size);
		close(fd);
		return -1;
	}
	uint8_t *dst = gm_at(vm->mem, vm->mem_size, *addr, *size);
	if (dst == NULL) { /* ruled out above; the accessor agrees */
		msg("spore-kvm: --initrd=%s: does not fit in guest RAM\n", path);
		close(fd);
		return -1;
	}
	uint64_t len = (*size + 4095) & ~4095ull; /* past the end of the file: zero */
	if (!vm->image_copy && !vm->snap) {
		struct stat now;
		const char *why = NULL;
		/* a failed MAP_FIXED may leave the range unmapped, and a file cut short
		 * would be SIGBUS at the guest's read: both end the start here */
		if (mmap(dst, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
		    MAP_FAILED)
			why = strerror(errno);
		else if (fstat(fd, &now) < 0 || (uint64_t)now.st_size < *size)
			why = "the file shrank while being mapped";
		if (why) {
			msg("spore-kvm: --initrd=%s: cannot map it: %s\n", path, why);
			close(fd);
			return -1;
		}
		madvise(dst, len, MADV_DONTDUMP); /* as guest RAM: main() */
		madvise(dst, len, MADV_NOHUGEPAGE);
		vm->initrd_map = (struct image_map){ *addr, 0, len };
		close(fd);
		return 0;
	}
	for (uint64_t done = 0; done < *size;) {
		ssize_t n = read(fd, dst + done, *size - done);
		if (n <= 0) {
			msg("spore-kvm: --initrd=%s: read failed\n", path);
			close(fd);
			return -1;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return 0;
}

/* Reads the image into the monitor's memory (image.c), loads it into guest RAM. */
static int load_image(const char *path, struct vm *vm, struct image *im)
{
	char err[200];
	struct stat st;
	uint8_t *img;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		msg("spore-kvm: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg("spore-kvm: %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	int r;
	if (vm->snap) { /* the snapshot names the image by a hash of all of it */
		r = image_read(fd, (uint64_t)st.st_size, &img, err, sizeof(err));
		if (r == 0) {
			r = elf_load(img, (size_t)st.st_size, vm->mem, vm->mem_size, im, err,
			             sizeof(err));
			vm->image_hash = snap_hash(img, (size_t)st.st_size);
			free(img);
		}
	} else if (vm->image_copy) {
		r = image_load(fd, (uint64_t)st.st_size, vm->mem, vm->mem_size, im, err,
		               sizeof(err));
	} else {
		r = image_share(fd, (uint64_t)st.st_size, vm->mem, vm->mem_size, im, err,
		                sizeof(err)); /* the read-only pages shared with other instances */
	}
	close(fd);
	if (r < 0)
		msg("spore-kvm: %s: %s\n", path, err);
	return r;
}

static void report_rip(struct vm *vm, const char *what)
{
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) == 0)
		msg("spore-kvm: %s at rip 0x%llx\n", what, (unsigned long long)r.rip);
	else
		msg("spore-kvm: %s\n", what);
}

/* The highest bit set in a LAPIC register array (ISR, IRR: eight 32-bit words 16 bytes
 * apart from off), as a vector; -1: none. */
static int lapic_highest(const struct kvm_lapic_state *l, unsigned off)
{
	for (int w = 7; w >= 0; w--) {
		uint32_t v;
		memcpy(&v, l->regs + off + 16 * w, 4);
		if (v)
			return w * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

/* A guest that timed out on the virtio path: what its vCPU was waiting for, so a hang
 * says whether an interrupt was lost (pending but blocked behind one in service) or
 * never sent (nothing pending, nothing in service). */
static void report_waiting(struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_lapic_state l;
	struct kvm_vcpu_events e;
	uint32_t lvtt;

	if (!vm->irqchip || vm->ring3 || ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &l) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &e) < 0)
		return;
	memcpy(&lvtt, l.regs + 0x320, 4);
	char isr[16] = "none", irr[16] = "none", dl[48] = "not armed";
	int v = lapic_highest(&l, 0x100);
	if (v >= 0)
		snprintf(isr, sizeof(isr), "0x%02x", (unsigned)v);
	if ((v = lapic_highest(&l, 0x200)) >= 0)
		snprintf(irr, sizeof(irr), "0x%02x", (unsigned)v);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} m = { .h.nmsrs = 2, .e = { { .index = 0x10 }, { .index = 0x6e0 } } }; /* TSC, deadline */
	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) == 2 && !m.e[1].data)
		snprintf(dl, sizeof(dl), "not armed (TSC %llu)", (unsigned long long)m.e[0].data);
	else if (m.e[1].data)
		snprintf(dl, sizeof(dl), "%s by %llu TSC ticks",
		         m.e[1].data > m.e[0].data ? "due" : "overdue",
		         (unsigned long long)(m.e[1].data > m.e[0].data
		                                      ? m.e[1].data - m.e[0].data
		                                      : m.e[0].data - m.e[1].data));
	msg("spore-kvm: the vCPU then: interrupts %s; LAPIC vector in service %s, pending %s; "
	    "timer %s, TSC deadline %s; %s\n",
	    r.rflags & 0x200 ? "enabled" : "disabled", isr, irr,
	    lvtt & 1u << 16 ? "masked" : "unmasked", dl,
	    e.interrupt.injected ? "an interrupt being injected" : "none being injected");
}

/* The start mode (docs/monitor.md, "Two start modes"): ring 3 at the Spore note where
 * KVM is kvm_pvm (ring-0 code is emulated there and cannot run SSE), else ring 0 at
 * the PVH entry: ordinary KVM runs ring 0 natively but resets the vCPU after a
 * SHUTDOWN, which the ring-3 start needs to resume after every trap. Returns what
 * --stats prints. */
enum mode { MODE_AUTO, MODE_RING0, MODE_RING3 };

static const char *choose_mode(struct vm *vm, enum mode mode)
{
	if (mode != MODE_AUTO) {
		vm->ring3 = mode == MODE_RING3;
		return vm->ring3 ? "ring 3 at the Spore note (--mode=ring3)"
		                 : "ring 0 at the PVH entry (--mode=ring0)";
	}
	vm->ring3 = vm->im->has64 && (vm->kvm_pvm || !vm->im->has32);
	if (vm->ring3)
		return vm->kvm_pvm
		               ? "ring 3 at the Spore note (KVM is kvm_pvm)"
		               : "ring 3 at the Spore note (KVM is not kvm_pvm, but the image has no PVH entry)";
	return vm->kvm_pvm
	               ? "ring 0 at the PVH entry (KVM is kvm_pvm, but the image has no Spore note)"
	               : "ring 0 at the PVH entry (KVM is not kvm_pvm: it runs ring 0 natively)";
}

/* One hypercall, from a KVM_EXIT_IO or a decoded trap: the same checks either way. */
static int hypercall(struct vm *vm, unsigned port, int out, unsigned size, uint32_t val)
{
	if (port < HC_PORT_BASE || port >= HC_PORT_BASE + HC_NR_MAX || !out || size != 4) {
		msg("spore-kvm: guest error: port I/O: %s of size %u to unknown port 0x%x\n",
		    out ? "out" : "in", size, port);
		return HC_EXIT_BADCALL;
	}
	return hc_dispatch(vm, port - HC_PORT_BASE, val);
}

/* KVM_EXIT_SHUTDOWN of the ring-3 guest: every exception lands here with rip at the
 * faulting instruction and the registers intact. An outl to a hypercall port is a
 * call: serve it, step over it, resume. Anything else is the guest's fault. */
static int trap(struct vm *vm)
{
	struct kvm_regs local, *r = &local;
	struct kvm_sregs sr;
	unsigned port, len;

	if (vm->sync_regs)
		r = &vm->run->s.regs.regs;
	else if (ioctl(vm->vcpu_fd, KVM_GET_REGS, r) < 0) {
		msg("spore-kvm: KVM_GET_REGS: %s\n", strerror(errno));
		return HC_EXIT_VMFAULT;
	}
	if (decode_outl(vm->mem, vm->mem_size, vm->im, r->rip, r->rdx, &port, &len) &&
	    port >= HC_PORT_BASE && port < HC_PORT_BASE + HC_NR_MAX) {
		int status = hypercall(vm, port, 1, 4, (uint32_t)r->rax);
		if (status >= 0)
			return status;
		r->rip += len;
		if (vm->sync_regs)
			vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		else if (ioctl(vm->vcpu_fd, KVM_SET_REGS, r) < 0) {
			msg("spore-kvm: KVM_SET_REGS: %s\n", strerror(errno));
			return HC_EXIT_VMFAULT;
		}
		return -1;
	}
	if (vm->sync_regs)
		sr = vm->run->s.regs.sregs;
	else if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0) {
		sr.cr2 = CR2_NONE;
		sr.cr0 = 1;
	}
	/* Paging and protected mode off: KVM reset the vCPU at the SHUTDOWN (kvm_amd
	 * does) and the registers are its power-on state, not the guest's. */
	if (!(sr.cr0 & 1)) {
		msg("spore-kvm: guest trapped, but KVM reset the vCPU at the SHUTDOWN, so the trap "
		    "cannot be served or decoded (this KVM cannot run --mode=ring3; use ring0)\n");
		return HC_EXIT_VMFAULT;
	}
	/* One of gdb's int3s where KVM did not intercept #BP itself (untested: kvm_pvm). */
	if (vm->gdb && sr.cr2 == CR2_NONE && r->rip > 0 && gdb_hit(vm->gdb, r->rip - 1))
		return gdbstub_stop(vm, 5 /* SIGTRAP */, 0);
	return fault_report(vm, r, sr.cr2);
}

static int run_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	char what[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint32_t val = 0;
		if (run->io.size == 4 && run->io.count == 1)
			memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
		return hypercall(vm, run->io.port, run->io.direction == KVM_EXIT_IO_OUT,
		                 run->io.count == 1 ? run->io.size : 0, val);
	}
	case KVM_EXIT_HLT:
		if (vm->gdb) {
			int status = gdbstub_halt(vm);
			if (status != -2)
				return status;
		}
		report_rip(
			vm,
			"guest halted with nothing to wait for (hlt; no interrupts under spore-kvm)");
		return HC_EXIT_VMFAULT;
	case KVM_EXIT_SHUTDOWN:
		if (vm->ring3)
			return trap(vm);
		/* Ring 0: the guest's own IDT reports its faults (status 120); this is a
		 * fault it could not handle. No registers: kvm_amd resets the vCPU here. */
		msg("spore-kvm: guest triple-faulted (an exception its own handlers could not take; "
		    "the vCPU state is lost)\n");
		return HC_EXIT_VMFAULT;
	case KVM_EXIT_MMIO:
		if (vm->irqchip && !vm->ring3 && io_mmio(vm) == 0)
			return -1;
		snprintf(what, sizeof(what), "guest touched memory outside RAM (%s gpa 0x%llx)",
		         run->mmio.is_write ? "write to" : "read from",
		         (unsigned long long)run->mmio.phys_addr);
		report_rip(vm, what);
		return HC_EXIT_VMFAULT;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error, suberror %u%s",
		         run->internal.suberror,
		         run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
		                 ? " (emulation failure)"
		                 : "");
		report_rip(vm, what);
		return HC_EXIT_VMFAULT;
	case KVM_EXIT_DEBUG:
		if (vm->gdb)
			return gdbstub_debug(vm);
		report_rip(vm, "debug exit without gdb");
		return HC_EXIT_VMFAULT;
	case KVM_EXIT_FAIL_ENTRY:
		msg("spore-kvm: VM entry failed, hardware reason 0x%llx\n",
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return HC_EXIT_VMFAULT;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		report_rip(vm, what);
		return HC_EXIT_VMFAULT;
	}
}

static int run_loop(struct vm *vm, uint64_t timeout)
{
	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				msg("spore-kvm: KVM_RUN: %s\n", strerror(errno));
				return HC_EXIT_VMFAULT;
			}
			vm->exits[KVM_EXIT_INTR]++;
			timer_take(vm);
			if (timer_expired()) {
				char what[64];
				snprintf(what, sizeof(what), "guest timed out after %llu s",
				         (unsigned long long)timeout);
				report_rip(vm, what);
				report_waiting(vm);
				return HC_EXIT_TIMEOUT;
			}
			if (vm->gdb && gdbstub_interrupted(vm)) {
				int status = gdbstub_stop(vm, 2 /* SIGINT */, 0);
				if (status >= 0)
					return status;
			}
			continue;
		}
		vm->exits[vm->run->exit_reason & 63]++;
		int status = run_exit(vm);
		if (status < 0 && vm->snap_due)
			status = snapshot_write(vm);
		if (status >= 0)
			return vm->gdb ? gdbstub_exit(vm, status) : status;
	}
}

/* Set-up order: options, guest RAM, image, boot data, devices, KVM and which one it
 * is, start mode and page tables, registers, timer, sandbox, run. */
int main(int argc, char **argv)
{
	static char cmdline[MON_CMDLINE_MAX + 1];
	struct vm vm = { .mem_size = MON_MEM_DEFAULT,
		         .tap_fd = -1,
		         .disk_fd = -1,
		         .gdb_fd = -1,
		         .vm_fd = -1,
		         .vnet_tap = -1,
		         .vblk_disk = -1,
		         .io_epoll = -1,
		         .vhost_fd = -1 };
	static struct vdev vdev[VMMIO_MAX];
	int hc_io = 0, io_virtio = 0; /* --io= given: hypercall, virtio */
	int vhost = 0;                /* --vhost */
	const char *disk = NULL, *core = NULL;
	const char *gdb_path = NULL;
	const char *net = NULL, *initrd = NULL, *snap = NULL, *restore = NULL;
	uint64_t mod_addr = 0, mod_size = 0;
	static struct image im;
	char err[200];
	uint64_t timeout = 0, cr3 = 0;
	enum mode mode = MODE_AUTO;
	int i;

	/* A closed stdout must fail the console write (EPIPE: hc_console ends the guest
	 * with a line and 253), not kill the monitor silently with status 141. */
	signal(SIGPIPE, SIG_IGN);
	/* Transparent huge pages ("always", Debian's default and the lab's) gave the
	 * monitor's own static buffers a 2 MiB page at a first touch: one idle instance
	 * in three in the lab held 2 MiB more (docs/density.md). Guest RAM is advised
	 * MADV_NOHUGEPAGE; this covers the rest of the process. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strncmp(a, "--mem=", 6) == 0) {
			if (args_parse_size(a + 6, &vm.mem_size) < 0) {
				msg("spore-kvm: --mem=%s: malformed size (want e.g. 8M, 512K, 1G)\n",
				    a + 6);
				return HC_EXIT_SETUP;
			}
			if (vm.mem_size < MON_MEM_MIN || vm.mem_size > MON_MEM_MAX ||
			    vm.mem_size % 4096 != 0) {
				msg("spore-kvm: --mem=%s: want a multiple of 4K from 2M to 64G\n",
				    a + 6);
				return HC_EXIT_SETUP;
			}
		} else if (strncmp(a, "--timeout=", 10) == 0) {
			if (args_parse_uint(a + 10, &timeout) < 0 || timeout == 0 ||
			    timeout > 1000000000) {
				msg("spore-kvm: --timeout=%s: want whole seconds from 1\n", a + 10);
				return HC_EXIT_SETUP;
			}
		} else if (strncmp(a, "--disk=", 7) == 0 && a[7]) {
			disk = a + 7;
		} else if (strncmp(a, "--gdb=", 6) == 0) {
			const char *bad = gdbsock_check(a + 6);
			if (bad) {
				msg("spore-kvm: --gdb=%s: %s\n", a + 6, bad);
				return HC_EXIT_SETUP;
			}
			gdb_path = a + 6;
		} else if (strncmp(a, "--core=", 7) == 0 && a[7]) {
			core = a + 7;
		} else if (strncmp(a, "--snapshot=", 11) == 0 && a[11]) {
			snap = a + 11;
		} else if (strncmp(a, "--restore=", 10) == 0 && a[10]) {
			restore = a + 10;
		} else if (strncmp(a, "--initrd=", 9) == 0 && a[9]) {
			initrd = a + 9;
		} else if (strncmp(a, "--mode=", 7) == 0) {
			if (strcmp(a + 7, "auto") == 0)
				mode = MODE_AUTO;
			else if (strcmp(a + 7, "ring3") == 0)
				mode = MODE_RING3;
			else if (strcmp(a + 7, "ring0") == 0)
				mode = MODE_RING0;
			else {
				msg("spore-kvm: --mode=%s: want auto, ring3 or ring0\n", a + 7);
				return HC_EXIT_SETUP;
			}
		} else if (strncmp(a, "--io=", 5) == 0) {
			if (strcmp(a + 5, "virtio") != 0 && strcmp(a + 5, "hypercall") != 0) {
				msg("spore-kvm: --io=%s: want virtio or hypercall\n", a + 5);
				return HC_EXIT_SETUP;
			}
			hc_io = strcmp(a + 5, "hypercall") == 0;
			io_virtio = !hc_io;
		} else if (strncmp(a, "--image=", 8) == 0) {
			if (strcmp(a + 8, "share") != 0 && strcmp(a + 8, "copy") != 0) {
				msg("spore-kvm: --image=%s: want share or copy\n", a + 8);
				return HC_EXIT_SETUP;
			}
			vm.image_copy = strcmp(a + 8, "copy") == 0;
		} else if (strcmp(a, "--vhost") == 0) {
			vhost = 1;
		} else if (strcmp(a, "--stats") == 0) {
			stats_vm = &vm;
		} else if (strncmp(a, "--net=", 6) == 0 && a[6]) {
			net = a + 6;
		} else if (strncmp(a, "--mac=", 6) == 0) {
			if (net_parse_mac(a + 6, vm.net_mac) < 0) {
				msg("spore-kvm: --mac=%s: want six hex bytes like 02:00:00:00:00:01, unicast\n",
				    a + 6);
				return HC_EXIT_SETUP;
			}
			vm.net_mac_set = 1;
		} else {
			msg("spore-kvm: unknown option %s (try --help)\n", a);
			return HC_EXIT_SETUP;
		}
	}
	if (restore && (snap || initrd || vm.mem_size != MON_MEM_DEFAULT || argc - i > 1)) {
		msg("spore-kvm: --restore: the snapshot has its memory, initrd and command line "
		    "(no --mem, --initrd, --snapshot or ARGS)\n");
		return HC_EXIT_SETUP;
	}
	if (vhost && (!net || hc_io || snap || restore || gdb_path || mode == MODE_RING3)) {
		msg("spore-kvm: --vhost serves --net's virtio-net queues on the ring-0 virtio path: "
		    "%s\n",
		    !net                 ? "no --net given"
		    : hc_io              ? "not with --io=hypercall"
		    : gdb_path           ? "not with --gdb (no virtio devices then)"
		    : mode == MODE_RING3 ? "not with --mode=ring3"
		                         : "not with --snapshot or --restore (the kernel holds the "
		                           "rings' state)");
		return HC_EXIT_SETUP;
	}
	if (i >= argc && !restore) {
		msg("spore-kvm: no IMAGE given (try --help)\n");
		return HC_EXIT_SETUP;
	}
	const char *image = i < argc ? argv[i++] : NULL;
	if (restore) {
		int s = restore_open(&vm, restore, image);
		if (s)
			return s;
		goto devices;
	}
	if (snap && snapshot_open(&vm, snap) < 0)
		return HC_EXIT_SETUP;
	if (args_join(cmdline, sizeof(cmdline), argc - i, argv + i) < 0) {
		msg("spore-kvm: guest command line longer than %d bytes\n", MON_CMDLINE_MAX);
		return HC_EXIT_SETUP;
	}

	/* Lazily faulted: only pages the image and the guest touch cost host memory. */
	vm.mem = mmap(NULL, vm.mem_size, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm.mem == MAP_FAILED) {
		msg("spore-kvm: cannot map %llu bytes of guest RAM: %s\n",
		    (unsigned long long)vm.mem_size, strerror(errno));
		return HC_EXIT_SETUP;
	}
	/* Guest RAM is the guest's data (keys, secrets) and up to 64 GiB: keep it out of a
	 * core dump of the monitor. Advice only: a kernel without it loses nothing else. */
	madvise(vm.mem, vm.mem_size, MADV_DONTDUMP);
	/* No transparent huge pages: with THP "always" (Debian's default) a guest's first
	 * touch of each 2 MiB region costs 2 MiB, and an idle httpd that touches ~0.5 MiB
	 * cost 2.1 MiB (kvm_amd lab, docs/density.md). Pages stay what the guest touched. */
	madvise(vm.mem, vm.mem_size, MADV_NOHUGEPAGE);
	if (load_image(image, &vm, &im) < 0)
		return HC_EXIT_SETUP;
	vm.im = &im;
	if ((mode == MODE_RING3 && !im.has64) || (mode == MODE_RING0 && !im.has32)) {
		msg("spore-kvm: %s: --mode=%s needs a %s note, which the image lacks\n", image,
		    mode == MODE_RING3 ? "ring3" : "ring0",
		    mode == MODE_RING3 ? "Spore" : "Xen PVH");
		return HC_EXIT_SETUP;
	}
	if (initrd && load_initrd(initrd, &vm, &im, &mod_addr, &mod_size) < 0)
		return HC_EXIT_SETUP;
devices:
	vm.tap_name = net; /* opened once the start mode is known (below) */
	if (disk && blk_open(&vm, disk) < 0)
		return HC_EXIT_SETUP;
	/* The virtio path wants the irqchip before the vCPU exists, so before the mode is
	 * known: wherever there is a device to serve, ring 0 is possible and RAM ends below
	 * the device window. Only then: with the in-kernel LAPIC a guest's hlt never comes
	 * back to the monitor, so one that halts with interrupts off would hang until
	 * --timeout instead of ending with 251. Not with --gdb: its ring-0 breakpoints are
	 * hlt (the guest would sleep at the breakpoint for ever). A snapshot keeps the
	 * irqchip and the devices' state (snap_virt): a restore has the virtio path
	 * exactly when the snapshot's guest had it. --snapshot takes it only when asked
	 * (--io=virtio): in the lab one of 20 idle restored instances on virtio never
	 * answered (docs/serverless.md "What is left"), so by default a snapshotted guest
	 * still runs, and resumes, on the hypercall devices. */
	if (vm.restored)
		vm.irqchip = (int)vm.restored->meta->virt.irqchip;
	else
		vm.irqchip = !hc_io && !gdb_path && (!snap || io_virtio) && (net || disk) &&
		             mode != MODE_RING3 && im.has32 && vm.mem_size <= VMMIO_BASE;
	vm.vhost_wanted = vhost;
	if (kvm_open(&vm) < 0)
		return HC_EXIT_SETUP;
	const char *why = vm.restored ? "restored from a snapshot, in its start mode"
	                              : choose_mode(&vm, mode);
	/* The tap, opened once the path is known: with virtio's header for virtio-net. */
	if (net && net_open(&vm, net, vm.irqchip && !vm.ring3) < 0)
		return HC_EXIT_SETUP;
	if (vm.irqchip && !vm.ring3 && vm.tap_fd >= 0) {
		/* The tap moves to virtio-net: the vCPU thread no longer touches it. */
		vm.vdev = vdev;
		vnet_init(&vdev[vm.nvdev], vm.tap_fd, vm.tap_name, vm.net_mac, vm.tap_mtu);
		vm.vnet_tap = vm.tap_fd;
		vm.tap_fd = -1;
		if (vhost && vhost_open(&vm) < 0)
			return HC_EXIT_SETUP;
		if (vhost)
			vhost_features(&vdev[vm.nvdev]);
		vm.nvdev++;
	}
	if (vhost && vm.vhost_fd < 0) {
		msg("spore-kvm: --vhost: this guest runs %s, not on the virtio path\n",
		    vm.ring3 ? "in ring 3 (kvm_pvm, or an image without a PVH note)"
		             : "without the in-kernel irqchip (RAM above the device window?)");
		return HC_EXIT_SETUP;
	}
	if (vm.irqchip && !vm.ring3 && vm.disk_fd >= 0) {
		/* The disk too: HC_INFO then reports none, HC_BLK_* are refused. */
		vm.vdev = vdev;
		vblk_init(&vdev[vm.nvdev++], vm.disk_fd, vm.disk_sectors);
		vm.vblk_disk = vm.disk_fd;
		vm.disk_fd = -1;
	}
	if (!vm.restored && io_cmdline(&vm, cmdline, sizeof(cmdline)) < 0) {
		msg("spore-kvm: guest command line longer than %d bytes with the virtio devices\n",
		    MON_CMDLINE_MAX);
		return HC_EXIT_SETUP;
	}
	if (!vm.restored && pvh_write(vm.mem, vm.mem_size, cmdline, mod_addr, mod_size) < 0) {
		msg("spore-kvm: --mem: the PVH boot data does not fit below 1 MiB\n");
		return HC_EXIT_SETUP;
	}
	if (vm.ring3 && !vm.restored &&
	    paging_build(vm.mem, vm.mem_size, &im, &cr3, err, sizeof(err)) < 0) {
		msg("spore-kvm: %s: %s\n", image, err);
		return HC_EXIT_SETUP;
	}
	if (kvm_start(&vm, cr3) < 0)
		return HC_EXIT_SETUP;
	if (stats_vm)
		msg("spore-kvm: start: %s\n", why);
	if (stats_vm) {
		struct sigaction sa = { .sa_handler = on_term };
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (core && core_open(&vm, core) < 0)
		return HC_EXIT_SETUP;
	if (core)
		vm.core->image = image;
	if (gdb_path && gdbstub_open(&vm, gdb_path) < 0)
		return HC_EXIT_SETUP;
	if (vm.snap_out && vm.irqchip && !vm.ring3 && vm.nvdev)
		vm.snap_out->irqchip_fd = vm.vm_fd; /* snapshot.c's get_virt */
	if (vm.restored && vm.nvdev) {
		int r = restore_devices(&vm);
		if (r)
			return r;
	}
	if (vm.nvdev && io_setup(&vm) < 0)
		return HC_EXIT_SETUP;
	if (vm.vhost_fd >= 0 && vhost_bind(&vm, &vdev[0]) < 0)
		return HC_EXIT_SETUP;
	if (vm.restored && vm.nvdev)
		restore_wake(&vm);
	if (stats_vm && !vm.restored)
		print_setup_pages(&vm);
	if (setup_timeout(&vm, timeout) < 0 || seccomp_install(&vm) < 0)
		return HC_EXIT_SETUP;
	int status = -1;
	if (vm.gdb)
		status = gdbstub_stop(&vm, 5 /* SIGTRAP */, 1);
	if (status < 0)
		status = run_loop(&vm, timeout);
	/* The guest's own fault report is out; a core is an extra (its failure too). A
	 * guest that timed out gets one too: where it hung is what gdb then shows. */
	if ((status == HC_EXIT_FAULT || status == HC_EXIT_TIMEOUT) && vm.core)
		core_dump(&vm);
	print_stats();
	return status;
}
