// SPDX-License-Identifier: MIT
/* A thread that recurses without end is stopped at its guard: an unmapped
 * page under QEMU, a canary checked at the next switch under spore-kvm.
 * expect-status: 120
 * expect-output: stack overflow
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static volatile int forever = 1;

static int deep(volatile char *prev, int depth)
{
	volatile char frame[256];
	frame[0] = prev ? prev[0] + 1 : 0;
	if (depth % 64 == 0)
		sched_yield(); /* a switch: where a canary is checked */
	return forever ? deep(frame, depth + 1) + frame[1] : 0;
}

static void *run(void *a) { return (void *)(long)deep(a, 0); }

int main(void)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 16384);
	printf("recursing in a thread\n");
	pthread_create(&t, &at, run, NULL);
	pthread_join(t, NULL);
	printf("FAIL: returned\n");
	return 0;
}
