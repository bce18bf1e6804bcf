/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep_orphans.c - gceb-sweep-orphans: find the instance templates and
 * groups GCE holds under a configured base name that the store does not
 * know (a lost or rolled-back state directory, an interrupted run), and
 * adopt them as drained so that the drain jobs remove them
 * (docs/gceb-sweep-orphans.md, docs/design/orphans.md SWP-1..7).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "gceb/log.h"
#include "run.h"
#include "sha1.h"

/* What a template's item needs for its listings, read once in its build. */
struct sweep {
	char *project;
	gceb_key active; /* T.active, never touched (SWP-4) */
	char **zones;    /* the zones of the active revision's groups */
	size_t n_zones;
	unsigned *pages; /* pages read: [0] templates, [1 + i] zone i */
};

static void sweep_free(void *data)
{
	struct sweep *s = data;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_zones; i++)
		free(s->zones[i]);
	free(s->zones);
	free(s->pages);
	free(s->project);
	free(s);
}

/* SWP-2: exactly "<base>-<40 lower-case hex>"; @rev gets the hex. */
static bool is_ours(const char *name, const char *base, char rev[GCEB_SHA1_HEX_LEN + 1])
{
	size_t n = strlen(base), i;

	if (strlen(name) != n + 1 + GCEB_SHA1_HEX_LEN || strncmp(name, base, n) != 0 ||
	    name[n] != '-')
		return false;
	for (i = 0; i < GCEB_SHA1_HEX_LEN; i++) {
		char c = name[n + 1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		rev[i] = c;
	}
	rev[GCEB_SHA1_HEX_LEN] = '\0';
	return true;
}

/* Add @key to the list unless it is there. */
static int add_once(char ***v, size_t *n, const char *key)
{
	return gceb_strv_find(*v, *n, key) >= 0 ? 0 : gceb_strv_push(v, n, key);
}

/*
 * SWP-4: R (key @rkey) is linked as drained to T, which is created if it
 * is gone; T.active is never changed, and its own revision is not added.
 */
static int link_revision(struct gceb_txn *txn, const struct gceb_ref *tref, const char *rkey,
			 struct gceb_err *err)
{
	Gceb__State__InstanceTemplate *t = NULL;
	int r = gceb_fleet_get_template(txn, tref, &t, err);

	if (r == GCEB_ENOTFOUND) {
		t = gceb_template_new();
		r = t ? 0 : GCEB_ENOMEM;
	}
	if (r == 0 && !(t->active && !strcmp(t->active, rkey)))
		r = add_once(&t->drained, &t->n_drained, rkey);
	if (r == 0)
		r = gceb_fleet_put_template(txn, tref, t, err);
	gceb_entity_free(t);
	return r == GCEB_ENOMEM ? gceb_err_set(err, r, "out of memory") : r;
}

/* What one listed resource is, and where it goes. */
struct found {
	const char *name, *url, *zone; /* zone NULL: a template */
	struct gceb_ref tref, rref, gref;
	gceb_key rkey, gkey;
	char **members; /* a group's VMs (instance URLs), listed before it is adopted */
	size_t n_members;
};

/*
 * The revision of @f as stored, or a new one of the sweep's project
 * (*@found, if not NULL, says which). Free *@rev.
 */
static int revision_of(struct gceb_txn *txn, const struct sweep *s, const struct found *f,
		       Gceb__State__Revision **rev, bool *found, struct gceb_err *err)
{
	int r = gceb_fleet_get_revision(txn, &f->rref, rev, err);

	if (found)
		*found = r == 0;
	if (r != GCEB_ENOTFOUND)
		return r;
	*rev = gceb_revision_new();
	if (!*rev || gceb_set_string(&(*rev)->project, s->project) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

/* Write @rev, linked as drained to its template unless it is the active one. */
static int store_revision(struct gceb_txn *txn, const struct found *f,
			  const Gceb__State__Revision *rev, struct gceb_err *err)
{
	int r = link_revision(txn, &f->tref, f->rkey, err);

	return r < 0 ? r : gceb_fleet_put_revision(txn, &f->rref, rev, err);
}

/*
 * SWP-3: a template is unknown when its revision is absent, or is not the
 * active one and has no URL (a revision a group adoption created first).
 * Adopting it records the URL on the revision, linked as drained.
 */
static int adopt_template(struct gceb_txn *txn, const struct sweep *s, const struct found *f,
			  bool *adopted, struct gceb_err *err)
{
	Gceb__State__Revision *rev = NULL;
	bool found = false;
	int r = revision_of(txn, s, f, &rev, &found, err);

	if (r == 0 && found && (rev->url || !strcmp(f->rkey, s->active)))
		goto out; /* known */
	if (r == 0 && gceb_set_string(&rev->url, f->url) < 0)
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (r == 0)
		r = store_revision(txn, f, rev, err);
	if (r == 0)
		*adopted = true;
out:
	gceb_entity_free(rev);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * SWP-6: the group's members, as gceb-fetch-instances would record them:
 * the sorted keys on the group, an Instance entity for each one the store
 * does not have. Recorded with the group, so that no job takes the group
 * for empty (and deletes it, and its VMs with it, behind the catalog's
 * back) before its VMs are out of the catalog.
 */
static int add_members(struct gceb_txn *txn, Gceb__State__InstanceGroupManager *g,
		       const struct found *f, struct gceb_err *err)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < f->n_members; i++) {
		Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *old = NULL;
		struct gceb_ref ref;
		gceb_key key;

		if (gceb_ref_down(&ref, &f->gref, gceb_gce_url_name(f->members[i]), NULL) < 0)
			continue;
		if (gceb_strv_push(&g->instances, &g->n_instances, gceb_ref_key(&ref, key)) < 0)
			return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		r = gceb_fleet_get_instance(txn, &ref, &old, err);
		gceb_entity_free(old);
		if (r != GCEB_ENOTFOUND)
			continue; /* recorded already, or an error */
		in.instance_group_manager = (char *)f->gkey;
		in.url = f->members[i];
		r = gceb_fleet_put_instance(txn, &ref, &in, err);
	}
	if (g->n_instances > 1)
		qsort(g->instances, g->n_instances, sizeof(*g->instances), cmp_str);
	return r;
}

/* SWP-3: a group is unknown when its entity is absent. */
static int group_known(struct gceb_txn *txn, const struct found *f, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	int r = gceb_fleet_get_group(txn, &f->gref, &g, err);

	gceb_entity_free(g);
	return r == GCEB_ENOTFOUND ? 0 : r == 0 ? 1 : r;
}

/*
 * SWP-6: adopting a group creates it with its URL and members, in
 * R.drained (R created with the project if it is absent), R linked as
 * drained to T unless it is T.active.
 */
static int adopt_group(struct gceb_txn *txn, const struct sweep *s, const struct found *f,
		       bool *adopted, struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *rev = NULL;
	int r = group_known(txn, f, err);

	if (r != 0)
		return r < 0 ? r : 0;
	r = revision_of(txn, s, f, &rev, NULL, err);
	if (r == 0 && gceb_strv_find(rev->active, rev->n_active, f->gkey) < 0)
		r = add_once(&rev->drained, &rev->n_drained, f->gkey);
	if (r == 0) {
		g = gceb_igm_new();
		r = g ? gceb_set_string(&g->url, f->url) : GCEB_ENOMEM;
	}
	if (r == GCEB_ENOMEM)
		r = gceb_err_set(err, r, "out of memory");
	if (r == 0)
		r = store_revision(txn, f, rev, err);
	if (r == 0)
		r = add_members(txn, g, f, err);
	if (r == 0)
		r = gceb_fleet_put_group(txn, &f->gref, g, err);
	if (r == 0)
		*adopted = true;
	gceb_entity_free(g);
	gceb_entity_free(rev);
	return r;
}

/*
 * SWP-5: one write transaction per adoption, so that the links and the
 * entity are written together; in --dry-run the decision is printed and
 * nothing is written.
 */
static void adopt(struct run_item *item, const struct sweep *s, const struct found *f)
{
	struct gceb_err e = { 0 };
	struct gceb_txn *txn = NULL;
	bool adopted = false, dry = item->run->job->dry_run;
	int r = gceb_store_begin(item->run->job->store, true, &txn, &e);

	if (r == 0)
		r = f->zone ? adopt_group(txn, s, f, &adopted, &e) :
			      adopt_template(txn, s, f, &adopted, &e);
	if (r == 0 && adopted && !dry)
		r = gceb_txn_commit(&txn, &e);
	gceb_txn_abort(&txn);
	if (r < 0) {
		run_item_fail_code(item, e.code, "%s '%s': %s", f->zone ? "group" : "template",
				   f->name, e.msg);
	} else if (adopted && dry) {
		(void)printf("would adopt %s '%s' as drained %s '%s'\n",
			     f->zone ? "group" : "template", f->url, f->zone ? "group" : "revision",
			     f->zone ? f->gkey : f->rkey);
	} else if (adopted) {
		gceb_info("adopted %s '%s' as drained %s '%s'%s", f->zone ? "group" : "template",
			  f->url, f->zone ? "group" : "revision", f->zone ? f->gkey : f->rkey,
			  f->n_members ? " with its instances" : "");
	}
}

/* A group being adopted while its members are listed: the arg of its listInstances chain. */
struct chain {
	struct found f;
	char *name, *url;
	unsigned pages;
};

static void chain_free(struct chain *c)
{
	size_t i;

	for (i = 0; i < c->f.n_members; i++)
		free(c->f.members[i]);
	free(c->f.members);
	free(c->name);
	free(c->url);
	free(c);
}

static int request_members(struct run_item *item, struct chain *c, const char *token,
			   struct gceb_err *err);

static void on_members(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct chain *c = arg;
	struct gceb_gce_instance_page page = { 0 };
	struct gceb_err e = { 0 };
	size_t i;

	if (req->result < 0) {
		run_item_fail_request(item, req);
		goto out;
	}
	if (gceb_gce_parse_instance_page(req->response, req->response_len, &page, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
		goto out;
	}
	for (i = 0; i < page.n_urls; i++) {
		if (gceb_strv_push(&c->f.members, &c->f.n_members, page.urls[i]) < 0) {
			run_item_fail(item, "out of memory");
			goto out;
		}
	}
	if (page.next_page_token && ++c->pages >= GCEB_GCE_LIST_MAX_PAGES) {
		run_item_fail(item, "%s: more than %d pages", req->url, GCEB_GCE_LIST_MAX_PAGES);
	} else if (page.next_page_token) {
		if (request_members(item, c, page.next_page_token, &e) < 0)
			run_item_fail_code(item, e.code, "%s", e.msg);
		else
			c = NULL; /* the next page's */
	} else {
		adopt(item, item->data, &c->f);
	}
out:
	gceb_gce_instance_page_release(&page);
	if (c)
		chain_free(c);
}

static int request_members(struct run_item *item, struct chain *c, const char *token,
			   struct gceb_err *err)
{
	const struct sweep *s = item->data;
	struct gceb_http_request *req = NULL;
	int r = gceb_gce_list_instances(item->run->root, s->project, c->f.zone, c->name, token,
					&req, err);

	return r < 0 ? r : run_item_submit(item, req, on_members, c);
}

/*
 * An unknown group's members are listed first, then it is adopted with
 * them (SWP-6); a known one is left alone. In --dry-run the adoption is
 * only printed.
 */
static void adopt_group_listed(struct run_item *item, const struct sweep *s, const struct found *f)
{
	struct gceb_err e = { 0 };
	struct gceb_txn *txn = NULL;
	struct chain *c;
	int r = gceb_store_begin(item->run->job->store, true, &txn, &e);

	if (r == 0)
		r = group_known(txn, f, &e);
	gceb_txn_abort(&txn);
	if (r < 0) {
		run_item_fail_code(item, e.code, "group '%s': %s", f->name, e.msg);
		return;
	}
	if (r > 0)
		return;
	if (item->run->job->dry_run) {
		adopt(item, s, f);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c) {
		c->f = *f;
		c->name = strdup(f->name);
		c->url = strdup(f->url);
		c->f.name = c->name;
		c->f.url = c->url;
	}
	if (!c || !c->name || !c->url) {
		if (c)
			chain_free(c);
		run_item_fail(item, "out of memory");
		return;
	}
	if (request_members(item, c, NULL, &e) < 0) {
		chain_free(c);
		run_item_fail_code(item, e.code, "%s", e.msg);
	}
}

/* Each resource of a page named as this template's revisions are. */
static void adopt_page(struct run_item *item, const struct sweep *s, const char *zone,
		       const struct gceb_gce_name_page *page)
{
	char rev[GCEB_SHA1_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < page->n; i++) {
		struct found f = { .name = page->names[i], .url = page->urls[i], .zone = zone };

		if (!is_ours(f.name, item->ref.base, rev))
			continue;
		f.tref = item->ref;
		if (gceb_ref_down(&f.rref, &f.tref, rev, NULL) < 0 ||
		    (zone && gceb_ref_down(&f.gref, &f.rref, zone, NULL) < 0))
			continue; /* cannot happen: both are checked names */
		gceb_ref_key(&f.rref, f.rkey);
		if (zone) {
			gceb_ref_key(&f.gref, f.gkey);
			adopt_group_listed(item, s, &f);
		} else {
			adopt(item, s, &f);
		}
	}
}

static int request_page(struct run_item *item, size_t list, const char *token,
			struct gceb_err *err);

/* @arg is the list: 0 the templates, 1 + i zone i's groups. */
static void on_page(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct sweep *s = item->data;
	size_t list = (size_t)(uintptr_t)arg;
	struct gceb_gce_name_page page = { 0 };
	struct gceb_err e = { 0 };

	if (req->result < 0) {
		run_item_fail_request(item, req);
		return;
	}
	if (gceb_gce_parse_name_page(req->response, req->response_len, &page, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
		return;
	}
	adopt_page(item, s, list ? s->zones[list - 1] : NULL, &page);
	if (page.next_page_token && ++s->pages[list] >= GCEB_GCE_LIST_MAX_PAGES)
		run_item_fail(item, "%s: more than %d pages", req->url, GCEB_GCE_LIST_MAX_PAGES);
	else if (page.next_page_token && request_page(item, list, page.next_page_token, &e) < 0)
		run_item_fail_code(item, e.code, "%s", e.msg);
	gceb_gce_name_page_release(&page);
}

static int request_page(struct run_item *item, size_t list, const char *token, struct gceb_err *err)
{
	struct sweep *s = item->data;
	struct gceb_http_request *req = NULL;
	int r = list ? gceb_gce_list_igms(item->run->root, s->project, s->zones[list - 1], token,
					  &req, err) :
		       gceb_gce_list_templates(item->run->root, s->project, token, &req, err);

	return r < 0 ? r : run_item_submit(item, req, on_page, (void *)(uintptr_t)list);
}

/* The project and zones of T's active revision, from one fresh read; 1 if there are. */
static int read_sweep(struct run_item *item, struct sweep *s, struct gceb_err *err)
{
	Gceb__State__InstanceTemplate *t = NULL;
	Gceb__State__Revision *rev = NULL;
	struct gceb_txn *txn = NULL;
	struct gceb_ref rref;
	size_t i;
	int r = gceb_store_begin(item->run->job->store, false, &txn, err);

	if (r == 0)
		r = gceb_fleet_get_template(txn, &item->ref, &t, err);
	if (r < 0 || !t || !t->active ||
	    gceb_ref_parse(&rref, GCEB_KIND_REVISION, t->active, NULL) < 0)
		goto out;
	(void)snprintf(s->active, sizeof(s->active), "%s", t->active);
	r = gceb_fleet_get_revision(txn, &rref, &rev, err);
	if (r < 0 || !rev->project)
		goto out;
	s->project = strdup(rev->project);
	s->zones = calloc(rev->n_active + 1, sizeof(*s->zones));
	s->pages = calloc(rev->n_active + 1, sizeof(*s->pages));
	if (!s->project || !s->zones || !s->pages) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < rev->n_active; i++) {
		struct gceb_ref g;

		if (gceb_ref_parse(&g, GCEB_KIND_IGM, rev->active[i], NULL) < 0)
			continue;
		if (!(s->zones[s->n_zones] = strdup(g.zone))) {
			r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
			goto out;
		}
		s->n_zones++;
	}
	r = 1;
out:
	gceb_txn_abort(&txn);
	gceb_entity_free(t);
	gceb_entity_free(rev);
	/* Gone meanwhile, or no longer configured: nothing to sweep. */
	return r == GCEB_ENOTFOUND ? 0 : r > 0 ? 1 : r;
}

/* SWP-1: list the project's templates and each configured zone's groups, side by side. */
static int build(struct run_item *item, struct gceb_err *err)
{
	struct sweep *s = calloc(1, sizeof(*s));
	size_t i;
	int r;

	if (!s)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	item->data = s;
	item->free_data = sweep_free;
	r = read_sweep(item, s, err);
	if (r <= 0)
		return r;
	r = request_page(item, 0, NULL, err);
	for (i = 0; r == 0 && i < s->n_zones; i++)
		r = request_page(item, i + 1, NULL, err);
	return r;
}

/* SWP-1: configured templates only: those with an active revision. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	(void)txn;
	(void)payload;
	(void)err;
	return e->tmpl->active != NULL;
}

static int run(struct gceb_job *job)
{
	static const struct run_source src = {
		.kind = GCEB_KIND_TEMPLATE, .pick = pick, .what = "template", .build = build
	};

	return run_job(job, &src);
}

const struct gceb_job_spec gceb_sweep_orphans_spec = {
	.name = "sweep-orphans",
	.summary = "Adopt as drained the templates and groups GCE holds under a configured "
		   "base name that the store does not know.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
