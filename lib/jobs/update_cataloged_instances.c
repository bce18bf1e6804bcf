/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_cataloged.c - gceb-update-cataloged-instances: ask Machine Provider
 * about every cataloged instance and record its lease (docs/design/catalog.md,
 * with docs/design/departures.md: leased_indefinitely counts as leased). A 404
 * means Machine Provider reclaimed the machine: mark it for deletion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gceb/jobs.h"
#include "mp.h"
#include "run.h"

/* UPD-4: store the lease as reported; a stale value is not cleared by its absence. */
static int set_lease(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *in = *inp;
	const struct gceb_mp_machine *m = payload;

	if (!in)
		return GCEB_UPDATE_KEEP;
	if (m->has_lease_expiration_ts) {
		in->has_lease_expiration_ts = true;
		in->lease_expiration_ts = m->lease_expiration_ts;
	}
	if (m->leased_indefinitely || in->leased_indefinitely) {
		in->has_leased_indefinitely = true;
		in->leased_indefinitely = m->leased_indefinitely;
	}
	return GCEB_UPDATE_KEEP;
}

static bool is_json(const struct gceb_http_request *req)
{
	return req->content_type && !strncmp(req->content_type, "application/json", 16);
}

static void on_get(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_mp_machine m = { 0 };
	struct gceb_err e = { 0 };

	if (req->result == GCEB_ENOTFOUND && is_json(req)) {
		/*
		 * UPD-3: the catalog entry is gone. Only a JSON 404 says so: the
		 * HTML 404 of a cold Cloud Endpoints front end says nothing.
		 */
		(void)run_record_instance(
			item->run, item->what, &item->ref, gceb_mark_for_deletion, NULL,
			"reclaimed (gone from the Machine Provider catalog): marked "
			"for deletion");
	} else if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_get(req->response, req->response_len, &m, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (m.has_lease_expiration_ts || m.leased_indefinitely) {
		char event[64] = "leased indefinitely";

		if (!m.leased_indefinitely)
			(void)snprintf(event, sizeof(event), "leased until %lld",
				       (long long)m.lease_expiration_ts);
		(void)run_record_instance(item->run, item->what, &item->ref, set_lease, &m, event);
	}
}

/* UPD-1: cataloged and not pending deletion, on a fresh read. */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	Gceb__State__Instance *in = NULL;
	int rc;

	rc = gceb_fleet_load_instance(item->run->job->store, &item->ref, &in, err);
	if (rc == 0 && in && in->cataloged && !in->pending_deletion)
		rc = gceb_mp_get(item->run->job->mp_server, item->ref.name, &req, err);
	if (rc == 0 && req)
		rc = run_item_submit(item, req, on_get, NULL);
	gceb_entity_free(in);
	return rc;
}

static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	return e->instance->cataloged && !e->instance->pending_deletion;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_INSTANCE, .pick = pick, .what = "instance", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_update_cataloged_instances_spec = {
	.name = "update-cataloged-instances",
	.summary = "Record the lease of every cataloged VM; mark reclaimed ones for deletion.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
