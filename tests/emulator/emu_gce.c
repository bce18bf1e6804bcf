/* SPDX-License-Identifier: Apache-2.0 */
/* emu_gce.c - Compute Engine v1: templates, managed groups, instances, operations */
#include <fnmatch.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "emu.h"

/*
 * Everything is keyed by its path relative to the root, e.g.
 * "projects/p/zones/z/instances/i"; URLs are that key behind e->compute_root.
 */

enum vm_status { VM_NONE, VM_PROVISIONING, VM_STAGING, VM_RUNNING, VM_STOPPING, VM_TERMINATED };
static const char *const vm_status_names[] = { "",        "PROVISIONING", "STAGING",
					       "RUNNING", "STOPPING",     "TERMINATED" };

enum action { ACT_NONE, ACT_CREATING, ACT_DELETING, ACT_RECREATING, ACT_N };
static const char *const action_names[] = { "NONE", "CREATING", "DELETING", "RECREATING" };

enum op_kind {
	OP_TMPL_INSERT,
	OP_TMPL_DELETE,
	OP_IGM_INSERT,
	OP_IGM_DELETE,
	OP_IGM_ACTIONS, /* resize, deleteInstances: effects land at request time */
	OP_SET_METADATA,
	OP_INST_DELETE,
};

enum op_status { OP_PENDING, OP_RUNNING, OP_DONE };
static const char *const op_status_names[] = { "PENDING", "RUNNING", "DONE" };

struct gce_zone {
	char *key; /* projects/p/zones/z */
	struct emu_olist igms;
	uint64_t inst_list_id; /* names instances.list inside page tokens */
	int64_t capacity;      /* VMs allowed in the zone, < 0 unlimited */
	char *limit_code;
	size_t vms;
};

struct gce_project {
	char *key; /* projects/p */
	struct emu_olist templates;
};

struct gce_tmpl {
	char *key;
	char *name;
	struct gce_project *project;
	uint64_t id;
	uint64_t seq;
	int64_t created;
	cJSON *resource;
	bool visible;
	bool deleting;
	size_t users;
};

struct gce_op;

struct gce_igm {
	char *key;
	char *name;
	char *ig_key; /* projects/p/zones/z/instanceGroups/name */
	struct gce_zone *zone;
	struct gce_tmpl *tmpl;
	uint64_t id;
	uint64_t seq;
	int64_t created;
	char *base;
	char *description;
	int64_t target;
	bool visible;
	bool deleting;
	struct gce_op *delete_op;
	bool paginated; /* listManagedInstancesResults: PAGINATED */
	struct emu_olist members;
	size_t counts[ACT_N];
	size_t live; /* members not being deleted */
	uint32_t fp_gen;
};

struct gce_inst {
	char *key;
	char *name;
	struct gce_igm *igm;
	uint64_t id;
	uint64_t seq;
	int64_t created;
	enum vm_status status;
	enum action action;
	bool vm;
	uint32_t md_gen;
	cJSON *md_items; /* NULL: the template's items plus the two GCE keys */
	const char *last_error;
	struct emu_timer t;
};

struct gce_op {
	char *key;
	char *name;
	char *zone_key; /* NULL for global operations */
	char *type;
	char *target;
	char *user;
	uint64_t id;
	uint64_t target_id;
	enum op_kind kind;
	enum op_status status;
	int64_t insert_t;
	int64_t start_t;
	int64_t end_t;
	int64_t polls;
	bool ready; /* its time has come, but it is held (IGM delete) */
	cJSON *payload;
	char *err_code;
	char *err_msg;
	unsigned http_status;
	struct gce_dedup *dedup; /* the requestId that created it */
	struct emu_timer t;
};

/* A mutation with a requestId, remembered for a day (see dedup_replay()). */
struct gce_dedup {
	char *key;     /* "{project}/{requestId}" */
	char *request; /* method, path, query without requestId */
	char *body;
	size_t body_len;
	struct gce_op *op; /* NULL once the operation is forgotten: then last */
	cJSON *last;
	struct emu_timer t;
};

struct gce_failure {
	char *type;
	char *target; /* fnmatch pattern over the target key */
	char *code;
	char *message;
	unsigned http_status;
	int64_t remaining;
	struct gce_failure *next;
};

struct emu_gce {
	struct emu_map projects;
	struct emu_map zones;
	struct emu_map templates;
	struct emu_map igms;
	struct emu_map igs; /* instance group key -> igm */
	struct emu_map insts;
	struct emu_map ops;
	struct emu_map dedup;   /* "{project}/{requestId}" -> struct gce_dedup */
	struct gce_op *last_op; /* the operation the current request created */
	struct gce_failure *failures;
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

static void inst_step(struct emu *e, struct emu_timer *t);
static void op_fire(struct emu *e, struct emu_timer *t);
static void op_complete(struct emu *e, struct gce_op *op);

static char *url_of(struct emu *e, const char *key)
{
	return emu_xasprintf("%s%s", e->compute_root, key);
}

static void add_url(struct emu *e, cJSON *o, const char *name, const char *key)
{
	char *u = url_of(e, key);

	cJSON_AddStringToObject(o, name, u);
	free(u);
}

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
	char buf[24];

	(void)snprintf(buf, sizeof(buf), "%" PRIu64, v);
	cJSON_AddStringToObject(o, name, buf);
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
	char buf[40];

	emu_rfc3339(ms, buf, sizeof(buf));
	cJSON_AddStringToObject(o, name, buf);
}

static uint64_t new_id(struct emu *e)
{
	return (emu_rand(e) >> 1) | (1ULL << 62);
}

static void fingerprint(const char *key, uint32_t gen, uint64_t seed, char *out)
{
	uint64_t h = emu_hash(key) ^ (gen * 0x9e3779b97f4a7c15ULL) ^ seed;
	unsigned char raw[8];
	size_t i;

	for (i = 0; i < 8; i++)
		raw[i] = (unsigned char)(h >> (i * 8));
	(void)EVP_EncodeBlock((unsigned char *)out, raw, 8);
}

/* ---- projects and zones ---- */

static struct gce_project *project_get(struct emu *e, const char *p)
{
	char *key = emu_xasprintf("projects/%s", p);
	struct gce_project *pr = emu_map_get(&e->gce->projects, key);

	if (pr) {
		free(key);
		return pr;
	}
	pr = emu_xcalloc(1, sizeof(*pr));
	pr->key = key;
	emu_olist_init(e, &pr->templates);
	emu_map_put(&e->gce->projects, pr->key, pr);
	return pr;
}

static struct gce_zone *zone_get(struct emu *e, const char *p, const char *z)
{
	char *key = emu_xasprintf("projects/%s/zones/%s", p, z);
	struct gce_zone *zn = emu_map_get(&e->gce->zones, key);

	if (zn) {
		free(key);
		return zn;
	}
	zn = emu_xcalloc(1, sizeof(*zn));
	zn->key = key;
	zn->capacity = -1;
	emu_olist_init(e, &zn->igms);
	zn->inst_list_id = emu_next_seq(e);
	emu_map_put(&e->gce->zones, zn->key, zn);
	return zn;
}

/*
 * A resource reference in a body may be a URL on any host, a partial path
 * ("projects/p/global/..." or "global/...") or a bare name (docs/emulator.md).
 */
static char *resolve_ref(const char *ref, const char *project, const char *zone,
			 const char *collection)
{
	const char *p = strstr(ref, "projects/");

	if (p && (p == ref || p[-1] == '/'))
		return emu_xstrdup(p);
	if (strncmp(ref, "global/", 7) == 0 || strncmp(ref, "zones/", 6) == 0)
		return emu_xasprintf("projects/%s/%s", project, ref);
	if (strchr(ref, '/'))
		return NULL;
	if (zone)
		return emu_xasprintf("projects/%s/zones/%s/%s/%s", project, zone, collection, ref);
	return emu_xasprintf("projects/%s/global/%s/%s", project, collection, ref);
}

/* ---- operations ---- */

static void op_free(struct gce_op *op)
{
	if (!op)
		return;
	free(op->key);
	free(op->name);
	free(op->zone_key);
	free(op->type);
	free(op->target);
	free(op->user);
	cJSON_Delete(op->payload);
	free(op->err_code);
	free(op->err_msg);
	free(op);
}

static cJSON *op_json(struct emu *e, const struct gce_op *op);

static void op_forget(struct emu *e, struct emu_timer *t)
{
	struct gce_op *op = container_of(t, struct gce_op, t);

	/* A retry within the day still gets the operation's last state. */
	if (op->dedup) {
		op->dedup->last = op_json(e, op);
		op->dedup->op = NULL;
	}
	(void)emu_map_del(&e->gce->ops, op->key);
	op_free(op);
}

static const char *http_reason(unsigned s)
{
	switch (s) {
	case 400:
		return "BAD REQUEST";
	case 403:
		return "FORBIDDEN";
	case 404:
		return "NOT FOUND";
	case 409:
		return "CONFLICT";
	case 412:
		return "PRECONDITION FAILED";
	default:
		return "ERROR";
	}
}

static struct gce_op *op_new(struct emu *e, enum op_kind kind, const char *project,
			     const struct gce_zone *zone, const char *type, const char *target,
			     uint64_t target_id, const char *user)
{
	struct gce_op *op = emu_xcalloc(1, sizeof(*op));
	int64_t now = emu_now(e);
	struct gce_failure *f;
	uint64_t r = emu_rand(e);

	op->name =
		emu_xasprintf("operation-%" PRId64 "-%013" PRIx64 "-%08" PRIx64 "-%08" PRIx64, now,
			      r >> 12, emu_rand(e) & 0xffffffffU, emu_rand(e) & 0xffffffffU);
	if (zone) {
		op->zone_key = emu_xstrdup(zone->key);
		op->key = emu_xasprintf("%s/operations/%s", zone->key, op->name);
	} else {
		op->key = emu_xasprintf("projects/%s/global/operations/%s", project, op->name);
	}
	op->kind = kind;
	op->type = emu_xstrdup(type);
	op->target = emu_xstrdup(target);
	op->target_id = target_id;
	op->user = emu_xstrdup(user ? user : "anonymous@emulator");
	op->id = new_id(e);
	op->insert_t = now;
	op->status = OP_PENDING;
	op->t.fire = op_fire;
	emu_map_put(&e->gce->ops, op->key, op);
	e->gce->last_op = op;

	for (f = e->gce->failures; f; f = f->next) {
		if (f->remaining == 0 || strcmp(f->type, type) != 0 ||
		    fnmatch(f->target, target, 0) != 0)
			continue;
		if (f->remaining > 0)
			f->remaining--;
		op->err_code = emu_xstrdup(f->code);
		op->err_msg = emu_xstrdup(f->message);
		op->http_status = f->http_status;
		break;
	}
	return op;
}

