/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_audit.c - -v is an audit trail: one info line per change a job makes,
 * naming the object ("<what> '<key>': <event>"), and nothing without -v.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\" project: \"proj\" image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";
static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 maximum_size: 4 }\n";

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", MANAGERS);
	it_emu_start(env, NULL);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	it_run_ok(env, "create-instance-templates");
	it_run_ok(env, "create-instance-group-managers");
	it_run_ok(env, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
	*state = env;
	return 0;
}

/* How many lines of @text contain @needle. */
static int lines_with(const char *text, const char *needle)
{
	const char *line;
	int n = 0;

	for (line = text; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		size_t len = strcspn(line, "\n");
		const char *hit = strstr(line, needle);

		n += hit && hit < line + len;
	}
	return n;
}

/* The first stored instance's name, into @out. */
static void first_name(const struct it_env *env, char *out, size_t len)
{
	cJSON *st = it_status_instances(env);
	const cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "instances"), 0);

	assert_non_null(in);
	(void)snprintf(out, len, "%s", it_str(in, "name"));
	cJSON_Delete(st);
}

static void emu_host(const struct it_env *env, const char *path, const char *host, int seconds)
{
	char body[200];

	if (seconds)
		(void)snprintf(body, sizeof(body), "{\"hostname\": \"%s\", \"seconds\": %d}", host,
			       seconds);
	else
		(void)snprintf(body, sizeof(body), "{\"hostname\": \"%s\"}", host);
	it_emu_post(env, path, body);
}

/* Cataloged, leased, reclaimed and marked for deletion: each a line with -v. */
static void lease_cycle_is_told(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char host[64], line[160];

	/* Without -v a healthy run says nothing. */
	it_run_ok(env, "catalog-instances");
	first_name(env, host, sizeof(host));
	emu_host(env, "/_emu/mp/lease", host, 600);
	assert_int_equal(it_run(env, &res, "update-cataloged-instances", "-v", NULL), 0);
	(void)snprintf(line, sizeof(line), "gceb-update-cataloged-instances: info: instance 'web ");
	assert_int_equal(lines_with(res.err, "': leased until "), 1);
	assert_non_null(strstr(res.err, line));
	assert_non_null(strstr(res.err, host));
	it_result_release(&res);
	/* The same lease again is no change: nothing to tell. */
	assert_int_equal(it_run(env, &res, "update-cataloged-instances", "-v", NULL), 0);
	assert_int_equal(lines_with(res.err, "leased until"), 0);
	it_result_release(&res);
	emu_host(env, "/_emu/mp/expire", host, 0);
	assert_int_equal(it_run(env, &res, "update-cataloged-instances", "-v", NULL), 0);
	assert_int_equal(lines_with(res.err, "': reclaimed (gone from the Machine Provider "
					     "catalog): marked for deletion"),
			 1);
	it_result_release(&res);
}

/* A new VM cataloged: one line each, with -v only. */
static void cataloged_is_told(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	assert_int_equal(it_run(env, &res, "catalog-instances", "-v", NULL), 0);
	assert_int_equal(lines_with(res.err, "gceb-catalog-instances: info: instance 'web "), 2);
	assert_int_equal(lines_with(res.err, "': cataloged in Machine Provider"), 2);
	it_result_release(&res);
}

/* In a dry run the store changes are part of the plan, on stdout. */
static void dry_run_plans_the_records(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char host[64];

	it_run_ok(env, "catalog-instances");
	first_name(env, host, sizeof(host));
	emu_host(env, "/_emu/mp/lease", host, 600);
	assert_int_equal(it_run(env, &res, "update-cataloged-instances", "-n", NULL), 0);
	assert_int_equal(lines_with(res.out, "would record instance 'web "), 1);
	assert_string_equal(res.err, "");
	it_result_release(&res);
	/* Nothing was recorded: a real run still finds the lease new. */
	assert_int_equal(it_run(env, &res, "update-cataloged-instances", "-v", NULL), 0);
	assert_int_equal(lines_with(res.err, "leased until"), 1);
	it_result_release(&res);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lease_cycle_is_told, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(cataloged_is_told, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(dry_run_plans_the_records, setup, it_env_teardown),
	};

	return gceb_test_run("audit", tests, argc, argv);
}
