/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run_all.c - gceb-run-all: every job once, in pipeline order, as its own
 * process (so each keeps its lock, its exit status and its memory), with
 * the options given passed through to the jobs that take them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gceb/jobs.h"

/* behaviour.md §4, in order; "api" jobs take the HTTP options. */
static const struct {
	const char *name;
	bool api;
	bool luci;
} pipeline[] = {
	{ "import-config", true, true },
	{ "process-config", false, false },
	{ "create-instance-templates", true, false },
	{ "create-instance-group-managers", true, false },
	{ "fetch-instances", true, false },
	{ "catalog-instances", true, false },
	{ "update-cataloged-instances", true, false },
	{ "schedule-metadata-tasks", true, false },
	{ "delete-instances-pending-deletion", true, false },
	{ "resize-instance-groups", true, false },
	{ "remove-cataloged-instances", true, false },
	{ "delete-instance-group-managers", true, false },
	{ "delete-instance-templates", true, false },
	{ "cleanup-entities", true, false },
};

enum opt_kind { OPT_COMMON, OPT_API, OPT_LUCI };

/* Which jobs an option of gceb-run-all goes to; *@takes_value if its value is the next word. */
static enum opt_kind classify(const char *arg, bool *takes_value)
{
	static const char *const api[] = { "--max-concurrency", "--timeout-ms", "--deadline",
					   "--token-file", "--key-file" };
	static const char *const luci[] = { "--luci-config", "--config-set" };
	size_t i, n;

	*takes_value = false;
	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		n = strlen(api[i]);
		if (!strncmp(arg, api[i], n) && (arg[n] == '\0' || arg[n] == '=')) {
			*takes_value = arg[n] == '\0';
			return OPT_API;
		}
	}
	for (i = 0; i < sizeof(luci) / sizeof(luci[0]); i++) {
		n = strlen(luci[i]);
		if (!strncmp(arg, luci[i], n) && (arg[n] == '\0' || arg[n] == '=')) {
			*takes_value = arg[n] == '\0';
			return OPT_LUCI;
		}
	}
	/* Common options with a separate value; their short forms too. */
	*takes_value = !strcmp(arg, "--state-dir") || !strcmp(arg, "-s") ||
		       !strcmp(arg, "--config-dir") || !strcmp(arg, "-c") ||
		       !strcmp(arg, "--map-size-mib") || !strcmp(arg, "--metrics-dir");
	return OPT_COMMON;
}

/* The directory this binary lives in: its siblings are the jobs. */
static int own_dir(char *out, size_t len, struct gceb_err *err)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	char *slash;

	if (n < 0)
		return gceb_err_set(err, GCEB_EIO, "cannot find my own binary: %s",
				    strerror(errno));
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return gceb_err_set(err, GCEB_EIO, "odd path of my own binary '%s'", out);
	*slash = '\0';
	return 0;
}

static int run_one(const char *dir, size_t job, int argc, char **argv, struct gceb_err *err)
{
	char bin[PATH_MAX], **args = calloc((size_t)argc + 2, sizeof(*args));
	int n = 0, i, status;
	pid_t pid;

	if (!args)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if ((size_t)snprintf(bin, sizeof(bin), "%s/gceb-%s", dir, pipeline[job].name) >=
	    sizeof(bin)) {
		free(args);
		return gceb_err_set(err, GCEB_EIO, "path of '%s' too long", dir);
	}
	args[n++] = bin;
	for (i = 0; i < argc; i++) {
		bool takes_value;
		enum opt_kind k = classify(argv[i], &takes_value);
		bool pass = k == OPT_COMMON || (k == OPT_API && pipeline[job].api) ||
			    (k == OPT_LUCI && pipeline[job].luci);

		if (pass)
			args[n++] = argv[i];
		if (takes_value && i + 1 < argc) {
			i++;
			if (pass)
				args[n++] = argv[i];
		}
	}
	args[n] = NULL;
	(void)fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(args);
		return gceb_err_set(err, GCEB_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		execv(bin, args);
		(void)fprintf(stderr, "gceb-run-all: error: cannot run '%s': %s\n", bin,
			      strerror(errno));
		_exit(127);
	}
	free(args);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return gceb_err_set(err, GCEB_EIO, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int gceb_run_all(struct gceb_job *job, int argc, char **argv)
{
	char dir[PATH_MAX];
	size_t i, failed = 0;
	int r;

	r = own_dir(dir, sizeof(dir), &job->err);
	if (r < 0)
		return r;
	for (i = 0; i < sizeof(pipeline) / sizeof(pipeline[0]); i++) {
		int status = run_one(dir, i, argc, argv, &job->err);

		if (status < 0)
			return status;
		if (status != 0) {
			/* The job said why on stderr; this says which, and goes on. */
			gceb_error("gceb-%s exited with status %d", pipeline[i].name, status);
			failed++;
		}
	}
	if (failed)
		return gceb_err_set(&job->err, GCEB_EPARTIAL, "%zu of %zu jobs failed", failed,
				    sizeof(pipeline) / sizeof(pipeline[0]));
	return 0;
}
