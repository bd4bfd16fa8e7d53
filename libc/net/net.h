/* SPDX-License-Identifier: MIT */
/* libc/net's internal header: bringing the network up. */
#ifndef LIBC_NET_H
#define LIBC_NET_H

/* netif.c */
int net_start(void); /* idempotent; -1 when lwIP cannot start */
#endif
