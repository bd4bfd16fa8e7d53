// SPDX-License-Identifier: MIT
/* Text is read-only: a write to main's own code faults.
 * expect-status: 120
 * expect-output: fault
 * expect-output: read-only
 */
#include <stdio.h>

int main(void)
{
	volatile unsigned char *code = (volatile unsigned char *)(void *)main;
	printf("writing to text at %p\n", (void *)code);
	code[0] = 0xc3;
	printf("FAIL: the write did not fault\n");
	return 0;
}
