// SPDX-License-Identifier: MIT
/* Entropy for getentropy(): RDRAND where the CPU has it (no exit, fastest),
 * else the host's own source (virtio-rng under QEMU, a hypercall under
 * spore-kvm). entropy=host forces the host's, entropy=rdrand RDRAND alone.
 * With no source, fail: never fake it. */
#include "kernel.h"
#include "x86.h"

int entropy_get(void *buf, size_t n)
{
	static int rdrand = -1;
	unsigned char *p = buf;

	if (rdrand < 0)
		rdrand = opt_entropy != ENTROPY_HOST && cpu_has_rdrand();
	if (!rdrand)
		return host->entropy && opt_entropy != ENTROPY_RDRAND ? host->entropy(buf, n) : -1;
	while (n) {
		uint64_t v;
		if (cpu_rdrand(&v) < 0)
			return -1;
		size_t k = n < 8 ? n : 8;
		for (size_t i = 0; i < k; i++)
			p[i] = (unsigned char)(v >> (8 * i));
		p += k;
		n -= k;
	}
	return 0;
}
