/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.c - gceb-status: the store as a table for people or as JSON for
 * scripts (schema in docs/gceb-status.md). Read-only; takes no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "entity.h"
#include "fleet.h"
#include "gceb/jobs.h"
#include "store.h"

#define STATUS_SCHEMA 1

static bool arg_json;
static bool arg_instances;
static bool arg_wide;

/* What an instance is, one of these; the order of the summary line. */
enum instance_state {
	INSTANCE_NEW,     /* not cataloged yet */
	INSTANCE_IDLE,    /* cataloged, not leased */
	INSTANCE_LEASED,  /* lent out */
	INSTANCE_PENDING, /* to be deleted */
	INSTANCE_DELETED, /* gone from GCE, awaiting purge */
	GCEB_INSTANCE_STATES,
};

static const char *const instance_state_names[GCEB_INSTANCE_STATES] = { "new", "idle", "leased",
									"pending_deletion",
									"deleted" };

struct counts {
	long total, cataloged, leased, pending_deletion, deleted;
	/* One state each, so that they add up: live ones by state, then the deleted. */
	long by_state[GCEB_INSTANCE_STATES];
};

/* Instances of one template in one zone, by state, for metrics. */
struct zone_counts {
	char base[GCEB_REF_PART_MAX + 1], zone[GCEB_REF_PART_MAX + 1];
	long by_state[4]; /* idle, leased, pending_deletion, deleted */
};

static const char *const state_names[4] = { "idle", "leased", "pending_deletion", "deleted" };

struct snapshot {
	struct gceb_txn *txn; /* the states of revisions and groups are read in it */
	struct gceb_state_memo states;
	cJSON *templates, *revisions, *groups; /* arrays */
	struct counts counts;
	struct zone_counts *zones;
	size_t n_zones;
};

/* The instances, printed one at a time into the document's "instances" array. */
struct listing {
	size_t n; /* printed so far */
	struct gceb_err *err;
};

static int count_zone(struct snapshot *s, const struct gceb_ref *ref, int state)
{
	const char *base = ref->base, *zone = ref->zone;
	struct zone_counts *v;
	size_t i;

	for (i = 0; i < s->n_zones; i++)
		if (!strcmp(s->zones[i].base, base) && !strcmp(s->zones[i].zone, zone))
			break;
	if (i == s->n_zones) {
		v = realloc(s->zones, (s->n_zones + 1) * sizeof(*v));
		if (!v)
			return GCEB_ENOMEM;
		s->zones = v;
		memset(&v[i], 0, sizeof(v[i]));
		(void)snprintf(v[i].base, sizeof(v[i].base), "%s", base);
		(void)snprintf(v[i].zone, sizeof(v[i].zone), "%s", zone);
		s->n_zones++;
	}
	s->zones[i].by_state[state]++;
	return 0;
}

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

static int visit_template(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__InstanceTemplate *t = e->tmpl;
	struct snapshot *s = payload;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	cJSON_AddItemToArray(s->templates, o);
	cJSON_AddStringToObject(o, "base_name", e->key);
	cJSON_AddItemToObject(o, "active", str_or_null(t->active));
	cJSON_AddItemToObject(o, "drained", strv_json(t->drained, t->n_drained));
	return 0;
}

static void add_key_parts(cJSON *o, const struct gceb_ref *ref)
{
	cJSON_AddStringToObject(o, "base_name", ref->base);
	if (ref->kind >= GCEB_KIND_REVISION)
		cJSON_AddStringToObject(o, "revision", ref->rev);
	if (ref->kind >= GCEB_KIND_IGM)
		cJSON_AddStringToObject(o, "zone", ref->zone);
	if (ref->kind >= GCEB_KIND_INSTANCE)
		cJSON_AddStringToObject(o, "name", ref->name);
}

/* A new object at the end of @array, with the parts of @ref's key; NULL when out of memory. */
static cJSON *new_row(cJSON *array, const struct gceb_ref *ref)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddItemToArray(array, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	if (o)
		add_key_parts(o, ref);
	return o;
}

