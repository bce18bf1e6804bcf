/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner_selftest.c - a cmocka binary for runner_check.cmake: two tests that
 * pass and one that fails; with RUNNER_SELFTEST_EMPTY set, a group of none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "runner.h"

static void alpha_passes(void **state)
{
	(void)state;
}

static void alps_pass(void **state)
{
	(void)state;
}

static void gamma_fails(void **state)
{
	(void)state;
	fail_msg("gamma_fails fails on purpose");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alpha_passes),
		cmocka_unit_test(alps_pass),
		cmocka_unit_test(gamma_fails),
	};

	if (getenv("RUNNER_SELFTEST_EMPTY"))
		return gceb_test_run_group("empty", tests, 0, NULL, NULL, argc, argv);
	return gceb_test_run("selftest", tests, argc, argv);
}
