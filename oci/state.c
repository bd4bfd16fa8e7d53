// SPDX-License-Identifier: MIT
/* A container's state under --root: ROOT/ID/spore.json (spore-oci's own record, a name
 * runc never reads) and ROOT/ID/exec.fifo while created-but-not-started. Status comes
 * from the supervisor's pid checked against its recorded start time (no pid reuse). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

/* runc's rule: letters, digits, and _ + - . ; not "." or "..". */
int state_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 200 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

void state_dir(const char *id, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", opt.root, id);
}

int state_exists(const char *id)
{
	char p[4400];

	if (!state_valid_id(id))
		return 0;
	snprintf(p, sizeof p, "%s/%s/spore.json", opt.root, id);
	return access(p, F_OK) == 0;
}

/* Field 22 of /proc/PID/stat; 0 when the process is gone or a zombie. */
unsigned long long state_proc_start(pid_t pid)
{
	char p[64], buf[1024];
	unsigned long long start = 0;

	if (pid <= 0)
		return 0;
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	char st;
	if (!s ||
	    sscanf(s + 1,
	           " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
	           &st, &start) != 2 ||
	    st == 'Z' || st == 'X')
		return 0;
	return start;
}

int state_save(const struct state *st)
{
	char dir[4400], tmp[4500], path[4500];
	json_t *ann = json_loads(st->annotations_json ? st->annotations_json : "{}", 0, NULL);
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "cgroup",
		st->cgroup, "id", st->id, "bundle", st->bundle, "rootfs", st->rootfs, "created",
		st->created, "vmm", st->vmm, "netns", st->netns, "pid", (json_int_t)st->pid,
		"vmmPid", (json_int_t)st->vmm_pid, "starttime", (json_int_t)st->starttime,
		"memoryMiB", (json_int_t)st->mem_mib, "annotations", ann ? ann : json_object());

	state_dir(st->id, dir, sizeof dir);
	snprintf(tmp, sizeof tmp, "%s/.spore.json.%d", dir, (int)getpid());
	snprintf(path, sizeof path, "%s/spore.json", dir);
	int rc = o ? json_dump_file(o, tmp, JSON_COMPACT) : -1;
	json_decref(o);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int state_load(const char *id, struct state *st, char *err, size_t errlen)
{
	char path[4500];
	json_error_t je;

	memset(st, 0, sizeof *st);
	if (!state_valid_id(id))
		return oci_fail(err, errlen, "invalid container id '%.60s'", id);
	snprintf(path, sizeof path, "%s/%s/spore.json", opt.root, id);
	json_t *o = json_load_file(path, 0, &je);
	if (!o)
		return oci_fail(err, errlen, "container %s does not exist (%s)", id,
		                access(path, F_OK) == 0 ? "its state file is damaged" : "no state");
	const char *b = json_string_value(json_object_get(o, "bundle"));
	const char *r = json_string_value(json_object_get(o, "rootfs"));
	const char *c = json_string_value(json_object_get(o, "created"));
	const char *v = json_string_value(json_object_get(o, "vmm"));
	const char *n = json_string_value(json_object_get(o, "netns"));
	const char *cg = json_string_value(json_object_get(o, "cgroup"));
	json_t *ann = json_object_get(o, "annotations");
	if (!b || !r || !c || !v || !n || strlen(b) >= sizeof st->bundle ||
	    strlen(r) >= sizeof st->rootfs || strlen(c) >= sizeof st->created ||
	    strlen(v) >= sizeof st->vmm || strlen(n) >= sizeof st->netns || !cg ||
	    strlen(cg) >= sizeof st->cgroup) {
		json_decref(o);
		return oci_fail(err, errlen, "container %s: state file %s is damaged", id, path);
	}
	snprintf(st->id, sizeof st->id, "%s", id);
	strcpy(st->bundle, b);
	strcpy(st->rootfs, r);
	strcpy(st->created, c);
	strcpy(st->vmm, v);
	strcpy(st->netns, n);
	strcpy(st->cgroup, cg);
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->vmm_pid = (pid_t)json_integer_value(json_object_get(o, "vmmPid"));
	st->starttime = (unsigned long long)json_integer_value(json_object_get(o, "starttime"));
	st->mem_mib = (unsigned)json_integer_value(json_object_get(o, "memoryMiB"));
	st->annotations_json = json_is_object(ann) ? json_dumps(ann, JSON_COMPACT) : strdup("{}");
	json_decref(o);
	return 0;
}

const char *state_status(const struct state *st)
{
	char fifo[4500];

	if (st->pid <= 0)
		return "creating";
	if (state_proc_start(st->pid) != st->starttime || st->starttime == 0)
		return "stopped";
	snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", opt.root, st->id);
	return access(fifo, F_OK) == 0 ? "created" : "running";
}

/* runc's state JSON (what `runc state` prints), with spore's VMM facts added. */
char *state_json(const struct state *st)
{
	const char *status = state_status(st);
	json_t *ann = json_loads(st->annotations_json ? st->annotations_json : "{}", 0, NULL);
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:I, s:I}}",
	                      "ociVersion", OCI_SPEC, "id", st->id, "pid",
	                      (json_int_t)(strcmp(status, "stopped") == 0 ? 0 : st->pid), "status",
	                      status, "bundle", st->bundle, "rootfs", st->rootfs, "created",
	                      st->created, "owner", "", "annotations", ann ? ann : json_object(),
	                      "spore", "vmm", st->vmm, "vmmPid", (json_int_t)st->vmm_pid,
	                      "memoryMiB", (json_int_t)st->mem_mib);
	char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	return s;
}

void state_remove(const char *id)
{
	char dir[4400], p[4800];
	DIR *d;
	struct dirent *e;

	if (!state_valid_id(id))
		return;
	state_dir(id, dir, sizeof dir);
	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
}
