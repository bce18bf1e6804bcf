/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instance-templates - delete in GCE the template of each drained revision whose groups
 * are all gone. Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "delete-instance-templates",
		.summary =
			"Delete in GCE the template of each drained revision whose groups are gone.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_delete_instance_templates_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
