/* SPDX-License-Identifier: Apache-2.0 */
/* test_process_config.c - gceb-process-config against a real temporary store (docs/design/config.md
 * PRS-*) */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): nftw() */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "entity.h"
#include "gceb/jobs.h"
#include "runner.h"
#include "store.h"
#include "textproto.h"

struct fixture {
	char dir[64];
	struct gceb_store *store;
};

/* Store keys, as lib/fleet.h makes them: "base rev", "base rev zone". */
static void key_revision(gceb_key out, const char *base, const char *rev)
{
	(void)snprintf(out, sizeof(gceb_key), "%s %s", base, rev);
}

static void key_igm(gceb_key out, const char *base, const char *rev, const char *zone)
{
	(void)snprintf(out, sizeof(gceb_key), "%s %s %s", base, rev, zone);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/gceb-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(gceb_store_open(f->dir, 64u << 20, 0, &f->store, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gceb_store_close(f->store);
	(void)nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void put(struct fixture *f, enum gceb_kind kind, const char *key, void *msg)
{
	struct gceb_txn *txn = NULL;

	assert_int_equal(gceb_store_begin(f->store, true, &txn, NULL), 0);
	assert_int_equal(gceb_txn_put(txn, kind, key, msg, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
}

/* The entity @key of @kind, or NULL if absent. Caller frees. */
static void *get(struct fixture *f, enum gceb_kind kind, const char *key)
{
	ProtobufCMessage *msg = NULL;
	struct gceb_txn *txn = NULL;
	int r;

	assert_int_equal(gceb_store_begin(f->store, false, &txn, NULL), 0);
	r = gceb_txn_get(txn, kind, key, &msg, NULL);
	gceb_txn_abort(&txn);
	assert_true(r == 0 || r == GCEB_ENOTFOUND);
	return msg;
}

static void set_config(struct fixture *f, const char *templates, const char *managers)
{
	Gceb__State__StoredConfig c = GCEB__STATE__STORED_CONFIG__INIT;

	c.revision = (char *)"test";
	c.template_config = (char *)templates;
	c.manager_config = (char *)managers;
	put(f, GCEB_KIND_CONFIG, "current", &c);
}

static int run(struct fixture *f)
{
	struct gceb_job job = { .store = f->store };
	int r = gceb_process_config_spec.run(&job);

	if (r < 0)
		print_message("process-config: %s\n", job.err.msg);
	return r;
}

#define TEMPLATE_A \
 "templates { base_name: \"a\" project: \"p\" image_name: \"i\" machine_type: \"m\" }\n"
#define TEMPLATE_A2 \
 "templates { base_name: \"a\" project: \"p\" image_name: \"i2\" machine_type: \"m\" }\n"
#define MANAGERS_A12                                                                     \
 "managers { template_base_name: \"a\" zone: \"z1\" minimum_size: 1 maximum_size: 5 }\n" \
 "managers { template_base_name: \"a\" zone: \"z2\" minimum_size: 2 }\n"

/* Revision id of the first template in @text. */
static void rev_of(const char *text, char out[GCEB_SHA1_HEX_LEN + 1])
{
	Gceb__Config__InstanceTemplateConfig *tc = NULL;

	assert_int_equal(gceb_textproto_parse(&gceb__config__instance_template_config__descriptor,
					      "t", text, strlen(text), (ProtobufCMessage **)&tc,
					      NULL, NULL),
			 0);
	assert_int_equal(gceb_template_checksum(tc->templates[0], out), 0);
	protobuf_c_message_free_unpacked(&tc->base, NULL);
}

static bool strv_has(char *const *v, size_t n, const char *s)
{
	return gceb_strv_find(v, n, s) >= 0;
}

/* PRS-13 and PRS-23 in small: a new template with two zones. */
static void first_run_creates_everything(void **state)
{
	struct fixture *f = *state;
	char rev[41];
	gceb_key rk, g1, g2;
	Gceb__State__InstanceTemplate *t;
	Gceb__State__Revision *r;
	Gceb__State__InstanceGroupManager *g;

	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	key_igm(g1, "a", rev, "z1");
	key_igm(g2, "a", rev, "z2");
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_non_null(t);
	assert_string_equal(t->active, rk);
	assert_int_equal(t->n_drained, 0);
	r = get(f, GCEB_KIND_REVISION, rk);
	assert_non_null(r);
	assert_int_equal(r->n_active, 2);
	assert_string_equal(r->active[0], g1);
	assert_string_equal(r->active[1], g2);
	assert_string_equal(r->project, "p");
	assert_null(r->url);
	g = get(f, GCEB_KIND_IGM, g1);
	assert_int_equal(g->minimum_size, 1);
	assert_int_equal(g->maximum_size, 5);
	gceb_entity_free(g);
	g = get(f, GCEB_KIND_IGM, g2);
	assert_int_equal(g->minimum_size, 2);
	assert_int_equal(g->maximum_size, 0); /* unlimited */
	gceb_entity_free(g);
	gceb_entity_free(t);
	gceb_entity_free(r);
}

/* docs/design/departures.md: a template without managers still gets its Revision written. */
static void template_without_managers_writes_revision(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Revision *r;
	char rev[41];
	gceb_key rk;

	set_config(f, TEMPLATE_A, "");
	assert_int_equal(run(f), 0);
	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	r = get(f, GCEB_KIND_REVISION, rk);
	assert_non_null(r);
	assert_int_equal(r->n_active, 0);
	gceb_entity_free(r);
}

/* PRS-5..8 and PRS-22: group sizes follow the config; a second run changes nothing. */
static void group_sizes_follow_config(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceGroupManager *g;
	char rev[41];
	gceb_key g1;

	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	assert_int_equal(run(f), 0);
	set_config(f, TEMPLATE_A,
		   "managers { template_base_name: \"a\" zone: \"z1\" minimum_size: 3 "
		   "maximum_size: 9 }\n");
	assert_int_equal(run(f), 0);
	rev_of(TEMPLATE_A, rev);
	key_igm(g1, "a", rev, "z1");
	g = get(f, GCEB_KIND_IGM, g1);
	assert_int_equal(g->minimum_size, 3);
	assert_int_equal(g->maximum_size, 9);
	gceb_entity_free(g);
}

/* A size change is not a new revision (sizes are not in the checksum). */
static void size_change_keeps_revision(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate *t;

	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	set_config(f, TEMPLATE_A,
		   "managers { template_base_name: \"a\" zone: \"z1\" minimum_size: 4 }\n"
		   "managers { template_base_name: \"a\" zone: \"z2\" minimum_size: 4 }\n");
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_int_equal(t->n_drained, 0);
	gceb_entity_free(t);
}

/* Seed the revision of TEMPLATE_A with the given group lists. */
static void seed_revision(struct fixture *f, char **active, size_t n_active, char **drained,
			  size_t n_drained)
{
	Gceb__State__Revision r = GCEB__STATE__REVISION__INIT;
	char rev[41];
	gceb_key rk;

	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	r.active = active;
	r.n_active = n_active;
	r.drained = drained;
	r.n_drained = n_drained;
	r.project = (char *)"p";
	put(f, GCEB_KIND_REVISION, rk, &r);
}

static Gceb__State__Revision *revision_a(struct fixture *f)
{
	char rev[41];
	gceb_key rk;

	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	return get(f, GCEB_KIND_REVISION, rk);
}

/* PRS-9: active=[zone2], configured zones 1,2 → both active. */
static void missing_zone_added(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Revision *r;
	char rev[41];
	gceb_key g1, g2;
	char *active[1];

	rev_of(TEMPLATE_A, rev);
	key_igm(g1, "a", rev, "z1");
	key_igm(g2, "a", rev, "z2");
	active[0] = g2;
	seed_revision(f, active, 1, NULL, 0);
	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	r = revision_a(f);
	assert_int_equal(r->n_active, 2);
	assert_true(strv_has(r->active, 2, g1));
	assert_true(strv_has(r->active, 2, g2));
	assert_int_equal(r->n_drained, 0);
	gceb_entity_free(r);
}

/* PRS-10: foreign keys of unconfigured zones end up drained. */
static void foreign_keys_drained(void **state)
{
	struct fixture *f = *state;
	char fk1[] = "x y zone-f1", fk2[] = "x y zone-f2";
	char *active[] = { fk1 }, *drained[] = { fk2 };
	Gceb__State__Revision *r;

	seed_revision(f, active, 1, drained, 1);
	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	r = revision_a(f);
	assert_int_equal(r->n_active, 2);
	assert_int_equal(r->n_drained, 2);
	assert_string_equal(r->drained[0], fk1);
	assert_string_equal(r->drained[1], fk2);
	gceb_entity_free(r);
}

/* PRS-11 and PRS-12: drained zones that are configured again come back. */
static void drained_zones_reactivated(void **state)
{
	struct fixture *f = *state;
	char rev[41], fk[] = "x y zone-f";
	gceb_key g1, g2;
	char *active[] = { fk }, *drained[2];
	Gceb__State__Revision *r;

	rev_of(TEMPLATE_A, rev);
	key_igm(g1, "a", rev, "z1");
	key_igm(g2, "a", rev, "z2");
	drained[0] = g1;
	drained[1] = g2;
	seed_revision(f, active, 1, drained, 2);
	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	r = revision_a(f);
	assert_int_equal(r->n_active, 2);
	assert_string_equal(r->active[0], g1);
	assert_string_equal(r->active[1], g2);
	assert_int_equal(r->n_drained, 1);
	assert_string_equal(r->drained[0], fk);
	gceb_entity_free(r);
}

/* A zone removed from managers.cfg moves to R.drained. */
static void removed_zone_drained(void **state)
{
	struct fixture *f = *state;
	Gceb__State__Revision *r;
	char rev[41];
	gceb_key g2;

	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	set_config(f, TEMPLATE_A,
		   "managers { template_base_name: \"a\" zone: \"z1\" minimum_size: 1 }\n");
	assert_int_equal(run(f), 0);
	rev_of(TEMPLATE_A, rev);
	key_igm(g2, "a", rev, "z2");
	r = revision_a(f);
	assert_int_equal(r->n_active, 1);
	assert_int_equal(r->n_drained, 1);
	assert_string_equal(r->drained[0], g2);
	gceb_entity_free(r);
}

/* PRS-14, PRS-15 and PRS-16: a template edit drains; re-adding reuses the old revision. */
static void revision_roll_and_reuse(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate *t;
	char r1[41], r2[41];
	gceb_key k1, k2;

	rev_of(TEMPLATE_A, r1);
	rev_of(TEMPLATE_A2, r2);
	key_revision(k1, "a", r1);
	key_revision(k2, "a", r2);
	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	set_config(f, TEMPLATE_A2, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_string_equal(t->active, k2);
	assert_int_equal(t->n_drained, 1);
	assert_string_equal(t->drained[0], k1);
	gceb_entity_free(t);

	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_string_equal(t->active, k1);
	assert_int_equal(t->n_drained, 1);
	assert_string_equal(t->drained[0], k2);
	gceb_entity_free(t);
}

/* PRS-15: drained = [x, current, y] → current active, drained = [x, y] in order. */
static void reactivation_keeps_drained_order(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate seed = GCEB__STATE__INSTANCE_TEMPLATE__INIT, *t;
	char rev[41], x[] = "a x", y[] = "a y";
	gceb_key rk;
	char *drained[3];

	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	drained[0] = x;
	drained[1] = rk;
	drained[2] = y;
	seed.drained = drained;
	seed.n_drained = 3;
	put(f, GCEB_KIND_TEMPLATE, "a", &seed);
	set_config(f, TEMPLATE_A, MANAGERS_A12);
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_string_equal(t->active, rk);
	assert_int_equal(t->n_drained, 2);
	assert_string_equal(t->drained[0], x);
	assert_string_equal(t->drained[1], y);
	gceb_entity_free(t);
}

/* PRS-17: already active → unchanged, drained list kept. */
static void already_active_unchanged(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate seed = GCEB__STATE__INSTANCE_TEMPLATE__INIT, *t;
	char rev[41], x[] = "a x";
	gceb_key rk;
	char *drained[] = { x };

	rev_of(TEMPLATE_A, rev);
	key_revision(rk, "a", rev);
	seed.active = rk;
	seed.drained = drained;
	seed.n_drained = 1;
	put(f, GCEB_KIND_TEMPLATE, "a", &seed);
	set_config(f, TEMPLATE_A, "");
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "a");
	assert_string_equal(t->active, rk);
	assert_int_equal(t->n_drained, 1);
	gceb_entity_free(t);
}

/* PRS-18..21: templates that left the config are drained; others untouched. */
static void removed_template_drained(void **state)
{
	struct fixture *f = *state;
	Gceb__State__InstanceTemplate seed = GCEB__STATE__INSTANCE_TEMPLATE__INIT, *t;
	char r1[] = "gone r1", r0[] = "idle r0";
	char *drained[] = { r0 };

	seed.active = r1;
	put(f, GCEB_KIND_TEMPLATE, "gone", &seed);
	seed.active = NULL;
	seed.drained = drained;
	seed.n_drained = 1;
	put(f, GCEB_KIND_TEMPLATE, "idle", &seed);
	set_config(f, TEMPLATE_A, "");
	assert_int_equal(run(f), 0);
	t = get(f, GCEB_KIND_TEMPLATE, "gone");
	assert_null(t->active);
	assert_int_equal(t->n_drained, 1);
	assert_string_equal(t->drained[0], r1);
	gceb_entity_free(t);
	t = get(f, GCEB_KIND_TEMPLATE, "idle");
	assert_null(t->active);
	assert_int_equal(t->n_drained, 1);
	assert_string_equal(t->drained[0], r0);
	gceb_entity_free(t);
	assert_null(get(f, GCEB_KIND_TEMPLATE, "never"));
}

/* PRS-23: every config field lands in the Revision. */
static void full_template(void **state)
{
	struct fixture *f = *state;
	static const char full[] =
		"templates {\n"
		"  base_name: \"a\" project: \"p\" image_name: \"i\" image_project: \"ip\"\n"
		"  dimensions: \"os_family:LINUX\" dimensions: \"pool:ci\"\n"
		"  disk_size_gb: 100 machine_type: \"n1-standard-8\"\n"
		"  metadata: \"b:2\" metadata: \"a:1\" metadata: \"b:3\"\n"
		"  service_accounts { name: \"sa@x\" scopes: [\"s2\", \"s1\"] }\n"
		"  tags: [\"t2\", \"t1\"] network_url: \"net\" auto_assign_external_ip: true\n"
		"}\n";
	Gceb__State__Revision *r;
	char rev[41];
	gceb_key rk;

	set_config(f, full,
		   "managers { template_base_name: \"a\" zone: \"z1\" minimum_size: 1 }\n"
		   "managers { template_base_name: \"a\" zone: \"z2\" minimum_size: 1 }\n"
		   "managers { template_base_name: \"a\" zone: \"z3\" minimum_size: 1 }\n");
	assert_int_equal(run(f), 0);
	rev_of(full, rev);
	key_revision(rk, "a", rev);
	r = get(f, GCEB_KIND_REVISION, rk);
	assert_non_null(r);
	assert_int_equal(r->n_active, 3);
	assert_true(r->dimensions->has_os_family);
	assert_int_equal(r->dimensions->os_family, GCEB__STATE__DIMENSIONS__OSFAMILY__LINUX);
	assert_int_equal(r->disk_size_gb, 100);
	assert_string_equal(r->machine_type, "n1-standard-8");
	assert_string_equal(r->image_project, "ip");
	assert_int_equal(r->n_metadata, 2);
	assert_string_equal(r->metadata[0]->key, "a");
	assert_string_equal(r->metadata[1]->key, "b");
	assert_string_equal(r->metadata[1]->value, "3");
	assert_int_equal(r->n_service_accounts, 1);
	assert_string_equal(r->service_accounts[0]->name, "sa@x");
	assert_string_equal(r->service_accounts[0]->scopes[0], "s2");
	assert_int_equal(r->n_tags, 2);
	assert_string_equal(r->tags[0], "t2");
	assert_string_equal(r->network_url, "net");
	assert_true(r->auto_assign_external_ip);
	gceb_entity_free(r);
}

static void no_config_is_nothing_to_do(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f), 0);
	assert_null(get(f, GCEB_KIND_TEMPLATE, "a"));
}

/* A stored config that no longer parses fails the whole job and writes nothing. */
static void damaged_stored_config_fails(void **state)
{
	struct fixture *f = *state;

	set_config(f, "templates { nonsense", "");
	assert_int_equal(run(f), GCEB_ECONFIG);
	assert_null(get(f, GCEB_KIND_TEMPLATE, "a"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_run_creates_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(template_without_managers_writes_revision, setup,
						teardown),
		cmocka_unit_test_setup_teardown(group_sizes_follow_config, setup, teardown),
		cmocka_unit_test_setup_teardown(size_change_keeps_revision, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_zone_added, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_keys_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(drained_zones_reactivated, setup, teardown),
		cmocka_unit_test_setup_teardown(removed_zone_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(revision_roll_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(reactivation_keeps_drained_order, setup, teardown),
		cmocka_unit_test_setup_teardown(already_active_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(removed_template_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(full_template, setup, teardown),
		cmocka_unit_test_setup_teardown(no_config_is_nothing_to_do, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_stored_config_fails, setup, teardown),
	};

	return gceb_test_run("process_config", tests, argc, argv);
}
