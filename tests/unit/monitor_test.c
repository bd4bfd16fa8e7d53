// SPDX-License-Identifier: MIT
/* Host unit tests for spore-kvm's pure parts: range checks, option parsing, the ELF loader,
 * the PVH boot data, the ring-3 page tables, the trap decoder, the net batch checks and the
 * seccomp filter (run through a small BPF interpreter); and, with no KVM, the parts with I/O
 * at the edges: the image read, hypercall handlers over a fake guest RAM with pipes for
 * stdout and the tap, --timeout in a blocked write and the installed filter (in forked
 * children). `monitor_test [NAME-FILTER]`; prints `ok NAME` or `FAIL NAME: why`. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/vhost.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* ---- guestmem.c ---------------------------------------------------------------- */

static int ref_range(uint64_t mem, uint64_t gpa, uint64_t len)
{
	return (unsigned __int128)gpa + len <= mem;
}

static int ref_block(uint64_t mem, uint64_t gpa, uint64_t len)
{
	unsigned __int128 end = (unsigned __int128)gpa + len;
	return gpa % 8 == 0 && len > 0 && end <= mem && end <= (1ull << 32);
}

static const char *t_gm_edges(void)
{
	const uint64_t M = 8 * MiB, B = 5ull << 32, X = UINT64_MAX;
	static const struct {
		uint64_t mem, gpa, len;
		int range, block;
	} c[] = {
		{ M, 0, 0, 1, 0 },
		{ M, 0, 1, 1, 1 },
		{ M, 0, M, 1, 1 },
		{ M, 0, M + 1, 0, 0 },
		{ M, M - 1, 1, 1, 0 },
		{ M, M - 8, 8, 1, 1 },
		{ M, M - 8, 9, 0, 0 },
		{ M, M, 0, 1, 0 },
		{ M, M, 1, 0, 0 },
		{ M, M + 8, 0, 0, 0 },
		{ M, 8, X, 0, 0 },
		{ M, X, 1, 0, 0 },
		{ M, X - 7, 16, 0, 0 },
		{ M, 16, X - 15, 0, 0 },
		{ M, 4, 8, 1, 0 },
		{ M, 1, 8, 1, 0 },
		{ M, 0, X, 0, 0 },
		{ 0, 0, 0, 1, 0 },
		{ 0, 0, 1, 0, 0 },
		{ B, (1ull << 32) - 8, 8, 1, 1 },
		{ B, (1ull << 32) - 8, 16, 1, 0 },
		{ B, 1ull << 32, 8, 1, 0 },
		{ B, (1ull << 32) - 16, 8, 1, 1 },
		{ X, X - 1, 1, 1, 0 },
		{ X, X, 0, 1, 0 },
		{ X, X, 1, 0, 0 },
		{ X, 0, X, 1, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CHECK(gm_range_ok(c[i].mem, c[i].gpa, c[i].len) == c[i].range,
		      "range case %zu (mem 0x%llx gpa 0x%llx len 0x%llx)", i,
		      (unsigned long long)c[i].mem, (unsigned long long)c[i].gpa,
		      (unsigned long long)c[i].len);
		CHECK(gm_block_ok(c[i].mem, c[i].gpa, c[i].len) == c[i].block,
		      "block case %zu (mem 0x%llx gpa 0x%llx len 0x%llx)", i,
		      (unsigned long long)c[i].mem, (unsigned long long)c[i].gpa,
		      (unsigned long long)c[i].len);
	}
	return NULL;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values near the interesting edges, plus uniform noise. */
static uint64_t pick(uint64_t mem)
{
	const uint64_t edge[] = { 0, 8, mem, 1ull << 32, UINT64_MAX, 1ull << 63, mem / 2 };
	uint64_t base = edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	switch (rnd() % 4) {
	case 0: return base;
	case 1: return base + (rnd() % 17) - 8;
	case 2: return rnd();
	default: return rnd() % (mem + 16);
	}
}

static const char *t_gm_random(void)
{
	const uint64_t mems[] = { 2 * MiB, 8 * MiB, 4 * GiB, 64 * GiB, 4 * GiB - 4096 };
	for (int i = 0; i < 200000; i++) {
		uint64_t mem = mems[rnd() % 5], gpa = pick(mem), len = pick(mem);
		CHECK(gm_range_ok(mem, gpa, len) == ref_range(mem, gpa, len),
		      "range mem 0x%llx gpa 0x%llx len 0x%llx", (unsigned long long)mem,
		      (unsigned long long)gpa, (unsigned long long)len);
		CHECK(gm_block_ok(mem, gpa, len) == ref_block(mem, gpa, len),
		      "block mem 0x%llx gpa 0x%llx len 0x%llx", (unsigned long long)mem,
		      (unsigned long long)gpa, (unsigned long long)len);
	}
	return NULL;
}

/* gm_at: the host address exactly when every byte of the range is RAM. An exact-size
 * heap buffer stands in for RAM, so ASan also sees any byte touched past it. The huge
 * sizes only ask for NULL (a non-NULL there would point past the buffer). */
static const char *t_gm_at(void)
{
	const uint64_t M = 64 * 1024, X = UINT64_MAX;
	uint8_t *mem = malloc(M);
	static const struct {
		uint64_t size, gpa, len;
		int ok;
	} c[] = {
		{ M, 0, 0, 1 },
		{ M, M, 0, 1 }, /* len 0: any gpa up to the end */
		{ M, M + 1, 0, 0 },
		{ M, X, 0, 0 },
		{ M, M, 1, 0 },
		{ M, M - 1, 1, 1 }, /* gpa == size: nothing left */
		{ M, M - 1, 2, 0 },
		{ M, 0, M, 1 },
		{ M, 0, M + 1, 0 },
		{ M, 1, M, 0 },
		{ M, X, 1, 0 },
		{ M, 8, X, 0 }, /* wrap at 2^64: the sum ... */
		{ M, X - 7, 16, 0 },
		{ M, 16, X - 15, 0 },             /* ... wraps into RAM: 8, 1 */
		{ M, 1ull << 63, 1ull << 63, 0 }, /* ... wraps to exactly 0 */
		{ 0, 0, 0, 1 },
		{ 0, 0, 1, 0 }, /* no RAM at all */
		{ X, X, 1, 0 },
		{ X, 1, X, 0 }, /* 2^64 - 1 bytes of RAM */
	};

	CHECK(mem != NULL, "malloc");
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p = gm_at(mem, c[i].size, c[i].gpa, c[i].len);
		if (c[i].ok ? p == NULL || (uint64_t)(p - mem) != c[i].gpa : p != NULL) {
			free(mem);
			CHECK(0, "case %zu: size 0x%llx gpa 0x%llx len 0x%llx: %s", i,
			      (unsigned long long)c[i].size, (unsigned long long)c[i].gpa,
			      (unsigned long long)c[i].len, p ? "a pointer" : "NULL");
		}
	}
	/* Against the reference: small RAM, so every non-NULL answer is inside mem. */
	for (int i = 0; i < 200000; i++) {
		uint64_t size = rnd() % (M + 1), gpa = pick(size), len = pick(size);
		uint8_t *p = gm_at(mem, size, gpa, len);
		if ((p != NULL) != ref_range(size, gpa, len) || (p && (uint64_t)(p - mem) != gpa)) {
			free(mem);
			CHECK(0, "size 0x%llx gpa 0x%llx len 0x%llx: %s", (unsigned long long)size,
			      (unsigned long long)gpa, (unsigned long long)len,
			      p ? "a pointer" : "NULL");
		}
	}
	free(mem);
	return NULL;
}

/* gm_read/gm_write: all or nothing. A range that does not fit leaves both sides as
 * they were; one that fits moves exactly its bytes. */
static const char *t_gm_copy(void)
{
	uint8_t mem[64], buf[16];

	memset(mem, 0xaa, sizeof(mem));
	memset(buf, 0x55, sizeof(buf));
	CHECK(gm_write(mem, sizeof(mem), 56, buf, 9) < 0 && mem[56] == 0xaa && mem[63] == 0xaa,
	      "a write over the end wrote");
	CHECK(gm_write(mem, sizeof(mem), UINT64_MAX - 3, buf, 8) < 0, "a wrapping write passed");
	CHECK(gm_read(mem, sizeof(mem), 60, buf, 5) < 0 && buf[0] == 0x55,
	      "a read over the end read");
	CHECK(gm_read(mem, sizeof(mem), UINT64_MAX, buf, 2) < 0 && buf[0] == 0x55,
	      "a wrapping read passed");
	CHECK(gm_write(mem, sizeof(mem), 56, buf, 8) == 0 && mem[55] == 0xaa && mem[56] == 0x55 &&
	              mem[63] == 0x55,
	      "the last 8 bytes");
	CHECK(gm_read(mem, sizeof(mem), 0, buf, 16) == 0 && buf[0] == 0xaa && buf[15] == 0xaa,
	      "the first 16");
	CHECK(gm_write(mem, sizeof(mem), 64, buf, 0) == 0 &&
	              gm_read(mem, sizeof(mem), 64, buf, 0) == 0,
	      "len 0 at the end");
	CHECK(gm_write(mem, sizeof(mem), 65, buf, 0) < 0, "len 0 past the end");
	/* The users fail cleanly: boot data in RAM smaller than the low area is refused. */
	uint8_t *small = calloc(1, 64 * 1024);
	CHECK(small != NULL, "calloc");
	int r = pvh_write(small, 64 * 1024, "x", 0, 0), zero = 1;
	for (size_t i = 0; i < 64 * 1024; i++)
		zero &= small[i] == 0;
	free(small);
	CHECK(r < 0 && zero, "pvh_write into 64 KiB: returned %d, %s", r,
	      zero ? "wrote nothing" : "wrote");
	return NULL;
}

/* ---- args.c -------------------------------------------------------------------- */

static const char *t_parse_size(void)
{
	static const struct {
		const char *s;
		int ok;
		uint64_t v;
	} c[] = {
		{ "8M", 1, 8 * MiB },
		{ "2G", 1, 2 * GiB },
		{ "0", 1, 0 },
		{ "", 0, 0 },
		{ "12Q", 0, 0 },
		{ "99999999999G", 0, 0 },
		{ "-1", 0, 0 },
		{ "512k", 1, 512 << 10 },
		{ "4096", 1, 4096 },
		{ "M", 0, 0 },
		{ "8MM", 0, 0 },
		{ " 8M", 0, 0 },
		{ "8M ", 0, 0 },
		{ "0x10", 0, 0 },
		{ "+8M", 0, 0 },
		{ "17179869183G", 1, 17179869183ull << 30 },
		{ "17179869184G", 0, 0 },
		{ "18446744073709551615", 1, UINT64_MAX },
		{ "18446744073709551616", 0, 0 },
		{ "1.5G", 0, 0 },
		{ "64G", 1, 64 * GiB },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t v = 12345;
		int r = args_parse_size(c[i].s, &v);
		CHECK((r == 0) == c[i].ok, "\"%s\": returned %d", c[i].s, r);
		CHECK(!c[i].ok || v == c[i].v, "\"%s\": got %llu", c[i].s, (unsigned long long)v);
	}
	return NULL;
}

static const char *t_join(void)
{
	static char big[5000], buf[MON_CMDLINE_MAX + 1];
	char *w[] = { "a", "bc", "", "d" };

	CHECK(args_join(buf, sizeof(buf), 0, w) == 0 && buf[0] == '\0', "empty");
	CHECK(args_join(buf, sizeof(buf), 4, w) == 7 && strcmp(buf, "a bc  d") == 0,
	      "joined \"%.64s\"", buf);
	memset(big, 'x', MON_CMDLINE_MAX);
	char *one[] = { big };
	CHECK(args_join(buf, sizeof(buf), 1, one) == MON_CMDLINE_MAX, "4095 bytes must fit");
	big[MON_CMDLINE_MAX] = 'x';
	CHECK(args_join(buf, sizeof(buf), 1, one) == -1, "4096 bytes must not fit");
	big[MON_CMDLINE_MAX] = '\0';
	big[MON_CMDLINE_MAX - 1] = '\0';
	char *two[] = { big, "y" };
	CHECK(args_join(buf, sizeof(buf), 2, two) == -1, "4094 + space + 1 must not fit");
	CHECK(args_join(buf, 1, 1, w) == -1 && args_join(buf, 0, 0, w) == -1, "tiny buffers");
	return NULL;
}

/* ---- elf.c --------------------------------------------------------------------- */

#define MEM      (4 * MiB)
#define CODE_OFF 0x100
#define CODE_LEN 0x40
#define IMG_LEN  (CODE_OFF + CODE_LEN)

/* A valid image: header, PT_LOAD + PT_NOTE, the Xen note at 0xb0, code at 0x100. */
static void build(uint8_t *img)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	uint32_t note[] = { 4, 4, 18, 0x006e6558 /* "Xen\0" */, 0x100010 };

	memset(img, 0, IMG_LEN);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x100000;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_offset = CODE_OFF,
		              .p_vaddr = 0x100000,
		              .p_paddr = 0x100000,
		              .p_filesz = CODE_LEN,
		              .p_memsz = 0x2000,
		              .p_align = 8 };
	ph[1] = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_offset = 0xb0, .p_filesz = sizeof(note), .p_align = 4
	};
	memcpy(img + 0xb0, note, sizeof(note));
	for (int i = 0; i < CODE_LEN; i++)
		img[CODE_OFF + i] = (uint8_t)(0xa0 + i);
}

/* Loads a copy of img[0, len) in an exact-size heap buffer, so ASan sees any over-read.
 * Every image the elf tests make also goes through image_load from a file (what the
 * monitor uses): it must give the same verdict, message, entries and guest RAM, or the
 * run aborts naming the difference. */
static struct image im_last;

static void image_load_same(const uint8_t *img, size_t len, uint64_t mem_size, int r,
                            const char *err)
{
	struct image im, im4;
	char err2[200] = "", err3[200], err4[200] = "";
	uint8_t *a = calloc(1, mem_size), *b = calloc(1, mem_size), *c = calloc(1, mem_size);
	uint8_t *copy = malloc(len ? len : 1);
	int fd = memfd_create("image", 0);

	if (!a || !b || !c || !copy || fd < 0 || pwrite(fd, img, len, 0) != (ssize_t)len) {
		fprintf(stderr, "image_load_same: set-up failed\n");
		abort();
	}
	memcpy(copy, img, len);
	/* A 64-byte head: the headers and notes of these small images each come by their
	 * own read, as in a real image; then the default head, which covers them all. */
	int r2 = image_load_head(fd, len, 64, a, mem_size, &im, err2, sizeof(err2));
	int r4 = image_load(fd, len, c, mem_size, &im4, err4, sizeof(err4));
	elf_load(copy, len, b, mem_size, &im_last, err3, sizeof(err3)); /* the reference RAM */
	/* And image_share, over guest RAM mapped as the monitor maps it (these small
	 * images' segments are not page-aligned: it must copy them all the same). */
	struct image im5;
	char err5[200] = "";
	uint8_t *d = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int r5 = d == MAP_FAILED ? -2 : image_share(fd, len, d, mem_size, &im5, err5, sizeof(err5));
	int shared_same = r5 == r && (r < 0 ? strcmp(err, err5) == 0
	                                    : memcmp(d, b, mem_size) == 0 &&
	                                              memcmp(&im5, &im4, sizeof(im5)) == 0);
	if (d != MAP_FAILED)
		munmap(d, mem_size);
	close(fd);
	int same =
		shared_same && r2 == r && r4 == r &&
		(r < 0 ? strcmp(err, err2) == 0 && strcmp(err, err4) == 0
	               : memcmp(a, b, mem_size) == 0 && memcmp(c, b, mem_size) == 0 &&
	                         im.nseg == im_last.nseg && im.entry32 == im_last.entry32 &&
	                         im.entry64 == im_last.entry64 && im.has32 == im_last.has32 &&
	                         im.has64 == im_last.has64 && memcmp(&im, &im4, sizeof(im)) == 0);
	free(a);
	free(b);
	free(c);
	free(copy);
	if (!same) {
		fprintf(stderr,
		        "image_load differs from elf_load on a %zu-byte image: %d '%s' vs %d '%s'\n",
		        len, r2, err2, r, err);
		abort();
	}
}

