// SPDX-License-Identifier: MIT
/* Host unit tests for the kernel's pure logic: command-line splitting, the PVH
 * memory map, the page allocator and sbrk. Prints "ok NAME" / "FAIL NAME: why";
 * argv[1] filters by name. Built with ASan and UBSan. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "kernel.h"
#include "net.h"

static jmp_buf panicked;

void panic(const char *file, int line, const char *msg)
{
	(void)file, (void)line, (void)msg;
	longjmp(panicked, 1);
}

void kprintf(const char *fmt, ...)
{
	(void)fmt; /* options.c reports bad options; the tests check the result */
}

static int split(const char *in, const char **want, int nwant)
{
	char buf[256], *w[8];
	strcpy(buf, in);
	int n = cmdline_split(buf, w, 8);
	if (n != nwant)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(w[i], want[i]))
			return 0;
	return 1;
}

static const char *t_split_words(void)
{
	CHECK(split("", NULL, 0));
	CHECK(split("   \t ", NULL, 0));
	CHECK(split("a", (const char *[]){ "a" }, 1));
	CHECK(split("  a  bc\td ", (const char *[]){ "a", "bc", "d" }, 3));
	CHECK(split("x=1 -- y", (const char *[]){ "x=1", "--", "y" }, 3));
	return NULL;
}

static const char *t_split_quotes(void)
{
	CHECK(split("\"two words\" 'single q' a\"b c\"d",
	            (const char *[]){ "two words", "single q", "ab cd" }, 3));
	CHECK(split("\"\"", (const char *[]){ "" }, 1));
	CHECK(split("'a\"b'", (const char *[]){ "a\"b" }, 1));
	return NULL;
}

static const char *t_split_hostile(void)
{
	char buf[64], *w[4];
	strcpy(buf, "\"unterminated");
	CHECK(cmdline_split(buf, w, 4) == -1);
	strcpy(buf, "a b c d e");
	CHECK(cmdline_split(buf, w, 4) == -1); /* too many words */
	strcpy(buf, "'");
	CHECK(cmdline_split(buf, w, 4) == -1);
	/* Random bytes never crash and never produce more than max words. */
	srand(1);
	for (int i = 0; i < 20000; i++) {
		char r[48], *ws[6];
		int len = rand() % 47;
		for (int j = 0; j < len; j++)
			r[j] = " \t'\"ab-="[rand() % 8];
		r[len] = 0;
		int n = cmdline_split(r, ws, 6);
		CHECK(n >= -1 && n <= 6);
	}
	return NULL;
}

static const char *t_find_sep(void)
{
	char *a[] = { "x=1", "--", "y" }, *b[] = { "y", "---", "-" };
	CHECK(cmdline_find_sep(a, 3) == 1);
	CHECK(cmdline_find_sep(b, 3) == -1);
	return NULL;
}

static const char *t_memmap(void)
{
	struct hvm_memmap_table_entry m[] = {
		{ 0, 0x9fc00, 1, 0 },
		{ 0x9fc00, 0x60400, 2, 0 },
		{ 0x100000, 0x1f00000, 1, 0 },
	};
	struct ram_info ri;
	CHECK(memmap_read(m, 3, 0x123456, &ri) == 0);
	CHECK(ri.free_start == 0x124000 && ri.free_end == 0x2000000);
	CHECK(ri.top == 0x2000000);
	CHECK(ri.total == 0x9fc00 + 0x1f00000);
	CHECK(ri.nram == 2 &&
	      memmap_overlaps_ram(&ri, 0x9f000, 0xa0000)); /* the RAM entries kept */
	CHECK(!memmap_overlaps_ram(&ri, 0x9fc00, 0x100000) &&
	      !memmap_overlaps_ram(&ri, 0x2000000, ~0ull));
	return NULL;
}

static const char *t_memmap_exclude(void)
{
	struct ram_info ri = { .free_start = 0x200000, .free_end = 0x1000000 };
	memmap_exclude(&ri, 0xf00000, 0x100000); /* at the top: the end moves down */
	CHECK(ri.free_start == 0x200000 && ri.free_end == 0xf00000);
	ri = (struct ram_info){ .free_start = 0x200000, .free_end = 0x1000000 };
	memmap_exclude(&ri, 0x200000, 0x1800); /* at the bottom: the start moves up */
	CHECK(ri.free_start == 0x202000 && ri.free_end == 0x1000000);
	ri = (struct ram_info){ .free_start = 0x200000, .free_end = 0x1000000 };
	memmap_exclude(&ri, 0x3000000, 0x1000); /* outside: nothing */
	CHECK(ri.free_start == 0x200000 && ri.free_end == 0x1000000);
	memmap_exclude(&ri, 0x100000, 0x10000000); /* covers it all: nothing free */
	CHECK(ri.free_start >= ri.free_end);
	return NULL;
}

