/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-run-all - run every gceb job once, in pipeline order, each as its own
 * process, passing the options given to the jobs that take them. Exits 1 if
 * any job failed, after naming each one. For a manual run or a one-line
 * crontab; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

static int saved_argc;
static char **saved_argv;

static int run(struct gceb_job *job)
{
	return gceb_run_all(job, saved_argc - 1, saved_argv + 1);
}

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "run-all",
		.summary = "Run every gceb job once, in pipeline order.",
		/* Only to accept (and check) the options the jobs take; nothing is opened. */
		.needs = GCEB_OPTIONS_HTTP | GCEB_NEED_LUCI,
		.run = run,
	};

	saved_argc = argc;
	saved_argv = argv;
	return gceb_job_main(&spec, argc, argv);
}
