/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-fetch-instances - list the VMs of every group that exists in GCE, create an entity for each
 * new one and record each group's members.
 * Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_fetch_instances_spec, argc, argv);
}
