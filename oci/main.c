// SPDX-License-Identifier: MIT
/* spore-oci: runc's command line (create, start, state, kill, delete, run, list, features,
 * --version) for the parts podman, conmon and containerd's runc shim use. A bundle whose
 * process.args[0] is a spore image boots as a VM; any other bundle, and any container this
 * runtime did not create, goes to runc with the same argv. Trusts no bundle and no state file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

struct opts opt = { .root = "/run/spore-oci" };
static char **orig_argv;
static const char *cur_id = "";

static void log_line(const char *level, const char *msg)
{
	struct timespec ts;
	char when[64];
	struct tm tm;

	if (!opt.log)
		return;
	FILE *f = fopen(opt.log, "a");
	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%09ldZ", ts.tv_nsec);
	if (opt.log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s)
			fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fclose(f);
}

void oci_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "spore-oci: %s\n", msg);
	log_line("error", msg);
}

void oci_info(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_line("info", msg);
}

/* Hands the whole command to runc. SPORE_OCI_RUNC names another binary (tests). */
static int passthrough(const char *why)
{
	const char *runc = getenv("SPORE_OCI_RUNC");

	if (!runc || !*runc)
		runc = "runc";
	oci_info("%s%s: handing it to %s", cur_id, why, runc);
	orig_argv[0] = (char *)runc;
	execvp(runc, orig_argv);
	oci_err("%s%s, and runc cannot run it: %s: %s", *cur_id ? cur_id : "this", why, runc,
	        strerror(errno));
	return 1;
}

static void now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static int mkdir_p(const char *path)
{
	char p[PATH_MAX];

	if (strlen(path) >= sizeof p)
		return -1;
	strcpy(p, path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0711);
			*s = '/';
		}
	return mkdir(p, 0711) == 0 || errno == EEXIST ? 0 : -1;
}

static volatile sig_atomic_t got_sig;
static volatile pid_t vmm_pid;

static void on_sig(int sig)
{
	got_sig = sig;
	/* SIGTERM (podman stop) asks the guest to end; spore has no shutdown request
	 * from QEMU's side yet, so the VMM is stopped: its guest has no state to lose. */
	if (vmm_pid > 0)
		kill(vmm_pid, sig == SIGKILL ? SIGKILL : SIGTERM);
}

/* The supervisor: the container's pid. It waits for `start`, runs the VMM as its child
 * (which dies with it: PDEATHSIG) and exits with the guest's status, or dies by the signal
 * that stopped it, as a process in a container would. */
static void supervise(struct state *st, char **vargv, int ready_fd)
{
	char fifo[4500];
	int ws;

	prctl(PR_SET_NAME, "spore-oci-vm");
	snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", opt.root, st->id);
	if (write(ready_fd, "", 1) != 1)
		_exit(1);
	close(ready_fd);
	int ff = open(fifo, O_WRONLY | O_CLOEXEC); /* blocks until `start` opens it */
	if (ff < 0 || write(ff, "0", 1) != 1)
		_exit(1);
	close(ff);

	struct sigaction sa = { .sa_handler = on_sig };
	sigemptyset(&sa.sa_mask);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(137);
		execvp(vargv[0], vargv);
		fprintf(stderr, "spore-oci: cannot run %s: %s\n", vargv[0], strerror(errno));
		_exit(127);
	}
	vmm_pid = pid;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		_exit(1);
	/* The record create wrote (its copy of st predates our pid and cgroup), plus the VMM's pid.
	 */
	struct state cur;
	char err[256];
	if (state_load(st->id, &cur, err, sizeof err) == 0) {
		cur.vmm_pid = pid;
		state_save(&cur);
		free(cur.annotations_json);
	}
	oci_info("%s: %s started, pid %d", st->id, st->vmm, (int)pid);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	int signo, rc = vmm_exit_status(st->vmm, ws, &signo);
	if (*st->netns)
		net_teardown(NULL);
	oci_info("%s: %s exited, guest status %d", st->id, st->vmm, rc);
	if (got_sig) {
		signal(got_sig, SIG_DFL);
		raise(got_sig);
	}
	_exit(rc);
}

