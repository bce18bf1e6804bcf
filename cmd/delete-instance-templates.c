/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-delete-instance-templates - delete in GCE the template of each drained revision whose groups
 * are all gone. Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_delete_instance_templates_spec, argc, argv);
}
