/* SPDX-License-Identifier: Apache-2.0 */
/* fleet.c - references, GCE names, typed reads, walks and updates, group states */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gceb/log.h"
#include "sha1.h"

static unsigned parts_of(enum gceb_kind kind)
{
	switch (kind) {
	case GCEB_KIND_TEMPLATE:
		return 1;
	case GCEB_KIND_REVISION:
		return 2;
	case GCEB_KIND_IGM:
		return 3;
	case GCEB_KIND_INSTANCE:
		return 4;
	case GCEB_KIND_CONFIG:
	case GCEB_KIND_COUNT:
		break;
	}
	return 0;
}

/* What log lines call an entity of @kind. */
static const char *noun(enum gceb_kind kind)
{
	static const char *const nouns[] = { "config", "template", "revision", "group",
					     "instance" };

	return (unsigned)kind < sizeof(nouns) / sizeof(nouns[0]) ? nouns[kind] : "fleet";
}

/* Part @i of @ref: base, rev, zone, name. */
static char *part(struct gceb_ref *ref, unsigned i)
{
	return i == 0 ? ref->base : i == 1 ? ref->rev : i == 2 ? ref->zone : ref->name;
}

static const char *cpart(const struct gceb_ref *ref, unsigned i)
{
	return i == 0 ? ref->base : i == 1 ? ref->rev : i == 2 ? ref->zone : ref->name;
}

int gceb_ref_parse(struct gceb_ref *ref, enum gceb_kind kind, const char *key, struct gceb_err *err)
{
	unsigned i, n = parts_of(kind);
	const char *p = key;

	/* Set part by part, not zeroed first: a walk parses every key it reads. */
	ref->kind = kind;
	ref->base[0] = ref->rev[0] = ref->zone[0] = ref->name[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t len = strcspn(p, " ");

		if (len == 0 || len > GCEB_REF_PART_MAX || (p[len] == ' ') != (i + 1 < n))
			goto bad;
		memcpy(part(ref, i), p, len);
		part(ref, i)[len] = '\0';
		p += len + (p[len] == ' ');
	}
	if (n > 0 && *p == '\0')
		return 0;
bad:
	*ref = (struct gceb_ref){ 0 };
	return gceb_err_set(err, GCEB_EPARSE, "'%s' is not a %s key", key,
			    n ? noun(kind) : "fleet");
}

const char *gceb_ref_key(const struct gceb_ref *ref, gceb_key out)
{
	unsigned i, n = parts_of(ref->kind);
	size_t len = 0;

	/* Four parts of at most GCEB_REF_PART_MAX and three spaces always fit. */
	for (i = 0; i < n; i++) {
		const char *p = cpart(ref, i);
		size_t l = strnlen(p, GCEB_REF_PART_MAX);

		if (i)
			out[len++] = ' ';
		memcpy(out + len, p, l);
		len += l;
	}
	out[len] = '\0';
	return out;
}

struct gceb_ref gceb_ref_up(const struct gceb_ref *ref, enum gceb_kind kind)
{
	struct gceb_ref up;
	unsigned i, n = parts_of(kind);

	if (n > parts_of(ref->kind))
		return (struct gceb_ref){ 0 };
	up.kind = kind;
	up.base[0] = up.rev[0] = up.zone[0] = up.name[0] = '\0';
	for (i = 0; i < n; i++)
		memcpy(part(&up, i), cpart(ref, i), strnlen(cpart(ref, i), GCEB_REF_PART_MAX) + 1);
	return up;
}

int gceb_ref_down(struct gceb_ref *out, const struct gceb_ref *parent, const char *p,
		  struct gceb_err *err)
{
	unsigned n = parts_of(parent->kind);
	size_t len = strlen(p);

	if (n == 0 || n >= 4 || len == 0 || len > GCEB_REF_PART_MAX || strchr(p, ' '))
		return gceb_err_set(err, GCEB_EPARSE, "'%s' cannot name an entity under '%s'", p,
				    parent->base);
	*out = *parent;
	out->kind = parent->kind + 1;
	memcpy(part(out, n), p, len + 1);
	return 0;
}

bool gceb_ref_equal(const struct gceb_ref *a, const struct gceb_ref *b)
{
	unsigned i, n = parts_of(a->kind);

	if (a->kind != b->kind)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(cpart(a, i), cpart(b, i)) != 0)
			return false;
	return true;
}

