/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-set-metadata - queue a metadata update for one VM (--hostname) or for
 * every live VM of a template (--template). KEY=VALUE sets KEY; a bare KEY
 * removes it. gceb-schedule-metadata-tasks applies the update.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

static const char *arg_hostname;
static const char *arg_template;

static const struct gceb_opt opts[] = {
	GCEB_OPT_STRING('H', "hostname", &arg_hostname, "NAME", "the VM to update"),
	GCEB_OPT_STRING('t', "template", &arg_template, "BASE", "every live VM of template BASE"),
	GCEB_OPT_END,
};

static int run(struct gceb_job *job)
{
	return gceb_set_metadata_run(job, arg_hostname, arg_template);
}

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "set-metadata",
		.summary = "Queue a metadata update for one VM or for every VM of a template.",
		.operands = "KEY=VALUE|KEY...",
		.opts = opts,
		.needs = GCEB_NEED_STORE,
		.run = run,
	};

	return gceb_job_main(&spec, argc, argv);
}
