/* SPDX-License-Identifier: MIT */
/* The guest tests' one check: CHECK(cond) in main() prints the failed condition, its line
 * and errno, and returns 1 (the test's status); the runner matches "FAIL line N". */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H
#include <errno.h>
#include <stdio.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);              \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)
#endif
