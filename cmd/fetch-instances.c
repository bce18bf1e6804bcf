/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-fetch-instances - list the VMs of every group that exists in GCE, create an entity for each
 * new one and record each group's members.
 * Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "fetch-instances",
		.summary = "List the VMs of every group and record them in the store.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_fetch_instances_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
