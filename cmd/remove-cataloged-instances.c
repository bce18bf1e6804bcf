/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-remove-cataloged-instances - take every VM of a drained group out of the Machine Provider
 * catalog and mark it for deletion; a leased VM waits for its lease to end. Run from cron every
 * minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "remove-cataloged-instances",
		.summary =
			"Take the VMs of drained groups out of the catalog and mark them for deletion.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_remove_cataloged_instances_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
