/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.h - the run() of every job; the logic lives in lib/jobs/<job>.c */
#ifndef GCEB_JOBS_H
#define GCEB_JOBS_H

#include <stdbool.h>

#include "gceb/job.h"

int gceb_import_config_run(struct gceb_job *job);
int gceb_process_config_run(struct gceb_job *job);
int gceb_create_instance_templates_run(struct gceb_job *job);
int gceb_create_instance_group_managers_run(struct gceb_job *job);
int gceb_fetch_instances_run(struct gceb_job *job);
int gceb_resize_instance_groups_run(struct gceb_job *job);
int gceb_delete_instances_pending_deletion_run(struct gceb_job *job);
int gceb_schedule_metadata_tasks_run(struct gceb_job *job);
int gceb_delete_instance_group_managers_run(struct gceb_job *job);
int gceb_delete_instance_templates_run(struct gceb_job *job);
int gceb_catalog_instances_run(struct gceb_job *job);
int gceb_update_cataloged_instances_run(struct gceb_job *job);
int gceb_remove_cataloged_instances_run(struct gceb_job *job);
int gceb_cleanup_entities_run(struct gceb_job *job);

/* gceb-set-metadata: queue KEY=VALUE / KEY operands for one VM or a template's VMs. */
int gceb_set_metadata_run(struct gceb_job *job, const char *hostname, const char *template_base);

/* gceb-status: the store as a table, or as JSON; @list_instances adds every instance. */
int gceb_status_run(struct gceb_job *job, bool json, bool list_instances);

/* gceb-run-all: run every job with the options in @argv (program name excluded). */
int gceb_run_all(struct gceb_job *job, int argc, char **argv);

#endif
