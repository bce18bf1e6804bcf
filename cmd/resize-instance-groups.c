/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-resize-instance-groups - grow each active group to max(minimum, ceil(1.1 x leased)) within
 * its maximum, at most idle + 100 per run; never shrinks a settled group. Run from cron every
 * minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "resize-instance-groups",
		.summary = "Grow each active group to its minimum, or to 1.1 x its leased VMs.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
		.run = gceb_resize_instance_groups_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
