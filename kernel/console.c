// SPDX-License-Identifier: MIT
/* The kernel console: a line buffer in front of the host's console, so a line
 * costs one host write (one VM exit), not one per character. */
#include "kernel.h"

static char buf[CONSOLE_BUF];
static size_t len;
unsigned long console_host_writes; /* each is one VM exit (more under QEMU's UART for long lines) */

void console_flush(void)
{
	if (len) {
		host->console_write(buf, len);
		console_host_writes++;
	}
	len = 0;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf[len++] = s[i];
		if (s[i] == '\n' || len == sizeof buf)
			console_flush();
	}
}