/* Called once the caller has finished filling in op. */
static struct gce_op *op_launch(struct emu *e, struct gce_op *op)
{
	if (e->k.op_polls == 0)
		op_complete(e, op);
	else
		emu_timer_set(e, &op->t, op->insert_t + e->k.op_ms);
	return op;
}

static cJSON *op_json(struct emu *e, const struct gce_op *op)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", "compute#operation");
	add_u64(o, "id", op->id);
	cJSON_AddStringToObject(o, "name", op->name);
	if (op->zone_key)
		add_url(e, o, "zone", op->zone_key);
	cJSON_AddStringToObject(o, "operationType", op->type);
	add_url(e, o, "targetLink", op->target);
	if (op->target_id)
		add_u64(o, "targetId", op->target_id);
	cJSON_AddStringToObject(o, "status", op_status_names[op->status]);
	cJSON_AddStringToObject(o, "user", op->user);
	cJSON_AddNumberToObject(o, "progress",
				op->status == OP_DONE    ? 100 :
				op->status == OP_RUNNING ? 50 :
							   0);
	add_time(o, "insertTime", op->insert_t);
	if (op->start_t)
		add_time(o, "startTime", op->start_t);
	if (op->status == OP_DONE) {
		add_time(o, "endTime", op->end_t);
		if (op->err_code) {
			cJSON *err = cJSON_AddObjectToObject(o, "error");
			cJSON *item = cJSON_CreateObject();

			cJSON_AddStringToObject(item, "code", op->err_code);
			add_url(e, item, "location", op->target);
			cJSON_AddStringToObject(item, "message", op->err_msg);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(err, "errors"), item);
			cJSON_AddNumberToObject(o, "httpErrorStatusCode", op->http_status);
			cJSON_AddStringToObject(o, "httpErrorMessage",
						http_reason(op->http_status));
		}
	}
	add_url(e, o, "selfLink", op->key);
	return o;
}

static void reply_op(struct emu *e, struct emu_reply *rep, const struct gce_op *op)
{
	emu_reply_json(rep, 200, op_json(e, op));
}

/* ---- templates ---- */

static void tmpl_free(struct gce_tmpl *t)
{
	if (!t)
		return;
	free(t->key);
	free(t->name);
	cJSON_Delete(t->resource);
	free(t);
}

static void tmpl_remove(struct emu *e, struct gce_tmpl *t)
{
	emu_olist_remove(&t->project->templates, t->seq);
	(void)emu_map_del(&e->gce->templates, t->key);
	tmpl_free(t);
}

static cJSON *tmpl_json(struct emu *e, const struct gce_tmpl *t)
{
	cJSON *o = cJSON_Duplicate(t->resource, 1);

	cJSON_DeleteItemFromObjectCaseSensitive(o, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "creationTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "selfLink");
	cJSON_AddStringToObject(o, "kind", "compute#instanceTemplate");
	add_u64(o, "id", t->id);
	add_time(o, "creationTimestamp", t->created);
	add_url(e, o, "selfLink", t->key);
	return o;
}

/* int64 fields go back as strings, whatever form they came in. */
static void stringify_int64(cJSON *props)
{
	cJSON *disks = cJSON_GetObjectItemCaseSensitive(props, "disks");
	cJSON *d;

	cJSON_ArrayForEach(d, disks) {
		cJSON *ip = cJSON_GetObjectItemCaseSensitive(d, "initializeParams");
		cJSON *sz = cJSON_GetObjectItemCaseSensitive(ip, "diskSizeGb");
		int64_t v;

		if (cJSON_IsNumber(sz) && emu_json_get_int(sz, &v))
			(void)cJSON_ReplaceItemInObjectCaseSensitive(ip, "diskSizeGb",
								     emu_json_int64(v));
	}
}

static int check_name(const cJSON *body, size_t max, const char *field, struct emu_reply *rep,
		      const char **out)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, field);

	if (!cJSON_IsString(n)) {
		emu_reply_error(rep, 400, "required", "Required field 'resource.%s' not specified",
				field);
		return -1;
	}
	if (!emu_valid_name(n->valuestring, max)) {
		emu_reply_error(rep, 400, "invalid",
				"Invalid value for field 'resource.%s': '%.80s'. Must be a match "
				"of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'",
				field, n->valuestring);
		return -1;
	}
	*out = n->valuestring;
	return 0;
}

static void tmpl_insert(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			const char *project)
{
	cJSON *body = NULL;
	struct gce_tmpl *t;
	const char *name;
	char *key = NULL;
	struct gce_op *op;

	if (emu_req_json(req, &body, rep) < 0 ||
	    emu_schema_check(e, "InstanceTemplate", body, rep) < 0)
		goto out;
	if (check_name(body, 63, "name", rep, &name) < 0)
		goto out;
	key = emu_xasprintf("projects/%s/global/instanceTemplates/%s", project, name);
	if (emu_map_get(&e->gce->templates, key)) {
		emu_reply_error(rep, 409, "alreadyExists", "The resource '%s' already exists", key);
		goto out;
	}
	t = emu_xcalloc(1, sizeof(*t));
	t->key = key;
	key = NULL;
	t->name = emu_xstrdup(name);
	t->project = project_get(e, project);
	t->id = new_id(e);
	t->seq = emu_next_seq(e);
	t->created = emu_now(e);
	stringify_int64(cJSON_GetObjectItemCaseSensitive(body, "properties"));
	t->resource = body;
	body = NULL;
	emu_map_put(&e->gce->templates, t->key, t);
	emu_olist_add(&t->project->templates, t->seq, t);
	op = op_new(e, OP_TMPL_INSERT, project, NULL, "insert", t->key, t->id, req->email);
	reply_op(e, rep, op_launch(e, op));
out:
	free(key);
	cJSON_Delete(body);
}

static struct gce_tmpl *tmpl_find(struct emu *e, const char *key, struct emu_reply *rep)
{
	struct gce_tmpl *t = emu_map_get(&e->gce->templates, key);

	if (!t || !t->visible) {
		emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found", key);
		return NULL;
	}
	return t;
}

static void tmpl_delete(struct emu *e, struct emu_req *req, struct emu_reply *rep, const char *key)
{
	struct gce_tmpl *t = tmpl_find(e, key, rep);
	size_t i;

	if (!t)
		return;
	if (t->users) {
		for (i = 0; i < e->gce->igms.cap; i++) {
			struct gce_igm *m = e->gce->igms.slots[i].val;

			if (e->gce->igms.slots[i].key && m->tmpl == t)
				break;
		}
		emu_reply_error(rep, 400, "resourceInUseByAnotherResource",
				"The instance_template resource '%s' is already being used by "
				"'%s'",
				key, i < e->gce->igms.cap ? e->gce->igms.slots[i].key : "?");
		return;
	}
	if (t->deleting) {
		emu_reply_error(rep, 400, "resourceNotReady", "The resource '%s' is not ready",
				key);
		return;
	}
	t->deleting = true;
	reply_op(e, rep,
		 op_launch(e, op_new(e, OP_TMPL_DELETE, t->project->key + 9, NULL, "delete", t->key,
				     t->id, req->email)));
}

/* ---- lists: by name, filtered, paged ---- */

struct list_spec {
	const char *kind; /* NULL: the response type has no kind, id or selfLink */
	const char *items_key;
	const char *self_key;
	const char *const *fields; /* what a filter may name */
	cJSON *(*item)(struct emu *e, void *p, void *ctx);
	const char *(*field)(void *p, const char *field);
	void *ctx;
	bool pageless; /* maxResults and pageToken are ignored: one answer holds all */
};

static const char *const name_only[] = { "name", NULL };
static const char *const name_status[] = { "name", "status", NULL };

static int page_size(struct emu *e, struct emu_req *req, struct emu_reply *rep, size_t *out)
{
	const char *s = emu_req_arg(req, "maxResults");
	char *end;
	long v = 500;

	if (s) {
		v = strtol(s, &end, 10);
		if (!*s || *end || v < 0 || v > 500) {
			emu_reply_error(rep, 400, "invalid",
					"Invalid value for field 'maxResults': '%.40s'. Must be "
					"between 0 and 500 inclusive",
					s);
			return -1;
		}
		if (v == 0)
			v = 500;
	}
	if (e->k.page_size > 0 && v > e->k.page_size)
		v = (long)e->k.page_size;
	*out = (size_t)v;
	return 0;
}

/*
 * Filters, as Compute documents them for list calls: "field op value", or
 * several "(field op value)" joined by spaces or AND. "=" and "!=" compare
 * literally ('*' matches any run of characters), "eq" and "ne" match the
 * whole value against a regular expression; values may be quoted. OR and
 * nested fields are not supported: such a filter gets 400.
 */
enum filt_op { F_EQ, F_NE, F_RE, F_NRE };

struct filt_term {
	const char *field; /* borrowed from list_spec.fields */
	enum filt_op op;
	char *value;
	regex_t re;
	bool has_re;
};

#define FILT_MAX 8

struct filter {
	struct filt_term t[FILT_MAX];
	size_t n;
};

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static void filter_free(struct filter *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->t[i].value);
		if (f->t[i].has_re)
			regfree(&f->t[i].re);
	}
	f->n = 0;
}

static int parse_op(const char **p, enum filt_op *op)
{
	static const struct {
		const char *s;
		enum filt_op op;
	} ops[] = { { "!=", F_NE }, { "=", F_EQ }, { "eq ", F_RE }, { "ne ", F_NRE } };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strncmp(*p, ops[i].s, strlen(ops[i].s)) == 0) {
			*op = ops[i].op;
			*p += strlen(ops[i].s);
			return 0;
		}
	}
	return -1;
}

