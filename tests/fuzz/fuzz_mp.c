/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mp.c - the Machine Provider response mappers on one body (mp.h): no
 * crash, no leak, GCEB_EPARSE with a message and *@out untouched on
 * failure, what each mapper promises on success.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "mp.h"

static void manipulation(const char *body, size_t len)
{
	struct gceb_err e = { 0 };
	char *error = (char *)&e; /* any non-NULL pointer that must survive a failure */
	int r;

	r = gceb_mp_parse_manipulation(body, len, &error, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(error == (char *)&e);
		return;
	}
	/* None is NULL, never "". */
	FUZZ_CHECK(!error || *error);
	free(error);
}

static void get(const char *body, size_t len)
{
	struct gceb_mp_machine m, before;
	struct gceb_err e = { 0 };
	int r;

	memset(&m, 0xa5, sizeof(m));
	memcpy(&before, &m, sizeof(m));
	r = gceb_mp_parse_get(body, len, &m, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(!memcmp(&m, &before, sizeof(m)));
		return;
	}
	/* 0 is no lease; a negative time is refused. */
	FUZZ_CHECK(!m.has_lease_expiration_ts || m.lease_expiration_ts > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = size ? (const char *)data : NULL;

	manipulation(body, size);
	get(body, size);
	return 0;
}
