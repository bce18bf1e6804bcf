/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instance-group-managers - delete in GCE each drained group that has no VMs left.
 * Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_delete_instance_group_managers_spec, argc, argv);
}
