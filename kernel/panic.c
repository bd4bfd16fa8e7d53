// SPDX-License-Identifier: MIT
/* The one way out: flush the console and ask the host to end the VM. */
#include "kernel.h"

void kexit(int status)
{
	console_flush();
	host->exit(status);
}

void panic(const char *file, int line, const char *msg)
{
	kprintf("spore: panic at %s:%d: %s\n", file, line, msg);
	kexit(EXIT_PANIC);
}
