// SPDX-License-Identifier: MIT
/* Busy for argv[1] seconds (default 0: done at once), counting in a global: the
 * guest gdb interrupts with Ctrl-C in tests/kvm-lab/gdb.sh (then reads spins).
 * expect-status: 0
 * expect-output: ^spun [0-9]+ times$
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long spins;

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long end = now() + (argc > 1 ? atoll(argv[1]) : 0) * 1000000000ll;

	printf("spinning\n");
	fflush(stdout);
	do
		spins++;
	while (now() < end);
	printf("spun %lu times\n", spins);
	return 0;
}
