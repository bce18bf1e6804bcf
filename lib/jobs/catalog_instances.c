/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_instances.c - gceb-catalog-instances: add every instance of an
 * active group to the Machine Provider catalog (docs/design/catalog.md,
 * docs/design/machine-provider.md).
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gceb/jobs.h"
#include "mp.h"
#include "run.h"

static void on_add(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_err e = { 0 };
	char *error = NULL;

	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_manipulation(req->response, req->response_len, &error, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (!error || !strcmp(error, "HOSTNAME_REUSE")) {
		/* HOSTNAME_REUSE: an earlier request got there; the entry is ours. */
		(void)run_record_instance(item->run, item->what, &item->ref, gceb_mark_cataloged,
					  NULL, "cataloged in Machine Provider");
	} else {
		run_item_fail(item, "add_machine: %s", error);
	}
	free(error);
}

/* CAT-1: the instance, its group and its revision on fresh reads. */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_ref gref = gceb_ref_up(&item->ref, GCEB_KIND_IGM);
	struct gceb_ref rref = gceb_ref_up(&item->ref, GCEB_KIND_REVISION);
	struct gceb_store *store = item->run->job->store;
	Gceb__State__Instance *in = NULL;
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	struct gceb_http_request *req = NULL;
	int rc;

	rc = gceb_fleet_load_instance(store, &item->ref, &in, err);
	if (rc < 0 || !in || in->cataloged || in->pending_deletion || !in->instance_group_manager)
		goto out;
	rc = gceb_fleet_load_group(store, &gref, &g, err);
	if (rc == 0 && g)
		rc = gceb_fleet_load_revision(store, &rref, &r, err);
	if (rc < 0 || !g || !r || r->n_service_accounts == 0)
		goto out;
	rc = gceb_mp_add_machine(item->run->job->mp_server, item->ref.name, item->key, r, &req,
				 err);
	if (rc == 0)
		rc = run_item_submit(item, req, on_add, NULL);
out:
	gceb_entity_free(in);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

/*
 * The walk of docs/design/catalog.md (template, its active revision, that revision's active
 * groups, their instances) asked from the instance's side: its key names
 * its group's. @payload is the group memo.
 */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	if (e->instance->cataloged || e->instance->pending_deletion)
		return 0;
	return gceb_group_memo_member(payload, txn, &e->ref, GCEB_GROUP_ACTIVE, err);
}

static int run(struct gceb_job *job)
{
	struct gceb_group_memo m = { 0 };
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.pick = pick,
					.payload = &m,
					.what = "instance",
					.build = build };
	int rc = run_job(job, &src);

	gceb_group_memo_release(&m);
	return rc;
}

const struct gceb_job_spec gceb_catalog_instances_spec = {
	.name = "catalog-instances",
	.summary = "Add every VM of an active group to the Machine Provider catalog.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