static bool is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < GCEB_SHA1_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

int gceb_fleet_name(const struct gceb_ref *ref, enum gceb_name_kind which,
		    char out[GCEB_GCE_NAME_MAX + 1], struct gceb_err *err)
{
	static const enum gceb_kind of[] = { GCEB_KIND_REVISION, GCEB_KIND_IGM, GCEB_KIND_IGM,
					     GCEB_KIND_INSTANCE };
	size_t max = which == GCEB_NAME_BASE_INSTANCE ? GCEB_GCE_BASE_NAME_MAX : GCEB_GCE_NAME_MAX;
	gceb_key key;
	int n;

	out[0] = '\0';
	if (ref->kind != of[which])
		return gceb_err_set(err, GCEB_EBUG, "no such GCE name for '%s'",
				    gceb_ref_key(ref, key));
	if (which != GCEB_NAME_INSTANCE && !is_hex40(ref->rev))
		return gceb_err_set(err, GCEB_EPARSE, "revision '%s' is not 40 hex digits",
				    ref->rev);
	if (which == GCEB_NAME_INSTANCE)
		n = snprintf(out, GCEB_GCE_NAME_MAX + 1, "%s", ref->name);
	else if (which == GCEB_NAME_BASE_INSTANCE)
		/* B-<R[0:8]>-Z: hostnames never collide across zones or revisions. */
		n = snprintf(out, GCEB_GCE_NAME_MAX + 1, "%s-%.8s-%s", ref->base, ref->rev,
			     ref->zone);
	else
		n = snprintf(out, GCEB_GCE_NAME_MAX + 1, "%s-%s", ref->base, ref->rev);
	if (n < 0 || (size_t)n > max || !gceb_name_is_rfc1035(out)) {
		out[0] = '\0';
		return gceb_err_set(err, GCEB_EPARSE,
				    "'%s' does not make a valid GCE name of at most %zu characters",
				    gceb_ref_key(ref, key), max);
	}
	return 0;
}

/* ---- reads ---- */

static int get(struct gceb_txn *txn, const struct gceb_ref *ref, const char *config_key,
	       ProtobufCMessage **out, struct gceb_err *err)
{
	gceb_key key;

	if (ref)
		gceb_ref_key(ref, key);
	return gceb_txn_get(txn, ref ? ref->kind : GCEB_KIND_CONFIG, ref ? key : config_key, out,
			    err);
}

/* Each typed read, from the one above: the stored message is the type of its kind. */
/* NOLINTBEGIN(bugprone-macro-parentheses): a type argument cannot be parenthesized */
#define DEFINE_GET(fn, type, want)                                                          \
 int fn(struct gceb_txn *txn, const struct gceb_ref *ref, type **out, struct gceb_err *err) \
 {                                                                                          \
  ProtobufCMessage *msg = NULL;                                                             \
  int r = ref->kind == (want) ? get(txn, ref, NULL, &msg, err) :                            \
				gceb_err_set(err, GCEB_EBUG, "a %s is read as a %s",        \
					     noun(ref->kind), noun(want));                  \
                                                                                            \
  *out = r == 0 ? (type *)msg : NULL;                                                       \
  return r;                                                                                 \
 }

DEFINE_GET(gceb_fleet_get_template, Gceb__State__InstanceTemplate, GCEB_KIND_TEMPLATE)
DEFINE_GET(gceb_fleet_get_revision, Gceb__State__Revision, GCEB_KIND_REVISION)
DEFINE_GET(gceb_fleet_get_group, Gceb__State__InstanceGroupManager, GCEB_KIND_IGM)
DEFINE_GET(gceb_fleet_get_instance, Gceb__State__Instance, GCEB_KIND_INSTANCE)
/* NOLINTEND(bugprone-macro-parentheses) */

int gceb_fleet_get_config(struct gceb_txn *txn, Gceb__State__StoredConfig **out,
			  struct gceb_err *err)
{
	ProtobufCMessage *msg = NULL;
	int r = get(txn, NULL, "current", &msg, err);

	*out = r == 0 ? (Gceb__State__StoredConfig *)msg : NULL;
	return r;
}

