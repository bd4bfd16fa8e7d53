/* SPDX-License-Identifier: MIT */
/* TCP_NODELAY and friends come with lwIP's socket constants. */
#ifndef SPORE_NETINET_TCP_H
#define SPORE_NETINET_TCP_H
#include <sys/socket.h>
#endif
