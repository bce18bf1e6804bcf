/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gce_create.h - insert a revision's instance template or a group's managed
 * instance group and await the insert operation (docs/design/departures.md), for
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

#include "gce.h"
#include "run.h"

/* Poll the running insert @op_url of the item's entity. */
int gce_create_poll(struct run_item *item, const char *op_url, struct gceb_err *err);

/*
 * The request nonce of the item's entity (a revision or a group) in @out:
 * @stored if it is one, else a new one, stored in the entity before any
 * request is sent (docs/design/compute.md "requestId"). Returns 0, 1 if
 * storing it failed (reported against the item: send nothing), or a
 * negative code with @err set.
 */
int gce_request_nonce(struct run_item *item, const char *stored, char out[GCEB_GCE_NONCE_LEN + 1],
		      struct gceb_err *err);

/*
 * Send @insert (taken over) for the item's entity and await it; @project
 * is where a GET finds the resource after a 409. The insert carries the
 * requestId of the entity's @nonce (gce_request_nonce(); CMP-RID-1): sent
 * again after a lost answer, it is the same request to Compute; a failed
 * operation clears the nonce, so the next insert is a new request.
 */
int gce_create_insert(struct run_item *item, struct gceb_http_request *insert, const char *project,
		      const char *nonce, struct gceb_err *err);

#endif
