/* SPDX-License-Identifier: MIT */
/* resp.c: the RESP2 request parser (multibulk and inline commands). Pure: no
 * I/O, no allocation; fuzzed by tests/fuzz/resp_fuzz.c. */
#ifndef RESP_H
#define RESP_H
#include <stddef.h>

#define RESP_BULK_MAX   (512LL << 20)  /* Redis's proto-max-bulk-len */
#define RESP_ARGS_MAX   (1024 * 1024)  /* Redis's old multibulk count limit */
#define RESP_INLINE_MAX (64 * 1024)    /* an inline command or a count line */

/* One connection's parser state between calls; zero it to start. */
struct resp {
	size_t pos;        /* bytes of the pending command already checked */
	size_t need;       /* the pending command is at least this long */
	long long left;    /* bulk strings still to come */
	long long bulk;    /* length of the bulk string at pos; -1: its $ line is next */
	int argc;          /* arguments of the command (so far) */
	int state;         /* 0 start, 1 multibulk, 2 inline, 3 done */
	const char *err;   /* after -1: the reply text, "Protocol error: ..." */
	char ebuf[48];     /* err's text when it quotes the input */
};

/* The recipe: buf always starts at the first unanswered byte and holds every
 * byte given before plus any new ones (it may move between calls).
 *   n = resp_parse(&r, buf, len);
 *   n > 0: a whole command of n bytes starts buf, with r.argc arguments
 *          (0: an empty command, answered with nothing); get them with
 *          resp_args(&r, buf, argv, lens) (argv and lens hold r.argc), then
 *          drop n bytes; the next call starts a new command.
 *   n == 0: incomplete; r.need is a lower bound on its length.
 *   n < 0: r.err says why; the connection should be closed. */
long resp_parse(struct resp *r, const char *buf, size_t len);

/* Fills argv/lens for the command resp_parse just completed. Inline
 * arguments in quotes are unescaped in place, so buf is written to. */
void resp_args(const struct resp *r, char *buf, char **argv, size_t *lens);
#endif
