// SPDX-License-Identifier: MIT
/* sancheck: the test build checking itself. Built with TEST_CC like every unit test
 * (tests/build.mk), it prints "ok" lines around the fault its argument names: "overflow" (signed
 * int), "oob" (a heap write past the end), "leak", or "none". tests/run-tests must count each
 * fault as a FAIL and "none" as clean; if a flag that makes that so is lost, this says it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "none";
	volatile int one = 1; /* not a constant: the compiler may not fold a fault away */

	printf("ok sancheck before %s\n", what);
	fflush(stdout);
	if (!strcmp(what, "overflow")) {
		int big = INT_MAX;
		printf("ok sum %d\n", big + one);
	} else if (!strcmp(what, "oob")) {
		char *p = malloc(8);
		if (p)
			memset(p, 0, 8 + one); /* through libc: ASan's, not UBSan's, to see */
		printf("ok wrote %p\n", (void *)p);
		free(p);
	} else if (!strcmp(what, "leak")) {
		char *p = malloc(64 + one);
		printf("ok lost %p\n", (void *)p);
		// cppcheck-suppress memleak ; the leak is the test (LeakSanitizer)
	}
	printf("ok sancheck after %s\n", what);
	return 0;
}
