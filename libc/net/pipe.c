// SPDX-License-Identifier: MIT
/* pipe() within one process: a ring buffer in memory behind two fds, the
 * read end and the write end, for programs that signal themselves through
 * a pipe (Redis's module and child-info pipes). O_NONBLOCK (fcntl) gives
 * EAGAIN; a blocking read of an empty pipe, or write to a full one, yields
 * to the other threads until it can go on (a program whose only thread
 * waits on itself waits forever, as on Linux). poll() and select() see the
 * pipe's state, but a write does not wake a poll() blocked on sockets: it
 * is seen at the next poll. Writing with no reader is EPIPE, no SIGPIPE.
 * dup() of an end is ENOSYS (libc/vfs.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libc/fd.h"

#define PIPE_SIZE 16384

struct pipe {
	unsigned head, len;   /* the bytes in the ring: buf[head..head+len) */
	int readers, writers; /* open ends, 0 or 1 each */
	char buf[PIPE_SIZE];
};

static struct pipe *pipe_of(struct fd *f) { return (struct pipe *)(unsigned long)f->priv; }

static long pipe_read(struct fd *f, void *buf, unsigned long n)
{
	struct pipe *p = pipe_of(f);
	while (!p->len) {
		if (!p->writers || !n)
			return 0;
		if (f->flags & O_NONBLOCK) {
			errno = EAGAIN;
			return -1;
		}
		sched_yield();
	}
	unsigned long got = n < p->len ? n : p->len;
	for (unsigned long i = 0; i < got; i++)
		((char *)buf)[i] = p->buf[(p->head + i) % PIPE_SIZE];
	p->head = (unsigned)((p->head + got) % PIPE_SIZE);
	p->len -= (unsigned)got;
	return (long)got;
}

static long pipe_write(struct fd *f, const void *buf, unsigned long n)
{
	struct pipe *p = pipe_of(f);
	unsigned long done = 0;
	while (done < n) {
		if (!p->readers) {
			errno = EPIPE;
			return done ? (long)done : -1;
		}
		if (p->len == PIPE_SIZE) {
			if (f->flags & O_NONBLOCK) {
				if (done)
					break;
				errno = EAGAIN;
				return -1;
			}
			sched_yield();
			continue;
		}
		for (; done < n && p->len < PIPE_SIZE; done++, p->len++)
			p->buf[(p->head + p->len) % PIPE_SIZE] = ((const char *)buf)[done];
	}
	return (long)done;
}

static int pipe_close(struct fd *f)
{
	struct pipe *p = pipe_of(f);
	if (f->sock)
		p->writers--;
	else
		p->readers--;
	if (!p->readers && !p->writers)
		free(p);
	return 0;
}

static short pipe_poll(struct fd *f, short events)
{
	struct pipe *p = pipe_of(f);
	if (f->sock) /* the write end */
		return !p->readers ? POLLERR : p->len < PIPE_SIZE ? (events & POLLOUT) : 0;
	return (short)((p->len ? (events & POLLIN) : 0) | (!p->writers ? POLLHUP : 0));
}

static const struct fd_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.close = pipe_close,
	.poll = pipe_poll,
	.mode = 0010600, /* S_IFIFO */
};

/* fds[0] reads, fds[1] writes; fd->sock tells the ends apart (1: write). */
int pipe(int fds[2])
{
	struct pipe *p = calloc(1, sizeof *p);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	int r = fd_alloc(&pipe_ops, 0);
	if (r < 0) {
		free(p);
		return -1;
	}
	int w = fd_alloc(&pipe_ops, 1);
	if (w < 0) {
		fd_release(r);
		free(p);
		return -1;
	}
	fd_get(r)->priv = p;
	fd_get(w)->priv = p;
	p->readers = p->writers = 1;
	fds[0] = r;
	fds[1] = w;
	return 0;
}
