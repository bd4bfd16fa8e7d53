/* SPDX-License-Identifier: MIT */
/* The one block device, whichever driver found it (virtio-blk under QEMU,
 * hypercalls under spore-kvm), as libc's /dev/vda sees it: whole 512-byte
 * sectors, synchronous, at most BLK_MAX_SECTORS per call. */
#ifndef KERNEL_BLK_H
#define KERNEL_BLK_H
#include <stdint.h>

#define BLK_SECTOR      512
#define BLK_MAX_SECTORS 256

struct blk_dev {
	uint64_t sectors;
	int (*read)(uint64_t sector, void *buf, uint32_t count); /* 0 or -1 */
	int (*write)(uint64_t sector, const void *buf, uint32_t count);
	int (*flush)(void); /* writes durable */
};

/* blk.c */
extern const struct blk_dev *blk_dev; /* NULL: no disk */
#endif