/* NOLINTBEGIN(bugprone-macro-parentheses): a type argument cannot be parenthesized */
#define DEFINE_LOAD(fn, type, getter)                                                           \
 int fn(struct gceb_store *store, const struct gceb_ref *ref, type **out, struct gceb_err *err) \
 {                                                                                              \
  struct gceb_txn *txn = NULL;                                                                  \
  int r;                                                                                        \
                                                                                                \
  *out = NULL;                                                                                  \
  r = gceb_store_begin(store, false, &txn, err);                                                \
  if (r == 0)                                                                                   \
   r = getter(txn, ref, out, err);                                                              \
  gceb_txn_abort(&txn);                                                                         \
  return r == GCEB_ENOTFOUND ? 0 : r;                                                           \
 }

DEFINE_LOAD(gceb_fleet_load_revision, Gceb__State__Revision, gceb_fleet_get_revision)
DEFINE_LOAD(gceb_fleet_load_group, Gceb__State__InstanceGroupManager, gceb_fleet_get_group)
DEFINE_LOAD(gceb_fleet_load_instance, Gceb__State__Instance, gceb_fleet_get_instance)
/* NOLINTEND(bugprone-macro-parentheses) */

/* ---- walks ---- */

struct walk {
	enum gceb_kind kind;
	gceb_fleet_visit_fn fn;
	void *payload;
};

static int visit(const char *key, const ProtobufCMessage *msg, void *payload, struct gceb_err *err)
{
	const struct walk *w = payload;
	struct gceb_entity e;

	/* Not zeroed first: the parse sets every part, and a walk visits many keys. */
	e.key = key;
	e.msg = msg;

	if (gceb_ref_parse(&e.ref, w->kind, key, NULL) < 0) {
		gceb_debug("%s key '%s' is not one of the fleet's: skipped", noun(w->kind), key);
		return 0;
	}
	return w->fn(&e, w->payload, err);
}

int gceb_fleet_foreach(struct gceb_txn *txn, enum gceb_kind kind, const struct gceb_ref *under,
		       const char *after, gceb_fleet_visit_fn fn, void *payload,
		       struct gceb_err *err)
{
	struct walk w = { .kind = kind, .fn = fn, .payload = payload };
	char prefix[GCEB_STORE_MAX_KEY + 2] = "";
	gceb_key key;

	if (under)
		(void)snprintf(prefix, sizeof(prefix), "%s ", gceb_ref_key(under, key));
	return gceb_txn_foreach_after(txn, kind, prefix, after, visit, &w, err);
}

/* ---- updates ---- */

/* The typed callback of one update, called from the store's untyped one. */
struct typed {
	union {
		gceb_template_update_fn tmpl;
		gceb_revision_update_fn revision;
		gceb_group_update_fn group;
		gceb_instance_update_fn instance;
		gceb_config_update_fn config;
	} fn;
	void *payload;
};

/*
 * A stored message is the type of its kind, and its ProtobufCMessage is its
 * first member: each adapter hands over a typed pointer to the same object.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses): a type argument cannot be parenthesized */
#define DEFINE_ADAPTER(name, type, member)                                    \
 static int name(ProtobufCMessage **msg, void *payload, struct gceb_err *err) \
 {                                                                            \
  const struct typed *t = payload;                                            \
  type *m = (type *)*msg;                                                     \
  int r = t->fn.member(&m, t->payload, err);                                  \
                                                                              \
  *msg = m ? &m->base : NULL;                                                 \
  return r;                                                                   \
 }

DEFINE_ADAPTER(adapt_template, Gceb__State__InstanceTemplate, tmpl)
DEFINE_ADAPTER(adapt_revision, Gceb__State__Revision, revision)
DEFINE_ADAPTER(adapt_group, Gceb__State__InstanceGroupManager, group)
DEFINE_ADAPTER(adapt_config, Gceb__State__StoredConfig, config)
/* NOLINTEND(bugprone-macro-parentheses) */

static int update(struct gceb_store *store, const struct gceb_ref *ref, enum gceb_kind kind,
		  gceb_update_fn adapter, struct typed *t, bool *changed, struct gceb_err *err)
{
	gceb_key key;

	if (ref && ref->kind != kind)
		return gceb_err_set(err, GCEB_EBUG, "a %s is updated as a %s", noun(ref->kind),
				    noun(kind));
	return gceb_store_update(store, kind, ref ? gceb_ref_key(ref, key) : "current", adapter, t,
				 changed, err);
}

