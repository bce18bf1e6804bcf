/* SPDX-License-Identifier: Apache-2.0 */
/* test_store.c - the entity store, against a fresh LMDB environment per test */
#define _XOPEN_SOURCE 700 /* nftw; NOLINT(bugprone-reserved-identifier) */

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "runner.h"
#include "state.pb-c.h"
#include "store.h"

#define MAP_SIZE ((size_t)16 * 1024 * 1024)

struct fixture {
	char dir[64]; /* the state dir */
	char db[80];  /* <dir>/db, the LMDB environment */
	struct gceb_store *store;
};

/*
 * libgceb's calls into LMDB go through the dynamic linker, which finds
 * these first: they note what the store asked for and pass it on.
 */
static unsigned env_open_flags;
static int env_forced_syncs;

int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode)
{
	int (*real)(MDB_env *, const char *, unsigned int, mdb_mode_t);

	*(void **)&real = dlsym(RTLD_NEXT, "mdb_env_open");
	env_open_flags = flags;
	return real(env, path, flags, mode);
}

int mdb_env_sync(MDB_env *env, int force)
{
	int (*real)(MDB_env *, int);

	*(void **)&real = dlsym(RTLD_NEXT, "mdb_env_sync");
	env_forced_syncs += force != 0; /* LMDB's own commits may come here unforced */
	return real(env, force);
}

static int store_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/gceb-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	(void)snprintf(f->db, sizeof(f->db), "%s/db", f->dir);
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int store_teardown(void **state)
{
	struct fixture *f = *state;

	gceb_store_close(f->store);
	/* A test may have taken all permissions away; give them back to delete. */
	(void)chmod(f->db, 0700);
	(void)nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void open_store(struct fixture *f, size_t map_size, unsigned flags)
{
	struct gceb_err err = { 0 };

	gceb_store_close(f->store);
	f->store = NULL;
	if (gceb_store_open(f->dir, map_size, flags, &f->store, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(f->store);
}

static void close_store(struct fixture *f)
{
	gceb_store_close(f->store);
	f->store = NULL;
}

/* Write raw bytes with plain LMDB, as another program (or a bad disk) would. */
static void raw_put(const char *db, const char *name, const char *key, const void *val, size_t len)
{
	MDB_val k = { strlen(key), (void *)key }, v = { len, (void *)val };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, MDB_CREATE, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A copy of a raw value with plain LMDB (free it), or NULL if absent. */
static void *raw_get(const char *db, const char *name, const char *key, size_t *len)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	void *copy = NULL;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, db, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == 0) {
		copy = malloc(v.mv_size + 1);
		assert_non_null(copy);
		memcpy(copy, v.mv_data, v.mv_size);
		((char *)copy)[v.mv_size] = '\0';
		*len = v.mv_size;
	} else {
		assert_int_equal(rc, MDB_NOTFOUND);
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return copy;
}

static void assert_schema(const char *db, const char *want)
{
	size_t len = 0;
	char *found = raw_get(db, "meta", "schema", &len);

	assert_non_null(found);
	assert_string_equal(found, want);
	free(found);
}

static void put_one(struct fixture *f, enum gceb_kind kind, const char *key,
		    const ProtobufCMessage *msg)
{
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;

	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_put(txn, kind, key, msg, &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	assert_null(txn);
}

/* Read one entity in its own read transaction; returns the code of get. */
static int get_one(struct fixture *f, enum gceb_kind kind, const char *key, ProtobufCMessage **out,
		   struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	int r;

	assert_int_equal(gceb_store_begin(f->store, false, &txn, err), 0);
	r = gceb_txn_get(txn, kind, key, out, err);
	gceb_txn_abort(&txn);
	return r;
}

static Gceb__State__Instance *get_instance(struct fixture *f, const char *key)
{
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;

	assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, key, &msg, &err), 0);
	return (Gceb__State__Instance *)msg;
}

static void put_then_get_roundtrips_every_kind(void **state)
{
	struct fixture *f = *state;
	Gceb__State__StoredConfig cfg = GCEB__STATE__STORED_CONFIG__INIT;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	Gceb__State__Revision rev = GCEB__STATE__REVISION__INIT;
	Gceb__State__InstanceGroupManager igm = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	char r1[] = "r1", active[] = "web abc", a[] = "a", b[] = "b", url[] = "https://x/i";
	char *tags[] = { a, b };
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	cfg.revision = r1;
	tpl.active = active;
	rev.n_tags = 2;
	rev.tags = tags;
	igm.has_minimum_size = 1;
	igm.minimum_size = 3;
	inst.url = url;
	put_one(f, GCEB_KIND_CONFIG, "current", &cfg.base);
	put_one(f, GCEB_KIND_TEMPLATE, "web", &tpl.base);
	put_one(f, GCEB_KIND_REVISION, "web abc", &rev.base);
	put_one(f, GCEB_KIND_IGM, "web abc z", &igm.base);
	put_one(f, GCEB_KIND_INSTANCE, "web abc z web-abc-1", &inst.base);
	/* Reopening proves the data reached the file. */
	open_store(f, MAP_SIZE, 0);

	assert_int_equal(get_one(f, GCEB_KIND_CONFIG, "current", &msg, &err), 0);
	assert_ptr_equal(msg->descriptor, gceb_kind_descriptor(GCEB_KIND_CONFIG));
	assert_string_equal(((Gceb__State__StoredConfig *)msg)->revision, "r1");
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web abc");
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_int_equal(get_one(f, GCEB_KIND_REVISION, "web abc", &msg, &err), 0);
	assert_int_equal(((Gceb__State__Revision *)msg)->n_tags, 2);
	assert_string_equal(((Gceb__State__Revision *)msg)->tags[1], "b");
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_int_equal(get_one(f, GCEB_KIND_IGM, "web abc z", &msg, &err), 0);
	assert_int_equal(((Gceb__State__InstanceGroupManager *)msg)->minimum_size, 3);
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, "web abc z web-abc-1", &msg, &err), 0);
	assert_string_equal(((Gceb__State__Instance *)msg)->url, "https://x/i");
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_string_equal(gceb_kind_name(GCEB_KIND_IGM), "igms");
	assert_int_equal(err.code, 0);
}

