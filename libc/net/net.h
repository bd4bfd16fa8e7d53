/* SPDX-License-Identifier: MIT */
/* libc/net's internal header: bringing the network up. */
#ifndef LIBC_NET_H
#define LIBC_NET_H

/* netif.c */
int net_start(void); /* idempotent; -1 when lwIP cannot start */

/* timers.c: a frame came in or went out (any thread) */
void timers_frame(void);
#endif
