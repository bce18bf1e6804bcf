/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.c - gceb-status: the store as a table for people or as JSON for
 * scripts (schema in docs/gceb-status.md). Read-only; takes no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "entity.h"
#include "gceb/jobs.h"
#include "store.h"

#define STATUS_SCHEMA 1

struct counts {
	long total, cataloged, leased, pending_deletion, deleted;
};

struct snapshot {
	cJSON *templates, *revisions, *groups, *instances; /* arrays */
	struct counts counts;
	bool list_instances;
};

static cJSON *strv_json(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *str_or_null(const char *s)
{
	return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct snapshot *s = payload;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return GCEB_ENOMEM;
	cJSON_AddItemToArray(s->templates, o);
	cJSON_AddStringToObject(o, "base_name", key);
	cJSON_AddItemToObject(o, "active", str_or_null(t->active));
	cJSON_AddItemToObject(o, "drained", strv_json(t->drained, t->n_drained));
	return 0;
}

static cJSON *find_by(cJSON *array, const char *field, const char *value)
{
	cJSON *o;

	cJSON_ArrayForEach(o, array) {
		cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);

		if (cJSON_IsString(f) && !strcmp(f->valuestring, value))
			return o;
	}
	return NULL;
}

static bool template_lists(struct snapshot *s, const char *base, const char *list, const char *key)
{
	cJSON *t = find_by(s->templates, "base_name", base), *e;

	if (!t)
		return false;
	e = cJSON_GetObjectItemCaseSensitive(t, list);
	if (cJSON_IsString(e))
		return !strcmp(e->valuestring, key);
	cJSON_ArrayForEach(e, e) {
		if (cJSON_IsString(e) && !strcmp(e->valuestring, key))
			return true;
	}
	return false;
}

static const char *revision_state(struct snapshot *s, const char *key)
{
	char base[GCEB_STORE_MAX_KEY + 1];

	if (!gceb_key_token(key, 0, base, sizeof(base)))
		return "unreferenced";
	if (template_lists(s, base, "active", key))
		return "active";
	if (template_lists(s, base, "drained", key))
		return "drained";
	return "unreferenced";
}

static int add_key_parts(cJSON *o, const char *key, unsigned n)
{
	static const char *const names[] = { "base_name", "revision", "zone", "name" };
	char part[GCEB_STORE_MAX_KEY + 1];
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!gceb_key_token(key, i, part, sizeof(part)))
			part[0] = '\0';
		cJSON_AddStringToObject(o, names[i], part);
	}
	return 0;
}

static int visit_revision(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Revision *r = (const Gceb__State__Revision *)msg;
	struct snapshot *s = payload;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return GCEB_ENOMEM;
	cJSON_AddItemToArray(s->revisions, o);
	add_key_parts(o, key, 2);
	cJSON_AddStringToObject(o, "state", revision_state(s, key));
	cJSON_AddItemToObject(o, "project", str_or_null(r->project));
	cJSON_AddItemToObject(o, "url", str_or_null(r->url));
	cJSON_AddItemToObject(o, "active_groups", strv_json(r->active, r->n_active));
	cJSON_AddItemToObject(o, "drained_groups", strv_json(r->drained, r->n_drained));
	return 0;
}

static const char *group_state(struct snapshot *s, const char *key)
{
	char base[GCEB_STORE_MAX_KEY + 1], rev[GCEB_STORE_MAX_KEY + 1];
	gceb_key rk;
	cJSON *r, *e;

	if (!gceb_key_token(key, 0, base, sizeof(base)) ||
	    !gceb_key_token(key, 1, rev, sizeof(rev)) || gceb_key_revision(rk, base, rev) < 0)
		return "unreferenced";
	cJSON_ArrayForEach(r, s->revisions) {
		cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "base_name");
		cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "revision");
		bool active_rev;

		if (!cJSON_IsString(b) || !cJSON_IsString(v) || strcmp(b->valuestring, base) ||
		    strcmp(v->valuestring, rev))
			continue;
		active_rev = !strcmp(revision_state(s, rk), "active");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "active_groups")) {
			if (!strcmp(e->valuestring, key))
				return active_rev ? "active" : "drained";
		}
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "drained_groups")) {
			if (!strcmp(e->valuestring, key))
				return "drained";
		}
	}
	return "unreferenced";
}

