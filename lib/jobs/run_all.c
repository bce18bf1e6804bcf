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

/* docs/design/README.md, in order. */
static const struct gceb_job_spec *const pipeline[] = {
	&gceb_import_config_spec,
	&gceb_process_config_spec,
	&gceb_create_instance_templates_spec,
	&gceb_create_instance_group_managers_spec,
	&gceb_fetch_instances_spec,
	&gceb_catalog_instances_spec,
	&gceb_update_cataloged_instances_spec,
	&gceb_schedule_metadata_tasks_spec,
	&gceb_sweep_orphans_spec,
	&gceb_delete_instances_pending_deletion_spec,
	&gceb_resize_instance_groups_spec,
	&gceb_remove_cataloged_instances_spec,
	&gceb_delete_instance_group_managers_spec,
	&gceb_delete_instance_templates_spec,
	&gceb_cleanup_entities_spec,
};

#define N_JOBS (sizeof(pipeline) / sizeof(pipeline[0]))

/* Room for every distinct option of run-all and the jobs. */
#define MAX_OPTS 48

/*
 * The options given to gceb-run-all, by long name, as its own parse of them
 * saw them: an abbreviation ("--max-conc") or a short letter has become the
 * option it stands for, so each is forwarded in one canonical form.
 */
struct given {
	struct gceb_opt rec[MAX_OPTS + 1]; /* the options, recording into the fields below */
	size_t n;
	bool flag[MAX_OPTS];
	int count[MAX_OPTS];
	const char *value[MAX_OPTS];
};

static long find_opt(const struct given *g, const char *long_name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->rec[i].long_name, long_name))
			return (long)i;
	return -1;
}

/* Add the options of @tables not yet known, each recording what the command line gives it. */
static int add_opts(struct given *g, const struct gceb_opt *const *tables, struct gceb_err *err)
{
	const struct gceb_opt *o;
	size_t t;

	for (t = 0; tables[t]; t++) {
		for (o = tables[t]; o->type != GCEB_OPT_TYPE_END; o++) {
			struct gceb_opt *r = &g->rec[g->n];

			if (find_opt(g, o->long_name) >= 0)
				continue;
			if (g->n == MAX_OPTS)
				return gceb_err_set(err, GCEB_EBUG, "too many options");
			*r = *o;
			/* A number is forwarded as written: the job checks it again anyway. */
			if (o->type == GCEB_OPT_TYPE_FLAG)
				r->dest = &g->flag[g->n];
			else if (o->type == GCEB_OPT_TYPE_COUNT)
				r->dest = &g->count[g->n];
			else
				r->dest = &g->value[g->n];
			if (o->type == GCEB_OPT_TYPE_UINT)
				r->type = GCEB_OPT_TYPE_STRING;
			g->n++;
		}
	}
	g->rec[g->n] = (struct gceb_opt)GCEB_OPT_END;
	return 0;
}

/* Parse run-all's command line with the options of run-all and of every job. */
static int parse_given(struct given *g, const struct gceb_job *job, struct gceb_err *err)
{
	const struct gceb_opt *tables[GCEB_JOB_MAX_TABLES + 1];
	const struct gceb_opt *rec[] = { g->rec, NULL };
	size_t i;
	int first, r;

	(void)gceb_job_options(job->spec, tables);
	r = add_opts(g, tables, err);
	for (i = 0; r == 0 && i < N_JOBS; i++) {
		(void)gceb_job_options(pipeline[i], tables);
		r = add_opts(g, tables, err);
	}
	if (r == 0)
		r = gceb_opt_parse(rec, job->cmd_argc, job->cmd_argv, &first, err);
	return r;
}

/* The words forwarded to one job: its options among those given, as --name[=value]. */
struct words {
	char *v[2 * MAX_OPTS + 2];
	size_t n;
};

static void words_release(struct words *w)
{
	while (w->n > 0)
		free(w->v[--w->n]);
}

