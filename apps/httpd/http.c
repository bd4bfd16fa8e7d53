// SPDX-License-Identifier: MIT
/* The HTTP/1.x request head (RFC 7230 section 3): request line, header fields,
 * and the few that matter here. Pure and bounded: every read stays inside the
 * buffer given, whatever its bytes. Also path checks, URL escaping, HTTP dates. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "http.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* tchar (RFC 7230 3.2.6): the bytes of a method or a header name */
static int is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Percent-decodes the path of an origin-form target, up to any '?' or '#'. */
static int decode_path(const char *t, size_t n, struct http_req *r)
{
	size_t o = 0;
	for (size_t i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
		int c = (unsigned char)t[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(t[i + 1]) < 0 || hexval(t[i + 2]) < 0)
				return -400;
			c = hexval(t[i + 1]) * 16 + hexval(t[i + 2]);
			i += 2;
		}
		if (o + 1 >= sizeof r->path)
			return -414;
		if (c == 0)
			r->bad_path = 1, c = '?'; /* never a real NUL in the path */
		r->path[o++] = (char)c;
	}
	r->path[o] = 0;
	return 0;
}

/* METHOD SP request-target SP HTTP/1.x, the line ending at eol ('\n'). */
static long request_line(const char *p, const char *eol, struct http_req *r)
{
	if (eol == p || eol[-1] != '\r')
		return -400;
	eol--;
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1 || sp1 == p)
		return -400;
	for (const char *c = p; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return -400;
	const char *t = sp1 + 1, *sp2 = memchr(t, ' ', (size_t)(eol - t));
	if (!sp2 || sp2 == t)
		return -400;
	for (const char *c = t; c < sp2; c++)
		if ((unsigned char)*c <= ' ' ||
		    (unsigned char)*c >= 0x7f) /* controls, NUL, non-ASCII */
			return -400;
	const char *v = sp2 + 1;
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
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
	if (v[5] != '1')
		return -505;
	r->minor = v[7] - '0';
	r->keepalive = r->minor >= 1;

	/* absolute-form (5.3.2): drop "scheme://authority", keep the path */
	size_t tlen = (size_t)(sp2 - t);
	const char *ss = tlen > 3 ? memchr(t, ':', tlen) : NULL;
	if (*t != '/' && ss && ss + 3 <= sp2 && !memcmp(ss, "://", 3)) {
		const char *path = memchr(ss + 3, '/', (size_t)(sp2 - ss - 3));
		if (!path) {
			r->path[0] = '/'; /* "http://host" alone means "/" */
			return 0;
		}
		t = path, tlen = (size_t)(sp2 - path);
	}
	if (*t != '/')
		return -400;
	return decode_path(t, tlen, r);
}

/* Connection: a comma-separated list of tokens (RFC 7230 6.1). */
static void connection(const char *v, size_t n, struct http_req *r)
{
	for (size_t i = 0; i < n;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - s == 5 && !strncasecmp(v + s, "close", 5))
			r->keepalive = -1; /* close wins over keep-alive */
		else if (i - s == 10 && !strncasecmp(v + s, "keep-alive", 10) && r->keepalive >= 0)
			r->keepalive = 1;
	}
}

/* One header field, name [p, colon), value [v, e) with OWS trimmed. */
static long header(const char *p, const char *colon, const char *v, size_t vlen, struct http_req *r,
                   int *hosts, int *lengths)
{
	size_t nlen = (size_t)(colon - p);
	if (nlen == 4 && !strncasecmp(p, "Host", 4)) {
		++*hosts;
	} else if (nlen == 14 && !strncasecmp(p, "Content-Length", 14)) {
		size_t n = 0;
		if (!vlen)
			return -400;
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -400;
			if (n > BODY_MAX)
				return -413; /* before n * 10 could overflow */
			n = n * 10 + (size_t)(v[i] - '0');
		}
		if (n > BODY_MAX)
			return -413;
		if (++*lengths > 1 && n != r->content_length)
			return -400; /* conflicting lengths: request smuggling (3.3.3) */
		r->content_length = n;
	} else if (nlen == 10 && !strncasecmp(p, "Connection", 10)) {
		connection(v, vlen, r);
	} else if (nlen == 6 && !strncasecmp(p, "Expect", 6)) {
		r->expect_continue = vlen == 12 && !strncasecmp(v, "100-continue", 12);
	} else if (nlen == 17 && !strncasecmp(p, "If-Modified-Since", 17)) {
		char tmp[64];
		if (vlen < sizeof tmp) {
			memcpy(tmp, v, vlen);
			tmp[vlen] = 0;
			r->if_modified_since = http_date_parse(tmp);
		}
	} else if (nlen == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
		return -501; /* chunked request bodies are not supported */
	}
	return 0;
}