static void get_missing_is_enotfound_without_message(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "nope", &msg, &err), GCEB_ENOTFOUND);
	assert_null(msg);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

static void del_removes_and_missing_is_enotfound(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	put_one(f, GCEB_KIND_TEMPLATE, "web", &tpl.base); /* an empty message: zero bytes */
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);

	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_TEMPLATE, "web", &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_TEMPLATE, "web", &err), GCEB_ENOTFOUND);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), GCEB_ENOTFOUND);
	assert_int_equal(err.code, 0);
}

struct visits {
	char keys[8][64];
	size_t n;
	int stop_after; /* 0: never stop */
};

static int record_visit(const char *key, const ProtobufCMessage *msg, void *payload,
			struct gceb_err *err)
{
	struct visits *v = payload;

	assert_ptr_equal(msg->descriptor, gceb_kind_descriptor(GCEB_KIND_INSTANCE));
	assert_true(v->n < 8);
	(void)snprintf(v->keys[v->n], sizeof(v->keys[0]), "%s", key);
	v->n++;
	return v->stop_after != 0 && (int)v->n == v->stop_after ? 42 : 0;
}

static void foreach_walks_prefix_in_key_order_and_stops(void **state)
{
	static const char *const keys[] = { "b r z i3", "b r z i1", "b r z2 i2", "b2 r z i1",
					    "a r z i" };
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	struct visits v = { 0 };
	size_t i;

	open_store(f, MAP_SIZE, 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_one(f, GCEB_KIND_INSTANCE, keys[i], &inst.base);
	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);

	assert_int_equal(
		gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, "b r z ", record_visit, &v, &err), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.keys[0], "b r z i1");
	assert_string_equal(v.keys[1], "b r z i3");

	memset(&v, 0, sizeof(v));
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, NULL, record_visit, &v, &err),
			 0);
	assert_int_equal(v.n, 5);
	assert_string_equal(v.keys[0], "a r z i");
	assert_string_equal(v.keys[4], "b2 r z i1");

	memset(&v, 0, sizeof(v));
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, "", record_visit, &v, &err), 0);
	assert_int_equal(v.n, 5);

	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, "b", record_visit, &v, &err),
			 42);
	assert_int_equal(v.n, 2);

	memset(&v, 0, sizeof(v));
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, "c", record_visit, &v, &err), 0);
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_IGM, NULL, record_visit, &v, &err), 0);
	assert_int_equal(v.n, 0);
	gceb_txn_abort(&txn);
}

/* Walk @prefix from after @after in a read transaction of its own; "" in @want ends it. */
static void walk_after(struct fixture *f, const char *prefix, const char *after, int stop_after,
		       const char *const *want)
{
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	struct visits v = { .stop_after = stop_after };
	size_t i;

	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);
	assert_int_equal(gceb_txn_foreach_after(txn, GCEB_KIND_INSTANCE, prefix, after,
						record_visit, &v, &err),
			 stop_after ? 42 : 0);
	gceb_txn_abort(&txn);
	for (i = 0; want[i][0]; i++) {
		assert_true(i < v.n);
		assert_string_equal(v.keys[i], want[i]);
	}
	assert_int_equal(v.n, i);
}

