/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-process-config - turn the imported config into template, revision
 * and group entities: activate the revision each template asks for, drain
 * the ones it no longer asks for, and set group sizes. No remote calls.
 * Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "process-config",
		.summary = "Turn the imported config into template, revision and group entities.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK,
		.run = gceb_process_config_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
