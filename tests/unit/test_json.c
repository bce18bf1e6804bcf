/* SPDX-License-Identifier: Apache-2.0 */
/* test_json.c - the shared JSON field getters and Google's error envelope (lib/json.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "runner.h"

static cJSON *object(const char *text)
{
	cJSON *json = NULL;

	assert_int_equal(gceb_json_parse_object("test", text, strlen(text), &json, NULL), 0);
	return json;
}

static void strings(void **state)
{
	cJSON *o = object("{\"s\": \"v\", \"n\": 1, \"z\": null, \"in\": {\"s\": 2}}");
	struct gceb_err err = { 0 };
	const char *v;

	(void)state;
	assert_int_equal(gceb_json_string("x", o, "s", true, &v, &err), 0);
	assert_string_equal(v, "v");
	assert_int_equal(gceb_json_string("x", o, "z", false, &v, &err), 0);
	assert_null(v);
	assert_int_equal(gceb_json_string("x", o, "z", true, &v, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'z' is missing");
	assert_int_equal(gceb_json_string("x", o, "n", false, &v, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'n' is not a string");
	/* The message names the whole path; the lookup takes its last part. */
	assert_int_equal(
		gceb_json_string("x", cJSON_GetObjectItem(o, "in"), "in.s", false, &v, &err),
		GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'in.s' is not a string");
	cJSON_Delete(o);
}

static void int64s(void **state)
{
	static const struct {
		const char *json;
		int r;
		bool present;
		int64_t v;
	} cases[] = {
		{ "{\"i\": 42}", 0, true, 42 },
		{ "{\"i\": -7}", 0, true, -7 },
		{ "{\"i\": \"9223372036854775807\"}", 0, true, INT64_MAX },
		{ "{\"i\": \"-12\"}", 0, true, -12 },
		{ "{\"i\": 9007199254740992}", 0, true, 9007199254740992LL },
		{ "{}", 0, false, 0 },
		{ "{\"i\": null}", 0, false, 0 },
		{ "{\"i\": 1.5}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": 1e300}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": \"9223372036854775808\"}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": \"12x\"}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": \" 12\"}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": \"\"}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": \"-\"}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": true}", GCEB_EPARSE, false, 0 },
		{ "{\"i\": [1]}", GCEB_EPARSE, false, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = object(cases[i].json);
		struct gceb_err err = { 0 };
		bool present = true;
		int64_t v = 0;

		assert_int_equal(gceb_json_int64("x", o, "i", &present, &v, &err), cases[i].r);
		assert_int_equal(present, cases[i].present);
		if (cases[i].present)
			assert_int_equal(v, cases[i].v);
		if (cases[i].r)
			assert_string_equal(err.msg, "x: field 'i' is not an integer");
		cJSON_Delete(o);
	}
}

static void bools_and_types(void **state)
{
	cJSON *o = object("{\"t\": true, \"f\": false, \"n\": 0, \"a\": [], \"o\": {}}");
	struct gceb_err err = { 0 };
	const cJSON *v;
	bool present, b;

	(void)state;
	assert_int_equal(gceb_json_bool("x", o, "t", &present, &b, &err), 0);
	assert_true(present && b);
	assert_int_equal(gceb_json_bool("x", o, "f", &present, &b, &err), 0);
	assert_true(present && !b);
	assert_int_equal(gceb_json_bool("x", o, "missing", &present, &b, &err), 0);
	assert_false(present || b);
	assert_int_equal(gceb_json_bool("x", o, "n", &present, &b, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'n' is not a boolean");
	assert_int_equal(gceb_json_typed("x", o, "a", cJSON_Array, &v, &err), 0);
	assert_true(cJSON_IsArray(v));
	assert_int_equal(gceb_json_typed("x", o, "missing", cJSON_Array, &v, &err), 0);
	assert_null(v);
	assert_int_equal(gceb_json_typed("x", o, "o", cJSON_Array, &v, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'o' is not an array");
	assert_int_equal(gceb_json_typed("x", o, "a", cJSON_Object, &v, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "x: field 'a' is not an object");
	cJSON_Delete(o);
}

static int parse_error(const char *text, struct gceb_api_error *e, struct gceb_err *err)
{
	return gceb_api_error_parse(text, strlen(text), e, err);
}

static void error_envelope(void **state)
{
	struct gceb_api_error e = { 0 };
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(parse_error("{\"error\": {\"code\": 403, \"message\": \"Quota\", "
				     "\"status\": \"RESOURCE_EXHAUSTED\", \"errors\": ["
				     "{\"reason\": \"quotaExceeded\", \"message\": \"q\"}, "
				     "{\"reason\": \"userRateLimitExceeded\"}]}}",
				     &e, &err),
			 0);
	assert_int_equal(e.code, 403);
	assert_string_equal(e.reason, "quotaExceeded");
	assert_string_equal(e.message, "Quota");
	assert_string_equal(e.status, "RESOURCE_EXHAUSTED");
	assert_true(e.rate_limited); /* any entry says so, not only the first */
	gceb_api_error_release(&e);

	assert_int_equal(parse_error("{\"error\": {\"code\": \"429\", \"errors\": [{\"reason\": "
				     "\"rateLimitExceeded\", \"message\": \"slow down\"}, 7]}}",
				     &e, &err),
			 0);
	assert_int_equal(e.code, 429);
	assert_string_equal(e.message, "slow down");
	assert_null(e.status);
	assert_true(e.rate_limited);
	gceb_api_error_release(&e);

	assert_int_equal(parse_error("{\"error\": {\"code\": 500}}", &e, &err), 0);
	assert_false(e.rate_limited);
	assert_null(e.reason);
	gceb_api_error_release(&e);

	assert_int_equal(parse_error("{\"error\": {\"message\": \"m\"}}", &e, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "error response: field 'error.code' is missing");
	assert_int_equal(parse_error("{\"code\": 1}", &e, &err), GCEB_EPARSE);
	assert_string_equal(err.msg, "error response: field 'error' is missing");
	assert_int_equal(parse_error("{\"error\": {\"code\": 1, \"errors\": [3]}}", &e, &err),
			 GCEB_EPARSE);
	assert_string_equal(err.msg, "error response: field 'error.errors[0]' is not an object");
	assert_int_equal(parse_error("{\"error\": {\"code\": 1, \"status\": 2}}", &e, &err),
			 GCEB_EPARSE);
	assert_string_equal(err.msg, "error response: field 'error.status' is not a string");
	assert_int_equal(parse_error("<html>", &e, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "HTML"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings),
		cmocka_unit_test(int64s),
		cmocka_unit_test(bools_and_types),
		cmocka_unit_test(error_envelope),
	};

	return gceb_test_run("json", tests, argc, argv);
}
