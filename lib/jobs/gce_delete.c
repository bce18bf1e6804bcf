/* SPDX-License-Identifier: Apache-2.0 */
/* gce_delete.c - DELETE a stored GCE URL and clear it */
#include <stdlib.h>
#include <string.h>

#include "gce.h"
#include "gce_create.h"
#include "gce_delete.h"

int gce_delete_submit(struct run_item *item, const char *url, const char *nonce, run_done_fn done,
		      struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	char salt[GCEB_GCE_NONCE_LEN + 1];
	int r;

	item->data = strdup(url);
	item->free_data = free;
	if (!item->data)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	r = gceb_gce_delete_stored(item->run->root, url, &req, err);
	if (r == 0)
		r = gce_request_nonce(item, nonce, salt, err);
	if (r == 0)
		r = gceb_gce_add_request_id(req, salt, err);
	if (r != 0) {
		gceb_http_request_free(req);
		return r > 0 ? 0 : r; /* > 0: storing the nonce failed, and was reported */
	}
	return run_item_submit(item, req, done, NULL);
}

const char *gce_delete_url(const struct run_item *item)
{
	return item->data;
}

/* Two links name the same resource if they resolve to the same URL on our root. */
static bool same_resource(const char *root, const char *a, const char *b)
{
	char *ra = NULL, *rb = NULL;
	bool same;

	if (!strcmp(a, b))
		return true;
	same = gceb_gce_resolve(root, a, &ra, NULL) == 0 &&
	       gceb_gce_resolve(root, b, &rb, NULL) == 0 && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

bool gce_delete_confirmed(struct run_item *item, const struct gceb_http_request *req)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };
	bool ok = false;

	if (req->result == GCEB_ENOTFOUND)
		return true;
	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_item_fail_code(item, e.code, "DELETE %s: %s", req->url, e.msg);
	} else if (!op.target_link ||
		   !same_resource(item->run->root, op.target_link, gce_delete_url(item))) {
		/*
		 * The reference's safety check: never forget a URL GCE did not
		 * confirm. An answer about another resource is a malformed one.
		 */
		run_item_fail_code(item, GCEB_EPARSE,
				   "DELETE %s answered for '%s', not for this resource", req->url,
				   op.target_link ? op.target_link : "(no targetLink)");
	} else {
		ok = true;
	}
	gceb_gce_operation_release(&op);
	return ok;
}

int gce_delete_clear(char **url, protobuf_c_boolean *has_delete_requested,
		     protobuf_c_boolean *delete_requested, char **nonce, const char *deleted,
		     struct gceb_err *err)
{
	if (!*url || strcmp(*url, deleted) != 0)
		return GCEB_UPDATE_KEEP;
	/* CMP-RID-2: the resource is gone; what comes next of this name is a new request. */
	if (gceb_set_string(url, NULL) < 0 || gceb_set_string(nonce, NULL) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	*has_delete_requested = *delete_requested = true;
	return GCEB_UPDATE_KEEP;
}
