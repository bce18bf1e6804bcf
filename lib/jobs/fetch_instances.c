/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch_instances.c - gceb-fetch-instances: list the VMs of every group that
 * exists in GCE, create an Instance entity for each new one, and record the
 * group's members (behaviour.md §4.5) with the decisions.md §10.5 fixes: a
 * group whose revision is missing or has no project is skipped, never
 * wiped; an instance that vanished from the listing without being pending
 * deletion is checked with a GET and, on 404, marked deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "instance_mark.h"
#include "run.h"

struct fetch_item {
	struct gceb_run *run;
	gceb_key key; /* the group */
	char base[64], rev[64], zone[64];
	char *project;
	char **urls; /* every instance URL listed so far */
	size_t n_urls;
	unsigned pages;
};

/* One vanished instance being checked. */
struct check_item {
	struct gceb_run *run;
	gceb_key key;
};

static void item_free(struct fetch_item *item)
{
	size_t i;

	for (i = 0; i < item->n_urls; i++)
		free(item->urls[i]);
	free(item->urls);
	free(item->project);
	free(item);
}

static int instance_key(const struct fetch_item *item, const char *url, gceb_key out)
{
	return gceb_key_instance(out, item->base, item->rev, item->zone, gceb_gce_url_name(url));
}

/* Create the Instance entities that do not exist yet, in one short write transaction. */
static int create_instances(struct fetch_item *item, struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	size_t i, created = 0;
	int r;

	r = gceb_store_begin(item->run->job->store, true, &txn, err);
	if (r < 0)
		return r;
	for (i = 0; r == 0 && i < item->n_urls; i++) {
		Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT;
		ProtobufCMessage *old = NULL;
		gceb_key k;

		if (instance_key(item, item->urls[i], k) < 0)
			continue;
		r = gceb_txn_get(txn, GCEB_KIND_INSTANCE, k, &old, err);
		gceb_entity_free(old);
		if (r != GCEB_ENOTFOUND)
			continue; /* exists (its url is never refreshed), or an error */
		in.instance_group_manager = item->key;
		in.url = item->urls[i];
		r = gceb_txn_put(txn, GCEB_KIND_INSTANCE, k, &in.base, err);
		created++;
	}
	if (r == 0 && created > 0)
		r = gceb_txn_commit(&txn, err);
	gceb_txn_abort(&txn);
	if (r == 0 && created > 0)
		gceb_info("group '%s': %zu new instance%s", item->key, created,
			  created == 1 ? "" : "s");
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct members {
	char **keys;
	size_t n;
};

/* IGM.instances = the sorted keys, written only if different (FET-5..7). */
static int set_members(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__InstanceGroupManager *g = (Gceb__State__InstanceGroupManager *)*msg;
	const struct members *m = payload;
	size_t i;

	if (!g)
		return GCEB_UPDATE_KEEP;
	while (g->n_instances > 0)
		free(g->instances[--g->n_instances]);
	for (i = 0; i < m->n; i++)
		if (gceb_strv_push(&g->instances, &g->n_instances, m->keys[i]) < 0)
			return GCEB_ENOMEM;
	return GCEB_UPDATE_KEEP;
}

static void on_check(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct check_item *c = payload;
	char why[1024];

	(void)http;
	if (req->result == GCEB_ENOTFOUND) {
		gceb_info("instance '%s' is gone from GCE: marking it deleted", c->key);
		(void)run_update(c->run, "instance", GCEB_KIND_INSTANCE, c->key, mark_deleted,
				 NULL);
	} else if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(c->run, "instance", c->key, "%s", why);
	}
	free(c);
}

struct vanished {
	const struct members *listed;
	char **keys; /* keys[i] and urls[i] are one instance */
	char **urls;
	size_t n, n_urls;
};

static int visit_member(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct vanished *v = payload;

	if (in->pending_deletion || in->deleted || !in->url ||
	    bsearch(&key, v->listed->keys, v->listed->n, sizeof(char *), cmp_str))
		return 0;
	if (gceb_strv_push(&v->keys, &v->n, key) < 0 ||
	    gceb_strv_push(&v->urls, &v->n_urls, in->url) < 0)
		return GCEB_ENOMEM;
	return 0;
}

/* §10.5: entities of this group that the listing no longer shows, checked one by one. */
static int check_vanished(struct fetch_item *item, const struct members *listed,
			  struct gceb_err *err)
{
	struct vanished v = { .listed = listed };
	struct gceb_txn *txn = NULL;
	char prefix[GCEB_STORE_MAX_KEY + 2];
	size_t i;
	int r;

	(void)snprintf(prefix, sizeof(prefix), "%s ", item->key);
	r = gceb_store_begin(item->run->job->store, false, &txn, err);
	if (r < 0)
		return r;
	r = gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, prefix, visit_member, &v, err);
	gceb_txn_abort(&txn);
	for (i = 0; r == 0 && i < v.n_urls; i++) {
		struct check_item *c = calloc(1, sizeof(*c));
		struct gceb_http_request *req = NULL;
		struct gceb_err e = { 0 };

		if (!c) {
			r = GCEB_ENOMEM;
			break;
		}
		c->run = item->run;
		(void)snprintf(c->key, sizeof(c->key), "%s", v.keys[i]);
		item->run->items++;
		if (gceb_gce_get_stored(item->run->root, v.urls[i], &req, &e) < 0) {
			run_fail(item->run, "instance", c->key, "%s", e.msg);
			free(c);
		} else if (run_submit(item->run, req, on_check, c) != 0) {
			free(c);
		}
	}
	for (i = 0; i < v.n; i++)
		free(v.keys[i]);
	for (i = 0; i < v.n_urls; i++)
		free(v.urls[i]);
	free(v.keys);
	free(v.urls);
	if (r == GCEB_ENOMEM)
		gceb_err_set(err, r, "out of memory");
	return r;
}

