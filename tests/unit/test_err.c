/* SPDX-License-Identifier: Apache-2.0 */
/* test_err.c - the error carrier and the exit status of each code (lib/err.c, docs/exit-codes.md)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gceb/err.h"
#include "runner.h"

/*
 * docs/exit-codes.md, written out here rather than with <sysexits.h>'s
 * names, so that a change to the table or to the document shows.
 */
static const struct {
	int code, status;
} documented[] = {
	{ GCEB_OK, 0 },          /* EX_OK */
	{ GCEB_ELOCKED, 0 },     /* EX_OK: the lock is held by a run still going */
	{ GCEB_EPARTIAL, 1 },    /* some items failed */
	{ GCEB_EUSAGE, 64 },     /* EX_USAGE */
	{ GCEB_ENET, 69 },       /* EX_UNAVAILABLE */
	{ GCEB_ERATELIMIT, 75 }, /* EX_TEMPFAIL: rate-limited past retries or the deadline */
	{ GCEB_EBUG, 70 },       /* EX_SOFTWARE */
	{ GCEB_ENOMEM, 71 },     /* EX_OSERR */
	{ GCEB_EIO, 74 },        /* EX_IOERR: the filesystem... */
	{ GCEB_ESTORE, 74 },     /* ...or the store */
	{ GCEB_EHTTP, 76 },      /* EX_PROTOCOL: an unexpected answer... */
	{ GCEB_ENOTFOUND, 76 },  /* ...404 where something was expected... */
	{ GCEB_EEXIST, 76 },     /* ...409... */
	{ GCEB_EPARSE, 76 },     /* ...or a malformed answer or stored value */
	{ GCEB_EAUTH, 77 },      /* EX_NOPERM */
	{ GCEB_ECONFIG, 78 },    /* EX_CONFIG */
};

#define N_DOCUMENTED (sizeof(documented) / sizeof(documented[0]))

static void every_code_has_its_documented_exit_status(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_DOCUMENTED; i++) {
		if (gceb_exit_status(documented[i].code) != documented[i].status)
			fail_msg("code %d (%s) exits %d, docs/exit-codes.md says %d",
				 documented[i].code, gceb_strerror(documented[i].code),
				 gceb_exit_status(documented[i].code), documented[i].status);
	}
}

/* A code is known to err.c when gceb_strerror() has a text for it. */
static void every_known_code_is_in_the_table(void **state)
{
	int code;
	size_t i;

	(void)state;
	for (code = -100; code <= 100; code++) {
		if (strcmp(gceb_strerror(code), "unknown error") == 0)
			continue;
		for (i = 0; i < N_DOCUMENTED && documented[i].code != code; i++)
			;
		if (i == N_DOCUMENTED)
			fail_msg("code %d (%s) is not in docs/exit-codes.md's table here", code,
				 gceb_strerror(code));
	}
}

static void an_unknown_code_is_an_internal_error(void **state)
{
	(void)state;
	assert_int_equal(gceb_exit_status(-100), 70);
	assert_int_equal(gceb_exit_status(1), 70);
	assert_string_equal(gceb_strerror(-100), "unknown error");
	assert_string_equal(gceb_strerror(1), "unknown error");
}

static void every_code_has_its_own_text(void **state)
{
	size_t a, b;

	(void)state;
	for (a = 0; a < N_DOCUMENTED; a++) {
		assert_string_not_equal(gceb_strerror(documented[a].code), "unknown error");
		for (b = 0; b < a; b++)
			assert_string_not_equal(gceb_strerror(documented[a].code),
						gceb_strerror(documented[b].code));
	}
}

static void set_records_and_returns_the_code(void **state)
{
	struct gceb_err e = { 0 };

	(void)state;
	assert_int_equal(gceb_err_set(&e, GCEB_EIO, "open '%s': %s", "/x", "denied"), GCEB_EIO);
	assert_int_equal(e.code, GCEB_EIO);
	assert_string_equal(e.msg, "open '/x': denied");
	assert_int_equal(gceb_err_set(NULL, GCEB_ENET, "nobody listens"), GCEB_ENET);
	gceb_err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.msg, "");
	gceb_err_clear(NULL);
}

static void a_long_message_is_cut_not_overrun(void **state)
{
	struct gceb_err e;
	char big[2 * sizeof(e.msg)];

	(void)state;
	memset(&e, 'z', sizeof(e));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)gceb_err_set(&e, GCEB_EPARSE, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	/* The cut is marked: a reader knows the message goes on. */
	assert_string_equal(e.msg + sizeof(e.msg) - 4, "...");
	assert_int_equal(e.msg[0], 'a');
}

/* A message up to the bound is whole, unmarked; the bound holds a long URL and its reason. */
static void a_message_that_fits_is_whole(void **state)
{
	struct gceb_err e;
	char big[sizeof(e.msg)];
	char small[8];

	(void)state;
	assert_true(sizeof(e.msg) >= 4096);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)gceb_err_set(&e, GCEB_EPARSE, "%s", big);
	assert_string_equal(e.msg, big);
	assert_int_equal(gceb_format(small, sizeof(small), "%s", "1234567"), 7);
	assert_string_equal(small, "1234567");
	assert_int_equal(gceb_format(small, sizeof(small), "%s", "12345678"), 7);
	assert_string_equal(small, "1234...");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_its_documented_exit_status),
		cmocka_unit_test(every_known_code_is_in_the_table),
		cmocka_unit_test(an_unknown_code_is_an_internal_error),
		cmocka_unit_test(every_code_has_its_own_text),
		cmocka_unit_test(set_records_and_returns_the_code),
		cmocka_unit_test(a_long_message_is_cut_not_overrun),
		cmocka_unit_test(a_message_that_fits_is_whole),
	};

	return gceb_test_run("err", tests, argc, argv);
}
