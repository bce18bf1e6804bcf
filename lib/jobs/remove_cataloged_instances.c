/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remove_cataloged_instances.c - gceb-remove-cataloged-instances: take every
 * instance of a drained group out of the Machine Provider catalog and mark
 * it for deletion (docs/design/catalog.md). A leased machine is refused (LEASED)
 * and waits until Machine Provider reclaims it.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gceb/jobs.h"
#include "mp.h"
#include "run.h"

static void on_delete(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_err e = { 0 };
	char *error = NULL;

	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_manipulation(req->response, req->response_len, &error, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (!error || !strcmp(error, "ENTRY_NOT_FOUND")) {
		(void)run_record_instance(item->run, item->what, &item->ref, gceb_mark_for_deletion,
					  NULL,
					  "removed from the Machine Provider catalog (its group is "
					  "drained): marked for deletion");
	} else if (!strcmp(error, "LEASED")) {
		/* In use: it goes once its lease ends and Machine Provider reclaims it. */
		gceb_info("instance '%s' is leased: waiting for its lease to end", item->key);
	} else {
		run_item_fail(item, "delete_machine: %s", error);
	}
	free(error);
}

/* REM-1: the instance still exists and is not pending deletion. */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	Gceb__State__Instance *in = NULL;
	int rc;

	rc = gceb_fleet_load_instance(item->run->job->store, &item->ref, &in, err);
	if (rc == 0 && in && !in->pending_deletion)
		rc = gceb_mp_delete_machine(item->run->job->mp_server, item->ref.name, &req, err);
	if (rc == 0 && req)
		rc = run_item_submit(item, req, on_delete, NULL);
	gceb_entity_free(in);
	return rc;
}

/*
 * Instances of the drained groups (fleet.h) not yet pending deletion, asked
 * from the instance's side: its key names its group's. @payload is the
 * group memo.
 */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	if (e->instance->pending_deletion)
		return 0;
	return gceb_group_memo_member(payload, txn, &e->ref, GCEB_GROUP_DRAINED, err);
}

static int run(struct gceb_job *job)
{
	struct gceb_group_memo m = { 0 };
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.pick = pick,
					.payload = &m,
					.what = "instance",
					.build = build };
	int rc = run_job_drained(job, &src);

	gceb_group_memo_release(&m);
	return rc;
}

const struct gceb_job_spec gceb_remove_cataloged_instances_spec = {
	.name = "remove-cataloged-instances",
	.summary = "Take the VMs of drained groups out of the catalog and mark them for deletion.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
