/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_instance_templates.c - gceb-delete-instance-templates: delete in
 * GCE the template of each drained revision whose groups are all gone
 * (docs/design/delete.md).
 */
#include "fleet.h"
#include "gce_delete.h"
#include "gceb/jobs.h"
#include "run.h"

/* Clear the url only if it is still the one that was deleted. */
static int clear_url(Gceb__State__Revision **r, void *payload, struct gceb_err *err)
{
	if (!*r)
		return GCEB_UPDATE_KEEP;
	return gce_delete_clear(&(*r)->url, &(*r)->has_delete_requested, &(*r)->delete_requested,
				&(*r)->request_nonce, payload, err);
}

static void on_delete(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	if (gce_delete_confirmed(item, req))
		(void)run_update_revision(item->run, item->what, &item->ref, clear_url,
					  (void *)gce_delete_url(item));
}

/* DTP-7: nothing to delete while the revision still lists groups. */
static bool deletable(const Gceb__State__Revision *r)
{
	return r->n_active == 0 && r->n_drained == 0 && r->url && *r->url;
}

static int build(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__Revision *r = NULL;
	int rc = gceb_fleet_load_revision(item->run->job->store, &item->ref, &r, err);

	if (rc == 0 && r && deletable(r))
		rc = gce_delete_submit(item, r->url, r->request_nonce, on_delete, err);
	gceb_entity_free(r);
	return rc;
}

/* The drained revisions (in T.drained) that list no groups and have a URL. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	enum gceb_group_state state;
	int rc;

	if (!deletable(e->revision))
		return 0;
	rc = gceb_fleet_revision_state(txn, &e->ref, &state, err);
	return rc < 0 ? rc : state == GCEB_GROUP_DRAINED;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_REVISION, .pick = pick, .what = "revision", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_delete_instance_templates_spec = {
	.name = "delete-instance-templates",
	.summary = "Delete in GCE the template of each drained revision whose groups are gone.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
