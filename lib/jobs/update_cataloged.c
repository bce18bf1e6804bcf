/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_cataloged.c - gceb-update-cataloged-instances: ask Machine Provider
 * about every cataloged instance and record its lease (behaviour.md §4.7,
 * with decisions.md §10.7: leased_indefinitely counts as leased). A 404
 * means Machine Provider reclaimed the machine: mark it for deletion.
 */
#include <stdlib.h>
#include <string.h>

#include "gceb/jobs.h"
#include "instance_mark.h"
#include "mp.h"
#include "run.h"

/* UPD-4: store the lease as reported; a stale value is not cleared by its absence. */
static int set_lease(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
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

static void on_get(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct run_item *item = payload;
	struct gceb_mp_machine m = { 0 };
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result == GCEB_ENOTFOUND && is_json(req)) {
		/*
		 * UPD-3: the catalog entry is gone. Only a JSON 404 says so: the
		 * HTML 404 of a cold Cloud Endpoints front end says nothing.
		 */
		gceb_info("instance '%s' left the catalog: marking it for deletion", item->key);
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key,
				 mark_for_deletion, NULL);
	} else if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_get(req->response, req->response_len, &m, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (m.has_lease_expiration_ts || m.leased_indefinitely) {
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key, set_lease,
				 &m);
	}
	free(item);
}

/* UPD-1: cataloged and not pending deletion, on a fresh read. */
static int build(struct gceb_run *run, const char *key, struct gceb_http_request **out,
		 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	char name[64];
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc == 0 && in && in->cataloged && !in->pending_deletion &&
	    gceb_key_token(key, 3, name, sizeof(name)))
		rc = gceb_mp_get(run->job->mp_server, name, out, err);
	gceb_entity_free(in);
	return rc;
}

static int pick(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg, void *payload,
		struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;

	return in->cataloged && !in->pending_deletion;
}

int gceb_update_cataloged_instances_run(struct gceb_job *job)
{
	static const struct run_source src = { .kind = GCEB_KIND_INSTANCE, .pick = pick };
	struct gceb_run run;
	int r;

	run_init(&run, job);
	r = run_items(&run, "instance", &src, build, on_get);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