static const char *t_memmap_hostile(void)
{
	struct ram_info ri;
	struct hvm_memmap_table_entry wrap[] = { { 0x100000, ~0ull, 1, 0 } };
	CHECK(memmap_read(wrap, 1, 0x200000, &ri) == -1); /* wraps: ignored */
	struct hvm_memmap_table_entry small[] = { { 0x100000, 0x10000, 1, 0 } };
	CHECK(memmap_read(small, 1, 0x200000, &ri) == -1); /* image does not fit */
	struct hvm_memmap_table_entry notram[] = { { 0, 0x10000000, 2, 0 } };
	CHECK(memmap_read(notram, 1, 0x200000, &ri) == -1);
	CHECK(memmap_read(NULL, 0, 0x200000, &ri) == -1);
	struct hvm_memmap_table_entry many[MEMMAP_MAX + 8];
	for (unsigned i = 0; i < MEMMAP_MAX + 8; i++)
		many[i] = (struct hvm_memmap_table_entry){ 0, 0x1000, 2, 0 };
	many[MEMMAP_MAX + 4] = (struct hvm_memmap_table_entry){ 0x100000, 0x1000000, 1, 0 };
	CHECK(memmap_read(many, MEMMAP_MAX + 8, 0x200000, &ri) == -1); /* beyond what is read */
	return NULL;
}

static char *arena;
#define ARENA (64 * PAGE_SIZE)

static void arena_init(void)
{
	if (!arena)
		arena = aligned_alloc(PAGE_SIZE, ARENA);
	mem_init((uintptr_t)arena, ARENA);
}

static const char *t_pages(void)
{
	arena_init();
	CHECK(mem_free_bytes() == ARENA);
	char *a = mem_alloc_pages(1), *b = mem_alloc_pages(3);
	CHECK(a && b && (uintptr_t)a % PAGE_SIZE == 0 && b + 3 * PAGE_SIZE == a);
	memset(b, 1, 3 * PAGE_SIZE);
	CHECK(mem_free_bytes() == ARENA - 4 * PAGE_SIZE);
	mem_free_pages(a, 1);           /* not at the boundary: listed */
	CHECK(mem_alloc_pages(1) == a); /* first fit takes it back */
	mem_free_pages(b, 3);           /* at the boundary */
	mem_free_pages(a, 1);           /* now adjacent: absorbed */
	CHECK(mem_free_bytes() == ARENA);
	CHECK(mem_alloc_pages(0) == NULL);
	CHECK(mem_alloc_pages(65) == NULL);
	CHECK(mem_alloc_pages((size_t)1 << 50) == NULL);
	CHECK(mem_alloc_pages(64) == arena);
	CHECK(mem_alloc_pages(1) == NULL);
	return NULL;
}

static const char *t_sbrk_meets_pages(void)
{
	arena_init();
	char *p = mem_sbrk(10 * PAGE_SIZE);
	CHECK(p == arena);
	CHECK(mem_alloc_pages(54) != NULL);
	CHECK(mem_sbrk(1) == (void *)-1); /* heap may not pass the pages */
	CHECK(mem_alloc_pages(1) == NULL);
	CHECK(mem_sbrk(-10 * PAGE_SIZE) == p + 10 * PAGE_SIZE);
	CHECK(mem_sbrk(-1) == (void *)-1); /* nor shrink below its start */
	CHECK(mem_sbrk(PTRDIFF_MAX) == (void *)-1);
	CHECK(mem_sbrk(PTRDIFF_MIN) == (void *)-1);
	return NULL;
}