static void foreach_after_starts_past_the_key_within_the_prefix(void **state)
{
	static const char *const keys[] = { "b r z i3", "b r z i1", "b r z2 i2", "b2 r z i1",
					    "a r z i" };
	static const char *const all[] = { "a r z i",   "b r z i1",  "b r z i3",
					   "b r z2 i2", "b2 r z i1", "" };
	static const char *const none[] = { "" };
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	size_t i;

	open_store(f, MAP_SIZE, 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_one(f, GCEB_KIND_INSTANCE, keys[i], &inst.base);

	walk_after(f, NULL, NULL, 0, all);
	walk_after(f, NULL, "0", 0, all);            /* before every key */
	walk_after(f, NULL, "a r z i", 0, all + 1);  /* at a key: not that key again */
	walk_after(f, NULL, "b r z i2", 0, all + 2); /* between keys */
	walk_after(f, NULL, "b r z", 0, all + 1);    /* a prefix of the next key */
	walk_after(f, "", "b2 r z i1", 0, none);     /* at the last key */
	walk_after(f, NULL, "c", 0, none);           /* after every key */
	walk_after(f, NULL, "b r z i1", 2, (const char *const[]){ "b r z i3", "b r z2 i2", "" });

	/* The prefix bounds both ends, whichever of it and the key starts later. */
	walk_after(f, "b r z ", NULL, 0, (const char *const[]){ "b r z i1", "b r z i3", "" });
	walk_after(f, "b r z ", "a", 0, (const char *const[]){ "b r z i1", "b r z i3", "" });
	walk_after(f, "b r z ", "b r z ", 0, (const char *const[]){ "b r z i1", "b r z i3", "" });
	walk_after(f, "b r z ", "b r z i1", 0, (const char *const[]){ "b r z i3", "" });
	walk_after(f, "b r z ", "b r z i3", 0, none);
	walk_after(f, "b r z ", "b r z2", 0, none);
	walk_after(f, "b", "b r z2 i2", 0, (const char *const[]){ "b2 r z i1", "" });
}

/* A walk in chunks of two, with the store changed between chunks. */
static void foreach_after_survives_changes_between_calls(void **state)
{
	static const char *const keys[] = { "k1", "k2", "k3", "k4", "k5", "k6", "k7" };
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	size_t i;

	open_store(f, MAP_SIZE, 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_one(f, GCEB_KIND_INSTANCE, keys[i], &inst.base);

	walk_after(f, NULL, NULL, 2, (const char *const[]){ "k1", "k2", "" });
	/* The key the walk stopped at goes, and the one after it. */
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_INSTANCE, "k2", &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_INSTANCE, "k3", &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	walk_after(f, NULL, "k2", 2, (const char *const[]){ "k4", "k5", "" });
	/* Added behind the walk: not seen; ahead of it: seen. */
	put_one(f, GCEB_KIND_INSTANCE, "k0", &inst.base);
	put_one(f, GCEB_KIND_INSTANCE, "k55", &inst.base);
	put_one(f, GCEB_KIND_INSTANCE, "k8", &inst.base);
	walk_after(f, NULL, "k5", 2, (const char *const[]){ "k55", "k6", "" });
	/* The last key goes: the walk ends where it would have. */
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_INSTANCE, "k8", &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	walk_after(f, NULL, "k6", 0, (const char *const[]){ "k7", "" });
	walk_after(f, NULL, "k7", 0, (const char *const[]){ "" });
}

struct set_active {
	const char *active; /* the value to set; NULL leaves the message alone */
	int ret;            /* what the callback returns */
};

/* Always replaces the string, even with an equal one: "changed" is about bytes. */
static int set_active_fn(ProtobufCMessage **msg, void *payload, struct gceb_err *err)
{
	struct set_active *p = payload;
	Gceb__State__InstanceTemplate *t = (Gceb__State__InstanceTemplate *)*msg;

	if (p->ret != GCEB_UPDATE_KEEP)
		return p->ret;
	if (!p->active)
		return GCEB_UPDATE_KEEP;
	if (!t) {
		t = malloc(sizeof(*t));
		assert_non_null(t);
		gceb__state__instance_template__init(t);
		*msg = &t->base;
	}
	free(t->active);
	t->active = strdup(p->active);
	return GCEB_UPDATE_KEEP;
}

static void update(struct fixture *f, struct set_active *p, int want_r, bool want_changed)
{
	struct gceb_err err = { 0 };
	bool changed = !want_changed;

	assert_int_equal(gceb_store_update(f->store, GCEB_KIND_TEMPLATE, "web", set_active_fn, p,
					   &changed, &err),
			 want_r);
	if (want_r == 0)
		assert_int_equal(changed, want_changed);
}

static void update_writes_only_what_changed(void **state)
{
	struct fixture *f = *state;
	struct set_active p = { .active = "web r1" };
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	update(f, &p, 0, true);  /* created */
	update(f, &p, 0, false); /* same bytes */
	p.active = NULL;
	update(f, &p, 0, false); /* untouched */
	p.active = "web r2";
	update(f, &p, 0, true);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web r2");
	protobuf_c_message_free_unpacked(msg, NULL);

	/* A failing callback is returned as is and nothing is written. */
	p = (struct set_active){ .ret = GCEB_ECONFIG };
	update(f, &p, GCEB_ECONFIG, false);

	p = (struct set_active){ .ret = GCEB_UPDATE_DELETE };
	update(f, &p, 0, true);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), GCEB_ENOTFOUND);
	update(f, &p, 0, false); /* already gone */
	p = (struct set_active){ 0 };
	update(f, &p, 0, false); /* absent and left absent */
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), GCEB_ENOTFOUND);
}

