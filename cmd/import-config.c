/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-import-config - validate templates.cfg and managers.cfg from the
 * config directory (or the LUCI config service, --luci-config) and store
 * them as the config in force. A config with any
 * problem is refused whole, every problem is printed, and the last good
 * config stays. Run from cron every minute; silent on success.
 */
#include "gceb/job.h"
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	static const struct gceb_job_spec spec = {
		.name = "import-config",
		.summary =
			"Validate templates.cfg and managers.cfg and store them as the config in force.",
		.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP | GCEB_NEED_LUCI,
		.run = gceb_import_config_run,
	};

	return gceb_job_main(&spec, argc, argv);
}
