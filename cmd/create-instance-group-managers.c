/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-create-instance-group-managers - create the managed instance group of every active zone of
 * an active revision once its template exists; groups start empty. Run from cron every minute;
 * silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "create-instance-group-managers",
		.summary =
			"Create the managed instance group of each active zone whose template exists.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_create_instance_group_managers_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
