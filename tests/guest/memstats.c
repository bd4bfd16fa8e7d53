// SPDX-License-Identifier: MIT
/* memstats=1: the kernel prints its memory line once a second from the
 * scheduler, also while the app only sleeps (the idle halt wakes for it); the
 * heap and used figures include the 1 MiB the app took from malloc and kept.
 * run: -- memstats=1 --
 * expect-status: 0
 * expect-output: ^spore: memstats t=[2-9]s used=[0-9]{7,} heap=[0-9]{7,} pages=[0-9]+ free=[0-9]+
 * expect-output: ^memstats: slept$
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char *keep = malloc(1 << 20);
	if (!keep)
		return 1;
	memset(keep, 1, 1 << 20);
	usleep(2600000); /* lines at about 0, 1 and 2 s */
	printf("memstats: slept\n");
	// cppcheck-suppress memleak ; kept on purpose: the memstats lines count it
	return keep[4095] == 1 ? 0 : 2;
}
