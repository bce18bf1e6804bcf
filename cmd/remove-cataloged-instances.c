/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-remove-cataloged-instances - take every VM of a drained group out of the Machine Provider
 * catalog and mark it for deletion; a leased VM waits for its lease to end. Run from cron every
 * minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_remove_cataloged_instances_spec, argc, argv);
}
