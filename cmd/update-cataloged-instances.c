/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-update-cataloged-instances - ask Machine Provider about every cataloged VM, record its
 * lease, and mark the VMs it reclaimed for deletion. Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "update-cataloged-instances",
		.summary =
			"Record the lease of every cataloged VM; mark reclaimed ones for deletion.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_update_cataloged_instances_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
