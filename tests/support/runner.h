/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.h - the one main() of every cmocka test binary: run all tests, a
 * selection by name, or list the names; and never pass having run nothing.
 *
 *   prog            run every test
 *   prog PATTERN    run the tests whose name matches PATTERN (fnmatch(3):
 *                   '*', '?', '[...]'); exit 1 when none matches, so a
 *                   misspelt name cannot pass
 *   prog --list     print each test name on a line and exit 0 (ctest
 *                   registration reads this: tests/support/cmocka_tests.cmake)
 */
#ifndef GCEB_TEST_RUNNER_H
#define GCEB_TEST_RUNNER_H

/* What <cmocka.h> needs before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/*
 * Run @tests (@n of them) as cmocka group @group, with group fixtures
 * @setup and @teardown (either may be NULL), as selected by @argc/@argv.
 * Returns main()'s exit status: 0 only if at least one test ran and every
 * test that ran passed.
 */
int gceb_test_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
			CMFixtureFunction setup, CMFixtureFunction teardown, int argc, char **argv);

/* The usual case: @tests is an array in scope, no group fixtures. */
#define gceb_test_run(group, tests, argc, argv)                                                \
 gceb_test_run_group((group), (tests), sizeof(tests) / sizeof((tests)[0]), NULL, NULL, (argc), \
		     (argv))

#endif
