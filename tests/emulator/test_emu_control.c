/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_control.c - control API: faults, request log, state, clock, knobs */
#include <curl/curl.h>

#include "runner.h"
#include "test_emu_common.h"

#define TMPL "/compute/v1/projects/p/global/instanceTemplates"

static int setup(void **state)
{
	static const char *const args[] = { NULL };

	(void)state;
	return start_emu(args);
}

static long status_of(const char *method, const char *url, int *curl_err)
{
	struct emu_res r;
	long s;

	(void)emu_http(&P, method, url, NULL, 0, NULL, &r);
	s = r.status;
	if (curl_err)
		*curl_err = r.curl_err;
	emu_res_release(&r);
	return s;
}

static void fault_status_for_n_requests(void **state)
{
	struct emu_res r;

	(void)state;
	CTL("/_emu/faults", "{\"method\":\"GET\",\"path\":\"/compute/v1/*\",\"status\":503,"
			    "\"count\":2}");
	(void)emu_http(&P, "GET", TMPL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 503);
	assert_json_str(r.json, "error.errors.0.reason", "backendError");
	emu_res_release(&r);
	assert_int_equal(status_of("GET", TMPL, NULL), 503);
	assert_int_equal(status_of("GET", TMPL, NULL), 200);

	CTL("/_emu/faults",
	    "{\"path\":\"/_ah/api/*\",\"status\":404,\"body\":\"<html>cold</html>\","
	    "\"content_type\":\"text/html\",\"count\":1}");
	(void)emu_http(&P, "POST", "/_ah/api/catalog/v1/get", "{}", 0, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.ctype, "text/html"));
	assert_null(r.json);
	emu_res_release(&r);

	CTL("/_emu/faults", "{\"path\":\"*\",\"status\":429,\"probability\":0}");
	assert_int_equal(status_of("GET", TMPL, NULL), 200);
	CTL("/_emu/faults", "{\"path\":\"/compute/*\",\"status\":403,\"reason\":"
			    "\"rateLimitExceeded\",\"count\":1}");
	(void)emu_http(&P, "GET", TMPL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 403);
	assert_json_str(r.json, "error.errors.0.reason", "rateLimitExceeded");
	emu_res_release(&r);
	cJSON_Delete(CALL("DELETE", "/_emu/faults", NULL, 200));
	cJSON_Delete(CALL("POST", "/_emu/faults", "{\"status\":500}", 400));
}

