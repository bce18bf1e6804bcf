/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fleet.c - the fleet layer: references and keys, GCE names, typed
 * reads that tell absent from failed, the four group states, the
 * last_updated stamp, the group memo and the instance marks
 */
#define _XOPEN_SOURCE 700 /* nftw; NOLINT(bugprone-reserved-identifier) */

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet.h"
#include "runner.h"

#define R1 "0123456789abcdef0123456789abcdef01234567"
#define R2 "89abcdef0123456789abcdef0123456789abcdef"

/* Entities built on the stack point at literals; the store only reads them. */
#define S(literal) ((char *)(literal))

struct fixture {
	char dir[64];
	struct gceb_store *store;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/gceb-test-fleet-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(gceb_store_open(f->dir, 16u << 20, 0, &f->store, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gceb_store_close(f->store);
	(void)nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct gceb_ref ref(enum gceb_kind kind, const char *key)
{
	struct gceb_ref r;

	assert_int_equal(gceb_ref_parse(&r, kind, key, NULL), 0);
	return r;
}

/* ---- references ---- */

static void refs_parse_and_format_keys(void **state)
{
	struct gceb_ref r = ref(GCEB_KIND_INSTANCE, "web " R1 " us-a web-x9k2"), up;
	gceb_key key;

	(void)state;
	assert_string_equal(r.base, "web");
	assert_string_equal(r.rev, R1);
	assert_string_equal(r.zone, "us-a");
	assert_string_equal(r.name, "web-x9k2");
	assert_string_equal(gceb_ref_key(&r, key), "web " R1 " us-a web-x9k2");
	up = gceb_ref_up(&r, GCEB_KIND_IGM);
	assert_string_equal(gceb_ref_key(&up, key), "web " R1 " us-a");
	up = gceb_ref_up(&r, GCEB_KIND_REVISION);
	assert_string_equal(gceb_ref_key(&up, key), "web " R1);
	up = gceb_ref_up(&r, GCEB_KIND_TEMPLATE);
	assert_string_equal(gceb_ref_key(&up, key), "web");
	assert_string_equal(up.zone, "");
	/* Going down adds one part, checked. */
	assert_int_equal(gceb_ref_down(&up, &up, R1, NULL), 0);
	assert_true(up.kind == GCEB_KIND_REVISION);
	assert_int_equal(gceb_ref_down(&up, &up, "us-a", NULL), 0);
	assert_true(gceb_ref_equal(&up, &(struct gceb_ref){ 0 }) == false);
	assert_true(gceb_ref_equal(
		&up, &(const struct gceb_ref){
			     .kind = GCEB_KIND_IGM, .base = "web", .rev = R1, .zone = "us-a" }));
	assert_int_equal(gceb_ref_down(&r, &up, "a b", NULL), GCEB_EPARSE);
	assert_int_equal(gceb_ref_down(&r, &up, "", NULL), GCEB_EPARSE);
}

static void refs_refuse_what_is_not_a_key(void **state)
{
	static const struct {
		enum gceb_kind kind;
		const char *key;
	} bad[] = {
		{ GCEB_KIND_TEMPLATE, "" },
		{ GCEB_KIND_TEMPLATE, "a b" },  /* one part too many */
		{ GCEB_KIND_REVISION, "a" },    /* one too few */
		{ GCEB_KIND_REVISION, "a  b" }, /* an empty part */
		{ GCEB_KIND_REVISION, "a b " },
		{ GCEB_KIND_REVISION, " a b" },
		{ GCEB_KIND_IGM, "a b c d" },
		{ GCEB_KIND_CONFIG, "current" }, /* not an entity of the fleet */
		/* 64 characters: longer than any GCE name */
		{ GCEB_KIND_TEMPLATE,
		  "a123456789012345678901234567890123456789012345678901234567890123" },
	};
	struct gceb_err err = { 0 };
	struct gceb_ref r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gceb_ref_parse(&r, bad[i].kind, bad[i].key, &err) != GCEB_EPARSE)
			fail_msg("'%s' parsed as a %d key", bad[i].key, bad[i].kind);
		assert_true(r.kind == 0);
	}
	assert_string_equal(err.msg,
			    "'a123456789012345678901234567890123456789012345678901234567890123"
			    "' is not a template key");
}

/* ---- GCE names ---- */

static void names_are_made_and_checked_in_one_place(void **state)
{
	struct gceb_ref g = ref(GCEB_KIND_IGM, "web " R1 " us-central1-a");
	struct gceb_ref r = gceb_ref_up(&g, GCEB_KIND_REVISION);
	struct gceb_ref i = ref(GCEB_KIND_INSTANCE, "web " R1 " us-central1-a web-01234567-x");
	char name[GCEB_GCE_NAME_MAX + 1];
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_fleet_name(&r, GCEB_NAME_TEMPLATE, name, &err), 0);
	assert_string_equal(name, "web-" R1);
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_GROUP, name, &err), 0);
	assert_string_equal(name, "web-" R1);
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_BASE_INSTANCE, name, &err), 0);
	assert_string_equal(name, "web-01234567-us-central1-a");
	assert_int_equal(gceb_fleet_name(&i, GCEB_NAME_INSTANCE, name, &err), 0);
	assert_string_equal(name, "web-01234567-x");
	/* The wrong kind is a bug of the caller. */
	assert_int_equal(gceb_fleet_name(&r, GCEB_NAME_GROUP, name, &err), GCEB_EBUG);
}

