// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's ELF loader (monitor/elf.c) over any bytes:
 * it accepts with every segment and entry inside guest RAM, or refuses with a
 * message and guest RAM untouched. RAM sits between two inaccessible pages (a
 * write past either end faults) and starts with no page resident, so mincore()
 * tells at once whether a refusal wrote anything; the image is a heap copy of
 * exactly its size (ASan checks every read). make fuzz-elf FUZZ_SECONDS=N;
 * seeds: the test guests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "monitor.h"

#define PAGE 4096ull
#define MEM  ((2ull << 20) + (64ull << 10)) /* above 1 MiB: room for the seeds (1 MiB + 4 KiB) */

static uint8_t *mem;

static void setup(void)
{
	uint8_t *p = mmap(NULL, MEM + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p + PAGE, MEM, PROT_READ | PROT_WRITE) < 0)
		abort();
	mem = p + PAGE;
}

static int touched(void)
{
	static unsigned char vec[MEM / PAGE];
	if (mincore(mem, MEM, vec) < 0)
		abort();
	for (size_t i = 0; i < sizeof(vec); i++)
		if (vec[i] & 1)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image im;
	char err[256] = "";

	if (!mem)
		setup();
	uint8_t *img = malloc(size ? size : 1);
	memcpy(img, data, size);
	int r = elf_load(img, size, mem, MEM, &im, err, sizeof(err));
	if (r < 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
		if (touched())
			abort(); /* checked before copied: RAM untouched */
	} else {
		if (im.nseg < 1 || im.nseg > MON_SEG_MAX || (!im.has32 && !im.has64))
			abort();
		for (int i = 0; i < im.nseg; i++) {
			const struct seg *s = &im.seg[i];
			if (s->gpa < GPA_LOW_END || s->memsz > MEM || s->gpa > MEM - s->memsz ||
			    im.filesz[i] > s->memsz)
				abort();
		}
		if ((im.has32 && (im.entry32 < GPA_LOW_END || im.entry32 >= MEM)) ||
		    (im.has64 && (im.entry64 < GPA_LOW_END || im.entry64 >= MEM)))
			abort();
		madvise(mem, MEM, MADV_DONTNEED); /* zero and not resident again */
	}
	free(img);
	return 0;
}
