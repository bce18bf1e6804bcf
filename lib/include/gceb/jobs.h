/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.h - the run() of every job; the logic lives in lib/jobs/<job>.c */
#ifndef GCEB_JOBS_H
#define GCEB_JOBS_H

#include <stdbool.h>

#include "gceb/job.h"

int gceb_import_config_run(struct gceb_job *job);
int gceb_process_config_run(struct gceb_job *job);

/* gceb-status: the store as a table, or as JSON; @list_instances adds every instance. */
int gceb_status_run(struct gceb_job *job, bool json, bool list_instances);

#endif
