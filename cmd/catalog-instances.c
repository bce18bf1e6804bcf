/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-catalog-instances - add every VM of an active group to the Machine Provider catalog.
 * Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_catalog_instances_spec, argc, argv);
}