/* One "field op value" from *p; in parentheses, ')' ends a bare value. */
static int parse_term(const char **p, const char *const *fields, bool paren, struct filt_term *t)
{
	const char *s = *p, *start;
	size_t n, i;
	char *anchored;
	int rc;

	skip_ws(&s);
	start = s;
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       *s == '_')
		s++;
	n = (size_t)(s - start);
	for (i = 0; fields[i]; i++) {
		if (strlen(fields[i]) == n && strncmp(fields[i], start, n) == 0)
			break;
	}
	if (!n || !fields[i])
		return -1;
	t->field = fields[i];
	skip_ws(&s);
	if (parse_op(&s, &t->op) < 0)
		return -1;
	skip_ws(&s);
	if (*s == '"' || *s == '\'') {
		char quote = *s++;

		start = s;
		while (*s && *s != quote)
			s++;
		if (!*s)
			return -1;
		t->value = emu_xstrndup(start, (size_t)(s - start));
		s++;
	} else {
		start = s;
		while (*s && *s != ' ' && *s != '\t' && !(paren && *s == ')'))
			s++;
		if (s == start)
			return -1;
		t->value = emu_xstrndup(start, (size_t)(s - start));
	}
	if (t->op == F_RE || t->op == F_NRE) {
		anchored = emu_xasprintf("^(%s)$", t->value);
		rc = regcomp(&t->re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0)
			return -1;
		t->has_re = true;
	}
	*p = s;
	return 0;
}

static int filter_parse(const char *text, const char *const *fields, struct filter *f,
			struct emu_reply *rep)
{
	const char *p = text;

	memset(f, 0, sizeof(*f));
	skip_ws(&p);
	if (*p != '(') {
		f->n = 1;
		if (parse_term(&p, fields, false, &f->t[0]) < 0)
			goto bad;
		skip_ws(&p);
		if (*p)
			goto bad;
		return 0;
	}
	while (*p) {
		if (f->n == FILT_MAX || *p != '(')
			goto bad;
		p++;
		if (parse_term(&p, fields, true, &f->t[f->n++]) < 0)
			goto bad;
		skip_ws(&p);
		if (*p != ')')
			goto bad;
		p++;
		skip_ws(&p);
		if (strncmp(p, "AND", 3) == 0 && (p[3] == ' ' || p[3] == '(')) {
			p += 3;
			skip_ws(&p);
			if (!*p)
				goto bad;
		}
	}
	return 0;
bad:
	filter_free(f);
	emu_reply_error(
		rep, 400, "invalid",
		"Invalid value for field 'filter': '%.80s'. Invalid list filter expression.", text);
	return -1;
}

static bool filter_match(const struct filter *f, const struct list_spec *s, void *p)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct filt_term *t = &f->t[i];
		const char *v = s->field(p, t->field);
		bool hit;

		if (!v)
			v = "";
		if (t->op == F_EQ || t->op == F_NE)
			hit = fnmatch(t->value, v, FNM_NOESCAPE) == 0;
		else
			hit = regexec(&t->re, v, 0, NULL, 0) == 0;
		if (hit != (t->op == F_EQ || t->op == F_RE))
			return false;
	}
	return true;
}

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct emu_named *)a)->name, ((const struct emu_named *)b)->name);
}

/* "By default, results are returned in alphanumerical order based on the resource name." */
static const struct emu_named *by_name(struct emu_olist *l, const char *(*name)(void *p), size_t *n)
{
	size_t i;

	if (!l->byname_ok) {
		l->byname = emu_xrealloc(l->byname, (l->live + 1) * sizeof(*l->byname));
		l->nbyname = 0;
		for (i = 0; i < l->len; i++) {
			if (!l->v[i].p)
				continue;
			l->byname[l->nbyname].name = name(l->v[i].p);
			l->byname[l->nbyname++].p = l->v[i].p;
		}
		qsort(l->byname, l->nbyname, sizeof(*l->byname), named_cmp);
		l->byname_ok = true;
	}
	*n = l->nbyname;
	return l->byname;
}

/* Index of the first entry whose name sorts after name. */
static size_t named_after(const struct emu_named *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A page token names the list and the last name returned: "<16 hex id><name>". */
static int page_start(const struct emu_req *req, const struct emu_named *v, size_t n,
		      uint64_t list_id, size_t *start, struct emu_reply *rep)
{
	const char *token = emu_req_arg(req, "pageToken");
	char hex[17];
	char *end;

	*start = 0;
	if (!token || !*token)
		return 0;
	if (strlen(token) > 16 && strlen(token) <= 16 + 63) {
		memcpy(hex, token, 16);
		hex[16] = '\0';
		if (strtoull(hex, &end, 16) == list_id && !*end && emu_valid_name(token + 16, 63)) {
			*start = named_after(v, n, token + 16);
			return 0;
		}
	}
	emu_reply_error(rep, 400, "invalid", "Invalid value for field 'pageToken': '%.80s'", token);
	return -1;
}

static void list_page(struct emu *e, struct emu_req *req, struct emu_reply *rep,
		      const struct emu_named *v, size_t len, uint64_t list_id,
		      const struct list_spec *s)
{
	const char *text = emu_req_arg(req, "filter");
	cJSON *o = NULL, *items = NULL;
	struct filter f = { .n = 0 };
	size_t max = SIZE_MAX, i = 0, n = 0, peek;
	const char *last = NULL;
	bool more = false;

	if (!s->pageless &&
	    (page_size(e, req, rep, &max) < 0 || page_start(req, v, len, list_id, &i, rep) < 0))
		return;
	if (text && *text && filter_parse(text, s->fields, &f, rep) < 0)
		return;
	o = cJSON_CreateObject();
	if (s->kind) {
		cJSON_AddStringToObject(o, "kind", s->kind);
		add_u64(o, "id", list_id);
	}
	for (; i < len; i++) {
		cJSON *item;

		if (!filter_match(&f, s, v[i].p))
			continue;
		if (n == max) {
			more = true;
			break;
		}
		item = s->item(e, v[i].p, s->ctx);
		if (!item)
			continue;
		if (!items)
			items = cJSON_AddArrayToObject(o, s->items_key);
		cJSON_AddItemToArray(items, item);
		last = v[i].name;
		n++;
	}
	/* Look a little further so that the last page rarely ends with a token. */
	if (more) {
		more = false;
		for (peek = 0; i < len && peek < 1000; i++, peek++) {
			cJSON *item;

			if (!filter_match(&f, s, v[i].p))
				continue;
			item = s->item(e, v[i].p, s->ctx);
			if (item) {
				cJSON_Delete(item);
				more = true;
				break;
			}
		}
		if (peek == 1000)
			more = true;
	}
	if (more && last) {
		char *tok = emu_xasprintf("%016llx%s", (unsigned long long)list_id, last);

		cJSON_AddStringToObject(o, "nextPageToken", tok);
		free(tok);
	}
	if (s->kind)
		add_url(e, o, "selfLink", s->self_key);
	filter_free(&f);
	emu_reply_json(rep, 200, o);
}

static const char *tmpl_field(void *p, const char *field)
{
	return ((struct gce_tmpl *)p)->name;
}

static cJSON *tmpl_item(struct emu *e, void *p, void *ctx)
{
	struct gce_tmpl *t = p;

	return t->visible ? tmpl_json(e, t) : NULL;
}

static const char *tmpl_name(void *p)
{
	return ((struct gce_tmpl *)p)->name;
}

/* ---- managed instances ---- */

static void set_action(struct gce_inst *in, enum action a)
{
	in->igm->counts[in->action]--;
	in->action = a;
	in->igm->counts[a]++;
}

static struct gce_inst *inst_new(struct emu *e, struct gce_igm *m)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct gce_inst *in = emu_xcalloc(1, sizeof(*in));
	char suffix[5];
	size_t i;

	for (;;) {
		uint64_t r = emu_rand(e);

		for (i = 0; i < 4; i++)
			suffix[i] = alnum[(r >> (i * 8)) % 36];
		suffix[4] = '\0';
		in->key = emu_xasprintf("%s/instances/%s-%s", m->zone->key, m->base, suffix);
		if (!emu_map_get(&e->gce->insts, in->key))
			break;
		free(in->key);
	}
	in->name = emu_xstrdup(strrchr(in->key, '/') + 1);
	in->igm = m;
	in->seq = emu_next_seq(e);
	in->action = ACT_CREATING;
	in->t.fire = inst_step;
	m->counts[ACT_CREATING]++;
	m->live++;
	emu_map_put(&e->gce->insts, in->key, in);
	emu_olist_add(&m->members, in->seq, in);
	return in;
}

static void vm_up(struct emu *e, struct gce_inst *in, enum vm_status st)
{
	in->vm = true;
	in->status = st;
	in->id = new_id(e);
	in->created = emu_sched_now(e);
	in->md_gen++;
	in->igm->zone->vms++;
}

static void vm_down(struct gce_inst *in)
{
	in->vm = false;
	in->status = VM_NONE;
	in->igm->zone->vms--;
	cJSON_Delete(in->md_items);
	in->md_items = NULL;
}

static void igm_remove(struct emu *e, struct gce_igm *m);

static void inst_remove(struct emu *e, struct gce_inst *in)
{
	struct gce_igm *m = in->igm;

	emu_timer_cancel(e, &in->t);
	if (in->vm)
		vm_down(in);
	m->counts[in->action]--;
	if (in->action != ACT_DELETING)
		m->live--;
	emu_olist_remove(&m->members, in->seq);
	(void)emu_map_del(&e->gce->insts, in->key);
	free(in->key);
	free(in->name);
	free(in);
	if (m->deleting && m->members.live == 0 && m->delete_op && m->delete_op->ready)
		op_complete(e, m->delete_op);
}

static void step_later(struct emu *e, struct gce_inst *in)
{
	emu_timer_set(e, &in->t, emu_sched_now(e) + e->k.vm_step_ms);
}

/* One lifecycle step of a member (docs/emulator.md). */
static void inst_step(struct emu *e, struct emu_timer *t)
{
	struct gce_inst *in = container_of(t, struct gce_inst, t);
	struct gce_zone *z = in->igm->zone;

	if (in->action == ACT_DELETING) {
		if (!in->vm || in->status == VM_TERMINATED) {
			inst_remove(e, in);
			return;
		}
		in->status = in->status == VM_STOPPING ? VM_TERMINATED : VM_STOPPING;
		step_later(e, in);
		return;
	}
	if (in->vm && in->status == VM_STOPPING) {
		in->status = VM_TERMINATED;
	} else if (in->vm && in->status == VM_TERMINATED) {
		vm_down(in);
	} else if (!in->vm) {
		if (z->capacity >= 0 && (int64_t)z->vms >= z->capacity) {
			in->last_error =
				z->limit_code ? z->limit_code : "ZONE_RESOURCE_POOL_EXHAUSTED";
		} else {
			in->last_error = NULL;
			vm_up(e, in, VM_PROVISIONING);
		}
	} else if (in->status == VM_PROVISIONING) {
		in->status = VM_STAGING;
	} else if (in->status == VM_STAGING) {
		in->status = VM_RUNNING;
	} else {
		set_action(in, ACT_NONE);
		return;
	}
	step_later(e, in);
}

