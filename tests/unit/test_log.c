/* SPDX-License-Identifier: Apache-2.0 */
/* test_log.c - gceb_log_escape(): every value prints as one harmless line */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gceb/log.h"
#include "runner.h"

static void expect_escaped(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(gceb_log_escape(in, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void controls_escaped(void **state)
{
	(void)state;
	expect_escaped("plain text", "plain text");
	expect_escaped("a\nb\tc\rd", "a\\nb\\tc\\rd");
	expect_escaped("\033[2Jclear", "\\x1b[2Jclear");
	expect_escaped("bell\007del\177", "bell\\x07del\\x7f");
}

/* UTF-8 passes; C1 controls (U+0080..U+009F) and broken sequences do not. */
static void utf8_kept_c1_escaped(void **state)
{
	(void)state;
	expect_escaped("zone \xc3\xa9t\xc3\xa9", "zone \xc3\xa9t\xc3\xa9");
	expect_escaped("\xe2\x82\xac 5", "\xe2\x82\xac 5");
	expect_escaped("csi \xc2\x9b"
		       "2J",
		       "csi \\xc2\\x9b2J");
	expect_escaped("cut \xe2\x82", "cut \\xe2\\x82");
	expect_escaped("\xff\xfe", "\\xff\\xfe");
}

/* A value that does not fit says so (returns the size) and stays a string. */
static void too_long_reported(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(gceb_log_escape("0123456789", out, sizeof(out)), sizeof(out));
	assert_string_equal(out, "0123456");
	/* An escape is never cut in half. */
	assert_int_equal(gceb_log_escape("abcde\n", out, 7), 7);
	assert_string_equal(out, "abcde");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls_escaped),
		cmocka_unit_test(utf8_kept_c1_escaped),
		cmocka_unit_test(too_long_reported),
	};

	return gceb_test_run("log", tests, argc, argv);
}
