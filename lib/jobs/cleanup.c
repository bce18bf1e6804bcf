/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cleanup.c - gceb-cleanup-entities: forget what is gone (behaviour.md
 * §4.14), in this order:
 *   (a) instances pending deletion whose VM is gone (GET 404) become deleted;
 *   (c) never-cataloged instances of drained groups, and orphans whose group
 *       entity is gone, become deleted once their VM is gone;
 *   (b) deleted instances are purged 20 minutes after their last change
 *       (total elapsed time: the §10.6 fix);
 *   (d) drained group entities without URL or instances are removed;
 *   (e) drained revisions without groups or URL are removed;
 *   (f) templates with nothing active or drained are removed.
 * (a) and (c) run first and together, as they are the only remote calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drained.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "group_memo.h"
#include "instance_mark.h"
#include "run.h"

/* Seconds a deleted Instance is kept, so a slow fetch cannot bring it back. */
#define PURGE_DELAY 1200

/* ---- (a) and (c): is the VM gone? ---- */

static void on_check(struct gceb_http *http, struct gceb_http_request *req, void *payload,
		     gceb_update_fn mark)
{
	struct run_item *item = payload;

	(void)http;
	if (req->result == GCEB_ENOTFOUND)
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key, mark, NULL);
	else if (req->result < 0)
		run_item_fail_request(item, req);
	free(item);
}

static void on_check_pending(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	on_check(http, req, payload, mark_deleted_pending);
}

static void on_check_drained(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	on_check(http, req, payload, mark_deleted);
}

/* CLN-1: pending deletion, not deleted, with a URL. */
static int build_pending(struct gceb_run *run, const char *key, struct gceb_http_request **out,
			 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc == 0 && in && in->pending_deletion && !in->deleted && in->url && *in->url)
		rc = gceb_gce_get_stored(run->root, in->url, out, err);
	gceb_entity_free(in);
	return rc;
}

/* CLN-3 (and orphans): not deleted, with a URL; the scan chose it. */
static int build_drained(struct gceb_run *run, const char *key, struct gceb_http_request **out,
			 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc == 0 && in && !in->deleted && in->url && *in->url)
		rc = gceb_gce_get_stored(run->root, in->url, out, err);
	gceb_entity_free(in);
	return rc;
}

/* CLN-1's scan: pending deletion, not deleted, with a URL. */
static int pick_pending(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg,
			void *payload, struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;

	return !in->deleted && in->pending_deletion && in->url;
}

/*
 * CLN-3: group @igm_key is explicitly drained (in R.drained) or implicitly
 * (R in T.drained). 1 if so, 0 if not, or an error.
 */
static int group_drained(struct gceb_txn *txn, const char *igm_key)
{
	Gceb__State__Revision *r = NULL;
	Gceb__State__InstanceTemplate *t = NULL;
	gceb_key base, rk;
	int rc, yes = 0;

	if (!gceb_key_prefix(igm_key, 1, base) || !gceb_key_prefix(igm_key, 2, rk))
		return 0;
	rc = gceb_txn_get(txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&r, NULL);
	if (rc == 0)
		rc = gceb_txn_get(txn, GCEB_KIND_TEMPLATE, base, (ProtobufCMessage **)&t, NULL);
	if (rc == 0)
		yes = gceb_strv_find(r->drained, r->n_drained, igm_key) >= 0 ||
		      gceb_strv_find(t->drained, t->n_drained, rk) >= 0;
	gceb_entity_free(r);
	gceb_entity_free(t);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : yes;
}

/*
 * CLN-3's scan: not cataloged, not deleted or pending deletion, of a drained
 * group, or of a group entity that no longer exists (an orphan). @payload is
 * the group memo: a group's instances come one after another.
 */
static int pick_drained(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg,
			void *payload, struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct group_memo *m = payload;
	int rc;

	(void)key;
	(void)err;
	if (in->deleted || in->pending_deletion || in->cataloged || !in->url ||
	    !in->instance_group_manager)
		return 0;
	rc = group_memo_load(m, txn, in->instance_group_manager, NULL);
	if (rc < 0)
		return rc;
	if (!m->group)
		return 1; /* decisions.md: orphans are handled */
	if (m->verdict < 0)
		m->verdict = group_drained(txn, m->key);
	return m->verdict;
}

/* ---- (b) purge ---- */

struct purge_scan {
	struct key_list keys;
	int64_t now;
};

/* (b), with total elapsed seconds (§10.6); a clock moved back selects too. */
static int visit_purge(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct purge_scan *s = payload;
	int64_t age = s->now - in->last_updated;

	if (in->deleted && (age > PURGE_DELAY || age < 0))
		return gceb_strv_push(&s->keys.v, &s->keys.n, key);
	return 0;
}