static void inst_delete_start(struct emu *e, struct gce_inst *in)
{
	set_action(in, ACT_DELETING);
	in->igm->live--;
	in->last_error = NULL;
	step_later(e, in);
}

static void igm_resize(struct emu *e, struct gce_igm *m, int64_t n)
{
	size_t i;

	m->target = n;
	while ((int64_t)m->live < n)
		step_later(e, inst_new(e, m));
	for (i = m->members.len; i > 0 && (int64_t)m->live > n; i--) {
		struct gce_inst *in = m->members.v[i - 1].p;

		if (in && in->action != ACT_DELETING)
			inst_delete_start(e, in);
	}
}

/* ---- managed groups ---- */

static void igm_free(struct gce_igm *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->name);
	free(m->ig_key);
	free(m->base);
	free(m->description);
	emu_olist_release(&m->members);
	free(m);
}

static void igm_remove(struct emu *e, struct gce_igm *m)
{
	size_t i;

	m->delete_op = NULL; /* members going away must not finish it again */
	for (i = 0; i < m->members.len; i++) {
		if (m->members.v[i].p)
			inst_remove(e, m->members.v[i].p);
	}
	emu_olist_remove(&m->zone->igms, m->seq);
	(void)emu_map_del(&e->gce->igms, m->key);
	(void)emu_map_del(&e->gce->igs, m->ig_key);
	m->tmpl->users--;
	igm_free(m);
}

static cJSON *igm_json(struct emu *e, const struct gce_igm *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *ca;
	char fp[16];

	cJSON_AddStringToObject(o, "kind", "compute#instanceGroupManager");
	add_u64(o, "id", m->id);
	add_time(o, "creationTimestamp", m->created);
	cJSON_AddStringToObject(o, "name", m->name);
	if (m->description)
		cJSON_AddStringToObject(o, "description", m->description);
	add_url(e, o, "zone", m->zone->key);
	cJSON_AddStringToObject(o, "baseInstanceName", m->base);
	add_url(e, o, "instanceTemplate", m->tmpl->key);
	add_url(e, o, "instanceGroup", m->ig_key);
	fingerprint(m->key, m->fp_gen, e->seed, fp);
	cJSON_AddStringToObject(o, "fingerprint", fp);
	cJSON_AddNumberToObject(o, "targetSize", (double)m->target);
	cJSON_AddStringToObject(o, "listManagedInstancesResults",
				m->paginated ? "PAGINATED" : "PAGELESS");
	ca = cJSON_AddObjectToObject(o, "currentActions");
	cJSON_AddNumberToObject(ca, "abandoning", 0);
	cJSON_AddNumberToObject(ca, "creating", (double)m->counts[ACT_CREATING]);
	cJSON_AddNumberToObject(ca, "creatingWithoutRetries", 0);
	cJSON_AddNumberToObject(ca, "deleting", (double)m->counts[ACT_DELETING]);
	cJSON_AddNumberToObject(ca, "none", (double)m->counts[ACT_NONE]);
	cJSON_AddNumberToObject(ca, "recreating", (double)m->counts[ACT_RECREATING]);
	cJSON_AddNumberToObject(ca, "refreshing", 0);
	cJSON_AddNumberToObject(ca, "restarting", 0);
	cJSON_AddNumberToObject(ca, "resuming", 0);
	cJSON_AddNumberToObject(ca, "starting", 0);
	cJSON_AddNumberToObject(ca, "stopping", 0);
	cJSON_AddNumberToObject(ca, "suspending", 0);
	cJSON_AddNumberToObject(ca, "verifying", 0);
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "status"), "isStable",
			      m->counts[ACT_NONE] == m->members.live);
	add_url(e, o, "selfLink", m->key);
	return o;
}

static struct gce_igm *igm_create(struct emu *e, struct gce_zone *z, const char *name,
				  const char *base, struct gce_tmpl *t)
{
	struct gce_igm *m = emu_xcalloc(1, sizeof(*m));

	m->key = emu_xasprintf("%s/instanceGroupManagers/%s", z->key, name);
	m->ig_key = emu_xasprintf("%s/instanceGroups/%s", z->key, name);
	m->name = emu_xstrdup(name);
	m->base = emu_xstrdup(base);
	m->zone = z;
	m->tmpl = t;
	t->users++;
	m->id = new_id(e);
	m->seq = emu_next_seq(e);
	m->created = emu_now(e);
	emu_olist_init(e, &m->members);
	emu_map_put(&e->gce->igms, m->key, m);
	emu_map_put(&e->gce->igs, m->ig_key, m);
	emu_olist_add(&z->igms, m->seq, m);
	return m;
}

static void igm_insert(struct emu *e, struct emu_req *req, struct emu_reply *rep,
		       const char *project, const char *zone)
{
	cJSON *body = NULL;
	const cJSON *jt, *js, *jd, *jl;
	const char *name, *base, *results;
	char *key = NULL, *tkey = NULL;
	struct gce_tmpl *t;
	struct gce_igm *m;
	int64_t size = 0;

	if (emu_req_json(req, &body, rep) < 0 ||
	    emu_schema_check(e, "InstanceGroupManager", body, rep) < 0)
		goto out;
	if (check_name(body, 63, "name", rep, &name) < 0 ||
	    check_name(body, 58, "baseInstanceName", rep, &base) < 0)
		goto out;
	jt = cJSON_GetObjectItemCaseSensitive(body, "instanceTemplate");
	if (!cJSON_IsString(jt)) {
		emu_reply_error(rep, 400, "required",
				"Required field 'resource.instanceTemplate' not specified");
		goto out;
	}
	js = cJSON_GetObjectItemCaseSensitive(body, "targetSize");
	if (js && !cJSON_IsNull(js) && (!emu_json_get_int(js, &size) || size < 0)) {
		emu_reply_error(rep, 400, "invalid",
				"Invalid value for field 'resource.targetSize': must be >= 0");
		goto out;
	}
	jl = cJSON_GetObjectItemCaseSensitive(body, "listManagedInstancesResults");
	results = cJSON_GetStringValue(jl);
	if (jl && !cJSON_IsNull(jl) &&
	    (!results || (strcmp(results, "PAGELESS") != 0 && strcmp(results, "PAGINATED") != 0))) {
		emu_reply_error(rep, 400, "invalid",
				"Invalid value for field 'resource.listManagedInstancesResults': "
				"'%.40s'",
				results ? results : "?");
		goto out;
	}
	key = emu_xasprintf("projects/%s/zones/%s/instanceGroupManagers/%s", project, zone, name);
	if (emu_map_get(&e->gce->igms, key)) {
		emu_reply_error(rep, 409, "alreadyExists", "The resource '%s' already exists", key);
		goto out;
	}
	tkey = resolve_ref(jt->valuestring, project, NULL, "instanceTemplates");
	t = tkey ? emu_map_get(&e->gce->templates, tkey) : NULL;
	if (!t || !t->visible) {
		if (e->k.missing_template == 400)
			emu_reply_error(rep, 400, "invalid",
					"Invalid value for field 'resource.instanceTemplate': "
					"'%.200s'. The referenced instance template does not exist",
					jt->valuestring);
		else
			emu_reply_error(rep, 404, "notFound", "The resource '%.200s' was not found",
					tkey ? tkey : jt->valuestring);
		goto out;
	}
	m = igm_create(e, zone_get(e, project, zone), name, base, t);
	m->target = size;
	m->paginated = results && strcmp(results, "PAGINATED") == 0;
	jd = cJSON_GetObjectItemCaseSensitive(body, "description");
	if (cJSON_IsString(jd))
		m->description = emu_xstrdup(jd->valuestring);
	reply_op(e, rep,
		 op_launch(e, op_new(e, OP_IGM_INSERT, project, m->zone, "insert", m->key, m->id,
				     req->email)));
out:
	free(key);
	free(tkey);
	cJSON_Delete(body);
}

static struct gce_igm *igm_find(struct emu *e, const char *key, struct emu_reply *rep)
{
	struct gce_igm *m = emu_map_get(&e->gce->igms, key);

	if (!m || !m->visible) {
		emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found", key);
		return NULL;
	}
	return m;
}

static bool igm_busy(struct gce_igm *m, struct emu_reply *rep)
{
	if (!m->deleting)
		return false;
	emu_reply_error(rep, 400, "resourceNotReady", "The resource '%s' is not ready", m->key);
	return true;
}

static struct gce_op *igm_action_op(struct emu *e, struct gce_igm *m, const char *type,
				    const char *user)
{
	struct gce_op *op = op_new(e, OP_IGM_ACTIONS, NULL, m->zone, type, m->key, m->id, user);

	/* "DONE" here only means that the actions are scheduled. */
	if (e->k.igm_ops_running)
		return op_launch(e, op);
	op_complete(e, op);
	return op;
}

static void igm_resize_req(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			   struct gce_igm *m)
{
	const char *s = emu_req_arg(req, "size");
	cJSON *body = NULL;
	char *end;
	long long n;

	if (emu_req_json(req, &body, rep) < 0)
		return;
	cJSON_Delete(body);
	if (!s) {
		emu_reply_error(rep, 400, "required", "Required parameter 'size' not specified");
		return;
	}
	n = strtoll(s, &end, 10);
	if (!*s || *end || n < 0 || n > 1000000) {
		emu_reply_error(rep, 400, "invalid", "Invalid value for field 'size': '%.40s'", s);
		return;
	}
	if (igm_busy(m, rep))
		return;
	igm_resize(e, m, n);
	reply_op(e, rep, igm_action_op(e, m, "compute.instanceGroupManagers.resize", req->email));
}

static void igm_delete_instances(struct emu *e, struct emu_req *req, struct emu_reply *rep,
				 struct gce_igm *m, const char *project, const char *zone)
{
	cJSON *body = NULL;
	const cJSON *list, *x;
	struct gce_inst **victims = NULL;
	size_t n = 0, i, j;