/* The store writes an Instance as it is given: lib/fleet.h stamps last_updated. */
static void instance_put_writes_as_given(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	Gceb__State__Instance *got;

	open_store(f, MAP_SIZE, 0);
	inst.has_last_updated = 1;
	inst.last_updated = 5;
	put_one(f, GCEB_KIND_INSTANCE, "b r z i", &inst.base);
	got = get_instance(f, "b r z i");
	assert_int_equal(got->last_updated, 5);
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static int set_deleted_fn(ProtobufCMessage **msg, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *i = (Gceb__State__Instance *)*msg;

	i->has_deleted = 1;
	i->deleted = *(const bool *)payload;
	return GCEB_UPDATE_KEEP;
}

static void keys_are_1_to_511_bytes(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	char key[GCEB_STORE_MAX_KEY + 2];
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	struct visits v = { 0 };
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	key[GCEB_STORE_MAX_KEY] = '\0'; /* 511 bytes */
	put_one(f, GCEB_KIND_TEMPLATE, key, &tpl.base);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, key, &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);

	key[GCEB_STORE_MAX_KEY] = 'k'; /* 512 bytes */
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_TEMPLATE, key, &tpl.base, &err), GCEB_EUSAGE);
	assert_non_null(strstr(err.msg, "512"));
	assert_int_equal(gceb_txn_get(txn, GCEB_KIND_TEMPLATE, key, &msg, &err), GCEB_EUSAGE);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_TEMPLATE, key, &err), GCEB_EUSAGE);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "", &tpl.base, &err), GCEB_EUSAGE);
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_TEMPLATE, key, record_visit, &v, &err),
			 GCEB_EUSAGE);
	gceb_txn_abort(&txn);
}

static void map_full_names_the_setting(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	char url[4000], key[32];
	int i, r = 0;

	open_store(f, (size_t)64 * 1024, 0);
	memset(url, 'u', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	inst.url = url;
	/* LMDB may notice at the put or at the commit; both must read the same. */
	for (i = 0; i < 64 && r == 0; i++) {
		(void)snprintf(key, sizeof(key), "b r z i%d", i);
		assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
		r = gceb_txn_put(txn, GCEB_KIND_INSTANCE, key, &inst.base, &err);
		if (r == 0)
			r = gceb_txn_commit(&txn, &err);
		gceb_txn_abort(&txn);
	}
	assert_int_equal(r, GCEB_ESTORE);
	assert_null(txn);
	assert_non_null(strstr(err.msg, "is full (map size 64 KiB)"));
	assert_non_null(strstr(err.msg, "store_map_size_mib"));
	assert_non_null(strstr(err.msg, f->db));
}

static void open_fails(struct fixture *f, const char *dir, unsigned flags, int want,
		       const char *want_text)
{
	struct gceb_store *store = NULL;
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_store_open(dir, MAP_SIZE, flags, &store, &err), want);
	assert_null(store);
	assert_int_equal(err.code, want);
	if (!strstr(err.msg, want_text))
		fail_msg("message '%s' lacks '%s'", err.msg, want_text);
}

static void other_schema_is_estore(void **state)
{
	struct fixture *f = *state;

	open_store(f, MAP_SIZE, 0);
	close_store(f);
	raw_put(f->db, "meta", "schema", "gceb-store 9\x01", 13);
	open_fails(f, f->dir, 0, GCEB_ESTORE, "(found 'gceb-store 9?', expected 'gceb-store 2')");
	open_fails(f, f->dir, GCEB_STORE_READONLY, GCEB_ESTORE, "written by another program");
}

static void lmdb_of_another_program_is_estore(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkdir(f->db, 0700), 0);
	raw_put(f->db, NULL, "hello", "world", 5);
	open_fails(f, f->dir, 0, GCEB_ESTORE, "(found no schema, expected 'gceb-store 2')");
	open_fails(f, f->dir, GCEB_STORE_READONLY, GCEB_ESTORE, f->db);
}

static void garbage_file_is_estore(void **state)
{
	struct fixture *f = *state;
	char path[128], buf[65536], back[sizeof(buf)];
	FILE *fp;

	assert_int_equal(mkdir(f->db, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/data.mdb", f->db);
	memset(buf, 0xab, sizeof(buf));
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), fp), sizeof(buf));
	assert_int_equal(fclose(fp), 0);

	open_fails(f, f->dir, 0, GCEB_ESTORE, f->db);
	open_fails(f, f->dir, 0, GCEB_ESTORE, "not an LMDB file");
	open_fails(f, f->dir, GCEB_STORE_READONLY, GCEB_ESTORE, "not an LMDB file");

	/* Not one byte of someone else's file was changed. */
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
	assert_int_equal(fclose(fp), 0);
	assert_memory_equal(buf, back, sizeof(buf));
}

static void state_dir_or_db_that_is_a_file_fails(void **state)
{
	struct fixture *f = *state;
	char file[128];
	FILE *fp;

	(void)snprintf(file, sizeof(file), "%s/plain", f->dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	assert_int_equal(fclose(fp), 0);
	open_fails(f, file, 0, GCEB_EIO, "Not a directory");
	open_fails(f, file, 0, GCEB_EIO, file);
	open_fails(f, file, GCEB_STORE_READONLY, GCEB_EIO, file);

	fp = fopen(f->db, "w");
	assert_non_null(fp);
	assert_int_equal(fclose(fp), 0);
	open_fails(f, f->dir, 0, GCEB_ESTORE, "is not a directory");
	open_fails(f, f->dir, GCEB_STORE_READONLY, GCEB_ESTORE, f->db);
}

/* Root reads any directory, so this can only be checked as another user. */
static void unreadable_store_dir_is_eio(void **state)
{
	struct fixture *f = *state;

	if (geteuid() == 0)
		skip();
	assert_int_equal(mkdir(f->db, 0000), 0);
	open_fails(f, f->dir, 0, GCEB_EIO, "Permission denied");
	open_fails(f, f->dir, 0, GCEB_EIO, f->db);
}

static void readonly_missing_store_is_enotfound(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;
	struct stat st;

	open_fails(f, f->dir, GCEB_STORE_READONLY, GCEB_ENOTFOUND, "does not exist");
	assert_int_equal(stat(f->db, &st), -1); /* nothing was created */

	/* A store that exists opens read-only and reads. */
	open_store(f, MAP_SIZE, 0);
	put_one(f, GCEB_KIND_TEMPLATE, "web", &tpl.base);
	open_store(f, MAP_SIZE, GCEB_STORE_READONLY);
	assert_int_equal(gceb_store_flags(f->store), GCEB_STORE_READONLY);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);
}

