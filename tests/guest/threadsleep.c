// SPDX-License-Identifier: MIT
/* Sleeping threads wake in deadline order, never early; the vCPU halts
 * meanwhile (nothing else is runnable).
 *
 * The deadlines are absolute, from one instant taken before any thread
 * exists, and 100 ms apart: under nested emulation (Xen inside QEMU TCG)
 * creating a thread took more than the 20 ms this test once allowed, so a
 * later-created thread with a shorter sleep woke after an earlier one.
 * expect-status: 0
 * expect-output: ^order 3 1 2: ok$
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int order[3], n;
static const int ms[3] = { 200, 300, 100 };
static struct timespec start;

static long us_since_start(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - start.tv_sec) * 1000000 + (t.tv_nsec - start.tv_nsec) / 1000;
}

static void *sleeper(void *a)
{
	int i = (int)(intptr_t)a;
	long left = ms[i] * 1000L - us_since_start();
	if (left > 0)
		usleep(left);
	/* -1: woke before its deadline; -2: never slept (started too late
	 * for the test to mean anything). */
	order[n++] = left <= 0 ? -2 : us_since_start() >= ms[i] * 1000L ? i + 1 : -1;
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, sleeper, (void *)(intptr_t)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	int ok = order[0] == 3 && order[1] == 1 && order[2] == 2;
	printf("order %d %d %d: %s\n", order[0], order[1], order[2], ok ? "ok" : "FAIL");
	return !ok;
}
