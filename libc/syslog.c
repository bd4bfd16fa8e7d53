// SPDX-License-Identifier: MIT
/* syslog(3) with no syslog daemon: each message goes to stderr, the console,
 * as "IDENT[1]: message" (LOG_PID) or "IDENT: message", the one log a VM
 * has. The priority mask is honoured; facilities are accepted and unused. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *ident = "";
static int logopt;
static int logmask = 0xff;

void openlog(const char *id, int option, int facility)
{
	(void)facility;
	ident = id ? id : "";
	logopt = option;
}

void closelog(void)
{
	ident = "";
	logopt = 0;
}

int setlogmask(int m)
{
	int old = logmask;
	if (m)
		logmask = m;
	return old;
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	if (!(logmask & LOG_MASK(LOG_PRI(pri))))
		return;
	if (logopt & LOG_PID)
		fprintf(stderr, "%s[1]: ", ident);
	else if (*ident)
		fprintf(stderr, "%s: ", ident);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
