// SPDX-License-Identifier: MIT
/* launch: runs a command once and prints "WALL_NS MAXRSS_KIB STATUS": the
 * wall time from fork to exit and the child's peak RSS (getrusage via
 * wait4), so a benchmark's numbers carry no shell overhead. Output of the
 * child goes where launch's goes; -q sends it to /dev/null. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	char **cmd = argv + 1 + quiet;
	struct timespec t0, t1;
	struct rusage ru;
	int status;

	if (!*cmd) {
		fprintf(stderr, "usage: launch [-q] COMMAND [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		perror("launch");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec);
	printf("%lld %ld %d\n", ns, ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