static int visit_group(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceGroupManager *g = (const Gceb__State__InstanceGroupManager *)msg;
	struct snapshot *s = payload;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return GCEB_ENOMEM;
	cJSON_AddItemToArray(s->groups, o);
	add_key_parts(o, key, 3);
	cJSON_AddStringToObject(o, "state", group_state(s, key));
	cJSON_AddNumberToObject(o, "minimum_size", g->minimum_size);
	if (g->maximum_size > 0)
		cJSON_AddNumberToObject(o, "maximum_size", g->maximum_size);
	else
		cJSON_AddNullToObject(o, "maximum_size");
	cJSON_AddItemToObject(o, "url", str_or_null(g->url));
	cJSON_AddNumberToObject(o, "instances", (double)g->n_instances);
	return 0;
}

static int visit_instance(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct snapshot *s = payload;
	bool leased = in->has_lease_expiration_ts || in->leased_indefinitely;
	cJSON *o;

	s->counts.total++;
	s->counts.cataloged += in->cataloged;
	s->counts.leased += leased;
	s->counts.pending_deletion += in->pending_deletion;
	s->counts.deleted += in->deleted;
	if (!s->list_instances)
		return 0;
	o = cJSON_CreateObject();
	if (!o)
		return GCEB_ENOMEM;
	cJSON_AddItemToArray(s->instances, o);
	add_key_parts(o, key, 4);
	cJSON_AddItemToObject(o, "url", str_or_null(in->url));
	cJSON_AddBoolToObject(o, "cataloged", in->cataloged);
	cJSON_AddBoolToObject(o, "leased", leased);
	if (in->has_lease_expiration_ts)
		cJSON_AddNumberToObject(o, "lease_expiration_ts", (double)in->lease_expiration_ts);
	cJSON_AddBoolToObject(o, "pending_deletion", in->pending_deletion);
	if (in->has_deletion_ts)
		cJSON_AddNumberToObject(o, "deletion_ts", (double)in->deletion_ts);
	cJSON_AddBoolToObject(o, "deleted", in->deleted);
	return 0;
}

static cJSON *counts_json(const struct counts *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "total", (double)c->total);
	cJSON_AddNumberToObject(o, "cataloged", (double)c->cataloged);
	cJSON_AddNumberToObject(o, "leased", (double)c->leased);
	cJSON_AddNumberToObject(o, "pending_deletion", (double)c->pending_deletion);
	cJSON_AddNumberToObject(o, "deleted", (double)c->deleted);
	return o;
}

static const char *jstr(const cJSON *o, const char *field)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);

	return cJSON_IsString(f) ? f->valuestring : "-";
}

static void print_table(const cJSON *config, const struct snapshot *s)
{
	const cJSON *o;

	(void)printf("config revision: %s\n\n", jstr(config, "revision"));
	(void)printf("%-24s %-14s %s\n", "TEMPLATE", "ACTIVE", "DRAINED");
	cJSON_ArrayForEach(o, s->templates) {
		const char *active = jstr(o, "active");
		const char *space = strchr(active, ' ');

		(void)printf("%-24s %-14.12s %d\n", jstr(o, "base_name"), space ? space + 1 : "-",
			     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "drained")));
	}
	(void)printf("\n%-24s %-14s %-13s %-24s %s\n", "REVISION", "", "STATE", "PROJECT",
		     "TEMPLATE URL");
	cJSON_ArrayForEach(o, s->revisions) {
		(void)printf("%-24s %-14.12s %-13s %-24s %s\n", jstr(o, "base_name"),
			     jstr(o, "revision"), jstr(o, "state"), jstr(o, "project"),
			     jstr(o, "url"));
	}
	(void)printf("\n%-24s %-14s %-16s %-9s %5s %5s %9s  %s\n", "GROUP", "", "ZONE", "STATE",
		     "MIN", "MAX", "INSTANCES", "URL");
	cJSON_ArrayForEach(o, s->groups) {
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(o, "maximum_size");
		char maxs[16] = "-";

		if (cJSON_IsNumber(max))
			(void)snprintf(maxs, sizeof(maxs), "%d", max->valueint);
		(void)printf("%-24s %-14.12s %-16s %-9s %5d %5s %9d  %s\n", jstr(o, "base_name"),
			     jstr(o, "revision"), jstr(o, "zone"), jstr(o, "state"),
			     cJSON_GetObjectItemCaseSensitive(o, "minimum_size")->valueint, maxs,
			     cJSON_GetObjectItemCaseSensitive(o, "instances")->valueint,
			     jstr(o, "url"));
	}
	(void)printf("\nINSTANCES: %ld total, %ld cataloged, %ld leased, %ld pending deletion, "
		     "%ld deleted\n",
		     s->counts.total, s->counts.cataloged, s->counts.leased,
		     s->counts.pending_deletion, s->counts.deleted);
}

