// SPDX-License-Identifier: MIT
/* nanosleep/usleep halt until the deadline: never early, and not much late.
 * The bound for late is loose (50 ms, six tries): TCG and nested KVM are noisy hosts.
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

/* One sleep: early is always wrong; late only when six tries in a row are late,
 * since a loaded host can deschedule the whole VM for tens of ms (seen: 83 ms with
 * the host's load at 13 on 2 cores; three tries in a row once in the lab, with other
 * labs on the machine), while an oversleeping guest is late every time. */
static int sleep_bad(long us, int i)
{
	for (int try = 0; try < 6; try++) {
		long long t0 = now();
		if (i % 2)
			usleep(us);
		else
			nanosleep(&(struct timespec){ 0, us * 1000 }, NULL);
		long long d = (now() - t0) / 1000;
		printf("asked %ld us, slept %lld us\n", us, d);
		if (d < us)
			return 1;
		if (d <= us + 50000)
			return 0;
	}
	return 1;
}

int main(void)
{
	static const long us[] = { 1000, 5000, 20000, 1000, 100 };
	int bad = 0;
	for (unsigned i = 0; i < sizeof us / sizeof us[0]; i++)
		bad |= sleep_bad(us[i], i);
	struct timespec badreq = { 0, 1000000000 };
	if (nanosleep(&badreq, NULL) == 0)
		bad = 1, printf("FAIL: tv_nsec = 1e9 accepted\n");
	printf("sleep accuracy %s\n", bad ? "FAIL" : "ok");
	return bad;
}
