// SPDX-License-Identifier: MIT
/* -f FILE: the append-only log, RESP commands as cmd.c writes them. Replayed
 * at start up to the file's end or a zero byte (a fresh disk: -f /dev/vda
 * works, through pread/pwrite only); a torn last command is zeroed and
 * reported. Writes go out in one pwrite + fsync before their replies. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kv.h"
#include "resp.h"

#define CHUNK (64 * 1024)

static int fd = -1;
static long long end;      /* where the next record goes */
static struct out pend;    /* records not yet written */

void log_append(int argc, const char **argv, const size_t *lens)
{
	char h[32];
	if (fd < 0)
		return;
	out_raw(&pend, h, (size_t)snprintf(h, sizeof h, "*%d\r\n", argc));
	for (int i = 0; i < argc; i++) {
		out_raw(&pend, h, (size_t)snprintf(h, sizeof h, "$%zu\r\n", lens[i]));
		out_raw(&pend, argv[i], lens[i]);
		out_raw(&pend, "\r\n", 2);
	}
}

static int put(const char *p, size_t n, long long at)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, at);
		if (k <= 0)
			return -1;
		p += k, n -= (size_t)k, at += k;
	}
	return 0;
}

/* Redis with appendfsync always does the same: a reply must never promise a
 * write the log lost, so a failed write ends the server. */
void log_sync(void)
{
	if (fd < 0 || !pend.len)
		return;
	if (pend.oom || put(pend.buf, pend.len, end) < 0 || fsync(fd) < 0) {
		perror("kv: -f: log write failed, exiting");
		exit(1);
	}
	end += (long long)pend.len;
	pend.len = 0;
	if (pend.cap > QUERY_MAX) {
		free(pend.buf);
		pend = (struct out){ 0 };
	}
}

/* Runs the log's commands; returns the offset after the last good one. */
static long long replay(int from, const char *path, char *buf, size_t cap, size_t *tail)
{
	struct out sink = { 0 };
	struct resp r = { 0 };
	long long at = 0, rd = 0;
	size_t start = 0, len = 0, ran = 0, failed = 0;
	int eof = 0;
	for (;;) {
		long n = start < len && buf[start] ? resp_parse(&r, buf + start, len - start) : 0;
		if (n < 0 || (n == 0 && start < len && !buf[start]) ||
		    (n == 0 && (eof || r.need > cap)) || (n > 0 && cmd_args(r.argc) < 0))
			break;
		if (n == 0) {   /* more bytes: keep the partial command, read after it */
			memmove(buf, buf + start, len - start);
			len -= start, start = 0;
			ssize_t k = pread(from, buf + len, cap - len, rd);
			if (k <= 0)
				eof = 1;
			else
				len += (size_t)k, rd += k;
			continue;
		}
		resp_args(&r, buf + start, cmd_argv, cmd_lens);
		sink.len = 0;
		cmd_run(r.argc, cmd_argv, cmd_lens, &sink);
		ran++;
		if (sink.len && sink.buf[0] == '-' && failed++ == 0)
			fprintf(stderr, "kv: %s: a command at offset %lld failed: %.*s", path, at,
				(int)(sink.len < 100 ? sink.len : 100), sink.buf);
		start += (size_t)n, at += n;
	}
	free(sink.buf);
	*tail = start < len && buf[start] ? len - start : 0;
	printf("kv: replayed %zu commands from %s (%zu failed)\n", ran, path, failed);
	return at;
}

int log_open(const char *path)
{
	size_t cap = QUERY_MAX + CHUNK, tail = 0;
	char *buf = malloc(cap);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || !buf) {
		perror(fd < 0 ? path : "kv: -f");
		free(buf);
		return -1;
	}
	int keep = fd;
	fd = -1;   /* log_append does nothing while the log replays */
	end = replay(keep, path, buf, cap, &tail);
	fd = keep;
	if (tail) {
		fprintf(stderr, "kv: %s: ignoring a truncated or bad last command (%zu bytes at offset %lld)\n",
			path, tail, end);
		memset(buf, 0, tail);   /* zeros: the next replay ends here too */
		if (put(buf, tail, end) < 0 || fsync(fd) < 0) {
			perror("kv: -f: clearing the bad tail");
			free(buf);
			return -1;
		}
	}
	free(buf);
	db_sweep(1);
	return 0;
}