static int purge(ProtobufCMessage **msg, void *payload)
{
	(void)payload;
	return *msg && ((Gceb__State__Instance *)*msg)->deleted ? GCEB_UPDATE_DELETE :
								  GCEB_UPDATE_KEEP;
}

/* ---- (d), (e), (f): entities that only list what no longer exists ---- */

static int remove_group(struct gceb_run *run, const char *key)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	Gceb__State__InstanceTemplate *t = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_err e = { 0 };
	char base[64], rev[64], zone[64], z[64];
	bool changed = false;
	gceb_key rk;
	size_t i;
	int rc;

	if (!gceb_key_token(key, 0, base, sizeof(base)) ||
	    !gceb_key_token(key, 1, rev, sizeof(rev)) ||
	    !gceb_key_token(key, 2, zone, sizeof(zone)) || gceb_key_revision(rk, base, rev) < 0)
		return 0;
	rc = gceb_store_begin(run->job->store, true, &txn, &e);
	if (rc == 0)
		rc = gceb_txn_get(txn, GCEB_KIND_IGM, key, (ProtobufCMessage **)&g, &e);
	/* An insert still running makes a group in GCE that the drain must delete. */
	if (rc == 0 && !g->url && !g->insert_operation && g->n_instances == 0)
		rc = gceb_txn_get(txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&r, &e);
	if (rc == 0 && r)
		rc = gceb_txn_get(txn, GCEB_KIND_TEMPLATE, base, (ProtobufCMessage **)&t, &e);
	if (rc < 0 || !t)
		goto out;
	/* CLN-7: explicitly drained: drop the first key of that zone from R.drained. */
	for (i = 0; i < r->n_drained && !changed; i++) {
		if (gceb_key_token(r->drained[i], 2, z, sizeof(z)) && !strcmp(z, zone)) {
			gceb_strv_remove(r->drained, &r->n_drained, i);
			changed = true;
		}
	}
	/* Implicitly drained (R in T.drained): drop the keys of that zone from R.active. */
	if (!changed && gceb_strv_find(t->drained, t->n_drained, rk) >= 0) {
		for (i = r->n_active; i-- > 0;) {
			if (gceb_key_token(r->active[i], 2, z, sizeof(z)) && !strcmp(z, zone)) {
				gceb_strv_remove(r->active, &r->n_active, i);
				changed = true;
			}
		}
	}
	if (!changed)
		goto out;
	rc = gceb_txn_put(txn, GCEB_KIND_REVISION, rk, &r->base, &e);
	if (rc == 0)
		rc = gceb_txn_del(txn, GCEB_KIND_IGM, key, &e);
	if (rc == 0)
		rc = gceb_txn_commit(&txn, &e);
out:
	gceb_txn_abort(&txn);
	gceb_entity_free(g);
	gceb_entity_free(r);
	gceb_entity_free(t);
	if (rc < 0 && rc != GCEB_ENOTFOUND) {
		run_fail(run, "group", key, "%s", e.msg);
		return rc;
	}
	return 0;
}

/* CLN-9: a drained revision with no groups and no template URL goes. */
static int remove_revision(struct gceb_run *run, const char *base, const char *key)
{
	Gceb__State__InstanceTemplate *t = NULL;
	Gceb__State__Revision *r = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_err e = { 0 };
	long i;
	int rc;

	rc = gceb_store_begin(run->job->store, true, &txn, &e);
	if (rc == 0)
		rc = gceb_txn_get(txn, GCEB_KIND_REVISION, key, (ProtobufCMessage **)&r, &e);
	/* Likewise a template insert still running. */
	if (rc == 0 && r->n_active == 0 && r->n_drained == 0 && !r->url && !r->insert_operation)
		rc = gceb_txn_get(txn, GCEB_KIND_TEMPLATE, base, (ProtobufCMessage **)&t, &e);
	if (rc < 0 || !t || (i = gceb_strv_find(t->drained, t->n_drained, key)) < 0)
		goto out;
	gceb_strv_remove(t->drained, &t->n_drained, (size_t)i);
	rc = gceb_txn_put(txn, GCEB_KIND_TEMPLATE, base, &t->base, &e);
	if (rc == 0)
		rc = gceb_txn_del(txn, GCEB_KIND_REVISION, key, &e);
	if (rc == 0)
		rc = gceb_txn_commit(&txn, &e);
out:
	gceb_txn_abort(&txn);
	gceb_entity_free(t);
	gceb_entity_free(r);
	if (rc < 0 && rc != GCEB_ENOTFOUND) {
		run_fail(run, "revision", key, "%s", e.msg);
		return rc;
	}
	return 0;
}

/* CLN-8 */
static int remove_template(ProtobufCMessage **msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)*msg;

	(void)payload;
	return t && !t->active && t->n_drained == 0 ? GCEB_UPDATE_DELETE : GCEB_UPDATE_KEEP;
}

