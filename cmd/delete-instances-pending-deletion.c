/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instances-pending-deletion - ask each VM's group to delete every VM marked pending
 * deletion; repeated every run until cleanup sees the VM gone. Run from cron every minute; silent
 * on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_delete_instances_pending_deletion_spec, argc, argv);
}
