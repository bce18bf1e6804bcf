/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.c - gceb-catalog-instances: add every instance of an active group
 * to the Machine Provider catalog (behaviour.md §4.6, §5.1, §5.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gceb/jobs.h"
#include "group_memo.h"
#include "mp.h"
#include "run.h"

static int set_cataloged(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;

	(void)payload;
	if (in && !in->cataloged) {
		in->has_cataloged = true;
		in->cataloged = true;
	}
	return GCEB_UPDATE_KEEP;
}

static void on_add(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct run_item *item = payload;
	struct gceb_err e = { 0 };
	char *error = NULL;

	(void)http;
	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_manipulation(req->response, req->response_len, &error, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (!error || !strcmp(error, "HOSTNAME_REUSE")) {
		/* HOSTNAME_REUSE: an earlier request got there; the entry is ours. */
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key,
				 set_cataloged, NULL);
	} else {
		run_fail(item->run, "instance", item->key, "add_machine: %s", error);
	}
	free(error);
	free(item);
}

/* CAT-1: the instance, its group and its revision on fresh reads. */
static int build(struct gceb_run *run, const char *key, struct gceb_http_request **out,
		 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	char base[64], rev[64], name[64];
	gceb_key rk;
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc < 0 || !in || in->cataloged || in->pending_deletion || !in->instance_group_manager)
		goto out;
	if (!gceb_key_token(key, 0, base, sizeof(base)) ||
	    !gceb_key_token(key, 1, rev, sizeof(rev)) ||
	    !gceb_key_token(key, 3, name, sizeof(name)) || gceb_key_revision(rk, base, rev) < 0)
		goto out;
	rc = run_load(run, GCEB_KIND_IGM, in->instance_group_manager, (void **)&g, err);
	if (rc == 0 && g)
		rc = run_load(run, GCEB_KIND_REVISION, rk, (void **)&r, err);
	if (rc < 0 || !g || !r || r->n_service_accounts == 0)
		goto out;
	rc = gceb_mp_add_machine(run->job->mp_server, name, key, r, out, err);
out:
	gceb_entity_free(in);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

/* Whether revision @rk is its template's active one and lists group @gk as active. */
static int group_is_active(struct gceb_txn *txn, const char *base, const char *rk, const char *gk,
			   struct gceb_err *err)
{
	Gceb__State__InstanceTemplate *t = NULL;
	Gceb__State__Revision *r = NULL;
	int rc, yes = 0;

	rc = gceb_txn_get(txn, GCEB_KIND_TEMPLATE, base, (ProtobufCMessage **)&t, err);
	if (rc < 0 || !t->active || strcmp(t->active, rk) != 0)
		goto out;
	rc = gceb_txn_get(txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&r, err);
	if (rc == 0)
		yes = gceb_strv_find(r->active, r->n_active, gk) >= 0;
out:
	gceb_entity_free(t);
	gceb_entity_free(r);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : yes;
}

/*
 * The scan of §4.6 (template, its active revision, that revision's active
 * groups, their instances) asked from the instance's side: its key names
 * its group's, whose key names its revision's. @payload is the group memo.
 */
static int pick(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg, void *payload,
		struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct group_memo *m = payload;
	gceb_key base, rk, gk;
	int rc;

	if (in->cataloged || in->pending_deletion)
		return 0;
	if (!gceb_key_prefix(key, 1, base) || !gceb_key_prefix(key, 2, rk) ||
	    !gceb_key_prefix(key, 3, gk))
		return 0;
	rc = group_memo_load(m, txn, gk, err);
	if (rc == 0 && m->verdict < 0)
		rc = m->verdict = group_is_active(txn, base, rk, gk, err);
	if (rc < 0)
		return rc;
	return m->verdict && group_memo_lists(m, key);
}

int gceb_catalog_instances_run(struct gceb_job *job)
{
	struct group_memo m = { .verdict = -1 };
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE, .pick = pick, .payload = &m };
	struct gceb_run run;
	int r;

	run_init(&run, job);
	r = run_items(&run, "instance", &src, build, on_add);
	group_memo_release(&m);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
