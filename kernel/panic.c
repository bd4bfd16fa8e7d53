// SPDX-License-Identifier: MIT
/* The one way out: flush the console and ask the host to end the VM. */
#include "kernel.h"

void kexit(int status)
{
	if (opt_boottime)
		kprintf("spore: exit %d after %lu console writes to the host\n", status,
		        console_host_writes + 1);
	console_flush();
	host->exit(status);
}

void panic(const char *file, int line, const char *msg)
{
	kprintf("spore: panic at %s:%d: %s\n", file, line, msg);
	kexit(EXIT_PANIC);
}
