// SPDX-License-Identifier: MIT
/* ELF64 loader: validates a whole x86_64 ET_EXEC image, copies its PT_LOAD segments into
 * guest RAM and finds the entry notes (Xen PVH, Spore 64-bit). Pure (a byte buffer in, guest RAM
 * out: the buffer is image.c's private copy of the file, never a mapping of it); it never zeroes:
 * the caller hands it fresh anonymous memory, which is already zero. elf_check is the
 * validation alone (image_load copies with pread instead). */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hypercall.h"
#include "monitor.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* [off, off + len) lies inside the file; no wrap. */
static int in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks the notes in [p, p + len), setting im->entry32 (Xen PVH note) and im->entry64
 * (Spore note) when found. -1 for a malformed note. Notes are padded to 4 bytes, or 8
 * when the segment or section says so (gABI). */
static int find_notes(const uint8_t *p, uint64_t len, uint64_t align, struct image *im, char *err,
                      size_t errlen)
{
	uint64_t a = align == 8 ? 8 : 4;
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		const uint8_t *n = p + off;
		uint64_t namesz = rd32(n), descsz = rd32(n + 4), type = rd32(n + 8);
		uint64_t name_pad = (namesz + a - 1) & ~(a - 1);
		uint64_t desc_pad = (descsz + a - 1) & ~(a - 1);

		off += sizeof(Elf64_Nhdr);
		/* namesz and descsz are 32-bit, so these sums cannot wrap 64 bits. */
		if (name_pad > len - off || desc_pad > len - off - name_pad ||
		    descsz > len - off - name_pad)
			return fail(err, errlen,
			            "malformed ELF note (sizes overrun the note area)");
		const uint8_t *desc = p + off + name_pad;
		if (namesz == 4 && memcmp(p + off, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY) {
			if (descsz != 4 && descsz != 8)
				return fail(err, errlen,
				            "PVH entry note has %u-byte desc (want 4 or 8)",
				            (unsigned)descsz);
			im->entry32 = rd32(desc);
			im->has32 = 1;
		}
		if (namesz == 6 && memcmp(p + off, "Spore", 6) == 0 && type == HC_ELFNOTE_ENTRY64) {
			if (descsz != 8)
				return fail(err, errlen,
				            "Spore entry note has %u-byte desc (want 8)",
				            (unsigned)descsz);
			im->entry64 = rd32(desc) | (uint64_t)rd32(desc + 4) << 32;
			im->has64 = 1;
		}
		off += name_pad + desc_pad;
	}
	return 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "not a 64-bit ELF (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "not a little-endian ELF");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, "bad ELF version %u", eh->e_ident[EI_VERSION]);
	if (eh->e_machine != EM_X86_64)
		return fail(err, errlen, "not an x86_64 ELF (machine %u)", eh->e_machine);
	if (eh->e_type == ET_DYN)
		return fail(err, errlen,
		            "ET_DYN (position-independent) ELF; need ET_EXEC linked at 1 MiB");
	if (eh->e_type != ET_EXEC)
		return fail(err, errlen, "not an executable ELF (type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return fail(err, errlen, "bad program header table (entsize %u, count %u)",
		            eh->e_phentsize, eh->e_phnum);
	if (!in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return fail(err, errlen, "truncated (program headers beyond end of file)");
	if (eh->e_phoff % 8 != 0)
		return fail(err, errlen, "misaligned program header table");
	return 0;
}

static int check_load(const Elf64_Phdr *ph, int i, size_t size, uint64_t mem_size, char *err,
                      size_t errlen)
{
	if (!in_file(size, ph->p_offset, ph->p_filesz))
		return fail(err, errlen, "truncated (segment %d beyond end of file)", i);
	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen, "segment %d: filesz > memsz", i);
	if (ph->p_memsz == 0)
		return 0;
	if (ph->p_paddr < GPA_LOW_END)
		return fail(err, errlen, "segment %d at 0x%llx overlaps the boot area below 1 MiB",
		            i, (unsigned long long)ph->p_paddr);
	if (!gm_range_ok(mem_size, ph->p_paddr, ph->p_memsz))
		return fail(err, errlen,
		            "segment %d [0x%llx, +0x%llx) does not fit in %llu MiB of guest RAM", i,
		            (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
		            (unsigned long long)(mem_size >> 20));
	return 0;
}

/* Notes: PT_NOTE segments first, then SHT_NOTE sections when the file has any
 * (a note found in both is read twice, harmlessly). */
static int find_entries(const uint8_t *img, size_t size, const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
                        struct image *im, char *err, size_t errlen)
{
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		if (!in_file(size, ph[i].p_offset, ph[i].p_filesz))
			return fail(err, errlen, "truncated (note segment %d beyond end of file)",
			            i);
		if (find_notes(img + ph[i].p_offset, ph[i].p_filesz, ph[i].p_align, im, err,
		               errlen) < 0)
			return -1;
	}
	if (eh->e_shnum == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
	    !in_file(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return 0;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_NOTE || !in_file(size, sh[i].sh_offset, sh[i].sh_size))
			continue;
		if (find_notes(img + sh[i].sh_offset, sh[i].sh_size, sh[i].sh_addralign, im, err,
		               errlen) < 0)
			return -1;
	}
	return 0;
}