	if (emu_req_json(req, &body, rep) < 0 ||
	    emu_schema_check(e, "InstanceGroupManagersDeleteInstancesRequest", body, rep) < 0)
		goto out;
	if (igm_busy(m, rep))
		goto out;
	list = cJSON_GetObjectItemCaseSensitive(body, "instances");
	if (cJSON_GetArraySize(list) > 1000) {
		emu_reply_error(rep, 400, "invalid", "At most 1000 instances per request");
		goto out;
	}
	victims = emu_xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(struct gce_inst *));
	cJSON_ArrayForEach(x, list) {
		char *k = cJSON_IsString(x) ?
				  resolve_ref(x->valuestring, project, zone, "instances") :
				  NULL;
		struct gce_inst *in = k ? emu_map_get(&e->gce->insts, k) : NULL;

		for (j = 0; in && j < n; j++) {
			if (victims[j] == in)
				in = NULL;
		}
		if (!in || in->igm != m || in->action == ACT_DELETING) {
			emu_reply_error(rep, 400, "invalid",
					"The instance '%.200s' is not a member of '%s' or is "
					"already being deleted",
					k ? k : "?", m->key);
			free(k);
			goto out;
		}
		free(k);
		victims[n++] = in;
	}
	for (i = 0; i < n; i++)
		inst_delete_start(e, victims[i]);
	m->target = m->target > (int64_t)n ? m->target - (int64_t)n : 0;
	reply_op(e, rep,
		 igm_action_op(e, m, "compute.instanceGroupManagers.deleteInstances", req->email));
out:
	free(victims);
	cJSON_Delete(body);
}

static void igm_delete(struct emu *e, struct emu_req *req, struct emu_reply *rep, struct gce_igm *m)
{
	size_t i;

	if (igm_busy(m, rep))
		return;
	m->deleting = true;
	for (i = 0; i < m->members.len; i++) {
		struct gce_inst *in = m->members.v[i].p;

		if (in && in->action != ACT_DELETING)
			inst_delete_start(e, in);
	}
	m->target = 0;
	m->delete_op = op_new(e, OP_IGM_DELETE, NULL, m->zone, "delete", m->key, m->id, req->email);
	reply_op(e, rep, op_launch(e, m->delete_op));
}

struct member_ctx {
	bool managed;
	bool running_only;
};

static cJSON *member_item(struct emu *e, void *p, void *ctx)
{
	const struct member_ctx *mc = ctx;
	const struct gce_inst *in = p;
	cJSON *o;

	/* A member being deleted has already left its instance group. */
	if (!mc->managed && (!in->vm || in->action == ACT_DELETING ||
			     (mc->running_only && in->status != VM_RUNNING)))
		return NULL;
	o = cJSON_CreateObject();
	add_url(e, o, "instance", in->key);
	if (!mc->managed) {
		cJSON_AddStringToObject(o, "status", vm_status_names[in->status]);
		return o;
	}
	if (in->vm) {
		add_u64(o, "id", in->id);
		cJSON_AddStringToObject(o, "instanceStatus", vm_status_names[in->status]);
	}
	cJSON_AddStringToObject(o, "currentAction", action_names[in->action]);
	if (in->last_error) {
		cJSON *errs = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "lastAttempt"),
						      "errors");
		cJSON *item = cJSON_CreateObject();

		cJSON_AddStringToObject(item, "code", in->last_error);
		cJSON_AddStringToObject(item, "message",
					strcmp(in->last_error, "QUOTA_EXCEEDED") == 0 ?
						"Quota 'CPUS' exceeded in the emulator's zone." :
						"The zone does not have enough resources "
						"available to fulfil the request.");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(errs, "errors"), item);
	}
	return o;
}

static const char *member_name(void *p)
{
	return ((struct gce_inst *)p)->name;
}

static const char *inst_field(void *p, const char *field)
{
	const struct gce_inst *in = p;

	return strcmp(field, "status") == 0 ? vm_status_names[in->status] : in->name;
}

static void igm_list_members(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			     struct gce_igm *m, bool managed)
{
	struct member_ctx mc = { .managed = managed };
	/* InstanceGroupManagersListManagedInstancesResponse has no kind, id or selfLink. */
	struct list_spec s = { .kind = managed ? NULL : "compute#instanceGroupsListInstances",
			       .items_key = managed ? "managedInstances" : "items",
			       .self_key = m->ig_key,
			       .fields = managed ? name_only : name_status,
			       .item = member_item,
			       .field = inst_field,
			       .ctx = &mc,
			       .pageless = managed && !m->paginated };
	const struct emu_named *v;
	cJSON *body = NULL;
	const cJSON *st;
	size_t n;

	if (emu_req_json(req, &body, rep) < 0)
		return;
	if (!managed && emu_schema_check(e, "InstanceGroupsListInstancesRequest", body, rep) < 0)
		goto out;
	st = cJSON_GetObjectItemCaseSensitive(body, "instanceState");
	if (cJSON_IsString(st)) {
		if (strcmp(st->valuestring, "RUNNING") == 0) {
			mc.running_only = true;
		} else if (strcmp(st->valuestring, "ALL") != 0) {
			emu_reply_error(rep, 400, "invalid",
					"Invalid value for field 'resource.instanceState': "
					"'%.40s'",
					st->valuestring);
			goto out;
		}
	}
	v = by_name(&m->members, member_name, &n);
	list_page(e, req, rep, v, n, m->members.id, &s);
out:
	cJSON_Delete(body);
}

static cJSON *igm_item(struct emu *e, void *p, void *ctx)
{
	struct gce_igm *m = p;

	return m->visible ? igm_json(e, m) : NULL;
}

static const char *igm_name(void *p)
{
	return ((struct gce_igm *)p)->name;
}

static const char *igm_field(void *p, const char *field)
{
	return ((struct gce_igm *)p)->name;
}

/* ---- instances ---- */

static cJSON *metadata_items(struct emu *e, const struct gce_inst *in)
{
	const cJSON *props =
		cJSON_GetObjectItemCaseSensitive(in->igm->tmpl->resource, "properties");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(props, "metadata");
	cJSON *items;
	cJSON *kv;
	char *u;

	if (in->md_items)
		return cJSON_Duplicate(in->md_items, 1);
	items = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(md, "items"), 1);
	if (!cJSON_IsArray(items)) {
		cJSON_Delete(items);
		items = cJSON_CreateArray();
	}
	kv = cJSON_CreateObject();
	cJSON_AddStringToObject(kv, "key", "instance-template");
	u = url_of(e, in->igm->tmpl->key);
	cJSON_AddStringToObject(kv, "value", u);
	free(u);
	cJSON_AddItemToArray(items, kv);
	kv = cJSON_CreateObject();
	cJSON_AddStringToObject(kv, "key", "created-by");
	u = url_of(e, in->igm->key);
	cJSON_AddStringToObject(kv, "value", u);
	free(u);
	cJSON_AddItemToArray(items, kv);
	return items;
}

static cJSON *inst_json(struct emu *e, const struct gce_inst *in)
{
	const cJSON *props =
		cJSON_GetObjectItemCaseSensitive(in->igm->tmpl->resource, "properties");
	static const char *const copied[] = { "networkInterfaces", "disks", "serviceAccounts",
					      "tags", "scheduling" };
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(props, "machineType");
	cJSON *o = cJSON_CreateObject();
	cJSON *md, *items;
	char fp[16];
	size_t i;

	cJSON_AddStringToObject(o, "kind", "compute#instance");
	add_u64(o, "id", in->id);
	add_time(o, "creationTimestamp", in->created);
	cJSON_AddStringToObject(o, "name", in->name);
	add_url(e, o, "zone", in->igm->zone->key);
	if (cJSON_IsString(mt)) {
		char *k = emu_xasprintf("%s/machineTypes/%s", in->igm->zone->key, mt->valuestring);

		add_url(e, o, "machineType", k);
		free(k);
	}
	cJSON_AddStringToObject(o, "status", vm_status_names[in->status]);
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "kind", "compute#metadata");
	fingerprint(in->key, in->md_gen, e->seed, fp);
	cJSON_AddStringToObject(md, "fingerprint", fp);
	items = metadata_items(e, in);
	if (cJSON_GetArraySize(items) > 0)
		cJSON_AddItemToObject(md, "items", items);
	else
		cJSON_Delete(items);
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, copied[i]);

		if (v)
			cJSON_AddItemToObject(o, copied[i], cJSON_Duplicate(v, 1));
	}
	add_url(e, o, "selfLink", in->key);
	return o;
}

static cJSON *inst_item(struct emu *e, void *p, void *ctx)
{
	return inst_json(e, p);
}

/* instances.list: every VM of the zone, which here are all members of its groups. */
static void inst_list(struct emu *e, struct emu_req *req, struct emu_reply *rep,
		      const char *project, const char *zone)
{
	struct gce_zone *z = zone_get(e, project, zone);
	struct list_spec ls = { .kind = "compute#instanceList",
				.items_key = "items",
				.fields = name_status,
				.item = inst_item,
				.field = inst_field };
	struct emu_named *v = NULL;
	size_t n = 0, cap = 0, i, j;
	char *self;

	for (i = 0; i < z->igms.len; i++) {
		const struct gce_igm *m = z->igms.v[i].p;

		for (j = 0; m && j < m->members.len; j++) {
			struct gce_inst *in = m->members.v[j].p;

			if (!in || !in->vm)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = emu_xrealloc(v, cap * sizeof(*v));
			}
			v[n].name = in->name;
			v[n++].p = in;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), named_cmp);
	ls.self_key = self = emu_xasprintf("%s/instances", z->key);
	list_page(e, req, rep, v, n, z->inst_list_id, &ls);
	free(self);
	free(v);
}

static struct gce_inst *inst_find(struct emu *e, const char *key, struct emu_reply *rep)
{
	struct gce_inst *in = emu_map_get(&e->gce->insts, key);

	if (!in || !in->vm) {
		emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found", key);
		return NULL;
	}
	return in;
}

