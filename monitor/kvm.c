// SPDX-License-Identifier: MIT
/* KVM set-up for spore-kvm: VM, one memory slot, one vCPU in PVH's 32-bit entry state or
 * the 64-bit ring-3 one, CPUID with the spore leaf, and whether this KVM is kvm_pvm.
 * With vm->irqchip, the in-kernel LAPIC and I/O APIC (the virtio path); never a PIT. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

#define CPUID_MAX_ENT 256

/* kvm_pvm's marks (Ant Group's PVM, arch/x86/kvm/pvm/ and its cpuid.c changes). */
#define PVM_CPUID_VENDOR_LEAF 0x40000002u /* eax of 0x40000000 points here */
#define PVM_CPUID_SIGNATURE   0x4d5650u   /* "PVM\0" in that leaf's ebx */
#define MSR_PVM_VCPU_STRUCT   0x4b564df1u /* every PVM guest registers its page here */
#define MSR_UNKNOWN           0x4b564cffu /* no KVM has it: the control read */

static int kvm_fd = -1;

static int kvm_fail(const char *what)
{
	msg("spore-kvm: %s: %s\n", what, strerror(errno));
	return -1;
}

/* KVM's supported leaves (0x40000000: "KVMKVMKVM", kvmclock features) plus ours.
 * Notes whether they carry PVM's vendor leaf (kvm_pvm). */
static int setup_cpuid(struct vm *vm, int kvm, int vcpu)
{
	struct kvm_cpuid2 *c;
	size_t sz = sizeof(*c) + CPUID_MAX_ENT * sizeof(c->entries[0]);

	/* 10 KiB used once: mapped and unmapped, not malloc'd, whose freed pages would
	 * stay the monitor's for the instance's life (2 of its heap's 4, kvm_pvm). */
	c = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return kvm_fail("mmap");
	c->nent = CPUID_MAX_ENT - 2; /* room for the spore leaves */
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		munmap(c, sz);
		return kvm_fail("KVM_GET_SUPPORTED_CPUID");
	}
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == PVM_CPUID_VENDOR_LEAF &&
		    c->entries[i].ebx == PVM_CPUID_SIGNATURE)
			vm->kvm_pvm = 1;
	/* The virtio path: the in-kernel LAPIC's TSC-deadline timer (KVM does not list it:
	 * it exists only with an irqchip), and the feature leaf saying so. */
	for (uint32_t i = 0; vm->irqchip && i < c->nent; i++)
		if (c->entries[i].function == 1 &&
		    ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			c->entries[i].ecx |= 1u << 24;
	/* No hypercall device: the irqchip moves every device to virtio in ring 0 (in
	 * ring 3 the guest cannot see this leaf), or there is none to serve. */
	uint32_t nodev = vm->irqchip || (!vm->tap_name && vm->disk_fd < 0) ? HC_FEAT_NO_HCDEV : 0;
	/* --vhost: net's interrupts are the host kernel's, which raises none again. */
	uint32_t retry = vm->vhost_wanted ? 0 : HC_FEAT_IRQ_RETRY;
	if (vm->irqchip)
		c->entries[c->nent++] =
			(struct kvm_cpuid_entry2){ .function = HC_CPUID_FEATURES,
			                           .eax = HC_FEAT_VIRTIO | HC_FEAT_IRQ_NOACK |
			                                  HC_FEAT_EXACT_EVENT | nodev | retry,
			                           .ebx = (uint32_t)VMMIO_BASE,
			                           .ecx = VMMIO_MAX * VMMIO_SIZE };
	else
		c->entries[c->nent++] =
			(struct kvm_cpuid_entry2){ .function = HC_CPUID_FEATURES, .eax = nodev };
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HC_CPUID_LEAF;
	e->eax = HC_ABI_VERSION;
	memcpy(&e->ebx, HC_SIGNATURE, 4);
	memcpy(&e->ecx, HC_SIGNATURE + 4, 4);
	memcpy(&e->edx, HC_SIGNATURE + 8, 4);
	int r = ioctl(vcpu, KVM_SET_CPUID2, c);
	munmap(c, sz);
	return r < 0 ? kvm_fail("KVM_SET_CPUID2") : 0;
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
}

/* PVH entry state (Xen docs/misc/pvh.pandoc): 32-bit protected mode, paging off,
 * flat CS/DS, TR a busy TSS so VM entry checks pass, ebx = start_info. */
static void pvh32(struct kvm_sregs *sr, struct kvm_regs *r, uint32_t entry)
{
	flat(&sr->cs, SEL_CODE32, 0xb);
	flat(&sr->ds, SEL_DATA32, 0x3);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	sr->tr = (struct kvm_segment){
		.base = 0, .limit = 0x67, .selector = SEL_TSS32, .type = 0xb, .present = 1
	};
	sr->cr0 = 0x11; /* PE | ET */
	sr->cr3 = 0;
	sr->cr4 = 0;
	sr->efer = 0;
	*r = (struct kvm_regs){ .rip = entry, .rbx = GPA_START_INFO, .rflags = 0x2 };
}

/* The ring-3 entry (docs/monitor.md): long mode on the monitor's identity tables,
 * CPL 3, IDT limit 0 so every exception ends as KVM_EXIT_SHUTDOWN, which the run loop
 * decodes. On kvm_pvm ring-0 code is emulated and cannot run SSE; ring 3 runs natively.
 * Only there: kvm_amd resets the vCPU after SHUTDOWN, so a trap could not resume. */