static void fault_reset_truncate_delay(void **state)
{
	struct emu_res r;
	int err = 0;

	(void)state;
	/* two: libcurl retries once on a fresh connection when a reused one dies */
	CTL("/_emu/faults", "{\"path\":\"" TMPL "\",\"action\":\"reset\",\"count\":2}");
	(void)status_of("GET", TMPL, &err);
	assert_int_not_equal(err, CURLE_OK);
	cJSON_Delete(CALL("DELETE", "/_emu/faults", NULL, 200));
	assert_int_equal(status_of("GET", TMPL, NULL), 200);

	CTL("/_emu/faults", "{\"path\":\"" TMPL "\",\"action\":\"truncate\",\"count\":1}");
	(void)emu_http(&P, "GET", TMPL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(r.json);
	assert_true(r.len > 0);
	emu_res_release(&r);

	CTL("/_emu/faults", "{\"path\":\"" TMPL "\",\"delay_ms\":300,\"count\":1}");
	(void)emu_http(&P, "GET", TMPL, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(r.secs >= 0.29);
	emu_res_release(&r);
}

static void latency_knob(void **state)
{
	struct emu_res r;

	(void)state;
	CTL("/_emu/config", "{\"latency_ms\":200}");
	(void)emu_http(&P, "GET", TMPL, NULL, 0, NULL, &r);
	assert_true(r.secs >= 0.19);
	emu_res_release(&r);
	/* control calls are never delayed */
	(void)emu_http(&P, "GET", "/_emu/health", NULL, 0, NULL, &r);
	assert_true(r.secs < 0.19);
	emu_res_release(&r);
	cJSON_Delete(CALL("POST", "/_emu/config", "{\"latency_ms\":-1}", 400));
	cJSON_Delete(CALL("POST", "/_emu/config", "{\"missing_template\":401}", 400));
}

static void request_log_and_state(void **state)
{
	cJSON *log, *st;

	(void)state;
	cJSON_Delete(CALL("POST", TMPL "?x=a+b", "{\"name\":\"t\"}", 200));
	cJSON_Delete(CALL("GET", TMPL "/t", NULL, 404));
	log = CALL("GET", "/_emu/requests", NULL, 200);
	assert_int_equal(cJSON_GetArraySize(log), 2);
	assert_json_str(log, "0.method", "POST");
	assert_json_str(log, "0.path", TMPL);
	assert_json_str(log, "0.query", "x=a+b");
	assert_json_str(log, "0.body", "{\"name\":\"t\"}");
	assert_non_null(emu_str(log, "0.headers.Authorization"));
	assert_int_equal((int)emu_num(log, "0.status"), 200);
	assert_int_equal((int)emu_num(log, "1.status"), 404);
	cJSON_Delete(log);
	log = CALL("GET", "/_emu/requests?since=1", NULL, 200);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	cJSON_Delete(log);
	cJSON_Delete(CALL("DELETE", "/_emu/requests", NULL, 200));
	log = CALL("GET", "/_emu/requests", NULL, 200);
	assert_int_equal(cJSON_GetArraySize(log), 0);
	cJSON_Delete(log);

	st = CALL("GET", "/_emu/state", NULL, 200);
	assert_json_str(st, "compute.instanceTemplates.0.name", "t");
	assert_json_str(st, "compute.operations.0.operationType", "insert");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(st, "machine_provider"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(st, "tokens"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(st, "luci_config"));
	cJSON_Delete(st);
}

static void request_counters(void **state)
{
	cJSON *a, *b;

	(void)state;
	a = CALL("GET", "/_emu/stats", NULL, 200);
	cJSON_Delete(CALL("POST", TMPL, "{\"name\":\"t\"}", 200));
	cJSON_Delete(CALL("GET", TMPL "/t", NULL, 404));
	cJSON_Delete(CALL("POST", "/compute/v1/projects/p/zones/z/instanceGroups/g/listInstances",
			  "{}", 404));
	cJSON_Delete(CALL("POST", "/_ah/api/catalog/v1/get", "{\"hostname\":\"h\"}", 404));
	cJSON_Delete(CALL("GET", "/_emu/health", NULL, 200));
	b = CALL("GET", "/_emu/stats", NULL, 200);
	assert_int_equal((int)(emu_num(b, "compute_read") - emu_num(a, "compute_read")), 2);
	assert_int_equal((int)(emu_num(b, "compute_write") - emu_num(a, "compute_write")), 1);
	assert_int_equal((int)(emu_num(b, "machine_provider") - emu_num(a, "machine_provider")), 1);
	assert_true(emu_num(b, "requests") - emu_num(a, "requests") >= 4);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void clock_advances(void **state)
{
	cJSON *a, *b;

	(void)state;
	a = CALL("GET", "/_emu/clock", NULL, 200);
	b = CALL("POST", "/_emu/clock/advance", "{\"seconds\":3600,\"ms\":500}", 200);
	assert_true(emu_num(b, "now_ms") - emu_num(a, "now_ms") >= 3600500);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(CALL("POST", "/_emu/clock/advance", "{\"seconds\":\"x\"}", 400));
	cJSON_Delete(CALL("POST", "/_emu/nothing", NULL, 404));
	cJSON_Delete(CALL("GET", "/_emu/nothing", NULL, 404));
	cJSON_Delete(CALL("POST", "/_emu/config", "[]", 400));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fault_status_for_n_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_reset_truncate_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(latency_knob, setup, teardown),
		cmocka_unit_test_setup_teardown(request_log_and_state, setup, teardown),
		cmocka_unit_test_setup_teardown(request_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_advances, setup, teardown),
	};

	return gceb_test_run("emulator.control", tests, argc, argv);
}
