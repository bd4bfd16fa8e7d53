// SPDX-License-Identifier: MIT
/* The app's entry: main()'s return value goes to exit(), which runs atexit
 * handlers and flushes stdio before _exit() ends the VM. */
#include <stdlib.h>
#include "libc.h"
#include "fd.h"

void libc_start(int argc, char **argv)
{
	/* newlib's per-thread state (sys/reent.h): the scheduler swaps it */
	sched_libc((void **)&_impure_ptr, libc_heap_in_use);
	fd_init();
	exit(main(argc, argv));
}
