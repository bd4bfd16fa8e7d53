// SPDX-License-Identifier: MIT
/* Kernel options: the `key=value` words before `--` on the command line.
 * An unknown key or a bad value is an error, never silently ignored. */
#include "kernel.h"

int opt_boottime;   /* boottime=1: print PVH entry -> main() time, and exits at the end */

static int parse_bool(const char *v, int *out)
{
	if ((v[0] == '0' || v[0] == '1') && v[1] == '\0') {
		*out = v[0] - '0';
		return 0;
	}
	return -1;
}

static const struct {
	const char *key;
	int (*set)(const char *val, int *dst);
	int *dst;
	const char *help;
} options[] = {
	{ "boottime", parse_bool, &opt_boottime, "0|1" },
};

static int streq_key(const char *word, const char *key, const char **val)
{
	while (*key && *word == *key)
		word++, key++;
	if (*key || *word != '=')
		return 0;
	*val = word + 1;
	return 1;
}

int options_parse(char **words, int n)
{
	for (int i = 0; i < n; i++) {
		const char *val = NULL;
		unsigned k;
		for (k = 0; k < sizeof options / sizeof options[0]; k++)
			if (streq_key(words[i], options[k].key, &val))
				break;
		if (k == sizeof options / sizeof options[0]) {
			kprintf("spore: unknown kernel option '%s' (known: boottime=0|1; "
				"app arguments go after --)\n", words[i]);
			return -1;
		}
		if (options[k].set(val, options[k].dst) < 0) {
			kprintf("spore: bad value in '%s' (expected %s=%s)\n", words[i],
				options[k].key, options[k].help);
			return -1;
		}
	}
	return 0;
}
