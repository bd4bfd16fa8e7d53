// SPDX-License-Identifier: MIT
/* Eight threads interleave through yields, keep their own errno, and are
 * joined with their return values.
 * expect-status: 0
 * expect-output: ^threads ok: 8 x 1000 steps, errno per thread$
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

static long counter[8], total;

static void *work(void *arg)
{
	long i = (long)(intptr_t)arg;
	errno = 100 + (int)i;
	for (int k = 0; k < 1000; k++) {
		counter[i]++;
		total++;
		sched_yield();
	}
	return (void *)(intptr_t)(errno == 100 + i ? i * 10 : -1);
}

int main(void)
{
	pthread_t t[8];
	errno = 7;
	for (long i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, work, (void *)(intptr_t)i))
			return printf("FAIL: create\n"), 1;
	int bad = 0;
	for (long i = 0; i < 8; i++) {
		void *ret;
		if (pthread_join(t[i], &ret) || (intptr_t)ret != i * 10 || counter[i] != 1000)
			bad++;
	}
	if (bad || total != 8000 || errno != 7)
		return printf("FAIL: bad %d total %ld errno %d\n", bad, total, errno), 1;
	printf("threads ok: 8 x 1000 steps, errno per thread\n");
	return 0;
}
