// SPDX-License-Identifier: MIT
/* The rootfs's files (all but the spore image itself, the runtime's mount points and
 * /proc, /sys, /dev) as one ustar archive, spore's read-only root filesystem. Packed once:
 * the cache key is a SHA-256 of the listing (paths, modes, sizes, mtimes, link targets), so
 * a second container from the same image reuses the archive without reading its files.
 * Also: quoting an app argument for the guest's command line (kernel/cmdline.c's rules). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

struct walk {
	const struct spec *s;
	const char *skip_rel; /* the spore image */
	EVP_MD_CTX *md;       /* the listing's hash (NULL while writing) */
	FILE *out;            /* the archive (NULL while hashing) */
	int count;
	unsigned long long bytes; /* the archive's size, counted while hashing */
	char *err;
	size_t errlen;
};

static int skipped(const struct walk *w, const char *rel)
{
	if (strcmp(rel, w->skip_rel) == 0 || strcmp(rel, "proc") == 0 || strcmp(rel, "sys") == 0 ||
	    strcmp(rel, "dev") == 0)
		return 1;
	for (int i = 0; i < w->s->nmounts; i++) {
		const char *m = w->s->mounts[i];
		while (*m == '/')
			m++;
		if (strcmp(rel, m) == 0)
			return 1;
	}
	return 0;
}

static void octal(char *dst, size_t n, unsigned long long v)
{
	snprintf(dst, n, "%0*llo", (int)n - 1, v);
}

static int header(struct walk *w, const char *rel, const struct stat *sb, char type,
                  const char *link)
{
	unsigned char h[512] = { 0 };
	size_t len = strlen(rel);
	const char *name = rel;

	if (len > 100) { /* ustar: prefix (155) '/' name (100) */
		const char *cut = NULL;
		for (const char *p = rel; *p; p++)
			if (*p == '/' && p - rel <= 155 && len - (size_t)(p - rel) - 1 <= 100)
				cut = p;
		if (!cut || cut == rel)
			return oci_fail(w->err, w->errlen,
			                "rootfs path too long for ustar: %.80s...", rel);
		memcpy(h + 345, rel, (size_t)(cut - rel));
		name = cut + 1;
	}
	if (link && strlen(link) > 100)
		return oci_fail(w->err, w->errlen, "symlink target too long for ustar: %.80s", rel);
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, sb->st_mode & 07777);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, type == '0' ? (unsigned long long)sb->st_size : 0);
	/* Directories and links get mtime 0: podman makes some per container (etc/,
	 * etc/mtab), which would otherwise defeat the cache. */
	octal((char *)h + 136, 12, type != '0' ? 0 : (unsigned long long)sb->st_mtime);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	if (w->md) {
		if (type == '0')
			w->bytes += ((unsigned long long)sb->st_size + 511) / 512 * 512;
		w->bytes += 512;
		return EVP_DigestUpdate(w->md, h, sizeof h) == 1 ? 0 : -1;
	}
	return fwrite(h, 1, sizeof h, w->out) == sizeof h
	               ? 0
	               : oci_fail(w->err, w->errlen, "writing the initrd failed");
}

