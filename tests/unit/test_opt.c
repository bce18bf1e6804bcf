/* SPDX-License-Identifier: Apache-2.0 */
/* test_opt.c - the table-driven option parser (lib/opt.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "gceb/err.h"
#include "gceb/opt.h"
#include "runner.h"

/* What the options write to, reset before each parse. */
static struct {
	bool dry_run, help, once;
	int verbose;
	const char *state_dir, *token_file;
	unsigned int map_size, max_conc;
} v;

/* Shaped like the jobs' tables (lib/job.c): short and long-only options of each type. */
static const struct gceb_opt common[] = {
	GCEB_OPT_STRING('s', "state-dir", &v.state_dir, "DIR", "state directory"),
	GCEB_OPT_UINT(0, "map-size-mib", &v.map_size, "N", "store size"),
	GCEB_OPT_FLAG('n', "dry-run", &v.dry_run, "change nothing"),
	GCEB_OPT_COUNT('v', "verbose", &v.verbose, "say more"),
	GCEB_OPT_FLAG('h', "help", &v.help, "show this help and exit"),
	GCEB_OPT_FLAG(0, "once", &v.once, "a long-only flag"),
	GCEB_OPT_END,
};
static const struct gceb_opt http[] = {
	GCEB_OPT_UINT(0, "max-concurrency", &v.max_conc, "N", "requests at once"),
	GCEB_OPT_UINT(0, "max-retries", &v.max_conc, "N", "shares a prefix with the one above"),
	GCEB_OPT_STRING(0, "token-file", &v.token_file, "FILE", "bearer token file"),
	GCEB_OPT_END,
};
static const struct gceb_opt *const tables[] = { common, http, NULL };

static struct gceb_err err;
static int first;

/* gceb_opt_parse of "prog" and the NULL-terminated arguments; the return value. */
static int parse(const char *arg, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	memset(&v, 0, sizeof(v));
	gceb_err_clear(&err);
	first = -1;
	argv[argc++] = (char *)"prog";
	va_start(ap, arg);
	for (; arg && argc < 31; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	argv[argc] = NULL;
	return gceb_opt_parse(tables, argc, argv, &first, &err);
}

static void assert_usage(int r, const char *msg)
{
	assert_int_equal(r, GCEB_EUSAGE);
	assert_int_equal(err.code, GCEB_EUSAGE);
	assert_string_equal(err.msg, msg);
}

static void nothing_given_leaves_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(first, 1);
	assert_false(v.dry_run);
	assert_int_equal(v.verbose, 0);
	assert_null(v.state_dir);
}

static void flags_short_and_long(void **state)
{
	(void)state;
	assert_int_equal(parse("-n", NULL), 0);
	assert_true(v.dry_run);
	assert_int_equal(parse("--dry-run", "--help", NULL), 0);
	assert_true(v.dry_run);
	assert_true(v.help);
	assert_int_equal(first, 3);
}

static void count_adds_up_across_clusters(void **state)
{
	(void)state;
	assert_int_equal(parse("-v", "-vv", "--verbose", NULL), 0);
	assert_int_equal(v.verbose, 4);
	assert_int_equal(parse("-nv", NULL), 0);
	assert_true(v.dry_run);
	assert_int_equal(v.verbose, 1);
}

static void string_every_spelling(void **state)
{
	(void)state;
	assert_int_equal(parse("-s", "/a", NULL), 0);
	assert_string_equal(v.state_dir, "/a");
	assert_int_equal(parse("-s/b", NULL), 0);
	assert_string_equal(v.state_dir, "/b");
	assert_int_equal(parse("--state-dir", "/c", NULL), 0);
	assert_string_equal(v.state_dir, "/c");
	assert_int_equal(parse("--state-dir=/d", NULL), 0);
	assert_string_equal(v.state_dir, "/d");
	assert_int_equal(parse("--token-file", "/t", "-s", "/e", "-s", "/f", NULL), 0);
	assert_string_equal(v.token_file, "/t");
	assert_string_equal(v.state_dir, "/f"); /* the last one counts */
	assert_int_equal(first, 7);
}

static void string_value_may_start_with_a_dash(void **state)
{
	(void)state;
	assert_int_equal(parse("--state-dir", "-n", NULL), 0);
	assert_string_equal(v.state_dir, "-n");
	assert_false(v.dry_run);
}

static void empty_string_is_refused(void **state)
{
	(void)state;
	assert_usage(parse("--state-dir=", NULL), "option --state-dir needs a non-empty DIR");
	assert_usage(parse("-s", "", NULL), "option --state-dir needs a non-empty DIR");
}

static void uint_range(void **state)
{
	(void)state;
	assert_int_equal(parse("--map-size-mib", "0", NULL), 0);
	assert_int_equal(v.map_size, 0);
	assert_int_equal(parse("--map-size-mib=4294967295", NULL), 0);
	assert_int_equal(v.map_size, 4294967295u);
	assert_int_equal(parse("--max-concurrency", "007", NULL), 0);
	assert_int_equal(v.max_conc, 7);
}

static void uint_refuses_what_is_not_a_whole_number(void **state)
{
	static const char *const bad[] = {
		"",   "-1",   "+1",  "12x",        " 1",
		"1 ", "0x10", "1.5", "4294967296", "99999999999999999999",
	};
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(want, sizeof(want),
			       "option --map-size-mib takes a whole number, not '%s'", bad[i]);
		assert_usage(parse("--map-size-mib", bad[i], NULL), want);
	}
}

