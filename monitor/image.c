// SPDX-License-Identifier: MIT
/* Reads the image file with pread into the monitor's own memory, never a mapping of
 * it: another writer of the file could change a mapped program header between
 * elf.c's check and its use, and a truncation would turn a copy into SIGBUS.
 * image_read takes the whole file (--snapshot hashes it, --restore compares it);
 * image_load takes only what elf_check reads, then each segment's bytes straight
 * into guest RAM. Parses only enough to know which parts to read. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor.h"

/* File bytes [off, off + len) into dst. -1 with err: a read error, or the file
 * shrank below off + len (it was at least that long at fstat). */
static int pread_all(int fd, uint8_t *dst, uint64_t len, uint64_t off, char *err, size_t errlen)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				snprintf(err, errlen,
				         "the file shrank while being read (%llu of %llu bytes)",
				         (unsigned long long)(off + done),
				         (unsigned long long)(off + len));
			else
				snprintf(err, errlen, "read failed: %s", strerror(errno));
			return -1;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static int too_big(uint64_t size, char *err, size_t errlen)
{
	if (size <= MON_IMAGE_MAX)
		return 0;
	snprintf(err, errlen, "%llu bytes: larger than the %llu MiB an image may have",
	         (unsigned long long)size, (unsigned long long)(MON_IMAGE_MAX >> 20));
	return 1;
}

/* size is what fstat said; a file that shrinks under the read is an error, one that
 * grows is read up to size. *out is the caller's to free. -1 with err filled. */
int image_read(int fd, uint64_t size, uint8_t **out, char *err, size_t errlen)
{
	uint8_t *buf;

	*out = NULL;
	if (too_big(size, err, errlen))
		return -1;
	buf = malloc(size ? size : 1);
	if (!buf) {
		snprintf(err, errlen, "cannot allocate %llu bytes to read it",
		         (unsigned long long)size);
		return -1;
	}
	if (pread_all(fd, buf, size, 0, err, errlen) < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* The part [off, off + len) of the file into buf at the same offset, where it lies
 * inside the file and past the head already read; elf_check rejects what lies
 * outside. */
static int read_part(int fd, uint8_t *buf, uint64_t size, uint64_t head, uint64_t off, uint64_t len,
                     char *err, size_t errlen)
{
	if (off > size || len > size - off || off + len <= head)
		return 0;
	return pread_all(fd, buf + off, len, off, err, errlen);
}

/* Into buf (size bytes, zero): the first head bytes (at least the ELF header), then,
 * where the headers say they lie in the file, the program and section header tables
 * and every note area: all that elf_check reads. The rest stays zero and untouched. */
static int read_meta(int fd, uint8_t *buf, uint64_t size, uint64_t head, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	head = head < sizeof(*eh) ? sizeof(*eh) : head;
	head = size < head ? size : head;

	if (pread_all(fd, buf, head, 0, err, errlen) < 0)
		return -1;
	if (size < sizeof(*eh))
		return 0;
	uint64_t phoff = eh->e_phoff, phnum = eh->e_phnum, shoff = eh->e_shoff,
		 shnum = eh->e_shnum; /* kept: a re-read of the head may change eh */
	int ph_ok = eh->e_phentsize == sizeof(Elf64_Phdr) && phoff % 8 == 0;
	int sh_ok = eh->e_shentsize == sizeof(Elf64_Shdr) && shoff % 8 == 0;
	if (ph_ok &&
	    read_part(fd, buf, size, head, phoff, phnum * sizeof(Elf64_Phdr), err, errlen) < 0)
		return -1;
	if (sh_ok &&
	    read_part(fd, buf, size, head, shoff, shnum * sizeof(Elf64_Shdr), err, errlen) < 0)
		return -1;
	/* The tables are read; the notes they point at next. Each table's entries are
	 * copied out before its read part is used: a note range is only ever a range.
	 * A note section that is the last note segment (the usual image's one note
	 * area, seen both ways) is not read twice. */
	uint64_t note_off = 0, note_len = 0;
	for (uint64_t i = 0;
	     ph_ok && phoff <= size && phnum * sizeof(Elf64_Phdr) <= size - phoff && i < phnum;
	     i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE)
			continue;
		if (read_part(fd, buf, size, head, ph.p_offset, ph.p_filesz, err, errlen) < 0)
			return -1;
		note_off = ph.p_offset;
		note_len = ph.p_filesz;
	}
	for (uint64_t i = 0;
	     sh_ok && shoff <= size && shnum * sizeof(Elf64_Shdr) <= size - shoff && i < shnum;
	     i++) {
		Elf64_Shdr sh;
		memcpy(&sh, buf + shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_NOTE || (sh.sh_offset == note_off && sh.sh_size == note_len))
			continue;
		if (read_part(fd, buf, size, head, sh.sh_offset, sh.sh_size, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The image into guest RAM with as few pages touched as the segments need: the
 * headers and notes into a scratch mapping whose other pages are never faulted in,
 * checked there by elf_check, then each PT_LOAD's file bytes read straight to its
 * place in guest RAM (no buffer to fault in, fill and copy again; the rest of a
 * segment is fresh anonymous memory, already zero). A bad image leaves guest RAM
 * untouched; a file that shrinks during the segment reads is an error after part
 * of it landed (the VM never starts). -1 with err filled. */
int image_load(int fd, uint64_t size, uint8_t *mem, uint64_t mem_size, struct image *im, char *err,
               size_t errlen)
{
	return image_load_head(fd, size, 4096, mem, mem_size, im, err, errlen);
}

/* image_load with a first read of head bytes: the unit tests' images are smaller than
 * a page, so they ask for less to reach the reads of every other part. */
int image_load_head(int fd, uint64_t size, uint64_t head, uint8_t *mem, uint64_t mem_size,
                    struct image *im, char *err, size_t errlen)
{
	if (too_big(size, err, errlen))
		return -1;
	size_t len = size ? (size_t)size : 1;
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu bytes to read it: %s",
		         (unsigned long long)size, strerror(errno));
		return -1;
	}
	int r = read_meta(fd, buf, size, head, err, errlen);
	if (r == 0)
		r = elf_check(buf, (size_t)size, mem_size, im, err, errlen);
	munmap(buf, len);
	if (r < 0)
		return -1;

	uint8_t *dst[MON_SEG_MAX]; /* every target through the accessor first */
	for (int i = 0; i < im->nseg; i++)
		if ((dst[i] = gm_at(mem, mem_size, im->seg[i].gpa, im->filesz[i])) == NULL) {
			snprintf(err, errlen, "segment at 0x%llx is outside guest RAM",
			         (unsigned long long)im->seg[i].gpa);
			return -1;
		}
	for (int i = 0; i < im->nseg; i++)
		if (pread_all(fd, dst[i], im->filesz[i], im->off[i], err, errlen) < 0)
			return -1;
	return 0;
}
