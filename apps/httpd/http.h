/* SPDX-License-Identifier: MIT */
/* httpd's internal header: the request-head parser (pure: no I/O, fuzzed by
 * tests/fuzz/http_fuzz.c) and the entry points of files.c and fn.c. */
#ifndef HTTPD_HTTP_H
#define HTTPD_HTTP_H
#include <stddef.h>
#include <time.h>

#define HEAD_MAX  8192          /* a longer header block: 431 */
#define BODY_MAX  (1024 * 1024) /* a longer body: 413 */
#define PATH_MAX_ 1024          /* a longer decoded path: 414 */

enum method { M_GET, M_HEAD, M_POST };

struct http_req {
	enum method method;
	char path[PATH_MAX_]; /* percent-decoded, before any '?' */
	int bad_path;         /* it held a NUL (raw or %00): answered 403 */
	int minor;            /* HTTP/1.minor */
	int keepalive;
	int expect_continue; /* Expect: 100-continue */
	size_t content_length;
	time_t if_modified_since; /* 0: none or unparsable (then ignored) */
	char raw_head[HEAD_MAX];  /* the head as received, for /fn/echo */
	size_t raw_len;
};

/* http.c: returns 0 when more bytes are needed, the head's length when it is
 * complete and good, or -STATUS (400, 413, 414, 431, 501, 505) when it is not;
 * on -STATUS, r->method and r->path are unreliable. */
long http_parse(const char *buf, size_t len, struct http_req *r);
const char *http_method_name(enum method m);
time_t http_date_parse(const char *s);                   /* 0 if malformed */
void http_date_format(time_t t, char *out, size_t size); /* IMF-fixdate */
const char *http_reason(int status);
int http_path_ok(const char *path); /* '/', then no "." or ".." segment, no '\' */
size_t http_url_escape(const char *s, char *out, size_t size); /* size if it won't fit */

/* files.c: what a GET or HEAD of a path answers */
struct reply {
	int status;
	const char *type;  /* Content-Type; NULL: text/plain */
	int fd;            /* the file to send, or -1 */
	char *body;        /* or a generated body (malloc'd), or NULL */
	size_t len;        /* of the file or the body */
	time_t mtime;      /* Last-Modified, or 0 */
	int redirect;      /* 301 to path + "/" */
	const char *allow; /* the Allow header of a 405 */
};
void files_get(const char *root, const struct http_req *r, struct reply *out);
const char *files_mime(const char *path);

/* fn.c: the function endpoint, /fn/NAME */
void fn_call(const struct http_req *r, const char *body, size_t len, struct reply *out);
void sha256_hex(const void *data, size_t len, char out[65]);
#endif
