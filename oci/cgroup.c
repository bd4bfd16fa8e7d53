// SPDX-License-Identifier: MIT
/* Puts the supervisor (and so the VMM it forks) in the container's cgroup, linux.cgroupsPath,
 * on every mounted hierarchy (cgroup v2, or each v1 controller of a hybrid host), so the
 * engine's accounting (podman stats) sees the VM; and removes those cgroups at delete. No limits
 * are written: the memory limit is the guest's RAM, and QEMU's own ~40 MiB would trip it.
 * cgroupfs paths only; a systemd "slice:prefix:name" path is left alone (logged). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

#define CG_ROOT "/sys/fs/cgroup"

/* A path we will create: absolute after a leading '/', no "..", no empty result. */
int cgroup_path_ok(const char *p)
{
	if (!p || !*p || strchr(p, ':') || strlen(p) > 1024)
		return 0;
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return 0;
	return strspn(p, "/") < strlen(p);
}

/* Calls fn on each hierarchy's directory for path; returns how many succeeded. */
static int each(const char *path, int (*fn)(const char *dir, void *arg), void *arg)
{
	char dir[2048];
	int n = 0;

	if (access(CG_ROOT "/cgroup.controllers", F_OK) == 0) { /* v2 only */
		snprintf(dir, sizeof dir, "%s/%s", CG_ROOT, path + strspn(path, "/"));
		return fn(dir, arg) == 0;
	}
	DIR *d = opendir(CG_ROOT);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char probe[1024];
		if (e->d_name[0] == '.')
			continue;
		snprintf(probe, sizeof probe, "%s/%s/cgroup.procs", CG_ROOT, e->d_name);
		if (access(probe, F_OK) != 0) /* a symlink such as cpu,cpuacct -> cpu is met once */
			continue;
		struct stat sb;
		snprintf(probe, sizeof probe, "%s/%s", CG_ROOT, e->d_name);
		if (lstat(probe, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		snprintf(dir, sizeof dir, "%s/%s/%s", CG_ROOT, e->d_name, path + strspn(path, "/"));
		n += fn(dir, arg) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static int mkdirs(const char *dir)
{
	char p[2048];

	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + strlen(CG_ROOT) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int join_one(const char *dir, void *arg)
{
	char procs[2100], pid[32];

	if (mkdirs(dir) < 0)
		return -1;
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int n = snprintf(pid, sizeof pid, "%d", *(pid_t *)arg);
	int rc = write(fd, pid, (size_t)n) == n ? 0 : -1;
	close(fd);
	return rc;
}

static int remove_one(const char *dir, void *arg)
{
	(void)arg;
	/* The VMM may take a moment to leave after SIGKILL; rmdir fails while it is there. */
	for (int i = 0; i < 50; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		usleep(20000);
	}
	return -1;
}

int cgroup_join(const char *path, pid_t pid)
{
	return cgroup_path_ok(path) ? each(path, join_one, &pid) : 0;
}

void cgroup_remove(const char *path)
{
	if (cgroup_path_ok(path))
		each(path, remove_one, NULL);
}
