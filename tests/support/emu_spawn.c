/* SPDX-License-Identifier: Apache-2.0 */
/* emu_spawn.c - start gceb-emulator and wait for its port */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu_spawn.h"

/* The first line of @path into @url; whether there was one. */
static bool read_url(const char *path, char *url, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (!fgets(url, (int)len, f))
		url[0] = '\0';
	(void)fclose(f);
	url[strcspn(url, "\n")] = '\0';
	return url[0] != '\0';
}

pid_t gceb_test_emu_spawn(const char *bin, const char *port_file, const char *const *args,
			  char *url, size_t len)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10000000L };
	const char *argv[64];
	size_t n = 0, i;
	int tries, status;
	pid_t pid;

	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	for (i = 0; args && args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	url[0] = '\0';
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (tries = 0; tries < 500; tries++) {
		if (read_url(port_file, url, len))
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -1;
		(void)nanosleep(&tick, NULL);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	url[0] = '\0';
	return -1;
}
