/* SPDX-License-Identifier: MIT */
/* httpd's request-head parser (pure: no I/O, fuzzed by tests/fuzz/http_fuzz.c)
 * and the other files' entry points. */
#ifndef HTTPD_HTTP_H
#define HTTPD_HTTP_H
#include <stddef.h>
#include <time.h>

#define HEAD_MAX  8192            /* a longer header block: 431 */
#define BODY_MAX  (1024 * 1024)   /* a longer body: 413 */

enum method { M_GET, M_HEAD, M_POST };

struct http_req {
	enum method method;
	char path[1024];          /* percent-decoded, before any '?' */
	int minor;                /* HTTP/1.minor */
	int keepalive;
	size_t content_length;
	time_t if_modified_since; /* 0: none */
	char raw_head[HEAD_MAX];  /* for /fn/echo */
	size_t raw_len;
};

/* http.c: returns 0 when more bytes are needed, the head's length when it is
 * complete and good, or -STATUS (400, 413, 431, 501, 505) when it is not. */
long http_parse(const char *buf, size_t len, struct http_req *r);
time_t http_date_parse(const char *s);                     /* 0 if malformed */
void   http_date_format(time_t t, char *out, size_t size); /* IMF-fixdate */
const char *http_reason(int status);

/* files.c: what a GET or HEAD of path answers */
struct reply {
	int status;
	const char *type;
	int fd;                   /* the file to send, or -1 */
	char *body;               /* or a generated body (malloc'd), or NULL */
	size_t len;
	time_t mtime;
};
void files_get(const char *root, const struct http_req *r, struct reply *out);
const char *files_mime(const char *path);

/* fn.c: the function endpoint, /fn/NAME */
void fn_call(const struct http_req *r, const char *body, size_t len, struct reply *out);
void sha256_hex(const void *data, size_t len, char out[65]);
#endif
