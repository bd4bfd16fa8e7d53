// SPDX-License-Identifier: MIT
/* Disk requests back to back for SECONDS (argv[1]), or until the host writes "stop" to
 * the disk's MARK: each 4 KiB block written with a pattern of its round, read back and
 * compared, all blocks again at the end. Names each jump of the clock over 5 s (the
 * host stopped the VM: tests/kvm-lab/freeze.sh) and whether it landed inside a
 * request, i.e. while the driver waited on the disk.
 * run: --disk=build/tests/disk.img -- -- 1
 * expect-status: 0
 * expect-output: ^diskloop ok: [0-9]+ blocks written and read back over [0-9]+ s
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BLOCK  4096
#define BLOCKS 64                /* 256 KiB of the disk */
#define JUMP   5000              /* ms: a stop of the VM, not a slow request */
#define MARK   ((1 << 20) - 512) /* the last sector of freeze.sh's 1 MiB disk */

static long long ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void fill(unsigned *w, unsigned round, unsigned k)
{
	for (unsigned i = 0; i < BLOCK / 4; i++)
		w[i] = round * 2654435761u ^ k << 16 ^ i;
}

int main(int argc, char **argv)
{
	static unsigned w[BLOCK / 4], r[BLOCK / 4], last[BLOCKS];
	long long secs = argc > 1 ? atoll(argv[1]) : 1, t0 = ms(), prev = t0;
	unsigned n = 0, inside = 0, between = 0;
	int fd = open("/dev/vda", O_RDWR);
	CHECK(fd >= 0 && secs > 0);
	printf("diskloop: started, %lld s\n", secs);
	fflush(stdout);
	for (;; n++) {
		unsigned k = n % BLOCKS;
		char m[4];
		fill(w, n, k);
		long long a = ms();
		if (a - t0 >= secs * 1000)
			break;
		between += a - prev > JUMP; /* a stop between two rounds */
		CHECK(pread(fd, m, 4, MARK) == 4);
		if (!memcmp(m, "stop", 4))
			break;
		CHECK(pwrite(fd, w, BLOCK, (off_t)k * BLOCK) == BLOCK);
		CHECK(pread(fd, r, BLOCK, (off_t)k * BLOCK) == BLOCK);
		prev = ms();
		if (prev - a > JUMP) { /* a stop in one of the round's three requests */
			printf("diskloop: clock jumped %lld ms in round %u\n", prev - a, n);
			inside++;
		}
		for (unsigned i = 0; i < BLOCK / 4; i++)
			CHECK(r[i] == w[i]);
		last[k] = n;
	}
	for (unsigned k = 0; k < BLOCKS && k < n; k++) { /* nothing written went astray */
		fill(w, last[k], k);
		CHECK(pread(fd, r, BLOCK, (off_t)k * BLOCK) == BLOCK);
		for (unsigned i = 0; i < BLOCK / 4; i++)
			CHECK(r[i] == w[i]);
	}
	printf("diskloop ok: %u blocks written and read back over %lld s; %u stops inside a "
	       "request, %u between\n",
	       n, (ms() - t0) / 1000, inside, between);
	return 0;
}
