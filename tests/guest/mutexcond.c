// SPDX-License-Identifier: MIT
/* A producer and a consumer through a mutex and two condition variables;
 * a timed wait with nobody signalling times out after about its timeout.
 * expect-status: 0
 * expect-output: ^mutexcond ok$
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER, notfull = PTHREAD_COND_INITIALIZER;
static int slot, full, sum;

static void *producer(void *a)
{
	for (int i = 1; i <= 500; i++) {
		pthread_mutex_lock(&m);
		while (full)
			pthread_cond_wait(&notfull, &m);
		slot = i, full = 1;
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&m);
	}
	return a;
}

int main(void)
{
	pthread_t p;
	pthread_create(&p, NULL, producer, NULL);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&m);
		while (!full)
			pthread_cond_wait(&notempty, &m);
		sum += slot, full = 0;
		pthread_cond_signal(&notfull);
		pthread_mutex_unlock(&m);
	}
	pthread_join(p, NULL);
	struct timespec t0, t1, until;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 20000000;
	if (until.tv_nsec >= 1000000000)
		until.tv_sec++, until.tv_nsec -= 1000000000;
	pthread_mutex_lock(&m);
	int r = pthread_cond_timedwait(&notempty, &m, &until);
	pthread_mutex_unlock(&m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	int ok = sum == 500 * 501 / 2 && r == ETIMEDOUT && ms >= 19 && ms < 200;
	printf("sum %d, timedwait %s after %ld ms\n", sum, r == ETIMEDOUT ? "ETIMEDOUT" : "woke",
	       ms);
	printf("mutexcond %s\n", ok ? "ok" : "FAIL");
	return !ok;
}
