/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_instance_group_managers.c - gceb-delete-instance-group-managers:
 * delete in GCE each drained group that has no instances left
 * (docs/design/delete.md).
 */
#include "fleet.h"
#include "gce_delete.h"
#include "gceb/jobs.h"
#include "run.h"

/* Clear the url only if it is still the one that was deleted. */
static int clear_url(Gceb__State__InstanceGroupManager **g, void *payload, struct gceb_err *err)
{
	if (!*g)
		return GCEB_UPDATE_KEEP;
	return gce_delete_clear(&(*g)->url, &(*g)->has_delete_requested, &(*g)->delete_requested,
				&(*g)->request_nonce, payload, err);
}

static void on_delete(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	if (gce_delete_confirmed(item, req))
		(void)run_update_group(item->run, item->what, &item->ref, clear_url,
				       (void *)gce_delete_url(item));
}

/* DIG-7: no URL to delete while instances are known (drained status is not re-checked). */
static bool deletable(const Gceb__State__InstanceGroupManager *g)
{
	return g->n_instances == 0 && g->url && *g->url;
}

static int build(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	int rc = gceb_fleet_load_group(item->run->job->store, &item->ref, &g, err);

	if (rc == 0 && g && deletable(g))
		rc = gce_delete_submit(item, g->url, g->request_nonce, on_delete, err);
	gceb_entity_free(g);
	return rc;
}

/* The drained groups (fleet.h) with a URL and no instances. @payload is the state memo. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	enum gceb_group_state state;
	int rc;

	if (!deletable(e->group))
		return 0;
	rc = gceb_state_memo_group(payload, txn, &e->ref, &state, err);
	return rc < 0 ? rc : state == GCEB_GROUP_DRAINED;
}

static int run(struct gceb_job *job)
{
	struct gceb_state_memo m = { 0 };
	const struct run_source src = {
		.kind = GCEB_KIND_IGM, .pick = pick, .payload = &m, .what = "group", .build = build
	};
	int rc = run_job_drained(job, &src);

	gceb_state_memo_release(&m);
	return rc;
}

const struct gceb_job_spec gceb_delete_instance_group_managers_spec = {
	.name = "delete-instance-group-managers",
	.summary = "Delete in GCE each drained group that has no VMs left.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
