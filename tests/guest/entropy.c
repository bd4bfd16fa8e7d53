// SPDX-License-Identifier: MIT
/* getentropy() fills from a real source (RDRAND, or the host's via a
 * hypercall), refuses more than 256 bytes, and never returns zeros twice.
 * expect-status: 0
 * expect-output: ^entropy ok$
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 }, big[257];
	if (getentropy(a, sizeof a) || getentropy(b, sizeof b)) {
		printf("FAIL: getentropy: errno %d\n", errno);
		return 1;
	}
	if (!memcmp(a, b, sizeof a) || !memcmp(a, zero, sizeof a)) {
		printf("FAIL: the bytes repeat\n");
		return 1;
	}
	if (getentropy(big, sizeof big) == 0 || errno != EIO) {
		printf("FAIL: 257 bytes accepted\n");
		return 1;
	}
	printf("entropy ok\n");
	return 0;
}
