/* SPDX-License-Identifier: Apache-2.0 */
/*
 * measure.c - run one command and say what it cost: the benchmark's timer
 * (bench/run). Usage: gceb-bench-measure [-q] -- COMMAND [ARG]...
 * Prints one line to stderr:
 *   wall=S user=S sys=S maxrss_kib=N status=N
 * wall from CLOCK_MONOTONIC around fork..wait4, CPU and peak RSS from the
 * child's struct rusage (wait4). -q sends the command's stdout to /dev/null.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int i = 1, quiet = 0, status = 0, fd;
	pid_t pid;

	if (i < argc && !strcmp(argv[i], "-q")) {
		quiet = 1;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		(void)fprintf(stderr, "usage: gceb-bench-measure [-q] -- COMMAND [ARG]...\n");
		return 2;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		if (quiet) {
			fd = open("/dev/null", O_WRONLY);
			if (fd >= 0)
				(void)dup2(fd, 1);
		}
		execvp(argv[i], argv + i);
		perror(argv[i]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 2;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &b);
	(void)fprintf(stderr, "wall=%.4f user=%.4f sys=%.4f maxrss_kib=%ld status=%d\n",
		      (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
		      secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_maxrss,
		      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
