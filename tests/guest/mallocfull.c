// SPDX-License-Identifier: MIT
/* malloc until the heap is exhausted: NULL with ENOMEM, never a crash or
 * corruption; after freeing, memory is usable again.
 * expect-status: 0
 * expect-output: ^exhausted after [0-9]+ KiB, errno ENOMEM$
 * expect-output: ^freed and reallocated [0-9]+ KiB: ok$
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)
static void *chunks[16384];

int main(void)
{
	size_t n = 0;
	errno = 0;
	while (n < sizeof chunks / sizeof chunks[0] && (chunks[n] = malloc(CHUNK))) {
		memset(chunks[n], (int)n, CHUNK);
		n++;
	}
	if (n == sizeof chunks / sizeof chunks[0] || errno != ENOMEM) {
		printf("FAIL: %zu chunks, errno %d\n", n, errno);
		return 1;
	}
	printf("exhausted after %zu KiB, errno ENOMEM\n", n * CHUNK / 1024);
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char *)chunks[i])[CHUNK - 1] != (unsigned char)i)
			return 2; /* corrupted */
		free(chunks[i]);
	}
	size_t again = 0;
	while (again < n / 2 && (chunks[again] = malloc(CHUNK)))
		again++;
	printf("freed and reallocated %zu KiB: %s\n", again * CHUNK / 1024,
	       again == n / 2 ? "ok" : "FAIL");
	return again == n / 2 ? 0 : 1;
}
