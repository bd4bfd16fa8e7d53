// SPDX-License-Identifier: MIT
/* Finds process.args[0] inside the rootfs (symlinks resolved as if the rootfs were /,
 * openat2 RESOLVE_IN_ROOT, so a hostile link cannot point outside it) and tells whether
 * it is a spore image: an x86_64 ET_EXEC ELF with spore's "Spore" entry note. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci.h"

#define SPORE_NOTE_ENTRY64 1 /* kernel/hypercall.h HC_ELFNOTE_ENTRY64 */

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Sets rel to args[0]'s real path relative to the rootfs (no leading '/'). */
int image_resolve(const struct spec *s, char *rel, size_t rellen, char *err, size_t errlen)
{
	const char *a0 = s->args[0];
	char cand[4096], real[4096], rroot[4096], link[64];
	int rootfd = open(s->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	struct stat sb;

	if (rootfd < 0)
		return oci_fail(err, errlen, "rootfs %s: %s", s->rootfs, strerror(errno));
	if (strchr(a0, '/')) {
		fd = open_in_root(rootfd, a0);
		if (fd >= 0 && (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))) {
			close(fd);
			fd = -1;
		}
	} else {
		char path[sizeof s->path_env];
		strcpy(path, s->path_env);
		for (char *save, *d = strtok_r(path, ":", &save); d && fd < 0;
		     d = strtok_r(NULL, ":", &save)) {
			snprintf(cand, sizeof cand, "%s/%s", d, a0);
			fd = open_in_root(rootfd, cand);
			if (fd >= 0 && (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))) {
				close(fd);
				fd = -1;
			}
		}
	}
	if (fd < 0) {
		close(rootfd);
		return oci_fail(err, errlen,
		                "process.args[0] '%.200s' is not a file in the rootfs%s", a0,
		                strchr(a0, '/') ? "" : " (searched the process's PATH)");
	}
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	ssize_t m = readlink((snprintf(cand, sizeof cand, "/proc/self/fd/%d", rootfd), cand), rroot,
	                     sizeof rroot - 1);
	close(fd);
	close(rootfd);
	if (n < 0 || m < 0)
		return oci_fail(err, errlen, "cannot read back the path of args[0]: %s",
		                strerror(errno));
	real[n] = rroot[m] = '\0';
	size_t rl = strlen(rroot);
	if (strncmp(real, rroot, rl) != 0 || real[rl] != '/' || strlen(real + rl + 1) >= rellen)
		return oci_fail(err, errlen, "args[0] resolved outside the rootfs");
	strcpy(rel, real + rl + 1);
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 when the n bytes hold an x86_64 ET_EXEC ELF whose PT_NOTEs include "Spore" type 1. */
int image_notes_spore(const uint8_t *p, size_t n)
{
	const Elf64_Ehdr *eh = (const void *)p;

	if (n < sizeof *eh || memcmp(p, ELFMAG, SELFMAG) != 0 || p[EI_CLASS] != ELFCLASS64 ||
	    p[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > n ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > n - eh->e_phoff)
		return 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, p + eh->e_phoff + (size_t)i * sizeof ph, sizeof ph);
		if (ph.p_type != PT_NOTE || ph.p_offset > n || ph.p_filesz > n - ph.p_offset)
			continue;
		const uint8_t *q = p + ph.p_offset;
		uint64_t len = ph.p_filesz, off = 0, a = ph.p_align == 8 ? 8 : 4;
		while (len - off >= 12) {
			uint64_t namesz = rd32(q + off), descsz = rd32(q + off + 4),
				 type = rd32(q + off + 8);
			uint64_t np = (namesz + a - 1) & ~(a - 1), dp = (descsz + a - 1) & ~(a - 1);
			off += 12;
			if (np > len - off || dp > len - off - np)
				break;
			if (namesz == 6 && memcmp(q + off, "Spore", 6) == 0 &&
			    type == SPORE_NOTE_ENTRY64 && descsz == 8)
				return 1;
			off += np + dp;
		}
	}
	return 0;
}

/* 1 spore image, 0 something else, -1 unreadable. The whole file is read (at most
 * 256 MiB): the notes may sit anywhere in it. */
int image_is_spore(const char *rootfs, const char *rel, char *err, size_t errlen)
{
	char path[8192];
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;

	snprintf(path, sizeof path, "%s/%s", rootfs, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		oci_fail(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (sb.st_size < 64 || sb.st_size > (256 << 20)) {
		close(fd);
		return 0;
	}
	if (!(buf = malloc((size_t)sb.st_size))) {
		close(fd);
		return oci_fail(err, errlen, "out of memory reading %s", path);
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	int r = image_notes_spore(buf, got);
	free(buf);
	return r;
}