int gceb_fleet_update_template(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_template_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err)
{
	struct typed t = { .fn.tmpl = fn, .payload = payload };

	return update(store, ref, GCEB_KIND_TEMPLATE, adapt_template, &t, changed, err);
}

int gceb_fleet_update_revision(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_revision_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err)
{
	struct typed t = { .fn.revision = fn, .payload = payload };

	return update(store, ref, GCEB_KIND_REVISION, adapt_revision, &t, changed, err);
}

int gceb_fleet_update_group(struct gceb_store *store, const struct gceb_ref *ref,
			    gceb_group_update_fn fn, void *payload, bool *changed,
			    struct gceb_err *err)
{
	struct typed t = { .fn.group = fn, .payload = payload };

	return update(store, ref, GCEB_KIND_IGM, adapt_group, &t, changed, err);
}

int gceb_fleet_update_config(struct gceb_store *store, gceb_config_update_fn fn, void *payload,
			     bool *changed, struct gceb_err *err)
{
	struct typed t = { .fn.config = fn, .payload = payload };

	return update(store, NULL, GCEB_KIND_CONFIG, adapt_config, &t, changed, err);
}

/* Packed @in into *@out (malloc'd), for the before/after comparison of a stamp. */
static int pack(const Gceb__State__Instance *in, uint8_t **out, size_t *len, struct gceb_err *err)
{
	*len = in ? gceb__state__instance__get_packed_size(in) : 0;
	*out = malloc(*len ? *len : 1);
	if (!*out)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory packing an instance");
	if (in)
		(void)gceb__state__instance__pack(in, *out);
	return 0;
}

static void stamp(Gceb__State__Instance *in)
{
	in->has_last_updated = true;
	in->last_updated = gceb_now();
}

/*
 * The instance adapter stamps last_updated when the callback changed
 * anything (or created the instance): an unchanged instance stays unwritten.
 */
static int adapt_instance(ProtobufCMessage **msg, void *payload, struct gceb_err *err)
{
	const struct typed *t = payload;
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	bool existed = in != NULL;
	uint8_t *before = NULL, *after = NULL;
	size_t before_len = 0, after_len = 0;
	int r;

	if (existed && (r = pack(in, &before, &before_len, err)) < 0)
		return r;
	r = t->fn.instance(&in, t->payload, err);
	*msg = in ? &in->base : NULL;
	if (r == GCEB_UPDATE_KEEP && in) {
		r = pack(in, &after, &after_len, err);
		if (r == 0 &&
		    (!existed || before_len != after_len || memcmp(before, after, after_len) != 0))
			stamp(in);
	}
	free(before);
	free(after);
	return r;
}

int gceb_fleet_update_instance(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_instance_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err)
{
	struct typed t = { .fn.instance = fn, .payload = payload };

	return update(store, ref, GCEB_KIND_INSTANCE, adapt_instance, &t, changed, err);
}

static int put(struct gceb_txn *txn, const struct gceb_ref *ref, enum gceb_kind kind,
	       const ProtobufCMessage *msg, struct gceb_err *err)
{
	gceb_key key;

	if (ref->kind != kind)
		return gceb_err_set(err, GCEB_EBUG, "a %s is written as a %s", noun(ref->kind),
				    noun(kind));
	return gceb_txn_put(txn, kind, gceb_ref_key(ref, key), msg, err);
}

int gceb_fleet_put_template(struct gceb_txn *txn, const struct gceb_ref *ref,
			    const Gceb__State__InstanceTemplate *t, struct gceb_err *err)
{
	return put(txn, ref, GCEB_KIND_TEMPLATE, &t->base, err);
}

int gceb_fleet_put_revision(struct gceb_txn *txn, const struct gceb_ref *ref,
			    const Gceb__State__Revision *r, struct gceb_err *err)
{
	return put(txn, ref, GCEB_KIND_REVISION, &r->base, err);
}

int gceb_fleet_put_group(struct gceb_txn *txn, const struct gceb_ref *ref,
			 const Gceb__State__InstanceGroupManager *g, struct gceb_err *err)
{
	return put(txn, ref, GCEB_KIND_IGM, &g->base, err);
}

