/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gce_delete.h - DELETE a drained GCE resource by its stored URL, for
 * delete-instance-group-managers and delete-instance-templates
 * (docs/design/delete.md): the url is cleared once GCE accepts the
 * DELETE for that very resource, or says it is already gone (404).
 */
#ifndef GCEB_JOBS_GCE_DELETE_H
#define GCEB_JOBS_GCE_DELETE_H

#include <stdbool.h>

#include "run.h"

/*
 * Send DELETE @url for @item, keeping a copy of @url as the item's data,
 * with the requestId of the entity's @nonce (gce_request_nonce(), stored
 * first if the entity has none; docs/design/compute.md CMP-RID-2).
 */
int gce_delete_submit(struct run_item *item, const char *url, const char *nonce, run_done_fn done,
		      struct gceb_err *err);

/*
 * Whether the answer @req to the item's DELETE lets its url be cleared: a
 * 404, or an operation whose target is that very resource. Otherwise the
 * item failed (logged) and false is returned.
 */
bool gce_delete_confirmed(struct run_item *item, const struct gceb_http_request *req);

/* The URL the item deleted (its data). */
const char *gce_delete_url(const struct run_item *item);

/*
 * Clear *@url if it is still the URL deleted (@deleted), set
 * *@delete_requested (cleanup-entities waits for a 404 before it forgets
 * the entity) and clear *@nonce (a later insert or delete of the same name
 * is a new request). Returns 0 or GCEB_ENOMEM.
 */
int gce_delete_clear(char **url, protobuf_c_boolean *has_delete_requested,
		     protobuf_c_boolean *delete_requested, char **nonce, const char *deleted,
		     struct gceb_err *err);

#endif