static void finish(struct fetch_item *item)
{
	struct members m = { 0 };
	struct gceb_err e = { 0 };
	size_t i;
	int r = 0;

	m.keys = calloc(item->n_urls + 1, sizeof(*m.keys));
	if (!m.keys)
		r = gceb_err_set(&e, GCEB_ENOMEM, "out of memory");
	for (i = 0; r == 0 && i < item->n_urls; i++) {
		gceb_key k;

		if (instance_key(item, item->urls[i], k) < 0)
			continue;
		if (!(m.keys[m.n++] = strdup(k)))
			r = gceb_err_set(&e, GCEB_ENOMEM, "out of memory");
	}
	if (r == 0) {
		qsort(m.keys, m.n, sizeof(*m.keys), cmp_str);
		r = create_instances(item, &e);
	}
	if (r == 0)
		r = gceb_store_update(item->run->job->store, GCEB_KIND_IGM, item->key, set_members,
				      &m, NULL, &e);
	if (r == 0)
		r = check_vanished(item, &m, &e);
	if (r < 0)
		run_fail(item->run, "group", item->key, "%s", e.msg);
	for (i = 0; i < m.n; i++)
		free(m.keys[i]);
	free(m.keys);
	item_free(item);
}

static void on_page(struct gceb_http *http, struct gceb_http_request *req, void *payload);

static void request_page(struct fetch_item *item, const char *token)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	char group[160];

	(void)snprintf(group, sizeof(group), "%s-%s", item->base, item->rev);
	if (gceb_gce_list_instances(item->run->root, item->project, item->zone, group, token, &req,
				    &e) < 0) {
		run_fail(item->run, "group", item->key, "%s", e.msg);
		item_free(item);
		return;
	}
	/* listInstances is a POST that changes nothing: it is sent in --dry-run too. */
	if (run_submit(item->run, req, on_page, item) != 0) {
		run_fail(item->run, "group", item->key, "out of memory");
		item_free(item);
	}
}

static void on_page(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct fetch_item *item = payload;
	struct gceb_gce_instance_page page = { 0 };
	struct gceb_err e = { 0 };
	char why[1024];
	size_t i;

	(void)http;
	if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(item->run, "group", item->key, "%s", why);
		item_free(item);
		return;
	}
	if (gceb_gce_parse_instance_page(req->response, req->response_len, &page, &e) < 0) {
		run_fail(item->run, "group", item->key, "%s: %s", req->url, e.msg);
		item_free(item);
		return;
	}
	for (i = 0; i < page.n_urls; i++) {
		if (gceb_strv_push(&item->urls, &item->n_urls, page.urls[i]) < 0) {
			run_fail(item->run, "group", item->key, "out of memory");
			gceb_gce_instance_page_release(&page);
			item_free(item);
			return;
		}
	}
	if (page.next_page_token && ++item->pages >= GCEB_GCE_LIST_MAX_PAGES) {
		run_fail(item->run, "group", item->key, "listing has more than %d pages",
			 GCEB_GCE_LIST_MAX_PAGES);
		item_free(item);
	} else if (page.next_page_token) {
		request_page(item, page.next_page_token);
	} else {
		finish(item);
	}
	gceb_gce_instance_page_release(&page);
}

struct scan {
	struct gceb_run *run;
	struct gceb_txn *txn;
	struct fetch_item **items;
	size_t n;
};

/* FET-1: every group with a URL whose revision exists and has a project. */
static int visit_group(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceGroupManager *g = (const Gceb__State__InstanceGroupManager *)msg;
	struct scan *s = payload;
	Gceb__State__Revision *r = NULL;
	struct fetch_item *item, **v;
	gceb_key rk;
	int rc;

	if (!g->url || !*g->url)
		return 0;
	item = calloc(1, sizeof(*item));
	if (!item)
		return GCEB_ENOMEM;
	item->run = s->run;
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	if (!gceb_key_token(key, 0, item->base, sizeof(item->base)) ||
	    !gceb_key_token(key, 1, item->rev, sizeof(item->rev)) ||
	    !gceb_key_token(key, 2, item->zone, sizeof(item->zone)) ||
	    gceb_key_revision(rk, item->base, item->rev) < 0) {
		item_free(item);
		return 0;
	}
	rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&r, NULL);
	if (rc < 0 || !r->project || !*r->project) {
		/* §10.5: never wipe the member list because the revision is unusable. */
		gceb_debug("group '%s': revision missing or without project, skipped", key);
		gceb_entity_free(r);
		item_free(item);
		return rc == GCEB_ENOMEM ? rc : 0;
	}
	item->project = strdup(r->project);
	gceb_entity_free(r);
	v = item->project ? realloc(s->items, (s->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		item_free(item);
		return GCEB_ENOMEM;
	}
	s->items = v;
	s->items[s->n++] = item;
	return 0;
}

int gceb_fetch_instances_run(struct gceb_job *job)
{
	struct gceb_run run;
	struct scan s = { .run = &run };
	size_t i;
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &s.txn, &job->err);
	if (r < 0)
		return r;
	r = gceb_txn_foreach(s.txn, GCEB_KIND_IGM, NULL, visit_group, &s, &job->err);
	gceb_txn_abort(&s.txn);
	for (i = 0; i < s.n; i++) {
		if (r == 0) {
			run.items++;
			request_page(s.items[i], NULL);
		} else {
			item_free(s.items[i]);
		}
	}
	free(s.items);
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	if (r == 0)
		r = run_wait(&run);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
