// SPDX-License-Identifier: MIT
/* launch: runs a command once and prints "WALL_NS MAXRSS_KIB STATUS": the wall
 * time from fork to exit and the child's peak RSS (getrusage via wait4), so a
 * benchmark's numbers carry no shell overhead. It does not repeat or
 * interleave; bench/run does, one launch per measurement.
 *   launch [-q | -o FILE] [-t SECONDS] [-m] COMMAND [ARGS...]
 * -q: the child's stdout and stderr go to /dev/null; -o FILE: to FILE.
 * -m: a fourth column, the child's page faults (minor + major): a count of the
 * memory it touched, which carries over between hosts where times do not.
 * -t: kill the child's process group after SECONDS (STATUS 124).
 * STATUS is the exit status, 128 + signal, or 124 on timeout; stdin is
 * /dev/null (a child in its own process group must not read the terminal). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: launch [-q | -o FILE] [-t SECONDS] [-m] COMMAND [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	unsigned timeout = 0;
	int opt, faults = 0;

	while ((opt = getopt(argc, argv, "+qo:t:m")) != -1) {
		switch (opt) {
		case 'q': out = "/dev/null"; break;
		case 'o': out = optarg; break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': faults = 1; break;
		default: return usage();
		}
	}
	char **cmd = argv + optind;
	if (!*cmd)
		return usage();

	/* No SA_RESTART: the alarm must interrupt wait4. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);

	struct timespec t0, t1;
	struct rusage ru;
	int status;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		int in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0) {
				perror(out);
				_exit(127);
			}
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	if (pid < 0) {
		perror("launch: fork");
		return 2;
	}
	setpgid(pid, pid); /* also in the parent: no window where a kill misses */
	if (timeout)
		alarm(timeout);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("launch: wait4");
			return 2;
		}
		if (expired) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec);
	int st = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (faults)
		printf("%lld %ld %d %ld\n", ns, ru.ru_maxrss, expired ? 124 : st,
		       ru.ru_minflt + ru.ru_majflt);
	else
		printf("%lld %ld %d\n", ns, ru.ru_maxrss, expired ? 124 : st);
	return 0;
}
