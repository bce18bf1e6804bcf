/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_luci_import.c - gceb-import-config reading templates.cfg and
 * managers.cfg from the LUCI config service (gceb-emulator, docs/design/luci-config.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] = "templates { base_name: \"web\" project: \"proj\" "
				"image_name: \"debian-12\" machine_type: \"n1-standard-2\" }\n";
static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 }\n";

struct fixture {
	struct it_env env;
	char luci[256];
	char served[160];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[256];

	it_env_init(&f->env);
	(void)snprintf(f->served, sizeof(f->served), "%s/served", f->env.root);
	assert_int_equal(mkdir(f->served, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/templates.cfg", f->served);
	it_write_file(path, TEMPLATES, strlen(TEMPLATES));
	(void)snprintf(path, sizeof(path), "%s/managers.cfg", f->served);
	it_write_file(path, MANAGERS, strlen(MANAGERS));
	it_emu_start(&f->env, "--config-dir", f->served, NULL);
	(void)snprintf(f->luci, sizeof(f->luci), "%s/_ah/api/config/v1/", f->env.emu_url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	it_emu_stop(&f->env);
	it_env_cleanup(&f->env);
	free(f);
	return 0;
}

static const char *stored_revision(const cJSON *st)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "config"), "revision");

	return cJSON_IsString(r) ? r->valuestring : NULL;
}

static void publish(struct fixture *f, const char *body)
{
	long status;

	cJSON_Delete(it_emu_call(&f->env, "POST", "/_emu/luci/publish", body, &status));
	assert_int_equal(status, 200);
}

static int import(struct fixture *f, struct it_result *res)
{
	return it_run(&f->env, res, "import-config", "--luci-config", f->luci, NULL);
}

/* The config set's files are imported with the service's revision. */
static void imports_from_the_service(void **state)
{
	struct fixture *f = *state;
	struct it_result res;
	cJSON *st;

	assert_int_equal(import(f, &res), 0);
	assert_string_equal(res.err, "");
	it_result_release(&res);
	it_run_ok(&f->env, "process-config");
	st = it_status(&f->env);
	assert_non_null(stored_revision(st));
	assert_int_equal(it_array_size(st, "templates"), 1);
	assert_int_equal(it_array_size(st, "groups"), 1);
	cJSON_Delete(st);
	/* The token went with every call; content was fetched by hash. */
	assert_int_equal(it_emu_count_requests(&f->env, "GET", "/config_sets/services%2Fgceb/"), 2);
	assert_int_equal(it_emu_count_requests(&f->env, "GET", "/_ah/api/config/v1/config/v1"), 2);
}

/* A newer revision is imported; the same revision again fetches no content. */
static void follows_revisions(void **state)
{
	struct fixture *f = *state;
	cJSON *st;

	assert_int_equal(import(f, NULL), 0);
	publish(f, "{\"revision\": \"r2\", \"files\": {\"managers.cfg\": \"managers { "
		   "template_base_name: \\\"web\\\" zone: \\\"us-b\\\" minimum_size: 2 }\", "
		   "\"templates.cfg\": \"templates { base_name: \\\"web\\\" project: \\\"proj\\\" "
		   "image_name: \\\"debian-12\\\" machine_type: \\\"n1-standard-2\\\" }\"}}");
	assert_int_equal(import(f, NULL), 0);
	st = it_status(&f->env);
	assert_string_equal(stored_revision(st), "r2");
	cJSON_Delete(st);
	cJSON_Delete(it_emu_call(&f->env, "DELETE", "/_emu/requests", NULL, NULL));
	assert_int_equal(import(f, NULL), 0);
	assert_int_equal(it_emu_count_requests(&f->env, "GET", "/_ah/api/config/v1/config/v1"), 0);
}

/* Files at different revisions: wait, import nothing (docs/design/config.md). */
static void revision_mismatch_waits(void **state)
{
	struct fixture *f = *state;
	struct it_result res;
	char before[64];
	cJSON *st;

	assert_int_equal(import(f, NULL), 0);
	st = it_status(&f->env);
	(void)snprintf(before, sizeof(before), "%s", stored_revision(st));
	cJSON_Delete(st);
	publish(f, "{\"revision\": \"r9\", \"files\": {\"managers.cfg\": \"\"}}");
	assert_int_equal(import(f, &res), 78);
	assert_non_null(strstr(res.err, "waiting for both to agree"));
	it_result_release(&res);
	st = it_status(&f->env);
	assert_string_equal(stored_revision(st), before);
	cJSON_Delete(st);
}

/* A missing file and a bad file are refused like a bad directory config. */
static void missing_and_bad_files_refused(void **state)
{
	struct fixture *f = *state;
	struct it_result res;

	publish(f, "{\"revision\": \"r3\", \"files\": {\"managers.cfg\": null, "
		   "\"templates.cfg\": \"templates { }\"}}");
	assert_int_equal(import(f, &res), 78);
	assert_non_null(strstr(res.err, "has no managers.cfg"));
	it_result_release(&res);
	publish(f, "{\"revision\": \"r4\", \"files\": {\"managers.cfg\": \"managers { zone: }\", "
		   "\"templates.cfg\": \"# no templates\"}}");
	assert_int_equal(import(f, &res), 78);
	assert_non_null(strstr(res.err, "managers.cfg:1:18: "));
	it_result_release(&res);
}

/* Config service faults: exit non-zero, nothing stored. */
static void service_faults(void **state)
{
	struct fixture *f = *state;
	struct it_result res;
	long status;

	cJSON_Delete(it_emu_call(&f->env, "POST", "/_emu/faults",
				 "{\"path\": \"/_ah/api/config/*\", \"action\": \"status\", "
				 "\"status\": 503}",
				 &status));
	assert_int_equal(status, 200);
	it_run(&f->env, &res, "import-config", "--luci-config", f->luci, "--timeout-ms", "500",
	       NULL);
	assert_int_equal(res.status, 69);
	assert_non_null(strstr(res.err, "config service, templates.cfg"));
	it_result_release(&res);
	{
		cJSON *st = it_status(&f->env);

		assert_null(stored_revision(st)); /* nothing was stored */
		cJSON_Delete(st);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(imports_from_the_service, setup, teardown),
		cmocka_unit_test_setup_teardown(follows_revisions, setup, teardown),
		cmocka_unit_test_setup_teardown(revision_mismatch_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_and_bad_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(service_faults, setup, teardown),
	};

	return gceb_test_run("luci_import", tests, argc, argv);
}
