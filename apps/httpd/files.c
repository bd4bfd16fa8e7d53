// SPDX-License-Identifier: MIT
/* Static files under the document root: path checks (nothing resolves outside
 * the root; symbolic links inside it are followed), MIME types by extension,
 * index.html or a generated directory listing. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "http.h"

static const struct {
	const char *ext, *type;
} mime[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
};

const char *files_mime(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (unsigned i = 0; i < sizeof mime / sizeof mime[0]; i++)
			if (!strcasecmp(dot + 1, mime[i].ext))
				return mime[i].type;
	return "application/octet-stream";
}

/* Appends s to the growing buffer *b, HTML-escaped when html is set. */
static int put(char **b, size_t *len, size_t *cap, const char *s, int html)
{
	for (; *s; s++) {
		const char *q = !html        ? NULL
		                : *s == '&'  ? "&amp;"
		                : *s == '<'  ? "&lt;"
		                : *s == '>'  ? "&gt;"
		                : *s == '"'  ? "&quot;"
		                : *s == '\'' ? "&#39;"
		                             : NULL;
		size_t n = q ? strlen(q) : 1;
		if (*len + n + 1 > *cap) {
			char *nb = realloc(*b, *cap * 2 + n);
			if (!nb)
				return -1;
			*b = nb, *cap = *cap * 2 + n;
		}
		memcpy(*b + *len, q ? q : s, n);
		*len += n;
	}
	(*b)[*len] = 0;
	return 0;
}

/* An HTML list of dir's entries (dot files left out), links relative to it. */
static void listing(const char *dir, const char *urlpath, struct reply *out)
{
	size_t cap = 1024, len = 0;
	char *b = malloc(cap), esc[3 * 256 + 1];
	DIR *d = b ? opendir(dir) : NULL;
	int err = !d;
	err = err || put(&b, &len, &cap, "<!DOCTYPE html>\n<html><head><title>Index of ", 0) ||
	      put(&b, &len, &cap, urlpath, 1) ||
	      put(&b, &len, &cap, "</title></head><body><h1>Index of ", 0) ||
	      put(&b, &len, &cap, urlpath, 1) || put(&b, &len, &cap, "</h1>\n<ul>\n", 0);
	for (struct dirent *e; !err && (e = readdir(d));) {
		if (e->d_name[0] == '.' ||
		    http_url_escape(e->d_name, esc, sizeof esc) >= sizeof esc)
			continue;
		const char *slash = e->d_type == DT_DIR ? "/" : "";
		err = put(&b, &len, &cap, "<li><a href=\"", 0) || put(&b, &len, &cap, esc, 1) ||
		      put(&b, &len, &cap, slash, 0) || put(&b, &len, &cap, "\">", 0) ||
		      put(&b, &len, &cap, e->d_name, 1) || put(&b, &len, &cap, slash, 0) ||
		      put(&b, &len, &cap, "</a></li>\n", 0);
	}
	err = err || put(&b, &len, &cap, "</ul>\n</body></html>\n", 0);
	if (d)
		closedir(d);
	if (err) {
		free(b);
		out->status = 500;
		return;
	}
	out->status = 200;
	out->type = "text/html; charset=utf-8";
	out->body = b;
	out->len = len;
}

void files_get(const char *root, const struct http_req *r, struct reply *out)
{
	char full[PATH_MAX_ + 512];
	struct stat st;

	*out = (struct reply){ .status = 404, .fd = -1 };
	if (r->bad_path || !http_path_ok(r->path)) {
		out->status = 403;
		return;
	}
	size_t plen = strlen(r->path);
	int n = snprintf(full, sizeof full, "%s%s", root, r->path);
	if (n < 0 || (size_t)n >= sizeof full - sizeof "/index.html" || stat(full, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		if (r->path[plen - 1] != '/') {
			out->status = 301; /* so that relative links resolve inside it */
			out->redirect = 1;
			return;
		}
		size_t flen = strlen(full);
		strcpy(full + flen, "index.html");
		if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
			full[flen] = 0;
			listing(full, r->path, out);
			return;
		}
	}
	if (!S_ISREG(st.st_mode))
		return;
	out->mtime = st.st_mtime;
	out->type = files_mime(full);
	out->len = (size_t)st.st_size;
	if (r->if_modified_since && st.st_mtime <= r->if_modified_since) {
		out->status = 304;
		return;
	}
	out->fd = r->method == M_HEAD ? -1 : open(full, O_RDONLY);
	out->status = r->method == M_HEAD || out->fd >= 0 ? 200 : 403;
}