static void set_metadata(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			 struct gce_inst *in, const char *project)
{
	cJSON *body = NULL;
	const cJSON *jf, *items;
	struct gce_op *op;
	char fp[16];
	bool stale;

	if (emu_req_json(req, &body, rep) < 0 || emu_schema_check(e, "Metadata", body, rep) < 0)
		goto out;
	fingerprint(in->key, in->md_gen, e->seed, fp);
	jf = cJSON_GetObjectItemCaseSensitive(body, "fingerprint");
	stale = !cJSON_IsString(jf) || strcmp(jf->valuestring, fp) != 0;
	if (stale && !e->k.metadata_op_error) {
		emu_reply_error(rep, 412, "conditionNotMet",
				"Supplied fingerprint does not match current metadata "
				"fingerprint.");
		goto out;
	}
	op = op_new(e, OP_SET_METADATA, project, in->igm->zone, "setMetadata", in->key, in->id,
		    req->email);
	if (stale && !op->err_code) {
		op->err_code = emu_xstrdup("CONDITION_NOT_MET");
		op->err_msg = emu_xstrdup("Supplied fingerprint does not match current metadata "
					  "fingerprint.");
		op->http_status = 412;
	}
	items = cJSON_GetObjectItemCaseSensitive(body, "items");
	op->payload = cJSON_IsArray(items) ? cJSON_Duplicate(items, 1) : cJSON_CreateArray();
	reply_op(e, rep, op_launch(e, op));
out:
	cJSON_Delete(body);
}

/* A VM deleted behind its group's back: it stops, vanishes, and is recreated. */
static void inst_kill(struct emu *e, struct gce_inst *in)
{
	set_action(in, ACT_RECREATING);
	in->status = VM_STOPPING;
	step_later(e, in);
}

/* ---- completing operations ---- */

static void op_fire(struct emu *e, struct emu_timer *t)
{
	op_complete(e, container_of(t, struct gce_op, t));
}

static void op_apply(struct emu *e, struct gce_op *op)
{
	struct gce_tmpl *t;
	struct gce_igm *m;
	struct gce_inst *in;

	switch (op->kind) {
	case OP_TMPL_INSERT:
		t = emu_map_get(&e->gce->templates, op->target);
		if (t && op->err_code)
			tmpl_remove(e, t);
		else if (t)
			t->visible = true;
		break;
	case OP_TMPL_DELETE:
		t = emu_map_get(&e->gce->templates, op->target);
		if (t && op->err_code)
			t->deleting = false;
		else if (t)
			tmpl_remove(e, t);
		break;
	case OP_IGM_INSERT:
		m = emu_map_get(&e->gce->igms, op->target);
		if (m && op->err_code) {
			igm_remove(e, m);
		} else if (m) {
			m->visible = true;
			igm_resize(e, m, m->target);
		}
		break;
	case OP_IGM_DELETE:
		m = emu_map_get(&e->gce->igms, op->target);
		if (m)
			igm_remove(e, m);
		break;
	case OP_SET_METADATA:
		in = emu_map_get(&e->gce->insts, op->target);
		if (in && in->vm && !op->err_code) {
			cJSON_Delete(in->md_items);
			in->md_items = op->payload;
			op->payload = NULL;
			in->md_gen++;
		}
		break;
	case OP_IGM_ACTIONS:
	case OP_INST_DELETE:
		break;
	}
}

static void op_complete(struct emu *e, struct gce_op *op)
{
	struct gce_igm *m;
	int64_t now = emu_sched_now(e);

	if (op->status == OP_DONE)
		return;
	if (!op->start_t)
		op->start_t = now;
	op->ready = true;
	if (op->kind == OP_IGM_DELETE && !op->err_code) {
		m = emu_map_get(&e->gce->igms, op->target);
		if (m && m->members.live) {
			op->status = OP_RUNNING;
			return; /* inst_remove() finishes it with the last member */
		}
		if (m)
			m->delete_op = NULL;
	}
	op->status = OP_DONE;
	op->end_t = now;
	op_apply(e, op);
	op->t.fire = op_forget;
	emu_timer_set(e, &op->t, now + e->k.op_retention_ms);
}

/* A GET or a wait sees the operation: after op_polls of them it is DONE. */
static void op_poll(struct emu *e, struct gce_op *op)
{
	if (op->status == OP_DONE)
		return;
	op->polls++;
	if (!op->start_t)
		op->start_t = emu_now(e);
	op->status = OP_RUNNING;
	if (op->polls >= e->k.op_polls && !op->ready) {
		emu_timer_cancel(e, &op->t);
		op_complete(e, op);
	}
}

static void op_get(struct emu *e, struct emu_reply *rep, const char *key)
{
	struct gce_op *op = emu_map_get(&e->gce->ops, key);

	if (!op) {
		emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found", key);
		return;
	}
	op_poll(e, op);
	reply_op(e, rep, op);
}

/* Compute's operations.wait returns "as DONE or ... approach[ing] the 2 minute deadline". */
#define WAIT_MS 120000

/*
 * Sleeps, with e->lock released, until another request is answered or the
 * emulated clock reaches due; never longer than a second, so that a clock
 * changed by the control API is soon seen.
 */