static void names_refuse_what_gce_would(void **state)
{
	char name[GCEB_GCE_NAME_MAX + 1], base[64];
	struct gceb_err err = { 0 };
	struct gceb_ref g;

	(void)state;
	/* Not 40 hex digits. */
	g = ref(GCEB_KIND_IGM, "web r1 z");
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_GROUP, name, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "revision 'r1' is not 40 hex digits");
	assert_string_equal(name, "");
	g = ref(GCEB_KIND_IGM, "web "
			       "0123456789ABCDEF0123456789abcdef01234567"
			       " z");
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_GROUP, name, &err), GCEB_EPARSE);
	/* Not an RFC 1035 name. */
	g = ref(GCEB_KIND_IGM, "Web " R1 " z");
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_GROUP, name, &err), GCEB_EPARSE);
	/* 23 + 1 + 40 = 64 characters: too long. */
	(void)snprintf(base, sizeof(base), "%s", "abcdefghijklmnopqrstuvw");
	g = ref(GCEB_KIND_TEMPLATE, base);
	assert_int_equal(gceb_ref_down(&g, &g, R1, NULL), 0);
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_TEMPLATE, name, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "'abcdefghijklmnopqrstuvw " R1
				     "' does not make a valid GCE name of at most 63 characters");
	/* A base instance name has at most 58: 9 + 8 + 2 + 40. */
	g = ref(GCEB_KIND_IGM, "abcdefghi " R1 " 0123456789012345678901234567890123456789");
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_BASE_INSTANCE, name, &err), GCEB_EPARSE);
	g = ref(GCEB_KIND_IGM, "abcdefgh " R1 " z123456789012345678901234567890123456789");
	assert_int_equal(gceb_fleet_name(&g, GCEB_NAME_BASE_INSTANCE, name, &err), 0);
	assert_int_equal(strlen(name), GCEB_GCE_BASE_NAME_MAX);
}

/* ---- the store, typed ---- */

