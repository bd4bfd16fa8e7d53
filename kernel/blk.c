// SPDX-License-Identifier: MIT
/* The block device registry: set by the one driver that found a disk. */
#include "blk.h"

const struct blk_dev *blk_dev;
