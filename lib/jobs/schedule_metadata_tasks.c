/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schedule_metadata.c - gceb-schedule-metadata-tasks: apply queued metadata
 * updates to instances (docs/design/metadata.md). Per instance, one of:
 *   compress - merge the pending updates into one active update;
 *   update   - read the instance's metadata, apply the active update, and
 *              send setMetadata with the fingerprint read;
 *   check    - poll the setMetadata operation: done clears the active
 *              update; failed merges it with what is pending, to retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "metadata_update.h"
#include "run.h"

/* What an instance's item knows when it starts. */
struct md {
	char *project;
	char checksum[GCEB_SHA1_HEX_LEN + 1]; /* of the active update at the start */
	Gceb__State__MetadataUpdate *active;  /* as read at the start */
	char *op_url;                         /* check: the operation polled */
	int64_t now;                          /* when setMetadata was sent */
};

static void md_free(void *data)
{
	struct md *m = data;

	if (!m)
		return;
	free(m->project);
	free(m->op_url);
	gceb_entity_free(m->active);
	free(m);
}

/* MD-5: pending updates become one active update. */
static int compress(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *in = *inp;

	if (!in || in->active_metadata_update || in->n_pending_metadata_updates == 0)
		return GCEB_UPDATE_KEEP;
	in->active_metadata_update =
		metadata_merge(in->pending_metadata_updates, in->n_pending_metadata_updates);
	if (!in->active_metadata_update)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	while (in->n_pending_metadata_updates > 0)
		gceb_entity_free(in->pending_metadata_updates[--in->n_pending_metadata_updates]);
	return GCEB_UPDATE_KEEP;
}

