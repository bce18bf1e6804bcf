/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-import-config - validate templates.cfg and managers.cfg from the
 * config directory (or the LUCI config service, --luci-config) and store
 * them as the config in force. A config with any
 * problem is refused whole, every problem is printed, and the last good
 * config stays. Run from cron every minute; silent on success.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_import_config_spec, argc, argv);
}