static void dry_run_never_persists(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct set_active p = { .active = "web r1" };
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	put_one(f, GCEB_KIND_TEMPLATE, "kept", &tpl.base);
	open_store(f, MAP_SIZE, GCEB_STORE_DRY_RUN);

	put_one(f, GCEB_KIND_TEMPLATE, "new", &tpl.base); /* commit returns 0 */
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "new", &msg, &err), GCEB_ENOTFOUND);
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_TEMPLATE, "kept", &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	assert_null(txn);
	update(f, &p, 0, true); /* reports what would change */
	update(f, &p, 0, true); /* and, since nothing was written, still would */

	open_store(f, MAP_SIZE, 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "kept", &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), GCEB_ENOTFOUND);
}

static int count_visit(const char *key, const ProtobufCMessage *msg, void *payload,
		       struct gceb_err *err)
{
	(*(int *)payload)++;
	return 0;
}

static void damaged_value_is_eparse(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;
	int visits = 0;
	bool deleted = true;

	open_store(f, MAP_SIZE, 0);
	put_one(f, GCEB_KIND_INSTANCE, "a", &inst.base);
	close_store(f);
	/* Field 1, length 127, and no bytes: protobuf-c must refuse it. */
	raw_put(f->db, "instances", "b", "\x0a\x7f", 2);
	open_store(f, MAP_SIZE, 0);

	assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, "b", &msg, &err), GCEB_EPARSE);
	assert_null(msg);
	assert_string_equal(err.msg, "stored instance 'b' is damaged");

	memset(&err, 0, sizeof(err));
	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);
	assert_int_equal(
		gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, NULL, count_visit, &visits, &err),
		GCEB_EPARSE);
	assert_int_equal(visits, 1); /* "a" came first */
	assert_string_equal(err.msg, "stored instance 'b' is damaged");
	gceb_txn_abort(&txn);

	assert_int_equal(gceb_store_update(f->store, GCEB_KIND_INSTANCE, "b", set_deleted_fn,
					   &deleted, NULL, &err),
			 GCEB_EPARSE);
}

/*
 * Found by fuzz_store (tests/fuzz/corpus/fuzz_store/field-zero-overlong-tag):
 * protobuf-c takes field number 0 with an overlong tag, then packs a value
 * it cannot read back. The store must call such a value damaged.
 */
static void field_zero_is_damaged(void **state)
{
	static const struct {
		const char *key;
		const char *val;
		size_t len;
	} cases[] = {
		{ "top", "\x80\x00\x6e", 3 },              /* field 0, varint 110 */
		{ "nested", "\x52\x03\x80\x00\x6e", 5 },   /* the same in active_metadata_update */
		{ "repeated", "\x5a\x03\x80\x00\x6e", 5 }, /* and in pending_metadata_updates */
	};
	struct fixture *f = *state;
	ProtobufCMessage *msg = NULL;
	struct gceb_err err = { 0 };
	char want[64];
	size_t i;

	open_store(f, MAP_SIZE, 0);
	close_store(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		raw_put(f->db, "instances", cases[i].key, cases[i].val, cases[i].len);
	open_store(f, MAP_SIZE, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, cases[i].key, &msg, &err),
				 GCEB_EPARSE);
		assert_null(msg);
		(void)snprintf(want, sizeof(want), "stored instance '%s' is damaged", cases[i].key);
		assert_string_equal(err.msg, want);
	}
}

#define PREFIX "https://compute.googleapis.com/compute/v1/projects/p"
#define IGM    "web 0123abcd us-central1-a"
#define KEY    IGM " web-0123abcd-x9k2"
#define URL    PREFIX "/zones/us-central1-a/instances/web-0123abcd-x9k2"

/* Checks an Instance as every caller must see it, in each kind of read. */
static void assert_full_instance(const Gceb__State__Instance *inst)
{
	assert_string_equal(inst->instance_group_manager, IGM);
	assert_string_equal(inst->url, URL);
	assert_false(inst->has_igm_from_key);
	assert_null(inst->url_prefix);
}

static int full_instance_visit(const char *key, const ProtobufCMessage *msg, void *payload,
			       struct gceb_err *err)
{
	assert_full_instance((const Gceb__State__Instance *)(const void *)msg);
	(*(int *)payload)++;
	return 0;
}

static int full_instance_update(ProtobufCMessage **msg, void *payload, struct gceb_err *err)
{
	assert_full_instance((const Gceb__State__Instance *)(const void *)*msg);
	return GCEB_UPDATE_KEEP;
}

static int full_igm_visit(const char *key, const ProtobufCMessage *msg, void *payload,
			  struct gceb_err *err)
{
	const Gceb__State__InstanceGroupManager *igm = (const void *)msg;

