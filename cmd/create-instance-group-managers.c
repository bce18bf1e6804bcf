/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-create-instance-group-managers - create the managed instance group of every active zone of
 * an active revision once its template exists; groups start empty. Run from cron every minute;
 * silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_create_instance_group_managers_spec, argc, argv);
}
