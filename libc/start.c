// SPDX-License-Identifier: MIT
/* The app's entry: main()'s return value goes to exit(), which runs atexit
 * handlers and flushes stdio before _exit() ends the VM. */
#include <stdlib.h>
#include "fd.h"

int main(int argc, char **argv);
void libc_start(int argc, char **argv);

void libc_start(int argc, char **argv)
{
	fd_init();
	exit(main(argc, argv));
}
