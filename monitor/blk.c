// SPDX-License-Identifier: MIT
/* --disk=FILE: the guest's block device, a file of whole 512-byte sectors,
 * read and written with pread/pwrite, flushed with fdatasync. Every sector
 * range is checked against the disk and every buffer against guest RAM. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

int blk_open(struct vm *vm, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		msg("spore-kvm: --disk=%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size % HC_BLK_SECTOR) {
		msg("spore-kvm: --disk=%s: want a regular file of whole 512-byte sectors (e.g. truncate -s 16M %s)\n",
		    path, path);
		close(fd);
		return -1;
	}
	vm->disk_fd = fd;
	vm->disk_sectors = (uint64_t)st.st_size / HC_BLK_SECTOR;
	return 0;
}

/* Pure: NULL when the request fits the disk and guest RAM, else what is wrong. */
const char *blk_check(const struct hc_blk *b, uint64_t disk_sectors, uint64_t mem_size)
{
	if (b->count == 0 || b->count > HC_BLK_MAX)
		return "count outside 1..HC_BLK_MAX";
	if (b->sector >= disk_sectors || b->count > disk_sectors - b->sector)
		return "sectors beyond the disk";
	if (!gm_range_ok(mem_size, b->buf, (uint64_t)b->count * HC_BLK_SECTOR))
		return "buffer outside guest RAM";
	return NULL;
}

int hc_blk(struct vm *vm, unsigned nr, uint64_t gpa)
{
	struct hc_blk b;
	const char *why;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (vm->disk_fd < 0)
		return hc_bad(nr, "no disk (start with --disk=FILE)", gpa);
	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(nr, "argument block outside guest RAM or misaligned", gpa);
	if (nr != HC_BLK_FLUSH) {
		if ((why = blk_check(&b, vm->disk_sectors, vm->mem_size)))
			return hc_bad(nr, why, gpa);
		len = (size_t)b.count * HC_BLK_SECTOR;
		if ((buf = gm_at(vm->mem, vm->mem_size, b.buf, len)) == NULL)
			return hc_bad(nr, "buffer outside guest RAM", gpa);
	}
	/* A disk on a stalled mount can block for as long as it likes: --timeout may end it. */
	timer_io_begin("the disk");
	if (nr == HC_BLK_FLUSH) {
		b.ret = fdatasync(vm->disk_fd) == 0 ? 0 : -1;
	} else {
		off_t off = (off_t)(b.sector * HC_BLK_SECTOR);
		ssize_t n = nr == HC_BLK_READ ? pread(vm->disk_fd, buf, len, off)
		                              : pwrite(vm->disk_fd, buf, len, off);
		b.ret = n == (ssize_t)len ? 0 : -1;
	}
	timer_io_end();
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}