/* MD-2: record the operation, unless the active update changed meanwhile. */
static int associate(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	const struct md *m = payload;
	Gceb__State__MetadataUpdate *a = *inp ? (*inp)->active_metadata_update : NULL;

	if (!a || a->url || !a->checksum || strcmp(a->checksum, m->checksum) != 0)
		return GCEB_UPDATE_KEEP;
	a->has_operation_ts = true;
	a->operation_ts = m->now;
	if (gceb_set_string(&a->url, m->op_url) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return GCEB_UPDATE_KEEP;
}

/* MD-3: the operation succeeded: the update is done. */
static int clear_active(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	const struct md *m = payload;
	Gceb__State__MetadataUpdate *a = *inp ? (*inp)->active_metadata_update : NULL;

	if (!a || !a->url || strcmp(a->url, m->op_url) != 0)
		return GCEB_UPDATE_KEEP;
	gceb_entity_free(a);
	(*inp)->active_metadata_update = NULL;
	return GCEB_UPDATE_KEEP;
}

/* MD-6: the operation failed: retry the active update merged with what is pending. */
static int reschedule(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *in = *inp;
	const struct md *m = payload;
	Gceb__State__MetadataUpdate *a = in ? in->active_metadata_update : NULL, **all, *merged;
	size_t i;

	if (!a || !a->url || strcmp(a->url, m->op_url) != 0)
		return GCEB_UPDATE_KEEP;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
	all = calloc(in->n_pending_metadata_updates + 1, sizeof(*all));
	if (!all)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	all[0] = a;
	for (i = 0; i < in->n_pending_metadata_updates; i++)
		all[i + 1] = in->pending_metadata_updates[i];
	merged = metadata_merge(all, in->n_pending_metadata_updates + 1);
	free(all);
	if (!merged)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	/* A new attempt: its setMetadata must not be taken for the failed one. */
	merged->has_attempt = true;
	merged->attempt = a->attempt + 1;
	gceb_entity_free(a);
	in->active_metadata_update = merged;
	while (in->n_pending_metadata_updates > 0)
		gceb_entity_free(in->pending_metadata_updates[--in->n_pending_metadata_updates]);
	return GCEB_UPDATE_KEEP;
}

static void on_check(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (op.done && op.has_error) {
		gceb_warn("instance '%s': metadata update failed: %s: %s; rescheduled", item->key,
			  op.error_code ? op.error_code : "error",
			  op.error_message ? op.error_message : "(no message)");
		(void)run_update_instance(item->run, item->what, &item->ref, reschedule,
					  item->data);
	} else if (op.done) {
		(void)run_update_instance(item->run, item->what, &item->ref, clear_active,
					  item->data);
	}
	gceb_gce_operation_release(&op);
}

static void on_set(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_gce_operation op = { 0 };
	struct md *m = item->data;
	struct gceb_err e = { 0 };

	if (req->result < 0) {
		/* A stale fingerprint (412) included: the next run reads it afresh. */
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (!(m->op_url = strdup(op.self_link))) {
		run_item_fail(item, "out of memory");
	} else {
		(void)run_update_instance(item->run, item->what, &item->ref, associate, m);
	}
	gceb_gce_operation_release(&op);
}

/* CMP-RID-5: the fingerprint and items are in the body; the attempt tells retries apart. */
static int add_request_id(struct gceb_http_request *set, const Gceb__State__MetadataUpdate *u,
			  struct gceb_err *err)
{
	char salt[16];

	(void)snprintf(salt, sizeof(salt), "%u", (unsigned)u->attempt);
	return gceb_gce_add_request_id(set, salt, err);
}

static void on_get(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct md *m = item->data;
	struct gceb_gce_metadata md = { 0 };
	struct gceb_http_request *set = NULL;
	struct gceb_gce_item *items = NULL;
	struct gceb_err e = { 0 };
	size_t n = 0;

	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_instance_metadata(req->response, req->response_len, &md, &e) <
			   0 ||
		   gceb_gce_metadata_apply(md.items, md.n_items, m->active->metadata,
					   m->active->n_metadata, &items, &n, &e) < 0 ||
		   gceb_gce_set_metadata(item->run->root, m->project, item->ref.zone,
					 item->ref.name, md.fingerprint, items, n, &set, &e) < 0 ||
		   add_request_id(set, m->active, &e) < 0) {
		gceb_http_request_free(set);
		run_item_fail_code(item, e.code, "%s", e.msg);
	} else {
		m->now = gceb_now();
		(void)run_item_submit(item, set, on_set, NULL);
	}
	gceb_gce_items_free(items, n);
	gceb_gce_metadata_release(&md);
}

/* MD-4: the instance's group and revision exist, and the revision has a project. */
static int load_project(struct run_item *item, const Gceb__State__Instance *in, char **project,
			struct gceb_err *err)
{
	struct gceb_ref gref, rref = gceb_ref_up(&item->ref, GCEB_KIND_REVISION);
	struct gceb_store *store = item->run->job->store;
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	int rc;

	*project = NULL;
	if (gceb_ref_parse(&gref, GCEB_KIND_IGM, in->instance_group_manager, NULL) < 0)
		return 0;
	rc = gceb_fleet_load_group(store, &gref, &g, err);
	if (rc == 0 && g)
		rc = gceb_fleet_load_revision(store, &rref, &r, err);
	if (rc == 0 && r && r->project && *r->project && !(*project = strdup(r->project)))
		rc = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

/* MD-7 (check) and MD-4 (update): the first request, from fresh reads. */
static int start(struct run_item *item, Gceb__State__Instance *in, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	struct md *m = calloc(1, sizeof(*m));
	Gceb__State__MetadataUpdate *a = in->active_metadata_update;
	int rc = 0;

	item->data = m;
	item->free_data = md_free;
	if (!m)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (a->url) {
		if (!(m->op_url = strdup(a->url)))
			return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		rc = gceb_gce_get_stored(item->run->root, m->op_url, &req, err);
		return rc < 0 ? rc : run_item_submit(item, req, on_check, NULL);
	}
	if (!in->url || !in->instance_group_manager)
		return 0;
	rc = load_project(item, in, &m->project, err);
	if (rc < 0 || !m->project)
		return rc;
	m->active = a;
	in->active_metadata_update = NULL;
	(void)snprintf(m->checksum, sizeof(m->checksum), "%s",
		       m->active->checksum ? m->active->checksum : "");
	rc = gceb_gce_get_stored(item->run->root, in->url, &req, err);
	return rc < 0 ? rc : run_item_submit(item, req, on_get, NULL);
}

/* One task per instance: compress its pending updates, or apply or check its active one. */
static int build(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	int rc;

	rc = gceb_fleet_load_instance(item->run->job->store, &item->ref, &in, err);
	if (rc == 0 && in && in->active_metadata_update)
		rc = start(item, in, err);
	else if (rc == 0 && in && in->n_pending_metadata_updates > 0)
		(void)run_update_instance(item->run, item->what, &item->ref, compress, NULL);
	gceb_entity_free(in);
	return rc;
}

static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	return e->instance->active_metadata_update || e->instance->n_pending_metadata_updates > 0;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_INSTANCE, .pick = pick, .what = "instance", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_schedule_metadata_tasks_spec = {
	.name = "schedule-metadata-tasks",
	.summary = "Apply queued metadata updates to VMs and track their operations.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
