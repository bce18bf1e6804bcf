/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-create-instance-templates - create the GCE instance template of every active revision that
 * has none yet, and wait for the insert to finish (a later run polls it). Run from cron every
 * minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "create-instance-templates",
		.summary =
			"Create the GCE instance template of each active revision that has none.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_create_instance_templates_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
