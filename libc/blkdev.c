// SPDX-License-Identifier: MIT
/* /dev/vda: the block device as a file of bytes. Reads and writes may start
 * and end anywhere: partial sectors are read, merged and written back
 * (read-modify-write) through one sector-aligned bounce buffer. fsync makes
 * every earlier write durable. Nothing is cached. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel/blk.h"
#include "fd.h"

#define CHUNK (BLK_MAX_SECTORS * BLK_SECTOR)
static unsigned char bounce[CHUNK] __attribute__((aligned(4096)));

static unsigned long long size(void) { return blk_dev->sectors * BLK_SECTOR; }

/* One aligned window [first, first+count) of sectors around [off, off+n). */
static long xfer(void *buf, const void *src, unsigned long n, long long off)
{
	if (off < 0 || (unsigned long long)off >= size())
		return 0;
	if (n > size() - (unsigned long long)off)
		n = (unsigned long)(size() - (unsigned long long)off);
	unsigned long done = 0;
	while (done < n) {
		unsigned long long pos = (unsigned long long)off + done;
		uint64_t first = pos / BLK_SECTOR;
		size_t skip = pos % BLK_SECTOR;
		size_t take = n - done < CHUNK - skip ? n - done : CHUNK - skip;
		uint32_t count = (uint32_t)((skip + take + BLK_SECTOR - 1) / BLK_SECTOR);
		if (buf || skip || (skip + take) % BLK_SECTOR) {
			if (blk_dev->read(first, bounce, count) < 0)
				goto io_error;
		}
		if (buf) {
			memcpy((char *)buf + done, bounce + skip, take);
		} else {
			memcpy(bounce + skip, (const char *)src + done, take);
			if (blk_dev->write(first, bounce, count) < 0)
				goto io_error;
		}
		done += take;
	}
	return (long)done;
io_error:
	if (done)
		return (long)done;
	errno = EIO;
	return -1;
}

static long bpread(struct fd *f, void *buf, unsigned long n, long long off)
{
	(void)f;
	return xfer(buf, NULL, n, off);
}

static long bread(struct fd *f, void *buf, unsigned long n)
{
	long r = xfer(buf, NULL, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static long bwrite(struct fd *f, const void *buf, unsigned long n)
{
	if ((unsigned long long)f->off >= size() && n) {
		errno = ENOSPC;
		return -1;
	}
	long r = xfer(NULL, buf, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static int bfstat(struct fd *f, struct stat *st)
{
	(void)f;
	*st = (struct stat){ .st_mode = S_IFBLK | 0660,
		             .st_size = (off_t)size(),
		             .st_blksize = BLK_SECTOR,
		             .st_blocks = (blkcnt_t)blk_dev->sectors };
	return 0;
}

static int bsync(struct fd *f)
{
	(void)f;
	if (blk_dev->flush() < 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static const struct fd_ops blk_ops = {
	.read = bread,
	.write = bwrite,
	.pread = bpread,
	.fstat = bfstat,
	.fsync = bsync,
	.mode = S_IFBLK,
};

/* open("/dev/vda"): -1 with ENOENT when the VM has no disk. */
int blkdev_open(void)
{
	if (!blk_dev) {
		errno = ENOENT;
		return -1;
	}
	return fd_alloc(&blk_ops, -1);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct fd *f = fd_get(fd);
	if (!f)
		return -1;
	if (f->ops->pwrite) /* a memfs file */
		return f->ops->pwrite(f, buf, n, off);
	if (f->ops != &blk_ops) {
		errno = f->ops->pread ? EBADF : ESPIPE; /* initrd files are read-only */
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return xfer(NULL, buf, n, off);
}
