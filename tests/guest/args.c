// SPDX-License-Identifier: MIT
/* Kernel options before --, app arguments after; quotes group words.
 * run: -- boottime=1 -- one "two words" three
 * expect-status: 0
 * expect-output: ^spore: boot [0-9]+ us from PVH entry to main
 * expect-output: ^argc 4: \[args\] \[one\] \[two words\] \[three\]$
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return argc == 4 ? 0 : 1;
}
