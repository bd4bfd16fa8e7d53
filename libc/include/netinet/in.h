/* SPDX-License-Identifier: MIT */
/* Internet addresses: lwIP's in_addr, sockaddr_in, INADDR_*, IPPROTO_*, htons.
 * spore's lwIP is IPv4 only (LWIP_IPV6 0), and then lwIP declares no IPv6
 * names at all; portable programs (Redis's anet.c) name them in code paths
 * they take only for IPv6 addresses, so the types and constants are here for
 * them to compile. Nothing makes an IPv6 socket: socket() refuses any family
 * but AF_INET (EAFNOSUPPORT) and getaddrinfo any but AF_INET (EAI_FAMILY). */
#ifndef SPORE_NETINET_IN_H
#define SPORE_NETINET_IN_H
#include <sys/socket.h>
#include "lwip/inet.h"

#if !LWIP_IPV6
struct sockaddr_in6 { /* lwIP's layout when LWIP_IPV6 is 1 */
	u8_t sin6_len;
	sa_family_t sin6_family;
	in_port_t sin6_port;
	u32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	u32_t sin6_scope_id;
};
#define IPPROTO_IPV6     41
#define IPV6_V6ONLY      27
#define INET6_ADDRSTRLEN 46
#endif
#endif
