/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_status.c - gceb-status --json --instances prints the instances as it
 * reads them. The document must be the one cJSON_Print() makes of the whole
 * tree, byte for byte, and a run that cannot print all of it must not exit 0.
 * The store is seeded directly through lib/store.h (and raw LMDB for a
 * damaged value).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "entity.h"
#include "fleet.h"
#include "harness.h"
#include "runner.h"
#include "store.h"
#include "store_seed.h"

#define R1 "1111111111111111111111111111111111111111"
#define R2 "2222222222222222222222222222222222222222"

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	*state = env;
	return 0;
}

/* Write raw bytes with plain LMDB, as a bad disk would. */
static void raw_put(const struct it_env *env, const char *name, const char *key, const void *val,
		    size_t len)
{
	MDB_val k = { strlen(key), (void *)key }, v = { len, (void *)val };
	char db[256];
	MDB_env *menv;
	MDB_txn *txn;
	MDB_dbi dbi;

	(void)snprintf(db, sizeof(db), "%s/db", env->state_dir);
	assert_int_equal(mdb_env_create(&menv), 0);
	assert_int_equal(mdb_env_set_maxdbs(menv, 8), 0);
	assert_int_equal(mdb_env_open(menv, db, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(menv, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(menv);
}

/* One instance of every state, and URLs that JSON must escape or that are unset. */
struct seed {
	const char *key, *url;
	bool cataloged, indefinitely, pending, deleted;
	int64_t lease_ts, deletion_ts; /* 0: unset */
};

static const struct seed seeds[] = {
	{ "linux " R1 " us-a a-idle", "https://c/a-idle", false, false, false, false, 0, 0 },
	{ "linux " R1 " us-a b-cataloged", "https://c/b", true, false, false, false, 0, 0 },
	{ "linux " R1 " us-a c-leased", "https://c/c", true, false, false, false, 1700000000, 0 },
	{ "linux " R1 " us-a d-indefinitely", "https://c/d", true, true, false, false, 0, 0 },
	{ "linux " R1 " us-a e-pending", "https://c/e", false, false, true, false, 0, 1700000100 },
	{ "linux " R1 " us-a f-deleted", "https://c/f", false, false, true, true, 0, 1700000200 },
	{ "linux " R2 " us-b g-no-url", NULL, false, false, false, false, 0, 0 },
	{ "linux " R2 " us-b h-odd-url", "q\"b\\s\nn\tt\xc3\xa9", false, false, false, false, 0,
	  0 },
};

#define N_SEEDS (sizeof(seeds) / sizeof(seeds[0]))

static void seed_instance(const struct it_env *env, const struct seed *s)
{
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT;

	in.url = (char *)s->url;
	in.has_cataloged = s->cataloged;
	in.cataloged = s->cataloged;
	in.has_leased_indefinitely = s->indefinitely;
	in.leased_indefinitely = s->indefinitely;
	in.has_pending_deletion = s->pending;
	in.pending_deletion = s->pending;
	in.has_deleted = s->deleted;
	in.deleted = s->deleted;
	in.has_lease_expiration_ts = s->lease_ts != 0;
	in.lease_expiration_ts = s->lease_ts;
	in.has_deletion_ts = s->deletion_ts != 0;
	in.deletion_ts = s->deletion_ts;
	it_store_put(env, GCEB_KIND_INSTANCE, s->key, &in);
}

static void seed_fleet(const struct it_env *env)
{
	Gceb__State__StoredConfig c = GCEB__STATE__STORED_CONFIG__INIT;
	Gceb__State__InstanceTemplate t = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	Gceb__State__Revision r = GCEB__STATE__REVISION__INIT;
	Gceb__State__InstanceGroupManager g = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	char *drained[] = { (char *)"linux " R2 }, *groups[] = { (char *)"linux " R1 " us-a" };
	size_t i;

	c.revision = (char *)"cccccccccccccccccccccccccccccccccccccccc";
	c.has_updated_ts = true;
	c.updated_ts = 1690000000;
	it_store_put(env, GCEB_KIND_CONFIG, "current", &c);
	t.active = (char *)"linux " R1;
	t.drained = drained;
	t.n_drained = 1;
	it_store_put(env, GCEB_KIND_TEMPLATE, "linux", &t);
	r.project = (char *)"proj";
	r.url = (char *)"https://c/templates/linux-1";
	r.active = groups;
	r.n_active = 1;
	it_store_put(env, GCEB_KIND_REVISION, "linux " R1, &r);
	it_store_put(env, GCEB_KIND_REVISION, "linux " R2,
		     &(Gceb__State__Revision)GCEB__STATE__REVISION__INIT);
	g.has_minimum_size = true;
	g.minimum_size = 2;
	g.url = (char *)"https://c/igm/us-a";
	it_store_put(env, GCEB_KIND_IGM, "linux " R1 " us-a", &g);
	for (i = 0; i < N_SEEDS; i++)
		seed_instance(env, &seeds[i]);
}

/* @s as docs/gceb-status.md lists an instance, keys in that order. */
static cJSON *seed_json(const struct seed *s)
{
	cJSON *o = cJSON_CreateObject();
	struct gceb_ref r;

	assert_non_null(o);
	assert_int_equal(gceb_ref_parse(&r, GCEB_KIND_INSTANCE, s->key, NULL), 0);
	cJSON_AddStringToObject(o, "base_name", r.base);
	cJSON_AddStringToObject(o, "revision", r.rev);
	cJSON_AddStringToObject(o, "zone", r.zone);
	cJSON_AddStringToObject(o, "name", r.name);
	if (s->url)
		cJSON_AddStringToObject(o, "url", s->url);
	else
		cJSON_AddNullToObject(o, "url");
	cJSON_AddBoolToObject(o, "cataloged", s->cataloged);
	cJSON_AddBoolToObject(o, "leased", s->lease_ts || s->indefinitely);
	if (s->lease_ts)
		cJSON_AddNumberToObject(o, "lease_expiration_ts", (double)s->lease_ts);
	cJSON_AddBoolToObject(o, "pending_deletion", s->pending);
	if (s->deletion_ts)
		cJSON_AddNumberToObject(o, "deletion_ts", (double)s->deletion_ts);
	cJSON_AddBoolToObject(o, "deleted", s->deleted);
	return o;
}

/*
 * The whole document as one cJSON tree would print it: the plain --json
 * document (which is printed whole) with @n_seeds instances appended.
 */
static char *expected_document(const struct it_env *env, size_t n_seeds)
{
	struct it_result res;
	cJSON *doc, *list;
	char *text;
	size_t i;

	assert_int_equal(it_run(env, &res, "status", "--json", NULL), 0);
	doc = cJSON_Parse(res.out);
	assert_non_null(doc);
	it_result_release(&res);
	list = cJSON_AddArrayToObject(doc, "instances");
	assert_non_null(list);
	for (i = 0; i < n_seeds; i++)
		cJSON_AddItemToArray(list, seed_json(&seeds[i]));
	text = cJSON_Print(doc);
	assert_non_null(text);
	cJSON_Delete(doc);
	return text;
}

static void assert_count(const cJSON *doc, const char *name, int want)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(doc, "instance_counts");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, name);

	assert_true(cJSON_IsNumber(n));
	assert_int_equal(n->valueint, want);
}

static void streamed_list_is_the_whole_document(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char *want;
	cJSON *got, *w;

	seed_fleet(env);
	want = expected_document(env, N_SEEDS);
	assert_int_equal(it_run(env, &res, "status", "--json", "--instances", NULL), 0);
	assert_string_equal(res.err, "");
	/* Byte for byte, with the newline after the root's brace. */
	assert_int_equal(strlen(res.out), strlen(want) + 1);
	assert_memory_equal(res.out, want, strlen(want));
	assert_string_equal(res.out + strlen(want), "\n");
	/* And it reads back as the document, instances in key order. */
	got = cJSON_Parse(res.out);
	w = cJSON_Parse(want);
	assert_non_null(got);
	assert_non_null(w);
	assert_true(cJSON_Compare(got, w, true));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(got, "instances")),
			 N_SEEDS);
	assert_count(got, "total", N_SEEDS);
	assert_count(got, "cataloged", 3);
	assert_count(got, "leased", 2);
	assert_count(got, "pending_deletion", 2);
	assert_count(got, "deleted", 1);
	cJSON_Delete(got);
	cJSON_Delete(w);
	free(want);
	it_result_release(&res);
}

