// SPDX-License-Identifier: MIT
/* Host unit test for libc/memfs.c, the writable file system's logic: paths
 * (hostile ones too), the tree operations with POSIX's errors, the byte
 * limit, unlinked-but-open files, and random writes and truncates checked
 * against a flat array. "ok NAME" / "FAIL NAME: why". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../libc/memfs.h"
#include "unit.h"

static struct memfs fs;
static struct memfs_node *n;

static time_t fake_now(void) { return 1700000000; }
/* The tree a test left behind goes before the next one starts. */
static void free_tree(struct memfs_node *d)
{
	for (struct memfs_node *c = d->child, *next; c; c = next) {
		next = c->next;
		free_tree(c);
		free(c->data);
		free(c);
	}
}

static void fresh(size_t limit)
{
	free_tree(&fs.root);
	memfs_init(&fs, limit, fake_now);
}

static int norm_is(const char *in, const char *want)
{
	char out[MEMFS_PATH_MAX];
	return memfs_normalize(in, out, sizeof out) == 0 && !strcmp(out, want);
}

static const char *t_normalize(void)
{
	char out[MEMFS_PATH_MAX], big[3000];
	CHECK(norm_is("/", "/") && norm_is("//", "/") && norm_is("a", "/a"));
	CHECK(norm_is("/tmp//x/./y/", "/tmp/x/y") && norm_is("/tmp/x/../y", "/tmp/y"));
	CHECK(norm_is("/../../..", "/") && norm_is("..", "/") && norm_is("/a/b/../../../c", "/c"));
	CHECK(memfs_normalize("", out, sizeof out) == -ENOENT &&
	      memfs_normalize(NULL, out, 8) == -ENOENT);
	memset(big, 'a', sizeof big - 1), big[sizeof big - 1] = 0;
	CHECK(memfs_normalize(big, out, sizeof out) == -ENAMETOOLONG); /* one name > NAME_MAX */
	for (size_t i = 0; i + 2 < sizeof big; i += 2)
		big[i] = 'a', big[i + 1] = '/';
	CHECK(memfs_normalize(big, out, sizeof out) == -ENAMETOOLONG); /* the path > PATH_MAX */
	CHECK(memfs_normalize("/abc", out, 4) == -ENAMETOOLONG &&
	      memfs_normalize("/ab", out, 4) == 0);
	return NULL;
}

static const char *t_tree(void)
{
	struct memfs_node *d;
	fresh(1 << 20);
	CHECK(memfs_create(&fs, "/tmp", 1, 1, &d) == 0 && d->dir);
	CHECK(memfs_create(&fs, "/tmp", 1, 1, &d) == -EEXIST);
	CHECK(memfs_create(&fs, "/tmp/a", 0, 0, &n) == 0 && !n->dir);
	CHECK(memfs_create(&fs, "/tmp/a", 0, 1, &n) == -EEXIST); /* O_EXCL */
	CHECK(memfs_create(&fs, "/tmp/a/b", 0, 0, &n) == -ENOTDIR);
	CHECK(memfs_create(&fs, "/nodir/b", 0, 0, &n) == -ENOENT);
	CHECK(memfs_create(&fs, "/", 1, 0, &n) == -EEXIST);
	CHECK(memfs_lookup(&fs, "/tmp/./a", &n) == 0 &&
	      memfs_lookup(&fs, "/tmp/zz", &n) == -ENOENT);
	CHECK(memfs_unlink(&fs, "/tmp") == -EISDIR && memfs_rmdir(&fs, "/tmp") == -ENOTEMPTY);
	CHECK(memfs_rmdir(&fs, "/tmp/a") == -ENOTDIR && memfs_rmdir(&fs, "/") == -EBUSY);
	CHECK(memfs_unlink(&fs, "/tmp/a") == 0 && memfs_lookup(&fs, "/tmp/a", &n) == -ENOENT);
	CHECK(memfs_rmdir(&fs, "/tmp") == 0 && fs.used == 0);
	return NULL;
}

