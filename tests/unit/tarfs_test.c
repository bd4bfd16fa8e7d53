// SPDX-License-Identifier: MIT
/* Host unit test for the root filesystem (libc/tarfs.c, compiled in whole
 * against newlib's headers, its fd table and allocator stubbed below) over
 * ustar archives built here, most without directory entries (what
 * `tar -cf root.tar big.bin docs/a.txt` writes). An open file must read its
 * bytes whatever is looked up after it (ASan), implied directories must
 * exist and be listed once, and a failed allocation must be ENOMEM, never
 * another entry. Each test runs in a child of its own: tarfs indexes once per
 * process. "ok NAME" / "FAIL NAME: why". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

/* Allocation failure on demand: calls numbered from fail_from on fail. */
static long reallocs, fail_from = -1; /* per process: each case forks */
static void *test_realloc(void *p, size_t n)
{
	if (fail_from >= 0 && reallocs++ >= fail_from)
		return NULL;
	return realloc(p, n);
}
#define realloc(p, n) test_realloc(p, n)
#include "../../libc/tarfs.c"
#undef realloc

/* ---- what tarfs.c calls ---- */
uint64_t initrd_base, initrd_size;
static int err;
int *__errno(void) { return &err; }
static struct fd fds[8];
struct fd *fd_get(int fd) { return fd >= 0 && fd < 8 && fds[fd].ops ? &fds[fd] : NULL; }
int fd_alloc(const struct fd_ops *ops, int sock)
{
	for (int i = 0; i < 8; i++)
		if (!fds[i].ops) {
			fds[i] = (struct fd){ .ops = ops, .sock = sock };
			return i;
		}
	return -1;
}

/* ---- archives ---- */
static unsigned char ar[1 << 20] __attribute__((aligned(512)));
static size_t arlen;

static void member(const char *name, char type, const void *data, size_t n)
{
	unsigned char *h = ar + arlen;
	unsigned sum = 0;
	memset(h, 0, 512);
	strncpy((char *)h, name, 100);
	sprintf((char *)h + 100, "%07o", type == '5' ? 0755 : 0644);
	sprintf((char *)h + 108, "%07o", 0);
	sprintf((char *)h + 116, "%07o", 0);
	sprintf((char *)h + 124, "%011lo", (unsigned long)n);
	sprintf((char *)h + 136, "%011o", 01234567);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	sprintf((char *)h + 148, "%06o", sum);
	if (n)
		memcpy(h + 512, data, n);
	arlen += 512 + (n + 511) / 512 * 512;
	memset(ar + arlen, 0, 1024); /* the end-of-archive blocks */
	initrd_base = (uintptr_t)ar;
	initrd_size = arlen + 1024;
}

static unsigned char big[200000];

/* tar --format=ustar -cf root.tar big.bin docs/a.txt x/y/z/w.txt: no directory entries. */
static void sparse(void)
{
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 13 + (i >> 11));
	member("big.bin", '0', big, sizeof big);
	member("docs/a.txt", '0', "a\n", 2);
	member("x/y/z/w.txt", '0', "w\n", 2);
}