struct templates {
	struct key_list keys;      /* every template */
	struct key_list revisions; /* "base\nrev key" pairs: drained revision keys */
};

static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct templates *ts = payload;
	size_t i;
	int rc = gceb_strv_push(&ts->keys.v, &ts->keys.n, key);

	for (i = 0; rc == 0 && i < t->n_drained; i++)
		rc = gceb_strv_push(&ts->revisions.v, &ts->revisions.n, t->drained[i]);
	return rc;
}

/*
 * Before a group or revision entity without URL goes, ask GCE whether the
 * object still exists by its name. Whose DELETE GCE accepted may take a
 * while to go: wait for the 404. One never deleted exists only if a job was
 * killed between its insert and storing the operation: store its URL again,
 * and the drain deletes it on a later run.
 */
struct verify_item {
	struct gceb_run *run;
	enum gceb_kind kind;
	gceb_key key;
	bool delete_requested;
	struct key_list *verified;
};

static int set_url(ProtobufCMessage **msg, void *payload)
{
	const char *url = payload;
	char **field;

	if (!*msg)
		return GCEB_UPDATE_KEEP;
	field = (*msg)->descriptor == &gceb__state__revision__descriptor ?
			&((Gceb__State__Revision *)*msg)->url :
			&((Gceb__State__InstanceGroupManager *)*msg)->url;
	return *field ? GCEB_UPDATE_KEEP : gceb_set_string(field, url);
}

static void on_verify(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct verify_item *v = payload;
	const char *what = v->kind == GCEB_KIND_IGM ? "group" : "revision";
	struct gceb_err e = { 0 };
	char *self = NULL, why[1024];

	(void)http;
	if (req->result == GCEB_ENOTFOUND) {
		if (gceb_strv_push(&v->verified->v, &v->verified->n, v->key) < 0)
			run_fail(v->run, what, v->key, "out of memory");
	} else if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(v->run, what, v->key, "%s", why);
	} else if (gceb_gce_parse_self_link(req->response, req->response_len, &self, &e) < 0) {
		run_fail(v->run, what, v->key, "%s: %s", req->url, e.msg);
	} else if (v->delete_requested) {
		gceb_info("%s '%s' is still being deleted in GCE", what, v->key);
	} else {
		gceb_warn("%s '%s' exists in GCE but was never recorded: adopting it to delete it",
			  what, v->key);
		(void)run_update(v->run, what, v->kind, v->key, set_url, self);
	}
	free(self);
	free(v);
}

/* Queue the check of one candidate; one with no project can have made nothing. */
static int verify(struct gceb_run *run, enum gceb_kind kind, const char *key,
		  const Gceb__State__Revision *r, bool delete_requested, struct key_list *verified)
{
	struct gceb_http_request *req = NULL;
	struct verify_item *v;
	char base[64], rev[64], zone[64], name[160];
	struct gceb_err e = { 0 };
	int rc;

	if (!r || !r->project || !*r->project || !gceb_key_token(key, 0, base, sizeof(base)) ||
	    !gceb_key_token(key, 1, rev, sizeof(rev)))
		return gceb_strv_push(&verified->v, &verified->n, key);
	(void)snprintf(name, sizeof(name), "%s-%s", base, rev);
	if (kind == GCEB_KIND_IGM)
		rc = gceb_key_token(key, 2, zone, sizeof(zone)) ?
			     gceb_gce_igm_get(run->root, r->project, zone, name, &req, &e) :
			     GCEB_EPARSE;
	else
		rc = gceb_gce_template_get(run->root, r->project, name, &req, &e);
	if (rc < 0) {
		run_fail(run, kind == GCEB_KIND_IGM ? "group" : "revision", key, "%s", e.msg);
		return 0;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		gceb_http_request_free(req);
		return GCEB_ENOMEM;
	}
	*v = (struct verify_item){
		.run = run, .kind = kind, .delete_requested = delete_requested, .verified = verified
	};
	(void)snprintf(v->key, sizeof(v->key), "%s", key);
	run->items++;
	rc = run_submit(run, req, on_verify, v);
	if (rc != 0)
		free(v);
	return rc < 0 ? rc : 0;
}

struct candidates {
	struct key_list groups, revisions;                   /* drained, maybe removable */
	struct key_list verified_groups, verified_revisions; /* GCE has nothing of them */
};

