// SPDX-License-Identifier: MIT
/* Sleeping threads wake in deadline order, never early; the vCPU halts
 * meanwhile (nothing else is runnable).
 * expect-status: 0
 * expect-output: ^order 3 1 2: ok$
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int order[3], n;
static const int ms[3] = { 30, 50, 10 };

static void *sleeper(void *a)
{
	int i = (int)(intptr_t)a;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	usleep(ms[i] * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long d = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	order[n++] = d >= ms[i] * 1000 ? i + 1 : -1;
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, sleeper, (void *)(intptr_t)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	int ok = order[0] == 3 && order[1] == 1 && order[2] == 2;
	printf("order %d %d %d: %s\n", order[0], order[1], order[2], ok ? "ok" : "FAIL");
	return !ok;
}
