/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-create-instance-templates - create the GCE instance template of every active revision that
 * has none yet, and wait for the insert to finish (a later run polls it). Run from cron every
 * minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_create_instance_templates_spec, argc, argv);
}