static int body(struct walk *w, const char *path, off_t size)
{
	static char buf[1 << 16];
	/* O_NONBLOCK: a file swapped for a FIFO since lstat must not hang the runtime. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	off_t done = 0;
	struct stat sb;

	if (fd < 0)
		return oci_fail(w->err, w->errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return oci_fail(w->err, w->errlen, "%s changed type while being packed", path);
	}
	while (done < size) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		if (n > size - done)
			n = (ssize_t)(size - done);
		fwrite(buf, 1, (size_t)n, w->out);
		done += n;
	}
	close(fd);
	if (done != size)
		return oci_fail(w->err, w->errlen, "%s changed size while being packed", path);
	static const char zero[512];
	fwrite(zero, 1, (size_t)((512 - size % 512) % 512), w->out);
	return ferror(w->out) ? oci_fail(w->err, w->errlen, "writing the initrd failed") : 0;
}

/* Sorted, so the same files give the same archive and key. */
static int walk_dir(struct walk *w, const char *rel)
{
	char dir[8192], path[8192], sub[4096], link[4096];
	struct dirent **ents;
	int n, rc = 0;

	snprintf(dir, sizeof dir, "%s%s%s", w->s->rootfs, *rel ? "/" : "", rel);
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return oci_fail(w->err, w->errlen, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		struct stat sb;
		if (rc < 0 || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm) >=
		    sizeof sub) {
			rc = oci_fail(w->err, w->errlen, "rootfs path too long");
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", w->s->rootfs, sub);
		if (skipped(w, sub) || lstat(path, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			rc = header(w, sub, &sb, '5', NULL);
			if (rc == 0)
				rc = walk_dir(w, sub);
		} else if (S_ISREG(sb.st_mode)) {
			rc = header(w, sub, &sb, '0', NULL);
			if (rc == 0 && w->out)
				rc = body(w, path, sb.st_size);
		} else if (S_ISLNK(sb.st_mode)) {
			ssize_t l = readlink(path, link, sizeof link - 1);
			if (l < 0)
				continue;
			link[l] = '\0';
			rc = header(w, sub, &sb, '2', link);
		} else {
			continue; /* devices, fifos, sockets: not in a read-only ustar root */
		}
		w->count++;
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* out = the cached archive's path, or "" when the rootfs holds nothing but the image.
 * An archive larger than max_bytes is refused before anything is written. */
int initrd_pack(const struct spec *s, const char *image_rel, const char *cache_dir,
                unsigned long long max_bytes, char *out, size_t outlen, char *err, size_t errlen)
{
	struct walk w = { .s = s, .skip_rel = image_rel, .err = err, .errlen = errlen };
	unsigned char md[32];
	char hex[65], tmp[4200];
	unsigned mdlen = 0;

	w.md = EVP_MD_CTX_new();
	if (!w.md || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(w.md);
		return oci_fail(err, errlen, "SHA-256 unavailable");
	}
	int rc = walk_dir(&w, "");
	EVP_DigestFinal_ex(w.md, md, &mdlen);
	EVP_MD_CTX_free(w.md);
	w.md = NULL;
	if (rc < 0)
		return -1;
	out[0] = '\0';
	if (w.count == 0)
		return 0;
	if (w.bytes + 1024 > max_bytes)
		return oci_fail(err, errlen,
		                "the rootfs's files (%llu KiB as an initrd) need more than half of "
		                "the guest's %llu MiB: raise the memory limit",
		                (w.bytes + 1024) >> 10, (max_bytes * 2) >> 20);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	if ((size_t)snprintf(out, outlen, "%s/%s.tar", cache_dir, hex) >= outlen)
		return oci_fail(err, errlen, "cache path too long");
	if (access(out, R_OK) == 0)
		return 0; /* packed before */
	mkdir(cache_dir, 0700);
	snprintf(tmp, sizeof tmp, "%s/.%s.%d", cache_dir, hex, (int)getpid());
	if (!(w.out = fopen(tmp, "wx")))
		return oci_fail(err, errlen, "%s: %s", tmp, strerror(errno));
	w.count = 0;
	rc = walk_dir(&w, "");
	static const char end[1024];
	if (rc == 0 && fwrite(end, 1, sizeof end, w.out) != sizeof end)
		rc = oci_fail(err, errlen, "writing the initrd failed");
	if (fclose(w.out) != 0 && rc == 0)
		rc = oci_fail(err, errlen, "writing the initrd failed");
	if (rc == 0 && rename(tmp, out) < 0)
		rc = oci_fail(err, errlen, "%s: %s", out, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* kernel/cmdline.c: quotes group a word, no escapes. A word with a blank or a quote is
 * written as quoted runs: ' inside "...", everything else inside '...'. -1 if it won't fit. */
int initrd_quote(const char *arg, char *out, size_t outlen)
{
	size_t o = 0;
	int plain = *arg != '\0';

	for (const char *p = arg; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\'' || *p == '"')
			plain = 0;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (o + 1 >= outlen)                                                               \
			return -1;                                                                 \
		out[o++] = (c);                                                                    \
	} while (0)
	if (plain) {
		for (const char *p = arg; *p; p++)
			PUT(*p);
	} else if (!*arg) {
		PUT('\'');
		PUT('\'');
	} else {
		for (const char *p = arg; *p;) {
			char q = *p == '\'' ? '"' : '\'';
			PUT(q);
			while (*p && (q == '"' ? *p == '\'' : *p != '\''))
				PUT(*p++);
			PUT(q);
		}
	}
	out[o] = '\0';
	return 0;
#undef PUT
}
