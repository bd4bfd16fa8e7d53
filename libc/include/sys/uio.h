/* SPDX-License-Identifier: MIT */
/* Scatter/gather I/O: lwIP's struct iovec, readv and writev (libc/uio.c)
 * over any fd. */
#ifndef SPORE_SYS_UIO_H
#define SPORE_SYS_UIO_H
#include <sys/socket.h>

#define IOV_MAX 1024
ssize_t readv(int fd, const struct iovec *iov, int n);
ssize_t writev(int fd, const struct iovec *iov, int n);
#endif
