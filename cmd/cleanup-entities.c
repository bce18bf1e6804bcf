/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-cleanup-entities - forget what is gone: VMs confirmed deleted (purged 20 minutes later), and
 * drained groups, revisions and templates that have nothing left.
 * Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_cleanup_entities_spec, argc, argv);
}
