/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instances-pending-deletion - ask each VM's group to delete every VM marked pending
 * deletion; repeated every run until cleanup sees the VM gone. Run from cron every minute; silent
 * on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "delete-instances-pending-deletion",
		.summary = "Ask GCE to delete every VM pending deletion.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_delete_instances_pending_deletion_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