	assert_int_equal(igm->n_instances, 2);
	assert_string_equal(igm->instances[0], KEY);
	assert_string_equal(igm->instances[1], "web 0123abcd us-central1-b web-0123abcd-b");
	assert_false(igm->has_instances_by_name);
	(*(int *)payload)++;
	return 0;
}

static void instances_and_groups_are_stored_compact_and_read_whole(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT, *got, *raw;
	Gceb__State__InstanceGroupManager igm = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT, *raw_igm;
	char group[] = IGM, url[] = URL, own[] = KEY,
	     other[] = "web 0123abcd us-central1-b web-0123abcd-b";
	char *list[] = { own, other };
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	bool changed = true;
	size_t len = 0, full;
	int visits = 0;
	void *bytes;

	open_store(f, MAP_SIZE, 0);
	inst.instance_group_manager = group;
	inst.url = url;
	inst.has_last_updated = 1; /* as the store will stamp it */
	inst.last_updated = gceb_now();
	full = gceb__state__instance__get_packed_size(&inst);
	put_one(f, GCEB_KIND_INSTANCE, KEY, &inst.base);
	igm.n_instances = 2;
	igm.instances = list;
	put_one(f, GCEB_KIND_IGM, IGM, &igm.base);
	close_store(f);

	bytes = raw_get(f->db, "instances", KEY, &len);
	assert_non_null(bytes);
	assert_true(len + strlen(IGM) + strlen(URL) - strlen(PREFIX) <= full);
	raw = gceb__state__instance__unpack(NULL, len, bytes);
	assert_non_null(raw);
	assert_null(raw->instance_group_manager);
	assert_null(raw->url);
	assert_string_equal(raw->url_prefix, PREFIX);
	gceb__state__instance__free_unpacked(raw, NULL);
	free(bytes);
	bytes = raw_get(f->db, "igms", IGM, &len);
	assert_non_null(bytes);
	raw_igm = gceb__state__instance_group_manager__unpack(NULL, len, bytes);
	assert_non_null(raw_igm);
	assert_string_equal(raw_igm->instances[0], "web-0123abcd-x9k2");
	assert_string_equal(raw_igm->instances[1], other);
	gceb__state__instance_group_manager__free_unpacked(raw_igm, NULL);
	free(bytes);

	open_store(f, MAP_SIZE, 0);
	got = get_instance(f, KEY);
	assert_full_instance(got);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);
	assert_int_equal(
		gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, NULL, full_instance_visit, &visits, &err),
		0);
	assert_int_equal(gceb_txn_foreach(txn, GCEB_KIND_IGM, NULL, full_igm_visit, &visits, &err),
			 0);
	gceb_txn_abort(&txn);
	assert_int_equal(visits, 2);
	/* The update's re-read is whole too, and the same value is not rewritten. */
	assert_int_equal(gceb_store_update(f->store, GCEB_KIND_INSTANCE, KEY, full_instance_update,
					   NULL, &changed, &err),
			 0);
	assert_false(changed);
}

/* A "gceb-store 1" store as that version left it: its marker and full values. */
static void make_v1_store(struct fixture *f, size_t *full_len)
{
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	char group[] = IGM, url[] = URL;
	uint8_t buf[256];

	inst.instance_group_manager = group;
	inst.url = url;
	assert_true(gceb__state__instance__get_packed_size(&inst) <= sizeof(buf));
	*full_len = gceb__state__instance__pack(&inst, buf);
	open_store(f, MAP_SIZE, 0);
	close_store(f);
	raw_put(f->db, "meta", "schema", "gceb-store 1", 12);
	raw_put(f->db, "instances", KEY, buf, *full_len);
}

static void v1_store_opened_writable_is_upgraded(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance *got;
	struct gceb_err err = { 0 };
	bool deleted = true, changed = false;
	size_t full, len = 0;
	void *bytes;

	make_v1_store(f, &full);
	open_store(f, MAP_SIZE, 0);
	got = get_instance(f, KEY);
	assert_full_instance(got);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	close_store(f); /* raw LMDB must not share the process with the store */
	assert_schema(f->db, "gceb-store 2");
	/* Values stay full until rewritten, then shrink. */
	bytes = raw_get(f->db, "instances", KEY, &len);
	assert_int_equal(len, full);
	free(bytes);

	open_store(f, MAP_SIZE, 0); /* version 2 now, which opens as it is */
	assert_int_equal(gceb_store_update(f->store, GCEB_KIND_INSTANCE, KEY, set_deleted_fn,
					   &deleted, &changed, &err),
			 0);
	assert_true(changed);
	got = get_instance(f, KEY);
	assert_full_instance(got);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	close_store(f);
	bytes = raw_get(f->db, "instances", KEY, &len);
	assert_true(len < full);
	free(bytes);
	assert_schema(f->db, "gceb-store 2");
}

static void v1_store_read_only_or_dry_run_is_left_as_is(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance *got;
	size_t full;

	make_v1_store(f, &full);
	open_store(f, MAP_SIZE, GCEB_STORE_READONLY);
	got = get_instance(f, KEY);
	assert_full_instance(got);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	close_store(f);
	assert_schema(f->db, "gceb-store 1");

	open_store(f, MAP_SIZE, GCEB_STORE_DRY_RUN);
	got = get_instance(f, KEY);
	assert_full_instance(got);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	close_store(f);
	assert_schema(f->db, "gceb-store 1");
}

