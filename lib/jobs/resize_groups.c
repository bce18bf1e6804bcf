/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resize_groups.c - gceb-resize-instance-groups: keep each active group at
 * max(minimum, ceil(1.1 x leased)), within its maximum less what older
 * revisions still hold in the zone, and at most idle + 100 per run
 * (behaviour.md §4.10; an unset maximum means unlimited, capped at 1000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

struct resize_item {
	struct gceb_run *run;
	gceb_key key;
	char zone[64];
	char *project;
	struct gceb_gce_resize_input in;
};

static void item_free(struct resize_item *item)
{
	free(item->project);
	free(item);
}

static void on_resize(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct resize_item *item = payload;
	char why[1024];

	(void)http;
	/* The answer's error list is ignored, as in the reference: the next run looks again. */
	if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(item->run, "group", item->key, "%s", why);
	}
	item_free(item);
}

static void on_get(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct resize_item *item = payload;
	struct gceb_http_request *resize = NULL;
	struct gceb_gce_igm igm = { 0 };
	struct gceb_err e = { 0 };
	int64_t size;
	char why[1024];
	int r;

	(void)http;
	if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(item->run, "group", item->key, "%s", why);
		goto out;
	}
	if (gceb_gce_parse_igm(req->response, req->response_len, &igm, &e) < 0) {
		run_fail(item->run, "group", item->key, "%s: %s", req->url, e.msg);
		goto out;
	}
	if (!igm.has_none) {
		/* RSZ-2: without currentActions.none the idle count is unknown. */
		run_fail(item->run, "group", item->key, "%s: no currentActions.none in the answer",
			 req->url);
		goto out;
	}
	item->in.idle = igm.none;
	item->in.target_size = igm.target_size;
	if (!gceb_gce_resize_size(&item->in, &size))
		goto out;
	if (gceb_gce_resize(item->run->root, item->project, item->zone, igm.name, (int32_t)size,
			    &resize, &e) < 0) {
		run_fail(item->run, "group", item->key, "%s", e.msg);
		goto out;
	}
	gceb_info("group '%s': resize from %lld to %lld", item->key, (long long)igm.target_size,
		  (long long)size);
	r = run_submit(item->run, resize, on_resize, item);
	if (r < 0)
		run_fail(item->run, "group", item->key, "out of memory");
	if (r == 0)
		item = NULL;
out:
	gceb_gce_igm_release(&igm);
	if (item)
		item_free(item);
}

struct count {
	const char *self;
	const char *zone;
	int64_t sum;
};

/* Σ members of the template's other groups in the same zone (any revision). */
static int count_other(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceGroupManager *g = (const Gceb__State__InstanceGroupManager *)msg;
	struct count *c = payload;
	char zone[64];

	if (strcmp(key, c->self) != 0 && gceb_key_token(key, 2, zone, sizeof(zone)) &&
	    !strcmp(zone, c->zone))
		c->sum += (int64_t)g->n_instances;
	return 0;
}

/* Leased instances of this group (a lease expiry, or leased indefinitely: §10.7). */
static int count_leased(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct count *c = payload;

	(void)key;
	if (in->instance_group_manager && !strcmp(in->instance_group_manager, c->self) &&
	    (in->has_lease_expiration_ts || in->leased_indefinitely))
		c->sum++;
	return 0;
}

/* RSZ-1: load the group, its revision and the counts on a fresh read. */
static int prepare(struct gceb_run *run, struct gceb_txn *txn, const char *key,
		   struct resize_item **out, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	struct resize_item *item = NULL;
	char base[64], rev[64], prefix[GCEB_STORE_MAX_KEY + 2];
	struct count other = { .self = key }, leased = { .self = key };
	gceb_key rk;
	int rc;

	*out = NULL;
	if (!gceb_key_token(key, 0, base, sizeof(base)) ||
	    !gceb_key_token(key, 1, rev, sizeof(rev)) || gceb_key_revision(rk, base, rev) < 0)
		return 0;
	rc = gceb_txn_get(txn, GCEB_KIND_IGM, key, (ProtobufCMessage **)&g, err);
	if (rc == 0)
		rc = gceb_txn_get(txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&r, err);
	if (rc == GCEB_ENOTFOUND || (rc == 0 && (!g->url || !r->project || !*r->project))) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	item = calloc(1, sizeof(*item));
	if (!item || !(item->project = strdup(r->project))) {
		rc = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	item->run = run;
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	(void)gceb_key_token(key, 2, item->zone, sizeof(item->zone));
	other.zone = leased.zone = item->zone;
	(void)snprintf(prefix, sizeof(prefix), "%s ", base);
	rc = gceb_txn_foreach(txn, GCEB_KIND_IGM, prefix, count_other, &other, err);
	(void)snprintf(prefix, sizeof(prefix), "%s ", key);
	if (rc == 0)
		rc = gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, prefix, count_leased, &leased, err);
	if (rc < 0)
		goto out;
	item->in.minimum_size = g->minimum_size;
	item->in.maximum_size = g->maximum_size;
	item->in.other = other.sum;
	item->in.leased = leased.sum;
	*out = item;
	item = NULL;
out:
	if (item)
		item_free(item);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

static void start(struct gceb_run *run, const char *key)
{
	struct gceb_http_request *req = NULL;
	struct resize_item *item = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_err e = { 0 };
	char name[160], base[64], rev[64];

	run->items++;
	if (gceb_store_begin(run->job->store, false, &txn, &e) < 0 ||
	    prepare(run, txn, key, &item, &e) < 0) {
		gceb_txn_abort(&txn);
		run_fail(run, "group", key, "%s", e.msg);
		return;
	}
	gceb_txn_abort(&txn);
	if (!item)
		return;
	(void)gceb_key_token(key, 0, base, sizeof(base));
	(void)gceb_key_token(key, 1, rev, sizeof(rev));
	(void)snprintf(name, sizeof(name), "%s-%s", base, rev);
	if (gceb_gce_igm_get(run->root, item->project, item->zone, name, &req, &e) < 0) {
		run_fail(run, "group", key, "%s", e.msg);
		item_free(item);
		return;
	}
	if (run_submit(run, req, on_get, item) != 0) {
		run_fail(run, "group", key, "out of memory");
		item_free(item);
	}
}

struct scan {
	struct gceb_txn *txn;
	struct key_list keys;
};

/* Every group key in the active list of an active revision. */
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
	for (i = 0; rc == 0 && i < r->n_active; i++)
		rc = gceb_strv_push(&s->keys.v, &s->keys.n, r->active[i]);
	gceb_entity_free(r);
	return rc;
}

int gceb_resize_instance_groups_run(struct gceb_job *job)
{
	struct gceb_run run;
	struct scan s = { 0 };
	size_t i;
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &s.txn, &job->err);
	if (r < 0)
		return r;
	r = gceb_txn_foreach(s.txn, GCEB_KIND_TEMPLATE, NULL, visit_template, &s, &job->err);
	gceb_txn_abort(&s.txn);
	for (i = 0; r == 0 && i < s.keys.n; i++)
		start(&run, s.keys.v[i]);
	key_list_release(&s.keys);
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	if (r == 0)
		r = run_wait(&run);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
