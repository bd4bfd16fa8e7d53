// SPDX-License-Identifier: MIT
/* Reads the image file with pread into the monitor's own memory, never a mapping of
 * it, for everything the monitor parses: another writer of the file could change a
 * mapped program header between elf.c's check and its use, and a truncation would
 * turn a copy into SIGBUS. image_read takes the whole file (--snapshot hashes it,
 * --restore compares it); image_load takes only what elf_check reads, then each
 * segment's bytes straight into guest RAM. image_share maps the whole pages of the
 * segments from the file instead (shared by every instance in the page cache): those
 * are guest bytes the monitor never parses, but they trust the file as an executable
 * is trusted: replaced by a rename (as ld and install do), never rewritten or
 * truncated in place under running instances (the guest would see the new bytes; a
 * page cut off ends the VM). Parses only enough to know which parts to read. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* Segment i's whole guest pages that can be mapped from the file instead of copied:
 * any segment, writable too (the mapping is private: the guest's first write to a page
 * copies it then, and a page it never writes, such as the boot page tables in .data,
 * stays the page cache's), whose file offset is congruent to its address modulo a
 * page (mmap maps whole pages), and which shares no page with another segment (a
 * mapped page replaces all of its page, and overlapping segments keep the copy's
 * order). The range ends at the last page wholly inside the file bytes, or, with
 * tail_zero (the file bytes after them to their page's end are zero: what the copy
 * leaves there), at that page's end. len 0: copy all of it. Pure; im is checked. */
struct image_map image_plan(const struct image *im, int i, int tail_zero)
{
	const struct seg *s = &im->seg[i];
	struct image_map m = { 0, 0, 0 };
	uint64_t first = (s->gpa + IMAGE_PAGE - 1) & ~(IMAGE_PAGE - 1);
	uint64_t end = s->gpa + im->filesz[i];
	uint64_t last =
		tail_zero ? (end + IMAGE_PAGE - 1) & ~(IMAGE_PAGE - 1) : end & ~(IMAGE_PAGE - 1);

	if ((s->gpa - im->off[i]) % IMAGE_PAGE != 0 || last <= first)
		return m;
	for (int j = 0; j < im->nseg; j++) {
		const struct seg *o = &im->seg[j];
		if (j != i && (o->gpa & ~(IMAGE_PAGE - 1)) < s->gpa + s->memsz &&
		    (s->gpa & ~(IMAGE_PAGE - 1)) < o->gpa + o->memsz)
			return m; /* a page in common (checked segments cannot wrap) */
	}
	m.gpa = first;
	m.off = im->off[i] + (first - s->gpa);
	m.len = last - first;
	return m;
}

/* The file bytes from the end of segment i's to the end of their page are zero (or
 * past the end of the file, which a mapping reads as zero). -1 on a read error. */
static int tail_is_zero(int fd, const struct image *im, int i, char *err, size_t errlen)
{
	static const uint8_t zero[IMAGE_PAGE];
	uint8_t buf[IMAGE_PAGE] = { 0 }; /* what past the end of the file reads as */
	uint64_t end = im->off[i] + im->filesz[i];
	uint64_t n = (IMAGE_PAGE - end % IMAGE_PAGE) % IMAGE_PAGE;

	for (uint64_t done = 0; done < n;) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)(end + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read failed: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			n = done; /* the file ends here: the mapping's rest is zero */
		done += (uint64_t)r;
	}
	return memcmp(buf, zero, n) == 0;
}

/* Segment i into guest RAM at dst (checked by gm_at for its file bytes): with share,
 * the pages image_plan allows mapped MAP_PRIVATE | MAP_FIXED from the file over the
 * caller's anonymous mapping (every instance of one image then shares them in the
 * page cache, and KVM's memslot follows whatever the host mapping holds), the rest
 * read. im->map[i]: what was mapped. */
