/* SPDX-License-Identifier: Apache-2.0 */
/* runner.c - select, list and run cmocka tests; fail when nothing runs */
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner.h"

static int usage(const char *prog)
{
	(void)fprintf(stderr, "usage: %s [--list | PATTERN]\n", prog);
	return 2;
}

int gceb_test_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
			CMFixtureFunction setup, CMFixtureFunction teardown, int argc, char **argv)
{
	const char *prog = argc > 0 ? argv[0] : group;
	const char *pattern = argc > 1 ? argv[1] : "*";
	struct CMUnitTest *chosen = NULL;
	size_t i, m = 0;
	int rc = 1;

	if (argc > 2)
		return usage(prog);
	if (n == 0) {
		(void)fprintf(stderr, "%s: no tests in group %s\n", prog, group);
		return 1;
	}
	if (strcmp(pattern, "--list") == 0) {
		for (i = 0; i < n; i++)
			(void)printf("%s\n", tests[i].name);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (pattern[0] == '-')
		return usage(prog);
	/*
	 * The selection is made here rather than by cmocka_set_test_filter(),
	 * which runs zero tests and exits 0 when nothing matches.
	 */
	chosen = calloc(n, sizeof(*chosen));
	if (!chosen) {
		(void)fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (fnmatch(pattern, tests[i].name, 0) == 0)
			chosen[m++] = tests[i];
	if (m == 0) {
		(void)fprintf(stderr,
			      "%s: no test in group %s matches \"%s\" (--list shows them)\n", prog,
			      group, pattern);
		goto out;
	}
	rc = _cmocka_run_group_tests(group, chosen, m, setup, teardown) == 0 ? 0 : 1;
out:
	free(chosen);
	return rc;
}
