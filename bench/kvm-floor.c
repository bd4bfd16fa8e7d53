// SPDX-License-Identifier: MIT
/* kvm-floor: the least a KVM monitor can do (open /dev/kvm, one VM, one vCPU,
 * one page of real-mode code that halts). Its run time is the floor spore-kvm is measured against.
 *   kvm-floor [--hold] [--touch KIB] [--no-vm]
 * --hold: once halted, print "ready" and stay (VM and memory kept) until a signal ends it;
 * --touch: first write KIB of anonymous memory; --no-vm: no KVM at all. With these it is one
 * of the many bare VMs, or plain processes holding memory, that bench/floorgrowth keeps beside
 * the floor's own starts (docs/density.md). Not a monitor: it trusts nothing from the VM but
 * the exit reason.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x1000
#define CODE_GPA 0x1000

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "kvm-floor: %s\nusage: kvm-floor [--hold] [--touch KIB] [--no-vm]\n", why);
	exit(2);
}

/* Wait for the signal that ends us (SIGTERM's default action), holding what we made. */
__attribute__((noreturn)) static void hold(void)
{
	if (printf("ready\n") < 0 || fflush(stdout) != 0)
		die("stdout");
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int hold_on = 0, vm_on = 1;
	long touch_kib = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold")) {
			hold_on = 1;
		} else if (!strcmp(argv[i], "--no-vm")) {
			vm_on = 0;
		} else if (!strcmp(argv[i], "--touch")) {
			char *end;
			if (++i == argc)
				usage("--touch needs a size in KiB");
			touch_kib = strtol(argv[i], &end, 10);
			if (end == argv[i] || *end || touch_kib < 0 || touch_kib > (1L << 24))
				usage("--touch: a size in KiB, 0 to 16777216");
		} else {
			usage("unknown argument");
		}
	}
	if (touch_kib) {
		size_t len = (size_t)touch_kib << 10;
		uint8_t *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap --touch");
		memset(p, 1, len); /* every page its own, as a guest's touched pages are */
	}
	if (!vm_on && hold_on)
		hold();
	if (!vm_on)
		return 0;

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	mem[0] = 0xf4; /* hlt */
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = CODE_GPA,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	/* Real mode: CS base 0, IP = CODE_GPA. */
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-floor: unexpected exit reason %u\n", run->exit_reason);
		return 1;
	}
	if (hold_on)
		hold();
	return 0;
}