static int load_seg(int fd, uint8_t *mem, uint64_t mem_size, struct image *im, int i, uint8_t *dst,
                    int share, char *err, size_t errlen)
{
	const struct seg *s = &im->seg[i];
	struct image_map m = { 0, 0, 0 };

	if (share && (m = image_plan(im, i, 1)).len) { /* the file's tail read only if it matters */
		int z = tail_is_zero(fd, im, i, err, errlen);
		if (z < 0)
			return -1;
		if (!z)
			m = image_plan(im, i, 0);
	}
	uint8_t *at = m.len ? gm_at(mem, mem_size, m.gpa, m.len) : NULL;
	if (at && mmap(at, m.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
	               (off_t)m.off) == MAP_FAILED) {
		snprintf(err, errlen, "cannot map segment at 0x%llx: %s",
		         (unsigned long long)s->gpa, strerror(errno));
		return -1;
	}
	if (!at) /* nothing mapped: the whole segment is read */
		return pread_all(fd, dst, im->filesz[i], im->off[i], err, errlen);
	/* Every mapped page starts inside the file (one past its end would be SIGBUS):
	 * true at fstat, checked again now that the pages are the file's. */
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size <= m.off + m.len - IMAGE_PAGE) {
		snprintf(err, errlen, "the file shrank while being mapped");
		return -1;
	}
	/* As main.c's guest RAM: out of the monitor's core dumps, no huge pages. */
	madvise(at, m.len, MADV_DONTDUMP);
	madvise(at, m.len, MADV_NOHUGEPAGE);
	im->map[i] = m;
	uint64_t head = m.gpa - s->gpa, tail = m.gpa + m.len - s->gpa;
	if (pread_all(fd, dst, head, im->off[i], err, errlen) < 0)
		return -1;
	if (tail < im->filesz[i] &&
	    pread_all(fd, dst + tail, im->filesz[i] - tail, im->off[i] + tail, err, errlen) < 0)
		return -1;
	return 0;
}

/* The image into guest RAM with as few pages touched as the segments need: the
 * headers and notes into a scratch mapping whose other pages are never faulted in,
 * checked there by elf_check, then each PT_LOAD's file bytes read straight to its
 * place in guest RAM (no buffer to fault in, fill and copy again; the rest of a
 * segment is fresh anonymous memory, already zero), or with share mapped from the
 * file where load_seg can. A bad image leaves guest RAM untouched; a file that
 * shrinks during the segment reads is an error after part of it landed (the VM never
 * starts). -1 with err filled. */
static int load(int fd, uint64_t size, uint64_t head, uint8_t *mem, uint64_t mem_size,
                struct image *im, int share, char *err, size_t errlen)
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
		if (load_seg(fd, mem, mem_size, im, i, dst[i], share, err, errlen) < 0)
			return -1;
	return 0;
}

/* The image copied into guest RAM (any memory the caller owns). */
int image_load(int fd, uint64_t size, uint8_t *mem, uint64_t mem_size, struct image *im, char *err,
               size_t errlen)
{
	return load(fd, size, 4096, mem, mem_size, im, 0, err, errlen);
}

/* image_load with a first read of head bytes: the unit tests' images are smaller than
 * a page, so they ask for less to reach the reads of every other part. */
int image_load_head(int fd, uint64_t size, uint64_t head, uint8_t *mem, uint64_t mem_size,
                    struct image *im, char *err, size_t errlen)
{
	return load(fd, size, head, mem, mem_size, im, 0, err, errlen);
}

/* image_load sharing the segments' pages with every instance of the image until one writes
 * (load_seg). mem must be the caller's own page-aligned anonymous mapping: parts of it
 * are replaced. im->map: the pages mapped from the file. */
int image_share(int fd, uint64_t size, uint8_t *mem, uint64_t mem_size, struct image *im, char *err,
                size_t errlen)
{
	return load(fd, size, 4096, mem, mem_size, im, 1, err, errlen);
}
