/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cleanup_entities.c - gceb-cleanup-entities: forget what is gone (docs/design/cleanup.md),
 * in this order:
 *   (b) deleted instances are purged 20 minutes after their last change
 *       (total elapsed time: a departure, docs/design/departures.md);
 *   (a) instances pending deletion whose VM is gone (GET 404) become deleted;
 *   (c) never-cataloged instances of drained groups, and orphans whose group
 *       entity is gone, become deleted once their VM is gone;
 *   (d) drained group entities without URL or instances are removed;
 *   (e) drained revisions without groups or URL are removed;
 *   (f) templates with nothing active or drained are removed.
 * (b) runs first: it only takes instances deleted before this run, which
 * (a) and (c) never touch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

/* Seconds a deleted Instance is kept, so a slow fetch cannot bring it back. */
#define PURGE_DELAY 1200

/* ---- (b) purge ---- */

/* (b), with total elapsed seconds (docs/design/departures.md); a clock moved back selects too. */
static bool purgeable(const Gceb__State__Instance *in, int64_t now)
{
	int64_t age = now - in->last_updated;

	return in->deleted && (age > PURGE_DELAY || age < 0);
}

static int pick_purge(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		      struct gceb_err *err)
{
	return purgeable(e->instance, *(const int64_t *)payload);
}

static int purge(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	return *in && (*in)->deleted ? GCEB_UPDATE_DELETE : GCEB_UPDATE_KEEP;
}

static int build_purge(struct run_item *item, struct gceb_err *err)
{
	(void)run_record_instance(item->run, item->what, &item->ref, purge, NULL,
				  "forgotten (deleted from GCE)");
	return 0;
}

/* ---- (a) and (c): is the VM gone? ---- */

static void on_check(struct run_item *item, const struct gceb_http_request *req,
		     gceb_instance_update_fn mark)
{
	if (req->result == GCEB_ENOTFOUND)
		(void)run_record_instance(item->run, item->what, &item->ref, mark, NULL,
					  "deleted (gone from GCE)");
	else if (req->result < 0)
		run_item_fail_request(item, req);
}

static void on_check_pending(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	on_check(item, req, gceb_mark_deleted_pending);
}

static void on_check_drained(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	on_check(item, req, gceb_mark_deleted);
}

/* GET the instance's VM if it is not deleted, has a URL and, for (a), is pending deletion. */
static int build_check(struct run_item *item, bool pending, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	Gceb__State__Instance *in = NULL;
	int rc;

	rc = gceb_fleet_load_instance(item->run->job->store, &item->ref, &in, err);
	if (rc == 0 && in && (!pending || in->pending_deletion) && !in->deleted && in->url &&
	    *in->url)
		rc = gceb_gce_get_stored(item->run->root, in->url, &req, err);
	if (rc == 0 && req)
		rc = run_item_submit(item, req, pending ? on_check_pending : on_check_drained,
				     NULL);
	gceb_entity_free(in);
	return rc;
}

/* CLN-1: pending deletion, not deleted, with a URL. */
static int build_pending(struct run_item *item, struct gceb_err *err)
{
	return build_check(item, true, err);
}

/* CLN-3 (and orphans): not deleted, with a URL; the walk chose it. */
static int build_drained(struct run_item *item, struct gceb_err *err)
{
	return build_check(item, false, err);
}

/* CLN-1's walk: pending deletion, not deleted, with a URL. */
static int pick_pending(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			struct gceb_err *err)
{
	return !e->instance->deleted && e->instance->pending_deletion && e->instance->url;
}

/*
 * CLN-3's walk: not cataloged, not deleted or pending deletion, of a drained
 * group, or of a group entity that no longer exists (an orphan instance).
 * @payload is the group memo: a group's instances come one after another.
 */
static int pick_drained(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			struct gceb_err *err)
{
	const Gceb__State__Instance *in = e->instance;
	struct gceb_group_memo *m = payload;
	int rc;

	if (in->deleted || in->pending_deletion || in->cataloged || !in->url ||
	    !in->instance_group_manager)
		return 0;
	rc = gceb_group_memo_load(m, txn, &e->ref, err);
	if (rc < 0)
		return rc;
	/* docs/design/departures.md: orphans are handled. */
	return !m->group || m->state == GCEB_GROUP_DRAINED;
}

/* ---- (d), (e): entities that only list what no longer exists ---- */

/* Keys collected by a walk (the few drained entities GCE has nothing of). */
struct key_list {
	char **v;
	size_t n;
};