static int load(const uint8_t *img, size_t len, uint8_t *mem, uint64_t mem_size, uint32_t *entry,
                char *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, img, len);
	int r = elf_load(copy, len, mem, mem_size, &im_last, err, 200);
	free(copy);
	struct image keep = im_last;
	image_load_same(img, len, mem_size, r, err);
	im_last = keep;
	*entry = im_last.entry32;
	return r;
}

static const char *t_elf_valid(void)
{
	static uint8_t img[IMG_LEN];
	char err[200] = "";
	uint32_t entry = 0;
	uint8_t *mem = calloc(1, MEM);

	build(img);
	int r = load(img, IMG_LEN, mem, MEM, &entry, err);
	int same = memcmp(mem + 0x100000, img + CODE_OFF, CODE_LEN) == 0;
	int zero = mem[0x100000 + CODE_LEN] == 0 && mem[0xfffff] == 0;
	free(mem);
	CHECK(r == 0, "valid image rejected: %s", err);
	CHECK(entry == 0x100010, "entry 0x%x", entry);
	CHECK(same && zero, "segment not copied exactly");
	return NULL;
}

static const char *t_elf_truncated(void)
{
	static uint8_t img[IMG_LEN];
	char err[200];
	uint32_t entry;
	uint8_t *mem = calloc(1, MEM);

	build(img);
	for (size_t n = 0; n < IMG_LEN; n++) {
		if (load(img, n, mem, MEM, &entry, err) == 0) {
			free(mem);
			CHECK(0, "prefix of %zu bytes accepted", n);
		}
	}
	free(mem);
	return NULL;
}

#define PH(i) ((Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + (i))
#define EH    ((Elf64_Ehdr *)img)

static const char *t_elf_corrupt(void)
{
	static uint8_t img[IMG_LEN];
	static const char *const names[] = {
		"bad magic",
		"class 32",
		"big endian",
		"machine i386",
		"ET_DYN",
		"ET_REL",
		"phoff beyond file",
		"phoff wraps",
		"phnum 0",
		"phentsize 32",
		"filesz > memsz",
		"offset beyond file",
		"offset+filesz wraps",
		"segment beyond mem",
		"paddr+memsz wraps",
		"paddr below 1 MiB",
		"no PT_LOAD",
		"missing PVH note",
		"note name Xem",
		"note namesz huge",
		"note descsz huge",
		"note descsz 2",
		"entry below 1 MiB",
		"entry beyond mem",
		"note segment beyond file",
	};
	char err[200];
	uint32_t entry;
	uint8_t *mem = calloc(1, MEM);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		build(img);
		switch (i) {
		case 0: img[1] = 'F'; break;
		case 1: img[EI_CLASS] = ELFCLASS32; break;
		case 2: img[EI_DATA] = ELFDATA2MSB; break;
		case 3: EH->e_machine = EM_386; break;
		case 4: EH->e_type = ET_DYN; break;
		case 5: EH->e_type = ET_REL; break;
		case 6: EH->e_phoff = IMG_LEN; break;
		case 7: EH->e_phoff = UINT64_MAX - 63; break;
		case 8: EH->e_phnum = 0; break;
		case 9: EH->e_phentsize = 32; break;
		case 10: PH(0)->p_memsz = CODE_LEN - 1; break;
		case 11: PH(0)->p_offset = IMG_LEN; break;
		case 12: PH(0)->p_offset = UINT64_MAX - 8; break;
		case 13: PH(0)->p_paddr = MEM - 0x1000; break;
		case 14: PH(0)->p_paddr = UINT64_MAX - 0xfff; break;
		case 15: PH(0)->p_paddr = 0x9f000; break;
		case 16: PH(0)->p_type = PT_NULL; break;
		case 17: PH(1)->p_type = PT_NULL; break;
		case 18: img[0xb0 + 14] = 'm'; break;
		case 19: *(uint32_t *)(img + 0xb0) = 0xfffffffc; break;
		case 20: *(uint32_t *)(img + 0xb4) = 0xfffffffc; break;
		case 21: *(uint32_t *)(img + 0xb4) = 2; break;
		case 22: *(uint32_t *)(img + 0xb0 + 16) = 0x1000; break;
		case 23: *(uint32_t *)(img + 0xb0 + 16) = MEM; break;
		case 24: PH(1)->p_offset = IMG_LEN - 4; break;
		}
		err[0] = '\0';
		int r = load(img, IMG_LEN, mem, MEM, &entry, err);
		if (getenv("MONITOR_TEST_VERBOSE"))
			fprintf(stderr, "  %-24s -> %s\n", names[i], err);
		if (r == 0 || err[0] == '\0') {
			free(mem);
			CHECK(0, "%s: accepted or no message", names[i]);
		}
	}
	/* Nothing may have been copied by a rejected image. */
	for (size_t i = 0; i < MEM; i += 64)
		if (mem[i]) {
			free(mem);
			CHECK(0, "a rejected image wrote guest RAM at 0x%zx", i);
		}
	free(mem);
	return NULL;
}

/* The PVH note found through SHT_NOTE when no PT_NOTE carries it. */
static const char *t_elf_shnote(void)
{
	static uint8_t img[IMG_LEN + 2 * sizeof(Elf64_Shdr)];
	char err[200] = "";
	uint32_t entry = 0;
	uint8_t *mem = calloc(1, MEM);

	build(img);
	PH(1)->p_type = PT_NULL;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + IMG_LEN);
	memset(sh, 0, 2 * sizeof(*sh));
	sh[1] = (Elf64_Shdr){
		.sh_type = SHT_NOTE, .sh_offset = 0xb0, .sh_size = 20, .sh_addralign = 4
	};
	EH->e_shoff = IMG_LEN;
	EH->e_shnum = 2;
	EH->e_shentsize = sizeof(Elf64_Shdr);
	int r = load(img, sizeof(img), mem, MEM, &entry, err);
	free(mem);
	CHECK(r == 0 && entry == 0x100010, "section note not found: %s", err);
	return NULL;
}

/* ---- image.c: the file is read once into the monitor's memory ------------------- */

/* A file that shrinks after fstat (the size image_read is given) is one clear error,
 * never SIGBUS (the mapping it replaces faulted on the missing pages); a later writer
 * of the file cannot reach the checked copy. */
static const char *t_image_read(void)
{
	static uint8_t img[IMG_LEN];
	char err[200] = "";
	uint8_t *buf, *mem = calloc(1, MEM);
	int fd = memfd_create("image", 0);

	build(img);
	CHECK(fd >= 0 && pwrite(fd, img, IMG_LEN, 0) == IMG_LEN, "memfd");
	int r = image_read(fd, IMG_LEN, &buf, err, sizeof(err));
	CHECK(r == 0 && memcmp(buf, img, IMG_LEN) == 0, "whole file: %s", err);
	/* The writer moves the segment to page 0 after the read: the load does not see it. */
	Elf64_Phdr bad = *PH(0);
	bad.p_paddr = 0;
	CHECK(pwrite(fd, &bad, sizeof(bad), sizeof(Elf64_Ehdr)) == sizeof(bad), "pwrite");
	r = elf_load(buf, IMG_LEN, mem, MEM, &im_last, err, sizeof(err));
	int copied = memcmp(mem + 0x100000, img + CODE_OFF, CODE_LEN) == 0;
	free(buf);
	free(mem);
	CHECK(r == 0 && copied, "load from the copy: %s", err);

	CHECK(ftruncate(fd, 100) == 0, "ftruncate");
	err[0] = '\0';
	r = image_read(fd, IMG_LEN, &buf, err, sizeof(err));
	CHECK(r < 0 && !buf && strstr(err, "shrank while being read (100 of 320 bytes)"),
	      "truncated file: %d '%s'", r, err);
	/* image_load reads the head, then the rest where the headers point: fstat's size
	 * no longer there is the same clear error, and guest RAM stays untouched. */
	mem = calloc(1, MEM);
	r = image_load(fd, IMG_LEN, mem, MEM, &im_last, err, sizeof(err));
	int untouched = mem[0x100000] == 0;
	free(mem);
	CHECK(r < 0 && untouched && strstr(err, "shrank while being read (100 of 320 bytes)"),
	      "image_load, truncated file: %d '%s'", r, err);
	CHECK(image_read(fd, MON_IMAGE_MAX + 1, &buf, err, sizeof(err)) < 0 &&
	              strstr(err, "larger"),
	      "huge size: '%s'", err);
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	r = image_read(fd, 4096, &buf, err, sizeof(err));
	close(fd);
	CHECK(r < 0 && !buf && strstr(err, "read failed: Is a directory"), "read error: '%s'", err);
	return NULL;
}

/* ---- image.c: read-only pages mapped from the file (image_share) ---------------- */

static struct image plan_image(void)
{
	struct image im = { .nseg = 2 };

	/* httpd's text and data: page-aligned, offsets congruent to addresses. */
	im.seg[0] = (struct seg){ .gpa = 0x100000, .memsz = 0x41600, .flags = PF_R | PF_X };
	im.off[0] = 0x1000;
	im.filesz[0] = 0x41600;
	im.seg[1] = (struct seg){ .gpa = 0x14b000, .memsz = 0x52040, .flags = PF_R | PF_W };
	im.off[1] = 0x4c000;
	im.filesz[1] = 0x52d2;
	return im;
}

#define PLAN(im, i, z, g, o, l)                                                                    \
	do {                                                                                       \
		struct image_map m_ = image_plan(&(im), (i), (z));                                 \
		CHECK(m_.gpa == (g) && m_.off == (o) && m_.len == (l),                             \
		      "line %d: plan 0x%llx 0x%llx +0x%llx", __LINE__, (unsigned long long)m_.gpa, \
		      (unsigned long long)m_.off, (unsigned long long)m_.len);                     \
	} while (0)

/* Which pages of a segment may come from the file: only whole pages of a read-only
 * segment that is congruent to its file offset and alone in its pages; the partial
 * last page only when the file is zero after the segment (what the copy leaves). */
static const char *t_image_plan(void)
{
	struct image im = plan_image();

	PLAN(im, 0, 0, 0x100000, 0x1000, 0x41000);
	PLAN(im, 0, 1, 0x100000, 0x1000, 0x42000);
	PLAN(im, 1, 1, 0x14b000, 0x4c000, 0x6000); /* writable: private, copied when written */
	PLAN(im, 1, 0, 0x14b000, 0x4c000, 0x5000); /* its last page part file, part bss */
	im.off[0] = 0x1010;                        /* not congruent: mmap could not place it */
	PLAN(im, 0, 1, 0, 0, 0);
	im = plan_image(); /* starts mid-page: the head page is copied */
	im.seg[0].gpa = 0x100800;
	im.off[0] = 0x1800;
	PLAN(im, 0, 0, 0x101000, 0x2000, 0x40000);
	PLAN(im, 0, 1, 0x101000, 0x2000, 0x41000);
	im.filesz[0] = im.seg[0].memsz = 0x700; /* inside one page: nothing whole */
	PLAN(im, 0, 1, 0, 0, 0);
	im = plan_image(); /* the next segment starts in text's last page: neither mapped */
	im.seg[1].gpa = 0x141800;
	im.seg[1].flags = PF_R;
	PLAN(im, 0, 1, 0, 0, 0);
	PLAN(im, 1, 1, 0, 0, 0);
	im.seg[1].gpa = 0x120000; /* overlapping segments keep the copy's order */
	PLAN(im, 0, 0, 0, 0, 0);
	im = plan_image(); /* a data segment right after text's last page: text mapped */
	im.seg[1].gpa = 0x142000;
	PLAN(im, 0, 1, 0x100000, 0x1000, 0x42000);
	im.filesz[0] = 0; /* no file bytes: all zero, nothing to map */
	PLAN(im, 0, 1, 0, 0, 0);
	return NULL;
}

/* A page-aligned image as ld lays one out: headers and the Xen note (at 0x200) in page 0, text
 * (2.5 pages, R E) at file page 1, data (RW) at file page 4; 5 pages in all. */
#define SH_LEN 0x5000
static void build_paged(uint8_t *img)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	uint32_t note[] = { 4, 4, 18, 0x006e6558 /* "Xen\0" */, 0x100010 };

	memset(img, 0, SH_LEN);
	build(img); /* the header and note; its PT_LOAD replaced below */
	eh->e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_flags = PF_R | PF_X,
		              .p_offset = 0x1000,
		              .p_vaddr = 0x100000,
		              .p_paddr = 0x100000,
		              .p_filesz = 0x2800,
		              .p_memsz = 0x2800,
		              .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_offset = 0x200, .p_filesz = sizeof(note), .p_align = 4
	};
	memcpy(img + 0x200, note, sizeof(note));
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_flags = PF_R | PF_W,
		              .p_offset = 0x4000,
		              .p_vaddr = 0x104000,
		              .p_paddr = 0x104000,
		              .p_filesz = 0x100,
		              .p_memsz = 0x2000,
		              .p_align = 0x1000 };
	memset(img + CODE_OFF, 0, CODE_LEN);
	for (int i = 0; i < 0x2800; i++)
		img[0x1000 + i] = (uint8_t)(i * 7 + 1);
	memset(img + 0x4000, 0x5a, 0x100);
}

/* image_share of img (a file of len bytes) into page-aligned anonymous guest RAM
 * gives the same verdict, image and RAM as elf_load; *mem_out keeps the RAM mapped. */
static const char *share_same(const uint8_t *img, size_t len, int fd, uint8_t **mem_out,
                              struct image *im)
{
	char err[200] = "", err2[200] = "";
	struct image ref;
	uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *b = calloc(1, MEM);

	CHECK(mem != MAP_FAILED && b, "set-up");
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, img, len, 0) == (ssize_t)len, "memfd");
	int r = image_share(fd, len, mem, MEM, im, err, sizeof(err));
	int r2 = elf_load(img, len, b, MEM, &ref, err2, sizeof(err2));
	int same = memcmp(mem, b, MEM) == 0 && im->nseg == ref.nseg &&
	           memcmp(im->seg, ref.seg, sizeof(ref.seg)) == 0;
	free(b);
	CHECK(r == 0 && r2 == 0, "load: '%s' '%s'", err, err2);
	CHECK(same, "image_share's guest RAM differs from elf_load's");
	*mem_out = mem;
	return NULL;
}

/* The text's pages come from the file (a later write to the file shows through, as it
 * does for any private mapping's untouched page), a write into guest RAM stays the
 * instance's own, and whatever cannot be mapped exactly is copied. */
