/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-process-config - turn the imported config into template, revision
 * and group entities: activate the revision each template asks for, drain
 * the ones it no longer asks for, and set group sizes. No remote calls.
 * Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_process_config_spec, argc, argv);
}