static void unambiguous_abbreviation_is_taken(void **state)
{
	(void)state;
	/* getopt_long's rule: a unique prefix names the option (issue 11 item 2). */
	assert_int_equal(parse("--max-c", "4", "--dry", NULL), 0);
	assert_int_equal(v.max_conc, 4);
	assert_true(v.dry_run);
}

static void ambiguous_abbreviation_is_refused(void **state)
{
	(void)state;
	assert_usage(parse("--max", "4", NULL), "unknown option '--max'");
}

static void missing_value_is_named(void **state)
{
	(void)state;
	assert_usage(parse("--state-dir", NULL), "option '--state-dir' needs a value");
	assert_usage(parse("-n", "-s", NULL), "option '-s' needs a value");
	assert_usage(parse("--max-concurrency", NULL), "option '--max-concurrency' needs a value");
}

static void unknown_options_are_named(void **state)
{
	(void)state;
	assert_usage(parse("-x", NULL), "unknown option '-x'");
	assert_usage(parse("-nx", NULL), "unknown option '-x'");
	assert_usage(parse("--bogus", NULL), "unknown option '--bogus'");
	assert_usage(parse("--bogus=1", NULL), "unknown option '--bogus=1'");
}

static void flag_given_a_value_is_refused(void **state)
{
	(void)state;
	assert_usage(parse("--dry-run=yes", NULL), "option '--dry-run' takes no value");
	assert_usage(parse("--once=1", NULL), "option '--once' takes no value");
}

static void an_error_inside_a_cluster_does_not_leak_into_the_next_parse(void **state)
{
	(void)state;
	assert_usage(parse("-xv", NULL), "unknown option '-x'");
	assert_int_equal(parse("-n", NULL), 0);
	assert_true(v.dry_run);
	assert_int_equal(v.verbose, 0);
}

static void parsing_stops_at_the_first_operand(void **state)
{
	(void)state;
	assert_int_equal(parse("-n", "name", "-v", NULL), 0);
	assert_true(v.dry_run);
	assert_int_equal(v.verbose, 0);
	assert_int_equal(first, 2);
	assert_int_equal(parse("-n", "--", "-v", NULL), 0);
	assert_int_equal(v.verbose, 0);
	assert_int_equal(first, 3);
	assert_int_equal(parse("-", NULL), 0); /* "-" is an operand */
	assert_int_equal(first, 1);
}

static void too_many_options_is_a_bug(void **state)
{
	struct gceb_opt big[66];
	const struct gceb_opt *const one[] = { big, NULL };
	char *argv[] = { (char *)"prog", NULL };
	bool sink = false;
	size_t i;

	(void)state;
	for (i = 0; i < 65; i++)
		big[i] = (struct gceb_opt)GCEB_OPT_FLAG(0, "flag", &sink, "a flag");
	big[65] = (struct gceb_opt)GCEB_OPT_END;
	assert_int_equal(gceb_opt_parse(one, 1, argv, &first, &err), GCEB_EBUG);
	assert_string_equal(err.msg, "too many options");
}

/* What gceb_opt_print_help writes to stdout. Caller frees. */
static char *help_text(void)
{
	char path[] = "/tmp/gceb-test-opt-XXXXXX";
	int fd = mkstemp(path), saved = dup(1);
	size_t len;
	char *text;

	assert_true(fd >= 0 && saved >= 0);
	(void)fflush(stdout);
	assert_int_equal(dup2(fd, 1), 1);
	gceb_opt_print_help(tables);
	(void)fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	(void)close(saved);
	(void)close(fd);
	text = gceb_test_read_file(path, &len);
	(void)unlink(path);
	return text;
}

static void help_lists_the_last_table_first(void **state)
{
	char *text = help_text();

	(void)state;
	assert_string_equal(text,
			    "      --max-concurrency N    requests at once\n"
			    "      --max-retries N        shares a prefix with the one above\n"
			    "      --token-file FILE      bearer token file\n"
			    "  -s, --state-dir DIR        state directory\n"
			    "      --map-size-mib N       store size\n"
			    "  -n, --dry-run              change nothing\n"
			    "  -v, --verbose              say more\n"
			    "  -h, --help                 show this help and exit\n"
			    "      --once                 a long-only flag\n");
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_given_leaves_defaults),
		cmocka_unit_test(flags_short_and_long),
		cmocka_unit_test(count_adds_up_across_clusters),
		cmocka_unit_test(string_every_spelling),
		cmocka_unit_test(string_value_may_start_with_a_dash),
		cmocka_unit_test(empty_string_is_refused),
		cmocka_unit_test(uint_range),
		cmocka_unit_test(uint_refuses_what_is_not_a_whole_number),
		cmocka_unit_test(unambiguous_abbreviation_is_taken),
		cmocka_unit_test(ambiguous_abbreviation_is_refused),
		cmocka_unit_test(missing_value_is_named),
		cmocka_unit_test(unknown_options_are_named),
		cmocka_unit_test(flag_given_a_value_is_refused),
		cmocka_unit_test(an_error_inside_a_cluster_does_not_leak_into_the_next_parse),
		cmocka_unit_test(parsing_stops_at_the_first_operand),
		cmocka_unit_test(too_many_options_is_a_bug),
		cmocka_unit_test(help_lists_the_last_table_first),
	};

	return gceb_test_run("opt", tests, argc, argv);
}
