/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_exit_codes.c - a run exits with the most serious class of failure
 * across its items (docs/exit-codes.md): 78 config, 77 credentials refused,
 * 69 unavailable, 76 malformed answer, 75 rate-limited, 1 any other, 0
 * success; alike failures are one line with a count and a few keys; the
 * no-credentials line is whole. Real binaries against gceb-emulator, faults
 * through its control API (docs/emulator.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

/* Two templates in two projects, so that a fault can hit the items of one. */
static const char TEMPLATES[] = "templates {\n"
				"  base_name: \"web\"\n"
				"  project: \"p1\"\n"
				"  image_name: \"debian-12\"\n"
				"  machine_type: \"n1-standard-2\"\n"
				"  service_accounts { name: \"bot@p1.iam.gserviceaccount.com\" }\n"
				"}\n"
				"templates {\n"
				"  base_name: \"db\"\n"
				"  project: \"p2\"\n"
				"  image_name: \"debian-12\"\n"
				"  machine_type: \"n1-standard-2\"\n"
				"  service_accounts { name: \"bot@p2.iam.gserviceaccount.com\" }\n"
				"}\n";

static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 maximum_size: 2 }\n"
	"managers { template_base_name: \"db\" zone: \"us-a\" minimum_size: 1 maximum_size: 2 }\n";

static const char TEMPLATE_50[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"p1\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  service_accounts { name: \"bot@p1.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS_50[] = "managers { template_base_name: \"web\" zone: \"us-a\" "
				  "minimum_size: 50 maximum_size: 60 }\n";

static int setup_with(void **state, const char *templates, const char *managers)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", templates);
	it_write_config(env, "managers.cfg", managers);
	it_emu_start(env, NULL);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	*state = env;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, TEMPLATES, MANAGERS);
}

static int setup_50(void **state)
{
	return setup_with(state, TEMPLATE_50, MANAGERS_50);
}

