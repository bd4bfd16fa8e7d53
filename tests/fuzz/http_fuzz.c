// SPDX-License-Identifier: MIT
/* libFuzzer target for httpd's request-head parser and the path check and
 * escape it feeds: any bytes give 0, a head length within the input, or one of the
 * parser's statuses, and nothing reads outside the buffer (ASan, UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req r;
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	memcpy(buf, data, size);
	long n = http_parse(buf, size, &r);
	if (n > 0) {
		if ((size_t)n > size || n > HEAD_MAX || r.raw_len != (size_t)n ||
		    r.content_length > BODY_MAX || strlen(r.path) >= sizeof r.path ||
		    r.path[0] != '/')
			abort();
		char esc[64]; /* small on purpose: the escape's bound is fuzzed too */
		size_t n = http_url_escape(r.path, esc, sizeof esc);
		if (http_path_ok(r.path) && r.path[0] != '/')
			abort();
		if (n > sizeof esc || (n < sizeof esc && strlen(esc) != n))
			abort();
	}
	if (n < 0 && n != -400 && n != -413 && n != -414 && n != -431 && n != -501 && n != -505)
		abort();
	free(buf);
	return 0;
}
