/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-status - show what the store holds: templates, revisions (active or
 * drained), groups per zone with their sizes and URLs, and instance counts
 * by state. --json prints the same for scripts (docs/gceb-status.md).
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_status_spec, argc, argv);
}