static void compact_value_the_key_cannot_expand_is_damaged(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;
	uint8_t buf[16];
	bool deleted = true;
	int visits = 0;
	size_t len;

	/* A group's key, under which a stored-form Instance has no name to expand with. */
	inst.has_igm_from_key = 1;
	inst.igm_from_key = 1;
	len = gceb__state__instance__pack(&inst, buf);
	open_store(f, MAP_SIZE, 0);
	close_store(f);
	raw_put(f->db, "instances", "b r z", buf, len);
	open_store(f, MAP_SIZE, 0);

	assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, "b r z", &msg, &err), GCEB_EPARSE);
	assert_null(msg);
	assert_string_equal(err.msg, "stored instance 'b r z' is damaged");
	memset(&err, 0, sizeof(err));
	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);
	assert_int_equal(
		gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, NULL, count_visit, &visits, &err),
		GCEB_EPARSE);
	assert_int_equal(visits, 0);
	assert_string_equal(err.msg, "stored instance 'b r z' is damaged");
	gceb_txn_abort(&txn);
	assert_int_equal(gceb_store_update(f->store, GCEB_KIND_INSTANCE, "b r z", set_deleted_fn,
					   &deleted, NULL, &err),
			 GCEB_EPARSE);

	/* Under a full Instance key the very same bytes read. */
	raw_put(f->db, "instances", "b r z i", buf, len);
	assert_int_equal(get_one(f, GCEB_KIND_INSTANCE, "b r z i", &msg, &err), 0);
	assert_string_equal(((Gceb__State__Instance *)msg)->instance_group_manager, "b r z");
	protobuf_c_message_free_unpacked(msg, NULL);
}

static void txn_end_is_null_safe(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;

	gceb_store_close(NULL);
	gceb_txn_abort(NULL);
	gceb_txn_abort(&txn);
	open_store(f, MAP_SIZE, 0);
	assert_int_equal(gceb_store_begin(f->store, false, &txn, &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
	assert_null(txn);
	gceb_txn_abort(&txn);
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	gceb_txn_abort(&txn);
	assert_null(txn);
	gceb_txn_abort(&txn);
}

/*
 * A run killed inside a write transaction (LMDB forbids closing an
 * environment with one open, so kill a child for real): the next run sees
 * the old data and can write at once.
 */
static void killed_writer_loses_only_its_transaction(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_err err = { 0 };
	char old[] = "web old", new[] = "web new";
	ProtobufCMessage *msg = NULL;
	int status;
	pid_t pid;

	open_store(f, MAP_SIZE, 0);
	tpl.active = old;
	put_one(f, GCEB_KIND_TEMPLATE, "web", &tpl.base);
	close_store(f); /* no environment may cross fork() */

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gceb_store *store = NULL;
		struct gceb_txn *txn = NULL;

		tpl.active = new;
		if (gceb_store_open(f->dir, MAP_SIZE, 0, &store, NULL) == 0 &&
		    gceb_store_begin(store, true, &txn, NULL) == 0 &&
		    gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "web", &tpl.base, NULL) == 0 &&
		    gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "other", &tpl.base, NULL) == 0)
			(void)raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	open_store(f, MAP_SIZE, 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web old");
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "other", &msg, &err), GCEB_ENOTFOUND);
	put_one(f, GCEB_KIND_TEMPLATE, "other", &tpl.base); /* the writer lock came back */
}

/*
 * Group commit: updates are nested in one outer transaction, so one that
 * is aborted, or fails, is undone alone while the others land together.
 */
static void group_commits_together_and_undoes_one_alone(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct set_active p = { .active = "web r1" };
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, 0);
	put_one(f, GCEB_KIND_TEMPLATE, "old", &tpl.base);
	gceb_store_group(f->store, true);
	assert_int_equal(gceb_store_group_commit(f->store, &err), 0); /* none open: no-op */

	update(f, &p, 0, true);
	/* A read in the group sees the write before it, as if committed. */
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web r1");
	protobuf_c_message_free_unpacked(msg, NULL);

	/* An item's transaction that is given up takes only its own writes. */
	assert_int_equal(gceb_store_begin(f->store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "lost", &tpl.base, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_TEMPLATE, "old", &err), 0);
	gceb_txn_abort(&txn);
	p = (struct set_active){ .ret = GCEB_ECONFIG };
	update(f, &p, GCEB_ECONFIG, false);

	put_one(f, GCEB_KIND_TEMPLATE, "next", &tpl.base);
	assert_int_equal(gceb_store_group_commit(f->store, &err), 0);
	gceb_store_group(f->store, false);

	open_store(f, MAP_SIZE, 0); /* from the file */
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web r1");
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "next", &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "old", &msg, &err), 0);
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "lost", &msg, &err), GCEB_ENOTFOUND);
}

