// SPDX-License-Identifier: MIT
/* sancheck_fuzz: the fuzz build checking itself. Built with FUZZ_CC like every fuzz target
 * (tests/build.mk); an input that starts with "overflow" overflows a signed int, which must end
 * the run with UBSan's report (tests/run-tests, "sancheck"), not be printed and passed over. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

volatile int sancheck_sink; /* where the sum goes, so it is computed */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int big = INT_MAX - 1;

	if (size >= 8 && !memcmp(data, "overflow", 8))
		sancheck_sink = big + (int)size; /* INT_MAX - 1 + 8: signed overflow */
	return 0;
}