/* The drained groups and revisions that (d) and (e) would remove, checked with GCE. */
static int verify_candidates(struct gceb_run *run, struct candidates *c)
{
	struct gceb_txn *txn = NULL;
	size_t i;
	int r;

	r = gceb_store_begin(run->job->store, false, &txn, &run->job->err);
	for (i = 0; r == 0 && i < c->groups.n; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;
		Gceb__State__Revision *rev = NULL;
		char base[64], id[64];
		gceb_key rk;

		if (gceb_txn_get(txn, GCEB_KIND_IGM, c->groups.v[i], (ProtobufCMessage **)&g,
				 NULL) < 0 ||
		    g->url || g->insert_operation || g->n_instances > 0 ||
		    !gceb_key_token(c->groups.v[i], 0, base, sizeof(base)) ||
		    !gceb_key_token(c->groups.v[i], 1, id, sizeof(id)) ||
		    gceb_key_revision(rk, base, id) < 0) {
			gceb_entity_free(g);
			continue;
		}
		/* A revision that is gone or damaged leaves nothing to ask about: NULL. */
		if (gceb_txn_get(txn, GCEB_KIND_REVISION, rk, (ProtobufCMessage **)&rev, NULL) < 0)
			rev = NULL;
		r = verify(run, GCEB_KIND_IGM, c->groups.v[i], rev, g->delete_requested,
			   &c->verified_groups);
		gceb_entity_free(g);
		gceb_entity_free(rev);
	}
	for (i = 0; r == 0 && i < c->revisions.n; i++) {
		Gceb__State__Revision *rev = NULL;

		if (gceb_txn_get(txn, GCEB_KIND_REVISION, c->revisions.v[i],
				 (ProtobufCMessage **)&rev, NULL) < 0 ||
		    rev->url || rev->insert_operation || rev->n_active > 0 || rev->n_drained > 0) {
			gceb_entity_free(rev);
			continue;
		}
		r = verify(run, GCEB_KIND_REVISION, c->revisions.v[i], rev, rev->delete_requested,
			   &c->verified_revisions);
		gceb_entity_free(rev);
	}
	gceb_txn_abort(&txn);
	if (r == 0)
		r = run_wait(run);
	if (r == GCEB_ENOMEM)
		gceb_err_set(&run->job->err, r, "out of memory");
	return r;
}

static int remove_entities(struct gceb_run *run)
{
	struct templates ts = { 0 };
	struct candidates c = { 0 };
	struct gceb_txn *txn = NULL;
	char base[64];
	size_t i;
	int r;

	r = gceb_store_begin(run->job->store, false, &txn, &run->job->err);
	if (r < 0)
		return r;
	r = drained_igm_set(txn, &c.groups.v, &c.groups.n, &run->job->err);
	gceb_txn_abort(&txn);
	if (r == 0)
		r = run_scan(run, GCEB_KIND_TEMPLATE, visit_template, &ts);
	if (r == 0) {
		c.revisions = ts.revisions;
		ts.revisions = (struct key_list){ 0 };
		r = verify_candidates(run, &c);
	}
	for (i = 0; r == 0 && i < c.verified_groups.n; i++)
		(void)remove_group(run, c.verified_groups.v[i]);
	for (i = 0; r == 0 && i < c.verified_revisions.n; i++)
		if (gceb_key_token(c.verified_revisions.v[i], 0, base, sizeof(base)))
			(void)remove_revision(run, base, c.verified_revisions.v[i]);
	for (i = 0; r == 0 && i < ts.keys.n; i++)
		(void)run_update(run, "template", GCEB_KIND_TEMPLATE, ts.keys.v[i], remove_template,
				 NULL);
	key_list_release(&ts.keys);
	key_list_release(&c.groups);
	key_list_release(&c.revisions);
	key_list_release(&c.verified_groups);
	key_list_release(&c.verified_revisions);
	return r;
}

int gceb_cleanup_entities_run(struct gceb_job *job)
{
	static const struct run_source pending = { .kind = GCEB_KIND_INSTANCE,
						   .pick = pick_pending };
	struct group_memo memo = { .verdict = -1 };
	const struct run_source drained = { .kind = GCEB_KIND_INSTANCE,
					    .pick = pick_drained,
					    .payload = &memo };
	struct purge_scan s = { .now = gceb_now() };
	struct gceb_run run;
	size_t i;
	int r;

	run_init(&run, job);
	/*
	 * (b) selects before (a) and (c) run, as one scan did: what they mark
	 * deleted is stamped after s.now, and a negative age selects.
	 */
	r = run_scan(&run, GCEB_KIND_INSTANCE, visit_purge, &s);
	if (r == 0)
		r = run_items(&run, "instance", &pending, build_pending, on_check_pending);
	if (r == 0)
		r = run_items(&run, "instance", &drained, build_drained, on_check_drained);
	group_memo_release(&memo);
	for (i = 0; r == 0 && i < s.keys.n; i++)
		(void)run_update(&run, "instance", GCEB_KIND_INSTANCE, s.keys.v[i], purge, NULL);
	if (r == 0)
		r = remove_entities(&run);
	key_list_release(&s.keys);
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	if (r == 0)
		r = run_finish(&run);
	return r;
}
