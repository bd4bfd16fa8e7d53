// SPDX-License-Identifier: MIT
/* libFuzzer target for kv's RESP parser: any bytes give 0, a length within
 * the input, or -1 with a message, with every argument inside the input
 * (ASan checks the reads). make fuzz-resp FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/kv/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd c;
	const char *err = NULL;
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	long n = resp_parse(buf, size, &c, &err);
	if ((n < 0 && !err) || n > (long)size)
		abort();
	for (int i = 0; n > 0 && i < c.argc; i++)
		if (c.argv[i] < buf || c.argv[i] + c.len[i] > buf + size)
			abort();
	free(buf);
	return 0;
}
