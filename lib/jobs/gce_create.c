/* SPDX-License-Identifier: Apache-2.0 */
/* gce_create.c - insert a GCE resource and wait for its operation */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gce.h"
#include "gce_create.h"

/* What an answer says about the entity. */
struct outcome {
	const char *url;       /* set url to this (NULL: leave it) */
	const char *operation; /* set insert_operation to this (NULL: leave it) */
	const char *clear_if;  /* clear insert_operation if it equals this */
	bool failed;           /* clear_if is an insert that failed */
};

/* Re-check in the write transaction: the entity may have changed since the build. */
static int apply(char **url, char **op, char **nonce, const struct outcome *o, struct gceb_err *err)
{
	/*
	 * CMP-RID-1: an insert that failed is never repeated under its requestId.
	 * It was sent under the stored nonce if its operation is the one stored,
	 * or none is (the insert's own answer said DONE).
	 */
	if (o->failed && !*url && (!*op || !strcmp(*op, o->clear_if)) &&
	    gceb_set_string(nonce, NULL) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if ((o->url && (!*url || strcmp(*url, o->url) != 0) && gceb_set_string(url, o->url) < 0) ||
	    (o->url && gceb_set_string(op, NULL) < 0) ||
	    (o->operation && !*url && gceb_set_string(op, o->operation) < 0) ||
	    (o->clear_if && *op && !strcmp(*op, o->clear_if) && gceb_set_string(op, NULL) < 0))
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return GCEB_UPDATE_KEEP;
}

static int apply_revision(Gceb__State__Revision **r, void *payload, struct gceb_err *err)
{
	if (!*r)
		return GCEB_UPDATE_KEEP;
	return apply(&(*r)->url, &(*r)->insert_operation, &(*r)->request_nonce, payload, err);
}

static int apply_group(Gceb__State__InstanceGroupManager **g, void *payload, struct gceb_err *err)
{
	if (!*g)
		return GCEB_UPDATE_KEEP;
	return apply(&(*g)->url, &(*g)->insert_operation, &(*g)->request_nonce, payload, err);
}

static void record(struct run_item *item, const struct outcome *o)
{
	if (item->ref.kind == GCEB_KIND_IGM)
		(void)run_update_group(item->run, item->what, &item->ref, apply_group, (void *)o);
	else
		(void)run_update_revision(item->run, item->what, &item->ref, apply_revision,
					  (void *)o);
}

/* A server-minted link must resolve onto the configured root (docs/design/departures.md). */
static bool link_ok(struct run_item *item, const char *link)
{
	struct gceb_err e = { 0 };
	char *url = NULL;
	int r = gceb_gce_resolve(item->run->root, link, &url, &e);

	free(url);
	if (r < 0)
		run_item_fail_code(item, GCEB_EPARSE, "refusing link '%s': %s", link, e.msg);
	return r == 0;
}

static void on_poll(struct run_item *item, struct gceb_http_request *req, void *arg);

int gce_create_poll(struct run_item *item, const char *op_url, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	int r = gceb_gce_get_stored(item->run->root, op_url, &req, &e);

	if (r < 0)
		return gceb_err_set(err, r, "operation '%s': %s", op_url, e.msg);
	return run_item_submit(item, req, on_poll, NULL);
}

/* An operation answer, from the insert itself (@may_poll) or from a poll. */
static void handle_operation(struct run_item *item, const struct gceb_http_request *req,
			     bool may_poll)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_item_fail_code(item, e.code, "%s %s: %s", req->method, req->url, e.msg);
	} else if (op.done && op.has_error) {
		run_item_fail(item, "insert failed: %s: %s; it will be retried",
			      op.error_code ? op.error_code : "error",
			      op.error_message ? op.error_message : "(no message)");
		record(item, &(struct outcome){ .clear_if = op.self_link, .failed = true });
	} else if (op.done && !op.target_link) {
		run_item_fail_code(item, GCEB_EPARSE, "operation '%s' has no targetLink",
				   op.self_link);
	} else if (op.done && !link_ok(item, op.target_link)) {
		/* Never store a link on another host: its token would follow it. */
	} else if (op.done) {
		record(item, &(struct outcome){ .url = op.target_link });
	} else {
		record(item, &(struct outcome){ .operation = op.self_link });
		/* One poll now: most inserts finish within a round trip or two. */
		if (may_poll && gce_create_poll(item, op.self_link, &e) < 0)
			run_item_fail_code(item, e.code, "%s", e.msg);
	}
	gceb_gce_operation_release(&op);
}

