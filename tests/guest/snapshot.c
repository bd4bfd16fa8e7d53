// SPDX-License-Identifier: MIT
/* Snapshot and restore (tests/snapshot.sh): prints a line, sleeps (the first idle: the
 * kernel's ready call, where spore-kvm --snapshot saves the guest), then prints the
 * clocks and 16 bytes of entropy. Booted, it simply runs through on every host.
 * expect-status: 0
 * expect-output: ^snapshot: before mono=[0-9]+$
 * expect-output: ^snapshot: after mono=[0-9]+ wall=[0-9]+ random=[0-9a-f]{32}$
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(void)
{
	unsigned char b[16];

	printf("snapshot: before mono=%lld\n", ns(CLOCK_MONOTONIC));
	fflush(stdout);
	usleep(20000);
	if (getentropy(b, sizeof(b)) < 0)
		return 1;
	printf("snapshot: after mono=%lld wall=%lld random=", ns(CLOCK_MONOTONIC),
	       ns(CLOCK_REALTIME));
	for (int i = 0; i < 16; i++)
		printf("%02x", b[i]);
	printf("\n");
	return 0;
}
