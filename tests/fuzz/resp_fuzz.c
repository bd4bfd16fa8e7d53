// SPDX-License-Identifier: MIT
/* libFuzzer target for kv's RESP parser: the input parsed as a stream of
 * commands at once and again fed in pieces (each piece a fresh exact-size
 * copy, so ASan sees any read past the bytes given); both must agree, and
 * every argument lies inside its command. make fuzz-resp FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/kv/resp.h"

#define MAXCMDS 64

struct seen { long n; int argc; size_t sum; unsigned hash; };

/* Parses commands from data; pieces > 0: feed at most that many new bytes per call. */
static int run(const uint8_t *data, size_t size, size_t piece, struct seen *out)
{
	struct resp r = { 0 };
	size_t off = 0, have = 0;
	int k = 0;
	while (k < MAXCMDS && off < size) {
		have = piece ? (have + piece < size - off ? have + piece : size - off) : size - off;
		char *buf = malloc(have ? have : 1);
		memcpy(buf, data + off, have);
		long n = resp_parse(&r, buf, have);
		if (n < 0 && !r.err)
			abort();
		if (n > (long)have || (n == 0 && r.need <= have && !(piece && have < size - off)))
			abort();   /* incomplete, yet the bytes it wants are all here */
		if (n > 0) {
			char **argv = malloc(sizeof *argv * (size_t)(r.argc + 1));
			size_t *lens = malloc(sizeof *lens * (size_t)(r.argc + 1));
			resp_args(&r, buf, argv, lens);
			struct seen s = { n, r.argc, 0, 0 };
			for (int i = 0; i < r.argc; i++) {
				if (argv[i] < buf || lens[i] > (size_t)n || argv[i] + lens[i] > buf + n)
					abort();
				for (size_t j = 0; j < lens[i]; j++)
					s.hash = s.hash * 31 + (uint8_t)argv[i][j];
				s.sum += lens[i];
			}
			out[k++] = s;
			free(argv), free(lens);
			off += (size_t)n, have = 0;
		}
		free(buf);
		if (n < 0) {
			out[k++] = (struct seen){ -1, 0, 0, 0 };
			break;
		}
		if (n == 0 && have == size - off)
			break;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen a[MAXCMDS], b[MAXCMDS];
	if (!size)
		return 0;
	size_t piece = 1 + data[0] % 7;   /* the first byte picks the piece size */
	int na = run(data + 1, size - 1, 0, a);
	int nb = run(data + 1, size - 1, piece, b);
	if (na != nb)
		abort();
	for (int i = 0; i < na; i++)
		if (a[i].n != b[i].n || a[i].argc != b[i].argc || a[i].sum != b[i].sum || a[i].hash != b[i].hash)
			abort();
	return 0;
}