static void empty_store_lists_no_instances(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char *want;

	gceb_store_close(it_store_open(env));
	want = expected_document(env, 0);
	assert_int_equal(it_run(env, &res, "status", "--json", "--instances", NULL), 0);
	assert_non_null(strstr(want, "\"instances\":\t[]\n}"));
	assert_int_equal(strlen(res.out), strlen(want) + 1);
	assert_memory_equal(res.out, want, strlen(want));
	free(want);
	it_result_release(&res);
}

/*
 * A damaged value after good ones: the counts, which come before the list,
 * read every value first, so the run fails (EX_PROTOCOL, as every read of a
 * damaged value) before printing anything, as it did when the document was
 * built whole.
 */
static void damaged_value_prints_nothing(void **state)
{
	static const char *const modes[][2] = { { "--json", "--instances" },
						{ "--json", NULL },
						{ NULL, NULL } };
	struct it_env *env = *state;
	struct it_result res;
	size_t i;

	seed_fleet(env);
	raw_put(env, "instances", "linux " R1 " us-a c-leased-too", "\x0a\x7f", 2);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(it_run(env, &res, "status", modes[i][0], modes[i][1], NULL), 76);
		assert_string_equal(res.out, "");
		assert_non_null(strstr(res.err, "stored instance 'linux " R1
						" us-a c-leased-too' is damaged"));
		it_result_release(&res);
	}
}

