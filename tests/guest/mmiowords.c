// SPDX-License-Identifier: MIT
/* QEMU microvm without ACPI (and Firecracker) appends one
 * virtio_mmio.device=SIZE@BASE:IRQ word per device to the command line, after
 * the app's arguments: the kernel takes each out wherever it is and finds the
 * device through it (run 0: virtio-rng so found; run 1: words by hand, the
 * named addresses hold no device, getentropy falls back on RDRAND).
 * run: --no-acpi -- entropy=host -- one two
 * run: -- virtio_mmio.device=512@0xd0000000:5 -- one virtio_mmio.device=4K@0xd0001000:6:3 two
 * expect-status: 0
 * expect-output: ^argc 3: \[mmiowords\] \[one\] \[two\]$
 * expect-output: ^entropy ok$
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned char b[32];
	printf("argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	if (getentropy(b, sizeof b)) {
		printf("FAIL: getentropy: errno %d (no virtio-rng found?)\n", errno);
		return 1;
	}
	printf("entropy ok\n");
	return argc == 3 ? 0 : 1;
}
