/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_instances_pending_deletion.c - gceb-delete-instances-pending-deletion:
 * ask each instance's group to delete it (docs/design/instances.md). The call is
 * repeated every run until cleanup-entities sees the VM gone; deletion_ts
 * records the first accepted attempt.
 */
#include <stdlib.h>

#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

/* DEL-7: written once, at the first accepted attempt. */
static int set_deletion_ts(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	const struct run_item *item = payload;

	if (*in && !(*in)->has_deletion_ts) {
		(*in)->has_deletion_ts = true;
		(*in)->deletion_ts = item->now;
	}
	return GCEB_UPDATE_KEEP;
}

static void on_delete(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	/* DEL-5: a 400 says it is already being deleted, or no longer a member. */
	bool accepted = req->result == GCEB_EHTTP && req->status == 400;

	if (!accepted && req->result < 0) {
		run_item_fail_request(item, req);
	} else if (!accepted &&
		   gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (!accepted && !op.done) {
		gceb_info("instance '%s': deletion is %s", item->key, op.status);
	} else {
		(void)run_update_instance(item->run, item->what, &item->ref, set_deletion_ts, item);
	}
	gceb_gce_operation_release(&op);
}

/* DEL-1: the instance, its group and its revision, re-read before the call. */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_store *store = item->run->job->store;
	struct gceb_http_request *req = NULL;
	Gceb__State__Instance *in = NULL;
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	struct gceb_ref gref, rref;
	char igm[GCEB_GCE_NAME_MAX + 1];
	int rc;

	rc = gceb_fleet_load_instance(store, &item->ref, &in, err);
	if (rc < 0 || !in || !in->pending_deletion || !in->url || !*in->url ||
	    !in->instance_group_manager ||
	    gceb_ref_parse(&gref, GCEB_KIND_IGM, in->instance_group_manager, NULL) < 0)
		goto out;
	rref = gceb_ref_up(&gref, GCEB_KIND_REVISION);
	rc = gceb_fleet_load_group(store, &gref, &g, err);
	if (rc == 0 && g)
		rc = gceb_fleet_load_revision(store, &rref, &r, err);
	if (rc < 0 || !g || !r || !r->project || !*r->project)
		goto out;
	rc = gceb_fleet_name(&gref, GCEB_NAME_GROUP, igm, err);
	if (rc == 0)
		rc = gceb_gce_delete_instances(item->run->root, r->project, gref.zone, igm,
					       (const char *const *)&in->url, 1, &req, err);
	/* CMP-RID-4: the instance in the body, and the group's lifecycle. */
	if (rc == 0 && (rc = gceb_gce_add_request_id(req, g->request_nonce, err)) < 0)
		gceb_http_request_free(req);
	if (rc == 0)
		rc = run_item_submit(item, req, on_delete, NULL);
out:
	gceb_entity_free(in);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	return e->instance->pending_deletion && !e->instance->deleted;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_INSTANCE, .pick = pick, .what = "instance", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_delete_instances_pending_deletion_spec = {
	.name = "delete-instances-pending-deletion",
	.summary = "Ask GCE to delete every VM pending deletion.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