static const char *t_image_share(void)
{
	static uint8_t img[SH_LEN];
	struct image im;
	uint8_t *mem, byte = 0x99, back;
	int fd = memfd_create("image", 0);
	const char *e;

	CHECK(fd >= 0, "memfd");
	build_paged(img);
	if ((e = share_same(img, SH_LEN, fd, &mem, &im)) != NULL)
		return e;
	CHECK(im.map[0].gpa == 0x100000 && im.map[0].off == 0x1000 && im.map[0].len == 0x3000,
	      "text (zero tail): 0x%llx +0x%llx", (unsigned long long)im.map[0].gpa,
	      (unsigned long long)im.map[0].len);
	CHECK(im.map[1].gpa == 0x104000 && im.map[1].len == 0x1000,
	      "data (zero tail): 0x%llx +0x%llx", (unsigned long long)im.map[1].gpa,
	      (unsigned long long)im.map[1].len);
	CHECK(mem[0x104100] == 0 && mem[0x105000] == 0, "data's bss not zero");
	CHECK(pwrite(fd, &byte, 1, 0x1005) == 1 && mem[0x100005] == 0x99, "text not from the file");
	mem[0x100006] = 0x77; /* copy-on-write: gdb's breakpoints */
	CHECK(pread(fd, &back, 1, 0x1006) == 1 && back == img[0x1006],
	      "guest write reached the file");
	mem[0x104001] = 0x66; /* the guest's writes to its data: its own copy */
	CHECK(pread(fd, &back, 1, 0x4001) == 1 && back == 0x5a && mem[0x104000] == 0x5a,
	      "guest data write reached the file");
	munmap(mem, MEM);

	img[0x3800] = 1; /* a byte after the text in its last page: that page is copied */
	if ((e = share_same(img, SH_LEN, fd, &mem, &im)) != NULL)
		return e;
	munmap(mem, MEM);
	CHECK(im.map[0].len == 0x2000, "text (non-zero tail): +0x%llx",
	      (unsigned long long)im.map[0].len);

	img[0x3800] = 0; /* text's file offset one byte off its address: all copied */
	PH(0)->p_offset = 0x1001;
	if ((e = share_same(img, SH_LEN, fd, &mem, &im)) != NULL)
		return e;
	munmap(mem, MEM);
	CHECK(im.map[0].len == 0, "unaligned text mapped");

	PH(0)->p_offset = 0x1000; /* the file ends inside text's last page: mapped, rest zero */
	EH->e_phnum = 2;          /* (no data segment past the end) */
	if ((e = share_same(img, 0x3900, fd, &mem, &im)) != NULL)
		return e;
	CHECK(im.map[0].len == 0x3000 && mem[0x102fff] == 0, "short file: +0x%llx",
	      (unsigned long long)im.map[0].len);
	munmap(mem, MEM);
	close(fd);
	return NULL;
}

/* ---- pvh.c --------------------------------------------------------------------- */

static const char *t_pvh(void)
{
	uint8_t *mem = calloc(1, 2 * MiB);
	uint32_t magic, nent;
	uint64_t ram_hi[2], cmd;

	pvh_write(mem, 2 * MiB, "console=hc -- a b", 0, 0);
	memcpy(&magic, mem + 0x5100, 4);
	memcpy(&cmd, mem + 0x5100 + 24, 8);
	memcpy(&nent, mem + 0x5100 + 48, 4);
	memcpy(ram_hi, mem + 0x5140 + 4 * 24, 16);
	int ok_cmd = strcmp((char *)mem + 0x6000, "console=hc -- a b") == 0;
	uint64_t pt[2];
	memcpy(pt, mem + 0x5140 + 24, 16);
	free(mem);
	CHECK(magic == 0x336ec578 && cmd == 0x6000 && nent == 5, "start_info fields");
	CHECK(pt[0] == 0x10000 && pt[1] == 0x8f000, "page-table region not reserved");
	CHECK(ram_hi[0] == MiB && ram_hi[1] == MiB, "high RAM entry 0x%llx+0x%llx",
	      (unsigned long long)ram_hi[0], (unsigned long long)ram_hi[1]);
	CHECK(ok_cmd, "command line");
	return NULL;
}

/* ---- elf.c: the Spore note ------------------------------------------------------ */

/* build() with the Spore note (entry 0x100020) right after the Xen note, in the same PT_NOTE. */
static void build_spore(uint8_t *img, uint32_t descsz)
{
	uint32_t note[] = { 6,        descsz, 1, 0x726f7053 /* "Spor" */, 0x0065 /* "e\0" + pad */,
		            0x100020, 0 };

	build(img);
	memcpy(img + 0xc4, note, sizeof(note));
	PH(1)->p_filesz = 20 + sizeof(note);
}

static const char *t_elf_spore_note(void)
{
	static uint8_t img[IMG_LEN];
	char err[200] = "";
	uint32_t e32;
	static uint8_t mem[MEM];
	int r;

	build(img);
	r = load(img, IMG_LEN, mem, MEM, &e32, err);
	CHECK(r == 0 && im_last.has32 && !im_last.has64, "absent: %s", err);
	build_spore(img, 8);
	r = load(img, IMG_LEN, mem, MEM, &e32, err);
	CHECK(r == 0 && im_last.has64 && im_last.entry64 == 0x100020 && e32 == 0x100010,
	      "present: %s", err);
	CHECK(im_last.nseg == 1 && im_last.seg[0].gpa == 0x100000 && im_last.seg[0].memsz == 0x2000,
	      "segment list");
	img[0xb0 + 8] = 17; /* not the PVH type: Spore note alone */
	r = load(img, IMG_LEN, mem, MEM, &e32, err);
	CHECK(r == 0 && im_last.has64 && !im_last.has32, "Spore note alone: %s", err);
	PH(0)->p_vaddr = 0xffffffff80000000ull; /* identity map only */
	r = load(img, IMG_LEN, mem, MEM, &e32, err);
	CHECK(r < 0 && strstr(err, "p_vaddr"), "vaddr != paddr accepted: %s", err);
	static const uint32_t bad[] = { 0, 4, 7, 16 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build_spore(img, bad[i]);
		if (bad[i] > 8)
			PH(1)->p_filesz = 20 + 20 + bad[i];
		r = load(img, IMG_LEN, mem, MEM, &e32, err);
		CHECK(r < 0 && (strstr(err, "Spore") || strstr(err, "malformed")),
		      "descsz %u accepted: %s", bad[i], err);
	}
	build_spore(img, 8);
	*(uint32_t *)(img + 0xc4 + 20) = 0x1000; /* entry below 1 MiB */
	r = load(img, IMG_LEN, mem, MEM, &e32, err);
	CHECK(r < 0, "Spore entry below 1 MiB accepted");
	/* A flags-0 segment with filesz 0 (a guard page) loads and is listed; the notes
	 * move to a SHT_NOTE section to free the program header. */
	static uint8_t img2[IMG_LEN + 2 * sizeof(Elf64_Shdr)];
	{
		uint8_t *img = img2; /* for PH() and EH */
		build_spore(img, 8);
		*PH(1) = (Elf64_Phdr){ .p_type = PT_LOAD,
			               .p_paddr = 0x103000,
			               .p_vaddr = 0x103000,
			               .p_memsz = 0x1000,
			               .p_align = 0x1000 };
		Elf64_Shdr *sh = (Elf64_Shdr *)(img + IMG_LEN);
		memset(sh, 0, 2 * sizeof(*sh));
		sh[1] = (Elf64_Shdr){
			.sh_type = SHT_NOTE, .sh_offset = 0xb0, .sh_size = 48, .sh_addralign = 4
		};
		EH->e_shoff = IMG_LEN;
		EH->e_shnum = 2;
		EH->e_shentsize = sizeof(Elf64_Shdr);
	}
	r = load(img2, sizeof(img2), mem, MEM, &e32, err);
	CHECK(r == 0 && im_last.nseg == 2 && im_last.seg[1].flags == 0, "guard segment: %s", err);
	return NULL;
}

/* ---- paging.c ------------------------------------------------------------------ */

/* The test's own page walk over the tables in RAM: the leaf entry, with P cleared when
 * any level is not present; *size = page size. Checks every table address. */
static uint64_t walk(const uint8_t *mem, uint64_t mem_size, uint64_t cr3, uint64_t va,
                     uint64_t *size)
{
	uint64_t t = cr3, e = 0;
	const uint64_t addr = 0x000ffffffffff000ull;

	for (int level = 3; level >= 0; level--) {
		unsigned idx = (unsigned)(va >> (12 + 9 * level)) & 511;
		if (t + idx * 8 + 8 > mem_size)
			return 0;
		memcpy(&e, mem + t + idx * 8, 8);
		if (!(e & PTE_P))
			return 0;
		if (level > 0 && !(e & PTE_W && e & PTE_U))
			return 0; /* tables must not restrict */
		if (level == 1 && (e & PTE_PS)) {
			*size = 2 * MiB;
			return (e & addr) == (va & ~(2 * MiB - 1)) ? e : 0;
		}
		t = e & addr;
	}
	*size = 4096;
	return (e & addr) == (va & ~4095ull) ? e : 0;
}

#define PROT (PTE_P | PTE_W | PTE_U | PTE_NX)

static void image_std(struct image *im)
{
	static const struct seg s[] = {
		{ 0x100000, 0x2800, 0x100000, PF_R | PF_X }, /* text, partial last page */
		{ 0x103000, 0x1000, 0x103000, PF_R },        /* rodata */
		{ 0x104000, 0x2100, 0x104000, PF_R | PF_W }, /* data + bss */
		{ 0x107000, 0x1000, 0x107000, 0 },           /* guard */
		{ 0x108000, 0x4000, 0x108000, PF_R | PF_W }, /* stack */
	};
	memset(im, 0, sizeof(*im));
	im->has64 = 1;
	im->entry64 = 0x100000;
	im->nseg = 5;
	memcpy(im->seg, s, sizeof(s));
}

/* Every 4 KiB page of RAM (and a little beyond) as the tables map it vs paging_prot. */
static const char *check_all(const uint8_t *mem, uint64_t mem_size, uint64_t cr3,
                             const struct image *im, uint64_t step)
{
	for (uint64_t va = 0; va < mem_size + 4 * MiB; va += step) {
		uint64_t size = 0, e = walk(mem, mem_size, cr3, va, &size);
		uint64_t want = paging_prot(im, mem_size, va);
		CHECK((e & PROT) == want, "va 0x%llx: tables 0x%llx, paging_prot 0x%llx",
		      (unsigned long long)va, (unsigned long long)(e & PROT),
		      (unsigned long long)want);
		uint64_t chunk = va & ~(2 * MiB - 1);
		CHECK(!e || size == (chunk >= 2 * MiB && chunk + 2 * MiB <= mem_size ? 2 * MiB
		                                                                     : 4096),
		      "va 0x%llx: page size 0x%llx", (unsigned long long)va,
		      (unsigned long long)size);
	}
	return NULL;
}