int gceb_fleet_put_instance(struct gceb_txn *txn, const struct gceb_ref *ref,
			    Gceb__State__Instance *in, struct gceb_err *err)
{
	stamp(in);
	return put(txn, ref, GCEB_KIND_INSTANCE, &in->base, err);
}

int gceb_fleet_del(struct gceb_txn *txn, const struct gceb_ref *ref, struct gceb_err *err)
{
	gceb_key key;

	return gceb_txn_del(txn, ref->kind, gceb_ref_key(ref, key), err);
}

/* ---- states ---- */

const char *gceb_group_state_name(enum gceb_group_state s)
{
	switch (s) {
	case GCEB_GROUP_ACTIVE:
		return "active";
	case GCEB_GROUP_DRAINED:
		return "drained";
	case GCEB_GROUP_ORPHAN:
		return "orphan";
	case GCEB_GROUP_UNREFERENCED:
		break;
	}
	return "unreferenced";
}

static bool lists(char *const *v, size_t n, const char *key)
{
	return gceb_strv_find(v, n, key) >= 0;
}

static enum gceb_group_state decide(const Gceb__State__InstanceTemplate *t,
				    const Gceb__State__Revision *r, const char *rk, const char *gk)
{
	bool r_active = t->active && !strcmp(t->active, rk);
	bool r_drained = lists(t->drained, t->n_drained, rk);
	bool g_active = lists(r->active, r->n_active, gk);

	if (lists(r->drained, r->n_drained, gk) || (r_drained && g_active))
		return GCEB_GROUP_DRAINED;
	if (r_active && g_active)
		return GCEB_GROUP_ACTIVE;
	return GCEB_GROUP_UNREFERENCED;
}

void gceb_state_memo_release(struct gceb_state_memo *m)
{
	gceb_entity_free(m->tmpl);
	gceb_entity_free(m->revision);
	*m = (struct gceb_state_memo){ 0 };
}

const Gceb__State__Revision *gceb_state_memo_revision(const struct gceb_state_memo *m)
{
	return m->revision;
}

/* Make @m hold T and R of revision @rref, reading them only if it holds another. */
static int state_memo_load(struct gceb_state_memo *m, struct gceb_txn *txn,
			   const struct gceb_ref *rref, struct gceb_err *err)
{
	struct gceb_ref tref = gceb_ref_up(rref, GCEB_KIND_TEMPLATE);
	int rc;

	if (m->rev.kind == GCEB_KIND_REVISION && gceb_ref_equal(&m->rev, rref))
		return 0;
	gceb_state_memo_release(m);
	rc = gceb_fleet_get_revision(txn, rref, &m->revision, err);
	/* Without R, T is not needed: the group is an orphan either way. */
	if (rc == 0)
		rc = gceb_fleet_get_template(txn, &tref, &m->tmpl, err);
	if (rc == GCEB_ENOTFOUND)
		rc = 0;
	if (rc == 0)
		m->rev = *rref;
	else
		gceb_state_memo_release(m);
	return rc;
}

int gceb_state_memo_group(struct gceb_state_memo *m, struct gceb_txn *txn,
			  const struct gceb_ref *group, enum gceb_group_state *state,
			  struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(group, GCEB_KIND_REVISION);
	gceb_key rk, gk;
	int rc = state_memo_load(m, txn, &rref, err);

	*state = GCEB_GROUP_ORPHAN;
	if (rc == 0 && m->revision && m->tmpl)
		*state = decide(m->tmpl, m->revision, gceb_ref_key(&rref, rk),
				gceb_ref_key(group, gk));
	return rc;
}

int gceb_fleet_group_state(struct gceb_txn *txn, const struct gceb_ref *group,
			   enum gceb_group_state *state, Gceb__State__Revision **revision,
			   struct gceb_err *err)
{
	struct gceb_state_memo m = { 0 };
	int rc = gceb_state_memo_group(&m, txn, group, state, err);

	if (revision && rc == 0) {
		*revision = m.revision;
		m.revision = NULL;
	}
	gceb_state_memo_release(&m);
	return rc;
}

