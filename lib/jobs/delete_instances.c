/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_instances.c - gceb-delete-instances-pending-deletion: ask each
 * instance's group to delete it (behaviour.md §4.9). The call is repeated
 * every run until cleanup-entities sees the VM gone; deletion_ts records
 * the first accepted attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

/* DEL-7: written once, at the first accepted attempt. */
static int set_deletion_ts(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	const struct run_item *item = payload;

	if (in && !in->has_deletion_ts) {
		in->has_deletion_ts = true;
		in->deletion_ts = item->now;
	}
	return GCEB_UPDATE_KEEP;
}

static void on_delete(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct run_item *item = payload;
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result == GCEB_EHTTP && req->status == 400) {
		/* DEL-5: already being deleted, or no longer a member. */
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key,
				 set_deletion_ts, item);
	} else if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (op.done) {
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key,
				 set_deletion_ts, item);
	} else {
		gceb_info("instance '%s': deletion is %s", item->key, op.status);
	}
	gceb_gce_operation_release(&op);
	free(item);
}

/* DEL-1: the instance, its group and its revision, re-read before the call. */
static int build(struct gceb_run *run, const char *key, struct gceb_http_request **out,
		 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	char base[64], rev[64], zone[64], igm[160];
	gceb_key rk;
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc < 0 || !in || !in->pending_deletion || !in->url || !*in->url ||
	    !in->instance_group_manager)
		goto out;
	if (!gceb_key_token(in->instance_group_manager, 0, base, sizeof(base)) ||
	    !gceb_key_token(in->instance_group_manager, 1, rev, sizeof(rev)) ||
	    !gceb_key_token(in->instance_group_manager, 2, zone, sizeof(zone)) ||
	    gceb_key_revision(rk, base, rev) < 0)
		goto out;
	rc = run_load(run, GCEB_KIND_IGM, in->instance_group_manager, (void **)&g, err);
	if (rc == 0 && g)
		rc = run_load(run, GCEB_KIND_REVISION, rk, (void **)&r, err);
	if (rc < 0 || !g || !r || !r->project || !*r->project)
		goto out;
	(void)snprintf(igm, sizeof(igm), "%s-%s", base, rev);
	rc = gceb_gce_delete_instances(run->root, r->project, zone, igm,
				       (const char *const *)&in->url, 1, out, err);
out:
	gceb_entity_free(in);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

static int pick(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg, void *payload,
		struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;

	return in->pending_deletion && !in->deleted;
}

int gceb_delete_instances_pending_deletion_run(struct gceb_job *job)
{
	static const struct run_source src = { .kind = GCEB_KIND_INSTANCE, .pick = pick };
	struct gceb_run run;
	int r;

	run_init(&run, job);
	r = run_items(&run, "instance", &src, build, on_delete);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
