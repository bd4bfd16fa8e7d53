/* SPDX-License-Identifier: MIT */
/* Internet addresses: lwIP's in_addr, sockaddr_in, INADDR_*, IPPROTO_*, htons. */
#ifndef SPORE_NETINET_IN_H
#define SPORE_NETINET_IN_H
#include <sys/socket.h>
#include "lwip/inet.h"
#endif
