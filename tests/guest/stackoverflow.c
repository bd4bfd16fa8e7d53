// SPDX-License-Identifier: MIT
/* Unbounded recursion runs into the guard page below the stack and is
 * reported as a stack overflow, not as silent corruption.
 * expect-status: 120
 * expect-output: stack overflow
 */
#include <stdio.h>

static volatile int forever = 1;

static int depth(volatile char *prev)
{
	volatile char frame[512];
	frame[0] = prev ? prev[0] + 1 : 0;
	return forever ? depth(frame) + frame[1] : 0;
}

int main(void)
{
	printf("recursing\n");
	return depth(NULL);
}