/* Until its commit a group is one uncommitted transaction: a kill loses all of it. */
static void killed_group_loses_all_its_updates(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	struct gceb_err err = { 0 };
	char old[] = "web old", new[] = "web new";
	ProtobufCMessage *msg = NULL;
	int status;
	pid_t pid;

	open_store(f, MAP_SIZE, 0);
	tpl.active = old;
	put_one(f, GCEB_KIND_TEMPLATE, "web", &tpl.base);
	close_store(f); /* no environment may cross fork() */

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gceb_store *store = NULL;
		struct gceb_txn *txn = NULL;
		bool ok;

		tpl.active = new;
		if (gceb_store_open(f->dir, MAP_SIZE, 0, &store, NULL) != 0)
			_exit(1);
		gceb_store_group(store, true);
		ok = gceb_store_begin(store, true, &txn, NULL) == 0 &&
		     gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "web", &tpl.base, NULL) == 0 &&
		     gceb_txn_commit(&txn, NULL) == 0;
		ok = ok && gceb_store_begin(store, true, &txn, NULL) == 0 &&
		     gceb_txn_put(txn, GCEB_KIND_TEMPLATE, "other", &tpl.base, NULL) == 0 &&
		     gceb_txn_commit(&txn, NULL) == 0;
		if (ok)
			(void)raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	open_store(f, MAP_SIZE, 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), 0);
	assert_string_equal(((Gceb__State__InstanceTemplate *)msg)->active, "web old");
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "other", &msg, &err), GCEB_ENOTFOUND);
	put_one(f, GCEB_KIND_TEMPLATE, "other", &tpl.base); /* the writer lock came back */
}

static void dry_run_group_never_persists(void **state)
{
	struct fixture *f = *state;
	struct set_active p = { .active = "web r1" };
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;

	open_store(f, MAP_SIZE, GCEB_STORE_DRY_RUN);
	gceb_store_group(f->store, true);
	update(f, &p, 0, true);
	update(f, &p, 0, true); /* the first one was not kept, even in the group */
	assert_int_equal(gceb_store_group_commit(f->store, &err), 0);
	gceb_store_group(f->store, false);
	open_store(f, MAP_SIZE, 0);
	assert_int_equal(get_one(f, GCEB_KIND_TEMPLATE, "web", &msg, &err), GCEB_ENOTFOUND);
}

/* Commits leave the meta page to the next sync; gceb_store_sync() is that sync. */
static void commits_defer_the_meta_sync_to_store_sync(void **state)
{
	struct fixture *f = *state;
	struct set_active p = { .active = "web r1" };
	struct gceb_err err = { 0 };

	open_store(f, MAP_SIZE, 0);
	assert_true(env_open_flags & MDB_NOMETASYNC);
	assert_false(env_open_flags & MDB_NOSYNC); /* that one could corrupt on an OS crash */
	update(f, &p, 0, true);
	env_forced_syncs = 0;
	assert_int_equal(gceb_store_sync(f->store, &err), 0);
	assert_int_equal(env_forced_syncs, 1);

	/* Nothing to make durable in these. */
	open_store(f, MAP_SIZE, GCEB_STORE_READONLY);
	assert_true(env_open_flags & MDB_RDONLY);
	assert_int_equal(gceb_store_sync(f->store, &err), 0);
	open_store(f, MAP_SIZE, GCEB_STORE_DRY_RUN);
	assert_int_equal(gceb_store_sync(f->store, &err), 0);
	assert_int_equal(env_forced_syncs, 1);
}

#define STORE_TEST(fn) cmocka_unit_test_setup_teardown(fn, store_setup, store_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(put_then_get_roundtrips_every_kind),
		STORE_TEST(get_missing_is_enotfound_without_message),
		STORE_TEST(del_removes_and_missing_is_enotfound),
		STORE_TEST(foreach_walks_prefix_in_key_order_and_stops),
		STORE_TEST(foreach_after_starts_past_the_key_within_the_prefix),
		STORE_TEST(foreach_after_survives_changes_between_calls),
		STORE_TEST(update_writes_only_what_changed),
		STORE_TEST(instance_put_writes_as_given),
		STORE_TEST(keys_are_1_to_511_bytes),
		STORE_TEST(map_full_names_the_setting),
		STORE_TEST(other_schema_is_estore),
		STORE_TEST(lmdb_of_another_program_is_estore),
		STORE_TEST(garbage_file_is_estore),
		STORE_TEST(state_dir_or_db_that_is_a_file_fails),
		STORE_TEST(unreadable_store_dir_is_eio),
		STORE_TEST(readonly_missing_store_is_enotfound),
		STORE_TEST(dry_run_never_persists),
		STORE_TEST(damaged_value_is_eparse),
		STORE_TEST(field_zero_is_damaged),
		STORE_TEST(instances_and_groups_are_stored_compact_and_read_whole),
		STORE_TEST(v1_store_opened_writable_is_upgraded),
		STORE_TEST(v1_store_read_only_or_dry_run_is_left_as_is),
		STORE_TEST(compact_value_the_key_cannot_expand_is_damaged),
		STORE_TEST(txn_end_is_null_safe),
		STORE_TEST(killed_writer_loses_only_its_transaction),
		STORE_TEST(group_commits_together_and_undoes_one_alone),
		STORE_TEST(killed_group_loses_all_its_updates),
		STORE_TEST(dry_run_group_never_persists),
		STORE_TEST(commits_defer_the_meta_sync_to_store_sync),
	};

	return gceb_test_run("store", tests, argc, argv);
}
