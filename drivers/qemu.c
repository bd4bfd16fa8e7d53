// SPDX-License-Identifier: MIT
/* The QEMU host (microvm and q35): COM1 for the console, isa-debug-exit to end
 * the VM, the LAPIC timer to sleep, PIT/CMOS when there is no kvmclock. */
#include "kernel.h"
#include "x86.h"
#include "virtio.h"
#include "host.h"

#define COM1       0x3f8
#define DEBUG_EXIT 0xf4 /* -device isa-debug-exit,iobase=0xf4,iosize=4 */

static void qemu_init(void)
{
	outb(0x21, 0xff); /* mask both 8259 PICs: only the LAPIC interrupts */
	outb(0xa1, 0xff);
	outb(COM1 + 1, 0); /* UART: no interrupts */
}

/* One `rep outsb` per chunk: KVM hands the whole string to QEMU in one exit.
 * \n becomes \r\n, as a serial terminal expects. */
static void qemu_console_write(const char *s, size_t n)
{
	char buf[256];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			buf[k++] = '\r';
		buf[k++] = s[i];
		if (k >= sizeof buf - 1) {
			outsb(COM1, buf, k);
			k = 0;
		}
	}
	if (k)
		outsb(COM1, buf, k);
}

static void qemu_halt_until(uint64_t deadline_ns)
{
	if (apic_arm(deadline_ns) < 0)
		panic(__FILE__, __LINE__, "the APIC timer does not count");
	safe_halt();
}

static NORETURN void qemu_exit(int status)
{
	/* QEMU exits with (status << 1) | 1; the runner maps it back. */
	outb(DEBUG_EXIT, (uint8_t)status);
	/* No debug-exit device: a triple fault ends the VM (run with -no-reboot). */
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" ::"m"(none));
	for (;;)
		__asm__ volatile("hlt");
}

const struct host host_qemu = {
	.name = "qemu",
	.init = qemu_init,
	.probe = virtio_probe,
	.console_write = qemu_console_write,
	.halt_until = qemu_halt_until,
	.wall_ns = rtc_wall_ns,
	.entropy = vrng_read, /* virtio-rng, when QEMU has one */
	.exit = qemu_exit,
};
