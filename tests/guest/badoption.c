// SPDX-License-Identifier: MIT
/* An unknown kernel option is an error naming it, not silently ignored,
 * and the app never runs.
 * run: -- nosuchoption=1 -- x
 * expect-status: 122
 * expect-output: unknown kernel option 'nosuchoption=1'
 */
#include <stdio.h>

int main(void)
{
	printf("FAIL: the app ran\n");
	return 0;
}
