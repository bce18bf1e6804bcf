/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_canonjson.c - canonical JSON strings (lib/canonjson.c) against what
 * Python 2.7.18 json.dumps(s.decode("utf-8")) writes for the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "buf.h"
#include "canonjson.h"
#include "runner.h"

static void assert_quotes_as(const char *in, const char *want)
{
	struct gceb_buf b = GCEB_BUF_INIT;

	gceb_canonjson_quote(&b, in);
	assert_false(b.oom);
	assert_non_null(b.p);
	assert_string_equal(b.p, want);
	gceb_buf_release(&b);
}

static void empty_and_null_are_the_empty_string(void **state)
{
	(void)state;
	assert_quotes_as("", "\"\"");
	assert_quotes_as(NULL, "\"\"");
}

static void printable_ascii_is_literal(void **state)
{
	(void)state;
	assert_quotes_as("plain ascii /slash/ ~", "\"plain ascii /slash/ ~\"");
}

static void quote_and_backslash_are_escaped(void **state)
{
	(void)state;
	assert_quotes_as("say \"hi\" \\ back", "\"say \\\"hi\\\" \\\\ back\"");
}

static void short_escapes(void **state)
{
	(void)state;
	assert_quotes_as("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
}

static void other_controls_are_u_escapes(void **state)
{
	(void)state;
	assert_quotes_as("\x01\x1f", "\"\\u0001\\u001f\"");
}

static void del_is_a_u_escape(void **state)
{
	(void)state;
	/* Python 2's json escapes everything outside ' '..'~', DEL too. */
	assert_quotes_as("\x7f", "\"\\u007f\"");
}

static void bmp_code_points_are_lower_case_u_escapes(void **state)
{
	(void)state;
	assert_quotes_as("caf\xc3\xa9", "\"caf\\u00e9\"");
	assert_quotes_as("\xc2\x80", "\"\\u0080\"");
	assert_quotes_as("\xe2\x82\xac", "\"\\u20ac\"");
	assert_quotes_as("\xef\xbf\xbf", "\"\\uffff\"");
	/* Python 2 decodes a UTF-8 encoded surrogate too. */
	assert_quotes_as("\xed\xa0\x80", "\"\\ud800\"");
}

static void astral_code_points_are_surrogate_pairs(void **state)
{
	(void)state;
	assert_quotes_as("\xf0\x90\x80\x80", "\"\\ud800\\udc00\"");
	assert_quotes_as("\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\"");
	assert_quotes_as("\xf4\x8f\xbf\xbf", "\"\\udbff\\udfff\"");
}

static void a_stray_byte_stands_for_itself(void **state)
{
	(void)state;
	/*
	 * Python 2 refuses such input (UnicodeDecodeError); config validation
	 * rejects it before it gets here, and canonjson.h promises this.
	 */
	assert_quotes_as("\xff", "\"\\u00ff\"");
	assert_quotes_as("a\x80z", "\"a\\u0080z\"");
	/* A sequence cut short by the end of the string: each byte on its own. */
	assert_quotes_as("\xe2\x82", "\"\\u00e2\\u0082\"");
	assert_quotes_as("\xe2\x82x", "\"\\u00e2\\u0082x\"");
}

static void appends_to_what_is_there(void **state)
{
	struct gceb_buf b = GCEB_BUF_INIT;

	(void)state;
	gceb_buf_adds(&b, "{");
	gceb_canonjson_quote(&b, "k");
	gceb_buf_adds(&b, ": ");
	gceb_canonjson_quote(&b, "v\xc3\xa9");
	gceb_buf_adds(&b, "}");
	assert_string_equal(b.p, "{\"k\": \"v\\u00e9\"}");
	gceb_buf_release(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_and_null_are_the_empty_string),
		cmocka_unit_test(printable_ascii_is_literal),
		cmocka_unit_test(quote_and_backslash_are_escaped),
		cmocka_unit_test(short_escapes),
		cmocka_unit_test(other_controls_are_u_escapes),
		cmocka_unit_test(del_is_a_u_escape),
		cmocka_unit_test(bmp_code_points_are_lower_case_u_escapes),
		cmocka_unit_test(astral_code_points_are_surrogate_pairs),
		cmocka_unit_test(a_stray_byte_stands_for_itself),
		cmocka_unit_test(appends_to_what_is_there),
	};

	return gceb_test_run("canonjson", tests, argc, argv);
}