/* memstats=N's figures: the sbrk heap and the pages out, free runs not counted. */
static const char *t_usage(void)
{
	size_t heap, pages;
	arena_init();
	mem_usage(&heap, &pages);
	CHECK(heap == 0 && pages == 0);
	CHECK(mem_sbrk(3 * PAGE_SIZE + 5) == arena);
	char *a = mem_alloc_pages(2), *b = mem_alloc_pages(4);
	mem_free_pages(a, 2); /* listed as a free run */
	mem_usage(&heap, &pages);
	CHECK(heap == 3 * PAGE_SIZE + 5 && pages == 4 * PAGE_SIZE);
	mem_free_pages(b, 4);
	mem_usage(&heap, &pages);
	CHECK(pages == 0 && heap + mem_free_bytes() == ARENA);
	return NULL;
}

static const char *t_free_bad(void)
{
	arena_init();
	char *a = mem_alloc_pages(2);
	if (setjmp(panicked) == 0) {
		mem_free_pages(a + 1, 1); /* misaligned */
		return "misaligned free did not panic";
	}
	if (setjmp(panicked) == 0) {
		mem_free_pages(arena, 1); /* never handed out */
		return "free of an unallocated page did not panic";
	}
	return NULL;
}

/* Random alloc/free sequences keep the byte count exact. */
static const char *t_pages_random(void)
{
	struct {
		char *p;
		size_t n;
	} live[64];
	int nlive = 0;
	arena_init();
	srand(2);
	for (int i = 0; i < 100000; i++) {
		if (nlive < 64 && rand() % 2) {
			size_t n = 1 + rand() % 4;
			char *p = mem_alloc_pages(n);
			if (p) {
				memset(p, 0xee, n * PAGE_SIZE);
				live[nlive].p = p, live[nlive++].n = n;
			}
		} else if (nlive) {
			int k = rand() % nlive;
			mem_free_pages(live[k].p, live[k].n);
			live[k] = live[--nlive];
		}
		size_t used = 0;
		for (int j = 0; j < nlive; j++)
			used += live[j].n * PAGE_SIZE;
		CHECK(mem_free_bytes() == ARENA - used);
	}
	return NULL;
}