static void add_fault(const struct it_env *env, const char *json)
{
	it_emu_post(env, "/_emu/faults", json);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run gceb-@job (short timeouts), assert it exits @want and says @needle; its stderr. */
static char *expect_exit(const struct it_env *env, const char *job, int want, const char *needle)
{
	struct it_result res;
	char *err;

	it_run(env, &res, job, "--timeout-ms", "1000", NULL);
	if (res.status != want || !strstr(res.err, needle))
		print_message("gceb-%s exit %d, want %d:\n%s", job, res.status, want, res.err);
	assert_int_equal(res.status, want);
	assert_non_null(strstr(res.err, needle));
	err = strdup(res.err);
	assert_non_null(err);
	it_result_release(&res);
	return err;
}

static void expect(const struct it_env *env, const char *job, int want, const char *needle)
{
	free(expect_exit(env, job, want, needle));
}

/* 0: every item done. */
static void success_is_0(void **state)
{
	it_expect((struct it_env *)*state, 0, "create-instance-templates");
}

/* 1: an item failed for a reason of no other class (a 400). */
static void other_failure_is_1(void **state)
{
	add_fault(*state, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 400, "
			  "\"reason\": \"invalid\"}");
	expect(*state, "create-instance-templates", 1, "HTTP 400 invalid");
}

/* 69: the API does not answer (the connection is reset, every attempt). */
static void unreachable_is_69(void **state)
{
	add_fault(*state, "{\"path\": \"*/instanceTemplates\", \"action\": \"reset\"}");
	expect(*state, "create-instance-templates", 69, "2 of 2 items failed");
}

/* 69: every attempt times out. */
static void timeout_is_69(void **state)
{
	add_fault(*state, "{\"path\": \"*/p1/global/instanceTemplates\", \"action\": \"delay\", "
			  "\"delay_ms\": 3000}");
	expect(*state, "create-instance-templates", 69, "timed out");
}

/* 69: 5xx after retries. */
static void server_errors_are_69(void **state)
{
	add_fault(*state, "{\"path\": \"*/instanceTemplates\", \"status\": 503}");
	expect(*state, "create-instance-templates", 69, "HTTP 503");
}

/* 76: the answer is cut short, not JSON. */
static void malformed_answer_is_76(void **state)
{
	add_fault(*state,
		  "{\"path\": \"*/p1/global/instanceTemplates\", \"action\": \"truncate\"}");
	expect(*state, "create-instance-templates", 76, "not JSON");
}

/* 75: 429 on every attempt, until the attempts or the deadline run out. */
static void rate_limited_is_75(void **state)
{
	add_fault(*state, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 429}");
	expect(*state, "create-instance-templates", 75, "HTTP 429");
}

/* 75: a 403 rateLimitExceeded too, here with the run's deadline ending the retries. */
static void rate_limit_403_past_the_deadline_is_75(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	add_fault(env, "{\"path\": \"*/instanceTemplates\", \"status\": 403, "
		       "\"reason\": \"rateLimitExceeded\"}");
	it_run(env, &res, "create-instance-templates", "--deadline", "2", NULL);
	if (res.status != 75)
		print_message("exit %d:\n%s", res.status, res.err);
	assert_int_equal(res.status, 75);
	assert_non_null(strstr(res.err, "rateLimitExceeded"));
	it_result_release(&res);
}

/* 77: a 401 on every attempt; the fresh token fetched once is refused too. */
static void refused_401_is_77(void **state)
{
	struct it_env *env = *state;

	add_fault(env, "{\"path\": \"*/instanceTemplates\", \"status\": 401, "
		       "\"reason\": \"authError\"}");
	expect(env, "create-instance-templates", 77, "HTTP 401 authError");
	/* One first attempt and one with a fresh token per item: 2 items. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 4);
	assert_int_equal(it_emu_count_requests(env, "GET", "/service-accounts/default/token"), 2);
}

/* 77: a 403 permission, after one token refresh. */
static void forbidden_after_a_refresh_is_77(void **state)
{
	struct it_env *env = *state;

	add_fault(env, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 403, "
		       "\"reason\": \"forbidden\"}");
	expect(env, "create-instance-templates", 77, "HTTP 403 forbidden");
	assert_int_equal(it_emu_count_requests(env, "POST", "/p1/global/instanceTemplates"), 2);
}

/* A 401 that a fresh token cures: the run succeeds, with one more token fetched. */
static void a_fresh_token_cures_a_401(void **state)
{
	struct it_env *env = *state;

	add_fault(env, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 401, "
		       "\"reason\": \"authError\", \"count\": 1}");
	it_expect(env, 0, "create-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "GET", "/service-accounts/default/token"), 2);
	assert_int_equal(it_emu_count_requests(env, "POST", "/p1/global/instanceTemplates"), 2);
}

/* 78: a token file whose content is no token. */
static void bad_token_file_content_is_78(void **state)
{
	struct it_env *env = *state;
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/token", env->root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs("not a token\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
	expect(env, "create-instance-templates", 78, "holds no valid token");
	assert_int_equal(unsetenv("GCEB_TOKEN_FILE"), 0);
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 0);
}

/* 78: a key file that is not a service-account key. */
static void bad_key_file_content_is_78(void **state)
{
	struct it_env *env = *state;
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/key.json", env->root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs("{\"type\": \"authorized_user\"}\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1), 0);
	expect(env, "create-instance-templates", 78, "is not a service-account JSON key");
	assert_int_equal(unsetenv("GOOGLE_APPLICATION_CREDENTIALS"), 0);
}

/* The most serious class wins, whichever item failed first: 77 over 69, 75 over 1. */
static void the_most_serious_class_wins(void **state)
{
	struct it_env *env = *state;
	char *err;

	add_fault(env, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 503}");
	add_fault(env, "{\"path\": \"*/p2/global/instanceTemplates\", \"status\": 401}");
	err = expect_exit(env, "create-instance-templates", 77, "2 of 2 items failed");
	assert_non_null(strstr(err, "HTTP 503"));
	assert_non_null(strstr(err, "HTTP 401"));
	free(err);
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/faults", NULL, NULL));
	add_fault(env, "{\"path\": \"*/p1/global/instanceTemplates\", \"status\": 400}");
	add_fault(env, "{\"path\": \"*/p2/global/instanceTemplates\", \"status\": 429}");
	expect(env, "create-instance-templates", 75, "2 of 2 items failed");
}

/*
 * With no credentials at all, the one line names the three ways to give
 * them and why the metadata server gave none, whole (exit 77).
 */
static void no_credentials_line_is_whole(void **state)
{
	struct it_env *env = *state;
	const char *host = getenv("GCE_METADATA_HOST");
	char *saved = host ? strdup(host) : NULL;
	char *err;
	const char *line;

	assert_non_null(saved);
	/* Port 9 of loopback: nobody listens. */
	assert_int_equal(setenv("GCE_METADATA_HOST", "127.0.0.1:9", 1), 0);
	err = expect_exit(env, "create-instance-templates", 77, "no credentials");
	assert_int_equal(setenv("GCE_METADATA_HOST", saved, 1), 0);
	free(saved);
	line = strstr(err, "no credentials");
	assert_non_null(strstr(line, "GOOGLE_APPLICATION_CREDENTIALS"));
	assert_non_null(strstr(line, "--key-file"));
	assert_non_null(strstr(line, "--token-file"));
	assert_non_null(strstr(line, "the metadata server '127.0.0.1:9' did not answer ("));
	/* Whole: the reason's parenthesis is closed at the end of the line, and nothing is cut. */
	assert_non_null(strstr(line, ")\n"));
	assert_true(strstr(line, ")\n") < strchr(line, '\n') + 1);
	assert_null(strstr(err, "..."));
	/* One line per item (their URLs differ: two projects), and the summary. */
	if (lines(err) != 3)
		print_message("%s", err);
	assert_int_equal(lines(err), 3);
	free(err);
}

/*
 * 50 instances refused alike by Machine Provider: one line with the count
 * and three keys, not 50 lines (and the summary); exit 77.
 */
static void alike_failures_are_one_line(void **state)
{
	struct it_env *env = *state;
	cJSON *st;
	char *err;
	const char *g;

	it_run_ok(env, "create-instance-templates");
	it_run_ok(env, "create-instance-group-managers");
	it_run_ok(env, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
	st = it_status(env);
	assert_int_equal(it_int(cJSON_GetObjectItemCaseSensitive(st, "instance_counts"), "total"),
			 50);
	cJSON_Delete(st);
	add_fault(env, "{\"path\": \"*/catalog/v1/add_machine\", \"status\": 401, "
		       "\"reason\": \"authError\"}");
	err = expect_exit(env, "catalog-instances", 77, "50 of 50 items failed");
	if (lines(err) != 2)
		print_message("%s", err);
	assert_int_equal(lines(err), 2);
	g = strstr(err, "HTTP 401 authError");
	assert_non_null(g);
	assert_non_null(strstr(g, " for 50 instances: 'web "));
	assert_non_null(strstr(g, "', ...\n"));
	free(err);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(success_is_0, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(other_failure_is_1, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(unreachable_is_69, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(timeout_is_69, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(server_errors_are_69, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(malformed_answer_is_76, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(rate_limited_is_75, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(rate_limit_403_past_the_deadline_is_75, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(refused_401_is_77, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(forbidden_after_a_refresh_is_77, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(a_fresh_token_cures_a_401, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(bad_token_file_content_is_78, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(bad_key_file_content_is_78, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(the_most_serious_class_wins, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(no_credentials_line_is_whole, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(alike_failures_are_one_line, setup_50,
						it_env_teardown),
	};

	return gceb_test_run("exit_codes", tests, argc, argv);
}
