// SPDX-License-Identifier: MIT
/* With entropy=host, getentropy skips RDRAND and reads QEMU's virtio-rng
 * (mmio on microvm, PCI on q35); spore-kvm answers through its hypercall.
 * run: -- entropy=host --
 * expect-status: 0
 * expect-output: ^host entropy ok$
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 };
	if (getentropy(a, sizeof a) || getentropy(b, sizeof b)) {
		printf("FAIL: getentropy: errno %d (no host entropy source: under QEMU, no virtio-rng found)\n",
		       errno);
		return 1;
	}
	if (!memcmp(a, b, sizeof a) || !memcmp(a, zero, sizeof a)) {
		printf("FAIL: the bytes repeat\n");
		return 1;
	}
	printf("host entropy ok\n");
	return 0;
}