int gceb_fleet_revision_state(struct gceb_txn *txn, const struct gceb_ref *rev,
			      enum gceb_group_state *state, struct gceb_err *err)
{
	struct gceb_ref tref = gceb_ref_up(rev, GCEB_KIND_TEMPLATE);
	Gceb__State__InstanceTemplate *t = NULL;
	gceb_key rk;
	int rc = gceb_fleet_get_template(txn, &tref, &t, err);

	*state = GCEB_GROUP_ORPHAN;
	if (rc == GCEB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	gceb_ref_key(rev, rk);
	if (t->active && !strcmp(t->active, rk))
		*state = GCEB_GROUP_ACTIVE;
	else if (lists(t->drained, t->n_drained, rk))
		*state = GCEB_GROUP_DRAINED;
	else
		*state = GCEB_GROUP_UNREFERENCED;
	gceb_entity_free(t);
	return 0;
}

/* A positive visit result stops the walk: a drained group exists. */
static int find_drained(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	enum gceb_group_state state;
	int rc;

	if (e->revision->n_drained > 0)
		return 1;
	if (e->revision->n_active == 0)
		return 0;
	rc = gceb_fleet_revision_state(payload, &e->ref, &state, err);
	return rc < 0 ? rc : state == GCEB_GROUP_DRAINED;
}

int gceb_fleet_any_drained(struct gceb_store *store, struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	int r = gceb_store_begin(store, false, &txn, err);

	if (r == 0)
		r = gceb_fleet_foreach(txn, GCEB_KIND_REVISION, NULL, NULL, find_drained, txn, err);
	gceb_txn_abort(&txn);
	return r;
}

/* ---- the group memo ---- */

int gceb_group_memo_load(struct gceb_group_memo *m, struct gceb_txn *txn,
			 const struct gceb_ref *ref, struct gceb_err *err)
{
	struct gceb_ref g = gceb_ref_up(ref, GCEB_KIND_IGM);
	int r;

	if (m->ref.kind == GCEB_KIND_IGM && gceb_ref_equal(&m->ref, &g))
		return 0;
	gceb_entity_free(m->group);
	m->group = NULL;
	m->ref = (struct gceb_ref){ 0 };
	r = gceb_fleet_get_group(txn, &g, &m->group, err);
	if (r == GCEB_ENOTFOUND)
		r = 0;
	if (r == 0)
		r = gceb_state_memo_group(&m->states, txn, &g, &m->state, err);
	if (r == 0)
		m->ref = g;
	return r;
}

bool gceb_group_memo_lists(const struct gceb_group_memo *m, const struct gceb_ref *instance)
{
	gceb_key key;

	return m->group &&
	       lists(m->group->instances, m->group->n_instances, gceb_ref_key(instance, key));
}

int gceb_group_memo_member(struct gceb_group_memo *m, struct gceb_txn *txn,
			   const struct gceb_ref *instance, enum gceb_group_state state,
			   struct gceb_err *err)
{
	int r = gceb_group_memo_load(m, txn, instance, err);

	if (r < 0)
		return r;
	return m->state == state && gceb_group_memo_lists(m, instance);
}

void gceb_group_memo_release(struct gceb_group_memo *m)
{
	gceb_entity_free(m->group);
	gceb_state_memo_release(&m->states);
	*m = (struct gceb_group_memo){ 0 };
}

/* ---- instance marks ---- */

int gceb_mark_for_deletion(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *i = *in;

	if (!i || i->pending_deletion)
		return GCEB_UPDATE_KEEP;
	i->has_pending_deletion = true;
	i->pending_deletion = true;
	i->has_lease_expiration_ts = false;
	i->lease_expiration_ts = 0;
	i->has_leased_indefinitely = false;
	i->leased_indefinitely = false;
	return GCEB_UPDATE_KEEP;
}

int gceb_mark_deleted_pending(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	if (!*in || !(*in)->pending_deletion)
		return GCEB_UPDATE_KEEP;
	return gceb_mark_deleted(in, payload, err);
}

int gceb_mark_deleted(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	if (*in && !(*in)->deleted) {
		(*in)->has_deleted = true;
		(*in)->deleted = true;
	}
	return GCEB_UPDATE_KEEP;
}

int gceb_mark_cataloged(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	if (*in && !(*in)->cataloged) {
		(*in)->has_cataloged = true;
		(*in)->cataloged = true;
	}
	return GCEB_UPDATE_KEEP;
}
