// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's ELF loader (monitor/elf.c) over any bytes:
 * it accepts with every segment and entry inside guest RAM, or refuses with a
 * message and guest RAM untouched (ASan checks every read of the image and
 * every write to RAM). make fuzz-elf FUZZ_SECONDS=N; seeds: the test guests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "monitor.h"

#define MEM ((2ull << 20) + (64ull << 10))   /* above 1 MiB: room for the seeds (1 MiB + 4 KiB) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	struct image im;
	char err[256] = "";

	if (!mem)
		mem = calloc(1, MEM);     /* heap, so ASan sees a write past the end */
	uint8_t *img = malloc(size ? size : 1);
	memcpy(img, data, size);
	int r = elf_load(img, size, mem, MEM, &im, err, sizeof(err));
	if (r < 0) {
		if (!err[0])
			abort();          /* a refusal always says why */
		static const uint8_t zero[64 << 10];
		for (size_t i = 0; i < MEM; i += sizeof(zero))
			if (memcmp(mem + i, zero, sizeof(zero)))
				abort();  /* checked before copied: RAM untouched */
	} else {
		if (im.nseg < 1 || im.nseg > MON_SEG_MAX || (!im.has32 && !im.has64))
			abort();
		for (int i = 0; i < im.nseg; i++) {
			const struct seg *s = &im.seg[i];
			if (s->gpa < GPA_LOW_END || s->memsz > MEM || s->gpa > MEM - s->memsz ||
			    im.filesz[i] > s->memsz)
				abort();
			memset(mem + s->gpa, 0, s->memsz);   /* clean for the next input */
		}
		if ((im.has32 && (im.entry32 < GPA_LOW_END || im.entry32 >= MEM)) ||
		    (im.has64 && (im.entry64 < GPA_LOW_END || im.entry64 >= MEM)))
			abort();
	}
	free(img);
	return 0;
}
