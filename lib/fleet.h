/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet.h - the entity graph, typed: the one place that knows how store keys
 * are made, what GCE calls each thing, and which state a group is in.
 *
 * A template "B" has revisions "B R" (R: 40 hex digits, the checksum of its
 * config); a revision has groups "B R Z" (Z: a zone), and a group has
 * instances "B R Z N" (N: the VM's name). Jobs name entities with a struct
 * gceb_ref and read and write them through the typed functions below; none
 * of them splits a key or casts a message.
 *
 * The state of group G = "B R Z", with T = "B" and R = "B R":
 *
 *   ORPHAN        T or R does not exist (checked first);
 *   DRAINED       G is in R.drained (explicitly: its zone was removed), or
 *                 R is in T.drained and G is in R.active (implicitly: the
 *                 whole revision was replaced);
 *   ACTIVE        T.active is R and G is in R.active;
 *   UNREFERENCED  anything else: R is neither T.active nor in T.drained (a
 *                 store edited by hand, or a crash between two writes), or
 *                 G is in neither of R's lists.
 *
 * The drain jobs (remove-cataloged-instances, delete-instance-group-managers,
 * cleanup-entities) act on DRAINED groups only; create, catalog and resize on
 * ACTIVE ones; nothing acts on an ORPHAN or UNREFERENCED group, and
 * gceb-status reports all four as they are (docs/gceb-status.md).
 */
#ifndef GCEB_FLEET_H
#define GCEB_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "entity.h"
#include "gceb/err.h"
#include "names.h"
#include "state.pb-c.h"
#include "store.h"

/* The longest part of a key: every part is a GCE name, or a revision's 40 hex digits. */
#define GCEB_REF_PART_MAX GCEB_GCE_NAME_MAX

/*
 * A template, revision, group or instance: @kind says how many of the parts
 * are set (GCEB_KIND_TEMPLATE: base; ..._REVISION: and rev; ..._IGM: and
 * zone; ..._INSTANCE: and name). Unset parts are "".
 */
struct gceb_ref {
	enum gceb_kind kind;
	char base[GCEB_REF_PART_MAX + 1];
	char rev[GCEB_REF_PART_MAX + 1];
	char zone[GCEB_REF_PART_MAX + 1];
	char name[GCEB_REF_PART_MAX + 1];
};

/*
 * Parse store @key of @kind: exactly as many space-separated parts as @kind
 * has, each 1 to GCEB_REF_PART_MAX characters. GCEB_EPARSE ("not a <kind>
 * key") otherwise, with @err set if not NULL.
 */
int gceb_ref_parse(struct gceb_ref *ref, enum gceb_kind kind, const char *key,
		   struct gceb_err *err);
/* The store key of @ref, into @out; returns @out. */
const char *gceb_ref_key(const struct gceb_ref *ref, gceb_key out);
/* The entity @ref belongs to at level @kind (its template, revision or group). */
struct gceb_ref gceb_ref_up(const struct gceb_ref *ref, enum gceb_kind kind);
/*
 * @parent with one more part @p: its revision, zone or instance name.
 * GCEB_EPARSE if @p is empty, too long or has a space.
 */
int gceb_ref_down(struct gceb_ref *out, const struct gceb_ref *parent, const char *p,
		  struct gceb_err *err);
bool gceb_ref_equal(const struct gceb_ref *a, const struct gceb_ref *b);

/* What GCE calls the things of the fleet. */
enum gceb_name_kind {
	GCEB_NAME_TEMPLATE,      /* a revision's instance template: "B-R" */
	GCEB_NAME_GROUP,         /* a group's managed instance group: "B-R" */
	GCEB_NAME_BASE_INSTANCE, /* a group's VM name prefix: "B-<R[0:8]>-Z" */
	GCEB_NAME_INSTANCE,      /* an instance's VM: "N" */
};

/*
 * The GCE name @which of @ref into @out. R must be 40 lower-case hex digits
 * and the result an RFC 1035 name (a base instance name at most
 * GCEB_GCE_BASE_NAME_MAX characters); GCEB_EPARSE saying which otherwise,
 * and GCEB_EBUG if @ref is not of the kind @which names.
 */
int gceb_fleet_name(const struct gceb_ref *ref, enum gceb_name_kind which,
		    char out[GCEB_GCE_NAME_MAX + 1], struct gceb_err *err);

/* ---- typed reads: 0, GCEB_ENOTFOUND if absent (@err untouched), or an error ---- */

int gceb_fleet_get_template(struct gceb_txn *txn, const struct gceb_ref *ref,
			    Gceb__State__InstanceTemplate **out, struct gceb_err *err);
int gceb_fleet_get_revision(struct gceb_txn *txn, const struct gceb_ref *ref,
			    Gceb__State__Revision **out, struct gceb_err *err);
int gceb_fleet_get_group(struct gceb_txn *txn, const struct gceb_ref *ref,
			 Gceb__State__InstanceGroupManager **out, struct gceb_err *err);
int gceb_fleet_get_instance(struct gceb_txn *txn, const struct gceb_ref *ref,
			    Gceb__State__Instance **out, struct gceb_err *err);
int gceb_fleet_get_config(struct gceb_txn *txn, Gceb__State__StoredConfig **out,
			  struct gceb_err *err);

/*
 * The same in a read transaction of their own, for a job between network
 * calls: *@out NULL and 0 if absent.
 */
int gceb_fleet_load_revision(struct gceb_store *store, const struct gceb_ref *ref,
			     Gceb__State__Revision **out, struct gceb_err *err);
int gceb_fleet_load_group(struct gceb_store *store, const struct gceb_ref *ref,
			  Gceb__State__InstanceGroupManager **out, struct gceb_err *err);
int gceb_fleet_load_instance(struct gceb_store *store, const struct gceb_ref *ref,
			     Gceb__State__Instance **out, struct gceb_err *err);

/* ---- typed walks ---- */

/* One entity of a walk, borrowed for the call: its reference and its message. */
struct gceb_entity {
	struct gceb_ref ref;
	const char *key;
	union {
		const ProtobufCMessage *msg;
		const Gceb__State__InstanceTemplate *tmpl;
		const Gceb__State__Revision *revision;
		const Gceb__State__InstanceGroupManager *group;
		const Gceb__State__Instance *instance;
	};
};

/* A non-zero return stops the walk and is returned; report errors in @err. */
typedef int (*gceb_fleet_visit_fn)(const struct gceb_entity *e, void *payload,
				   struct gceb_err *err);

/*
 * Visit, in key order, the entities of @kind under @under (NULL: all; else
 * a template, revision or group whose descendants of @kind are walked)
 * whose key is after @after (NULL: from the first). A key that is not a
 * @kind key (a store written by hand) is skipped.
 */
int gceb_fleet_foreach(struct gceb_txn *txn, enum gceb_kind kind, const struct gceb_ref *under,
		       const char *after, gceb_fleet_visit_fn fn, void *payload,
		       struct gceb_err *err);

/* ---- typed updates (gceb_store_update() underneath) ---- */

typedef int (*gceb_template_update_fn)(Gceb__State__InstanceTemplate **t, void *payload,
				       struct gceb_err *err);
typedef int (*gceb_revision_update_fn)(Gceb__State__Revision **r, void *payload,
				       struct gceb_err *err);
typedef int (*gceb_group_update_fn)(Gceb__State__InstanceGroupManager **g, void *payload,
				    struct gceb_err *err);
typedef int (*gceb_instance_update_fn)(Gceb__State__Instance **in, void *payload,
				       struct gceb_err *err);
typedef int (*gceb_config_update_fn)(Gceb__State__StoredConfig **c, void *payload,
				     struct gceb_err *err);

int gceb_fleet_update_template(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_template_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err);
int gceb_fleet_update_revision(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_revision_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err);
int gceb_fleet_update_group(struct gceb_store *store, const struct gceb_ref *ref,
			    gceb_group_update_fn fn, void *payload, bool *changed,
			    struct gceb_err *err);
/* An instance that changes gets last_updated = gceb_now() (what cleanup's purge delay counts). */
int gceb_fleet_update_instance(struct gceb_store *store, const struct gceb_ref *ref,
			       gceb_instance_update_fn fn, void *payload, bool *changed,
			       struct gceb_err *err);
int gceb_fleet_update_config(struct gceb_store *store, gceb_config_update_fn fn, void *payload,
			     bool *changed, struct gceb_err *err);

/* Typed writes and deletes in an open write transaction; instances are stamped as above. */
int gceb_fleet_put_template(struct gceb_txn *txn, const struct gceb_ref *ref,
			    const Gceb__State__InstanceTemplate *t, struct gceb_err *err);
int gceb_fleet_put_revision(struct gceb_txn *txn, const struct gceb_ref *ref,
			    const Gceb__State__Revision *r, struct gceb_err *err);
int gceb_fleet_put_group(struct gceb_txn *txn, const struct gceb_ref *ref,
			 const Gceb__State__InstanceGroupManager *g, struct gceb_err *err);
int gceb_fleet_put_instance(struct gceb_txn *txn, const struct gceb_ref *ref,
			    Gceb__State__Instance *in, struct gceb_err *err);
/* GCEB_ENOTFOUND (without touching @err) if absent. */
int gceb_fleet_del(struct gceb_txn *txn, const struct gceb_ref *ref, struct gceb_err *err);

/* ---- states ---- */

enum gceb_group_state {
	GCEB_GROUP_ACTIVE,
	GCEB_GROUP_DRAINED,
	GCEB_GROUP_ORPHAN,
	GCEB_GROUP_UNREFERENCED,
};

/* "active", "drained", "orphan", "unreferenced": the words of gceb-status. */
const char *gceb_group_state_name(enum gceb_group_state s);

/*
 * The state of group @group (the rule at the top of this file), as @txn
 * sees T and R; the group entity itself need not exist. *@revision (if not
 * NULL) gets R, or NULL if it does not exist: the caller frees it.
 */
int gceb_fleet_group_state(struct gceb_txn *txn, const struct gceb_ref *group,
			   enum gceb_group_state *state, Gceb__State__Revision **revision,
			   struct gceb_err *err);

/*
 * The template and revision a walk decided the last group state on: groups
 * (and their instances) come in key order, so a revision's groups come one
 * after another, and T and R are read once for all of them, in the walk's
 * transaction of the time (each item re-reads what it acts on).
 */
struct gceb_state_memo {
	struct gceb_ref rev;                 /* kind 0 before the first */
	Gceb__State__InstanceTemplate *tmpl; /* NULL: it does not exist */
	Gceb__State__Revision *revision;     /* likewise */
};

/* gceb_fleet_group_state() through @m; R stays @m's (gceb_state_memo_revision()). */
int gceb_state_memo_group(struct gceb_state_memo *m, struct gceb_txn *txn,
			  const struct gceb_ref *group, enum gceb_group_state *state,
			  struct gceb_err *err);
/* The revision of the last group asked about, or NULL if it does not exist. */
const Gceb__State__Revision *gceb_state_memo_revision(const struct gceb_state_memo *m);
void gceb_state_memo_release(struct gceb_state_memo *m);

/*
 * Whether any group can be DRAINED: a revision lists a drained group, or is
 * drained and lists an active one. 1 or 0, or an error. Read from the
 * templates and revisions only, so that a drain job with nothing to drain
 * reads no group (each lists all its instances). In a read transaction of
 * its own.
 */
int gceb_fleet_any_drained(struct gceb_store *store, struct gceb_err *err);

/*
 * The state of revision @rev: ACTIVE (T.active), DRAINED (in T.drained),
 * ORPHAN (T does not exist) or UNREFERENCED.
 */
int gceb_fleet_revision_state(struct gceb_txn *txn, const struct gceb_ref *rev,
			      enum gceb_group_state *state, struct gceb_err *err);

/*
 * The group a walk over instances read last. Instance keys start with their
 * group's, so a walk in key order meets a group's instances one after
 * another: the group, and its state, are read once for all of them.
 */
struct gceb_group_memo {
	struct gceb_ref ref;                      /* kind 0 before the first */
	Gceb__State__InstanceGroupManager *group; /* NULL: it does not exist */
	enum gceb_group_state state;
	struct gceb_state_memo states; /* T and R, kept across groups of one revision */
};

/* Make @m hold the group of instance (or group) @ref as @txn sees it, reading only on a change. */
int gceb_group_memo_load(struct gceb_group_memo *m, struct gceb_txn *txn,
			 const struct gceb_ref *ref, struct gceb_err *err);
/* Whether the group @m holds lists instance @instance among its members. */
bool gceb_group_memo_lists(const struct gceb_group_memo *m, const struct gceb_ref *instance);
/*
 * 1 if the group of instance @instance is in @state and lists it among its
 * members, 0 if not, or a read's error: the question catalog-instances
 * (active) and remove-cataloged-instances (drained) ask of each instance.
 */
int gceb_group_memo_member(struct gceb_group_memo *m, struct gceb_txn *txn,
			   const struct gceb_ref *instance, enum gceb_group_state state,
			   struct gceb_err *err);
void gceb_group_memo_release(struct gceb_group_memo *m);

/* ---- instance marks, as update callbacks (payload unused) ---- */

/*
 * Mark for deletion: if not already pending deletion, set pending_deletion
 * and clear the lease. cataloged is left as it is.
 */
int gceb_mark_for_deletion(Gceb__State__Instance **in, void *payload, struct gceb_err *err);
/* Set deleted, only for an instance pending deletion. */
int gceb_mark_deleted_pending(Gceb__State__Instance **in, void *payload, struct gceb_err *err);
/* Set deleted whatever else is true. */
int gceb_mark_deleted(Gceb__State__Instance **in, void *payload, struct gceb_err *err);
/* Set cataloged. */
int gceb_mark_cataloged(Gceb__State__Instance **in, void *payload, struct gceb_err *err);

#endif
