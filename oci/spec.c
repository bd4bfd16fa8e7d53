// SPDX-License-Identifier: MIT
/* Reads a bundle's config.json (OCI runtime spec) with jansson and keeps the fields
 * spore-oci acts on. The file is hostile: every field is type- and range-checked. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

/* The one error path of the pure parts: the message into err, -1 for the caller to return. */
int oci_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int copy(char *dst, size_t n, const char *src, const char *what, char *err, size_t errlen)
{
	if (strlen(src) >= n)
		return oci_fail(err, errlen, "config.json: %s is too long", what);
	strcpy(dst, src);
	return 0;
}

static int parse_memory(json_t *root, struct spec *s, char *err, size_t errlen)
{
	json_t *lim = json_object_get(
		json_object_get(json_object_get(json_object_get(root, "linux"), "resources"),
	                        "memory"),
		"limit");

	s->mem_mib = OCI_MEM_DEFAULT;
	if (!lim || json_is_null(lim))
		return 0;
	if (!json_is_integer(lim))
		return oci_fail(err, errlen,
		                "config.json: linux.resources.memory.limit is not an integer");
	json_int_t v = json_integer_value(lim);
	if (v == -1) /* the spec's "unlimited" */
		return 0;
	if (v < (json_int_t)OCI_MEM_MIN << 20 || v > (json_int_t)OCI_MEM_MAX << 20)
		return oci_fail(err, errlen,
		                "config.json: memory limit %lld bytes is outside %d MiB..%d MiB "
		                "(the guest's RAM)",
		                (long long)v, OCI_MEM_MIN, OCI_MEM_MAX);
	s->mem_mib = (unsigned)(v >> 20);
	return 0;
}

static int parse_process(json_t *root, struct spec *s, char *err, size_t errlen)
{
	json_t *proc = json_object_get(root, "process");
	json_t *args = json_object_get(proc, "args");
	size_t i;
	json_t *v;

	if (!json_is_object(proc))
		return oci_fail(err, errlen, "config.json: no process object");
	if (!json_is_array(args) || json_array_size(args) == 0)
		return oci_fail(err, errlen, "config.json: process.args is missing or empty");
	if (json_array_size(args) > OCI_MAX_ARGS)
		return oci_fail(err, errlen, "config.json: more than %d process.args",
		                OCI_MAX_ARGS);
	json_array_foreach(args, i, v)
	{
		if (!json_is_string(v))
			return oci_fail(err, errlen,
			                "config.json: process.args[%zu] is not a string", i);
		s->args[s->nargs++] = strdup(json_string_value(v));
	}
	if (s->args[0][0] == '\0')
		return oci_fail(err, errlen, "config.json: process.args[0] is empty");
	s->terminal = json_is_true(json_object_get(proc, "terminal"));
	strcpy(s->path_env, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	json_array_foreach(json_object_get(proc, "env"), i, v)
	{
		const char *e = json_string_value(v);
		if (e && strncmp(e, "PATH=", 5) == 0 &&
		    copy(s->path_env, sizeof s->path_env, e + 5, "PATH", err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_linux(json_t *root, struct spec *s, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(json_object_get(root, "linux"), "namespaces"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *path = json_string_value(json_object_get(v, "path"));
		if (!type || strcmp(type, "network") != 0)
			continue;
		s->has_netns_entry = 1;
		if (path && copy(s->netns, sizeof s->netns, path, "the network namespace path", err,
		                 errlen) < 0)
			return -1;
	}
	const char *cg =
		json_string_value(json_object_get(json_object_get(root, "linux"), "cgroupsPath"));
	if (cg && copy(s->cgroup, sizeof s->cgroup, cg, "linux.cgroupsPath", err, errlen) < 0)
		return -1;
	json_array_foreach(json_object_get(root, "mounts"), i, v)
	{
		const char *dst = json_string_value(json_object_get(v, "destination"));
		if (dst && s->nmounts < (int)(sizeof s->mounts / sizeof s->mounts[0]))
			s->mounts[s->nmounts++] = strdup(dst);
	}
	return 0;
}

int spec_parse(const char *text, const char *bundle, struct spec *s, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	int rc = -1;

	memset(s, 0, sizeof *s);
	if (!root)
		return oci_fail(err, errlen, "config.json: invalid JSON at line %d: %s", je.line,
		                je.text);
	if (!json_is_object(root)) {
		oci_fail(err, errlen, "config.json: not a JSON object");
		goto out;
	}
	const char *rp = json_string_value(json_object_get(json_object_get(root, "root"), "path"));
	if (!rp || !*rp) {
		oci_fail(err, errlen, "config.json: root.path is missing");
		goto out;
	}
	int n = rp[0] == '/' ? snprintf(s->rootfs, sizeof s->rootfs, "%s", rp)
	                     : snprintf(s->rootfs, sizeof s->rootfs, "%s/%s", bundle, rp);
	if (n < 0 || (size_t)n >= sizeof s->rootfs) {
		oci_fail(err, errlen, "config.json: root.path is too long");
		goto out;
	}
	if (parse_process(root, s, err, errlen) < 0 || parse_memory(root, s, err, errlen) < 0 ||
	    parse_linux(root, s, err, errlen) < 0)
		goto out;
	json_t *ann = json_object_get(root, "annotations");
	const char *vmm = json_string_value(json_object_get(ann, "org.spore.vmm"));
	if (vmm) {
		if (strcmp(vmm, "spore-kvm") != 0 && strcmp(vmm, "qemu") != 0) {
			oci_fail(
				err, errlen,
				"config.json: annotation org.spore.vmm is '%.40s' (want spore-kvm or qemu)",
				vmm);
			goto out;
		}
		strcpy(s->vmm, vmm);
	}
	s->annotations_json = json_is_object(ann) ? json_dumps(ann, JSON_COMPACT) : strdup("{}");
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int spec_load(const char *bundle, struct spec *s, char *err, size_t errlen)
{
	char path[4200];
	FILE *f;
	long len;
	char *text;

	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "%s/config.json", bundle);
	if (!(f = fopen(path, "r")))
		return oci_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || len > (16 << 20) ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return oci_fail(err, errlen, "%s: unreadable or larger than 16 MiB", path);
	}
	text = calloc(1, (size_t)len + 1);
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		return oci_fail(err, errlen, "%s: read failed", path);
	}
	fclose(f);
	int rc = spec_parse(text, bundle, s, err, errlen);
	free(text);
	return rc;
}

void spec_free(struct spec *s)
{
	for (int i = 0; i < s->nargs; i++)
		free(s->args[i]);
	for (int i = 0; i < s->nmounts; i++)
		free(s->mounts[i]);
	free(s->annotations_json);
	memset(s, 0, sizeof *s);
}
