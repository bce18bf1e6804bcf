/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-cleanup-entities - forget what is gone: VMs confirmed deleted (purged 20 minutes later), and
 * drained groups, revisions and templates that have nothing left.
 * Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "cleanup-entities",
		.summary = "Forget VMs, groups, revisions and templates that are gone.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_cleanup_entities_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