static int visit_revision(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__Revision *r = e->revision;
	struct snapshot *s = payload;
	cJSON *o = new_row(s->revisions, &e->ref);
	enum gceb_group_state state;
	int rc;

	if (!o)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	rc = gceb_fleet_revision_state(s->txn, &e->ref, &state, err);
	if (rc < 0)
		return rc;
	/* The schema has no orphan revision: one without template is referenced by nothing. */
	cJSON_AddStringToObject(o, "state",
				state == GCEB_GROUP_ORPHAN ? "unreferenced" :
							     gceb_group_state_name(state));
	cJSON_AddItemToObject(o, "project", str_or_null(r->project));
	cJSON_AddItemToObject(o, "url", str_or_null(r->url));
	cJSON_AddItemToObject(o, "active_groups", strv_json(r->active, r->n_active));
	cJSON_AddItemToObject(o, "drained_groups", strv_json(r->drained, r->n_drained));
	return 0;
}

/* The group's state is the drain jobs' (fleet.h): what they act on is "drained". */
static int visit_group(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__InstanceGroupManager *g = e->group;
	struct snapshot *s = payload;
	cJSON *o = new_row(s->groups, &e->ref);
	enum gceb_group_state state;
	int rc;

	if (!o)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	rc = gceb_state_memo_group(&s->states, s->txn, &e->ref, &state, err);
	if (rc < 0)
		return rc;
	cJSON_AddStringToObject(o, "state", gceb_group_state_name(state));
	cJSON_AddNumberToObject(o, "minimum_size", g->minimum_size);
	if (g->maximum_size > 0)
		cJSON_AddNumberToObject(o, "maximum_size", g->maximum_size);
	else
		cJSON_AddNullToObject(o, "maximum_size");
	cJSON_AddItemToObject(o, "url", str_or_null(g->url));
	cJSON_AddNumberToObject(o, "instances", (double)g->n_instances);
	return 0;
}

static bool is_leased(const Gceb__State__Instance *in)
{
	return in->has_lease_expiration_ts || in->leased_indefinitely;
}

static enum instance_state instance_state(const Gceb__State__Instance *in)
{
	if (in->deleted)
		return INSTANCE_DELETED;
	if (in->pending_deletion)
		return INSTANCE_PENDING;
	if (is_leased(in))
		return INSTANCE_LEASED;
	return in->cataloged ? INSTANCE_IDLE : INSTANCE_NEW;
}

static int visit_instance(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__Instance *in = e->instance;
	struct snapshot *s = payload;
	bool leased = is_leased(in);

	s->counts.total++;
	s->counts.cataloged += in->cataloged;
	s->counts.leased += leased;
	s->counts.pending_deletion += in->pending_deletion;
	s->counts.deleted += in->deleted;
	s->counts.by_state[instance_state(in)]++;
	if (count_zone(s, &e->ref, in->deleted ? 3 : in->pending_deletion ? 2 : leased ? 1 : 0) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

static cJSON *instance_json(const struct gceb_ref *ref, const Gceb__State__Instance *in)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_key_parts(o, ref);
	cJSON_AddItemToObject(o, "url", str_or_null(in->url));
	cJSON_AddBoolToObject(o, "cataloged", in->cataloged);
	cJSON_AddBoolToObject(o, "leased", is_leased(in));
	if (in->has_lease_expiration_ts)
		cJSON_AddNumberToObject(o, "lease_expiration_ts", (double)in->lease_expiration_ts);
	cJSON_AddBoolToObject(o, "pending_deletion", in->pending_deletion);
	if (in->has_deletion_ts)
		cJSON_AddNumberToObject(o, "deletion_ts", (double)in->deletion_ts);
	cJSON_AddBoolToObject(o, "deleted", in->deleted);
	return o;
}

/*
 * Print one instance as cJSON_Print() lays it out as an element of the
 * document's "instances" array: after ", " from the second on, and two tabs
 * deeper than on its own. JSON strings escape newlines, so every newline in
 * the text is one of the layout's.
 */
static int print_instance(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	struct listing *l = payload;
	cJSON *o = instance_json(&e->ref, e->instance);
	char *text = o ? cJSON_Print(o) : NULL;
	const char *p, *nl;
	int r = 0;

	if (!text) {
		r = gceb_err_set(l->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	if (l->n++)
		(void)fputs(", ", stdout);
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		(void)fwrite(p, 1, (size_t)(nl - p) + 1, stdout);
		(void)fputs("\t\t", stdout);
	}
	(void)fputs(p, stdout);
	/* Stop at once when the reader has gone (EPIPE) or the disk is full. */
	if (ferror(stdout))
		r = gceb_err_set(l->err, GCEB_EIO, "cannot write the output: %s", strerror(errno));
out:
	free(text);
	cJSON_Delete(o);
	return r;
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

/* The partition: every instance in exactly one state. */
static cJSON *states_json(const struct counts *c)
{
	cJSON *o = cJSON_CreateObject();
	int i;

	for (i = 0; o && i < GCEB_INSTANCE_STATES; i++)
		cJSON_AddNumberToObject(o, instance_state_names[i], (double)c->by_state[i]);
	return o;
}

static const char *jstr(const cJSON *o, const char *field)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);

	return cJSON_IsString(f) ? f->valuestring : "-";
}

/* @v as one harmless line of the table (it comes from the store or an answer). */
static const char *shown(const char *v, char *buf, size_t len)
{
	(void)gceb_log_escape(v, buf, len);
	return buf;
}

/* A column of URLs, with --wide or -v only: they would take the table past 100 columns. */
static bool wide_table(void)
{
	return arg_wide || gceb_log_level() >= GCEB_LOG_INFO;
}

static void print_templates(const struct snapshot *s)
{
	const cJSON *o;

	(void)printf("%-24s %-14s %s\n", "TEMPLATE", "ACTIVE", "DRAINED");
	cJSON_ArrayForEach(o, s->templates) {
		const char *active = jstr(o, "active");
		const char *space = strchr(active, ' ');

		(void)printf("%-24s %-14.12s %d\n", jstr(o, "base_name"), space ? space + 1 : "-",
			     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "drained")));
	}
}

