/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schedule_metadata.c - gceb-schedule-metadata-tasks: apply queued metadata
 * updates to instances (behaviour.md §4.8). Per instance, one of:
 *   compress - merge the pending updates into one active update;
 *   update   - read the instance's metadata, apply the active update, and
 *              send setMetadata with the fingerprint read;
 *   check    - poll the setMetadata operation: done clears the active
 *              update; failed merges it with what is pending, to retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "metadata_update.h"
#include "run.h"

enum task { TASK_COMPRESS, TASK_UPDATE, TASK_CHECK };

struct md_item {
	struct gceb_run *run;
	gceb_key key;
	char zone[64], name[64];
	char *project;
	char checksum[GCEB_SHA1_HEX_LEN + 1]; /* of the active update at the start */
	Gceb__State__MetadataUpdate *active;  /* as read at the start */
	char *op_url;                         /* check: the operation polled */
	int64_t now;
};

static void item_free(struct md_item *item)
{
	free(item->project);
	free(item->op_url);
	gceb_entity_free(item->active);
	free(item);
}

/* MD-5: pending updates become one active update. */
static int compress(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;

	(void)payload;
	if (!in || in->active_metadata_update || in->n_pending_metadata_updates == 0)
		return GCEB_UPDATE_KEEP;
	in->active_metadata_update =
		metadata_merge(in->pending_metadata_updates, in->n_pending_metadata_updates);
	if (!in->active_metadata_update)
		return GCEB_ENOMEM;
	while (in->n_pending_metadata_updates > 0)
		gceb_entity_free(in->pending_metadata_updates[--in->n_pending_metadata_updates]);
	return GCEB_UPDATE_KEEP;
}

/* MD-2: record the operation, unless the active update changed meanwhile. */
static int associate(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	const struct md_item *item = payload;
	Gceb__State__MetadataUpdate *a = in ? in->active_metadata_update : NULL;

	if (!a || a->url || !a->checksum || strcmp(a->checksum, item->checksum) != 0)
		return GCEB_UPDATE_KEEP;
	a->has_operation_ts = true;
	a->operation_ts = item->now;
	return gceb_set_string(&a->url, item->op_url);
}

/* MD-3: the operation succeeded: the update is done. */
static int clear_active(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	const struct md_item *item = payload;
	Gceb__State__MetadataUpdate *a = in ? in->active_metadata_update : NULL;

	if (!a || !a->url || strcmp(a->url, item->op_url) != 0)
		return GCEB_UPDATE_KEEP;
	gceb_entity_free(a);
	in->active_metadata_update = NULL;
	return GCEB_UPDATE_KEEP;
}

/* MD-6: the operation failed: retry the active update merged with what is pending. */
static int reschedule(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	const struct md_item *item = payload;
	Gceb__State__MetadataUpdate *a = in ? in->active_metadata_update : NULL, **all, *merged;
	size_t i;

	if (!a || !a->url || strcmp(a->url, item->op_url) != 0)
		return GCEB_UPDATE_KEEP;
	all = calloc(in->n_pending_metadata_updates + 1, sizeof(*all));
	if (!all)
		return GCEB_ENOMEM;
	all[0] = a;
	for (i = 0; i < in->n_pending_metadata_updates; i++)
		all[i + 1] = in->pending_metadata_updates[i];
	merged = metadata_merge(all, in->n_pending_metadata_updates + 1);
	free(all);
	if (!merged)
		return GCEB_ENOMEM;
	gceb_entity_free(a);
	in->active_metadata_update = merged;
	while (in->n_pending_metadata_updates > 0)
		gceb_entity_free(in->pending_metadata_updates[--in->n_pending_metadata_updates]);
	return GCEB_UPDATE_KEEP;
}

static void fail_request(struct md_item *item, const struct gceb_http_request *req)
{
	char why[1024];

	run_describe(req, why, sizeof(why));
	run_fail(item->run, "instance", item->key, "%s", why);
}

static void on_check(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct md_item *item = payload;
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result < 0) {
		fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (op.done && op.has_error) {
		gceb_warn("instance '%s': metadata update failed: %s: %s; rescheduled", item->key,
			  op.error_code ? op.error_code : "error",
			  op.error_message ? op.error_message : "(no message)");
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key, reschedule,
				 item);
	} else if (op.done) {
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key, clear_active,
				 item);
	}
	gceb_gce_operation_release(&op);
	item_free(item);
}

static void on_set(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct md_item *item = payload;
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result < 0) {
		/* A stale fingerprint (412) included: the next run reads it afresh. */
		fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (!(item->op_url = strdup(op.self_link))) {
		run_fail(item->run, "instance", item->key, "out of memory");
	} else {
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key, associate,
				 item);
	}
	gceb_gce_operation_release(&op);
	item_free(item);
}