static int add_word(struct words *w, const char *name, const char *value, struct gceb_err *err)
{
	size_t len = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
	char *word = w->n + 2 < sizeof(w->v) / sizeof(w->v[0]) ? malloc(len) : NULL;

	if (!word)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	(void)snprintf(word, len, "--%s%s%s", name, value ? "=" : "", value ? value : "");
	w->v[w->n++] = word;
	return 0;
}

static int job_words(const struct given *g, const struct gceb_job_spec *spec, struct words *w,
		     struct gceb_err *err)
{
	const struct gceb_opt *tables[GCEB_JOB_MAX_TABLES + 1], *o;
	size_t t;
	int r = 0, k;

	(void)gceb_job_options(spec, tables);
	for (t = 0; r == 0 && tables[t]; t++) {
		for (o = tables[t]; r == 0 && o->type != GCEB_OPT_TYPE_END; o++) {
			long i = find_opt(g, o->long_name);

			if (i < 0)
				continue;
			if (g->flag[i])
				r = add_word(w, o->long_name, NULL, err);
			for (k = 0; r == 0 && k < g->count[i]; k++)
				r = add_word(w, o->long_name, NULL, err);
			if (r == 0 && g->value[i])
				r = add_word(w, o->long_name, g->value[i], err);
		}
	}
	return r;
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

static int run_one(const char *dir, const struct gceb_job_spec *spec, const struct given *g,
		   struct gceb_err *err)
{
	char bin[PATH_MAX], *args[2 * MAX_OPTS + 3];
	struct words w = { 0 };
	int status;
	size_t i;
	pid_t pid;

	if ((size_t)snprintf(bin, sizeof(bin), "%s/gceb-%s", dir, spec->name) >= sizeof(bin))
		return gceb_err_set(err, GCEB_EIO, "path of '%s' too long", dir);
	if (job_words(g, spec, &w, err) < 0) {
		words_release(&w);
		return GCEB_ENOMEM;
	}
	args[0] = bin;
	for (i = 0; i < w.n; i++)
		args[i + 1] = w.v[i];
	args[w.n + 1] = NULL;
	(void)fflush(NULL);
	pid = fork();
	if (pid < 0) {
		words_release(&w);
		return gceb_err_set(err, GCEB_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		execv(bin, args);
		(void)fprintf(stderr, "gceb-run-all: error: cannot run '%s': %s\n", bin,
			      strerror(errno));
		_exit(127);
	}
	words_release(&w);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return gceb_err_set(err, GCEB_EIO, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int run(struct gceb_job *job)
{
	static struct given g;
	char dir[PATH_MAX];
	size_t i, failed = 0;
	int r;

	r = own_dir(dir, sizeof(dir), &job->err);
	if (r == 0)
		r = parse_given(&g, job, &job->err);
	if (r < 0)
		return r;
	for (i = 0; i < N_JOBS; i++) {
		int status;

		/* -n: each job's plan under its name, as each job's lines follow. */
		if (job->dry_run)
			(void)printf("== gceb-%s\n", pipeline[i]->name);
		status = run_one(dir, pipeline[i], &g, &job->err);

		if (status < 0)
			return status;
		if (status != 0) {
			/* The job said why on stderr; this says which, and goes on. */
			gceb_error("gceb-%s exited with status %d", pipeline[i]->name, status);
			failed++;
		}
	}
	if (failed)
		return gceb_err_set(&job->err, GCEB_EPARTIAL, "%zu of %zu jobs failed", failed,
				    N_JOBS);
	return 0;
}

const struct gceb_job_spec gceb_run_all_spec = {
	.name = "run-all",
	.summary = "Run every gceb job once, in pipeline order.",
	/* Only to accept (and check) the options the jobs take; nothing is opened. */
	.needs = GCEB_OPTIONS_HTTP | GCEB_NEED_LUCI,
	.run = run,
};