static const char *t_readdir(void)
{
	struct memfs_node *d;
	fresh(1 << 20);
	memfs_create(&fs, "/d", 1, 1, &d);
	const char *names[] = { "x", "y", "z" };
	for (int i = 0; i < 3; i++) {
		char p[16];
		snprintf(p, sizeof p, "/d/%s", names[i]);
		CHECK(memfs_create(&fs, p, i == 1, 1, &n) == 0);
	}
	int seen = 0;
	for (size_t i = 0; (n = memfs_child(d, i)); i++)
		for (int k = 0; k < 3; k++)
			seen |= !strcmp(n->name, names[k]) << k;
	CHECK(seen == 7 && !memfs_child(d, 3));
	CHECK(memfs_lookup(&fs, "/d/x", &n) == 0 &&
	      memfs_child(n, 0) == NULL); /* a file has none */
	return NULL;
}

static const char *t_rename(void)
{
	struct memfs_node *a, *b;
	fresh(1 << 20);
	memfs_create(&fs, "/a", 1, 1, &a);
	memfs_create(&fs, "/a/sub", 1, 1, &n);
	memfs_create(&fs, "/f", 0, 1, &n);
	memfs_write(&fs, n, 0, "one", 3);
	memfs_create(&fs, "/g", 0, 1, &b);
	memfs_write(&fs, b, 0, "two", 3);
	CHECK(memfs_rename(&fs, "/a", "/a/sub/x") == -EINVAL); /* below itself */
	CHECK(memfs_rename(&fs, "/a", "/a") == 0);
	CHECK(memfs_rename(&fs, "/f", "/a") == -EISDIR &&
	      memfs_rename(&fs, "/a", "/f") == -ENOTDIR);
	CHECK(memfs_rename(&fs, "/nope", "/x") == -ENOENT &&
	      memfs_rename(&fs, "/f", "/no/x") == -ENOENT);
	CHECK(memfs_rename(&fs, "/", "/x") == -EBUSY && memfs_rename(&fs, "/f", "/") == -EBUSY);
	memfs_hold(b); /* /g open: replaced, still readable */
	CHECK(memfs_rename(&fs, "/f", "/g") == 0);
	char buf[4] = { 0 };
	CHECK(memfs_lookup(&fs, "/g", &n) == 0 && memfs_read(n, 0, buf, 3) == 3 &&
	      !strcmp(buf, "one"));
	CHECK(memfs_read(b, 0, buf, 3) == 3 && !strcmp(buf, "two"));
	memfs_release(&fs, b);
	CHECK(memfs_lookup(&fs, "/f", &n) == -ENOENT);
	CHECK(memfs_rename(&fs, "/a/sub", "/top") == 0 &&
	      memfs_rename(&fs, "/top", "/a") == 0); /* empty dir replaced */
	CHECK(memfs_create(&fs, "/a/k", 0, 1, &n) == 0 && memfs_create(&fs, "/e", 1, 1, &n) == 0);
	CHECK(memfs_rename(&fs, "/e", "/a") == -ENOTEMPTY);
	return NULL;
}

