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

struct scan {
	struct gceb_txn *txn;
	struct key_list keys;
};

static int add_instances(struct scan *s, const Gceb__State__InstanceGroupManager *g)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < g->n_instances; i++) {
		Gceb__State__Instance *in = NULL;

		rc = gceb_txn_get(s->txn, GCEB_KIND_INSTANCE, g->instances[i],
				  (ProtobufCMessage **)&in, NULL);
		if (rc == GCEB_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0 && !in->cataloged && !in->pending_deletion)
			rc = gceb_strv_push(&s->keys.v, &s->keys.n, g->instances[i]);
		gceb_entity_free(in);
	}
	return rc;
}

/* Only instances of active groups of active revisions are cataloged. */
static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct scan *s = payload;
	Gceb__State__Revision *r = NULL;
	size_t i;
	int rc;

	(void)key;
	if (!t->active)
		return 0;
	rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, t->active, (ProtobufCMessage **)&r, NULL);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	for (i = 0; rc == 0 && i < r->n_active; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;

		rc = gceb_txn_get(s->txn, GCEB_KIND_IGM, r->active[i], (ProtobufCMessage **)&g,
				  NULL);
		if (rc == GCEB_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = add_instances(s, g);
		gceb_entity_free(g);
	}
	gceb_entity_free(r);
	return rc;
}

int gceb_catalog_instances_run(struct gceb_job *job)
{
	struct gceb_run run;
	struct scan s = { 0 };
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &s.txn, &job->err);
	if (r < 0)
		return r;
	r = gceb_txn_foreach(s.txn, GCEB_KIND_TEMPLATE, NULL, visit_template, &s, &job->err);
	gceb_txn_abort(&s.txn);
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	if (r == 0)
		r = run_items(&run, "instance", &s.keys, build, on_add);
	key_list_release(&s.keys);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
