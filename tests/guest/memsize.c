// SPDX-License-Identifier: MIT
/* The guest sees the RAM it was given (from the PVH memory map, never a
 * constant): argv[1] is the size in MiB the runner asked for. 5000 MiB puts
 * RAM above 4 GiB, past the boot tables' 1 GiB, and the PCI hole under it.
 * run: --mem=16 -- 16
 * run: --mem=64 -- 64
 * run: --mem=5000 -- 5000
 * expect-status: 0
 * expect-output: ^RAM [0-9]+ KiB: ok
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long want = argc > 1 ? atol(argv[1]) * 1024 : 0;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long kib = pages * (psize / 1024);
	/* The map may hold back a little low memory (below 1 MiB). */
	int ok = want > 0 && kib <= want && kib >= want - 1024;
	printf("RAM %ld KiB: %s (expected %ld)\n", kib, ok ? "ok" : "FAIL", want);
	return !ok;
}