static const char *t_paging_flags(void)
{
	struct image im;
	char err[200] = "";
	uint64_t cr3 = 0, m = 8 * MiB;
	uint8_t *mem = calloc(1, m);

	image_std(&im);
	int r = paging_build(mem, m, &im, &cr3, err, sizeof(err));
	const char *bad = r == 0 ? check_all(mem, m, cr3, &im, 4096) : NULL;
	free(mem);
	CHECK(r == 0 && cr3 == 0x10000, "build: %s", err);
	if (bad)
		return bad;
	static const struct {
		uint64_t va, prot;
	} c[] = {
		{ 0, 0 },
		{ 0xfff, 0 },
		{ 0x1000, PTE_P | PTE_U | PTE_W | PTE_NX },
		{ 0x10000, 0 },
		{ 0x9efff, 0 },
		{ 0x9f000, PTE_P | PTE_U | PTE_W | PTE_NX },
		{ 0x100000, PTE_P | PTE_U },
		{ 0x102fff, PTE_P | PTE_U },                  /* text, rounded up */
		{ 0x103000, PTE_P | PTE_U | PTE_NX },         /* rodata */
		{ 0x106fff, PTE_P | PTE_U | PTE_W | PTE_NX }, /* bss tail */
		{ 0x107000, 0 },
		{ 0x107fff, 0 }, /* guard */
		{ 0x108000, PTE_P | PTE_U | PTE_W | PTE_NX },
		{ 0x10c000, PTE_P | PTE_U | PTE_W | PTE_NX }, /* other RAM */
		{ 8 * MiB - 1, PTE_P | PTE_U | PTE_W | PTE_NX },
		{ 8 * MiB, 0 },
		{ UINT64_MAX, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CHECK(paging_prot(&im, m, c[i].va) == c[i].prot, "va 0x%llx: 0x%llx, want 0x%llx",
		      (unsigned long long)c[i].va, (unsigned long long)paging_prot(&im, m, c[i].va),
		      (unsigned long long)c[i].prot);
	CHECK(paging_guard(&im, 0x107800) && !paging_guard(&im, 0x108000) && !paging_guard(&im, 0),
	      "guard lookup");
	im.seg[1].gpa = 0x102800; /* rodata shares text's last page */
	mem = calloc(1, m);
	r = paging_build(mem, m, &im, &cr3, err, sizeof(err));
	free(mem);
	CHECK(r < 0 && strstr(err, "share a page"), "shared page with different flags accepted");
	return NULL;
}

static const char *t_paging_sizes(void)
{
	static const struct {
		uint64_t mem;
		int ok;
	} c[] = {
		{ 2 * MiB, 1 },
		{ 2 * MiB + 4096, 1 },
		{ 8 * MiB + 12288, 1 },
		{ 1 * GiB, 1 },
		{ 1 * GiB + 2 * MiB - 4096, 1 },
		{ 64 * GiB, 1 },
		{ 140 * GiB, 1 },
		{ 141 * GiB, 0 },
		{ 256 * GiB, 0 },
		{ 1024 * GiB, 0 },
	};
	struct image im;
	char err[200];

	image_std(&im);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t cr3 = 0, m = c[i].mem;
		/* Reserve address space only: untouched pages cost nothing. */
		uint8_t *mem = mmap(NULL, m, PROT_READ | PROT_WRITE,
		                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		CHECK(mem != MAP_FAILED, "mmap %llu MiB", (unsigned long long)(m >> 20));
		err[0] = '\0';
		int r = paging_build(mem, m, &im, &cr3, err, sizeof(err));
		const char *bad = NULL;
		if (r == 0 && m <= GiB + 2 * MiB)
			bad = check_all(mem, m, cr3, &im, 4096);
		else if (r == 0)
			bad = check_all(mem, m, cr3, &im, 2 * MiB - 4096); /* sample big RAM */
		munmap(mem, m);
		CHECK((r == 0) == c[i].ok, "%llu MiB: returned %d (%s)",
		      (unsigned long long)(m >> 20), r, err);
		CHECK(r == 0 || strstr(err, "page tables"), "no clear message: %s", err);
		if (bad)
			return bad;
	}
	return NULL;
}

/* ---- decode.c ------------------------------------------------------------------ */

static const char *t_decode(void)
{
	const uint64_t m = 4 * MiB, top = m - 4096;
	struct image im;
	uint8_t *mem = calloc(1, m);
	unsigned port = 0, len = 0;
	uint64_t v;

	image_std(&im);
	im.seg[im.nseg++] =
		(struct seg){ top, 4096, top, PF_R | PF_X }; /* code in RAM's last page */
	static const struct {
		uint64_t rip;
		uint8_t b[3];
		uint64_t rdx;
		int ok;
		unsigned port, len;
	} c[] = {
		{ 0x100000, { 0xef }, 0x501, 1, 0x501, 1 },
		{ 0x100010, { 0xef }, 0xffff0503, 1, 0x503, 1 }, /* port = dx, not edx */
		{ 0x100020, { 0xe7, 0x80 }, 0, 1, 0x80, 2 },
		{ 0x100030, { 0xee }, 0x501, 0, 0, 0 },       /* outb %al, %dx */
		{ 0x100040, { 0xe6, 0x80 }, 0, 0, 0, 0 },     /* outb $imm */
		{ 0x100050, { 0x66, 0xef }, 0x501, 0, 0, 0 }, /* outw */
		{ 0x100060, { 0x0f, 0x0b }, 0x501, 0, 0, 0 }, /* ud2 */
		{ 0x100070, { 0xed }, 0x501, 0, 0, 0 },       /* inl */
		{ 0x102ffe, { 0xe7, 0x10 }, 0, 1, 0x10, 2 },  /* last two bytes of text */
		{ 0x102fff, { 0xe7 }, 0, 0, 0, 0 },           /* imm8 in rodata (NX): no fetch */
		{ 0x102fff, { 0xef }, 0x501, 1, 0x501, 1 },   /* one byte is enough for ef */
		{ m - 1, { 0xef }, 0x505, 1, 0x505, 1 },      /* last byte of RAM */
		{ m - 1, { 0xe7 }, 0, 0, 0, 0 },              /* imm8 beyond RAM */
		{ m - 2, { 0xe7, 0x44 }, 0, 1, 0x44, 2 },
		{ 0x103000, { 0xef }, 0x501, 0, 0, 0 }, /* rodata: NX */
		{ 0x104000, { 0xef }, 0x501, 0, 0, 0 }, /* data: NX */
		{ 0x107000, { 0xef }, 0x501, 0, 0, 0 }, /* guard: unmapped */
		{ 0x10000, { 0xef }, 0x501, 0, 0, 0 },  /* page tables: unmapped */
		{ 0, { 0xef }, 0x501, 0, 0, 0 },        /* page 0 */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(mem + c[i].rip, 0, c[i].rip + 3 <= m ? 3 : m - c[i].rip);
		memcpy(mem + c[i].rip, c[i].b, c[i].rip + 3 <= m ? 3 : m - c[i].rip);
		port = len = 0;
		int r = decode_outl(mem, m, &im, c[i].rip, c[i].rdx, &port, &len);
		if (r != c[i].ok || (r && (port != c[i].port || len != c[i].len))) {
			free(mem);
			CHECK(0, "case %zu (rip 0x%llx): r %d port 0x%x len %u", i,
			      (unsigned long long)c[i].rip, r, port, len);
		}
	}
	static const uint64_t beyond[] = { m,          m + 1,          64 * GiB,
		                           UINT64_MAX, UINT64_MAX - 1, 1ull << 63 };
	for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++)
		if (decode_outl(mem, m, &im, beyond[i], 0x501, &port, &len)) {
			free(mem);
			CHECK(0, "rip 0x%llx beyond RAM decoded", (unsigned long long)beyond[i]);
		}
	memcpy(mem + 0x108ff8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	int ok = decode_read64(mem, m, &im, 0x108ff8, &v) == 0 && v == 0x8877665544332211ull &&
	         decode_read64(mem, m, &im, 0x108ff9, &v) < 0 &&
	         decode_read64(mem, m, &im, 0x107ff8, &v) < 0 &&
	         decode_read64(mem, m, &im, 0, &v) < 0 &&
	         decode_read64(mem, m, &im, m - 4, &v) < 0 &&
	         decode_read64(mem, m, &im, m, &v) < 0 &&
	         decode_read64(mem, m, &im, UINT64_MAX - 7, &v) < 0 &&
	         decode_read64(mem, m, &im, 0x10008, &v) < 0;
	free(mem);
	CHECK(ok, "decode_read64 range checks");
	return NULL;
}

/* Random bytes at random rips in an exact-size buffer: ASan catches any read outside RAM. */
static const char *t_decode_random(void)
{
	const uint64_t m = 2 * MiB + 4096;
	struct image im;
	uint8_t *mem = malloc(m);
	unsigned port, len;
	uint8_t buf[15];

	image_std(&im);
	im.seg[im.nseg++] = (struct seg){ m - 8192, 8192, m - 8192, PF_R | PF_X };
	for (uint64_t i = 0; i < m; i++)
		mem[i] = (uint8_t)rnd();
	for (int i = 0; i < 200000; i++) {
		uint64_t rip = i % 2 ? m - (rnd() % 20) : pick(m);
		int r = decode_outl(mem, m, &im, rip, rnd(), &port, &len);
		size_t n = decode_fetch(mem, m, &im, rip, buf, sizeof(buf));
		if (r && (len < 1 || len > 2 || n < len || (len == 2 && port > 255))) {
			free(mem);
			CHECK(0, "rip 0x%llx: len %u n %zu port 0x%x", (unsigned long long)rip, len,
			      n, port);
		}
	}
	free(mem);
	return NULL;
}

static const char *t_net_mac(void)
{
	uint8_t m[6];
	CHECK(net_parse_mac("02:00:00:aA:bb:FF", m) == 0 && m[0] == 2 && m[3] == 0xaa &&
	              m[5] == 0xff,
	      "valid MAC rejected");
	static const char *bad[] = { "",
		                     "02:00:00:00:00",
		                     "02:00:00:00:00:00:00",
		                     "01:00:00:00:00:00",
		                     "02-00-00-00-00-00",
		                     "2:00:00:00:00:00",
		                     "02:00:00:00:00:0g",
		                     "02:00:00:00:00:000" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(net_parse_mac(bad[i], m) < 0, "accepted '%s'", bad[i]);
	return NULL;
}

/* One row: a batch of `count` good frames with frame `at` replaced by {buf, len}. */
static const char *t_net_check(void)
{
	const uint64_t mem = 8 * MiB;
	static const struct {
		uint32_t count, at;
		uint64_t buf;
		uint32_t len;
		int send, bad; /* bad: net_check must refuse, naming frame `at` */
	} rows[] = {
		{ 2, 1, 0x300000, HC_NET_FRAME_MAX, 1, 0 }, /* longest send frame */
		{ 2, 1, 0x300000, 14, 1, 0 },               /* shortest: a bare header */
		{ 2, 1, 0x300000, HC_NET_FRAME_MAX + 1, 1, 1 },
		{ 2, 1, 0x300000, 13, 1, 1 },
		{ 2, 0, 0x300000, 0, 1, 1 },
		{ 2, 1, 0x300000, 0, 0, 0 }, /* an empty receive buffer is harmless */
		{ 2, 1, 0x300000, NET_RECV_MAX, 0, 0 },
		{ 2, 1, 0x300000, NET_RECV_MAX + 1, 0, 1 },
		{ 2, 1, 0x300000, UINT32_MAX, 0, 1 },
		{ 3, 2, 8 * MiB - 60, 60, 1, 0 }, /* ends exactly at the top of RAM */
		{ 3, 2, 8 * MiB - 59, 60, 1, 1 }, /* one byte past it */
		{ 3, 2, 8 * MiB, 14, 1, 1 },
		{ 3, 2, 8 * MiB, 0, 0, 0 }, /* empty, at the end: inside */
		{ 3, 2, 8 * MiB + 1, 0, 0, 1 },
		{ 2, 1, UINT64_MAX - 20, 60, 0, 1 }, /* buf + len wraps past 2^64 */
		{ 2, 1, UINT64_MAX, 1514, 1, 1 },
		{ 2, 1, 1ull << 63, 60, 1, 1 },
		{ HC_NET_BATCH, HC_NET_BATCH - 1, 0x7ff000, 1514, 1, 0 },
		{ HC_NET_BATCH, HC_NET_BATCH - 1, 0x7ff000, 4097, 0, 1 },
		{ 1, 1, UINT64_MAX, 0, 1, 0 },               /* beyond count: never looked at */
		{ HC_NET_BATCH + 1, 0, 0x300000, 60, 1, 1 }, /* count above the batch */
		{ UINT32_MAX, 0, 0x300000, 60, 0, 1 },
	};
	struct hc_net b;
	unsigned f;

	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		memset(&b, 0, sizeof(b));
		b.count = rows[r].count;
		for (unsigned k = 0; k < HC_NET_BATCH; k++)
			b.f[k] = (struct hc_net_frame){ 0x200000 + k * 2048, 60, 0 };
		if (rows[r].at < HC_NET_BATCH)
			b.f[rows[r].at] = (struct hc_net_frame){ rows[r].buf, rows[r].len, 0 };
		const char *w = net_check(&b, mem, rows[r].send, &f);
		CHECK(!w == !rows[r].bad, "row %u: %s", r, w ? w : "accepted");
		CHECK(!w || b.count > HC_NET_BATCH || f == rows[r].at, "row %u: named frame %u", r,
		      f);
	}
	for (int i = 0; i < 200000; i++) { /* random blocks: a pass means every range fits */
		b.count = (uint32_t)(rnd() % (HC_NET_BATCH + 3));
		for (unsigned k = 0; k < HC_NET_BATCH; k++)
			b.f[k] =
				(struct hc_net_frame){ rnd() % 2 ? pick(mem) : rnd(),
				                       (uint32_t)(rnd() % 3 ? rnd() % 2000 : rnd()),
				                       0 };
		int send = (int)(rnd() % 2);
		if (net_check(&b, mem, send, &f)) {
			CHECK(b.count > HC_NET_BATCH || f < b.count, "named frame %u of %u", f,
			      b.count);
			continue;
		}
		CHECK(b.count <= HC_NET_BATCH, "count %u passed", b.count);
		for (unsigned k = 0; k < b.count; k++) {
			CHECK(ref_range(mem, b.f[k].buf, b.f[k].len), "frame %u out of RAM passed",
			      k);
			CHECK(send ? b.f[k].len >= 14 && b.f[k].len <= HC_NET_FRAME_MAX
			           : b.f[k].len <= NET_RECV_MAX,
			      "frame %u length %u passed", k, b.f[k].len);
		}
	}
	return NULL;
}

/* ---- hypercalls.c: the handlers over a fake guest RAM --------------------------- */

/* The monitor's one-line messages, kept for the checks (main.c's msg writes stderr). */
static char msgs[2048];
static int msg_stderr; /* a forked child: the parent reads the line from its stderr */

void msg(const char *fmt, ...)
{
	size_t n = strlen(msgs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msgs + n, sizeof(msgs) - n, fmt, ap);
	va_end(ap);
	if (msg_stderr && write(2, msgs + n, strlen(msgs + n)) < 0)
		return;
}

void print_stats(void) /* main.c's --stats */ {}

#define HC_GPA 0x1000ull

static struct vm *fake_vm(void)
{
	static struct vm vm;

	free(vm.mem);
	vm = (struct vm){ .mem = calloc(1, 8 * MiB),
		          .mem_size = 8 * MiB,
		          .tap_fd = -1,
		          .disk_fd = -1,
		          .gdb_fd = -1 };
	msgs[0] = '\0';
	return &vm;
}

/* 248..254 are the monitor's: a guest asking for one gets 250 and a line naming it. */
static const char *t_hc_exit(void)
{
	static const struct {
		int32_t ask;
		int got;
	} c[] = {
		{ 0, 0 },           { 7, 7 },           { 119, 119 }, { 120, 120 }, { 247, 247 },
		{ 248, -1 },        { 249, -1 },        { 250, -1 },  { 251, -1 },  { 252, -1 },
		{ 253, -1 },        { 254, -1 },        { 255, 255 }, { 256, 255 }, { -1, 255 },
		{ INT32_MIN, 255 }, { INT32_MAX, 255 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vm *vm = fake_vm();
		struct hc_exit b = { .status = c[i].ask };
		char want[160];

		CHECK(status_guest(c[i].ask) == c[i].got, "status_guest(%d) = %d", c[i].ask,
		      status_guest(c[i].ask));
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		int r = hc_dispatch(vm, HC_EXIT, HC_GPA);
		snprintf(want, sizeof(want),
		         "spore-kvm: guest error: exit (nr 4): status %d is reserved "
		         "for the monitor (248..254); exiting 250 instead (gpa 0x1000)\n",
		         c[i].ask);
		if (c[i].got >= 0)
			CHECK(r == c[i].got && !msgs[0], "exit %d: status %d, message '%.200s'",
			      c[i].ask, r, msgs);
		else
			CHECK(r == HC_EXIT_BADCALL && strcmp(msgs, want) == 0,
			      "exit %d: status %d, message '%.200s'", c[i].ask, r, msgs);
	}
	return NULL;
}

/* HC_READY without --snapshot: the block is overwritten whole with the generation (0
 * booted, n restored), nothing is due; a bad block is a bad call. */
static const char *t_hc_ready(void)
{
	for (uint64_t gen = 0; gen < 3; gen += 2) {
		struct vm *vm = fake_vm();
		struct hc_ready b;
		memset(&b, 0xa5, sizeof(b));
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		vm->generation = gen;
		CHECK(hc_dispatch(vm, HC_READY, HC_GPA) == -1 && !msgs[0], "ready: %.200s", msgs);
		memcpy(&b, vm->mem + HC_GPA, sizeof(b));
		CHECK(b.generation == gen && b.wall_ns == 0 && b.seed[31] == 0 && !vm->snap_due,
		      "block");
	}
	struct vm *vm = fake_vm();
	CHECK(hc_dispatch(vm, HC_READY, HC_GPA + 4) == HC_EXIT_BADCALL &&
	              strstr(msgs, "ready (nr 12)"),
	      "misaligned: %.200s", msgs);
	vm = fake_vm();
	CHECK(hc_dispatch(vm, HC_READY, 8 * MiB - 8) == HC_EXIT_BADCALL, "outside RAM");
	return NULL;
}

/* A ring-0 kernel's fault frame with HC_EXIT 120: copied once when the block is good,
 * ignored (the status stays) when it is outside RAM or misaligned, and only with 120. */
static const char *t_hc_exit_regs(void)
{
	static const struct {
		int32_t status;
		uint64_t regs;
		int known;
	} c[] = {
		{ 120, 0x2000, 1 },         { 120, 0, 0 },
		{ 120, 0x2004, 0 },         { 120, 8 * MiB - 8, 0 },
		{ 120, UINT64_MAX - 7, 0 }, { 120, 1ull << 32, 0 },
		{ 0, 0x2000, 0 },           { 121, 0x2000, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vm *vm = fake_vm();
		struct hc_exit b = { .status = c[i].status, .regs = c[i].regs };
		struct hc_regs r = { .rip = 0x108be0, .rsp = 0x169fd0, .vector = 14 };
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		memcpy(vm->mem + 0x2000, &r, sizeof(r));
		int st = hc_dispatch(vm, HC_EXIT, HC_GPA);
		CHECK(st == c[i].status && vm->fault_known == c[i].known && !msgs[0],
		      "exit %d regs 0x%llx: status %d, known %d", c[i].status,
		      (unsigned long long)c[i].regs, st, vm->fault_known);
		CHECK(!c[i].known || (vm->fault.rip == 0x108be0 && vm->fault.rsp == 0x169fd0),
		      "registers");
	}
	return NULL;
}

/* A tap deleted under the guest polls as POLLERR for good (a pipe's ends give
 * POLLERR and POLLHUP the same way): the guest must end with 253 and a line, not
 * get "nothing ready" back at once forever and spin. */
static const char *t_hc_poll(void)
{
	static const struct {
		const char *name;
		int close_end, data;
		int want;
		unsigned ready;
	} c[] = {
		{ "readable", -1, 1, -1, HC_EV_NET },
		{ "idle", -1, 0, -1, 0 },
		{ "POLLHUP", 1, 0, HC_EXIT_HOSTIO, 0 },
		{ "POLLERR", 0, 0, HC_EXIT_HOSTIO, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vm *vm = fake_vm();
		struct hc_poll b = { .timeout_ns = c[i].want < 0 ? 1000000 : UINT64_MAX,
			             .mask = HC_EV_NET };
		int p[2];

		CHECK(pipe(p) == 0, "pipe");
		if (c[i].data)
			CHECK(write(p[1], "x", 1) == 1, "write");
		if (c[i].close_end >= 0)
			close(p[c[i].close_end]);
		vm->tap_fd =
			p[c[i].close_end == 0 ? 1 : 0]; /* POLLERR: the write end, reader gone */
		vm->tap_name = "tap9";
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		int r = hc_dispatch(vm, HC_POLL, HC_GPA);
		memcpy(&b, vm->mem + HC_GPA, sizeof(b));
		close(p[0]);
		if (c[i].close_end != 1)
			close(p[1]);
		CHECK(r == c[i].want, "%s: status %d", c[i].name, r);
		if (r < 0)
			CHECK(b.ready == c[i].ready && !msgs[0], "%s: ready 0x%x", c[i].name,
			      b.ready);
		else
			CHECK(strcmp(msgs,
			             "spore-kvm: --net=tap9: the tap is gone (deleted under the running "
			             "guest?); ending the guest\n") == 0,
			      "%s: message '%.200s'", c[i].name, msgs);
	}
	return NULL;
}

/* The console with stdout a pipe: written whole; with the reader gone, EPIPE ends
 * the guest with 253 and a line (SIGPIPE is ignored, as main.c does). */
static const char *t_hc_console(void)
{
	static const char *const gone =
		"spore-kvm: console: stdout is closed (EPIPE: its reader went "
		"away); ending the guest\n";
	struct hc_console b = { .buf = 0x2000, .len = 5 };
	char got[8] = "";
	int p[2], saved = dup(1);

	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	for (int closed = 0; closed < 2; closed++) {
		struct vm *vm = fake_vm();
		CHECK(pipe(p) == 0, "pipe");
		if (closed)
			close(p[0]);
		memcpy(vm->mem + 0x2000, "hello", 5);
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		dup2(p[1], 1);
		int r = hc_dispatch(vm, HC_CONSOLE_WRITE, HC_GPA);
		dup2(saved, 1);
		close(p[1]);
		if (!closed) {
			struct hc_console out;
			memcpy(&out, vm->mem + HC_GPA, sizeof(out));
			CHECK(read(p[0], got, sizeof(got)) == 5 && memcmp(got, "hello", 5) == 0,
			      "not written");
			close(p[0]);
			CHECK(r == -1 && out.ret == 5 && !msgs[0],
			      "open pipe: status %d ret %lld '%.200s'", r, (long long)out.ret,
			      msgs);
		} else {
			CHECK(r == HC_EXIT_HOSTIO && strcmp(msgs, gone) == 0,
			      "closed pipe: status %d '%.200s'", r, msgs);
		}
	}
	close(saved);
	return NULL;
}

/* --timeout must win while the console write blocks on a reader that stopped
 * reading: a child with a full pipe as stdout arms a 1 s timeout and writes; it
 * must exit 252 with its line within 5 s (before, SIGALRM stayed blocked there and
 * the child waited for ever). */
static const char *t_timeout_in_write(void)
{
	int out[2], err[2];
	char line[300] = "";
	int status = 0;

	CHECK(pipe(out) == 0 && pipe(err) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct vm *vm = fake_vm();
		struct hc_console b = { .buf = 0x2000, .len = 4096 };
		fcntl(out[1], F_SETFL, O_NONBLOCK);
		while (write(out[1], vm->mem, 4096) > 0)
			;
		fcntl(out[1], F_SETFL, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		msg_stderr = 1;
		memcpy(vm->mem + HC_GPA, &b, sizeof(b));
		if (timer_arm(vm, 1) < 0)
			_exit(90);
		hc_dispatch(vm, HC_CONSOLE_WRITE, HC_GPA);
		_exit(91); /* the write returned: nobody read, so it must not */
	}
	close(err[1]);
	int done = 0;
	for (int i = 0; i < 50 && !done; i++) {
		usleep(100000);
		done = waitpid(pid, &status, WNOHANG) == pid;
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ssize_t n = read(err[0], line, sizeof(line) - 1);
	close(out[0]);
	close(out[1]);
	close(err[0]);
	line[n > 0 ? n : 0] = '\0';
	CHECK(done, "still blocked in the write 5 s after a 1 s --timeout");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == HC_EXIT_TIMEOUT, "child status 0x%x",
	      status);
	CHECK(strcmp(line,
	             "spore-kvm: guest timed out after 1 s (while the monitor was writing the "
	             "console to stdout)\n") == 0,
	      "message '%.200s'", line);
	return NULL;
}

/* ---- seccomp.c -------------------------------------------------------------------- */

/* The classic-BPF subset seccomp_build emits; anything else, a jump out of the
 * program or falling off its end is reported as 0xdead. */
static uint32_t bpf_run(const struct sock_filter *f, unsigned n, const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof(*d))
				return 0xdead;
			memcpy(&a, (const uint8_t *)d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == i->k ? i->jt : i->jf; break;
		case BPF_RET | BPF_K: return i->k;
		default: return 0xdead;
		}
	}
	return 0xdead;
}

/* With --gdb and --core: gdb's socket 9, the core's fd 10 and directory 11, linkat's
 * two paths at these (never dereferenced) addresses. */
static const struct core test_core = { .fd = 10,
	                               .dir = 11,
	                               .from = (const char *)0x7f0000001000,
	                               .name = (const char *)0x7f0000001010 };

/* The reference: what the filter must allow for fds vcpu 5, tap 7 (or none), disk 8
 * (or none), and with extra, gdb 9 and test_core. */
static int ref_allow(const struct seccomp_data *d, int tap, int disk, int extra)
{
	uint64_t fd = d->args[0];

	if (extra && d->arch == AUDIT_ARCH_X86_64) {
		switch (d->nr) {
		case __NR_write:
		case __NR_read:
			if (fd == 9)
				return 1;
			break;
		case __NR_pwrite64:
			if (fd == 10)
				return 1;
			break;
		case __NR_linkat:
			return (uint32_t)d->args[0] == (uint32_t)AT_FDCWD &&
			       d->args[1] == (uint64_t)(uintptr_t)test_core.from &&
			       (uint32_t)d->args[2] == 11 &&
			       d->args[3] == (uint64_t)(uintptr_t)test_core.name &&
			       (uint32_t)d->args[4] == AT_SYMLINK_FOLLOW;
		case __NR_ioctl:
			if (fd == 5 &&
			    (d->args[1] == KVM_SET_GUEST_DEBUG || d->args[1] == KVM_GET_FPU))
				return 1;
			break;
		}
	}
	if (d->arch != AUDIT_ARCH_X86_64)
		return 0;
	switch (d->nr) {
	case __NR_ppoll:
	case __NR_getrandom:
	case __NR_clock_gettime:
	case __NR_rt_sigreturn:
	case __NR_rt_sigprocmask:
	case __NR_exit_group: return 1;
	case __NR_write: return fd == 1 || fd == 2 || (tap >= 0 && fd == (uint64_t)tap);
	case __NR_read: return tap >= 0 && fd == (uint64_t)tap;
	case __NR_pread64:
	case __NR_pwrite64:
	case __NR_fdatasync: return disk >= 0 && fd == (uint64_t)disk;
	case __NR_ioctl:
		return fd == 5 && (d->args[1] == KVM_RUN || d->args[1] == KVM_GET_REGS ||
		                   d->args[1] == KVM_SET_REGS || d->args[1] == KVM_GET_SREGS);
	}
	return 0;
}

/* --snapshot adds pwrite64 on its file, its one linkat and the ioctls that read the
 * vCPU's state; without it none of them, and with everything on the filter still fits. */
static const char *t_seccomp_snap(void)
{
	static struct sock_filter f[SECCOMP_MAX];
	static const struct core snap = { .fd = 12,
		                          .dir = 13,
		                          .from = (const char *)0x7f0000002000,
		                          .name = (const char *)0x7f0000002010 };
	static const unsigned long gets[] = { KVM_GET_XSAVE, KVM_GET_XCRS, KVM_GET_MSRS,
		                              KVM_GET_FPU };

	for (int with = 0; with < 2; with++) {
		unsigned n = seccomp_build(f, 5, 7, 8, 9, &test_core, with ? &snap : NULL, NULL, 0,
		                           -1, -1);
		CHECK(n > 0 && n <= SECCOMP_MAX, "%u instructions", n);
		struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64,
			                  .nr = __NR_pwrite64,
			                  .args = { 12 } };
		CHECK(bpf_run(f, n, &d) == (with ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
		      "pwrite64 on 12");
		d.args[0] = 13;
		CHECK(bpf_run(f, n, &d) == SECCOMP_RET_TRAP, "pwrite64 on 13");
		for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
			d = (struct seccomp_data){ .arch = AUDIT_ARCH_X86_64,
				                   .nr = __NR_ioctl,
				                   .args = { 5, gets[i] } };
			CHECK(bpf_run(f, n, &d) == (with || gets[i] == KVM_GET_FPU
			                                    ? SECCOMP_RET_ALLOW
			                                    : SECCOMP_RET_TRAP),
			      "ioctl 0x%lx", gets[i]);
			d.args[0] = 12;
			CHECK(bpf_run(f, n, &d) == SECCOMP_RET_TRAP, "ioctl 0x%lx on the file",
			      gets[i]);
		}
		d = (struct seccomp_data){ .arch = AUDIT_ARCH_X86_64,
			                   .nr = __NR_linkat,
			                   .args = { (uint32_t)AT_FDCWD, 0x7f0000002000, 13,
			                             0x7f0000002010, AT_SYMLINK_FOLLOW } };
		CHECK(bpf_run(f, n, &d) == (with ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
		      "the snapshot's linkat");
		d.args[3] = 0x7f0000001010; /* the core's name in the snapshot's directory */
		CHECK(bpf_run(f, n, &d) == SECCOMP_RET_TRAP, "a mixed linkat");
	}
	unsigned n = seccomp_build(f, 5, -1, -1, -1, NULL, &snap, NULL, 0, -1, -1);
	struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64,
		                  .nr = __NR_ioctl,
		                  .args = { 5, KVM_GET_FPU } };
	CHECK(bpf_run(f, n, &d) == SECCOMP_RET_ALLOW, "KVM_GET_FPU without --gdb");
	/* On the virtio path: KVM_GET_IRQCHIP on the VM fd (and nothing else there), the
	 * LAPIC and vCPU events on the vCPU's; all of it fits with everything else on. */
	struct core vsnap = snap;
	vsnap.irqchip_fd = 14;
	const int ev[SECCOMP_EV_MAX] = { 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
	n = seccomp_build(f, 5, 7, 8, 9, &test_core, &vsnap, ev, SECCOMP_EV_MAX, -1, -1);
	CHECK(n > 0 && n <= SECCOMP_MAX, "%u instructions", n);
	static const struct {
		int fd;
		unsigned long cmd;
		int allow;
	} io[] = {
		{ 14, KVM_GET_IRQCHIP, 1 },
		{ 14, KVM_SET_IRQCHIP, 0 },
		{ 14, KVM_RUN, 0 },
		{ 14, KVM_GET_LAPIC, 0 },
		{ 5, KVM_GET_IRQCHIP, 0 },
		{ 5, KVM_GET_LAPIC, 1 },
		{ 5, KVM_GET_VCPU_EVENTS, 1 },
		{ 5, KVM_SET_LAPIC, 0 },
		{ 12, KVM_GET_IRQCHIP, 0 },
	};
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
		d = (struct seccomp_data){ .arch = AUDIT_ARCH_X86_64,
			                   .nr = __NR_ioctl,
			                   .args = { (uint64_t)io[i].fd, io[i].cmd } };
		CHECK(bpf_run(f, n, &d) == (io[i].allow ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
		      "ioctl 0x%lx on %d", io[i].cmd, io[i].fd);
	}
	/* On the virtio path without --snapshot, the timeout report's three reads of the
	 * vCPU (LAPIC, events, MSRs) and no write; without devices none of them. */
	static const unsigned long rep[] = { KVM_GET_LAPIC, KVM_GET_VCPU_EVENTS, KVM_GET_MSRS,
		                             KVM_SET_LAPIC, KVM_SET_MSRS };
	for (int with = 0; with < 2; with++) {
		n = seccomp_build(f, 5, 7, 8, -1, NULL, NULL, ev, with ? 3 : 0, -1, -1);
		for (size_t i = 0; i < sizeof(rep) / sizeof(rep[0]); i++) {
			d = (struct seccomp_data){ .arch = AUDIT_ARCH_X86_64,
				                   .nr = __NR_ioctl,
				                   .args = { 5, rep[i] } };
			int allow = with && i < 3;
			CHECK(bpf_run(f, n, &d) == (allow ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
			      "ioctl 0x%lx with %d eventfds", rep[i], with ? 3 : 0);
		}
	}
	return NULL;
}

static const char *t_seccomp(void)
{
	static struct sock_filter f[SECCOMP_MAX];
	static const int nrs[] = {
		__NR_write,        __NR_read,   __NR_pread64,    __NR_pwrite64, __NR_fdatasync,
		__NR_ioctl,        __NR_ppoll,  __NR_exit_group, __NR_openat,   __NR_mmap,
		__NR_execve,       __NR_socket, __NR_close,      __NR_dup2,     __NR_rt_sigprocmask,
		__NR_rt_sigaction, __NR_linkat, __NR_accept,     __NR_unlinkat
	};
	static const uint64_t args[] = { 0,
		                         1,
		                         2,
		                         3,
		                         5,
		                         7,
		                         8,
		                         9,
		                         10,
		                         11,
		                         0xffffffff,
		                         1ull << 32 | 1,
		                         1ull << 32 | 7,
		                         1ull << 32 | 9,
		                         KVM_RUN,
		                         KVM_CREATE_VCPU,
		                         KVM_SET_SREGS,
		                         KVM_SET_GUEST_DEBUG,
		                         KVM_GET_FPU,
		                         (uint64_t)KVM_RUN << 32 | KVM_RUN,
		                         UINT64_MAX,
		                         (uint32_t)AT_FDCWD,
		                         (uint64_t)(int64_t)AT_FDCWD,
		                         0x7f0000001000,
		                         0x7f0000001010,
		                         0x1000,
		                         0x7f0100001000 };

	for (int x = 0; x < 8; x++) {
		int tap = x & 1 ? 7 : -1, disk = x & 2 ? 8 : -1, extra = x >> 2;
		unsigned n = seccomp_build(f, 5, tap, disk, extra ? 9 : -1,
		                           extra ? &test_core : NULL, NULL, NULL, 0, -1, -1);
		CHECK(n > 0 && n <= SECCOMP_MAX, "%u instructions", n);
		/* Without --gdb and --core, the filter there was before them (its length
		 * then; the bytes were compared once, by hand, as well). */
		CHECK(extra || n == 71u + 4 * (tap >= 0) + 6 * (disk >= 0),
		      "tap %d disk %d: %u instructions", tap, disk, n);
		struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64 };
		/* Every listed call with every pair of listed first two arguments... */
		for (unsigned a = 0; a < sizeof(nrs) / sizeof(nrs[0]); a++)
			for (unsigned x = 0; x < sizeof(args) / sizeof(args[0]); x++)
				for (unsigned y = 0; y < sizeof(args) / sizeof(args[0]); y++) {
					d.nr = nrs[a], d.args[0] = args[x], d.args[1] = args[y];
					/* linkat: the rest right, so the first two decide */
					d.args[2] = 11, d.args[3] = 0x7f0000001010,
					d.args[4] = AT_SYMLINK_FOLLOW;
					uint32_t r = bpf_run(f, n, &d);
					CHECK(r == (ref_allow(&d, tap, disk, extra)
					                    ? SECCOMP_RET_ALLOW
					                    : SECCOMP_RET_TRAP),
					      "tap %d disk %d: nr %d (0x%llx, 0x%llx) -> 0x%x", tap,
					      disk, d.nr, (unsigned long long)d.args[0],
					      (unsigned long long)d.args[1], r);
				}
		/* linkat with each argument right but one, wrong in its high or low half
		 * (an int's high half is ignored: glibc may zero-extend -100). */
		const uint64_t ok[5] = { (uint32_t)AT_FDCWD, 0x7f0000001000, 11, 0x7f0000001010,
			                 AT_SYMLINK_FOLLOW };
		for (int k = -1; k < 5; k++)
			for (int half = 0; half < 2; half++) {
				struct seccomp_data l = { .arch = AUDIT_ARCH_X86_64,
					                  .nr = __NR_linkat };
				memcpy(l.args, ok, sizeof(ok));
				if (k >= 0)
					l.args[k] ^= half ? 1ull << 40 : 1;
				uint32_t r = bpf_run(f, n, &l);
				CHECK(r == (ref_allow(&l, tap, disk, extra) ? SECCOMP_RET_ALLOW
				                                            : SECCOMP_RET_TRAP),
				      "linkat, arg %d %s half changed -> 0x%x", k,
				      half ? "high" : "low", r);
				CHECK(!extra || (r == SECCOMP_RET_ALLOW) ==
				                        (k < 0 ||
				                         (half && (k == 0 || k == 2 || k == 4))),
				      "linkat, arg %d -> 0x%x", k, r);
			}
		/* ...then random calls, arguments and architectures. */
		for (int i = 0; i < 100000; i++) {
			d.arch = rnd() % 8 ? AUDIT_ARCH_X86_64 : (uint32_t)rnd();
			d.nr = (int)(rnd() % 3 ? rnd() % 460 : rnd());
			d.args[0] = rnd() % 2 ? rnd() % 10 : rnd();
			for (int k = 2; k < 5; k++)
				d.args[k] = rnd() % 2
				                    ? args[rnd() % (sizeof(args) / sizeof(args[0]))]
				                    : rnd();
			uint32_t r = bpf_run(f, n, &d);
			CHECK(r == (ref_allow(&d, tap, disk, extra) ? SECCOMP_RET_ALLOW
			                                            : SECCOMP_RET_TRAP),
			      "random: nr %d arch 0x%x fd 0x%llx -> 0x%x", d.nr, d.arch,
			      (unsigned long long)d.args[0], r);
		}
	}
	return NULL;
}

static const char *t_seccomp_report(void)
{
	static const struct {
		int nr;
		uint32_t arch;
		uint64_t a0, a1;
		const char *want;
	} c[] = {
		{ __NR_openat, AUDIT_ARCH_X86_64, (uint64_t)-100, 0x4ab010,
		  "openat (257), args 0xffffffffffffff9c, 0x4ab010" },
		{ __NR_write, AUDIT_ARCH_X86_64, 9, 0, "write (1), args 0x9, 0x0" },
		{ 999, AUDIT_ARCH_X86_64, 0, UINT64_MAX, "999, args 0x0, 0xffffffffffffffff" },
		{ 1 | 0x40000000, AUDIT_ARCH_X86_64, 1, 2, "1073741825, args 0x1, 0x2" },
		{ 5, AUDIT_ARCH_I386, 1, 2, "5 of arch 0x40000003, args 0x1, 0x2" },
		{ -1, AUDIT_ARCH_X86_64, 0, 0, "4294967295, args 0x0, 0x0" },
	};
	char buf[200], want[200];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n =
			seccomp_report(buf, sizeof(buf) - 1, c[i].nr, c[i].arch, c[i].a0, c[i].a1);
		buf[n] = '\0';
		snprintf(want, sizeof(want),
		         "spore-kvm: seccomp: forbidden system call %s (a monitor bug: "
		         "please report it)\n",
		         c[i].want);
		CHECK(strcmp(buf, want) == 0, "got '%.200s'", buf);
	}
	CHECK(seccomp_report(buf, 10, __NR_openat, AUDIT_ARCH_X86_64, 0, 0) == 10,
	      "overran 10 bytes");
	return NULL;
}

/* The real filter, for real: a child installs what spore-kvm installs (vCPU fd 100, no
 * tap, no disk), then makes a forbidden call; it must print the call's name and exit
 * 254 (before: killed by SIGSYS, status 159, without a word). An allowed call made
 * first (write to fd 1) must still work. */
/* The virtio path's two filters: the vCPU thread's with eventfds 20-22 to wake (and
 * futex for the device lock), and the I/O thread's: epoll on 30, reads of the tap (7)
 * and eventfds 20-22, writes to the tap, stderr and the irqfd 23, the disk (8),
 * KVM_IRQ_LINE on the VM's fd 4; nothing else. */
static int ref_io(const struct seccomp_data *d)
{
	uint64_t fd = d->args[0];

	if (d->arch != AUDIT_ARCH_X86_64)
		return 0;
	switch (d->nr) {
	case __NR_futex:
	case __NR_sched_yield:
	case __NR_exit_group: return 1;
	case __NR_epoll_wait:
	case __NR_epoll_pwait: return fd == 30;
	case __NR_read: return fd == 7 || fd == 20 || fd == 21 || fd == 22;
	case __NR_write: return fd == 7 || fd == 2 || fd == 23;
	case __NR_readv:
	case __NR_writev: return fd == 7; /* the tap alone */
	case __NR_pread64:
	case __NR_pwrite64:
	case __NR_fdatasync: return fd == 8;
	case __NR_ioctl: /* the tap's offloads, the pins: an int and an unsigned int, low halves */
		return ((uint32_t)fd == 7 && (uint32_t)d->args[1] == TUNSETOFFLOAD) ||
		       ((uint32_t)fd == 4 && (uint32_t)d->args[1] == KVM_IRQ_LINE);
	}
	return 0;
}

static const char *t_seccomp_virtio(void)
{
	static struct sock_filter f[SECCOMP_MAX];
	static const int nrs[] = {
		__NR_write,       __NR_read,       __NR_ioctl,  __NR_futex,    __NR_epoll_wait,
		__NR_epoll_pwait, __NR_exit_group, __NR_openat, __NR_mmap,     __NR_clone,
		__NR_ppoll,       __NR_getrandom,  __NR_socket, __NR_eventfd2, __NR_pread64,
		__NR_pwrite64,    __NR_fdatasync,  __NR_readv,  __NR_writev,   __NR_sched_yield
	};
	static const uint64_t args[] = { 0,
		                         1,
		                         2,
		                         4,
		                         5,
		                         7,
		                         8,
		                         20,
		                         21,
		                         22,
		                         23,
		                         30,
		                         31,
		                         1ull << 32 | 20,
		                         1ull << 32 | 30,
		                         KVM_RUN,
		                         KVM_IRQFD,
		                         KVM_IRQ_LINE,
		                         TUNSETOFFLOAD,
		                         TUNSETIFF,
		                         UINT64_MAX };
	const int ev[] = { 20, 21, 22 }, wr[] = { 7, 2, 23 }, rd[] = { 7, 20, 21, 22 };
	unsigned nv = seccomp_build(f, 5, -1, -1, -1, NULL, NULL, ev, 3, -1, -1);
	static struct sock_filter g[SECCOMP_MAX];
	unsigned ni = seccomp_build_io(g, 30, rd, 4, wr, 3, 8, 7, 4);
	struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64 };

	CHECK(nv > 0 && nv <= SECCOMP_MAX && ni > 0 && ni <= SECCOMP_MAX, "%u, %u instructions", nv,
	      ni);
	for (unsigned a = 0; a < sizeof(nrs) / sizeof(nrs[0]); a++)
		for (unsigned x = 0; x < sizeof(args) / sizeof(args[0]); x++)
			for (unsigned y = 0; y < sizeof(args) / sizeof(args[0]); y++) {
				d.nr = nrs[a], d.args[0] = args[x], d.args[1] = args[y];
				int want =
					ref_allow(&d, -1, -1, 0) || d.nr == __NR_futex ||
					(d.nr == __NR_write &&
				         (d.args[0] == 20 || d.args[0] == 21 || d.args[0] == 22));
				uint32_t r = bpf_run(f, nv, &d);
				CHECK(r == (want ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
				      "vCPU: nr %d (0x%llx, 0x%llx) -> 0x%x", d.nr,
				      (unsigned long long)d.args[0], (unsigned long long)d.args[1],
				      r);
				r = bpf_run(g, ni, &d);
				CHECK(r == (ref_io(&d) ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
				      "I/O: nr %d (0x%llx, 0x%llx) -> 0x%x", d.nr,
				      (unsigned long long)d.args[0], (unsigned long long)d.args[1],
				      r);
			}
	d = (struct seccomp_data){ .arch = AUDIT_ARCH_I386, .nr = __NR_futex };
	CHECK(bpf_run(g, ni, &d) == SECCOMP_RET_TRAP, "I/O: another arch allowed");
	return NULL;
}

/* --vhost (vhost fd 40, the tap 41): the vCPU thread gains exactly the five vhost-net
 * ioctls of DRIVER_OK and reset on fd 40 and TUNSETOFFLOAD on 41; every other ioctl on
 * them, those on other fds and the set-up ones (owner, memory table) stay denied, and
 * the rest of the filter is as without --vhost. */
static const char *t_seccomp_vhost(void)
{
	static struct sock_filter f[SECCOMP_MAX], g[SECCOMP_MAX];
	static const uint64_t fds[] = { 5, 7, 40, 41, 42, 1ull << 32 | 40 };
	static const uint64_t cmds[] = { VHOST_SET_FEATURES,
		                         VHOST_SET_VRING_NUM,
		                         VHOST_SET_VRING_BASE,
		                         VHOST_SET_VRING_ADDR,
		                         VHOST_NET_SET_BACKEND,
		                         TUNSETOFFLOAD,
		                         VHOST_SET_OWNER,
		                         VHOST_SET_MEM_TABLE,
		                         VHOST_SET_VRING_KICK,
		                         VHOST_GET_VRING_BASE,
		                         VHOST_RESET_OWNER,
		                         TUNSETIFF,
		                         KVM_RUN,
		                         (uint64_t)VHOST_SET_VRING_NUM << 32 };
	const int ev[] = { 20, 21, 22 };
	unsigned n = seccomp_build(f, 5, -1, -1, -1, NULL, NULL, ev, 3, 40, 41);
	unsigned m = seccomp_build(g, 5, -1, -1, -1, NULL, NULL, ev, 3, -1, -1);

	CHECK(n > m && n <= SECCOMP_MAX, "%u instructions (%u without)", n, m);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		for (size_t j = 0; j < sizeof(cmds) / sizeof(cmds[0]); j++) {
			struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64,
				                  .nr = __NR_ioctl,
				                  .args = { fds[i], cmds[j] } };
			uint32_t c = (uint32_t)cmds[j];
			uint32_t fd = (uint32_t)fds[i]; /* an int to the kernel, as the command */
			int want = bpf_run(g, m, &d) == SECCOMP_RET_ALLOW || (fd == 40 && j < 5) ||
			           (fd == 41 && c == TUNSETOFFLOAD);
			CHECK(bpf_run(f, n, &d) == (want ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP),
			      "ioctl 0x%llx on 0x%llx", (unsigned long long)cmds[j],
			      (unsigned long long)fds[i]);
		}
	struct seccomp_data w = { .arch = AUDIT_ARCH_X86_64, .nr = __NR_write, .args = { 41 } };
	CHECK(bpf_run(f, n, &w) == SECCOMP_RET_TRAP, "write to the tap allowed");
	w.nr = __NR_read, w.args[0] = 40;
	CHECK(bpf_run(f, n, &w) == SECCOMP_RET_TRAP, "read of vhost-net allowed");
	return NULL;
}

static const char *t_seccomp_trap(void)
{
	int err[2], out[2], status = 0;
	char line[300] = "", hello[8] = "";

	CHECK(pipe(err) == 0 && pipe(out) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct vm vm = {
			.vcpu_fd = 100, .tap_fd = -1, .disk_fd = -1, .gdb_fd = -1, .vhost_fd = -1
		};
		dup2(err[1], 2);
		dup2(out[1], 1);
		if (seccomp_install(&vm) < 0)
			_exit(90);
		if (write(1, "alive", 5) != 5)
			_exit(91);
		syscall(__NR_openat, AT_FDCWD, "/", O_RDONLY, 0);
		_exit(92);
	}
	close(err[1]);
	close(out[1]);
	waitpid(pid, &status, 0);
	ssize_t n = read(err[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	n = read(out[0], hello, sizeof(hello) - 1);
	close(err[0]);
	close(out[0]);
	CHECK(n == 5 && strcmp(hello, "alive") == 0, "the allowed write did not happen");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == HC_EXIT_SANDBOX,
	      "child status 0x%x: '%.200s'", status, line);
	CHECK(strncmp(line,
	              "spore-kvm: seccomp: forbidden system call openat (257), args "
	              "0xffffff9c, 0x",
	              75) == 0 &&
	              strchr(line, '\n') == line + strlen(line) - 1,
	      "message '%.200s'", line);
	return NULL;
}

/* ---- rsp.c, gdb.c, gva.c: the gdb stub ---------------------------------------------- */

/* Feeds s; returns the last event other than RSP_NONE (RSP_NONE if none). */
static int feed(struct rsp_rx *rx, const char *s, size_t n)
{
	int last = RSP_NONE;

	for (size_t i = 0; i < n; i++) {
		int ev = rsp_feed(rx, (uint8_t)s[i]);
		if (ev != RSP_NONE)
			last = ev;
	}
	return last;
}

static const char *t_rsp_framing(void)
{
	static struct rsp_rx rx;
	char out[64];

	/* Known packets from the gdb manual and a capture. */
	CHECK(feed(&rx, "+$?#3f", 6) == RSP_PACKET && strcmp(rx.buf, "?") == 0, "$?#3f");
	CHECK(feed(&rx, "$g#67", 5) == RSP_PACKET && rx.len == 1, "$g#67");
	CHECK(feed(&rx, "$g#68", 5) == RSP_BADSUM, "bad checksum accepted");
	CHECK(feed(&rx, "$g#6z", 5) == RSP_BADSUM, "non-hex checksum accepted");
	CHECK(feed(&rx, "$g#z", 4) == RSP_BADSUM, "non-hex checksum accepted");
	CHECK(feed(&rx, "\x03", 1) == RSP_INTR, "Ctrl-C between packets");
	CHECK(feed(&rx, "$a\x03#", 4) == RSP_NONE, "0x03 inside a packet is data");
	CHECK(feed(&rx, "64", 2) == RSP_PACKET && rx.len == 2 && rx.buf[1] == 3, "0x03 as data");
	CHECK(feed(&rx, "$junk$m0,1#fa", 13) == RSP_PACKET && strcmp(rx.buf, "m0,1") == 0,
	      "a '$' restarts: '%.40s'", rx.buf);
	/* Escapes: }\x03 is '#' (0x23), and the checksum covers the escaped bytes. */
	size_t n = rsp_frame(out, sizeof(out), "a#b$c}d*e", 9);
	CHECK(n == 17 && memcmp(out,
	                        "$a}\x03"
	                        "b}\x04"
	                        "c}]d}\x0a"
	                        "e#",
	                        15) == 0,
	      "frame '%.*s'", (int)n, out);
	CHECK(feed(&rx, out, n) == RSP_PACKET && rx.len == 9 && memcmp(rx.buf, "a#b$c}d*e", 9) == 0,
	      "round trip '%.40s'", rx.buf);
	CHECK(rsp_frame(out, 8, "abcdef", 6) == 0, "frame overran 8 bytes");
	CHECK(rsp_frame(out, 10, "abcdef", 6) == 10 && memcmp(out + 7, "#", 1) == 0, "exact fit");
	/* Too long: ends as RSP_TOOLONG, never past the buffer, and the next packet is fine. */
	static char big[RSP_MAX + 100];
	memset(big, 'A', sizeof(big));
	big[0] = '$';
	uint8_t sum = 0;
	for (size_t i = 1; i < sizeof(big); i++)
		sum = (uint8_t)(sum + 'A');
	char tail[4];
	snprintf(tail, sizeof(tail), "#%02x", sum);
	CHECK(feed(&rx, big, sizeof(big)) == RSP_NONE && feed(&rx, tail, 3) == RSP_TOOLONG,
	      "too long");
	CHECK(rx.len == RSP_MAX, "kept %zu bytes", rx.len);
	CHECK(feed(&rx, "$g#67", 5) == RSP_PACKET, "after a long one");
	/* Random bytes: nothing but the known events, lengths in bounds. */
	for (int i = 0; i < 200000; i++) {
		uint8_t c = rnd() % 4 ? (uint8_t) "$#}+-\x03"
		                                  "0a"[rnd() % 8]
		                      : (uint8_t)rnd();
		int ev = rsp_feed(&rx, c);
		CHECK(ev >= RSP_NONE && ev <= RSP_INTR && rx.len <= RSP_MAX, "event %d len %zu", ev,
		      rx.len);
	}
	return NULL;
}

static const char *t_rsp_hex(void)
{
	const char *p, *s;
	uint64_t v;
	uint8_t b[4];
	char h[9] = "";

	s = "ffffffffffffffff,";
	p = s;
	CHECK(rsp_u64(&p, s + strlen(s), &v) == 0 && v == UINT64_MAX && *p == ',', "16 digits");
	s = "10000000000000000";
	p = s;
	CHECK(rsp_u64(&p, s + strlen(s), &v) < 0, "17 digits accepted");
	s = ",1";
	p = s;
	CHECK(rsp_u64(&p, s + 2, &v) < 0, "no digits accepted");
	s = "1aB";
	p = s;
	CHECK(rsp_u64(&p, s + 2, &v) == 0 && v == 0x1a && p == s + 2, "stops at end");
	CHECK(rsp_unhex("00fFa5", b, 3) == 0 && b[0] == 0 && b[1] == 0xff && b[2] == 0xa5, "unhex");
	CHECK(rsp_unhex("0g", b, 1) < 0 && rsp_unhex("-1", b, 1) < 0 && rsp_unhex(" 1", b, 1) < 0,
	      "bad hex");
	CHECK(rsp_hex(h, (const uint8_t *)"\x00\xff\x12\xab", 4) == 8 && strcmp(h, "00ff12ab") == 0,
	      "hex");
	return NULL;
}

static struct gdb *fake_gdb(void)
{
	static struct gdb g;
	static uint8_t *mem;

	if (!mem)
		mem = malloc(1 * MiB);
	for (size_t i = 0; i < 1 * MiB; i++)
		mem[i] = (uint8_t)(i * 7);
	g = (struct gdb){ .mem = mem, .mem_size = 1 * MiB, .sig = 5 };
	for (int i = 0; i < 16; i++)
		g.cpu.gpr[i] = 0x1111111111111111ull * (uint64_t)(i % 15 + 1);
	g.cpu.rip = 0x100000 - 0x10;
	g.cpu.rflags = 0x246;
	g.cpu.seg[0] = 0x8;
	return &g;
}

/* One command; the reply NUL-terminated in *out. */
static int cmd(struct gdb *g, const char *pkt, const char **out)
{
	static char reply[RSP_MAX + 1];
	size_t n;
	int a = gdb_command(g, pkt, strlen(pkt), reply, RSP_MAX, &n);

	reply[n] = '\0';
	*out = reply;
	return a;
}

static const char *t_gdb_commands(void)
{
	struct gdb *g = fake_gdb();
	const char *r;
	char want[64];

	CHECK(cmd(g, "qSupported:multiprocess+;swbreak+", &r) == GDB_REPLY &&
	              strstr(r, "PacketSize=1000"),
	      "%s", r);
	CHECK(cmd(g, "?", &r) == GDB_REPLY && strcmp(r, "T05thread:1;") == 0, "? -> %s", r);
	CHECK(cmd(g, "qAttached", &r) == GDB_REPLY && strcmp(r, "1") == 0, "qAttached -> %s", r);
	CHECK(cmd(g, "vCont?", &r) == GDB_REPLY && strcmp(r, "vCont;c;C;s;S") == 0, "%s", r);
	CHECK(cmd(g, "qXfer:features:read:target.xml:0,fff", &r) == GDB_REPLY && !*r,
	      "unknown -> %s", r);
	/* Registers: 164 bytes without the FPU, rax first, rip at 128, eflags at 136. */
	CHECK(cmd(g, "g", &r) == GDB_REPLY && strlen(r) == 2 * 164, "g: %zu", strlen(r));
	CHECK(strncmp(r, "1111111111111111", 16) == 0 &&
	              strncmp(r + 256, "f0ff0f0000000000", 16) == 0 &&
	              strncmp(r + 272, "46020000", 8) == 0 && strncmp(r + 280, "08000000", 8) == 0,
	      "g: %.200s", r);
	CHECK(cmd(g, "p10", &r) == GDB_REPLY && strcmp(r, "f0ff0f0000000000") == 0, "p10 -> %s", r);
	CHECK(cmd(g, "p18", &r) == GDB_REPLY && !*r, "p18 (st0) without the FPU -> %s", r);
	CHECK(cmd(g, "p39", &r) == GDB_REPLY && strcmp(r, "xxxxxxxxxxxxxxxx") == 0, "p39 -> %s", r);
	CHECK(cmd(g, "P10=0010000000000000", &r) == GDB_REPLY && strcmp(r, "OK") == 0 && g->dirty &&
	              g->cpu.rip == 0x1000,
	      "P rip -> %s", r);
	CHECK(cmd(g, "P10=00100000", &r) == GDB_REPLY && r[0] == 'E', "short P -> %s", r);
	CHECK(cmd(g, "P18=00000000000000000000", &r) == GDB_REPLY && r[0] == 'E', "P st0 -> %s", r);
	g->cpu.fpu_ok = 1;
	CHECK(cmd(g, "g", &r) == GDB_REPLY && strlen(r) == 2 * 536, "g with FPU: %zu", strlen(r));
	/* G writes the general registers, rip and eflags' low half. */
	static char G[2 * 536 + 2] = "G";
	memcpy(G + 1, r, 2 * 536 + 1);
	memcpy(G + 1, "efbeadde00000000", 16);
	CHECK(cmd(g, G, &r) == GDB_REPLY && strcmp(r, "OK") == 0 && g->cpu.gpr[0] == 0xdeadbeef,
	      "G -> %s", r);
	CHECK(cmd(g, "G00", &r) == GDB_REPLY && r[0] == 'E', "short G -> %s", r);
	/* Memory, paging off: virtual = physical. */
	CHECK(cmd(g, "m1000,4", &r) == GDB_REPLY && strcmp(r, "00070e15") == 0, "m1000,4 -> %s", r);
	CHECK(cmd(g, "M1000,2:abcd", &r) == GDB_REPLY && strcmp(r, "OK") == 0 &&
	              g->mem[0x1001] == 0xcd,
	      "M -> %s", r);
	CHECK(cmd(g, "M1000,2:abc", &r) == GDB_REPLY && r[0] == 'E', "M odd hex -> %s", r);
	CHECK(cmd(g, "M1000,2:abcdef", &r) == GDB_REPLY && r[0] == 'E', "M too long -> %s", r);
	CHECK(cmd(g, "M1000,2:abxy", &r) == GDB_REPLY && r[0] == 'E', "M bad hex -> %s", r);
	CHECK(cmd(g, "Mfffff,2:abcd", &r) == GDB_REPLY && r[0] == 'E',
	      "M across the end of RAM -> %s", r);
	CHECK(cmd(g, "X1000,0:", &r) == GDB_REPLY && strcmp(r, "OK") == 0, "X probe -> %s", r);
	CHECK(cmd(g, "X1000,2:#}", &r) == GDB_REPLY && strcmp(r, "OK") == 0 &&
	              g->mem[0x1000] == '#',
	      "X -> %s", r);
	CHECK(cmd(g, "m100000,1", &r) == GDB_REPLY && r[0] == 'E', "m past RAM -> %s", r);
	CHECK(cmd(g, "mffffffffffffffff,10", &r) == GDB_REPLY && r[0] == 'E', "m wrapping -> %s",
	      r);
	CHECK(cmd(g, "mffffe,ffffffffffffffff", &r) == GDB_REPLY && strlen(r) == 4, "m huge -> %zu",
	      strlen(r));
	CHECK(cmd(g, "m0,fffff", &r) == GDB_REPLY && strlen(r) <= RSP_MAX, "m long: %zu",
	      strlen(r));
	CHECK(cmd(g, "m1000", &r) == GDB_REPLY && r[0] == 'E', "m no length -> %s", r);
	CHECK(cmd(g, "m1000,", &r) == GDB_REPLY && r[0] == 'E', "m empty length -> %s", r);
	CHECK(cmd(g, "m1000,1x", &r) == GDB_REPLY && r[0] == 'E', "m trailing junk -> %s", r);
	CHECK(cmd(g, "m11111111111111111,1", &r) == GDB_REPLY && r[0] == 'E', "m 17 digits -> %s",
	      r);
	/* Breakpoints: an int3 in RAM, hidden from m, the byte back after z. */
	uint8_t b = g->mem[0x2000];
	CHECK(cmd(g, "Z0,2000,1", &r) == GDB_REPLY && strcmp(r, "OK") == 0 &&
	              g->mem[0x2000] == 0xcc,
	      "Z0 -> %s", r);
	CHECK(cmd(g, "Z0,2000,1", &r) == GDB_REPLY && strcmp(r, "OK") == 0 && g->nbp == 1,
	      "Z0 twice");
	snprintf(want, sizeof(want), "%02x", b);
	CHECK(cmd(g, "m2000,1", &r) == GDB_REPLY && strcmp(r, want) == 0,
	      "m under a breakpoint -> %s", r);
	CHECK(cmd(g, "M2000,1:90", &r) == GDB_REPLY && g->mem[0x2000] == 0xcc,
	      "M over a breakpoint");
	CHECK(cmd(g, "z0,2000,1", &r) == GDB_REPLY && strcmp(r, "OK") == 0 &&
	              g->mem[0x2000] == 0x90,
	      "z0");
	CHECK(cmd(g, "Z0,100000,1", &r) == GDB_REPLY && r[0] == 'E', "Z0 past RAM -> %s", r);
	CHECK(cmd(g, "Z1,2000,1", &r) == GDB_REPLY && !*r, "Z1 (hardware) -> %s", r);
	for (int i = 0; i < GDB_BP_MAX; i++) {
		snprintf(want, sizeof(want), "Z0,%x,1", 0x3000 + i);
		CHECK(cmd(g, want, &r) == GDB_REPLY && strcmp(r, "OK") == 0, "%s -> %s", want, r);
	}
	CHECK(cmd(g, "Z0,4000,1", &r) == GDB_REPLY && r[0] == 'E', "breakpoint %d -> %s",
	      GDB_BP_MAX + 1, r);
	CHECK(gdb_hit(g, 0x3001) && !gdb_hit(g, 0x2fff), "gdb_hit");
	gdb_clear_breakpoints(g);
	CHECK(g->nbp == 0 && !gdb_hit(g, 0x3001), "breakpoints left");
	/* A ring-0 guest's breakpoints are hlt. */
	g->insn = 0xf4;
	CHECK(cmd(g, "Z0,2000,1", &r) == GDB_REPLY && g->mem[0x2000] == 0xf4, "hlt breakpoint");
	CHECK(cmd(g, "m2000,1", &r) == GDB_REPLY && strcmp(r, "90") == 0, "m under hlt -> %s", r);
	CHECK(cmd(g, "z0,2000,1", &r) == GDB_REPLY && g->mem[0x2000] == 0x90, "hlt removed");
	for (int i = 0; i < GDB_BP_MAX; i++)
		CHECK(g->mem[0x3000 + i] == (uint8_t)((0x3000 + i) * 7), "byte 0x%x not restored",
		      0x3000 + i);
	/* Resuming. */
	CHECK(cmd(g, "c", &r) == GDB_CONTINUE && cmd(g, "s", &r) == GDB_STEP, "c, s");
	CHECK(cmd(g, "s2000", &r) == GDB_STEP && g->cpu.rip == 0x2000, "s ADDR");
	CHECK(cmd(g, "cxyz", &r) == GDB_REPLY && r[0] == 'E', "c junk -> %s", r);
	CHECK(cmd(g, "vCont;s:1;c", &r) == GDB_STEP && cmd(g, "vCont;c", &r) == GDB_CONTINUE &&
	              cmd(g, "vCont;s:2;c:1", &r) == GDB_CONTINUE &&
	              cmd(g, "vCont;C05:-1", &r) == GDB_CONTINUE &&
	              cmd(g, "vCont;s:0", &r) == GDB_STEP && cmd(g, "vCont;c:12", &r) == GDB_REPLY,
	      "vCont actions");
	CHECK(cmd(g, "vCont;t", &r) == GDB_REPLY && r[0] == 'E', "vCont;t -> %s", r);
	CHECK(cmd(g, "vCont", &r) == GDB_REPLY && !*r, "vCont -> %s", r);
	CHECK(cmd(g, "k", &r) == GDB_KILL && cmd(g, "D", &r) == GDB_DETACH && strcmp(r, "OK") == 0,
	      "k, D");
	CHECK(gdb_command(g, "", 0, want, sizeof(want), &(size_t){ 0 }) == GDB_REPLY,
	      "empty packet");
	/* A reply buffer too small for g: an empty reply, no overrun. */
	size_t n = 99;
	CHECK(gdb_command(g, "g", 1, want, sizeof(want), &n) == GDB_REPLY && n == 0,
	      "g into 64 bytes: %zu", n);
	return NULL;
}

/* A 4-level table in fake RAM: va 0xffff800000201000 -> gpa 0x7000 (4 KiB, read-only),
 * va 0x40000000 -> 0x200000 (2 MiB), and a table entry pointing past RAM. */
static const char *t_gva(void)
{
	const uint64_t ram = 4 * MiB;
	uint8_t *mem = calloc(1, ram);
	uint64_t gpa, len, prot, e;
	struct gva_mmu m = {
		.cr0 = 1ull << 31 | 1, .cr3 = 0x1000, .cr4 = 0x20, .efer = 1ull << 10 | 1ull << 8
	};
#define PUT(t, i, v) (e = (v), memcpy(mem + (t) + 8 * (i), &e, 8))
	PUT(0x1000, 256, 0x2000 | PTE_P | PTE_W); /* PML4[256]: 0xffff800000000000 */
	PUT(0x2000, 0, 0x3000 | PTE_P | PTE_W);   /* PDPT[0] */
	PUT(0x3000, 1, 0x4000 | PTE_P | PTE_W);   /* PD[1]: 0x200000.. */
	PUT(0x4000, 1, 0x7000 | PTE_P | PTE_NX);  /* PT[1]: read-only, NX */
	PUT(0x1000, 0, 0x5000 | PTE_P | PTE_W);
	PUT(0x5000, 1, 0x6000 | PTE_P | PTE_W);            /* PDPT[1]: 1 GiB.. */
	PUT(0x6000, 0, 0x200000 | PTE_P | PTE_W | PTE_PS); /* 2 MiB page */
	PUT(0x6000, 5, 0x40000000 | PTE_P | PTE_PS);       /* a 2 MiB page past RAM */
	PUT(0x6000, 6, 0x8000000000ull | PTE_P);           /* a table past RAM */
	CHECK(gva_translate(mem, ram, &m, 0xffff800000201234, &gpa, &len, &prot) == 0 &&
	              gpa == 0x7234 && len == 0x1000 - 0x234 && !(prot & PTE_W) && (prot & PTE_NX),
	      "4K: gpa 0x%llx prot 0x%llx", (unsigned long long)gpa, (unsigned long long)prot);
	CHECK(gva_translate(mem, ram, &m, 0x40123456, &gpa, &len, &prot) == 0 && gpa == 0x323456 &&
	              (prot & PTE_W),
	      "2M: gpa 0x%llx", (unsigned long long)gpa);
	CHECK(gva_translate(mem, ram, &m, 0x40a00000, &gpa, &len, &prot) < 0, "2M page past RAM");
	CHECK(gva_translate(mem, ram, &m, 0x40c00000, &gpa, &len, &prot) < 0, "table past RAM");
	CHECK(gva_translate(mem, ram, &m, 0x0000800000201234, &gpa, &len, &prot) < 0,
	      "non-canonical");
	CHECK(gva_translate(mem, ram, &m, 0x1000, &gpa, &len, &prot) < 0, "unmapped");
	char buf[8];
	memcpy(mem + 0x7ffc, "abcdefgh", 8);
	CHECK(gva_read(mem, ram, &m, 0xffff800000201ffc, buf, 8) == 4,
	      "read across into an unmapped page");
	m.cr0 = 1; /* paging off */
	CHECK(gva_translate(mem, ram, &m, 0x3ff000, &gpa, &len, &prot) == 0 && gpa == 0x3ff000,
	      "identity");
	CHECK(gva_translate(mem, ram, &m, ram, &gpa, &len, &prot) < 0, "identity past RAM");
	/* The whole walk, and a cyclic table: bounded, never loops. */
	m.cr0 = 1ull << 31;
	struct core_seg seg[CORE_SEG_MAX];
	int trunc;
	int n = core_segments(mem, ram, &m, seg, CORE_SEG_MAX, &trunc);
	CHECK(n == 2 && !trunc && seg[0].va == 0x40000000 && seg[0].len == 2 * MiB &&
	              seg[0].gpa == 0x200000 && seg[1].va == 0xffff800000201000 &&
	              seg[1].len == 4096 && seg[1].flags == PF_R,
	      "walk: %d segments, first va 0x%llx", n, (unsigned long long)seg[0].va);
	for (int i = 0; i < 512; i++)
		PUT(0x1000, i, 0x1000 | PTE_P | PTE_W); /* every PML4 entry: itself */
	n = core_segments(mem, ram, &m, seg, CORE_SEG_MAX, &trunc);
	CHECK(trunc, "a cyclic table walked without a limit (%d segments)", n);
#undef PUT
	free(mem);
	return NULL;
}

/* The core's headers: an ELF gdb reads, registers where user_regs_struct has them. */
static const char *t_core_headers(void)
{
	static uint8_t buf[4 * 4096];
	struct core_seg seg[2] = { { 0x100000, 0x100000, 0x3000, PF_R | PF_X },
		                   { 0x200000, 0x200000, 0x10, PF_R | PF_W } };
	struct hc_regs r = {
		.rip = 0x100123, .rsp = 0x1ff000, .rbp = 0x1ff010, .rax = 42, .vector = 14
	};
	uint64_t off;
	size_t n = core_headers(buf, sizeof(buf), seg, 2, &r, 0, 0, "hello.elf", &off);
	const Elf64_Ehdr *e = (const Elf64_Ehdr *)buf;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + e->e_phoff);

	CHECK(n > 0 && memcmp(e->e_ident, ELFMAG, 4) == 0 && e->e_type == ET_CORE &&
	              e->e_machine == EM_X86_64 && e->e_phnum == 3,
	      "ehdr");
	CHECK(ph[0].p_type == PT_NOTE && ph[0].p_offset + ph[0].p_filesz == n,
	      "note at %llu+%llu of %zu", (unsigned long long)ph[0].p_offset,
	      (unsigned long long)ph[0].p_filesz, n);
	CHECK(ph[1].p_type == PT_LOAD && ph[1].p_vaddr == 0x100000 && ph[1].p_offset == off &&
	              off % 4096 == 0 && ph[1].p_filesz == 0x3000 && ph[1].p_flags == (PF_R | PF_X),
	      "load 1");
	CHECK(ph[2].p_offset == off + 0x3000 && ph[2].p_filesz == 0x10, "load 2 at %llu",
	      (unsigned long long)ph[2].p_offset);
	const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(buf + ph[0].p_offset);
	CHECK(nh->n_type == NT_PRSTATUS && nh->n_namesz == 5 && memcmp(nh + 1, "CORE", 5) == 0 &&
	              nh->n_descsz == 336,
	      "NT_PRSTATUS: type %u size %u", nh->n_type, nh->n_descsz);
	const uint8_t *desc = (const uint8_t *)(nh + 1) + 8;
	uint64_t v;
	memcpy(&v, desc + 112 + 16 * 8, 8); /* pr_reg[16]: rip */
	CHECK(v == 0x100123, "rip 0x%llx", (unsigned long long)v);
	memcpy(&v, desc + 112 + 19 * 8, 8); /* pr_reg[19]: rsp */
	CHECK(v == 0x1ff000, "rsp 0x%llx", (unsigned long long)v);
	CHECK(*(const int16_t *)(desc + 12) == SIGSEGV, "pr_cursig %d",
	      *(const int16_t *)(desc + 12));
	CHECK(core_headers(buf, 100, seg, 2, &r, 0, 0, "x", &off) == 0, "overran 100 bytes");
	CHECK(core_headers(buf, sizeof(buf), seg, CORE_SEG_MAX + 1, &r, 0, 0, "x", &off) == 0,
	      "too many");
	return NULL;
}

/* core_open: O_TMPFILE, the name never an existing file or a symlink; core_write names
 * it; a clean run leaves nothing. */
static const char *t_core_file(void)
{
	char dir[] = "/tmp/spore-core-XXXXXX", path[64], link[64];
	struct vm *vm = fake_vm();
	struct gva_mmu m = { 0 };
	struct hc_regs r = { .rip = 0x1234 };
	struct stat st;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/core", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	msg_stderr = 0;
	CHECK(core_open(vm, path) == 0, "core_open");
	CHECK(stat(path, &st) < 0, "the core exists before a crash");
	memcpy(vm->mem + 0x100000, "spore", 5);
	CHECK(core_write(vm, &m, &r, 0, 0) == 0 && stat(path, &st) == 0, "not written");
	/* 8 MiB of RAM, mostly zero: a sparse file of the right size. */
	CHECK(st.st_size > (off_t)(8 * MiB) && st.st_blocks * 512 < (blkcnt_t)(1 * MiB),
	      "size %lld, %lld blocks", (long long)st.st_size, (long long)st.st_blocks);
	int fd = open(path, O_RDONLY);
	char b[5] = "";
	CHECK(fd >= 0 && pread(fd, b, 5, 0x1000 + 0x100000) == 5 && memcmp(b, "spore", 5) == 0,
	      "RAM at 1 MiB");
	close(fd);
	CHECK(core_open(vm, path) < 0, "an existing core overwritten");
	CHECK(symlink(path, link) == 0 && core_open(vm, link) < 0, "a symlink followed");
	unlink(link);
	CHECK(symlink("/nonexistent/x", link) == 0 && core_open(vm, link) < 0,
	      "a dangling symlink followed");
	CHECK(core_open(vm, "/nonexistent-dir/core") < 0 && core_open(vm, "") < 0 &&
	              core_open(vm, "/tmp/") < 0,
	      "bad paths accepted");
	unlink(link);
	unlink(path);
	rmdir(dir);
	return NULL;
}

/* ---- gdbsock.c ------------------------------------------------------------------ */

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether /proc/net/FILE lists socket inode ino. */
static int proc_net_has(const char *file, unsigned long ino)
{
	char path[64], line[512];
	int found = 0;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok = strtok(line, " \t\n"), *last = NULL;
		for (int i = 0; tok; tok = strtok(NULL, " \t\n"), i++)
			if ((strcmp(file, "unix") == 0 ? i == 6 : i == 9)) /* the inode column */
				last = tok;
		found = last && strtoul(last, NULL, 10) == ino;
	}
	fclose(f);
	return found;
}

/* The sockets process pid holds: how many are in /proc/net/unix, and how many in tcp/tcp6. */
static void socket_kinds(pid_t pid, int *unix_n, int *tcp_n)
{
	char dir[64], path[320], link[64];
	struct dirent *e;
	unsigned long ino;

	*unix_n = *tcp_n = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		*unix_n += proc_net_has("unix", ino);
		*tcp_n += proc_net_has("tcp", ino) + proc_net_has("tcp6", ino);
	}
	if (d)
		closedir(d);
}

/* --gdb=PATH: bad paths refused with a message, existing files left alone. */
static const char *t_gdb_socket_paths(void)
{
	char dir[] = "/tmp/spore-gdb-XXXXXX", file[64], link[64], buf[8] = "";
	char long_path[120];

	CHECK(gdbsock_check("1234") && strstr(gdbsock_check("1234"), "TCP port"),
	      "a port number accepted");
	CHECK(gdbsock_check("") != NULL, "an empty path accepted");
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[108] = '\0';
	CHECK(gdbsock_check(long_path) && strstr(gdbsock_check(long_path), "longer"),
	      "108 bytes accepted");
	long_path[107] = '\0';
	CHECK(gdbsock_check(long_path) == NULL, "107 bytes refused");
	CHECK(gdbsock_check("./1234") == NULL && gdbsock_check("/tmp/spore.gdb") == NULL,
	      "good paths refused");

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	int fd = open(file, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4, "create");
	close(fd);
	msgs[0] = '\0';
	CHECK(gdbsock_wait(file) < 0 && strstr(msgs, "exists and is not a socket"),
	      "a regular file: '%.200s'", msgs);
	fd = open(file, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, 4) == 4 && memcmp(buf, "keep", 4) == 0,
	      "the file was changed");
	close(fd);
	msgs[0] = '\0';
	CHECK(symlink("target", link) == 0 && gdbsock_wait(link) < 0 &&
	              strstr(msgs, "not a socket"),
	      "a dangling symlink: '%.200s'", msgs);
	snprintf(file, sizeof(file), "%s/target", dir);
	CHECK(access(file, F_OK) < 0, "the symlink was followed");
	msgs[0] = '\0';
	CHECK(gdbsock_wait(dir) < 0 && strstr(msgs, "not a socket"), "a directory: '%.200s'", msgs);
	snprintf(file, sizeof(file), "%s/no-dir/sock", dir);
	msgs[0] = '\0';
	CHECK(gdbsock_wait(file) < 0 && strstr(msgs, "cannot listen"),
	      "a missing directory: '%.200s'", msgs);
	unlink(link);
	snprintf(file, sizeof(file), "%s/file", dir);
	unlink(file);
	rmdir(dir);
	msgs[0] = '\0';
	return NULL;
}

