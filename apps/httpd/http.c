// SPDX-License-Identifier: MIT
/* The HTTP/1.x request head: request line, headers, and the few that matter
 * (Content-Length, Connection, If-Modified-Since). Pure and bounded: every
 * read stays inside the buffer given, whatever its bytes. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "http.h"

static const char *find_end(const char *b, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (b[i - 3] == '\r' && b[i - 2] == '\n' && b[i - 1] == '\r' && b[i] == '\n')
			return b + i + 1;
	return NULL;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes the path part of the target; -1 on a bad escape or NUL. */
static int decode_path(const char *t, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
		int c = (unsigned char)t[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(t[i + 1]) < 0 || hexval(t[i + 2]) < 0)
				return -1;
			c = hexval(t[i + 1]) * 16 + hexval(t[i + 2]);
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long days(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + (long)(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" only (the form servers send back). */
time_t http_date_parse(const char *s)
{
	char mon[4];
	unsigned d, y, h, mi, se;
	if (sscanf(s, "%*3s, %2u %3s %4u %2u:%2u:%2u GMT", &d, mon, &y, &h, &mi, &se) != 6)
		return 0;
	for (unsigned m = 0; m < 12; m++)
		if (!strcmp(mon, months[m]) && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 && y >= 1970)
			return (time_t)(days((long)y, m + 1, d) * 86400 + h * 3600 + mi * 60 + se);
	return 0;
}

void http_date_format(time_t t, char *out, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

long http_parse(const char *buf, size_t len, struct http_req *r)
{
	const char *end = find_end(buf, len < HEAD_MAX ? len : HEAD_MAX);
	if (!end)
		return len >= HEAD_MAX ? -431 : 0;
	size_t head = (size_t)(end - buf);
	memset(r, 0, offsetof(struct http_req, raw_head));
	memcpy(r->raw_head, buf, head);
	r->raw_len = head;

	/* Request line: METHOD SP TARGET SP HTTP/1.x CRLF */
	const char *p = buf, *eol = memchr(buf, '\r', head);
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1 || sp1 == p)
		return -400;
	for (const char *c = p; c < sp1; c++)
		if (!isupper((unsigned char)*c))
			return -400;
	size_t mlen = (size_t)(sp1 - p);
	if (mlen == 3 && !memcmp(p, "GET", 3))
		r->method = M_GET;
	else if (mlen == 4 && !memcmp(p, "HEAD", 4))
		r->method = M_HEAD;
	else if (mlen == 4 && !memcmp(p, "POST", 4))
		r->method = M_POST;
	else
		return -501;
	const char *t = sp1 + 1, *sp2 = memchr(t, ' ', (size_t)(eol - t));
	if (!sp2 || sp2 == t || *t != '/')
		return -400;
	if (decode_path(t, (size_t)(sp2 - t), r->path, sizeof r->path) < 0)
		return -400;
	const char *v = sp2 + 1;
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) || v[6] != '.' ||
	    !isdigit((unsigned char)v[7]))
		return -400;
	if (v[5] != '1')
		return -505;
	r->minor = v[7] - '0';
	r->keepalive = r->minor >= 1;

	/* Headers: NAME: VALUE CRLF, until the empty line. */
	for (p = eol + 2; p < end - 2;) {
		const char *e = memchr(p, '\r', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(e - p));
		if (!colon || colon == p || e[1] != '\n')
			return -400;
		const char *val = colon + 1;
		while (val < e && (*val == ' ' || *val == '\t'))
			val++;
		size_t nlen = (size_t)(colon - p), vlen = (size_t)(e - val);
		char tmp[128];
		if (nlen == 14 && !strncasecmp(p, "Content-Length", 14)) {
			size_t n = 0;
			if (!vlen || vlen > 10)
				return vlen > 10 ? -413 : -400;
			for (size_t i = 0; i < vlen; i++) {
				if (!isdigit((unsigned char)val[i]))
					return -400;
				n = n * 10 + (size_t)(val[i] - '0');
			}
			if (n > BODY_MAX)
				return -413;
			r->content_length = n;
		} else if (nlen == 10 && !strncasecmp(p, "Connection", 10)) {
			if (vlen == 5 && !strncasecmp(val, "close", 5))
				r->keepalive = 0;
			else if (vlen == 10 && !strncasecmp(val, "keep-alive", 10))
				r->keepalive = 1;
		} else if (nlen == 17 && !strncasecmp(p, "If-Modified-Since", 17) && vlen < sizeof tmp) {
			memcpy(tmp, val, vlen);
			tmp[vlen] = 0;
			r->if_modified_since = http_date_parse(tmp);
		} else if (nlen == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
			return -501;   /* chunked request bodies are not supported */
		}
		p = e + 2;
	}
	return (long)head;
}

const char *http_reason(int s)
{
	switch (s) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
