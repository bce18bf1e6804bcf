/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch_instances.c - gceb-fetch-instances: list the VMs of every group that
 * exists in GCE, create an Instance entity for each new one, and record the
 * group's members (docs/design/instances.md) with the docs/design/departures.md fixes: a
 * group whose revision is missing or has no project is skipped, never
 * wiped; an instance that vanished from the listing without being pending
 * deletion is checked with a GET and, on 404, marked deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

/* What a group's item gathers over its pages. */
struct fetch {
	char *project;
	char **urls; /* every instance URL listed so far */
	size_t n_urls;
	unsigned pages;
};

static void fetch_free(void *data)
{
	struct fetch *f = data;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n_urls; i++)
		free(f->urls[i]);
	free(f->urls);
	free(f->project);
	free(f);
}

/* Create the Instance entities that do not exist yet, in one short write transaction. */
static int create_instances(struct run_item *item, const struct fetch *f, struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	size_t i, created = 0;
	gceb_key group;
	int r;

	gceb_ref_key(&item->ref, group);
	r = gceb_store_begin(item->run->job->store, true, &txn, err);
	if (r < 0)
		return r;
	for (i = 0; r == 0 && i < f->n_urls; i++) {
		Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *old = NULL;
		struct gceb_ref ref;

		if (gceb_ref_down(&ref, &item->ref, gceb_gce_url_name(f->urls[i]), NULL) < 0)
			continue;
		r = gceb_fleet_get_instance(txn, &ref, &old, err);
		gceb_entity_free(old);
		if (r != GCEB_ENOTFOUND)
			continue; /* exists (its url is never refreshed), or an error */
		in.instance_group_manager = group;
		in.url = f->urls[i];
		r = gceb_fleet_put_instance(txn, &ref, &in, err);
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
static int set_members(Gceb__State__InstanceGroupManager **gp, void *payload, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = *gp;
	const struct members *m = payload;
	size_t i;

	if (!g)
		return GCEB_UPDATE_KEEP;
	while (g->n_instances > 0)
		free(g->instances[--g->n_instances]);
	for (i = 0; i < m->n; i++)
		if (gceb_strv_push(&g->instances, &g->n_instances, m->keys[i]) < 0)
			return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return GCEB_UPDATE_KEEP;
}

/* The answer about one vanished instance; @arg is its key (malloc'd). */
static void on_check(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_ref ref;
	char why[2 * GCEB_MSG_MAX];

	if (req->result == GCEB_ENOTFOUND &&
	    gceb_ref_parse(&ref, GCEB_KIND_INSTANCE, arg, NULL) == 0) {
		gceb_info("instance '%s' is gone from GCE: marking it deleted", (char *)arg);
		(void)run_update_instance(item->run, "instance", &ref, gceb_mark_deleted, NULL);
	} else if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail_code(item->run, req->result, "instance", arg, "%s", why);
	}
	free(arg);
}

struct vanished {
	const struct members *listed;
	char **keys; /* keys[i] and urls[i] are one instance */
	char **urls;
	size_t n, n_urls;
};

static int visit_member(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__Instance *in = e->instance;
	struct vanished *v = payload;

	if (in->pending_deletion || in->deleted || !in->url ||
	    bsearch(&e->key, v->listed->keys, v->listed->n, sizeof(char *), cmp_str))
		return 0;
	if (gceb_strv_push(&v->keys, &v->n, e->key) < 0 ||
	    gceb_strv_push(&v->urls, &v->n_urls, in->url) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

/* One GET for a vanished instance, counted as an item of its own. */
static void check_one(struct run_item *item, const char *key, const char *url)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	char *arg = strdup(key);

	item->run->items++;
	if (!arg) {
		run_fail(item->run, "instance", key, "out of memory");
	} else if (gceb_gce_get_stored(item->run->root, url, &req, &e) < 0) {
		run_fail_code(item->run, e.code, "instance", key, "%s", e.msg);
		free(arg);
	} else if (run_item_submit(item, req, on_check, arg) < 0) {
		free(arg); /* never sent (a GET is sent in --dry-run too) */
	}
}

/* docs/design/departures.md: entities of this group that the listing no longer shows, checked one
 * by one. */
static int check_vanished(struct run_item *item, const struct members *listed, struct gceb_err *err)
{
	struct vanished v = { .listed = listed };
	struct gceb_txn *txn = NULL;
	size_t i;
	int r;

	r = gceb_store_begin(item->run->job->store, false, &txn, err);
	if (r == 0)
		r = gceb_fleet_foreach(txn, GCEB_KIND_INSTANCE, &item->ref, NULL, visit_member, &v,
				       err);
	gceb_txn_abort(&txn);
	for (i = 0; r == 0 && i < v.n_urls; i++)
		check_one(item, v.keys[i], v.urls[i]);
	for (i = 0; i < v.n; i++)
		free(v.keys[i]);
	for (i = 0; i < v.n_urls; i++)
		free(v.urls[i]);
	free(v.keys);
	free(v.urls);
	return r;
}

/* The listing is complete: record it. */
static void finish(struct run_item *item, const struct fetch *f)
{
	struct members m = { 0 };
	struct gceb_err e = { 0 };
	size_t i;
	int r = 0;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
	m.keys = calloc(f->n_urls + 1, sizeof(*m.keys));
	if (!m.keys) {
		run_item_fail(item, "out of memory");
		return;
	}
	for (i = 0; r == 0 && i < f->n_urls; i++) {
		struct gceb_ref ref;
		gceb_key k;

		if (gceb_ref_down(&ref, &item->ref, gceb_gce_url_name(f->urls[i]), NULL) < 0)
			continue;
		if (!(m.keys[m.n++] = strdup(gceb_ref_key(&ref, k))))
			r = gceb_err_set(&e, GCEB_ENOMEM, "out of memory");
	}
	if (r == 0) {
		qsort(m.keys, m.n, sizeof(*m.keys), cmp_str);
		r = create_instances(item, f, &e);
	}
	if (r == 0)
		r = gceb_fleet_update_group(item->run->job->store, &item->ref, set_members, &m,
					    NULL, &e);
	if (r == 0)
		r = check_vanished(item, &m, &e);
	if (r < 0)
		run_item_fail_code(item, e.code, "%s", e.msg);
	for (i = 0; i < m.n; i++)
		free(m.keys[i]);
	free(m.keys);
}

static void on_page(struct run_item *item, struct gceb_http_request *req, void *arg);

/* Ask for the page after @token (NULL: the first): the item lives until the last page. */
static int request_page(struct run_item *item, const char *token, struct gceb_err *err)
{
	const struct fetch *f = item->data;
	struct gceb_http_request *req = NULL;
	char group[GCEB_GCE_NAME_MAX + 1];
	int r;

	r = gceb_fleet_name(&item->ref, GCEB_NAME_GROUP, group, err);
	if (r == 0)
		r = gceb_gce_list_instances(item->run->root, f->project, item->ref.zone, group,
					    token, &req, err);
	/* listInstances is a POST that changes nothing: it is sent in --dry-run too. */
	if (r == 0)
		r = run_item_submit(item, req, on_page, NULL);
	return r;
}

static void on_page(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct gceb_gce_instance_page page = { 0 };
	struct fetch *f = item->data;
	struct gceb_err e = { 0 };
	size_t i;

	if (req->result < 0) {
		run_item_fail_request(item, req);
		return;
	}
	if (gceb_gce_parse_instance_page(req->response, req->response_len, &page, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
		return;
	}
	for (i = 0; i < page.n_urls; i++) {
		/* CMP-3: a foreign URL fails the whole group's item; nothing is stored. */
		if (gceb_gce_check_instance_url(item->run->root, f->project, item->ref.zone,
						page.urls[i], &e) < 0) {
			run_item_fail(item, "%s: %s", req->url, e.msg);
			gceb_gce_instance_page_release(&page);
			return;
		}
		if (gceb_strv_push(&f->urls, &f->n_urls, page.urls[i]) < 0) {
			run_item_fail(item, "out of memory");
			gceb_gce_instance_page_release(&page);
			return;
		}
	}
	if (page.next_page_token && ++f->pages >= GCEB_GCE_LIST_MAX_PAGES)
		run_item_fail(item, "listing has more than %d pages", GCEB_GCE_LIST_MAX_PAGES);
	else if (page.next_page_token && request_page(item, page.next_page_token, &e) < 0)
		run_item_fail_code(item, e.code, "%s", e.msg);
	else if (!page.next_page_token)
		finish(item, f);
	gceb_gce_instance_page_release(&page);
}

static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(&item->ref, GCEB_KIND_REVISION);
	Gceb__State__Revision *r = NULL;
	struct fetch *f;
	int rc;

	rc = gceb_fleet_load_revision(item->run->job->store, &rref, &r, err);
	if (rc < 0 || !r || !r->project || !*r->project) {
		gceb_entity_free(r);
		return rc;
	}
	f = calloc(1, sizeof(*f));
	item->data = f;
	item->free_data = fetch_free;
	if (f)
		f->project = strdup(r->project);
	gceb_entity_free(r);
	if (!f || !f->project)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return request_page(item, NULL, err);
}

/* FET-1: every group with a URL whose revision exists and has a project. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(&e->ref, GCEB_KIND_REVISION);
	Gceb__State__Revision *r = NULL;
	int rc;

	if (!e->group->url || !*e->group->url)
		return 0;
	rc = gceb_fleet_get_revision(txn, &rref, &r, NULL);
	if (rc == GCEB_ENOMEM)
		return gceb_err_set(err, rc, "out of memory");
	if (rc < 0 || !r->project || !*r->project) {
		/* docs/design/departures.md: never wipe the member list because the revision is
		 * unusable. */
		gceb_debug("group '%s': revision missing or without project, skipped", e->key);
		rc = 0;
	} else {
		rc = 1;
	}
	gceb_entity_free(r);
	return rc;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_IGM, .pick = pick, .what = "group", .build = build
	};
	return run_job(job, &src);
}

const struct gceb_job_spec gceb_fetch_instances_spec = {
	.name = "fetch-instances",
	.summary = "List the VMs of every group and record them in the store.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
