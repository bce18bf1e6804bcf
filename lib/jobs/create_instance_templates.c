/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create_instance_templates.c - gceb-create-instance-templates: create the
 * GCE instance template of every active revision that has none yet
 * (docs/design/create.md, with the insert awaited as docs/design/departures.md says).
 */
#include "fleet.h"
#include "gce.h"
#include "gce_create.h"
#include "gceb/jobs.h"
#include "run.h"

/*
 * TPL-7: an active revision that has a project and no template yet gets
 * its insert; a drained one whose insert was still running is polled to
 * its end (the template will exist in GCE, and the drain deletes it).
 */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	enum gceb_group_state state;
	Gceb__State__Revision *r = NULL;
	struct gceb_txn *txn = NULL;
	int rc;

	rc = gceb_store_begin(item->run->job->store, false, &txn, err);
	if (rc == 0)
		rc = gceb_fleet_revision_state(txn, &item->ref, &state, err);
	if (rc == 0)
		rc = gceb_fleet_get_revision(txn, &item->ref, &r, err);
	gceb_txn_abort(&txn);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	if (rc == 0 && !r->url && r->insert_operation &&
	    (state == GCEB_GROUP_ACTIVE || state == GCEB_GROUP_DRAINED))
		rc = gce_create_poll(item, r->insert_operation, err);
	else if (rc == 0 && !r->url && state == GCEB_GROUP_ACTIVE && r->project && *r->project &&
		 (rc = gceb_gce_template_insert(item->run->root, item->ref.base, item->ref.rev, r,
						&req, err)) == 0)
		rc = gce_create_insert(item, req, r->project, r->request_nonce, err);
	gceb_entity_free(r);
	return rc;
}

static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	const Gceb__State__Revision *r = e->revision;
	enum gceb_group_state state;
	int rc;

	if (r->url)
		return 0;
	rc = gceb_fleet_revision_state(txn, &e->ref, &state, err);
	if (rc < 0)
		return rc;
	if (state == GCEB_GROUP_DRAINED)
		return r->insert_operation != NULL;
	return state == GCEB_GROUP_ACTIVE && r->project && *r->project;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_REVISION, .pick = pick, .what = "revision", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_create_instance_templates_spec = {
	.name = "create-instance-templates",
	.summary = "Create the GCE instance template of each active revision that has none.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