/* process.terminal: a pty whose master goes to --console-socket (SCM_RIGHTS, the pty's
 * name as the payload, as runc sends it); returns the slave for the supervisor's stdio. */
static int console_pty(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), sock = -1, sl = -1;
	char *name;

	if (!opt.console_socket) {
		snprintf(err, errlen, "process.terminal is set but no --console-socket was given");
		goto out;
	}
	if (strlen(opt.console_socket) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "console socket path too long");
		goto out;
	}
	strcpy(sa.sun_path, opt.console_socket);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)) ||
	    (sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "pty: %s", strerror(errno));
		goto out;
	}
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, errlen, "console socket %s: %s", opt.console_socket, strerror(errno));
		close(sl);
		sl = -1;
		goto out;
	}
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = name, .iov_len = strlen(name) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &m, sizeof m);
	if (sendmsg(sock, &msg, 0) < 0) {
		snprintf(err, errlen, "console socket %s: %s", opt.console_socket, strerror(errno));
		close(sl);
		sl = -1;
	}
out:
	if (m >= 0)
		close(m);
	if (sock >= 0)
		close(sock);
	return sl;
}

/* create: checks the bundle, readies the network and the initrd, and leaves the
 * supervisor waiting for `start`. Returns the supervisor's pid, or -1. */
