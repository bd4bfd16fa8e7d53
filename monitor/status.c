// SPDX-License-Identifier: MIT
/* The status an HC_EXIT may end the monitor with (pure). The monitor's own statuses
 * (kernel/hypercall.h, HC_EXIT_MON_MIN..MAX) are refused, so every one of them comes
 * from the monitor and a script can trust it; a guest's own exit never has a line. */
#include "hypercall.h"
#include "monitor.h"

/* The exit status for a guest's request: 0..255, outside that 255 (a failure must
 * never read as success), or -1 when it is one of the monitor's. */
int status_guest(int32_t s)
{
	if (s < 0 || s > 255)
		return 255;
	if (s >= HC_EXIT_MON_MIN && s <= HC_EXIT_MON_MAX)
		return -1;
	return s;
}