static int read_config(struct gceb_txn *txn, cJSON *config, struct gceb_err *err)
{
	Gceb__State__StoredConfig *c = NULL;
	int r = gceb_txn_get(txn, GCEB_KIND_CONFIG, "current", (ProtobufCMessage **)&c, err);

	if (r == GCEB_ENOTFOUND) {
		cJSON_AddNullToObject(config, "revision");
		cJSON_AddNullToObject(config, "updated_ts");
		return 0;
	}
	if (r < 0)
		return r;
	cJSON_AddItemToObject(config, "revision", str_or_null(c->revision));
	cJSON_AddNumberToObject(config, "updated_ts", (double)c->updated_ts);
	gceb_entity_free(c);
	return 0;
}

int gceb_status_run(struct gceb_job *job, bool json, bool list_instances)
{
	struct snapshot s = { .list_instances = list_instances };
	struct gceb_txn *txn = NULL;
	cJSON *root = cJSON_CreateObject(), *config = cJSON_CreateObject();
	char *text = NULL;
	int r;

	s.templates = cJSON_CreateArray();
	s.revisions = cJSON_CreateArray();
	s.groups = cJSON_CreateArray();
	s.instances = cJSON_CreateArray();
	if (!root || !config || !s.templates || !s.revisions || !s.groups || !s.instances) {
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	r = gceb_store_begin(job->store, false, &txn, &job->err);
	if (r < 0)
		goto out;
	/* Templates first: revision and group states are derived from them. */
	if ((r = read_config(txn, config, &job->err)) < 0 ||
	    (r = gceb_txn_foreach(txn, GCEB_KIND_TEMPLATE, NULL, visit_template, &s, &job->err)) <
		    0 ||
	    (r = gceb_txn_foreach(txn, GCEB_KIND_REVISION, NULL, visit_revision, &s, &job->err)) <
		    0 ||
	    (r = gceb_txn_foreach(txn, GCEB_KIND_IGM, NULL, visit_group, &s, &job->err)) < 0 ||
	    (r = gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, NULL, visit_instance, &s, &job->err)) <
		    0)
		goto out;
	if (!json) {
		print_table(config, &s);
		goto out;
	}
	cJSON_AddNumberToObject(root, "schema", STATUS_SCHEMA);
	cJSON_AddItemToObject(root, "config", config);
	config = NULL;
	cJSON_AddItemToObject(root, "templates", s.templates);
	cJSON_AddItemToObject(root, "revisions", s.revisions);
	cJSON_AddItemToObject(root, "groups", s.groups);
	cJSON_AddItemToObject(root, "instance_counts", counts_json(&s.counts));
	if (list_instances) {
		cJSON_AddItemToObject(root, "instances", s.instances);
		s.instances = NULL;
	}
	s.templates = s.revisions = s.groups = NULL;
	text = cJSON_Print(root);
	if (!text) {
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	(void)printf("%s\n", text);
out:
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	gceb_txn_abort(&txn);
	free(text);
	cJSON_Delete(root);
	cJSON_Delete(config);
	cJSON_Delete(s.templates);
	cJSON_Delete(s.revisions);
	cJSON_Delete(s.groups);
	cJSON_Delete(s.instances);
	return r;
}
