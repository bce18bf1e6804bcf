/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-schedule-metadata-tasks - apply queued metadata updates (see gceb-set-metadata): merge what
 * is queued, send setMetadata with the current fingerprint, and follow the operation until it is
 * done. Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "schedule-metadata-tasks",
		.summary = "Apply queued metadata updates to VMs and track their operations.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_schedule_metadata_tasks_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
