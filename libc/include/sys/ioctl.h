/* SPDX-License-Identifier: MIT */
/* ioctl(): sockets only (FIONBIO, FIONREAD through lwIP, libc/net/socket.c);
 * any other fd fails with EBADF. */
#ifndef SPORE_SYS_IOCTL_H
#define SPORE_SYS_IOCTL_H
int ioctl(int fd, unsigned long req, ...);
#endif