static void key_list_release(struct key_list *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
	l->v = NULL;
}

/* Remove the keys of @zone from @v: the first one only, or all of them. */
static bool drop_zone(char **v, size_t *n, const char *zone, bool all)
{
	struct gceb_ref g;
	bool changed = false;
	size_t i;

	for (i = *n; i-- > 0;) {
		if (gceb_ref_parse(&g, GCEB_KIND_IGM, v[i], NULL) == 0 && !strcmp(g.zone, zone)) {
			gceb_strv_remove(v, n, i);
			changed = true;
			if (!all)
				break;
		}
	}
	return changed;
}

/*
 * CLN-7: the group goes, and its revision stops listing it: explicitly
 * drained, from R.drained; implicitly (R in T.drained), from R.active.
 */
static int unlist_group(struct gceb_txn **txn, const struct gceb_ref *ref,
			const Gceb__State__InstanceTemplate *t, Gceb__State__Revision *r,
			struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(ref, GCEB_KIND_REVISION);
	gceb_key rk;
	bool changed;
	int rc;

	/* The first drained key of the zone, as the reference does; the last one first. */
	changed = drop_zone(r->drained, &r->n_drained, ref->zone, false);
	if (!changed && gceb_strv_find(t->drained, t->n_drained, gceb_ref_key(&rref, rk)) >= 0)
		changed = drop_zone(r->active, &r->n_active, ref->zone, true);
	if (!changed)
		return 0;
	rc = gceb_fleet_put_revision(*txn, &rref, r, err);
	if (rc == 0)
		rc = gceb_fleet_del(*txn, ref, err);
	if (rc == 0)
		rc = gceb_txn_commit(txn, err);
	return rc;
}

static int remove_group(struct gceb_run *run, const struct gceb_ref *ref)
{
	struct gceb_ref rref = gceb_ref_up(ref, GCEB_KIND_REVISION);
	struct gceb_ref tref = gceb_ref_up(ref, GCEB_KIND_TEMPLATE);
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	Gceb__State__InstanceTemplate *t = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_err e = { 0 };
	gceb_key key;
	int rc;

	rc = gceb_store_begin(run->job->store, true, &txn, &e);
	if (rc == 0)
		rc = gceb_fleet_get_group(txn, ref, &g, &e);
	/* An insert still running makes a group in GCE that the drain must delete. */
	if (rc == 0 && !g->url && !g->insert_operation && g->n_instances == 0)
		rc = gceb_fleet_get_revision(txn, &rref, &r, &e);
	if (rc == 0 && r)
		rc = gceb_fleet_get_template(txn, &tref, &t, &e);
	if (rc == 0 && t)
		rc = unlist_group(&txn, ref, t, r, &e);
	gceb_txn_abort(&txn);
	gceb_entity_free(g);
	gceb_entity_free(r);
	gceb_entity_free(t);
	if (rc < 0 && rc != GCEB_ENOTFOUND) {
		run_fail_code(run, e.code, "group", gceb_ref_key(ref, key), "%s", e.msg);
		return rc;
	}
	return 0;
}

/* CLN-9: a drained revision with no groups and no template URL goes. */
static int remove_revision(struct gceb_run *run, const struct gceb_ref *ref)
{
	struct gceb_ref tref = gceb_ref_up(ref, GCEB_KIND_TEMPLATE);
	Gceb__State__InstanceTemplate *t = NULL;
	Gceb__State__Revision *r = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_err e = { 0 };
	gceb_key key;
	long i = -1;
	int rc;

	gceb_ref_key(ref, key);
	rc = gceb_store_begin(run->job->store, true, &txn, &e);
	if (rc == 0)
		rc = gceb_fleet_get_revision(txn, ref, &r, &e);
	/* Likewise a template insert still running. */
	if (rc == 0 && r->n_active == 0 && r->n_drained == 0 && !r->url && !r->insert_operation)
		rc = gceb_fleet_get_template(txn, &tref, &t, &e);
	if (rc == 0 && t && (i = gceb_strv_find(t->drained, t->n_drained, key)) >= 0) {
		gceb_strv_remove(t->drained, &t->n_drained, (size_t)i);
		rc = gceb_fleet_put_template(txn, &tref, t, &e);
		if (rc == 0)
			rc = gceb_fleet_del(txn, ref, &e);
		if (rc == 0)
			rc = gceb_txn_commit(&txn, &e);
	}
	gceb_txn_abort(&txn);
	gceb_entity_free(t);
	gceb_entity_free(r);
	if (rc < 0 && rc != GCEB_ENOTFOUND) {
		run_fail_code(run, e.code, "revision", key, "%s", e.msg);
		return rc;
	}
	return 0;
}

