/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_gce_jobs.c - the Compute Engine jobs as binaries against gceb-emulator
 * (docs/design/create.md, docs/design/instances.md, docs/design/metadata.md,
 * docs/design/delete.md): rollout, 409 adoption, awaited inserts, pagination, resize, deletion,
 * metadata, drain, dry-run, faults and hostile links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  metadata: \"role:web\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 3 maximum_size: 5 }\n";

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", MANAGERS);
	it_emu_start(env, "--page-size", "2", NULL);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	*state = env;
	return 0;
}

/* The first group of the status JSON. Caller frees the status. */
static const cJSON *first(const cJSON *st, const char *array)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, array), 0);
}

/* The number of objects in one of the emulator's Compute collections (it_emu_state). */
static int emu_count(const cJSON *state, const char *what)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(state, "compute"), what));
}

static void roll_out(struct it_env *env)
{
	it_run_ok(env, "create-instance-templates");
	it_run_ok(env, "create-instance-group-managers");
	it_run_ok(env, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
}

/* TPL-4, IGM-2, RSZ (grow to the minimum), FET-3/4 (pages of 2): the first rollout. */
static void first_rollout(void **state)
{
	struct it_env *env = *state;
	cJSON *st, *emu;

	roll_out(env);
	st = it_status(env);
	assert_non_null(it_str(first(st, "revisions"), "url"));
	assert_non_null(it_str(first(st, "groups"), "url"));
	assert_int_equal(it_int(first(st, "groups"), "instances"), 3);
	assert_int_equal(it_int(cJSON_GetObjectItemCaseSensitive(st, "instance_counts"), "total"),
			 3);
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(emu_count(emu, "instanceTemplates"), 1);
	assert_int_equal(emu_count(emu, "instanceGroupManagers"), 1);
	assert_int_equal(emu_count(emu, "instances"), 3);
	cJSON_Delete(emu);

	/* Converged: every job is a no-op now. */
	roll_out(env);
	emu = it_emu_state(env);
	assert_int_equal(emu_count(emu, "instances"), 3);
	cJSON_Delete(emu);
}

/* The revision id that process-config made, from gceb-status. */
static void revision_id(const struct it_env *env, char out[41])
{
	cJSON *st = it_status(env);

	(void)snprintf(out, 41, "%s", it_str(first(st, "revisions"), "revision"));
	cJSON_Delete(st);
}

static void add_fault(const struct it_env *env, const char *json)
{
	long status;
	cJSON *r = it_emu_call(env, "POST", "/_emu/faults", json, &status);

	if (status != 200)
		print_message("fault %s: %ld\n", json, status);
	assert_int_equal(status, 200);
	cJSON_Delete(r);
}

static void clear_faults(const struct it_env *env)
{
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/faults", NULL, NULL));
}

/*
 * Run @job expecting exit @want (the failure's class, docs/exit-codes.md)
 * and exactly one error line naming the item, containing @needle.
 */
static void expect_item_failure(const struct it_env *env, const char *job, int want,
				const char *needle)
{
	struct it_result res;
	const char *nl;

	it_run(env, &res, job, "--timeout-ms", "1000", NULL);
	if (res.status != want || !strstr(res.err, needle))
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, want);
	assert_non_null(strstr(res.err, needle));
	/* One line for the item, one summary line. */
	nl = strchr(res.err, '\n');
	assert_non_null(nl);
	assert_non_null(strstr(nl + 1, "1 of 1 item failed"));
	it_result_release(&res);
}

static bool revision_has_url(const struct it_env *env)
{
	cJSON *st = it_status(env);
	bool has = it_str(first(st, "revisions"), "url") != NULL;

	cJSON_Delete(st);
	return has;
}

/* TPL-5 and IGM-3: a template that already exists (409) is adopted with a GET. */
static void existing_template_adopted(void **state)
{
	struct it_env *env = *state;
	char rev[41], body[512], path[128];
	long status;
	cJSON *st, *emu;

	revision_id(env, rev);
	(void)snprintf(
		body, sizeof(body),
		"{\"name\": \"web-%s\", \"properties\": {\"machineType\": \"n1-standard-2\"}}",
		rev);
	(void)snprintf(path, sizeof(path), "/compute/v1/projects/proj/global/instanceTemplates");
	cJSON_Delete(it_emu_api(env, "POST", path, body, &status));
	assert_int_equal(status, 200);
	it_emu_advance(env, 10);
	it_run_ok(env, "create-instance-templates");
	st = it_status(env);
	assert_non_null(strstr(it_str(first(st, "revisions"), "url"), rev));
	cJSON_Delete(st);
	assert_int_equal(it_emu_count_requests(env, "GET", "/global/instanceTemplates/web-"), 1);
	emu = it_emu_state(env);
	assert_int_equal(emu_count(emu, "instanceTemplates"), 1);
	cJSON_Delete(emu);
}