static pid_t do_create(const char *id, int *passed)
{
	struct spec s;
	struct state st = { 0 };
	struct netcfg nc = { 0 };
	char err[1024], rel[4096], kernel[8400], initrd[4400], dir[4400], cache[4400], fifo[4500];
	char cmdline[8192], *vargv[64];
	pid_t pid = -1;
	int made_dir = 0, p[2] = { -1, -1 }, tty = -1;

	*passed = 0;
	if (!state_valid_id(id)) {
		oci_err("invalid container id '%.60s'", id);
		return -1;
	}
	const char *bundle = opt.bundle ? opt.bundle : ".";
	char abs_bundle[PATH_MAX];
	if (!realpath(bundle, abs_bundle)) {
		oci_err("bundle %s: %s", bundle, strerror(errno));
		return -1;
	}
	if (spec_load(abs_bundle, &s, err, sizeof err) < 0) {
		oci_err("%s", err);
		goto fail;
	}
	if (image_resolve(&s, rel, sizeof rel, err, sizeof err) < 0) {
		oci_err("%s", err);
		goto fail;
	}
	int spore = image_is_spore(s.rootfs, rel, err, sizeof err);
	if (spore < 0) {
		oci_err("%s", err);
		goto fail;
	}
	if (!spore) {
		spec_free(&s);
		*passed = 1;
		passthrough(": not a spore image");
		return -1;
	}
	if (opt.console_socket && !s.terminal) {
		oci_err("%s: --console-socket given but process.terminal is not set", id);
		goto fail;
	}
	if (s.has_netns_entry && !*s.netns)
		oci_info("%s: a new empty network namespace asked for: the guest gets no network",
		         id);
	if (vmm_choose(s.vmm, st.vmm, sizeof st.vmm, err, sizeof err) < 0) {
		oci_err("%s", err);
		goto fail;
	}
	if (mkdir_p(opt.root) < 0) {
		oci_err("state root %s: %s", opt.root, strerror(errno));
		goto fail;
	}
	state_dir(id, dir, sizeof dir);
	if (mkdir(dir, 0711) < 0) {
		oci_err(errno == EEXIST ? "container %s already exists" : "%s: %s",
		        errno == EEXIST ? id : dir, strerror(errno));
		goto fail;
	}
	made_dir = 1;
	snprintf(cache, sizeof cache, "%s/initrd@cache", opt.root);
	/* The guest reads the archive in place from its RAM, next to the image and its heap. */
	if (initrd_pack(&s, rel, cache, ((unsigned long long)s.mem_mib << 20) / 2, initrd,
	                sizeof initrd, err, sizeof err) < 0) {
		oci_err("%s", err);
		goto fail;
	}
	snprintf(kernel, sizeof kernel, "%s/%s", s.rootfs, rel);
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", dir);
	if (mkfifo(fifo, 0600) < 0) {
		oci_err("%s: %s", fifo, strerror(errno));
		goto fail;
	}
	/* The tap lives in the container's namespace: this process enters it, and the
	 * supervisor and the VMM inherit it. */
	if (net_setup(s.netns, &nc, err, sizeof err) < 0) {
		oci_err("network: %s", err);
		goto fail;
	}
	size_t o = 0;
	cmdline[0] = '\0';
	if (nc.up)
		o = (size_t)snprintf(cmdline, sizeof cmdline, "ip=%s/%d%s%s ", nc.addr, nc.prefix,
		                     *nc.gw ? " gw=" : "", nc.gw);
	o += (size_t)snprintf(cmdline + o, sizeof cmdline - o, "--");
	for (int i = 1; i < s.nargs; i++) {
		char q[2048];
		if (initrd_quote(s.args[i], q, sizeof q) < 0 ||
		    o + strlen(q) + 2 >= sizeof cmdline) {
			oci_err("process.args are too long for the guest's command line");
			goto fail_net;
		}
		o += (size_t)snprintf(cmdline + o, sizeof cmdline - o, " %s", q);
	}
	if (vmm_argv(st.vmm, kernel, initrd, s.mem_mib, &nc, cmdline, s.terminal, vargv, 64) < 0) {
		oci_err("VMM command line too long");
		goto fail_net;
	}
	snprintf(st.id, sizeof st.id, "%s", id);
	snprintf(st.bundle, sizeof st.bundle, "%s", abs_bundle);
	snprintf(st.rootfs, sizeof st.rootfs, "%s", s.rootfs);
	snprintf(st.netns, sizeof st.netns, "%s", nc.up ? s.netns : "");
	now_rfc3339(st.created, sizeof st.created);
	st.mem_mib = s.mem_mib;
	st.annotations_json = s.annotations_json;
	if (state_save(&st) < 0) {
		oci_err("cannot write state under %s", dir);
		goto fail_net;
	}
	if (s.terminal && (tty = console_pty(err, sizeof err)) < 0) {
		oci_err("terminal: %s", err);
		goto fail_net;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		oci_err("fork: %s", strerror(errno));
		goto fail_net;
	}
	if (pid == 0) {
		close(p[0]);
		if (tty >= 0) { /* the pty is the guest's console and the controlling terminal */
			struct termios t;
			/* QEMU's serial console already ends lines with CR LF: no second CR
			 * from the pty. spore-kvm writes the guest's bare LF: the pty adds
			 * the CR (OPOST|ONLCR), as for any program on a terminal. */
			if (tcgetattr(tty, &t) == 0) {
				if (strcmp(st.vmm, "spore-kvm") == 0)
					t.c_oflag |= OPOST | ONLCR;
				else
					t.c_oflag &= ~(tcflag_t)OPOST;
				tcsetattr(tty, TCSANOW, &t);
			}
			setsid();
			ioctl(tty, TIOCSCTTY, 0);
			dup2(tty, 0);
			dup2(tty, 1);
			dup2(tty, 2);
		}
		supervise(&st, vargv, p[1]);
	}
	close(p[1]);
	if (tty >= 0)
		close(tty);
	char c;
	if (read(p[0], &c, 1) != 1) {
		oci_err("the supervisor died before it was ready");
		kill(pid, SIGKILL);
		goto fail_net;
	}
	close(p[0]);
	st.pid = pid;
	st.starttime = state_proc_start(pid);
	/* Before start: the VMM the supervisor forks then starts inside the cgroup. */
	if (*s.cgroup) {
		if (!cgroup_path_ok(s.cgroup))
			oci_info(
				"%s: cgroupsPath '%s' is not a cgroupfs path: the VM stays in our cgroup",
				id, s.cgroup);
		else if (cgroup_join(s.cgroup, pid) > 0)
			snprintf(st.cgroup, sizeof st.cgroup, "%s", s.cgroup);
		else
			oci_info("%s: cannot join cgroup %s (no writable hierarchy)", id, s.cgroup);
	}
	if (state_save(&st) < 0) {
		oci_err("cannot write state under %s", dir);
		kill(pid, SIGKILL);
		goto fail_net;
	}
	if (opt.pid_file) {
		char tmp[PATH_MAX + 16];
		snprintf(tmp, sizeof tmp, "%s.tmp", opt.pid_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d", (int)pid) < 0 || fclose(f) != 0 ||
		    rename(tmp, opt.pid_file) < 0) {
			oci_err("pid file %s: %s", opt.pid_file, strerror(errno));
			kill(pid, SIGKILL);
			goto fail_net;
		}
	}
	oci_info("%s: created on %s, %u MiB, initrd %s, network %s%s%s, cmdline '%s'", id, st.vmm,
	         s.mem_mib, *initrd ? initrd : "none", nc.up ? nc.ifname : "none",
	         nc.up ? " mac " : "", nc.mac, cmdline);
	spec_free(&s);
	return pid;
fail_net:
	if (nc.up)
		net_teardown(NULL);
fail:
	if (p[0] >= 0)
		close(p[0]);
	if (made_dir)
		state_remove(id);
	spec_free(&s);
	return -1;
}

