/* SPDX-License-Identifier: Apache-2.0 */
/* test_entity.c - string lists of stored entities (keys: test_fleet.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "entity.h"
#include "runner.h"

static void strv_push_find_remove(void **state)
{
	char **v = NULL, *s = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(gceb_strv_push(&v, &n, "a"), 0);
	assert_int_equal(gceb_strv_push(&v, &n, "b"), 0);
	assert_int_equal(gceb_strv_push(&v, &n, "c"), 0);
	assert_int_equal(gceb_strv_find(v, n, "b"), 1);
	assert_int_equal(gceb_strv_find(v, n, "x"), -1);
	gceb_strv_remove(v, &n, 0); /* keeps the order of the rest */
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "c");
	while (n > 0)
		gceb_strv_remove(v, &n, n - 1);
	free(v);
	assert_int_equal(gceb_set_string(&s, "x"), 0);
	assert_string_equal(s, "x");
	assert_int_equal(gceb_set_string(&s, NULL), 0);
	assert_null(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strv_push_find_remove),
	};

	return gceb_test_run("unit.entity", tests, argc, argv);
}