/* docs/design/departures.md: a slow insert is polled on later runs; url only once DONE. */
static void slow_insert_awaited(void **state)
{
	struct it_env *env = *state;

	cJSON_Delete(it_emu_call(env, "POST", "/_emu/config",
				 "{\"op_polls\": 3, \"op_ms\": 100000000}", NULL));
	it_run_ok(env, "create-instance-templates"); /* insert, poll 1 */
	assert_false(revision_has_url(env));
	it_run_ok(env, "create-instance-templates"); /* poll 2 */
	assert_false(revision_has_url(env));
	it_run_ok(env, "create-instance-templates"); /* poll 3: DONE */
	assert_true(revision_has_url(env));
	/* One insert only: later runs polled the stored operation. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 1);
}

/* docs/design/departures.md: an insert that fails asynchronously is logged and retried. */
static void failed_insert_retried(void **state)
{
	struct it_env *env = *state;

	cJSON_Delete(
		it_emu_call(env, "POST", "/_emu/gce/op-failure",
			    "{\"operationType\": \"insert\", \"target\": \"*instanceTemplates*\", "
			    "\"code\": \"RESOURCE_NOT_FOUND\", \"message\": \"image not found\"}",
			    NULL));
	expect_item_failure(env, "create-instance-templates", 1, "RESOURCE_NOT_FOUND");
	assert_false(revision_has_url(env));
	it_run_ok(env, "create-instance-templates");
	assert_true(revision_has_url(env));
}

/* A transient fault twice: retried inside the run, which succeeds; three attempts reached GCE. */
static void transient_fault(void **state, const char *fault)
{
	struct it_env *env = *state;

	add_fault(env, fault);
	it_run_ok(env, "create-instance-templates");
	assert_true(revision_has_url(env));
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 3);
}

static void retry_500(void **state)
{
	transient_fault(state, "{\"path\": \"*/instanceTemplates\", \"action\": \"status\", "
			       "\"status\": 500, \"count\": 2}");
}

static void retry_503(void **state)
{
	transient_fault(state, "{\"path\": \"*/instanceTemplates\", \"action\": \"status\", "
			       "\"status\": 503, \"count\": 2}");
}

static void retry_429(void **state)
{
	transient_fault(state, "{\"path\": \"*/instanceTemplates\", \"action\": \"status\", "
			       "\"status\": 429, \"count\": 2}");
}

static void retry_403_rate_limited(void **state)
{
	transient_fault(state, "{\"path\": \"*/instanceTemplates\", \"action\": \"status\", "
			       "\"status\": 403, \"reason\": \"rateLimitExceeded\", \"count\": 2}");
}

/*
 * Each permanent fault: exit @want, one line, nothing changed; the next
 * clean run converges.
 */
static void permanent_fault(void **state, const char *fault, int want, const char *needle)
{
	struct it_env *env = *state;

	add_fault(env, fault);
	expect_item_failure(env, "create-instance-templates", want, needle);
	assert_false(revision_has_url(env));
	clear_faults(env);
	/* A request that failed on the way back may have created the template: let it finish. */
	it_emu_advance(env, 10);
	it_run_ok(env, "create-instance-templates");
	assert_true(revision_has_url(env));
}

static void fault_500_exhausts_retries(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"status\", \"status\": 500}", 69,
		"HTTP 500");
}

static void fault_403_forbidden(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"status\", \"status\": 403, "
		"\"reason\": \"forbidden\", \"count\": 2}",
		77, "HTTP 403 forbidden");
}

static void fault_reset(void **state)
{
	permanent_fault(state, "{\"path\": \"*/instanceTemplates\", \"action\": \"reset\"}", 69,
			"POST ");
}

static void fault_timeout(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"delay\", \"delay_ms\": 3000}",
		69, "POST ");
}

static void fault_truncated_json(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"truncate\", \"count\": 1}", 76,
		"instanceTemplates");
}

static void fault_html_page(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"status\", \"status\": 502, "
		"\"body\": \"<html><body>Bad Gateway</body></html>\", "
		"\"content_type\": \"text/html\"}",
		69, "HTTP 502");
}