/* gceb-status @args (NULL-terminated) with stdout on /dev/full; its exit status, its stderr in
 * @err. */
static int run_to_full(const struct it_env *env, char *err, size_t len, ...)
{
	int full = open("/dev/full", O_WRONLY), err_fd = it_tmpfd(), st;
	const char *args[4] = { NULL };
	char *text;
	va_list ap;
	size_t n;

	assert_true(full >= 0);
	va_start(ap, len);
	for (n = 0; n < 3 && (args[n] = va_arg(ap, const char *)); n++)
		;
	va_end(ap);
	st = it_wait(it_spawn(env, full, err_fd, "status", args[0], args[1], args[2], NULL));
	text = it_slurp(err_fd);
	(void)snprintf(err, len, "%s", text);
	free(text);
	(void)close(full);
	(void)close(err_fd);
	return st;
}

/*
 * A reader that goes away ends gceb-status as it ends cat: by SIGPIPE,
 * quietly (the jobs that talk to an API ignore SIGPIPE; this one talks to
 * none). More output than a pipe holds, so that the write after the reader
 * left is certain.
 */
static void reader_gone_ends_it_quietly(void **state)
{
	struct it_env *env = *state;
	struct seed extra = { .url = "https://c/extra" };
	int i, out[2], err_fd, pid;
	char key[128], c, *err;

	seed_fleet(env);
	for (i = 0; i < 1000; i++) {
		(void)snprintf(key, sizeof(key), "linux " R1 " us-a x-%04d", i);
		extra.key = key;
		seed_instance(env, &extra);
	}
	assert_int_equal(pipe(out), 0);
	/* The reader's end must not stay open in the child too. */
	assert_int_equal(fcntl(out[0], F_SETFD, FD_CLOEXEC), 0);
	err_fd = it_tmpfd();
	pid = it_spawn(env, out[1], err_fd, "status", "--json", "--instances", NULL);
	(void)close(out[1]);
	assert_int_equal(read(out[0], &c, 1), 1);
	(void)close(out[0]);
	assert_int_equal(it_wait(pid), 128 + SIGPIPE);
	err = it_slurp(err_fd);
	(void)close(err_fd);
	assert_string_equal(err, "");
	free(err);
}

/*
 * Output that cannot be written fails the run (EX_IOERR): while listing
 * (more instances than stdio buffers), and at the end for the short table.
 */
