// SPDX-License-Identifier: MIT
/* The example project's library: words are runs of letters. */
#include <ctype.h>
#include "words.h"

int words_count(const char *s)
{
	int n = 0, in = 0;
	for (; *s; s++) {
		int a = isalpha((unsigned char)*s);
		n += a && !in;
		in = a;
	}
	return n;
}
