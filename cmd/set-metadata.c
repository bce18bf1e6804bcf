/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gceb-set-metadata - queue a metadata update for one VM (--hostname) or for
 * every live VM of a template (--template). KEY=VALUE sets KEY; a bare KEY
 * removes it. gceb-schedule-metadata-tasks applies the update.
 */
#include "gceb/jobs.h"

int main(int argc, char **argv)
{
	return gceb_job_main(&gceb_set_metadata_spec, argc, argv);
}
