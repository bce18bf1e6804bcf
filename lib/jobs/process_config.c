/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process_config.c - gceb-process-config: turn the stored config into
 * InstanceTemplate, Revision and InstanceGroupManager entities
 * (docs/design/config.md). No remote calls. Each template is one write
 * transaction covering its template, revision and groups; new templates and
 * revisions are always written (a departure, docs/design/departures.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "entity.h"
#include "fleet.h"
#include "gceb/jobs.h"
#include "store.h"

/* The managers of one template, in config order. */
struct zone_list {
	const gceb_manager_cfg **v;
	size_t n;
};

static bool zone_configured(const struct zone_list *zones, const char *key)
{
	struct gceb_ref g;
	size_t i;

	if (gceb_ref_parse(&g, GCEB_KIND_IGM, key, NULL) < 0)
		return false;
	for (i = 0; i < zones->n; i++)
		if (zones->v[i]->zone && !strcmp(zones->v[i]->zone, g.zone))
			return true;
	return false;
}

static bool zone_listed(char *const *keys, size_t n, const char *zone)
{
	struct gceb_ref g;
	size_t i;

	for (i = 0; i < n; i++)
		if (gceb_ref_parse(&g, GCEB_KIND_IGM, keys[i], NULL) == 0 && !strcmp(g.zone, zone))
			return true;
	return false;
}

/* Whether the revision key @key names revision @rev (of any template). */
static bool is_revision(const char *key, const char *rev)
{
	struct gceb_ref r;

	return gceb_ref_parse(&r, GCEB_KIND_REVISION, key, NULL) == 0 && !strcmp(r.rev, rev);
}

/* Step 2: make revision @rk the template's active one. Returns 1 if T changed. */
static int activate_revision(Gceb__State__InstanceTemplate *t, const char *rk, const char *rev)
{
	size_t i;

	if (t->active && is_revision(t->active, rev))
		return 0;
	if (t->active) {
		if (gceb_strv_push(&t->drained, &t->n_drained, t->active) < 0)
			return GCEB_ENOMEM;
		free(t->active);
		t->active = NULL;
	}
	for (i = 0; i < t->n_drained; i++) {
		if (is_revision(t->drained[i], rev)) {
			t->active = t->drained[i];
			t->drained[i] = NULL;
			gceb_strv_remove(t->drained, &t->n_drained, i);
			return 1;
		}
	}
	if (gceb_set_string(&t->active, rk) < 0)
		return GCEB_ENOMEM;
	return 1;
}

static int copy_strv(char ***dst, size_t *n, char *const *src, size_t m)
{
	size_t i;

	for (i = 0; i < m; i++)
		if (gceb_strv_push(dst, n, src[i]) < 0)
			return GCEB_ENOMEM;
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	Gceb__State__MetadataItem *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* "key:value" strings as metadata items: one per key, last wins, sorted by key. */
static int build_metadata(Gceb__State__Revision *r, char *const *strs, size_t n)
{
	size_t i, j, klen;
	const char *value;

	for (i = 0; i < n; i++) {
		static const Gceb__State__MetadataItem init = GCEB__STATE__METADATA_ITEM__INIT;
		Gceb__State__MetadataItem *item = NULL, **v;
		char *key;

		if (!gceb_split_kv(strs[i], &klen, &value))
			continue; /* import-config refuses these */
		key = strndup(strs[i], klen);
		if (!key)
			return GCEB_ENOMEM;
		for (j = 0; j < r->n_metadata && !item; j++)
			if (!strcmp(r->metadata[j]->key, key))
				item = r->metadata[j];
		if (item) {
			free(key);
			if (gceb_set_string(&item->value, value) < 0)
				return GCEB_ENOMEM;
			continue;
		}
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
		v = realloc(r->metadata, (r->n_metadata + 1) * sizeof(*v));
		item = malloc(sizeof(*item));
		if (v)
			r->metadata = v;
		if (!v || !item) {
			free(key);
			free(item);
			return GCEB_ENOMEM;
		}
		*item = init;
		item->key = key;
		r->metadata[r->n_metadata++] = item;
		if (gceb_set_string(&item->value, value) < 0)
			return GCEB_ENOMEM;
	}
	if (r->n_metadata > 1)
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
		qsort(r->metadata, r->n_metadata, sizeof(*r->metadata), cmp_item);
	return 0;
}

static int build_dimensions(Gceb__State__Revision *r, const gceb_template_cfg *t,
			    struct gceb_err *err)
{
	Gceb__State__Dimensions parsed, *d;
	struct gceb_err e = { 0 };

	if (gceb_dimensions_parse(t->dimensions, t->n_dimensions, &parsed, &e) < 0)
		return gceb_err_set(err, GCEB_ECONFIG, "template '%s': %s", t->base_name, e.msg);
	d = malloc(sizeof(*d));
	if (!d)
		return GCEB_ENOMEM;
	/* The parsed strings point into the config: the entity gets its own copies. */
	*d = parsed;
	d->hostname = NULL;
	d->os_version = NULL;
	r->dimensions = d;
	if (gceb_set_string(&d->hostname, parsed.hostname) < 0 ||
	    gceb_set_string(&d->os_version, parsed.os_version) < 0)
		return GCEB_ENOMEM;
	return 0;
}

/* Step 3: a new Revision built from the template entry; never updated afterwards. */
static int build_revision(const gceb_template_cfg *t, Gceb__State__Revision **out,
			  struct gceb_err *err)
{
	Gceb__State__Revision *r = gceb_revision_new();
	size_t i;
	int rc = GCEB_ENOMEM;

	if (!r) {
		(void)gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		return GCEB_ENOMEM;
	}
	rc = build_dimensions(r, t, err);
	if (rc < 0)
		goto out;
	rc = GCEB_ENOMEM;
	r->has_disk_size_gb = true;
	r->disk_size_gb = t->disk_size_gb;
	r->has_auto_assign_external_ip = true;
	r->auto_assign_external_ip = t->auto_assign_external_ip;
	if (gceb_set_string(&r->image_name, t->image_name ? t->image_name : "") < 0 ||
	    gceb_set_string(&r->image_project, t->image_project ? t->image_project : "") < 0 ||
	    gceb_set_string(&r->machine_type, t->machine_type ? t->machine_type : "") < 0 ||
	    gceb_set_string(&r->network_url, t->network_url ? t->network_url : "") < 0 ||
	    gceb_set_string(&r->project, t->project ? t->project : "") < 0 ||
	    build_metadata(r, t->metadata, t->n_metadata) < 0 ||
	    copy_strv(&r->tags, &r->n_tags, t->tags, t->n_tags) < 0)
		goto out;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
	r->service_accounts = calloc(t->n_service_accounts + 1, sizeof(*r->service_accounts));
	if (!r->service_accounts)
		goto out;
	for (i = 0; i < t->n_service_accounts; i++) {
		static const Gceb__State__ServiceAccount init = GCEB__STATE__SERVICE_ACCOUNT__INIT;
		Gceb__State__ServiceAccount *sa = malloc(sizeof(*sa));

		if (!sa)
			goto out;
		*sa = init;
		r->service_accounts[r->n_service_accounts++] = sa;
		if (gceb_set_string(&sa->name, t->service_accounts[i]->name) < 0 ||
		    copy_strv(&sa->scopes, &sa->n_scopes, t->service_accounts[i]->scopes,
			      t->service_accounts[i]->n_scopes) < 0)
			goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (rc == GCEB_ENOMEM)
		gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	gceb_entity_free(r);
	return rc;
}

/* Step 4: reconcile the revision's active/drained group lists with the zones. */
static int reconcile_groups(Gceb__State__Revision *r, const struct gceb_ref *rref,
			    const struct zone_list *zones)
{
	char **active = NULL, **drained = NULL;
	size_t n_active = 0, n_drained = 0, i;
	bool modified = false;
	int rc = GCEB_ENOMEM;

	for (i = 0; i < r->n_active; i++) {
		bool keep = zone_configured(zones, r->active[i]);

		if (gceb_strv_push(keep ? &active : &drained, keep ? &n_active : &n_drained,
				   r->active[i]) < 0)
			goto out;
		modified |= !keep;
	}
	for (i = 0; i < r->n_drained; i++) {
		bool back = zone_configured(zones, r->drained[i]);

		if (gceb_strv_push(back ? &active : &drained, back ? &n_active : &n_drained,
				   r->drained[i]) < 0)
			goto out;
		modified |= back;
	}
	for (i = 0; i < zones->n; i++) {
		struct gceb_ref g;
		gceb_key k;

		if (zone_listed(active, n_active, zones->v[i]->zone))
			continue;
		/* import-config checked the zone: an RFC 1035 name. */
		if (gceb_ref_down(&g, rref, zones->v[i]->zone, NULL) < 0) {
			rc = GCEB_ECONFIG;
			goto out;
		}
		if (gceb_strv_push(&active, &n_active, gceb_ref_key(&g, k)) < 0)
			goto out;
		modified = true;
	}
	rc = modified ? 1 : 0;
	/* Swap the new lists in; the old ones are freed below. */
	{
		char **ta = r->active, **td = r->drained;
		size_t na = r->n_active, nd = r->n_drained;

		r->active = active;
		r->n_active = n_active;
		r->drained = drained;
		r->n_drained = n_drained;
		active = ta;
		n_active = na;
		drained = td;
		n_drained = nd;
	}
out:
	while (n_active > 0)
		free(active[--n_active]);
	while (n_drained > 0)
		free(drained[--n_drained]);
	free(active);
	free(drained);
	return rc;
}

/* Step 5: create or resize the group entity of one manager entry. */
static int ensure_group(struct gceb_txn *txn, const struct gceb_ref *ref, const gceb_manager_cfg *m,
			struct gceb_err *err)
{
	Gceb__State__InstanceGroupManager *g = NULL;
	int32_t max = m->has_maximum_size ? m->maximum_size : 0;
	bool existed;
	int r;

	r = gceb_fleet_get_group(txn, ref, &g, err);
	if (r < 0 && r != GCEB_ENOTFOUND)
		return r;
	existed = g != NULL;
	if (!g && !(g = gceb_igm_new()))
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (existed && g->minimum_size == m->minimum_size && g->maximum_size == max &&
	    g->has_minimum_size && g->has_maximum_size) {
		gceb_entity_free(g);
		return 0;
	}
	g->has_minimum_size = g->has_maximum_size = true;
	g->minimum_size = m->minimum_size;
	g->maximum_size = max;
	r = gceb_fleet_put_group(txn, ref, g, err);
	gceb_entity_free(g);
	return r;
}

static int process_template(struct gceb_store *store, const gceb_template_cfg *t,
			    const struct zone_list *zones, struct gceb_err *err)
{
	Gceb__State__InstanceTemplate *tmpl = NULL;
	Gceb__State__Revision *rev = NULL;
	struct gceb_txn *txn = NULL;
	char checksum[GCEB_SHA1_HEX_LEN + 1];
	bool t_new = false, r_new = false;
	int t_changed, r_changed, r;
	struct gceb_ref tref, rref;
	gceb_key rk;
	size_t i;

	r = gceb_template_checksum(t, checksum);
	if (r < 0)
		return gceb_err_set(err, r, "out of memory");
	if ((r = gceb_ref_parse(&tref, GCEB_KIND_TEMPLATE, t->base_name, err)) < 0 ||
	    (r = gceb_ref_down(&rref, &tref, checksum, err)) < 0)
		return r;
	gceb_ref_key(&rref, rk);
	r = gceb_store_begin(store, true, &txn, err);
	if (r < 0)
		return r;
	if ((r = gceb_fleet_get_template(txn, &tref, &tmpl, err)) == GCEB_ENOTFOUND)
		r = 0;
	if (r == 0 && (r = gceb_fleet_get_revision(txn, &rref, &rev, err)) == GCEB_ENOTFOUND)
		r = 0;
	if (r < 0)
		goto out;
	if (!tmpl) {
		t_new = true;
		if (!(tmpl = gceb_template_new())) {
			r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
			goto out;
		}
	}
	t_changed = activate_revision(tmpl, rk, checksum);
	if (t_changed < 0) {
		r = gceb_err_set(err, t_changed, "out of memory");
		goto out;
	}
	if (!rev) {
		r_new = true;
		r = build_revision(t, &rev, err);
		if (r < 0)
			goto out;
	}
	r_changed = reconcile_groups(rev, &rref, zones);
	if (r_changed < 0) {
		r = gceb_err_set(err, r_changed,
				 r_changed == GCEB_ENOMEM ? "out of memory" :
							    "a zone is not a name");
		goto out;
	}
	for (i = 0; i < zones->n; i++) {
		struct gceb_ref gref;

		if ((r = gceb_ref_down(&gref, &rref, zones->v[i]->zone, err)) < 0 ||
		    (r = ensure_group(txn, &gref, zones->v[i], err)) < 0)
			goto out;
	}
	if ((t_new || t_changed) && (r = gceb_fleet_put_template(txn, &tref, tmpl, err)) < 0)
		goto out;
	if ((r_new || r_changed) && (r = gceb_fleet_put_revision(txn, &rref, rev, err)) < 0)
		goto out;
	r = gceb_txn_commit(&txn, err);
out:
	gceb_txn_abort(&txn);
	gceb_entity_free(tmpl);
	gceb_entity_free(rev);
	return r;
}

/* Templates that left the config: their active revision starts draining. */
static int drain_template(Gceb__State__InstanceTemplate **tp, void *payload, struct gceb_err *err)
{
	Gceb__State__InstanceTemplate *t = *tp;

	if (!t || !t->active)
		return GCEB_UPDATE_KEEP;
	if (gceb_strv_push(&t->drained, &t->n_drained, t->active) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	free(t->active);
	t->active = NULL;
	return GCEB_UPDATE_KEEP;
}

struct unconfigured {
	const struct gceb_config *cfg;
	char **keys;
	size_t n;
};

static int collect_unconfigured(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	struct unconfigured *u = payload;
	size_t i;

	if (!e->tmpl->active)
		return 0;
	for (i = 0; i < u->cfg->templates->n_templates; i++)
		if (!strcmp(u->cfg->templates->templates[i]->base_name, e->key))
			return 0;
	if (gceb_strv_push(&u->keys, &u->n, e->key) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

static int drain_unconfigured(struct gceb_store *store, const struct gceb_config *cfg,
			      size_t *failed, struct gceb_err *err)
{
	struct unconfigured u = { cfg, NULL, 0 };
	struct gceb_txn *txn = NULL;
	size_t i;
	int r;

	r = gceb_store_begin(store, false, &txn, err);
	if (r < 0)
		return r;
	r = gceb_fleet_foreach(txn, GCEB_KIND_TEMPLATE, NULL, NULL, collect_unconfigured, &u, err);
	gceb_txn_abort(&txn);
	for (i = 0; r == 0 && i < u.n; i++) {
		struct gceb_err e = { 0 };
		struct gceb_ref ref;

		if (gceb_ref_parse(&ref, GCEB_KIND_TEMPLATE, u.keys[i], &e) < 0 ||
		    gceb_fleet_update_template(store, &ref, drain_template, NULL, NULL, &e) < 0) {
			gceb_error("template '%s': %s", u.keys[i], e.msg);
			++*failed;
		}
	}
	while (u.n > 0)
		free(u.keys[--u.n]);
	free(u.keys);
	return r;
}

static int load_stored_config(struct gceb_store *store, struct gceb_config *cfg, bool *found,
			      struct gceb_err *err)
{
	Gceb__State__StoredConfig *sc = NULL;
	struct gceb_diags diags = { 0 };
	struct gceb_txn *txn = NULL;
	size_t i;
	int r;

	*found = false;
	r = gceb_store_begin(store, false, &txn, err);
	if (r < 0)
		return r;
	r = gceb_fleet_get_config(txn, &sc, err);
	gceb_txn_abort(&txn);
	if (r == GCEB_ENOTFOUND)
		return 0;
	if (r < 0)
		return r;
	*found = true;
	r = gceb_config_parse("templates.cfg", sc->template_config ? sc->template_config : "",
			      sc->template_config ? strlen(sc->template_config) : 0, "managers.cfg",
			      sc->manager_config ? sc->manager_config : "",
			      sc->manager_config ? strlen(sc->manager_config) : 0, cfg, &diags,
			      err);
	for (i = 0; i < diags.n; i++)
		gceb_error("stored %s", diags.v[i]);
	if (r == GCEB_ECONFIG)
		gceb_err_set(err, GCEB_ECONFIG, "stored config revision %s does not parse",
			     sc->revision ? sc->revision : "?");
	gceb_diags_release(&diags);
	gceb_entity_free(sc);
	return r;
}

static int run(struct gceb_job *job)
{
	struct gceb_config cfg = { 0 };
	struct zone_list zones = { 0 };
	size_t i, j, failed = 0;
	bool found;
	int r;

	r = load_stored_config(job->store, &cfg, &found, &job->err);
	if (r < 0 || !found) {
		if (!found && r == 0)
			gceb_info("no config imported yet, nothing to do");
		goto out;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
	zones.v = calloc(cfg.managers->n_managers + 1, sizeof(*zones.v));
	if (!zones.v) {
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg.templates->n_templates; i++) {
		const gceb_template_cfg *t = cfg.templates->templates[i];
		struct gceb_err e = { 0 };

		zones.n = 0;
		for (j = 0; j < cfg.managers->n_managers; j++)
			if (!strcmp(cfg.managers->managers[j]->template_base_name, t->base_name))
				zones.v[zones.n++] = cfg.managers->managers[j];
		/* One template's failure must not stop the others (docs/design/README.md). */
		if (process_template(job->store, t, &zones, &e) < 0) {
			gceb_error("template '%s': %s", t->base_name, e.msg);
			failed++;
		}
	}
	r = drain_unconfigured(job->store, &cfg, &failed, &job->err);
	if (r == 0 && failed > 0)
		r = gceb_err_set(&job->err, GCEB_EPARTIAL, "%zu item%s failed", failed,
				 failed == 1 ? "" : "s");
out:
	free(zones.v);
	gceb_config_release(&cfg);
	return r;
}

const struct gceb_job_spec gceb_process_config_spec = {
	.name = "process-config",
	.summary = "Turn the imported config into template, revision and group entities.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK,
	.run = run,
};
