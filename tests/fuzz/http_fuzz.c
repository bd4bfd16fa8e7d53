// SPDX-License-Identifier: MIT
/* libFuzzer target for httpd's request-head parser and path checks: any
 * bytes must give 0, a head length within the input, or an error status,
 * and never read outside the buffer (ASan). make fuzz-http FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req r;
	char *buf = malloc(size ? size : 1);   /* exact size: ASan sees any overread */
	memcpy(buf, data, size);
	long n = http_parse(buf, size, &r);
	if (n > 0 && ((size_t)n > size || r.content_length > BODY_MAX || strlen(r.path) >= sizeof r.path))
		abort();
	if (n < 0 && n != -400 && n != -413 && n != -431 && n != -501 && n != -505)
		abort();
	free(buf);
	return 0;
}
