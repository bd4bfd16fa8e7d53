// SPDX-License-Identifier: MIT
/* nanosleep/usleep halt until the deadline: never early, and not much late.
 * The bound for late is loose (50 ms): TCG and nested KVM are noisy hosts.
 * expect-status: 0
 * expect-output: ^sleep accuracy ok$
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(void)
{
	static const long us[] = { 1000, 5000, 20000, 1000, 100 };
	int bad = 0;
	for (unsigned i = 0; i < sizeof us / sizeof us[0]; i++) {
		long long t0 = now();
		if (i % 2)
			usleep(us[i]);
		else
			nanosleep(&(struct timespec){ 0, us[i] * 1000 }, NULL);
		long long d = (now() - t0) / 1000;
		printf("asked %ld us, slept %lld us\n", us[i], d);
		bad |= d < us[i] || d > us[i] + 50000;
	}
	struct timespec badreq = { 0, 1000000000 };
	if (nanosleep(&badreq, NULL) == 0)
		bad = 1, printf("FAIL: tv_nsec = 1e9 accepted\n");
	printf("sleep accuracy %s\n", bad ? "FAIL" : "ok");
	return bad;
}
