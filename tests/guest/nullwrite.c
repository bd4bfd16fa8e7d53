// SPDX-License-Identifier: MIT
/* A write through a null pointer faults: page 0 is unmapped.
 * expect-status: 120
 * expect-output: fault
 * expect-output: null pointer
 * expect-output: backtrace
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;
	printf("writing to NULL\n");
	// cppcheck-suppress nullPointer ; the fault is the test
	*p = 42;
	printf("FAIL: the write did not fault\n");
	return 0;
}
