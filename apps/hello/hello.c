// SPDX-License-Identifier: MIT
/* hello: the default app. Greets, shows its arguments and the clocks, uses the
 * heap and sleeps; plain POSIX, so it also builds for Linux.
 * expect-status: 0
 * expect-output: ^Hello from spore!$
 * expect-output: ^argv\[0\] = hello$
 * expect-output: ^monotonic [0-9]+\.[0-9]{9} s, wall 20[0-9-]+ [0-9:]+ UTC$
 * expect-output: ^allocated, touched and freed [0-9]+ KiB$
 * expect-output: ^slept [0-9]+ us$
 * expect-output: ^goodbye$
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	printf("Hello from spore!\n");
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);

	long long mono = ns(CLOCK_MONOTONIC), wall = ns(CLOCK_REALTIME);
	time_t now = wall / 1000000000;
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime(&now));
	printf("monotonic %lld.%09lld s, wall %s UTC\n", mono / 1000000000, mono % 1000000000,
	       when);

	/* 2 MiB, or half the free RAM in a smaller guest. */
	size_t n = 2 << 20, avail = (size_t)sysconf(_SC_AVPHYS_PAGES) * 4096;
	if (avail / 2 < n)
		n = avail / 2;
	char *p = malloc(n);
	if (!p) {
		printf("malloc of %zu bytes failed\n", n);
		return 1;
	}
	memset(p, 0xa5, n);
	for (size_t i = 0; i < n; i += 4096)
		if ((unsigned char)p[i] != 0xa5)
			return 1;
	free(p);
	printf("allocated, touched and freed %zu KiB\n", n / 1024);

	struct timespec req = { 0, 10 * 1000000 };
	long long t0 = ns(CLOCK_MONOTONIC);
	nanosleep(&req, NULL);
	long long slept = ns(CLOCK_MONOTONIC) - t0;
	printf("slept %lld us\n", slept / 1000);
	if (slept < 10 * 1000000) {
		printf("FAIL: woke %lld us early\n", (10 * 1000000 - slept) / 1000);
		return 1;
	}
	printf("goodbye\n");
	return 0;
}