static void put_template(struct fixture *f, const char *base, const char *active, char **drained,
			 size_t n_drained)
{
	Gceb__State__InstanceTemplate t = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_ref r = ref(GCEB_KIND_TEMPLATE, base);
	struct gceb_txn *txn = NULL;

	t.active = (char *)active;
	t.drained = drained;
	t.n_drained = n_drained;
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_put_template(txn, &r, &t, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
}

static void put_revision(struct fixture *f, const char *key, char **active, size_t n_active,
			 char **drained, size_t n_drained)
{
	Gceb__State__Revision rev = GCEB__STATE__REVISION__INIT;
	struct gceb_ref r = ref(GCEB_KIND_REVISION, key);
	struct gceb_txn *txn = NULL;

	rev.active = active;
	rev.n_active = n_active;
	rev.drained = drained;
	rev.n_drained = n_drained;
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_put_revision(txn, &r, &rev, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
}

static enum gceb_group_state state_of(struct fixture *f, const char *key)
{
	struct gceb_ref g = ref(GCEB_KIND_IGM, key);
	enum gceb_group_state s = GCEB_GROUP_ACTIVE;
	Gceb__State__Revision *r = NULL;
	struct gceb_txn *txn = NULL;

	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_group_state(txn, &g, &s, &r, NULL), 0);
	gceb_txn_abort(&txn);
	/* The revision read for the decision is handed over, or NULL if there is none. */
	assert_true((r == NULL) == (s == GCEB_GROUP_ORPHAN && strstr(key, "orphan-rev") != NULL));
	gceb_entity_free(r);
	return s;
}

/*
 * T "a": active a R1 (groups z1 active, z2 explicitly drained), drained
 * a R2 (z1 implicitly drained); a R3 is neither (unreferenced); "b R1"
 * has no template; "a orphan-rev" has no revision.
 */
static void group_states_follow_the_rule_of_fleet_h(void **state)
{
	struct fixture *f = *state;
	char *t_drained[] = { S("a " R2) };
	char *r1_active[] = { S("a " R1 " z1") }, *r1_drained[] = { S("a " R1 " z2") };
	char *r2_active[] = { S("a " R2 " z1") };
	char *r3_active[] = { S("a 0000000000000000000000000000000000000000 z1") };
	char *b_drained[] = { S("b " R1 " z1") };

	put_template(f, "a", "a " R1, t_drained, 1);
	put_revision(f, "a " R1, r1_active, 1, r1_drained, 1);
	put_revision(f, "a " R2, r2_active, 1, NULL, 0);
	put_revision(f, "a 0000000000000000000000000000000000000000", r3_active, 1, NULL, 0);
	put_revision(f, "b " R1, NULL, 0, b_drained, 1);

	assert_int_equal(state_of(f, "a " R1 " z1"), GCEB_GROUP_ACTIVE);
	assert_int_equal(state_of(f, "a " R1 " z2"), GCEB_GROUP_DRAINED);
	assert_int_equal(state_of(f, "a " R2 " z1"), GCEB_GROUP_DRAINED);
	assert_int_equal(state_of(f, "a 0000000000000000000000000000000000000000 z1"),
			 GCEB_GROUP_UNREFERENCED);
	/* Listed in neither of its revision's lists. */
	assert_int_equal(state_of(f, "a " R1 " z9"), GCEB_GROUP_UNREFERENCED);
	assert_int_equal(state_of(f, "a " R2 " z9"), GCEB_GROUP_UNREFERENCED);
	/* Orphans: the template or the revision is gone, whatever the lists say. */
	assert_int_equal(state_of(f, "b " R1 " z1"), GCEB_GROUP_ORPHAN);
	assert_int_equal(state_of(f, "a orphan-rev z1"), GCEB_GROUP_ORPHAN);
	assert_string_equal(gceb_group_state_name(GCEB_GROUP_ACTIVE), "active");
	assert_string_equal(gceb_group_state_name(GCEB_GROUP_DRAINED), "drained");
	assert_string_equal(gceb_group_state_name(GCEB_GROUP_ORPHAN), "orphan");
	assert_string_equal(gceb_group_state_name(GCEB_GROUP_UNREFERENCED), "unreferenced");
}

/* The drain jobs skip their walks when no group can be drained. */
static void any_drained_sees_both_ways_of_draining(void **state)
{
	struct fixture *f = *state;
	char *t_drained[] = { S("a " R2) };
	char *r_active[] = { S("a " R2 " z1") }, *r_drained[] = { S("a " R1 " z2") };

	assert_int_equal(gceb_fleet_any_drained(f->store, NULL), 0);
	put_template(f, "a", "a " R1, t_drained, 1);
	put_revision(f, "a " R1, r_active, 1, NULL, 0); /* active: not drained */
	put_revision(f, "a " R2, NULL, 0, NULL, 0);     /* drained, but with no group */
	assert_int_equal(gceb_fleet_any_drained(f->store, NULL), 0);
	put_revision(f, "a " R2, r_active, 1, NULL, 0); /* implicitly drained */
	assert_int_equal(gceb_fleet_any_drained(f->store, NULL), 1);
	put_revision(f, "a " R2, NULL, 0, NULL, 0);
	put_revision(f, "a " R1, r_active, 1, r_drained, 1); /* explicitly drained */
	assert_int_equal(gceb_fleet_any_drained(f->store, NULL), 1);
}

static void revision_states(void **state)
{
	struct fixture *f = *state;
	char *t_drained[] = { S("a " R2) };
	struct gceb_txn *txn = NULL;
	enum gceb_group_state s;
	static const struct {
		const char *key;
		enum gceb_group_state want;
	} cases[] = {
		{ "a " R1, GCEB_GROUP_ACTIVE },
		{ "a " R2, GCEB_GROUP_DRAINED },
		{ "a 0000000000000000000000000000000000000000", GCEB_GROUP_UNREFERENCED },
		{ "b " R1, GCEB_GROUP_ORPHAN },
	};
	size_t i;

	put_template(f, "a", "a " R1, t_drained, 1);
	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gceb_ref r = ref(GCEB_KIND_REVISION, cases[i].key);

		assert_int_equal(gceb_fleet_revision_state(txn, &r, &s, NULL), 0);
		assert_int_equal(s, cases[i].want);
	}
	gceb_txn_abort(&txn);
}

