/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gce_create.h - insert a revision's instance template or a group's managed
 * instance group and await the insert operation (decisions.md §10.3), for
 * create-instance-templates and create-instance-group-managers. The item's
 * reference says which (GCEB_KIND_REVISION or GCEB_KIND_IGM).
 *
 * The entity's url is set only once the resource exists: from a DONE
 * operation without error, or from a GET after a 409. While the insert
 * runs, the operation's URL is kept in insert_operation and polled on later
 * runs; a failed operation is logged with GCE's error and cleared, so the
 * insert is retried on a later run. Each of these steps is the answer
 * callback sending the item's next request.
 */
#ifndef GCEB_JOBS_GCE_CREATE_H
#define GCEB_JOBS_GCE_CREATE_H

#include "run.h"

/* Poll the running insert @op_url of the item's entity. */
int gce_create_poll(struct run_item *item, const char *op_url, struct gceb_err *err);

/*
 * Send @insert (taken over) for the item's entity and await it; @project
 * is where a GET finds the resource after a 409.
 */
int gce_create_insert(struct run_item *item, struct gceb_http_request *insert, const char *project,
		      struct gceb_err *err);

#endif
