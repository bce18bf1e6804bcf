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
 *                   registration reads this: tests/support/cmocka_cases.cmake)
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
 * For clang-tidy's analyzer only: a failed assertion does not return (cmocka
 * longjmps out of the test), which it cannot see inside libcmocka; without
 * this it follows "if (!p) print...; assert_non_null(p); use(p)" with p NULL.
 */
#ifdef __clang_analyzer__
# include <stdlib.h>
/* A function, not "?:", so that each assertion adds nothing to cognitive complexity. */
static inline void gceb_test_analyzer_assert(int ok)
{
	if (!ok)
		abort();
}
# undef assert_true
# undef assert_false
# undef assert_non_null
# undef assert_null
# undef fail
# define assert_true(c)     gceb_test_analyzer_assert(!!(c))
# define assert_false(c)    gceb_test_analyzer_assert(!(c))
# define assert_non_null(c) gceb_test_analyzer_assert(!!(c))
# define assert_null(c)     gceb_test_analyzer_assert(!(c))
# define fail()             abort()
#endif

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