static void reads_tell_absent_from_failed(void **state)
{
	struct fixture *f = *state;
	struct gceb_ref t = ref(GCEB_KIND_TEMPLATE, "a"), g = ref(GCEB_KIND_IGM, "a b c");
	Gceb__State__InstanceTemplate *tmpl = (void *)&t;
	Gceb__State__Revision *r = (void *)&t;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;

	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_get_template(txn, &t, &tmpl, &err), GCEB_ENOTFOUND);
	assert_null(tmpl);
	assert_string_equal(err.msg, ""); /* absent is no error */
	/* Reading a group as a revision is a bug, not an absence. */
	assert_int_equal(gceb_fleet_get_revision(txn, &g, &r, &err), GCEB_EBUG);
	assert_null(r);
	gceb_txn_abort(&txn);
	/* The loaders of their own transaction: 0 and NULL when absent. */
	r = (void *)&t;
	assert_int_equal(gceb_fleet_load_revision(f->store, &(struct gceb_ref){ 0 }, &r, &err),
			 GCEB_EBUG);
	g = ref(GCEB_KIND_REVISION, "a b");
	assert_int_equal(gceb_fleet_load_revision(f->store, &g, &r, &err), 0);
	assert_null(r);
}

/* ---- the last_updated stamp ---- */

static int set_deleted(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	if (!*in)
		return GCEB_UPDATE_KEEP;
	(*in)->has_deleted = true;
	(*in)->deleted = *(const bool *)payload;
	return GCEB_UPDATE_KEEP;
}

static Gceb__State__Instance *get_instance(struct fixture *f, const struct gceb_ref *r)
{
	Gceb__State__Instance *in = NULL;

	assert_int_equal(gceb_fleet_load_instance(f->store, r, &in, NULL), 0);
	assert_non_null(in);
	return in;
}

/* Written with an old stamp, as only the raw store can. */
static void put_raw_instance(struct fixture *f, const char *key, int64_t stamp)
{
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT;
	struct gceb_txn *txn = NULL;

	in.has_deleted = true;
	in.has_last_updated = true;
	in.last_updated = stamp;
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_INSTANCE, key, &in.base, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
}

static void instance_updates_stamp_only_what_changes(void **state)
{
	struct fixture *f = *state;
	struct gceb_ref r = ref(GCEB_KIND_INSTANCE, "b r z i");
	Gceb__State__Instance *got;
	bool deleted = false, changed = true;
	int64_t t0;

	put_raw_instance(f, "b r z i", 1);
	assert_int_equal(
		gceb_fleet_update_instance(f->store, &r, set_deleted, &deleted, &changed, NULL), 0);
	assert_false(changed);
	got = get_instance(f, &r);
	assert_int_equal(got->last_updated, 1);
	gceb_entity_free(got);

	deleted = true;
	t0 = gceb_now();
	assert_int_equal(
		gceb_fleet_update_instance(f->store, &r, set_deleted, &deleted, &changed, NULL), 0);
	assert_true(changed);
	got = get_instance(f, &r);
	assert_true(got->deleted);
	assert_true(got->has_last_updated && got->last_updated >= t0);
	gceb_entity_free(got);
}

