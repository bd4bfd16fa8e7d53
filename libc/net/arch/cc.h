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
#include <fcntl.h> /* lwIP then uses newlib's O_NONBLOCK and F_GETFL */

#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX /* newlib has ssize_t but not the limit lwIP looks for */
#endif

#define LWIP_TIMEVAL_PRIVATE 0 /* struct timeval comes from newlib */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN /* newlib defines it; lwIP needs it */
#endif
/* Byte order by compiler builtins: no function call, and apps' htons() (a
 * macro over these) needs nothing from the stack's hidden symbols. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* Debian's lwIP patches sockets.c to ask the port how to set and read the
 * sockaddr length; lwIP's sockaddrs carry sin_len. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin)  ((sin)->sin_len = sizeof(struct sockaddr_in))
#define IP6ADDR_SOCKADDR_SET_LEN(sin6) ((sin6)->sin6_len = sizeof(struct sockaddr_in6))
#define IPADDR_SOCKADDR_GET_LEN(addr)  ((addr)->sa.sa_len)

#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		printf x;                                                                          \
	} while (0)
/* A broken lwIP invariant ends the VM with the kernel's panic status. */
void spore_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(x) spore_lwip_assert(x, __FILE__, __LINE__)
#endif