static const char *t_limit(void)
{
	static char blk[4096];
	fresh(sizeof(struct memfs_node) * 2 + 10000);
	CHECK(memfs_create(&fs, "/f", 0, 1, &n) == 0);
	long total = 0, r;
	while ((r = memfs_write(&fs, n, total, blk, sizeof blk)) > 0)
		total += r;
	CHECK(r == -ENOSPC && total == 8192 && fs.used <= fs.limit);
	CHECK(memfs_write(&fs, n, total, blk, 1808) == 1808); /* the exact rest still fits */
	CHECK(memfs_create(&fs, "/g", 0, 1, &n) == 0);
	CHECK(memfs_create(&fs, "/h", 0, 1, &n) == -ENOSPC); /* nodes count too */
	CHECK(memfs_lookup(&fs, "/f", &n) == 0 && memfs_truncate(&fs, n, 0) == 0);
	CHECK(memfs_create(&fs, "/h", 0, 1, &n) == 0); /* truncate gave it back */
	CHECK(memfs_write(&fs, n, 1LL << 62, blk, 1) == -ENOSPC &&
	      memfs_write(&fs, n, 0x7fffffffffffffffLL, blk, 1) == -EFBIG);
	CHECK(memfs_write(&fs, n, -1, blk, 1) == -EINVAL);
	CHECK(memfs_write(&fs, n, 0, blk, (size_t)-1) == -EFBIG &&
	      memfs_truncate(&fs, n, -5) == -EINVAL);
	CHECK(memfs_truncate(&fs, n, 1LL << 40) == -ENOSPC && n->size == 0);
	return NULL;
}

static const char *t_unlinked_open(void)
{
	fresh(1 << 20);
	CHECK(memfs_create(&fs, "/f", 0, 1, &n) == 0 && memfs_write(&fs, n, 0, "data", 4) == 4);
	memfs_hold(n);
	CHECK(memfs_unlink(&fs, "/f") == 0 && memfs_lookup(&fs, "/f", &n) == -ENOENT);
	char buf[4];
	CHECK(memfs_read(n, 0, buf, 4) == 4 && !memcmp(buf, "data", 4));
	CHECK(memfs_write(&fs, n, 4, "more", 4) == 4 && fs.used > 0);
	memfs_release(&fs, n); /* the last close frees it */
	CHECK(fs.used == 0);
	struct memfs_node *d;
	CHECK(memfs_create(&fs, "/d", 1, 1, &d) == 0);
	memfs_hold(d);
	CHECK(memfs_rmdir(&fs, "/d") == 0 && memfs_child(d, 0) == NULL);
	CHECK(memfs_create(&fs, "/d/x", 0, 1, &n) == -ENOENT);
	memfs_release(&fs, d);
	CHECK(fs.used == 0);
	return NULL;
}

/* Random writes, reads and truncates against a flat array of the same file. */
static const char *t_model(void)
{
	static unsigned char model[1 << 16], buf[1 << 16];
	size_t msize = 0;
	fresh(1 << 22);
	CHECK(memfs_create(&fs, "/m", 0, 1, &n) == 0);
	srand(25);
	for (int i = 0; i < 20000; i++) {
		size_t off = (size_t)rand() % (sizeof model / 2), len = (size_t)rand() % 3000;
		switch (rand() % 4) {
		case 0:
		case 1:
			for (size_t k = 0; k < len; k++)
				buf[k] = (unsigned char)rand();
			CHECK(memfs_write(&fs, n, (long long)off, buf, len) == (long)len);
			if (len && off > msize)
				memset(model + msize, 0, off - msize);
			memcpy(model + off, buf, len);
			if (len && off + len > msize)
				msize = off + len;
			break;
		case 2:
			CHECK(memfs_truncate(&fs, n, (long long)off) == 0);
			if (off > msize)
				memset(model + msize, 0, off - msize);
			msize = off;
			break;
		default: {
			long want =
				off >= msize ? 0 : (long)(len < msize - off ? len : msize - off);
			CHECK(memfs_read(n, (long long)off, buf, len) == want);
			CHECK(!memcmp(buf, model + off, (size_t)want));
		}
		}
		CHECK(n->size == msize && fs.used <= fs.limit);
	}
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_normalize, "normalize" }, { t_tree, "tree" },   { t_readdir, "readdir" },
	{ t_rename, "rename" },       { t_limit, "limit" }, { t_unlinked_open, "unlinked_open" },
	{ t_model, "model" },
};

int main(int argc, char **argv)
{
	int failed = UNIT_RUN(tests, argc, argv, "");
	free_tree(&fs.root);
	return failed;
}