static void write_error_is_not_success(void **state)
{
	struct it_env *env = *state;
	struct seed extra = { .url = "https://c/extra" };
	char key[128], err[1024];
	int i;

	seed_fleet(env);
	for (i = 0; i < 100; i++) {
		(void)snprintf(key, sizeof(key), "linux " R1 " us-a x-%03d", i);
		extra.key = key;
		seed_instance(env, &extra);
	}
	assert_int_equal(run_to_full(env, err, sizeof(err), "--json", "--instances", NULL), 74);
	assert_non_null(strstr(err, "cannot write the output: No space left on device"));
	assert_int_equal(run_to_full(env, err, sizeof(err), NULL), 74);
	assert_non_null(strstr(err, "cannot write the output: No space left on device"));
}

/* No line of @text is wider than @cols columns (bytes: the table is ASCII here). */
static void assert_narrow(const char *text, size_t cols)
{
	const char *line;

	for (line = text; *line; line += strcspn(line, "\n") + 1) {
		if (strcspn(line, "\n") > cols)
			fail_msg("line wider than %zu: '%.*s'", cols, (int)strcspn(line, "\n"),
				 line);
		if (strcspn(line, "\n") > 0 && line[strcspn(line, "\n") - 1] == ' ')
			fail_msg("line ends in a blank: '%.*s'", (int)strcspn(line, "\n"), line);
		if (!line[strcspn(line, "\n")])
			break;
	}
}

/*
 * The table for a person: 100 columns (URLs only with --wide or -v), and
 * a summary whose counts add up: live instances by state, then the deleted.
 */
static void table_fits_and_adds_up(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	seed_fleet(env);
	assert_int_equal(it_run(env, &res, "status", NULL), 0);
	assert_narrow(res.out, 100);
	assert_null(strstr(res.out, "https://"));
	assert_non_null(strstr(res.out, "INSTANCES: 7 live: 3 new, 1 idle, 2 leased, 1 pending "
					"deletion; 1 deleted, awaiting purge\n"));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "status", "--wide", NULL), 0);
	assert_non_null(strstr(res.out, "https://c/igm/us-a"));
	assert_non_null(strstr(res.out, "https://c/templates/linux-1"));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "status", "-v", NULL), 0);
	assert_non_null(strstr(res.out, "https://c/igm/us-a"));
	it_result_release(&res);
}

/* --instances in the table: one line each, its state, values escaped. */
static void table_lists_instances(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	const char *p;
	size_t lines = 0;

	seed_fleet(env);
	assert_int_equal(it_run(env, &res, "status", "--instances", NULL), 0);
	assert_narrow(res.out, 100);
	p = strstr(res.out, "\nINSTANCE ");
	assert_non_null(p);
	for (p = strchr(p + 1, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		lines++;
	assert_int_equal(lines, N_SEEDS);
	assert_non_null(strstr(res.out, "c-leased"));
	assert_non_null(strstr(res.out, "e-pending "));
	assert_non_null(strstr(res.out, "pending_deletion"));
	it_result_release(&res);
	/* A URL holding a newline and a tab stays on its line. */
	assert_int_equal(it_run(env, &res, "status", "--instances", "--wide", NULL), 0);
	assert_non_null(strstr(res.out, "h-odd-url"));
	assert_non_null(strstr(res.out, "q\"b\\s\\nn\\tt\xc3\xa9\n"));
	it_result_release(&res);
}

/* --json: instance_states partitions the fleet (schema 1 gains the field). */
static void json_states_partition(void **state)
{
	static const struct {
		const char *name;
		int n;
	} want[] = { { "new", 3 },
		     { "idle", 1 },
		     { "leased", 2 },
		     { "pending_deletion", 1 },
		     { "deleted", 1 } };
	struct it_env *env = *state;
	const cJSON *states;
	cJSON *doc;
	size_t i;

	seed_fleet(env);
	doc = it_status(env);
	assert_int_equal(it_int(doc, "schema"), 1);
	states = cJSON_GetObjectItemCaseSensitive(doc, "instance_states");
	assert_non_null(states);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(it_int(states, want[i].name), want[i].n);
	assert_int_equal(cJSON_GetArraySize(states), 5);
	cJSON_Delete(doc);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(streamed_list_is_the_whole_document, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(empty_store_lists_no_instances, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(damaged_value_prints_nothing, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(reader_gone_ends_it_quietly, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(write_error_is_not_success, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(table_fits_and_adds_up, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(table_lists_instances, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(json_states_partition, setup, it_env_teardown),
	};

	return gceb_test_run("status", tests, argc, argv);
}