static int isdir(const char *p)
{
	struct stat st;
	return tarfs_stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The names in a directory, "a,b,", in the order readdir gives them. */
static const char *names(const char *dir)
{
	static char out[256];
	struct tarfs_dir *d = tarfs_opendir(dir);
	struct dirent *e;
	out[0] = 0;
	if (!d)
		return "(none)";
	while ((e = tarfs_readdir(d)) && strlen(out) + strlen(e->d_name) + 2 < sizeof out)
		strcat(strcat(out, e->d_name), ",");
	tarfs_closedir(d);
	return out;
}

/* The GET /big.bin, GET /docs/ sequence: an fd held open across lookups of
 * implied directories must still read the file's own bytes. */
static const char *t_held_open(void)
{
	static unsigned char got[sizeof big];
	sparse();
	int fd = tarfs_open("/big.bin", O_RDONLY);
	CHECK(fd >= 0);
	struct fd *f = fd_get(fd);
	CHECK(f->ops->read(f, got, 1000) == 1000);
	CHECK(isdir("/docs") && isdir("/x") && isdir("x/y/") && isdir("/x/y/z"));
	CHECK(strcmp(names("/docs/"), "a.txt,") == 0);
	long n, off = 1000;
	while ((n = f->ops->read(f, got + off, 65536)) > 0)
		off += n;
	CHECK(n == 0 && off == (long)sizeof big && !memcmp(got, big, sizeof big));
	return NULL;
}

static const char *t_implied_listed(void)
{
	sparse();
	CHECK(strcmp(names("/"), "big.bin,docs,x,") == 0); /* before any lookup of them */
	CHECK(strcmp(names("/x"), "y,") == 0);
	CHECK(strcmp(names("/x/y/z"), "w.txt,") == 0);
	CHECK(!isdir("/nope") && !isdir("/do") && !isdir("/docs/a"));
	CHECK(tarfs_open("/docs", O_RDONLY | O_DIRECTORY) >= 0);
	CHECK(tarfs_open("/docs/a.txt/", O_RDONLY | O_DIRECTORY) < 0 && err == ENOTDIR);
	return NULL;
}

/* A directory entry after its files, a file with the name of a directory,
 * and a member whose path goes up: each listed once, the file kept as a file. */
static const char *t_odd_archives(void)
{
	member("a/b", '0', "b", 1);
	member("a/", '5', NULL, 0);
	member("f", '0', "f", 1);
	member("f/g", '0', "g", 1);
	member("../escape", '0', "e", 1);
	CHECK(strcmp(names("/"), "a,f,") == 0);
	struct stat st;
	CHECK(tarfs_stat("/f", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 1);
	CHECK(tarfs_open("/f/g", O_RDONLY) >= 0);
	CHECK(tarfs_stat("/escape", &st) < 0 && err == ENOENT);
	return NULL;
}

/* Runs fn in a child of its own (tarfs indexes once per process) and returns
 * its why, which comes back through a pipe, or how the child died. */
static const char *in_child(const char *(*fn)(void))
{
	static char msg[256];
	int p[2], st = 0;
	if (pipe(p) < 0)
		return "pipe";
	fflush(NULL); /* not written twice; NULL: newlib's stdout names newlib's state */
	int pid = fork();
	if (pid == 0) {
		const char *why = fn();
		fflush(NULL);
		if (!why)
			_exit(0);
		size_t len = strlen(why);
		_exit(write(p[1], why, len) == (ssize_t)len ? 2 : 3);
	}
	close(p[1]);
	ssize_t n = pid < 0 ? -1 : read(p[0], msg, sizeof msg - 1);
	close(p[0]);
	if (pid < 0)
		return "fork";
	waitpid(pid, &st, 0);
	if (st == 2 << 8 && n > 0)
		return msg[n] = 0, msg;
	if (st != 0) {
		snprintf(msg, sizeof msg, "died (status %#x; sanitizer report above)", st);
		return msg;
	}
	return NULL;
}

/* Every allocation in turn fails: a lookup answers right or ENOMEM, and
 * once memory is back everything is found. */
static long oom_from;
static const char *oom_at(void)
{
	struct stat st;
	sparse();
	fail_from = oom_from;
	int r = tarfs_stat("/x/y", &st);
	CHECK((r == 0 && S_ISDIR(st.st_mode)) || (r < 0 && err == ENOMEM));
	r = tarfs_open("/docs/a.txt", O_RDONLY);
	CHECK(r >= 0 || err == ENOMEM);
	fail_from = -1;
	CHECK(isdir("/x/y") && isdir("/docs") && tarfs_open("/docs/a.txt", O_RDONLY) >= 0);
	CHECK(strcmp(names("/"), "big.bin,docs,x,") == 0);
	return NULL;
}

/* One child per failure point. */
static const char *t_oom(void)
{
	for (oom_from = 0; oom_from < 40; oom_from++) {
		const char *why = in_child(oom_at);
		CHECK(!why, "allocation %ld failing: %s", oom_from, why);
	}
	return NULL;
}

/* Each test in a child of its own, too. */
#define IN_CHILD(t)                                                                                \
	static const char *child_##t(void) { return in_child(t); }
IN_CHILD(t_held_open)
IN_CHILD(t_implied_listed)
IN_CHILD(t_odd_archives)
IN_CHILD(t_oom)

static const struct unit_test tests[] = {
	{ child_t_held_open, "an open file reads its bytes across implied-directory lookups" },
	{ child_t_implied_listed, "implied directories exist and are listed" },
	{ child_t_odd_archives, "directory after its files, file named as a directory, ../" },
	{ child_t_oom, "out of memory is ENOMEM, never another entry" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
