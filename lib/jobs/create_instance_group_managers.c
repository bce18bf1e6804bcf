/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create_instance_group_managers.c - gceb-create-instance-group-managers:
 * create the managed instance group of every active zone of an active
 * revision whose template exists (docs/design/create.md; groups start empty,
 * resize grows them).
 */
#include "fleet.h"
#include "gce.h"
#include "gce_create.h"
#include "gceb/jobs.h"
#include "run.h"

/* Whether revision @r can back a new group: its template exists in GCE, in a project. */
static bool ready(const Gceb__State__Revision *r)
{
	return r && r->url && r->project && *r->project;
}

/*
 * IGM-5: an active group without URL, of a revision with a template URL
 * and a project, gets its insert; a drained one whose insert was still
 * running is polled to its end (the group will exist in GCE, and the drain
 * deletes it).
 */
static int build(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	struct gceb_http_request *req = NULL;
	Gceb__State__Revision *r = NULL;
	enum gceb_group_state state = GCEB_GROUP_ORPHAN;
	struct gceb_txn *txn = NULL;
	int rc;

	rc = gceb_store_begin(item->run->job->store, false, &txn, err);
	if (rc == 0)
		rc = gceb_fleet_group_state(txn, &item->ref, &state, &r, err);
	if (rc == 0)
		rc = gceb_fleet_get_group(txn, &item->ref, &g, err);
	gceb_txn_abort(&txn);
	if (rc == 0 && !g->url && g->insert_operation &&
	    (state == GCEB_GROUP_DRAINED || (state == GCEB_GROUP_ACTIVE && ready(r))))
		rc = gce_create_poll(item, g->insert_operation, err);
	else if (rc == 0 && !g->url && state == GCEB_GROUP_ACTIVE && ready(r) &&
		 (rc = gceb_gce_igm_insert(item->run->root, r->project, item->ref.zone,
					   item->ref.base, item->ref.rev, r->url, &req, err)) == 0)
		rc = gce_create_insert(item, req, r->project, g->request_nonce, err);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc == GCEB_ENOTFOUND ? 0 : rc;
}

/* @payload is the state memo. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	enum gceb_group_state state;
	int rc;

	if (e->group->url)
		return 0;
	rc = gceb_state_memo_group(payload, txn, &e->ref, &state, err);
	if (rc == 0 && state == GCEB_GROUP_DRAINED)
		rc = e->group->insert_operation != NULL;
	else if (rc == 0)
		rc = state == GCEB_GROUP_ACTIVE && ready(gceb_state_memo_revision(payload));
	return rc;
}

static int run(struct gceb_job *job)
{
	struct gceb_state_memo m = { 0 };
	const struct run_source src = {
		.kind = GCEB_KIND_IGM, .pick = pick, .payload = &m, .what = "group", .build = build
	};
	int rc = run_job(job, &src);

	gceb_state_memo_release(&m);
	return rc;
}

const struct gceb_job_spec gceb_create_instance_group_managers_spec = {
	.name = "create-instance-group-managers",
	.summary = "Create the managed instance group of each active zone whose template exists.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
