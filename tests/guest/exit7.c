// SPDX-License-Identifier: MIT
/* The app's exit status becomes the VM's, after atexit handlers and the
 * stdio flush.
 * expect-status: 7
 * expect-output: ^partial line, flushed at exit$
 * expect-output: ^atexit ran$
 */
#include <stdio.h>
#include <stdlib.h>

static void bye(void) { printf(", flushed at exit\natexit ran\n"); }

int main(void)
{
	atexit(bye);
	printf("partial line"); /* no newline: only exit()'s flush writes it */
	exit(7);
}
