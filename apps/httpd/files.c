// SPDX-License-Identifier: MIT
/* Static files under the document root: path checks (nothing ever resolves
 * outside the root), MIME types by extension, index.html or a generated
 * directory listing. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "http.h"

static const struct { const char *ext, *type; } mime[] = {
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "css", "text/css" }, { "js", "text/javascript" }, { "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" }, { "png", "image/png" }, { "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" }, { "gif", "image/gif" }, { "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" }, { "wasm", "application/wasm" }, { "pdf", "application/pdf" },
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

/* Every segment must be a plain name: no "..", no ".", no backslash. The
 * parser already refused NUL and bad escapes; decoded "%2e%2e" and "%2f"
 * arrive here as ".." and "/", so they are caught the same way. */
static int path_ok(const char *p)
{
	if (strchr(p, '\\'))
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

static void listing(const char *dir, const char *urlpath, struct reply *out)
{
	DIR *d = opendir(dir);
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	if (!d || !b) {
		free(b);
		if (d)
			closedir(d);
		out->status = 500;
		return;
	}
	len += (size_t)snprintf(b, cap, "<!DOCTYPE html>\n<html><head><title>Index of %s</title></head>"
			       "<body><h1>Index of %s</h1><ul>\n", urlpath, urlpath);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t need = 2 * strlen(e->d_name) + 64;
		if (len + need > cap) {
			char *nb = realloc(b, cap = 2 * cap + need);
			if (!nb)
				break;
			b = nb;
		}
		len += (size_t)snprintf(b + len, cap - len, "<li><a href=\"%s%s\">%s</a></li>\n",
				       e->d_name, e->d_type == DT_DIR ? "/" : "", e->d_name);
	}
	closedir(d);
	if (len + 32 > cap) {
		char *nb = realloc(b, cap = len + 32);
		if (nb)
			b = nb;
	}
	len += (size_t)snprintf(b + len, cap - len, "</ul></body></html>\n");
	out->status = 200;
	out->type = "text/html; charset=utf-8";
	out->body = b;
	out->len = len;
}

void files_get(const char *root, const struct http_req *r, struct reply *out)
{
	char full[2048];
	struct stat st;

	*out = (struct reply){ .status = 404, .fd = -1 };
	if (!path_ok(r->path)) {
		out->status = 403;
		return;
	}
	int n = snprintf(full, sizeof full, "%s/%s", root, r->path);
	if (n < 0 || (size_t)n >= sizeof full - 12 || stat(full, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		char idx[2048 + 12];
		snprintf(idx, sizeof idx, "%s/index.html", full);
		if (stat(idx, &st) < 0 || !S_ISREG(st.st_mode)) {
			listing(full, r->path, out);
			return;
		}
		strcpy(full, idx);
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