long http_parse(const char *buf, size_t len, struct http_req *r)
{
	size_t lim = len < HEAD_MAX ? len : HEAD_MAX, s = 0;
	while (s + 1 < lim && buf[s] == '\r' && buf[s + 1] == '\n')
		s += 2; /* empty lines before a request are ignored (3.5) */
	const char *nl = memchr(buf + s, '\n', lim - s);
	if (!nl)
		return len >= HEAD_MAX ? -431 : 0;
	memset(r, 0, offsetof(struct http_req, raw_head));
	long st = request_line(buf + s, nl, r);
	if (st < 0)
		return st; /* answered as soon as the request line is in */

	/* Header fields, each "name: OWS value OWS CRLF", until the empty line. */
	int hosts = 0, lengths = 0;
	const char *p = nl + 1, *end = buf + lim;
	for (;;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			return len >= HEAD_MAX ? -431 : 0;
		if (e == p || e[-1] != '\r')
			return -400; /* a bare LF */
		if (e - 1 == p) {
			p = e + 1; /* the empty line ends the head */
			break;
		}
		const char *colon = memchr(p, ':', (size_t)(e - 1 - p));
		if (!colon || colon == p)
			return -400;
		for (const char *c = p; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return -400; /* also obs-fold and "Name :" (3.2.4) */
		const char *v = colon + 1, *ve = e - 1;
		for (const char *c = v; c < ve; c++)
			if (*c == 0 || *c == '\r')
				return -400;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((st = header(p, colon, v, (size_t)(ve - v), r, &hosts, &lengths)) < 0)
			return st;
		p = e + 1;
	}
	if (hosts > 1 || (r->minor >= 1 && hosts == 0))
		return -400; /* exactly one Host in HTTP/1.1 (5.4) */
	r->keepalive = r->keepalive > 0;
	size_t head = (size_t)(p - buf);
	memcpy(r->raw_head, buf, head);
	r->raw_len = head;
	return (long)head;
}

/* Every segment must be a plain name: no "..", no ".", no backslash. The
 * parser already decoded "%2e%2e" and "%2f" to ".." and "/", so they are
 * caught the same way; a NUL (raw or %00) never gets here (bad_path). */
int http_path_ok(const char *p)
{
	if (*p != '/' || strchr(p, '\\'))
		return 0;
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
	}
	return 1;
}

/* Percent-encodes all but unreserved bytes and '/'; returns the length, or
 * size when out is too small. */
size_t http_url_escape(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		            (c >= 'A' && c <= 'Z') || strchr("-._~/", c);
		if (o + (plain ? 1 : 3) >= size)
			return size;
		if (plain)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
	}
	out[o] = 0;
	return o;
}

const char *http_method_name(enum method m)
{
	return m == M_GET ? "GET" : m == M_HEAD ? "HEAD" : "POST";
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

/* The three forms a recipient must accept: IMF-fixdate, RFC 850, asctime. */
time_t http_date_parse(const char *s)
{
	char mon[4];
	unsigned d, y, h, mi, se;
	if (sscanf(s, "%*3s, %2u %3s %4u %2u:%2u:%2u GMT", &d, mon, &y, &h, &mi, &se) != 6 &&
	    sscanf(s, "%*3s %3s %2u %2u:%2u:%2u %4u", mon, &d, &h, &mi, &se, &y) != 6) {
		if (sscanf(s, "%*[A-Za-z], %2u-%3[A-Za-z]-%2u %2u:%2u:%2u GMT", &d, mon, &y, &h,
		           &mi, &se) != 6)
			return 0;
		y += y < 70 ? 2000 : 1900;
	}
	for (unsigned m = 0; m < 12; m++)
		if (!strcmp(mon, months[m]) && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 &&
		    y >= 1970 && y <= 9999)
			return (time_t)(days((long)y, m + 1, d) * 86400 + h * 3600 + mi * 60 + se);
	return 0;
}

void http_date_format(time_t t, char *out, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

const char *http_reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
