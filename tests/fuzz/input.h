/* SPDX-License-Identifier: MIT */
/* The fuzzers' input as a stream of numbers: byte() and word(n) read the next bytes,
 * and read 0 once the input is used up, so every input is a complete run. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H
#include <stdint.h>

static const uint8_t *in, *in_end; /* set from LLVMFuzzerTestOneInput's data, size */

static uint8_t byte(void) { return in < in_end ? *in++ : 0; }

static uint64_t word(unsigned n) /* n bytes, big-endian */
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | byte();
	return v;
}
#endif