static int do_start(const char *id)
{
	struct state st;
	char err[512], fifo[4500], c;

	if (state_load(id, &st, err, sizeof err) < 0) {
		oci_err("%s", err);
		return 1;
	}
	const char *status = state_status(&st);
	free(st.annotations_json);
	if (strcmp(status, "created") != 0) {
		oci_err("cannot start container %s: it is %s, not created", id, status);
		return 1;
	}
	snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", opt.root, id);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	if (fd < 0 || poll(&pf, 1, 10000) != 1 || read(fd, &c, 1) != 1) {
		oci_err("cannot start container %s: its supervisor did not answer", id);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	unlink(fifo);
	return 0;
}

static int do_state(const char *id)
{
	struct state st;
	char err[512];

	if (state_load(id, &st, err, sizeof err) < 0) {
		oci_err("%s", err);
		return 1;
	}
	char *s = state_json(&st);
	free(st.annotations_json);
	if (!s)
		return 1;
	printf("%s\n", s);
	free(s);
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *n;
		int v;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "TERM", SIGTERM }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
		{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "WINCH", SIGWINCH },
	};
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		return v > 0 && v < NSIG ? (int)v : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].n) == 0)
			return names[i].v;
	return -1;
}

static int do_kill(const char *id, const char *sigs)
{
	struct state st;
	char err[512];
	int sig = parse_signal(sigs ? sigs : "TERM");

	if (sig < 0) {
		oci_err("unknown signal '%.30s'", sigs);
		return 1;
	}
	if (state_load(id, &st, err, sizeof err) < 0) {
		oci_err("%s", err);
		return 1;
	}
	free(st.annotations_json);
	if (strcmp(state_status(&st), "stopped") == 0) {
		oci_err("container %s is not running", id);
		return 1;
	}
	if (st.pid <= 0 || kill(st.pid, sig) < 0) {
		oci_err("kill %d: %s", (int)st.pid, strerror(errno));
		return 1;
	}
	oci_info("%s: signal %d to the supervisor (pid %d)", id, sig, (int)st.pid);
	return 0;
}