static void print_revisions(const struct snapshot *s, bool wide)
{
	const cJSON *o;

	/* The last column is not padded: no blanks at the end of a line. */
	(void)printf("\n%-24s %-14s %-13s %-*s%s\n", "TEMPLATE", "REVISION", "STATE", wide ? 24 : 0,
		     "PROJECT", wide ? " TEMPLATE URL" : "");
	cJSON_ArrayForEach(o, s->revisions) {
		char url[1024];

		(void)printf("%-24s %-14.12s %-13s %-*s%s%s\n", jstr(o, "base_name"),
			     jstr(o, "revision"), jstr(o, "state"), wide ? 24 : 0,
			     jstr(o, "project"), wide ? " " : "",
			     wide ? shown(jstr(o, "url"), url, sizeof(url)) : "");
	}
}

static void print_groups(const struct snapshot *s, bool wide)
{
	const cJSON *o;

	(void)printf("\n%-24s %-14s %-16s %-12s %5s %5s %9s%s\n", "TEMPLATE", "REVISION", "ZONE",
		     "STATE", "MIN", "MAX", "INSTANCES", wide ? "  GROUP URL" : "");
	cJSON_ArrayForEach(o, s->groups) {
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(o, "maximum_size");
		char maxs[16] = "-", url[1024];

		if (cJSON_IsNumber(max))
			(void)snprintf(maxs, sizeof(maxs), "%d", max->valueint);
		(void)printf("%-24s %-14.12s %-16s %-12s %5d %5s %9d%s%s\n", jstr(o, "base_name"),
			     jstr(o, "revision"), jstr(o, "zone"), jstr(o, "state"),
			     cJSON_GetObjectItemCaseSensitive(o, "minimum_size")->valueint, maxs,
			     cJSON_GetObjectItemCaseSensitive(o, "instances")->valueint,
			     wide ? "  " : "", wide ? shown(jstr(o, "url"), url, sizeof(url)) : "");
	}
}

/* Live instances by state, then the deleted ones: the counts add up. */
static void print_summary(const struct counts *c)
{
	long live = c->total - c->by_state[INSTANCE_DELETED];

	(void)printf("\nINSTANCES: %ld live: %ld new, %ld idle, %ld leased, %ld pending deletion; "
		     "%ld deleted, awaiting purge\n",
		     live, c->by_state[INSTANCE_NEW], c->by_state[INSTANCE_IDLE],
		     c->by_state[INSTANCE_LEASED], c->by_state[INSTANCE_PENDING],
		     c->by_state[INSTANCE_DELETED]);
}

static void print_table(const cJSON *config, const struct snapshot *s)
{
	bool wide = wide_table();

	(void)printf("config revision: %s\n\n", jstr(config, "revision"));
	print_templates(s);
	print_revisions(s, wide);
	print_groups(s, wide);
	print_summary(&s->counts);
}