static void on_poll(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	if (req->result == GCEB_ENOTFOUND)
		/* Operations expire: forget it; a new insert finds the resource with a 409. */
		record(item, &(struct outcome){ .clear_if = req->url });
	else if (req->result < 0)
		run_item_fail_request(item, req);
	else
		handle_operation(item, req, false);
}

static void on_get(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_err e = { 0 };
	char *self = NULL;

	if (req->result == GCEB_ENOTFOUND)
		/* Taken (409) but not there yet: the first insert is still running. */
		gceb_info("%s '%s': being created by an earlier insert; next run looks again",
			  item->what, item->key);
	else if (req->result < 0)
		run_item_fail_request(item, req);
	else if (gceb_gce_parse_self_link(req->response, req->response_len, &self, &e) < 0)
		run_item_fail_code(item, e.code, "%s %s: %s", req->method, req->url, e.msg);
	else if (link_ok(item, self))
		record(item, &(struct outcome){ .url = self });
	free(self);
}

/* The GET by name that finds what an insert answered 409 for. */
static int build_get(struct run_item *item, struct gceb_http_request **out, struct gceb_err *err)
{
	const char *project = item->data;
	char name[GCEB_GCE_NAME_MAX + 1];
	bool group = item->ref.kind == GCEB_KIND_IGM;
	int r = gceb_fleet_name(&item->ref, group ? GCEB_NAME_GROUP : GCEB_NAME_TEMPLATE, name,
				err);

	if (r < 0)
		return r;
	if (group)
		return gceb_gce_igm_get(item->run->root, project, item->ref.zone, name, out, err);
	return gceb_gce_template_get(item->run->root, project, name, out, err);
}

static void on_insert(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_http_request *get = NULL;
	struct gceb_err e = { 0 };

	if (req->result == GCEB_EEXIST) {
		/* It exists already (a crash after the insert, or a retry): adopt it. */
		if (build_get(item, &get, &e) < 0)
			run_item_fail_code(item, e.code, "%s", e.msg);
		else
			(void)run_item_submit(item, get, on_get, NULL);
	} else if (req->result < 0) {
		run_item_fail_request(item, req);
	} else {
		handle_operation(item, req, true);
	}
}

/* Keep the nonce stored, or store @payload's; either way @payload ends up holding it. */
static int keep_nonce(char **nonce, char *mine, struct gceb_err *err)
{
	if (*nonce && strlen(*nonce) == GCEB_GCE_NONCE_LEN)
		(void)snprintf(mine, GCEB_GCE_NONCE_LEN + 1, "%s", *nonce);
	else if (gceb_set_string(nonce, mine) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return GCEB_UPDATE_KEEP;
}

static int nonce_revision(Gceb__State__Revision **r, void *payload, struct gceb_err *err)
{
	return *r ? keep_nonce(&(*r)->request_nonce, payload, err) : GCEB_UPDATE_KEEP;
}

static int nonce_group(Gceb__State__InstanceGroupManager **g, void *payload, struct gceb_err *err)
{
	return *g ? keep_nonce(&(*g)->request_nonce, payload, err) : GCEB_UPDATE_KEEP;
}

int gce_request_nonce(struct run_item *item, const char *stored, char out[GCEB_GCE_NONCE_LEN + 1],
		      struct gceb_err *err)
{
	int r;

	if (stored && strlen(stored) == GCEB_GCE_NONCE_LEN) {
		(void)snprintf(out, GCEB_GCE_NONCE_LEN + 1, "%s", stored);
		return 0;
	}
	if ((r = gceb_gce_new_nonce(out, err)) < 0)
		return r;
	/* Written before the request is sent: the engine commits before any I/O. */
	if (item->ref.kind == GCEB_KIND_IGM)
		r = run_update_group(item->run, item->what, &item->ref, nonce_group, out);
	else
		r = run_update_revision(item->run, item->what, &item->ref, nonce_revision, out);
	return r < 0 ? 1 : 0;
}

int gce_create_insert(struct run_item *item, struct gceb_http_request *insert, const char *project,
		      const char *nonce, struct gceb_err *err)
{
	char salt[GCEB_GCE_NONCE_LEN + 1];
	int r = gce_request_nonce(item, nonce, salt, err);

	if (r == 0)
		r = gceb_gce_add_request_id(insert, salt, err);
	if (r > 0) { /* the update failed and was reported */
		gceb_http_request_free(insert);
		return 0;
	}
	item->data = r == 0 ? strdup(project) : NULL;
	item->free_data = free;
	if (r == 0 && !item->data)
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (r < 0) {
		gceb_http_request_free(insert);
		return r;
	}
	return run_item_submit(item, insert, on_insert, NULL);
}
