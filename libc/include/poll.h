/* SPDX-License-Identifier: MIT */
/* poll() over the shared fd table (console and sockets): libc/socket.c. */
#ifndef SPORE_POLL_H
#define SPORE_POLL_H
#include <sys/socket.h> /* struct pollfd, nfds_t, POLL* come with lwIP */

int poll(struct pollfd *fds, nfds_t nfds, int timeout);
#endif
