/* SPDX-License-Identifier: MIT */
/* mmap() for anonymous private memory only (libc/posix.c), Linux's numbers;
 * there is no second address space to share with and no file to page in. */
#ifndef SPORE_SYS_MMAN_H
#define SPORE_SYS_MMAN_H
#include <sys/types.h>
#define PROT_NONE     0
#define PROT_READ     1
#define PROT_WRITE    2
#define PROT_EXEC     4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON      MAP_ANONYMOUS
#define MAP_FAILED    ((void *)-1)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
#endif
