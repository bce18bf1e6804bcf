/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instance-group-managers - delete in GCE each drained group that has no VMs left.
 * Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "delete-instance-group-managers",
		.summary = "Delete in GCE each drained group that has no VMs left.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_delete_instance_group_managers_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
