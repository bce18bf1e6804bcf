/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h - the spec of every gceb binary; the logic lives in
 * lib/jobs/<job>.c, and cmd/<job>.c is gceb_job_main(&gceb_<job>_spec, ...).
 */
#ifndef GCEB_JOBS_H
#define GCEB_JOBS_H

#include "gceb/job.h"

/* The pipeline, in the order gceb-run-all runs it (docs/architecture.md). */
extern const struct gceb_job_spec gceb_import_config_spec;
extern const struct gceb_job_spec gceb_process_config_spec;
extern const struct gceb_job_spec gceb_create_instance_templates_spec;
extern const struct gceb_job_spec gceb_create_instance_group_managers_spec;
extern const struct gceb_job_spec gceb_fetch_instances_spec;
extern const struct gceb_job_spec gceb_catalog_instances_spec;
extern const struct gceb_job_spec gceb_update_cataloged_instances_spec;
extern const struct gceb_job_spec gceb_schedule_metadata_tasks_spec;
extern const struct gceb_job_spec gceb_sweep_orphans_spec;
extern const struct gceb_job_spec gceb_delete_instances_pending_deletion_spec;
extern const struct gceb_job_spec gceb_resize_instance_groups_spec;
extern const struct gceb_job_spec gceb_remove_cataloged_instances_spec;
extern const struct gceb_job_spec gceb_delete_instance_group_managers_spec;
extern const struct gceb_job_spec gceb_delete_instance_templates_spec;
extern const struct gceb_job_spec gceb_cleanup_entities_spec;

/* The tools around it. */
extern const struct gceb_job_spec gceb_run_all_spec;
extern const struct gceb_job_spec gceb_set_metadata_spec;
extern const struct gceb_job_spec gceb_status_spec;

#endif