static const char *t_ipv4(void)
{
	const char *end;
	uint32_t a;
	CHECK(parse_ipv4("10.0.0.2", &end, &a) == 0 && !*end && a == 0x0200000a);
	CHECK(parse_ipv4("255.255.255.255/24", &end, &a) == 0 && *end == '/');
	static const char *bad[] = { "",           "1.2.3",    "1.2.3.256", "1..2.3",    "a.b.c.d",
		                     "1.2.3.4444", "-1.2.3.4", "1.2.3.",    "0001.2.3.4" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(parse_ipv4(bad[i], &end, &a) < 0);
	return NULL;
}

static int options(const char *w)
{
	char buf[64], *words[1] = { buf };
	strcpy(buf, w);
	return options_parse(words, 1);
}

static const char *t_options(void)
{
	CHECK(options("boottime=1") == 0 && opt_boottime == 1);
	CHECK(options("ip=10.0.0.2/24") == 0 && net_config.static_ip && net_config.prefix == 24 &&
	      net_config.addr == 0x0200000a);
	CHECK(options("gw=10.0.0.1") == 0 && net_config.gw == 0x0100000a);
	CHECK(options("dhcp=1") == 0 && net_config.dhcp == 1);
	CHECK(options("entropy=rdrand") == 0 && opt_entropy == ENTROPY_RDRAND);
	CHECK(options("entropy=host") == 0 && opt_entropy == ENTROPY_HOST);
	CHECK(options("entropy=auto") == 0 && opt_entropy == 0);
	CHECK(options("memstats=5") == 0 && opt_memstats == 5);
	CHECK(options("memstats=86400") == 0 && opt_memstats == MEMSTATS_MAX_S);
	CHECK(options("memstats=0") == 0 && opt_memstats == 0);
	CHECK(options("lose_irqs=2") == 0 && opt_lose_irqs == 2);
	CHECK(options("lose_irqs=x") < 0 && options("lose_irqs=") < 0 && opt_lose_irqs == 2);
	opt_lose_irqs = 0;
	CHECK(options("memfs=64K") == 0 && opt_memfs_bytes == 65536);
	CHECK(options("memfs=0x100000") == 0 && opt_memfs_bytes == 1 << 20);
	CHECK(options("memfs=1024G") == 0 && opt_memfs_bytes == 1ull << 40);
	static const char *bad_memfs[] = { "memfs=",   "memfs=1025G", "memfs=12X",
		                           "memfs=-1", "memfs=1KK",   "memfs=99999999999999999999",
		                           "memfs" };
	for (unsigned i = 0; i < sizeof bad_memfs / sizeof bad_memfs[0]; i++)
		CHECK(options(bad_memfs[i]) < 0);
	static const char *bad[] = { "boottime=2",
		                     "boottime",
		                     "nosuch=1",
		                     "ip=10.0.0.2",
		                     "ip=10.0.0.2/33",
		                     "ip=10.0.0.2/",
		                     "ip=10.0.0.2/24x",
		                     "gw=10.0.0",
		                     "gw=",
		                     "=1",
		                     "dhcp=yes",
		                     "entropy=",
		                     "entropy=hostx",
		                     "entropy=rd",
		                     "memstats=",
		                     "memstats=-1",
		                     "memstats=86401",
		                     "memstats=5s",
		                     "memstats=99999999999999999999",
		                     "memstats" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(options(bad[i]) < 0);
	return NULL;
}

/* The host's virtio_mmio.device=SIZE@BASE:IRQ[:ID] words (options_mmio). */
static const char *t_mmio_words(void)
{
	opt_nmmio = 0;
	CHECK(options_mmio("virtio_mmio.device=512@0xfeb00e00:12") == 1 && opt_nmmio == 1 &&
	      opt_mmio[0].base == 0xfeb00e00 && opt_mmio[0].size == 512 && opt_mmio[0].irq == 12);
	CHECK(options_mmio("virtio_mmio.device=4K@0xD0000000:5:3") == 1 &&
	      opt_mmio[1].base == 0xd0000000 && opt_mmio[1].size == 4096 && opt_mmio[1].irq == 5);
	CHECK(options_mmio("virtio_mmio.device=1M@4096:7") == 1 && opt_mmio[2].size == 1 << 20 &&
	      opt_mmio[2].base == 4096);
	static const char *other[] = { "hello", "virtio_mmio.device", "virtio_mmio.devic=1@0:1",
		                       "--",    "entropy=host",       "" };
	for (unsigned i = 0; i < sizeof other / sizeof other[0]; i++)
		CHECK(options_mmio(other[i]) == 0);
	static const char *bad[] = { "virtio_mmio.device=",
		                     "virtio_mmio.device=512@",
		                     "virtio_mmio.device=512@0x:5",
		                     "virtio_mmio.device=0@0x1000:5",
		                     "virtio_mmio.device=512@0x1000",
		                     "virtio_mmio.device=512@0x1000:5x",
		                     "virtio_mmio.device=512@0x1002:5",
		                     "virtio_mmio.device=512@0xfffffffffffffe00:5",
		                     "virtio_mmio.device=99999999999999999999@0:1",
		                     "virtio_mmio.device=512@0x1000:256",
		                     "virtio_mmio.device=17179869184G@0:1",
		                     "virtio_mmio.device=512@0x1000:5:",
		                     "virtio_mmio.device=512@0x1000000000000:5",
		                     "virtio_mmio.device=512K@0x1000:5:1:2" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(options_mmio(bad[i]) < 0);
	CHECK(opt_nmmio == 3);
	while (opt_nmmio < MMIO_DEV_MAX)
		CHECK(options_mmio("virtio_mmio.device=512@0xfeb00000:24") == 1);
	CHECK(options_mmio("virtio_mmio.device=512@0xfeb00000:24") < 0 &&
	      opt_nmmio == MMIO_DEV_MAX);
	opt_nmmio = 0;
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_mmio_words, "options_mmio" },
	{ t_ipv4, "parse_ipv4" },
	{ t_options, "options_parse" },
	{ t_split_words, "cmdline_split_words" },
	{ t_split_quotes, "cmdline_split_quotes" },
	{ t_split_hostile, "cmdline_split_hostile" },
	{ t_find_sep, "cmdline_find_sep" },
	{ t_memmap, "memmap_read" },
	{ t_memmap_hostile, "memmap_read_hostile" },
	{ t_memmap_exclude, "memmap_exclude" },
	{ t_pages, "mem_pages" },
	{ t_sbrk_meets_pages, "mem_sbrk_meets_pages" },
	{ t_usage, "mem_usage" },
	{ t_free_bad, "mem_free_bad" },
	{ t_pages_random, "mem_pages_random" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
