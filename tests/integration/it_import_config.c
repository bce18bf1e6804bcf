/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_import_config.c - gceb-import-config, gceb-process-config and
 * gceb-status as binaries: good configs, every kind of bad config (exit 78,
 * store untouched), bad stores, options, the lock.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] =
	"# two templates\n"
	"templates {\n"
	"  base_name: \"linux\"\n"
	"  project: \"my-project\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  dimensions: \"os_family:LINUX\"\n"
	"  service_accounts { name: \"bot@my-project.iam.gserviceaccount.com\" }\n"
	"}\n"
	"templates {\n"
	"  base_name: \"win\"\n"
	"  project: \"my-project\"\n"
	"  image_name: \"windows-2019\"\n"
	"  machine_type: \"n1-standard-4\"\n"
	"}\n";

static const char MANAGERS[] =
	"managers { template_base_name: \"linux\" zone: \"us-central1-a\" minimum_size: 2 "
	"maximum_size: 4 }\n"
	"managers { template_base_name: \"linux\" zone: \"us-central1-b\" minimum_size: 1 }\n"
	"managers { template_base_name: \"win\" zone: \"us-central1-a\" minimum_size: 1 }\n";

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", MANAGERS);
	*state = env;
	return 0;
}

static const char *revision(const cJSON *status)
{
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(status, "config"), "revision");

	return cJSON_IsString(rev) ? rev->valuestring : NULL;
}

/* Import, process, and check what gceb-status shows; success is silent. */
static void good_config_imported_silently(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	cJSON *st;

	assert_int_equal(it_run(env, &res, "import-config", NULL), 0);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err, "");
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "process-config", NULL), 0);
	assert_string_equal(res.err, "");
	it_result_release(&res);

	st = it_status(env);
	assert_non_null(revision(st));
	assert_int_equal(strlen(revision(st)), 40);
	assert_int_equal(it_array_size(st, "templates"), 2);
	assert_int_equal(it_array_size(st, "revisions"), 2);
	assert_int_equal(it_array_size(st, "groups"), 3);
	cJSON_Delete(st);

	/* The table names every group. */
	assert_int_equal(it_run(env, &res, "status", NULL), 0);
	assert_non_null(strstr(res.out, "us-central1-b"));
	assert_non_null(strstr(res.out, "INSTANCES: 0 live"));
	it_result_release(&res);
}

/* Same content again: nothing to do; changed content: a new revision. */
static void revision_follows_content(void **state)
{
	struct it_env *env = *state;
	char first[41];
	cJSON *st;

	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	st = it_status(env);
	(void)snprintf(first, sizeof(first), "%s", revision(st));
	cJSON_Delete(st);
	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	st = it_status(env);
	assert_string_equal(revision(st), first);
	cJSON_Delete(st);

	it_write_config(env, "managers.cfg",
			"managers { template_base_name: \"linux\" zone: \"us-east1-b\" "
			"minimum_size: 1 }\n");
	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	st = it_status(env);
	assert_string_not_equal(revision(st), first);
	cJSON_Delete(st);
}

/* A bad config: exit 78, the message names the place, and the stored config stays. */
static void expect_refused(struct it_env *env, const char *file, const void *text, size_t len,
			   const char *needle)
{
	struct it_result res;
	char path[256], before[41];
	cJSON *st;

	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	st = it_status(env);
	(void)snprintf(before, sizeof(before), "%s", revision(st));
	cJSON_Delete(st);

	(void)snprintf(path, sizeof(path), "%s/%s", env->config_dir, file);
	if (text)
		it_write_file(path, text, len);
	else
		assert_int_equal(unlink(path), 0);
	assert_int_equal(it_run(env, &res, "import-config", NULL), 78);
	if (!strstr(res.err, needle))
		print_message("stderr: %s\n", res.err);
	assert_non_null(strstr(res.err, needle));
	assert_string_equal(res.out, "");
	it_result_release(&res);

	st = it_status(env);
	assert_string_equal(revision(st), before);
	cJSON_Delete(st);
}

static void syntax_error_refused(void **state)
{
	const char t[] = "templates {\n  base_name: \"x\"\n";

	expect_refused(*state, "templates.cfg", t, strlen(t), "templates.cfg:3:1: ");
}

static void unknown_field_refused(void **state)
{
	const char t[] = "managers {\n  template_base_name: \"linux\"\n  zones: \"a\"\n}\n";

	expect_refused(*state, "managers.cfg", t, strlen(t), "managers.cfg:3:3: ");
}

static void wrong_type_refused(void **state)
{
	const char t[] = "managers { template_base_name: \"linux\" minimum_size: \"two\" }\n";

	expect_refused(*state, "managers.cfg", t, strlen(t), "managers.cfg:1:54: ");
}

static void out_of_range_refused(void **state)
{
	const char t[] = "managers { template_base_name: \"linux\" minimum_size: 4294967296 }\n";

	expect_refused(*state, "managers.cfg", t, strlen(t), "managers.cfg:1:54: ");
}

static void rule_violation_refused(void **state)
{
	const char t[] = "managers { template_base_name: \"linux\" zone: \"z\" minimum_size: 3\n"
			 "  maximum_size: 2 }\n";

	expect_refused(
		*state, "managers.cfg", t, strlen(t),
		"managers.cfg:2:3: minimum_size > maximum_size for zone z in template linux");
}

static void oversized_file_refused(void **state)
{
	size_t len = (1u << 20) + 1;
	char *big = malloc(len);

	memset(big, '#', len);
	expect_refused(*state, "templates.cfg", big, len, "larger than the 1048576-byte limit");
	free(big);
}