static void sleep_until(struct emu *e, int64_t due)
{
	int64_t ms = (int64_t)((double)(due - emu_now(e)) / e->scale) + 1;
	struct timespec ts;

	if (ms > 1000)
		ms = 1000;
	if (ms < 1)
		ms = 1;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	(void)pthread_cond_timedwait(&e->changed, &e->lock, &ts);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * zoneOperations.wait, globalOperations.wait: a long poll of 2 minutes on the
 * emulated clock, so a test ends it by advancing the clock instead of
 * waiting, and never longer than Compute's 2 real minutes.
 */
static void op_wait(struct emu *e, struct emu_req *req, struct emu_reply *rep, const char *key)
{
	struct gce_op *op = emu_map_get(&e->gce->ops, key);
	cJSON *body = NULL;
	int64_t deadline, real_deadline = mono_ms() + WAIT_MS, wake;

	if (emu_req_json(req, &body, rep) < 0)
		return;
	cJSON_Delete(body);
	if (op)
		op_poll(e, op);
	deadline = emu_now(e) + WAIT_MS;
	while (op && op->status != OP_DONE && !e->stopping && emu_now(e) < deadline &&
	       mono_ms() < real_deadline) {
		wake = deadline;
		if (e->heap_len && e->heap[0]->due < wake)
			wake = e->heap[0]->due;
		sleep_until(e, wake);
		emu_run_timers(e);
		/* it may have been forgotten meanwhile */
		op = emu_map_get(&e->gce->ops, key);
	}
	if (!op)
		emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found", key);
	else
		reply_op(e, rep, op);
}

/* ---- requestId: a retried mutation is answered with its first operation ---- */

/*
 * Compute: "If you make the request again with the same request ID, the
 * server can check if original operation with the same request ID was
 * received, and if so, will ignore the second request." It says nothing of a
 * second request that differs from the first: read literally, that one is
 * ignored too, and so it is here (the first operation comes back, nothing
 * happens). As that silently swallows a caller's bug, such a reuse is
 * counted in GET /_emu/stats ("request_id_reused") for tests to check.
 */
#define DEDUP_MS ((int64_t)24 * 3600 * 1000)

static bool valid_uuid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	bool zero = true;
	size_t i;

	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (i = 0; form[i]; i++) {
		if (form[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
		if (form[i] != '-' && s[i] != '0')
			zero = false;
	}
	return !zero;
}

/* Reads that are POSTs take no requestId; every other POST and DELETE mutates. */
static bool is_mutation(const struct emu_req *req)
{
	const char *last = req->nsegs ? req->segs[req->nsegs - 1] : "";

	if (emu_req_is(req, "DELETE"))
		return true;
	return emu_req_is(req, "POST") && strcmp(last, "listInstances") != 0 &&
	       strcmp(last, "listManagedInstances") != 0 && strcmp(last, "wait") != 0;
}

static char *request_line(const struct emu_req *req)
{
	char *s = emu_xasprintf("%s %s?", req->method, req->path), *n;
	size_t i;

	for (i = 0; i < req->nargs; i++) {
		if (strcmp(req->args[i].key, "requestId") == 0)
			continue;
		n = emu_xasprintf("%s%s=%s&", s, req->args[i].key, req->args[i].val);
		free(s);
		s = n;
	}
	return s;
}

static bool same_body(const struct gce_dedup *d, const struct emu_req *req)
{
	cJSON *a, *b;
	bool same;

	if (d->body_len == req->body_len &&
	    (!d->body_len || memcmp(d->body, req->body, d->body_len) == 0))
		return true;
	a = cJSON_ParseWithLength(d->body ? d->body : "", d->body_len);
	b = cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
	same = a && b && cJSON_Compare(a, b, 1);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return same;
}

static void dedup_free(struct gce_dedup *d)
{
	if (d->op)
		d->op->dedup = NULL;
	free(d->key);
	free(d->request);
	free(d->body);
	cJSON_Delete(d->last);
	free(d);
}

static void dedup_expire(struct emu *e, struct emu_timer *t)
{
	struct gce_dedup *d = container_of(t, struct gce_dedup, t);

	(void)emu_map_del(&e->gce->dedup, d->key);
	dedup_free(d);
}

/* True if rep now holds the answer to an earlier request with this id. */
static bool dedup_replay(struct emu *e, const struct emu_req *req, const char *key,
			 struct emu_reply *rep)
{
	struct gce_dedup *d = emu_map_get(&e->gce->dedup, key);
	char *line;

	if (!d)
		return false;
	line = request_line(req);
	if (strcmp(line, d->request) != 0 || !same_body(d, req))
		e->count_request_id_reused++;
	free(line);
	emu_reply_json(rep, 200, d->op ? op_json(e, d->op) : cJSON_Duplicate(d->last, 1));
	return true;
}

static void dedup_record(struct emu *e, const struct emu_req *req, const char *key,
			 struct gce_op *op)
{
	struct gce_dedup *d = emu_xcalloc(1, sizeof(*d));

	d->key = emu_xstrdup(key);
	d->request = request_line(req);
	if (req->body_len) {
		d->body = emu_xmalloc(req->body_len);
		memcpy(d->body, req->body, req->body_len);
		d->body_len = req->body_len;
	}
	d->op = op;
	op->dedup = d;
	d->t.fire = dedup_expire;
	emu_map_put(&e->gce->dedup, d->key, d);
	emu_timer_set(e, &d->t, emu_now(e) + DEDUP_MS);
}

/* ---- routing ---- */

/*
 * Methods of the real API that the emulator does not implement get 501, so
 * that a client bug reads differently from a missing resource.
 */
static bool real_method(struct emu *e, const struct emu_req *req)
{
	const cJSON *methods = cJSON_GetObjectItemCaseSensitive(e->schema, "methods");
	const cJSON *m;

	cJSON_ArrayForEach(m, methods) {
		const cJSON *verb = cJSON_GetArrayItem(m, 0);
		const cJSON *tmpl = cJSON_GetArrayItem(m, 1);
		const char *t, *p;

		if (!cJSON_IsString(verb) || !cJSON_IsString(tmpl) ||
		    strcmp(verb->valuestring, req->method) != 0)
			continue;
		t = tmpl->valuestring;
		p = req->path;
		while (*t && *p) {
			if (*t == '{') {
				t = strchr(t, '}');
				if (!t)
					break;
				t++;
				while (*p && *p != '/')
					p++;
			} else if (*t == *p) {
				t++;
				p++;
			} else {
				break;
			}
		}
		if (t && !*t && !*p)
			return true;
	}
	return false;
}

static void not_found(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	if (real_method(e, req))
		emu_reply_error(rep, 501, "notImplemented",
				"gceb-emulator does not implement %s %.200s", req->method,
				req->path);
	else
		emu_reply_error(rep, 404, "notFound", "The requested URL was not found.");
}

static bool valid_project(const char *p)
{
	if (strncmp(p, "google.com:", 11) == 0)
		p += 11;
	return *p && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(p);
}

static void handle_global(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			  const char *project, char **s, size_t n)
{
	struct gce_project *pr;
	char *key;

	if (n >= 1 && strcmp(s[0], "instanceTemplates") == 0) {
		if (n == 1 && emu_req_is(req, "POST")) {
			tmpl_insert(e, req, rep, project);
			return;
		}
		if (n == 1 && emu_req_is(req, "GET")) {
			struct list_spec ls = { .kind = "compute#instanceTemplateList",
						.items_key = "items",
						.fields = name_only,
						.item = tmpl_item,
						.field = tmpl_field };
			const struct emu_named *v;
			size_t len;

			pr = project_get(e, project);
			ls.self_key = key = emu_xasprintf("%s/global/instanceTemplates", pr->key);
			v = by_name(&pr->templates, tmpl_name, &len);
			list_page(e, req, rep, v, len, pr->templates.id, &ls);
			free(key);
			return;
		}
		if (n == 2) {
			key = emu_xasprintf("projects/%s/global/instanceTemplates/%s", project,
					    s[1]);
			if (emu_req_is(req, "GET")) {
				struct gce_tmpl *t = tmpl_find(e, key, rep);

				if (t)
					emu_reply_json(rep, 200, tmpl_json(e, t));
				free(key);
				return;
			}
			if (emu_req_is(req, "DELETE")) {
				tmpl_delete(e, req, rep, key);
				free(key);
				return;
			}
			free(key);
		}
	}
	if (n == 2 && strcmp(s[0], "operations") == 0 && emu_req_is(req, "GET")) {
		key = emu_xasprintf("projects/%s/global/operations/%s", project, s[1]);
		op_get(e, rep, key);
		free(key);
		return;
	}
	if (n == 3 && strcmp(s[0], "operations") == 0 && strcmp(s[2], "wait") == 0 &&
	    emu_req_is(req, "POST")) {
		key = emu_xasprintf("projects/%s/global/operations/%s", project, s[1]);
		op_wait(e, req, rep, key);
		free(key);
		return;
	}
	not_found(e, req, rep);
}

static void handle_igm(struct emu *e, struct emu_req *req, struct emu_reply *rep,
		       const char *project, const char *zone, char **s, size_t n)
{
	struct gce_igm *m;
	char *key;

	if (n == 1 && emu_req_is(req, "POST")) {
		igm_insert(e, req, rep, project, zone);
		return;
	}
	if (n == 1 && emu_req_is(req, "GET")) {
		struct gce_zone *z = zone_get(e, project, zone);
		struct list_spec ls = { .kind = "compute#instanceGroupManagerList",
					.items_key = "items",
					.fields = name_only,
					.item = igm_item,
					.field = igm_field };
		const struct emu_named *v;
		size_t len;

		ls.self_key = key = emu_xasprintf("%s/instanceGroupManagers", z->key);
		v = by_name(&z->igms, igm_name, &len);
		list_page(e, req, rep, v, len, z->igms.id, &ls);
		free(key);
		return;
	}
	if (n < 2 || n > 3) {
		not_found(e, req, rep);
		return;
	}
	key = emu_xasprintf("projects/%s/zones/%s/instanceGroupManagers/%s", project, zone, s[1]);
	if (n == 2 && emu_req_is(req, "GET")) {
		m = igm_find(e, key, rep);
		if (m)
			emu_reply_json(rep, 200, igm_json(e, m));
	} else if (n == 2 && emu_req_is(req, "DELETE")) {
		m = igm_find(e, key, rep);
		if (m)
			igm_delete(e, req, rep, m);
	} else if (n == 3 && emu_req_is(req, "POST") && strcmp(s[2], "resize") == 0) {
		m = igm_find(e, key, rep);
		if (m)
			igm_resize_req(e, req, rep, m);
	} else if (n == 3 && emu_req_is(req, "POST") && strcmp(s[2], "deleteInstances") == 0) {
		m = igm_find(e, key, rep);
		if (m)
			igm_delete_instances(e, req, rep, m, project, zone);
	} else if (n == 3 && emu_req_is(req, "POST") && strcmp(s[2], "listManagedInstances") == 0) {
		m = igm_find(e, key, rep);
		if (m)
			igm_list_members(e, req, rep, m, true);
	} else {
		not_found(e, req, rep);
	}
	free(key);
}

static void handle_zone(struct emu *e, struct emu_req *req, struct emu_reply *rep,
			const char *project, const char *zone, char **s, size_t n)
{
	char *key;

	if (!*zone || strspn(zone, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(zone)) {
		emu_reply_error(rep, 400, "invalid", "Invalid value for field 'zone': '%.80s'",
				zone);
		return;
	}
	if (n >= 1 && strcmp(s[0], "instanceGroupManagers") == 0) {
		handle_igm(e, req, rep, project, zone, s, n);
		return;
	}
	if (n == 3 && strcmp(s[0], "instanceGroups") == 0 && strcmp(s[2], "listInstances") == 0 &&
	    emu_req_is(req, "POST")) {
		struct gce_igm *m;

		key = emu_xasprintf("projects/%s/zones/%s/instanceGroups/%s", project, zone, s[1]);
		m = emu_map_get(&e->gce->igs, key);
		if (!m || !m->visible)
			emu_reply_error(rep, 404, "notFound", "The resource '%s' was not found",
					key);
		else
			igm_list_members(e, req, rep, m, false);
		free(key);
		return;
	}
	if (n == 2 && strcmp(s[0], "operations") == 0 && emu_req_is(req, "GET")) {
		key = emu_xasprintf("projects/%s/zones/%s/operations/%s", project, zone, s[1]);
		op_get(e, rep, key);
		free(key);
		return;
	}
	if (n == 3 && strcmp(s[0], "operations") == 0 && strcmp(s[2], "wait") == 0 &&
	    emu_req_is(req, "POST")) {
		key = emu_xasprintf("projects/%s/zones/%s/operations/%s", project, zone, s[1]);
		op_wait(e, req, rep, key);
		free(key);
		return;
	}
	if (n == 1 && strcmp(s[0], "instances") == 0 && emu_req_is(req, "GET")) {
		inst_list(e, req, rep, project, zone);
		return;
	}
	if ((n == 2 || n == 3) && strcmp(s[0], "instances") == 0) {
		struct gce_inst *in;
		bool get = n == 2 && emu_req_is(req, "GET");
		bool del = n == 2 && emu_req_is(req, "DELETE");
		bool setmd = n == 3 && emu_req_is(req, "POST") && strcmp(s[2], "setMetadata") == 0;

		if (!get && !del && !setmd) {
			not_found(e, req, rep);
			return;
		}
		key = emu_xasprintf("projects/%s/zones/%s/instances/%s", project, zone, s[1]);
		in = inst_find(e, key, rep);
		free(key);
		if (!in)
			return;
		if (get) {
			emu_reply_json(rep, 200, inst_json(e, in));
		} else if (setmd) {
			set_metadata(e, req, rep, in, project);
		} else if (in->action == ACT_DELETING || in->status == VM_STOPPING ||
			   in->status == VM_TERMINATED) {
			emu_reply_error(rep, 400, "resourceNotReady",
					"The resource '%s' is not ready", in->key);
		} else {
			inst_kill(e, in);
			reply_op(e, rep,
				 op_launch(e, op_new(e, OP_INST_DELETE, project, in->igm->zone,
						     "delete", in->key, in->id, req->email)));
		}
		return;
	}
	not_found(e, req, rep);
}

void emu_gce_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	static const char *const scopes[] = { EMU_SCOPE_COMPUTE, EMU_SCOPE_CLOUD, NULL };
	char **s = req->segs;
	size_t n = req->nsegs;
	const char *rid;
	char *key = NULL;

	/* segs: compute v1 projects {p} ... */
	if (n < 5 || strcmp(s[2], "projects") != 0) {
		not_found(e, req, rep);
		return;
	}
	if (emu_auth_check(e, req, scopes, rep) < 0)
		return;
	if (!valid_project(s[3])) {
		emu_reply_error(rep, 400, "invalid", "Invalid value for field 'project': '%.80s'",
				s[3]);
		return;
	}
	rid = is_mutation(req) ? emu_req_arg(req, "requestId") : NULL;
	if (rid && !valid_uuid(rid)) {
		emu_reply_error(
			rep, 400, "invalid",
			"Invalid value for field 'requestId': '%.80s'. The request ID must be "
			"a valid UUID with the exception that zero UUID is not supported "
			"(00000000-0000-0000-0000-000000000000).",
			rid);
		return;
	}
	if (rid) {
		key = emu_xasprintf("%s/%s", s[3], rid);
		if (dedup_replay(e, req, key, rep))
			goto out;
	}
	e->gce->last_op = NULL;
	if (strcmp(s[4], "global") == 0)
		handle_global(e, req, rep, s[3], s + 5, n - 5);
	else if (strcmp(s[4], "zones") == 0 && n >= 6)
		handle_zone(e, req, rep, s[3], s[5], s + 6, n - 6);
	else
		not_found(e, req, rep);
	/* Only a request that made an operation is remembered: a refused one may be retried. */
	if (rid && rep->status == 200 && e->gce->last_op && !e->gce->last_op->dedup)
		dedup_record(e, req, key, e->gce->last_op);
out:
	free(key);
}

/* ---- control, dump and lifetime ---- */

void emu_gce_init(struct emu *e)
{
	e->gce = emu_xcalloc(1, sizeof(*e->gce));
}

static const char *jstr(const cJSON *in, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(in, name);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static struct gce_inst *inst_by_url(struct emu *e, const char *url, struct emu_reply *rep)
{
	char *key = url ? resolve_ref(url, "", NULL, "instances") : NULL;
	struct gce_inst *in = NULL;

	if (key && strstr(key, "/instances/"))
		in = inst_find(e, key, rep);
	else
		emu_reply_error(rep, 400, "invalid", "'instance' must be an instance URL");
	free(key);
	return in;
}

int emu_gce_kill_vm(struct emu *e, const char *url, struct emu_reply *rep)
{
	struct gce_inst *in = inst_by_url(e, url, rep);

	if (!in)
		return -1;
	if (in->action == ACT_DELETING) {
		emu_reply_error(rep, 400, "resourceNotReady", "'%s' is being deleted", in->key);
		return -1;
	}
	inst_kill(e, in);
	return 0;
}

int emu_gce_rotate_fingerprint(struct emu *e, const char *url, struct emu_reply *rep)
{
	struct gce_inst *in = inst_by_url(e, url, rep);

	if (!in)
		return -1;
	in->md_gen++;
	return 0;
}

/* {"project","zone","capacity": N (< 0 unlimited),"code": "QUOTA_EXCEEDED"|...} */
int emu_gce_set_zone(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const char *p = jstr(in, "project"), *z = jstr(in, "zone"), *code = jstr(in, "code");
	struct gce_zone *zn;
	int64_t cap;

	if (!p || !z || !emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "capacity"), &cap)) {
		emu_reply_error(rep, 400, "required", "need 'project', 'zone' and 'capacity'");
		return -1;
	}
	zn = zone_get(e, p, z);
	zn->capacity = cap;
	free(zn->limit_code);
	zn->limit_code = emu_xstrdup(code ? code : "ZONE_RESOURCE_POOL_EXHAUSTED");
	return 0;
}

/*
 * {"operationType","target" (fnmatch over the target path),"code","message",
 * "http_status","count"}: matching operations end DONE with this error.
 */
int emu_gce_add_op_failure(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const char *type = jstr(in, "operationType"), *code = jstr(in, "code");
	const char *msg = jstr(in, "message"), *target = jstr(in, "target");
	struct gce_failure *f, **tail;
	int64_t v;

	if (!type || !code) {
		emu_reply_error(rep, 400, "required", "need 'operationType' and 'code'");
		return -1;
	}
	f = emu_xcalloc(1, sizeof(*f));
	f->type = emu_xstrdup(type);
	f->target = emu_xstrdup(target ? target : "*");
	f->code = emu_xstrdup(code);
	f->message = emu_xstrdup(msg ? msg : code);
	f->http_status = emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "http_status"), &v) ?
				 (unsigned)v :
				 400;
	f->remaining = emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "count"), &v) ? v : 1;
	for (tail = &e->gce->failures; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	return 0;
}