/* Checks everything, touches no guest RAM. Fills *im: the entries and every PT_LOAD
 * with memsz > 0 (flags 0 included), with the file range of its bytes (off, filesz).
 * Reads only the ELF header, the program and section headers and the note areas of
 * img: image.c's image_load hands it a buffer that holds only those. */
int elf_check(const uint8_t *img, size_t size, uint64_t mem_size, struct image *im, char *err,
              size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;

	memset(im, 0, sizeof(*im));
	if (size < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file");
	if (size < sizeof(Elf64_Ehdr))
		return fail(err, errlen, "truncated (ELF header)");
	if (check_header(eh, size, err, errlen) < 0)
		return -1;

	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (check_load(&ph[i], i, size, mem_size, err, errlen) < 0)
			return -1;
		if (ph[i].p_memsz == 0)
			continue;
		if (im->nseg == MON_SEG_MAX)
			return fail(err, errlen, "more than %d PT_LOAD segments", MON_SEG_MAX);
		im->off[im->nseg] = ph[i].p_offset;
		im->filesz[im->nseg] = ph[i].p_filesz;
		im->seg[im->nseg++] = (struct seg){ .gpa = ph[i].p_paddr,
			                            .memsz = ph[i].p_memsz,
			                            .vaddr = ph[i].p_vaddr,
			                            .flags = ph[i].p_flags };
	}
	if (im->nseg == 0)
		return fail(err, errlen, "no PT_LOAD segment");

	if (find_entries(img, size, eh, ph, im, err, errlen) < 0)
		return -1;
	if (!im->has32 && !im->has64)
		return fail(err, errlen,
		            "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) or Spore entry note");
	if (im->has32 && (im->entry32 < GPA_LOW_END || im->entry32 >= mem_size))
		return fail(err, errlen, "PVH entry 0x%x is outside the loaded image area",
		            im->entry32);
	if (im->has64) {
		if (im->entry64 < GPA_LOW_END || im->entry64 >= mem_size)
			return fail(err, errlen,
			            "Spore entry 0x%llx is outside the loaded image area",
			            (unsigned long long)im->entry64);
		/* The monitor's page tables map identity: virtual must equal physical. */
		for (int i = 0; i < im->nseg; i++)
			if (im->seg[i].vaddr != im->seg[i].gpa)
				return fail(err, errlen,
				            "segment at 0x%llx has p_vaddr 0x%llx != p_paddr "
				            "(the ring-3 entry maps identity)",
				            (unsigned long long)im->seg[i].gpa,
				            (unsigned long long)im->seg[i].vaddr);
	}
	return 0;
}

/* Checks everything first, then copies: a bad image leaves guest RAM untouched. */
int elf_load(const uint8_t *img, size_t size, uint8_t *mem, uint64_t mem_size, struct image *im,
             char *err, size_t errlen)
{
	if (elf_check(img, size, mem_size, im, err, errlen) < 0)
		return -1;
	/* Copy from the checked list, not from the headers again (img is the monitor's
	 * own copy, image.c, but the copy should not depend on that). Every target
	 * through the accessor before the first byte moves: guest RAM stays untouched
	 * unless all of them fit. */
	uint8_t *dst[MON_SEG_MAX];
	for (int i = 0; i < im->nseg; i++)
		if ((dst[i] = gm_at(mem, mem_size, im->seg[i].gpa, im->filesz[i])) == NULL)
			return fail(err, errlen, "segment at 0x%llx is outside guest RAM",
			            (unsigned long long)im->seg[i].gpa);
	for (int i = 0; i < im->nseg; i++)
		memcpy(dst[i], img + im->off[i], im->filesz[i]);
	return 0;
}