/* One line of the --instances table. */
static int print_instance_row(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const bool *wide = payload;
	const Gceb__State__Instance *in = e->instance;
	char name[256], zone[256], url[1024];

	(void)printf("%-48s %-16s %-*s%s%s\n", shown(e->ref.name, name, sizeof(name)),
		     shown(e->ref.zone, zone, sizeof(zone)), *wide ? 16 : 0,
		     instance_state_names[instance_state(in)], *wide ? " " : "",
		     *wide ? shown(in->url ? in->url : "-", url, sizeof(url)) : "");
	if (ferror(stdout))
		return gceb_err_set(err, GCEB_EIO, "cannot write the output: %s", strerror(errno));
	return 0;
}

/* Every instance in key order, printed as it is read. */
static int print_instance_table(struct gceb_txn *txn, struct gceb_err *err)
{
	bool wide = wide_table();

	(void)printf("\n%-48s %-16s %-*s%s\n", "INSTANCE", "ZONE", wide ? 16 : 0, "STATE",
		     wide ? " URL" : "");
	return gceb_fleet_foreach(txn, GCEB_KIND_INSTANCE, NULL, NULL, print_instance_row, &wide,
				  err);
}

static int read_config(struct gceb_txn *txn, cJSON *config, struct gceb_err *err)
{
	Gceb__State__StoredConfig *c = NULL;
	int r = gceb_fleet_get_config(txn, &c, err);

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

/* Instances by template, zone and state; sizes of the active groups (docs/operations.md). */
static char *metrics_lines(const struct snapshot *s)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	const cJSON *o;
	size_t i;
	int st;

	gceb_buf_adds(&b, "# HELP gceb_instances Instances in the store, by template, zone and "
			  "state.\n# TYPE gceb_instances gauge\n");
	for (i = 0; i < s->n_zones; i++)
		for (st = 0; st < 4; st++)
			gceb_buf_addf(
				&b,
				"gceb_instances{template=\"%s\",zone=\"%s\",state=\"%s\"} %ld\n",
				s->zones[i].base, s->zones[i].zone, state_names[st],
				s->zones[i].by_state[st]);
	/* Each family whole, as the exposition format wants: one walk each. */
	gceb_buf_adds(&b, "# HELP gceb_group_minimum_size Configured minimum of each active "
			  "group.\n# TYPE gceb_group_minimum_size gauge\n");
	cJSON_ArrayForEach(o, s->groups) {
		if (strcmp(jstr(o, "state"), "active") != 0)
			continue;
		gceb_buf_addf(&b, "gceb_group_minimum_size{template=\"%s\",zone=\"%s\"} %d\n",
			      jstr(o, "base_name"), jstr(o, "zone"),
			      cJSON_GetObjectItemCaseSensitive(o, "minimum_size")->valueint);
	}
	gceb_buf_adds(&b, "# HELP gceb_group_maximum_size Configured maximum of each active group "
			  "(+Inf: unlimited).\n# TYPE gceb_group_maximum_size gauge\n");
	cJSON_ArrayForEach(o, s->groups) {
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(o, "maximum_size");

		if (strcmp(jstr(o, "state"), "active") != 0)
			continue;
		if (cJSON_IsNumber(max))
			gceb_buf_addf(&b,
				      "gceb_group_maximum_size{template=\"%s\",zone=\"%s\"} %d\n",
				      jstr(o, "base_name"), jstr(o, "zone"), max->valueint);
		else
			gceb_buf_addf(&b,
				      "gceb_group_maximum_size{template=\"%s\",zone=\"%s\"} +Inf\n",
				      jstr(o, "base_name"), jstr(o, "zone"));
	}
	return gceb_buf_detach(&b);
}

/*
 * Print @root as cJSON_Print() lays it out. With @list_instances, @root ends
 * with an empty "instances" array and the instances are printed into it as
 * they are read, so memory does not grow with the fleet. The first walk
 * (the counts) has read every value in this transaction, so a damaged one
 * failed before anything was printed; only running out of memory or a write
 * error can stop this one midway, and that is not reported as success.
 */
static int print_json(struct gceb_txn *txn, const cJSON *root, bool list_instances,
		      struct gceb_err *err)
{
	struct listing l = { .err = err };
	char *text = cJSON_Print(root);
	size_t len;
	int r = 0;

