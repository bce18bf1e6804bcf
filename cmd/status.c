/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-status - show what the store holds: templates, revisions (active or
 * drained), groups per zone with their sizes and URLs, and instance counts
 * by state. --json prints the same for scripts (docs/gceb-status.md).
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

static bool arg_json;
static bool arg_instances;

static const struct gceb_opt opts[] = {
	GCEB_OPT_FLAG('j', "json", &arg_json, "print JSON (schema in docs/gceb-status.md)"),
	GCEB_OPT_FLAG(0, "instances", &arg_instances, "with --json, list every instance"),
	GCEB_OPT_END,
};

static int run(struct gceb_job *job)
{
	return gceb_status_run(job, arg_json, arg_instances);
}

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "status",
		.summary = "Show the templates, revisions, groups and instances in the store.",
		.opts = opts,
		.needs = GCEB_NEED_STORE_READONLY,
		.run = run,
	};

	return gceb_job_main(&spec, argc, argv);
}