/* CLN-8 */
static int remove_template(Gceb__State__InstanceTemplate **t, void *payload, struct gceb_err *err)
{
	return *t && !(*t)->active && (*t)->n_drained == 0 ? GCEB_UPDATE_DELETE : GCEB_UPDATE_KEEP;
}

static int build_template(struct run_item *item, struct gceb_err *err)
{
	(void)run_record_template(item->run, item->what, &item->ref, remove_template, NULL,
				  "forgotten (nothing of it is left)");
	return 0;
}

/*
 * Before a group or revision entity without URL goes, ask GCE whether the
 * object still exists by its name. Whose DELETE GCE accepted may take a
 * while to go: wait for the 404. One never deleted exists only if a job was
 * killed between its insert and storing the operation: store its URL again,
 * and the drain deletes it on a later run.
 */
struct verify {
	struct key_list groups, revisions; /* GCE has nothing of them */
	struct gceb_state_memo states;
};

static int verified(struct run_item *item)
{
	struct verify *v = item->ctx;
	struct key_list *l = item->ref.kind == GCEB_KIND_IGM ? &v->groups : &v->revisions;

	/* A candidate lost is only kept one run longer: the item fails, the run goes on. */
	if (gceb_strv_push(&l->v, &l->n, item->key) < 0)
		run_item_fail(item, "out of memory");
	return 0;
}

static int set_group_url(Gceb__State__InstanceGroupManager **g, void *payload, struct gceb_err *err)
{
	return !*g || (*g)->url ? GCEB_UPDATE_KEEP : gceb_set_string(&(*g)->url, payload);
}

static int set_revision_url(Gceb__State__Revision **r, void *payload, struct gceb_err *err)
{
	return !*r || (*r)->url ? GCEB_UPDATE_KEEP : gceb_set_string(&(*r)->url, payload);
}

/* The @arg of a GET for what GCE accepted a DELETE of. */
static int delete_requested_arg;

static void on_verify(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	bool delete_requested = arg == &delete_requested_arg;
	struct gceb_err e = { 0 };
	char *self = NULL;

	if (req->result == GCEB_ENOTFOUND) {
		(void)verified(item);
	} else if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_gce_parse_self_link(req->response, req->response_len, &self, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
	} else if (delete_requested) {
		gceb_info("%s '%s' is still being deleted in GCE", item->what, item->key);
	} else {
		gceb_warn("%s '%s' exists in GCE but was never recorded: adopting it to delete it",
			  item->what, item->key);
		if (item->ref.kind == GCEB_KIND_IGM)
			(void)run_update_group(item->run, item->what, &item->ref, set_group_url,
					       self);
		else
			(void)run_update_revision(item->run, item->what, &item->ref,
						  set_revision_url, self);
	}
	free(self);
}

/* GET @ref by its name; one whose revision has no project can have made nothing. */
static int verify_one(struct run_item *item, bool delete_requested, struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(&item->ref, GCEB_KIND_REVISION);
	struct gceb_http_request *req = NULL;
	Gceb__State__Revision *r = NULL;
	char name[GCEB_GCE_NAME_MAX + 1];
	int rc;

	/* A revision that is gone or damaged leaves nothing to ask about. */
	if (gceb_fleet_load_revision(item->run->job->store, &rref, &r, NULL) < 0)
		r = NULL;
	if (!r || !r->project || !*r->project) {
		gceb_entity_free(r);
		return verified(item);
	}
	if (item->ref.kind == GCEB_KIND_IGM)
		rc = gceb_fleet_name(&item->ref, GCEB_NAME_GROUP, name, err) < 0 ?
			     GCEB_EPARSE :
			     gceb_gce_igm_get(item->run->root, r->project, item->ref.zone, name,
					      &req, err);
	else
		rc = gceb_fleet_name(&item->ref, GCEB_NAME_TEMPLATE, name, err) < 0 ?
			     GCEB_EPARSE :
			     gceb_gce_template_get(item->run->root, r->project, name, &req, err);
	gceb_entity_free(r);
	if (rc == 0)
		rc = run_item_submit(item, req, on_verify,
				     delete_requested ? &delete_requested_arg : NULL);
	return rc;
}