/*
 * Fast path for benchmarks and scenario set-up: a visible template and group
 * whose "size" members already run. {"project","zone","template","group",
 * "size","base"}; an existing template or group is reused.
 */
int emu_gce_seed(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const char *p = jstr(in, "project"), *z = jstr(in, "zone");
	const char *tn = jstr(in, "template"), *gn = jstr(in, "group"), *base = jstr(in, "base");
	struct gce_tmpl *t;
	struct gce_igm *m;
	char *key;
	int64_t size = 0, i;

	if (!p || !z || !tn || !gn || !valid_project(p) || !emu_valid_name(tn, 63) ||
	    !emu_valid_name(gn, 63) || (base && !emu_valid_name(base, 58)) ||
	    (cJSON_GetObjectItemCaseSensitive(in, "size") &&
	     !emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "size"), &size)) ||
	    size < 0 || size > 1000000) {
		emu_reply_error(rep, 400, "invalid",
				"need valid 'project', 'zone', 'template', 'group', 'size'");
		return -1;
	}
	key = emu_xasprintf("projects/%s/global/instanceTemplates/%s", p, tn);
	t = emu_map_get(&e->gce->templates, key);
	if (!t) {
		t = emu_xcalloc(1, sizeof(*t));
		t->key = key;
		key = NULL;
		t->name = emu_xstrdup(tn);
		t->project = project_get(e, p);
		t->id = new_id(e);
		t->seq = emu_next_seq(e);
		t->created = emu_now(e);
		t->resource = cJSON_Parse("{\"properties\":{\"machineType\":\"n1-standard-1\"}}");
		cJSON_AddStringToObject(t->resource, "name", tn);
		emu_map_put(&e->gce->templates, t->key, t);
		emu_olist_add(&t->project->templates, t->seq, t);
	}
	free(key);
	t->visible = true;
	key = emu_xasprintf("projects/%s/zones/%s/instanceGroupManagers/%s", p, z, gn);
	m = emu_map_get(&e->gce->igms, key);
	free(key);
	if (!m)
		m = igm_create(e, zone_get(e, p, z), gn, base ? base : gn, t);
	m->visible = true;
	for (i = 0; i < size; i++) {
		struct gce_inst *x = inst_new(e, m);

		vm_up(e, x, VM_RUNNING);
		set_action(x, ACT_NONE);
	}
	m->target = (int64_t)m->live;
	emu_reply_json(rep, 200, igm_json(e, m));
	return 0;
}

cJSON *emu_gce_dump(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *ts = cJSON_AddArrayToObject(o, "instanceTemplates");
	cJSON *gs = cJSON_AddArrayToObject(o, "instanceGroupManagers");
	cJSON *is = cJSON_AddArrayToObject(o, "instances");
	cJSON *os = cJSON_AddArrayToObject(o, "operations");
	cJSON *zs = cJSON_AddArrayToObject(o, "zones");
	size_t i;

	for (i = 0; i < e->gce->templates.cap; i++) {
		struct gce_tmpl *t = e->gce->templates.slots[i].val;
		cJSON *j;

		if (!e->gce->templates.slots[i].key)
			continue;
		j = tmpl_json(e, t);
		cJSON_AddBoolToObject(j, "_visible", t->visible);
		cJSON_AddBoolToObject(j, "_deleting", t->deleting);
		cJSON_AddItemToArray(ts, j);
	}
	for (i = 0; i < e->gce->igms.cap; i++) {
		struct gce_igm *m = e->gce->igms.slots[i].val;
		cJSON *j;

		if (!e->gce->igms.slots[i].key)
			continue;
		j = igm_json(e, m);
		cJSON_AddBoolToObject(j, "_visible", m->visible);
		cJSON_AddBoolToObject(j, "_deleting", m->deleting);
		cJSON_AddItemToArray(gs, j);
	}
	for (i = 0; i < e->gce->insts.cap; i++) {
		struct gce_inst *in = e->gce->insts.slots[i].val;
		cJSON *j = cJSON_CreateObject();

		if (!e->gce->insts.slots[i].key) {
			cJSON_Delete(j);
			continue;
		}
		add_url(e, j, "instance", in->key);
		add_url(e, j, "instanceGroupManager", in->igm->key);
		cJSON_AddStringToObject(j, "currentAction", action_names[in->action]);
		if (in->vm)
			cJSON_AddStringToObject(j, "status", vm_status_names[in->status]);
		if (in->last_error)
			cJSON_AddStringToObject(j, "lastError", in->last_error);
		cJSON_AddItemToArray(is, j);
	}
	for (i = 0; i < e->gce->ops.cap; i++) {
		if (e->gce->ops.slots[i].key)
			cJSON_AddItemToArray(os, op_json(e, e->gce->ops.slots[i].val));
	}
	for (i = 0; i < e->gce->zones.cap; i++) {
		struct gce_zone *z = e->gce->zones.slots[i].val;
		cJSON *j;

		if (!e->gce->zones.slots[i].key)
			continue;
		j = cJSON_CreateObject();
		add_url(e, j, "zone", z->key);
		cJSON_AddNumberToObject(j, "vms", (double)z->vms);
		cJSON_AddNumberToObject(j, "capacity", (double)z->capacity);
		cJSON_AddItemToArray(zs, j);
	}
	return o;
}

void emu_gce_free(struct emu *e)
{
	struct emu_gce *g = e->gce;
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->insts.cap; i++) {
		struct gce_inst *in = g->insts.slots[i].val;

		if (g->insts.slots[i].key) {
			cJSON_Delete(in->md_items);
			free(in->key);
			free(in->name);
			free(in);
		}
	}
	for (i = 0; i < g->igms.cap; i++) {
		if (g->igms.slots[i].key)
			igm_free(g->igms.slots[i].val);
	}
	for (i = 0; i < g->templates.cap; i++) {
		if (g->templates.slots[i].key)
			tmpl_free(g->templates.slots[i].val);
	}
	for (i = 0; i < g->dedup.cap; i++) {
		if (g->dedup.slots[i].key)
			dedup_free(g->dedup.slots[i].val);
	}
	for (i = 0; i < g->ops.cap; i++) {
		if (g->ops.slots[i].key)
			op_free(g->ops.slots[i].val);
	}
	for (i = 0; i < g->zones.cap; i++) {
		struct gce_zone *z = g->zones.slots[i].val;

		if (g->zones.slots[i].key) {
			emu_olist_release(&z->igms);
			free(z->limit_code);
			free(z->key);
			free(z);
		}
	}
	for (i = 0; i < g->projects.cap; i++) {
		struct gce_project *pr = g->projects.slots[i].val;

		if (g->projects.slots[i].key) {
			emu_olist_release(&pr->templates);
			free(pr->key);
			free(pr);
		}
	}
	while (g->failures) {
		struct gce_failure *f = g->failures;

		g->failures = f->next;
		free(f->type);
		free(f->target);
		free(f->code);
		free(f->message);
		free(f);
	}
	emu_map_release(&g->projects);
	emu_map_release(&g->zones);
	emu_map_release(&g->templates);
	emu_map_release(&g->igms);
	emu_map_release(&g->igs);
	emu_map_release(&g->insts);
	emu_map_release(&g->ops);
	emu_map_release(&g->dedup);
	free(g);
	e->gce = NULL;
}
