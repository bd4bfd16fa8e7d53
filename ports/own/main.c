// SPDX-License-Identifier: MIT
/* The example project: its arguments counted by a thread, a file written to
 * and read back from /tmp, a bit of libm. Plain POSIX: the same source runs
 * on Linux and, built with spore-cc, boots on spore. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "words.h"

static int total;

static void *count(void *arg)
{
	char **argv = arg;
	for (int i = 1; argv[i]; i++)
		total += words_count(argv[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	char line[64] = "";
	(void)argc;
	if (pthread_create(&t, NULL, count, argv) || pthread_join(t, NULL))
		return 1;
	FILE *f = fopen("/tmp/wordy.txt", "w+");
	if (!f || fprintf(f, "%d words\n", total) < 0 || fseek(f, 0, SEEK_SET) ||
	    !fgets(line, sizeof line, f))
		return 2;
	fclose(f);
	remove("/tmp/wordy.txt");
	printf("wordy: %s", line);
	printf("wordy: sqrt(%d) = %.4f\n", total, sqrt(total));
	return 0;
}
