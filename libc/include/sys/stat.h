/* SPDX-License-Identifier: MIT */
/* newlib's <sys/stat.h>, plus what it declares only for other targets:
 * lstat() (libc/vfs.c; no file system here has symbolic links). */
#ifndef SPORE_SYS_STAT_H
#define SPORE_SYS_STAT_H
#include_next <sys/stat.h>
int lstat(const char *__restrict path, struct stat *__restrict buf);
#endif
