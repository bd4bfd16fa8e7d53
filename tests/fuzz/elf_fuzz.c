// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's ELF loader (monitor/elf.c) over any bytes:
 * it accepts with every segment and entry inside guest RAM, or refuses with a
 * message and guest RAM untouched. RAM sits between two inaccessible pages (a
 * write past either end faults) and starts with no page resident, so mincore()
 * tells at once whether a refusal wrote anything; the image is a heap copy of
 * exactly its size (ASan checks every read). The same bytes also go through
 * image_load (monitor/image.c, what spore-kvm uses: it parses the headers to
 * know which parts to read) from a memfd, reading each part on its own: same
 * verdict, same message, same guest RAM. And through image_share, which maps the
 * pages of read-only segments from the file over a fresh RAM mapping: the same
 * again. make fuzz-elf FUZZ_SECONDS=N; seeds: the test guests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "monitor.h"

#define PAGE 4096ull
#define MEM  ((2ull << 20) + (64ull << 10)) /* above 1 MiB: room for the seeds (1 MiB + 4 KiB) */

static uint8_t *mem, *mem2, *mem3;
static int fd = -1;

static uint8_t *ram(void)
{
	uint8_t *p = mmap(NULL, MEM + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p + PAGE, MEM, PROT_READ | PROT_WRITE) < 0)
		abort();
	return p + PAGE;
}

static void setup(void)
{
	mem = ram();
	mem2 = ram();
	mem3 = ram();
	fd = memfd_create("image", 0);
	if (fd < 0)
		abort();
}

static int touched(const uint8_t *m)
{
	static unsigned char vec[MEM / PAGE];
	if (mincore((void *)m, MEM, vec) < 0)
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
	struct image im2;
	char err2[256] = "";
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	int r2 = image_load_head(fd, size, 64, mem2, MEM, &im2, err2, sizeof(err2));
	if (r2 != r || (r < 0 && strcmp(err, err2) != 0))
		abort(); /* image_load judges as elf_load does */
	if (r == 0 && (memcmp(mem, mem2, MEM) != 0 || memcmp(&im, &im2, sizeof(im)) != 0))
		abort(); /* and loads the same bytes */
	struct image im3;
	char err3[256] = "";
	int r3 = image_share(fd, size, mem3, MEM, &im3, err3, sizeof(err3));
	if (r3 != r || (r < 0 && (strcmp(err, err3) != 0 || touched(mem3))))
		abort(); /* image_share judges as elf_load does, RAM untouched on a refusal */
	memset(im3.map, 0, sizeof(im3.map));
	if (r == 0 && (memcmp(mem, mem3, MEM) != 0 || memcmp(&im, &im3, sizeof(im)) != 0))
		abort(); /* and guest RAM holds the same bytes, mapped or copied */
	/* Mapped pages would come back as the file's, not zero: a fresh mapping. */
	if (munmap(mem3 - PAGE, MEM + 2 * PAGE) < 0)
		abort();
	mem3 = ram();
	if (r < 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
		if (touched(mem) || touched(mem2))
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
		madvise(mem2, MEM, MADV_DONTNEED);
	}
	free(img);
	return 0;
}
