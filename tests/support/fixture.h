/* SPDX-License-Identifier: Apache-2.0 */
/* fixture.h - read test data files (tests/fixtures/...) whole; a failure fails the test */
#ifndef GCEB_TEST_FIXTURE_H
#define GCEB_TEST_FIXTURE_H

#include <stddef.h>

/*
 * The whole of @path, NUL-terminated (the NUL is not counted in *@len).
 * Fails the running cmocka test when it cannot be read. Caller frees.
 */
char *gceb_test_read_file(const char *path, size_t *len);

/* gceb_test_read_file() of tests/fixtures/@dir/@name, e.g. ("gce", "igm_get.json"). */
char *gceb_test_fixture(const char *dir, const char *name, size_t *len);

#endif
