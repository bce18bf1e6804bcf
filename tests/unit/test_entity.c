/* SPDX-License-Identifier: Apache-2.0 */
/* test_entity.c - entity keys */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "entity.h"
#include "runner.h"

static void key_prefix_takes_the_first_tokens(void **state)
{
	gceb_key out;

	(void)state;
	assert_true(gceb_key_prefix("web r1 us-a web-x9k2", 1, out));
	assert_string_equal(out, "web");
	assert_true(gceb_key_prefix("web r1 us-a web-x9k2", 2, out));
	assert_string_equal(out, "web r1");
	assert_true(gceb_key_prefix("web r1 us-a web-x9k2", 3, out));
	assert_string_equal(out, "web r1 us-a");
	/* A prefix needs a token after it: a key is never its own prefix. */
	assert_false(gceb_key_prefix("web r1 us-a", 3, out));
	assert_false(gceb_key_prefix("web", 1, out));
	assert_false(gceb_key_prefix("", 1, out));
	assert_false(gceb_key_prefix("web r1", 0, out));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_prefix_takes_the_first_tokens),
	};

	return gceb_test_run("unit.entity", tests, argc, argv);
}
