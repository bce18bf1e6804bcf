/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-update-cataloged-instances - ask Machine Provider about every cataloged VM, record its
 * lease, and mark the VMs it reclaimed for deletion. Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_update_cataloged_instances_spec, argc, argv);
}
