/* SPDX-License-Identifier: Apache-2.0 */
/* fixture.c - read test data files whole */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"
#include "runner.h"

char *gceb_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	(void)fclose(f);
	*len = (size_t)size;
	return buf;
}

char *gceb_test_fixture(const char *dir, const char *name, size_t *len)
{
	char path[512];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s/%s", GCEB_FIXTURE_DIR, dir, name) <
		    sizeof(path));
	return gceb_test_read_file(path, len);
}
