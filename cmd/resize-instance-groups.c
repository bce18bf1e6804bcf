/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-resize-instance-groups - grow each active group to max(minimum, ceil(1.1 x leased)) within
 * its maximum, at most idle + 100 per run; never shrinks a settled group. Run from cron every
 * minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_resize_instance_groups_spec, argc, argv);
}