/* The stub's socket: a stale one replaced, the new one mode 0600 and no TCP anywhere,
 * a peer sending junk refused (the stub goes on waiting), gdb's '+' accepted and left
 * to read, then the socket gone: no second client. The stub waits in a child. */
static const char *t_gdb_socket_peers(void)
{
	char dir[] = "/tmp/spore-gdb-XXXXXX", path[64], b;
	struct stat st = { 0 }, stale;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int status;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/gdb.sock", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0); /* a monitor that died waiting */
	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && stat(path, &stale) == 0,
	      "stale");
	close(s);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		msgs[0] = '\0';
		int fd = gdbsock_wait(path);
		if (fd < 0)
			_exit(1);
		if (!strstr(msgs, "refused a peer: it sent 0x47 first"))
			_exit(2);
		if (read(fd, &b, 1) != 1 || b != '+') /* peeked, not taken */
			_exit(3);
		_exit(access(path, F_OK) == 0 ? 4 : 0);
	}
	/* The stale socket refuses connections; the stub's, once it listens, takes one. */
	int junk = -1;
	for (int i = 0; i < 500 && (junk = unix_connect(path)) < 0; i++)
		usleep(10000);
	const char *bad = NULL;
	int unix_n, tcp_n;
	socket_kinds(pid, &unix_n, &tcp_n);
	if (junk < 0 || stat(path, &st) < 0)
		bad = "the stale socket was not replaced in 5 s";
	else if (!S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0600)
		bad = "the socket is not mode 0600";
	else if (unix_n < 1 || tcp_n != 0)
		bad = "the stub listens on TCP, or not on one Unix socket";
	if (!bad && write(junk, "GET / HTTP/1.1\r\n\r\n", 18) != 18)
		bad = "cannot write as a junk peer";
	if (!bad) {
		struct pollfd p = { .fd = junk, .events = POLLIN };
		if (poll(&p, 1, 5000) != 1 || read(junk, &b, 1) > 0)
			bad = "a junk peer was not hung up on";
	}
	if (junk >= 0)
		close(junk);
	int gdb = bad ? -1 : unix_connect(path);
	if (!bad && (gdb < 0 || write(gdb, "+$?#3f", 6) != 6))
		bad = "gdb cannot connect after a refused peer";
	if (bad)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (gdb >= 0)
		close(gdb);
	int second = unix_connect(path);
	if (second >= 0)
		close(second);
	unlink(path);
	rmdir(dir);
	CHECK(!bad, "%s (mode 0%o, %d unix, %d tcp sockets)", bad, st.st_mode & 07777, unix_n,
	      tcp_n);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the stub's side: %s",
	      !WIFEXITED(status)
	              ? "killed"
	              : (const char *[]){ "", "no fd", "no refusal message",
	                                  "gdb's first byte lost",
	                                  "the socket still there" }[WEXITSTATUS(status) % 5]);
	CHECK(second < 0, "a second client connected");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_rsp_framing, "rsp_framing" },
	{ t_rsp_hex, "rsp_hex" },
	{ t_gdb_commands, "gdb_commands" },
	{ t_gva, "gva_walk" },
	{ t_core_headers, "core_headers" },
	{ t_core_file, "core_file" },
	{ t_gdb_socket_paths, "gdb_socket_paths" },
	{ t_gdb_socket_peers, "gdb_socket_peers" },
	{ t_net_mac, "net_parse_mac" },
	{ t_net_check, "net_check" },
	{ t_seccomp, "seccomp_bpf" },
	{ t_seccomp_virtio, "seccomp_virtio" },
	{ t_seccomp_vhost, "seccomp_vhost" },
	{ t_seccomp_snap, "seccomp_snapshot" },
	{ t_seccomp_report, "seccomp_report" },
	{ t_seccomp_trap, "seccomp_trap" },
	{ t_hc_exit, "hc_exit_status" },
	{ t_hc_exit_regs, "hc_exit_regs" },
	{ t_hc_ready, "hc_ready" },
	{ t_hc_poll, "hc_poll_tap_gone" },
	{ t_hc_console, "hc_console_epipe" },
	{ t_timeout_in_write, "timeout_in_blocked_write" },
	{ t_gm_edges, "gm_edges" },
	{ t_gm_random, "gm_random" },
	{ t_gm_at, "gm_at" },
	{ t_gm_copy, "gm_copy" },
	{ t_parse_size, "parse_size" },
	{ t_join, "cmdline_join" },
	{ t_elf_valid, "elf_valid" },
	{ t_elf_truncated, "elf_truncated" },
	{ t_elf_corrupt, "elf_corrupt" },
	{ t_elf_shnote, "elf_section_note" },
	{ t_image_read, "image_read" },
	{ t_image_plan, "image_plan" },
	{ t_image_share, "image_share" },
	{ t_pvh, "pvh_start_info" },
	{ t_elf_spore_note, "elf_spore_note" },
	{ t_paging_flags, "paging_flags" },
	{ t_paging_sizes, "paging_sizes" },
	{ t_decode, "decode_outl" },
	{ t_decode_random, "decode_random" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, "monitor_"); }
