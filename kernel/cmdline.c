// SPDX-License-Identifier: MIT
/* Splits the boot command line into words in place. Double or single quotes
 * group a word; there are no escapes. Pure: unit-tested on the host. */
#include "kernel.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

int cmdline_split(char *s, char **words, int max)
{
	int n = 0;
	char *w = s; /* write cursor: quotes are removed in place */

	while (*s) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (n == max)
			return -1;
		words[n++] = w;
		while (*s && !is_space(*s)) {
			if (*s == '"' || *s == '\'') {
				char q = *s++;
				while (*s && *s != q)
					*w++ = *s++;
				if (!*s)
					return -1; /* unterminated quote */
				s++;
			} else {
				*w++ = *s++;
			}
		}
		int end = *s != '\0';
		*w++ = '\0';
		s += end;
		/* w never passes s: each word's bytes are copied down or in place. */
	}
	return n;
}

int cmdline_find_sep(char **words, int n)
{
	for (int i = 0; i < n; i++)
		if (words[i][0] == '-' && words[i][1] == '-' && words[i][2] == '\0')
			return i;
	return -1;
}