static void ring3(struct kvm_sregs *sr, struct kvm_regs *r, uint64_t entry, uint64_t cr3)
{
	flat(&sr->cs, SEL_CODE64_U, 0xb);
	sr->cs.dpl = 3;
	sr->cs.l = 1;
	sr->cs.db = 0;
	flat(&sr->ds, SEL_DATA_U, 0x3);
	sr->ds.dpl = 3;
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	sr->tr = (struct kvm_segment){
		.base = GPA_TSS, .limit = 0x67, .selector = SEL_TSS64, .type = 0xb, .present = 1
	};
	sr->cr0 = 0x80010033; /* PG | WP | NE | ET | MP | PE */
	sr->cr4 = 0x620;      /* PAE | OSFXSR | OSXMMEXCPT */
	sr->efer = 0xd00;     /* LME | LMA | NXE */
	sr->cr3 = cr3;
	sr->cr2 = CR2_NONE; /* so the fault report can tell "no page fault yet" */
	*r = (struct kvm_regs){ .rip = entry, .rdi = GPA_START_INFO, .rflags = 0x2 };
}

static int setup_regs(struct vm *vm, uint64_t cr3)
{
	struct kvm_sregs sr;
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		return kvm_fail("KVM_GET_SREGS");
	if (vm->ring3)
		ring3(&sr, &r, vm->im->entry64, cr3);
	else
		pvh32(&sr, &r, vm->im->entry32);
	sr.ldt = (struct kvm_segment){ .selector = 0, .type = 0x2, .unusable = 1 };
	sr.gdt.base = GPA_GDT;
	sr.gdt.limit = GDT_SIZE - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sr) < 0)
		return kvm_fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return kvm_fail("KVM_SET_REGS");
	return 0;
}

/* The guest TSC is the host TSC plus an offset KVM chose at vCPU creation. Ask KVM
 * for it (KVM_VCPU_TSC_OFFSET, Linux 5.16+); without it HC_TIME reports tsc = 0.
 * We never set a guest TSC frequency, so KVM does not scale. */
static void tsc_info(struct vm *vm)
{
	int64_t off = 0; /* written by KVM through a.addr */
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&off,
	};
	int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);

	vm->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	if (ioctl(vm->vcpu_fd, KVM_GET_DEVICE_ATTR, &a) == 0) {
		vm->tsc_offset = off;
		vm->tsc_known = 1;
	}
}

/* The second sign of kvm_pvm: its vCPUs have MSR_PVM_VCPU_STRUCT. Compared with an MSR
 * no KVM has, since with kvm.ignore_msrs=1 every KVM_GET_MSRS succeeds (reading 0). */
static int msr_readable(int vcpu, uint32_t index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };

	return ioctl(vcpu, KVM_GET_MSRS, &m) == 1; /* the number of MSRs read */
}

/* The third sign, for kvm_pvm builds that carry neither mark (seen 2026-12-05 on a
 * 6.18 kernel: leaf 0x40000000 says plain "KVMKVMKVM" and the MSR reads fail): the
 * kernel has kvm_pvm and no other vendor module, so nothing else can own /dev/kvm.
 * A kernel with kvm_pvm beside kvm_amd or kvm_intel falls back to the fd signs. */
static int pvm_only_vendor(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 &&
	       access("/sys/module/kvm_amd", F_OK) != 0 &&
	       access("/sys/module/kvm_intel", F_OK) != 0;
}

/* Recipe: kvm_open (open, CREATE_VM, memory slot, CREATE_VCPU, map kvm_run, CPUID,
 * which KVM this is), then the caller picks the start mode, then kvm_start
 * (registers, TSC facts). File descriptors stay open for the life of the process on
 * purpose. Which KVM is asked of its fds first: a kernel can carry kvm_pvm without
 * it owning /dev/kvm; /sys/module only settles it when no other vendor is loaded. */
int kvm_open(struct vm *vm)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		msg("spore-kvm: cannot open /dev/kvm: %s (is KVM enabled and are you in group kvm?)\n",
		    strerror(errno));
		return -1;
	}
	int vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		return kvm_fail("KVM_CREATE_VM");
	clock_gettime(CLOCK_MONOTONIC, &vm->t0);

	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return kvm_fail("KVM_SET_USER_MEMORY_REGION");
	vm->vm_fd = vmfd;
	/* The virtio path's LAPIC and I/O APIC (no PIT): before any vCPU exists. */
	if (vm->irqchip && ioctl(vmfd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kvm_fail("KVM_CREATE_IRQCHIP");

	vm->vcpu_fd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return kvm_fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		return kvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return kvm_fail("mmap kvm_run");

	if (setup_cpuid(vm, kvm, vm->vcpu_fd) < 0)
		return -1;
	vm->kvm_pvm |= msr_readable(vm->vcpu_fd, MSR_PVM_VCPU_STRUCT) &&
	               !msr_readable(vm->vcpu_fd, MSR_UNKNOWN);
	vm->kvm_pvm |= pvm_only_vendor();
	kvm_fd = kvm;
	return 0;
}

int kvm_start(struct vm *vm, uint64_t cr3)
{
	if ((vm->restored ? restore_vcpu(vm) : setup_regs(vm, cr3)) < 0)
		return -1;
	tsc_info(vm); /* after a restore: the TSC the snapshot set */
	/* Registers in kvm_run on every exit save an ioctl per trapped hypercall (~40 ->
	 * ~30 us a call here); SREGS too, for CR2 in the fault report (no measurable cost).
	 * Ring 3 only (its hypercalls are traps): in ring 0 the ioctl is not even asked. */
	int sync = vm->ring3 ? ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) : 0;
	vm->sync_regs = sync > 0 && (sync & KVM_SYNC_X86_REGS) && !getenv("SPORE_KVM_NO_SYNC_REGS");
	if (vm->sync_regs)
		vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	return 0;
}