static int do_delete(const char *id)
{
	struct state st;
	char err[512];

	if (state_load(id, &st, err, sizeof err) < 0) {
		/* A directory without a usable record (a killed create): remove what is there. */
		if (state_exists(id) && opt.force) {
			state_remove(id);
			return 0;
		}
		oci_err("%s", err);
		return 1;
	}
	free(st.annotations_json);
	const char *status = state_status(&st);
	if (strcmp(status, "stopped") != 0) {
		if (!opt.force && strcmp(status, "created") != 0) {
			oci_err("cannot delete container %s: it is %s (use --force)", id, status);
			return 1;
		}
		if (st.pid > 0)
			kill(st.pid, SIGKILL);
		for (int i = 0; i < 200 && state_proc_start(st.pid) == st.starttime; i++)
			usleep(10000);
	}
	state_remove(id);
	cgroup_remove(st.cgroup);
	net_teardown(st.netns); /* after a SIGKILLed supervisor; quiet when already gone */
	oci_info("%s: deleted", id);
	return 0;
}

static int do_list(void)
{
	char path[PATH_MAX];
	int json = opt.format && strcmp(opt.format, "json") == 0;
	struct dirent **ents;
	int n = scandir(opt.root, &ents, NULL, alphasort);

	if (json)
		printf("[");
	else if (!opt.quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	int first = 1;
	for (int i = 0; i < n; i++) {
		struct state st;
		char err[256];
		snprintf(path, sizeof path, "%s/%s/spore.json", opt.root, ents[i]->d_name);
		if (access(path, F_OK) == 0 &&
		    state_load(ents[i]->d_name, &st, err, sizeof err) == 0) {
			const char *status = state_status(&st);
			int pid = strcmp(status, "stopped") == 0 ? 0 : (int)st.pid;
			if (json) {
				char *s = state_json(&st);
				printf("%s%s", first ? "" : ",", s ? s : "{}");
				free(s);
			} else if (opt.quiet) {
				printf("%s\n", st.id);
			} else {
				printf("%-20s %-8d %-10s %-40s %-30s %s\n", st.id, pid, status,
				       st.bundle, st.created, "root");
			}
			first = 0;
			free(st.annotations_json);
		}
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
	if (json)
		printf("]\n");
	return 0;
}

static int do_features(void)
{
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"%s\",\n"
	       "  \"hooks\": [],\n  \"mountOptions\": [],\n"
	       "  \"linux\": {\"namespaces\": [\"network\"], \"capabilities\": [], \"cgroup\": {}, "
	       "\"seccomp\": {\"enabled\": false}, \"apparmor\": {\"enabled\": false}, "
	       "\"selinux\": {\"enabled\": false}},\n"
	       "  \"annotations\": {\"org.spore.runtime\": \"spore-oci %s: spore images boot as VMs, "
	       "everything else runs under runc\", \"org.spore.vmm\": \"spore-kvm|qemu\"}\n}\n",
	       OCI_SPEC, OCI_VERSION);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: spore-oci [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID\n"
	        "  create --bundle DIR [--pid-file FILE] ID   start ID   state ID   kill ID [SIGNAL]\n"
	        "  delete [--force] ID   run [--detach] --bundle DIR ID   list [--format json] [-q]\n"
	        "  features   --version\n"
	        "Bundles whose process.args[0] is not a spore image go to runc unchanged.\n");
}

/* Options with a value; both --opt VALUE and --opt=VALUE. Unknown runc flags without
 * a value (--no-pivot, --no-new-keyring, --systemd-cgroup, --debug) are accepted. */
static const char *value_of(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			oci_err("option %s needs a value", name);
			exit(1);
		}
		return argv[++*i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cmd = NULL, *pos[2] = { NULL, NULL }, *v;
	int npos = 0;

	orig_argv = argv;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((v = value_of(argc, argv, &i, "--root")))
			opt.root = v;
		else if ((v = value_of(argc, argv, &i, "--log")))
			opt.log = v;
		else if ((v = value_of(argc, argv, &i, "--log-format")))
			opt.log_json = strcmp(v, "json") == 0;
		else if ((v = value_of(argc, argv, &i, "--bundle")) ||
		         (v = value_of(argc, argv, &i, "-b")))
			opt.bundle = v;
		else if ((v = value_of(argc, argv, &i, "--pid-file")))
			opt.pid_file = v;
		else if ((v = value_of(argc, argv, &i, "--console-socket")))
			opt.console_socket = v;
		else if ((v = value_of(argc, argv, &i, "--format")))
			opt.format = v;
		else if ((v = value_of(argc, argv, &i, "--preserve-fds")) ||
		         (v = value_of(argc, argv, &i, "--criu")) ||
		         (v = value_of(argc, argv, &i, "--rootless")))
			;
		else if (!cmd && (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0))
			cmd = "--version";
		else if (!cmd && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0))
			cmd = "help";
		else if (strcmp(a, "--detach") == 0 || strcmp(a, "-d") == 0)
			opt.detach = 1;
		else if (strcmp(a, "--force") == 0 ||
		         (cmd && strcmp(cmd, "delete") == 0 && strcmp(a, "-f") == 0))
			opt.force = 1;
		else if (cmd && strcmp(cmd, "list") == 0 && strcmp(a, "-f") == 0 && i + 1 < argc)
			opt.format = argv[++i];
		else if (strcmp(a, "--all") == 0 || strcmp(a, "-a") == 0)
			opt.all = 1;
		else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
			opt.quiet = 1;
		else if (a[0] == '-' && a[1])
			; /* runc flags without effect here */
		else if (!cmd)
			cmd = a;
		else if (npos < 2)
			pos[npos++] = a;
		else {
			oci_err("too many arguments");
			return 1;
		}
	}
	if (!cmd || strcmp(cmd, "help") == 0) {
		usage();
		return cmd ? 0 : 1;
	}
	cur_id = pos[0] ? pos[0] : "";
	if (strcmp(cmd, "--version") == 0) {
		printf("spore-oci version %s\nspec: %s\n", OCI_VERSION, OCI_SPEC);
		return 0;
	}
	static const char *const ours[] = { "create", "run",  "start",    "state", "kill",
		                            "delete", "list", "features", NULL };
	static const char *const runcs[] = { "exec",   "ps",         "pause",   "resume", "update",
		                             "events", "checkpoint", "restore", "spec",   NULL };
	int known = 0;
	for (int i = 0; ours[i]; i++)
		known |= strcmp(cmd, ours[i]) == 0;
	for (int i = 0; runcs[i]; i++)
		known |= strcmp(cmd, runcs[i]) == 0;
	if (!known) {
		oci_err("unknown command '%.40s' (spore-oci --help)", cmd);
		return 1;
	}
	if (strcmp(cmd, "spec") == 0)
		return passthrough(": spec");
	if (strcmp(cmd, "features") == 0)
		return do_features();
	if (strcmp(cmd, "list") == 0)
		return do_list();
	if (!pos[0]) {
		oci_err("%s: a container id is needed", cmd);
		return 1;
	}
	if (strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0) {
		int passed;
		pid_t pid = do_create(pos[0], &passed);
		if (pid < 0)
			return 1;
		if (strcmp(cmd, "create") == 0)
			return 0;
		if (do_start(pos[0]) != 0) {
			kill(pid, SIGKILL);
			return 1;
		}
		if (opt.detach)
			return 0;
		int ws;
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		opt.force = 1;
		do_delete(pos[0]);
		return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	}
	/* Every other command: ours when this runtime created the container, else runc's. */
	if (!state_exists(pos[0]))
		return passthrough(": not a spore container");
	if (strcmp(cmd, "start") == 0)
		return do_start(pos[0]);
	if (strcmp(cmd, "state") == 0)
		return do_state(pos[0]);
	if (strcmp(cmd, "kill") == 0)
		return do_kill(pos[0], pos[1]);
	if (strcmp(cmd, "delete") == 0)
		return do_delete(pos[0]);
	oci_err("%s: '%s' is not supported for spore containers (create, start, state, kill, delete, run, list)",
	        pos[0], cmd);
	return 1;
}