static void binary_garbage_refused(void **state)
{
	const unsigned char junk[] = { 0x7f, 'E', 'L', 'F', 0x02, 0x00, 0xff, 0xfe, 0x01 };

	expect_refused(*state, "managers.cfg", junk, sizeof(junk), "managers.cfg:1:1: ");
}

static void missing_file_refused(void **state)
{
	expect_refused(*state, "managers.cfg", NULL, 0, "managers.cfg: no such file");
}

static void both_files_missing_refused(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/templates.cfg", env->config_dir);
	assert_int_equal(unlink(path), 0);
	(void)snprintf(path, sizeof(path), "%s/managers.cfg", env->config_dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(it_run(env, &res, "import-config", NULL), 78);
	assert_non_null(strstr(res.err, "neither templates.cfg nor managers.cfg"));
	it_result_release(&res);
}

static void bad_settings_refused(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	it_write_config(env, "settings.cfg", "mp_server: \"http://example.com\"\n");
	assert_int_equal(it_run(env, &res, "import-config", NULL), 78);
	assert_non_null(strstr(
		res.err, "settings.cfg:1:1: mp_server: http to 'example.com' is not allowed"));
	it_result_release(&res);
}

/* A store that is not ours: clear message, exit 74, no crash. */
static void foreign_store_refused(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/db", env->state_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/db/data.mdb", env->state_dir);
	it_write_file(path, "this is not an LMDB file, just some text that is long enough", 60);
	assert_int_equal(it_run(env, &res, "import-config", NULL), 74);
	assert_non_null(strstr(res.err, "not an LMDB file"));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "status", NULL), 74);
	it_result_release(&res);
}

/* A state directory that is a file: a config error naming it. */
static void state_dir_not_a_directory(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	assert_int_equal(rmdir(env->state_dir), 0);
	it_write_file(env->state_dir, "x", 1);
	assert_int_equal(it_run(env, &res, "import-config", NULL), 78);
	assert_non_null(strstr(res.err, "is not a directory"));
	it_result_release(&res);
}

/*
 * A missing state directory (a mistyped --state-dir) is not made: every job
 * exits 78 naming it and how to make it, and creates nothing.
 */
static void state_dir_missing(void **state)
{
	static const char *const jobs[] = { "import-config", "process-config", "fetch-instances",
					    "status" };
	struct it_env *env = *state;
	struct it_result res;
	size_t i;

	assert_int_equal(rmdir(env->state_dir), 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		assert_int_equal(it_run(env, &res, jobs[i], NULL), 78);
		assert_non_null(strstr(res.err, "does not exist"));
		assert_non_null(strstr(res.err, "install -d -o gceb"));
		assert_non_null(strstr(res.err, env->state_dir));
		it_result_release(&res);
		assert_int_equal(access(env->state_dir, F_OK), -1);
	}
}

static void status_without_store(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	assert_int_equal(it_run(env, &res, "status", NULL), 74);
	assert_non_null(strstr(res.err, "gceb-import-config"));
	it_result_release(&res);
}

static void dry_run_changes_nothing(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	cJSON *st;

	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	it_write_config(env, "managers.cfg",
			"managers { template_base_name: \"win\" zone: \"z\" minimum_size: 1 }\n");
	st = it_status(env);
	assert_int_equal(it_run(env, &res, "import-config", "--dry-run", NULL), 0);
	assert_non_null(strstr(res.out, "would import config revision"));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "process-config", "-n", NULL), 0);
	it_result_release(&res);
	{
		cJSON *after = it_status(env);

		assert_true(cJSON_Compare(st, after, true));
		assert_int_equal(it_array_size(after, "templates"), 0);
		cJSON_Delete(after);
	}
	cJSON_Delete(st);
}

/* Another run holds the lock: skip quietly with exit 0 (docs/design/departures.md). */
static void held_lock_skips(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char path[256];
	int fd;

	assert_int_equal(it_run(env, NULL, "import-config", NULL), 0);
	(void)snprintf(path, sizeof(path), "%s/locks/import-config.lock", env->state_dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	it_write_config(env, "managers.cfg", "");
	assert_int_equal(it_run(env, &res, "import-config", NULL), 0);
	assert_string_equal(res.err, "");
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "import-config", "-v", NULL), 0);
	assert_non_null(strstr(res.err, "held by another run"));
	it_result_release(&res);
	(void)close(fd);
}

static void options(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	assert_int_equal(it_run(NULL, &res, "import-config", "--help", NULL), 0);
	assert_non_null(strstr(res.out, "usage: gceb-import-config"));
	assert_non_null(strstr(res.out, "--state-dir DIR"));
	it_result_release(&res);
	assert_int_equal(it_run(NULL, &res, "status", "-V", NULL), 0);
	assert_non_null(strstr(res.out, "gceb-status "));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "import-config", "--bogus", NULL), 64);
	assert_non_null(strstr(res.err, "unknown option '--bogus'"));
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "import-config", "extra", NULL), 64);
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "import-config", "--map-size-mib", "x", NULL), 64);
	it_result_release(&res);
	assert_int_equal(it_run(env, &res, "import-config", "--state-dir", NULL), 64);
	it_result_release(&res);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_config_imported_silently, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(revision_follows_content, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(syntax_error_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(unknown_field_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(wrong_type_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(out_of_range_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(rule_violation_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(oversized_file_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(binary_garbage_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(missing_file_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(both_files_missing_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(bad_settings_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(foreign_store_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(state_dir_missing, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(state_dir_not_a_directory, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(status_without_store, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(dry_run_changes_nothing, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(held_lock_skips, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(options, setup, it_env_teardown),
	};

	return gceb_test_run("import_config", tests, argc, argv);
}
