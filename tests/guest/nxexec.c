// SPDX-License-Identifier: MIT
/* Data is not executable: jumping into a writable buffer faults (NX).
 * expect-status: 120
 * expect-output: fault
 * expect-output: non-executable
 */
#include <stdio.h>

static unsigned char buf[16] = { 0xc3 }; /* ret */

int main(void)
{
	void (*fn)(void) = (void (*)(void))(void *)buf;
	printf("calling data at %p\n", (void *)buf);
	fn();
	printf("FAIL: the call did not fault\n");
	return 0;
}