static void on_get(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct md_item *item = payload;
	struct gceb_gce_metadata md = { 0 };
	struct gceb_http_request *set = NULL;
	struct gceb_gce_item *items = NULL;
	struct gceb_err e = { 0 };
	size_t n = 0;
	int r;

	(void)http;
	if (req->result < 0) {
		fail_request(item, req);
		goto out;
	}
	if (gceb_gce_parse_instance_metadata(req->response, req->response_len, &md, &e) < 0 ||
	    gceb_gce_metadata_apply(md.items, md.n_items, item->active->metadata,
				    item->active->n_metadata, &items, &n, &e) < 0 ||
	    gceb_gce_set_metadata(item->run->root, item->project, item->zone, item->name,
				  md.fingerprint, items, n, &set, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s", e.msg);
		goto out;
	}
	item->now = gceb_now();
	r = run_submit(item->run, set, on_set, item);
	if (r < 0)
		run_fail(item->run, "instance", item->key, "out of memory");
	if (r == 0)
		item = NULL;
out:
	gceb_gce_items_free(items, n);
	gceb_gce_metadata_release(&md);
	if (item)
		item_free(item);
}

/* MD-7 and MD-4: fill the item from fresh reads; *@req is NULL if there is nothing to do. */
static int prepare(struct md_item *item, enum task task, struct gceb_http_request **req,
		   struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	Gceb__State__Revision *r = NULL;
	Gceb__State__InstanceGroupManager *g = NULL;
	char base[64], rev[64];
	gceb_key rk;
	int rc;

	*req = NULL;
	rc = run_load(item->run, GCEB_KIND_INSTANCE, item->key, (void **)&in, err);
	if (rc < 0 || !in || !in->active_metadata_update)
		goto out;
	if (task == TASK_CHECK) {
		if (in->active_metadata_update->url &&
		    (item->op_url = strdup(in->active_metadata_update->url)))
			rc = gceb_gce_get_stored(item->run->root, item->op_url, req, err);
		goto out;
	}
	if (in->active_metadata_update->url || !in->url || !in->instance_group_manager ||
	    !gceb_key_token(item->key, 0, base, sizeof(base)) ||
	    !gceb_key_token(item->key, 1, rev, sizeof(rev)) ||
	    !gceb_key_token(item->key, 2, item->zone, sizeof(item->zone)) ||
	    !gceb_key_token(item->key, 3, item->name, sizeof(item->name)) ||
	    gceb_key_revision(rk, base, rev) < 0)
		goto out;
	rc = run_load(item->run, GCEB_KIND_IGM, in->instance_group_manager, (void **)&g, err);
	if (rc == 0 && g)
		rc = run_load(item->run, GCEB_KIND_REVISION, rk, (void **)&r, err);
	if (rc < 0 || !g || !r || !r->project || !*r->project)
		goto out;
	item->active = in->active_metadata_update;
	in->active_metadata_update = NULL;
	(void)snprintf(item->checksum, sizeof(item->checksum), "%s",
		       item->active->checksum ? item->active->checksum : "");
	if (!(item->project = strdup(r->project)))
		rc = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	else
		rc = gceb_gce_get_stored(item->run->root, in->url, req, err);
out:
	gceb_entity_free(in);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

static void start(struct gceb_run *run, const char *key, enum task task)
{
	struct gceb_http_request *req = NULL;
	struct md_item *item = calloc(1, sizeof(*item));
	struct gceb_err e = { 0 };

	run->items++;
	if (!item) {
		run_fail(run, "instance", key, "out of memory");
		return;
	}
	item->run = run;
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	if (task == TASK_COMPRESS) {
		(void)run_update(run, "instance", GCEB_KIND_INSTANCE, key, compress, NULL);
	} else if (prepare(item, task, &req, &e) < 0) {
		run_fail(run, "instance", key, "%s", e.msg);
	} else if (req && run_submit(run, req, task == TASK_CHECK ? on_check : on_get, item) == 0) {
		return; /* the callback frees the item */
	}
	item_free(item);
}

struct scan {
	struct key_list keys[3]; /* by enum task */
};

static int visit_instance(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct scan *s = payload;
	enum task task;

	if (in->active_metadata_update)
		task = in->active_metadata_update->url ? TASK_CHECK : TASK_UPDATE;
	else if (in->n_pending_metadata_updates > 0)
		task = TASK_COMPRESS;
	else
		return 0;
	return gceb_strv_push(&s->keys[task].v, &s->keys[task].n, key);
}

int gceb_schedule_metadata_tasks_run(struct gceb_job *job)
{
	struct gceb_run run;
	struct scan s = { 0 };
	size_t i;
	int r, t;

	run_init(&run, job);
	r = run_scan(&run, GCEB_KIND_INSTANCE, visit_instance, &s);
	for (t = 0; t < 3; t++) {
		for (i = 0; r == 0 && i < s.keys[t].n; i++)
			start(&run, s.keys[t].v[i], (enum task)t);
		key_list_release(&s.keys[t]);
	}
	if (r == 0)
		r = run_wait(&run);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
