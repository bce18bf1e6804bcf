/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-sweep-orphans - adopt as drained the templates and groups GCE holds under a configured base
 * name that the store does not know. Run from cron every 15 minutes; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_sweep_orphans_spec, argc, argv);
}
