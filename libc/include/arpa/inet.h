/* SPDX-License-Identifier: MIT */
/* Address conversion: libc/socket.c. */
#ifndef SPORE_ARPA_INET_H
#define SPORE_ARPA_INET_H
#include <netinet/in.h>

/* lwIP maps these names to macros; apps get real functions. */
#undef inet_addr
#undef inet_aton
#undef inet_ntoa

int inet_pton(int af, const char *src, void *dst);
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
in_addr_t inet_addr(const char *cp);
int inet_aton(const char *cp, struct in_addr *inp);
char *inet_ntoa(struct in_addr in);
#endif
