/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-schedule-metadata-tasks - apply queued metadata updates (see gceb-set-metadata): merge what
 * is queued, send setMetadata with the current fingerprint, and follow the operation until it is
 * done. Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_schedule_metadata_tasks_spec, argc, argv);
}
