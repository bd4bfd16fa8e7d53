// SPDX-License-Identifier: MIT
/* Host unit tests for httpd's pure parts: SHA-256 against FIPS 180-4 and
 * other known vectors, the request-head parser's verdicts, HTTP dates, path
 * checks, escaping and MIME types. "ok NAME" / "FAIL NAME: why"; arg: filter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "../../apps/httpd/http.h"

static struct http_req r;

static int sha(const void *d, size_t n, const char *want)
{
	char hex[65];
	sha256_hex(d, n, hex);
	return !strcmp(hex, want);
}

static const char *t_sha256(void)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK(sha(v[i].in, strlen(v[i].in), v[i].hex));
	return NULL;
}

/* Padding edges: 55 and 56 bytes (one or two final blocks), 63, 64. */
static const char *t_sha256_edges(void)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	char a[64];
	memset(a, 'a', sizeof a);
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK(sha(a, v[i].n, v[i].hex));
	unsigned char b[1024];
	for (unsigned i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)i;
	CHECK(sha(b, sizeof b, "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"));
	return NULL;
}

static const char *t_sha256_million(void)
{
	char *m = malloc(1000000);
	CHECK(m);
	memset(m, 'a', 1000000);
	int good =
		sha(m, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
	CHECK(good);
	return NULL;
}

static long parse(const char *s) { return http_parse(s, strlen(s), &r); }

#define H "Host: x\r\n"
static const char *t_parse_verdicts(void)
{
	static const struct {
		const char *in;
		long want;
	} v[] = {
		/* want 1: a whole head */
		{ "GET / HTTP/1.1\r\n" H "\r\n", 1 },
		{ "GET / HTTP/1.0\r\n\r\n", 1 },
		{ "\r\nGET / HTTP/1.1\r\n" H "\r\n", 1 },
		{ "GET / HTTP/1.1\r\n" H, 0 },
		{ "GET / HT", 0 },
		{ "GARBAGE\r\n", -400 },
		{ "GET /\r\n\r\n", -400 },
		{ "GET  / HTTP/1.1\r\n" H "\r\n", -400 },
		{ "GET / HTTP/1.1\n" H "\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: x\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n\r\n", -400 }, /* no Host */
		{ "GET / HTTP/1.1\r\n" H H "\r\n", -400 },
		{ "GET / HTTP/1.1\r\n" H "Bad Name: 1\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n" H " folded\r\n\r\n", -400 },
		{ "GET x HTTP/1.1\r\n" H "\r\n", -400 },
		{ "GET /%zz HTTP/1.1\r\n" H "\r\n", -400 },
		{ "GET /a\x01 HTTP/1.1\r\n" H "\r\n", -400 },
		{ "BREW / HTTP/1.1\r\n" H "\r\n", -501 },
		{ "get / HTTP/1.1\r\n" H "\r\n", -501 },
		{ "PUT / HTTP/1.1\r\n" H "\r\n", -501 },
		{ "GET / HTTP/2.0\r\n" H "\r\n", -505 },
		{ "GET / HTTP/0.9\r\n", -505 },
		{ "GET / HTTP/1.10\r\n", -400 },
		{ "POST / HTTP/1.1\r\n" H "Content-Length: 1048577\r\n\r\n", -413 },
		{ "POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", -413 },
		{ "POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", -400 },
		{ "POST / HTTP/1.1\r\n" H "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", -400 },
		{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", -501 },
	};
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
		long n = parse(v[i].in);
		CHECK(v[i].want == 1 ? n == (long)strlen(v[i].in) : n == v[i].want,
		      "case %u gave %ld, not %ld", i, n, v[i].want);
	}
	return NULL;
}

static const char *t_parse_fields(void)
{
	CHECK(parse("POST /fn/x%20y?q=1 HTTP/1.1\r\nhost: a\r\ncontent-length:  12 \r\n"
	            "Connection: TE, close\r\nExpect: 100-continue\r\n\r\n") > 0);
	CHECK(r.method == M_POST && !strcmp(r.path, "/fn/x y") && r.content_length == 12);
	CHECK(!r.keepalive && r.expect_continue && r.minor == 1);
	CHECK(parse("HEAD http://example.com HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") > 0);
	CHECK(r.method == M_HEAD && !strcmp(r.path, "/") && r.keepalive);
	CHECK(parse("GET http://h/a/b HTTP/1.1\r\n" H "\r\n") > 0 && !strcmp(r.path, "/a/b"));
	CHECK(parse("GET /a%00b HTTP/1.1\r\n" H "\r\n") > 0 && r.bad_path);
	CHECK(parse("GET / HTTP/1.1\r\n" H
	            "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n") > 0);
	CHECK(r.if_modified_since == 784111777);
	static char big[HEAD_MAX + 100], path[PATH_MAX_ + 100];
	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	snprintf(big, sizeof big, "GET %s HTTP/1.1\r\n" H "\r\n", path);
	CHECK(parse(big) == -414);
	snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %*s", HEAD_MAX, "y");
	CHECK(parse(big) == -431);
	return NULL;
}

static const char *t_dates(void)
{
	CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
	CHECK(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
	CHECK(http_date_parse("Sun Nov  6 08:49:37 1994") == 784111777);
	CHECK(http_date_parse("yesterday") == 0 && http_date_parse("") == 0);
	CHECK(http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT") == 0);
	char d[40];
	http_date_format(784111777, d, sizeof d);
	CHECK(!strcmp(d, "Sun, 06 Nov 1994 08:49:37 GMT"));
	http_date_format(1700000000, d, sizeof d);
	CHECK(http_date_parse(d) == 1700000000);
	return NULL;
}

static const char *t_paths(void)
{
	static const char *bad[] = { "/..",
		                     "/../x",
		                     "/a/../../x",
		                     "/a/./b",
		                     "/a\\..\\b",
		                     "x",
		                     "/.."
		                     "/" };
	static const char *good[] = { "/", "/a", "/a/b/", "/..a", "/a..", "/.hidden", "//a" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!http_path_ok(bad[i]));
	for (unsigned i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(http_path_ok(good[i]));
	char e[32];
	CHECK(http_url_escape("/a b&c\"<", e, sizeof e) == 16 && !strcmp(e, "/a%20b%26c%22%3C"));
	CHECK(http_url_escape("/abcdef", e, 4) == 4);
	return NULL;
}

static const char *t_mime(void)
{
	CHECK(!strcmp(files_mime("/a/x.html"), "text/html; charset=utf-8"));
	CHECK(!strcmp(files_mime("/x.WASM"), "application/wasm"));
	CHECK(!strcmp(files_mime("/x.json"), "application/json"));
	CHECK(!strcmp(files_mime("/d.png/x"), "application/octet-stream"));
	CHECK(!strcmp(files_mime("/noext"), "application/octet-stream"));
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_sha256, "sha256 FIPS 180-4 vectors" },
	{ t_sha256_edges, "sha256 padding edges (55, 56, 63, 64, 1024 bytes)" },
	{ t_sha256_million, "sha256 of a million 'a'" },
	{ t_parse_verdicts, "parser verdicts: heads, 400, 413, 414, 431, 501, 505" },
	{ t_parse_fields, "parser fields: path, length, Connection, Expect, dates, absolute-form" },
	{ t_dates, "HTTP dates: IMF-fixdate, RFC 850, asctime" },
	{ t_paths, "path checks and URL escaping" },
	{ t_mime, "MIME types by extension" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, "httpd "); }