	if (!text) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	if (!list_instances) {
		(void)printf("%s\n", text);
		goto out;
	}
	/* Formatted, the document ends with the empty array and the root's brace. */
	len = strlen(text);
	if (len < 4 || strcmp(text + len - 4, "[]\n}") != 0) {
		r = gceb_err_set(err, GCEB_EBUG, "cJSON laid out the status document unexpectedly");
		goto out;
	}
	(void)fwrite(text, 1, len - 3, stdout);
	r = gceb_fleet_foreach(txn, GCEB_KIND_INSTANCE, NULL, NULL, print_instance, &l, err);
	if (r < 0)
		goto out;
	(void)fputs("]\n}\n", stdout);
out:
	free(text);
	return r;
}

/* Output that did not all reach its reader must not be reported as success. */
static int check_output(struct gceb_err *err)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return gceb_err_set(err, GCEB_EIO, "cannot write the output: %s", strerror(errno));
}

/* Read the config and every entity into @s, in the one transaction @s->txn. */
static int read_all(struct snapshot *s, cJSON *config, struct gceb_err *err)
{
	int r;

	/* Templates first: the table lists them before the revisions they name. */
	if ((r = read_config(s->txn, config, err)) < 0 ||
	    (r = gceb_fleet_foreach(s->txn, GCEB_KIND_TEMPLATE, NULL, NULL, visit_template, s,
				    err)) < 0 ||
	    (r = gceb_fleet_foreach(s->txn, GCEB_KIND_REVISION, NULL, NULL, visit_revision, s,
				    err)) < 0 ||
	    (r = gceb_fleet_foreach(s->txn, GCEB_KIND_IGM, NULL, NULL, visit_group, s, err)) < 0)
		return r;
	return gceb_fleet_foreach(s->txn, GCEB_KIND_INSTANCE, NULL, NULL, visit_instance, s, err);
}

static int run(struct gceb_job *job)
{
	bool json = arg_json, list_instances = arg_instances;
	struct snapshot s = { 0 };
	struct gceb_txn *txn = NULL;
	cJSON *root = cJSON_CreateObject(), *config = cJSON_CreateObject();
	int r;

	s.templates = cJSON_CreateArray();
	s.revisions = cJSON_CreateArray();
	s.groups = cJSON_CreateArray();
	if (!root || !config || !s.templates || !s.revisions || !s.groups) {
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	r = gceb_store_begin(job->store, false, &txn, &job->err);
	if (r < 0)
		goto out;
	s.txn = txn;
	r = read_all(&s, config, &job->err);
	if (r < 0)
		goto out;
	/* Names are RFC 1035 (import-config checks), so they need no label escaping. */
	if (job->settings.metrics_dir && !(job->metrics_extra = metrics_lines(&s))) {
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	if (!json) {
		print_table(config, &s);
		if (list_instances)
			r = print_instance_table(txn, &job->err);
		if (r < 0)
			goto out;
	} else {
		cJSON_AddNumberToObject(root, "schema", STATUS_SCHEMA);
		cJSON_AddItemToObject(root, "config", config);
		config = NULL;
		cJSON_AddItemToObject(root, "templates", s.templates);
		cJSON_AddItemToObject(root, "revisions", s.revisions);
		cJSON_AddItemToObject(root, "groups", s.groups);
		s.templates = s.revisions = s.groups = NULL;
		cJSON_AddItemToObject(root, "instance_counts", counts_json(&s.counts));
		cJSON_AddItemToObject(root, "instance_states", states_json(&s.counts));
		if (list_instances && !cJSON_AddArrayToObject(root, "instances")) {
			r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
			goto out;
		}
		r = print_json(txn, root, list_instances, &job->err);
		if (r < 0)
			goto out;
	}
	r = check_output(&job->err);
out:
	gceb_state_memo_release(&s.states);
	gceb_txn_abort(&txn);
	cJSON_Delete(root);
	cJSON_Delete(config);
	cJSON_Delete(s.templates);
	cJSON_Delete(s.revisions);
	cJSON_Delete(s.groups);
	free(s.zones);
	return r;
}

static const struct gceb_opt opts[] = {
	GCEB_OPT_FLAG('j', "json", &arg_json, "print JSON (schema in docs/gceb-status.md)"),
	GCEB_OPT_FLAG(0, "instances", &arg_instances, "list every instance too"),
	GCEB_OPT_FLAG('w', "wide", &arg_wide, "add the URL columns to the table (as -v does)"),
	GCEB_OPT_END,
};

const struct gceb_job_spec gceb_status_spec = {
	.name = "status",
	.summary = "Show the templates, revisions, groups and instances in the store.",
	.opts = opts,
	.needs = GCEB_NEED_STORE_READONLY,
	.run = run,
};
