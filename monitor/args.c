// SPDX-License-Identifier: MIT
/* Command-line parsing for spore-kvm: sizes, integers, the guest command line.
 * Pure functions; range policy (--mem minimum and maximum) is main.c's. */
#include <stdint.h>
#include <string.h>

#include "monitor.h"

/* Decimal digits only: no sign, no spaces, no hex, at least one digit. */
int args_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* DIGITS[K|M|G] (either case), powers of 1024; no suffix means bytes. */
int args_parse_size(const char *s, uint64_t *out)
{
	char digits[24];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n > 0) {
		switch (s[n - 1]) {
		case 'k':
		case 'K':
			shift = 10;
			n--;
			break;
		case 'm':
		case 'M':
			shift = 20;
			n--;
			break;
		case 'g':
		case 'G':
			shift = 30;
			n--;
			break;
		}
	}
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';

	uint64_t v;
	if (args_parse_uint(digits, &v) < 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Joins words with single spaces into buf (NUL-terminated). Returns the length,
 * or -1 when the result would not fit in size - 1 bytes. */
int args_join(char *buf, size_t size, int n, char **words)
{
	size_t len = 0;

	if (size == 0)
		return -1;
	for (int i = 0; i < n; i++) {
		size_t w = strlen(words[i]);
		size_t need = w + (i > 0);
		if (need > size - 1 - len)
			return -1;
		if (i > 0)
			buf[len++] = ' ';
		memcpy(buf + len, words[i], w);
		len += w;
	}
	buf[len] = '\0';
	return (int)len;
}