static void instance_puts_are_stamped(void **state)
{
	struct fixture *f = *state;
	struct gceb_ref r = ref(GCEB_KIND_INSTANCE, "b r z i");
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *got;
	struct gceb_txn *txn = NULL;
	int64_t t0 = gceb_now(), t1;

	in.has_last_updated = true;
	in.last_updated = 5;
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_put_instance(txn, &r, &in, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
	t1 = gceb_now();
	got = get_instance(f, &r);
	assert_in_range(got->last_updated, t0, t1);
	gceb_entity_free(got);
}

/* An update callback reports its own error: the store returns it as it was set. */
static int refuse(Gceb__State__Instance **in, void *payload, struct gceb_err *err)
{
	return gceb_err_set(err, GCEB_ECONFIG, "no, because %s", (const char *)payload);
}

static void update_callbacks_report_their_own_error(void **state)
{
	struct fixture *f = *state;
	struct gceb_ref r = ref(GCEB_KIND_INSTANCE, "b r z i");
	struct gceb_err err = { 0 };

	assert_int_equal(
		gceb_fleet_update_instance(f->store, &r, refuse, S("of the test"), NULL, &err),
		GCEB_ECONFIG);
	assert_string_equal(err.msg, "no, because of the test");
}

/* ---- the group memo and the marks ---- */

static void memo_reads_each_group_once(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceGroupManager g = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	struct gceb_ref gref = ref(GCEB_KIND_IGM, "a " R1 " z1");
	struct gceb_ref i1 = ref(GCEB_KIND_INSTANCE, "a " R1 " z1 i1");
	struct gceb_ref i2 = ref(GCEB_KIND_INSTANCE, "a " R1 " z1 i2");
	char *members[] = { S("a " R1 " z1 i1") }, *active[] = { S("a " R1 " z1") };
	struct gceb_group_memo m = { 0 };
	struct gceb_txn *txn = NULL;

	put_template(f, "a", "a " R1, NULL, 0);
	put_revision(f, "a " R1, active, 1, NULL, 0);
	g.instances = members;
	g.n_instances = 1;
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_put_group(txn, &gref, &g, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);

	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	assert_int_equal(gceb_group_memo_load(&m, txn, &i1, NULL), 0);
	assert_non_null(m.group);
	assert_int_equal(m.state, GCEB_GROUP_ACTIVE);
	assert_true(gceb_group_memo_lists(&m, &i1));
	assert_false(gceb_group_memo_lists(&m, &i2));
	/* The same group again: not read again (the memo keeps the very message). */
	{
		const Gceb__State__InstanceGroupManager *held = m.group;

		assert_int_equal(gceb_group_memo_load(&m, txn, &i2, NULL), 0);
		assert_ptr_equal(m.group, held);
	}
	/* Another group, which does not exist. */
	i2 = ref(GCEB_KIND_INSTANCE, "a " R1 " z2 i1");
	assert_int_equal(gceb_group_memo_load(&m, txn, &i2, NULL), 0);
	assert_null(m.group);
	assert_int_equal(m.state, GCEB_GROUP_UNREFERENCED);
	assert_false(gceb_group_memo_lists(&m, &i2));
	gceb_txn_abort(&txn);
	gceb_group_memo_release(&m);
}

static void marks(void **state)
{
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *p = &in, *none = NULL;

	(void)state;
	in.has_lease_expiration_ts = true;
	in.lease_expiration_ts = 10;
	in.leased_indefinitely = true;
	assert_int_equal(gceb_mark_deleted_pending(&p, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_false(in.deleted); /* not pending deletion yet */
	assert_int_equal(gceb_mark_for_deletion(&p, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_true(in.pending_deletion);
	assert_false(in.has_lease_expiration_ts || in.leased_indefinitely);
	assert_int_equal(gceb_mark_deleted_pending(&p, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_true(in.deleted);
	assert_int_equal(gceb_mark_cataloged(&p, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_true(in.cataloged);
	/* An instance that is gone stays gone. */
	assert_int_equal(gceb_mark_deleted(&none, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_int_equal(gceb_mark_for_deletion(&none, NULL, NULL), GCEB_UPDATE_KEEP);
	assert_null(none);
}

/* Walks hand out typed entities and skip keys that are not the fleet's. */
static int count(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	assert_non_null(e->tmpl);
	assert_string_equal(e->key, e->ref.base);
	++*(int *)payload;
	return 0;
}

static void walks_skip_foreign_keys(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate t = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_txn *txn = NULL;
	int n = 0;

	put_template(f, "a", NULL, NULL, 0);
	put_template(f, "b", NULL, NULL, 0);
	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "a b", &t.base, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	assert_int_equal(gceb_fleet_foreach(txn, GCEB_KIND_TEMPLATE, NULL, NULL, count, &n, NULL),
			 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(gceb_fleet_foreach(txn, GCEB_KIND_TEMPLATE, NULL, "a b", count, &n, NULL),
			 0);
	assert_int_equal(n, 1); /* "b" only */
	gceb_txn_abort(&txn);
}

#define FLEET_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refs_parse_and_format_keys),
		cmocka_unit_test(refs_refuse_what_is_not_a_key),
		cmocka_unit_test(names_are_made_and_checked_in_one_place),
		cmocka_unit_test(names_refuse_what_gce_would),
		FLEET_TEST(group_states_follow_the_rule_of_fleet_h),
		FLEET_TEST(any_drained_sees_both_ways_of_draining),
		FLEET_TEST(revision_states),
		FLEET_TEST(reads_tell_absent_from_failed),
		FLEET_TEST(instance_updates_stamp_only_what_changes),
		FLEET_TEST(instance_puts_are_stamped),
		FLEET_TEST(update_callbacks_report_their_own_error),
		FLEET_TEST(memo_reads_each_group_once),
		cmocka_unit_test(marks),
		FLEET_TEST(walks_skip_foreign_keys),
	};

	return gceb_test_run("fleet", tests, argc, argv);
}