static void fault_missing_field(void **state)
{
	permanent_fault(
		state,
		"{\"path\": \"*/instanceTemplates\", \"action\": \"status\", \"status\": 200, "
		"\"body\": \"{\\\"kind\\\": \\\"compute#operation\\\"}\", \"count\": 1}",
		76, "instanceTemplates");
}

/* A targetLink on another host is refused: nothing stored, nothing sent there. */
static void hostile_link_refused(void **state)
{
	struct it_env *env = *state;
	char fault[1024];

	(void)snprintf(
		fault, sizeof(fault),
		"{\"path\": \"*/instanceTemplates\", \"action\": \"status\", \"status\": 200, "
		"\"count\": 1, \"body\": \"{\\\"kind\\\": \\\"compute#operation\\\", "
		"\\\"name\\\": \\\"op-1\\\", \\\"status\\\": \\\"DONE\\\", "
		"\\\"selfLink\\\": \\\"%s/compute/v1/projects/proj/global/operations/op-1\\\", "
		"\\\"targetLink\\\": \\\"https://evil.example.com/compute/v1/projects/proj/"
		"global/instanceTemplates/web\\\"}\"}",
		env->emu_url);
	add_fault(env, fault);
	/* An answer that points elsewhere is a malformed answer (76), not a refusal. */
	expect_item_failure(env, "create-instance-templates", 76, "evil.example.com");
	assert_false(revision_has_url(env));
}

/* --deadline ends a run whose requests hang: non-zero exit, nothing changed, no lock held. */
static void deadline_ends_the_run(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	struct timespec t0, t1;

	add_fault(env, "{\"path\": \"*/instanceTemplates\", \"action\": \"delay\", "
		       "\"delay_ms\": 20000}");
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	it_run(env, &res, "create-instance-templates", "--deadline", "1", NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	/*
	 * 69 when the deadline strikes while the request waits; 1 (the item
	 * failed) when it strikes first during the token fetch, which a loaded
	 * machine can make that slow. Either way: given up, and said why.
	 */
	if (res.status != 69 && res.status != 1)
		print_message("exit %d: %s\n", res.status, res.err);
	assert_true(res.status == 69 || res.status == 1);
	/* The last attempt is cut to what is left of the deadline: a timeout says so too. */
	if (!strstr(res.err, "deadline") && !strstr(res.err, "timed out"))
		print_message("stderr: %s\n", res.err);
	assert_true(strstr(res.err, "deadline") || strstr(res.err, "timed out"));
	it_result_release(&res);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_false(revision_has_url(env));
	clear_faults(env);
	it_emu_advance(env, 10);
	it_run_ok(env, "create-instance-templates");
	assert_true(revision_has_url(env));
}

/*
 * gceb-run-all parses its options as the jobs do (so "--max-conc 4" is
 * --max-concurrency, as getopt allows) and forwards each, as --name=value,
 * only to the jobs that take it: gceb-process-config, which takes no HTTP
 * option, used to get "--max-conc" and exit 64.
 */
static void run_all_forwards_canonical_options(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	cJSON *st;

	it_run(env, &res, "run-all", "--max-conc", "4", "--dead=600", "-v", NULL);
	if (res.status != 0)
		print_message("gceb-run-all exit %d:\n%s", res.status, res.err);
	assert_int_equal(res.status, 0);
	/* -v reached the jobs, as --verbose. */
	assert_non_null(strstr(res.err, "is already imported"));
	it_result_release(&res);
	st = it_status(env);
	assert_int_equal(it_array_size(st, "groups"), 1);
	assert_non_null(it_str(first(st, "groups"), "url"));
	cJSON_Delete(st);
}

/* -n: says what it would send, sends no mutation, writes nothing. */
static void dry_run_sends_nothing(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	it_run(env, &res, "create-instance-templates", "-n", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out, "would POST "));
	assert_non_null(strstr(res.out, "/global/instanceTemplates"));
	it_result_release(&res);
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 0);
	assert_false(revision_has_url(env));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_rollout, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(existing_template_adopted, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(slow_insert_awaited, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(failed_insert_retried, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(retry_500, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(retry_503, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(retry_429, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(retry_403_rate_limited, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_500_exhausts_retries, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_403_forbidden, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_reset, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_timeout, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_truncated_json, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_html_page, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fault_missing_field, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(hostile_link_refused, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(dry_run_sends_nothing, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(run_all_forwards_canonical_options, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(deadline_ends_the_run, setup, it_env_teardown),
	};

	return gceb_test_run("gce_jobs", tests, argc, argv);
}
