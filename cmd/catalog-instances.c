/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-catalog-instances - add every VM of an active group to the Machine Provider catalog.
 * Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "catalog-instances",
		.summary = "Add every VM of an active group to the Machine Provider catalog.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_catalog_instances_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