static int build_verify_group(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	int rc = gceb_fleet_load_group(item->run->job->store, &item->ref, &g, err);

	if (rc == 0 && g && !g->url && !g->insert_operation && g->n_instances == 0)
		rc = verify_one(item, g->delete_requested, err);
	gceb_entity_free(g);
	return rc;
}

static int build_verify_revision(struct run_item *item, struct gceb_err *err)
{
	Gceb__State__Revision *r = NULL;
	int rc = gceb_fleet_load_revision(item->run->job->store, &item->ref, &r, err);

	if (rc == 0 && r && !r->url && !r->insert_operation && r->n_active == 0 &&
	    r->n_drained == 0)
		rc = verify_one(item, r->delete_requested, err);
	gceb_entity_free(r);
	return rc;
}

/* (d)'s candidates: drained groups without URL, insert or instances. */
static int pick_group(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		      struct gceb_err *err)
{
	const Gceb__State__InstanceGroupManager *g = e->group;
	struct verify *v = payload;
	enum gceb_group_state state;
	int rc;

	if (g->url || g->insert_operation || g->n_instances > 0)
		return 0;
	rc = gceb_state_memo_group(&v->states, txn, &e->ref, &state, err);
	return rc < 0 ? rc : state == GCEB_GROUP_DRAINED;
}

/* (e)'s candidates: drained revisions without URL, insert or groups. */
static int pick_revision(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			 struct gceb_err *err)
{
	const Gceb__State__Revision *r = e->revision;
	enum gceb_group_state state;
	int rc;

	if (r->url || r->insert_operation || r->n_active > 0 || r->n_drained > 0)
		return 0;
	rc = gceb_fleet_revision_state(txn, &e->ref, &state, err);
	return rc < 0 ? rc : state == GCEB_GROUP_DRAINED;
}

static int verify_and_remove(struct gceb_run *run)
{
	struct verify v = { 0 };
	const struct run_source groups = { .kind = GCEB_KIND_IGM,
					   .pick = pick_group,
					   .payload = &v,
					   .what = "group",
					   .build = build_verify_group };
	const struct run_source revisions = { .kind = GCEB_KIND_REVISION,
					      .pick = pick_revision,
					      .payload = &v,
					      .what = "revision",
					      .build = build_verify_revision };
	struct gceb_ref ref;
	size_t i;
	int r;

	/* Both candidate sets are chosen before anything is removed. */
	r = gceb_fleet_any_drained(run->job->store, &run->job->err);
	if (r > 0)
		r = run_items(run, &groups);
	gceb_state_memo_release(&v.states);
	if (r == 0)
		r = run_items(run, &revisions);
	for (i = 0; r == 0 && i < v.groups.n; i++)
		if (gceb_ref_parse(&ref, GCEB_KIND_IGM, v.groups.v[i], NULL) == 0)
			(void)remove_group(run, &ref);
	for (i = 0; r == 0 && i < v.revisions.n; i++)
		if (gceb_ref_parse(&ref, GCEB_KIND_REVISION, v.revisions.v[i], NULL) == 0)
			(void)remove_revision(run, &ref);
	key_list_release(&v.groups);
	key_list_release(&v.revisions);
	return r;
}

static int run(struct gceb_job *job)
{
	struct gceb_group_memo memo = { 0 };
	int64_t now = gceb_now();
	const struct run_source sources[] = {
		{ .kind = GCEB_KIND_INSTANCE,
		  .pick = pick_purge,
		  .payload = &now,
		  .what = "instance",
		  .build = build_purge },
		{ .kind = GCEB_KIND_INSTANCE,
		  .pick = pick_pending,
		  .what = "instance",
		  .build = build_pending },
		{ .kind = GCEB_KIND_INSTANCE,
		  .pick = pick_drained,
		  .payload = &memo,
		  .what = "instance",
		  .build = build_drained },
	};
	const struct run_source templates = { .kind = GCEB_KIND_TEMPLATE,
					      .what = "template",
					      .build = build_template };
	struct gceb_run r;
	size_t i;
	int rc = 0;

	run_init(&r, job);
	for (i = 0; rc == 0 && i < sizeof(sources) / sizeof(sources[0]); i++)
		rc = run_items(&r, &sources[i]);
	gceb_group_memo_release(&memo);
	if (rc == 0)
		rc = verify_and_remove(&r);
	if (rc == 0)
		rc = run_items(&r, &templates);
	rc = run_finish(&r, rc);
	return rc;
}

const struct gceb_job_spec gceb_cleanup_entities_spec = {
	.name = "cleanup-entities",
	.summary = "Forget VMs, groups, revisions and templates that are gone.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
