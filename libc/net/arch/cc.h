/* SPDX-License-Identifier: MIT */
/* lwIP's compiler and platform glue for spore (newlib, x86_64, gcc). */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/time.h>
#include <limits.h>
#include <unistd.h>
#include <fcntl.h>     /* lwIP then uses newlib's O_NONBLOCK and F_GETFL */

#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX   /* newlib has ssize_t but not the limit lwIP looks for */
#endif

#define LWIP_TIMEVAL_PRIVATE 0          /* struct timeval comes from newlib */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN   /* newlib defines it; lwIP needs it */
#endif
#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
/* A broken lwIP invariant ends the VM with the kernel's panic status. */
void spore_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(x) spore_lwip_assert(x, __FILE__, __LINE__)
#endif
