/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_luci.c - the LUCI config response mappers on one body
 * (luciconfig.h): no crash, no leak, a coded failure with a message, and
 * what each mapper promises on success.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "luciconfig.h"

static void hash(const char *body, size_t len)
{
	struct gceb_luci_hash h;
	struct gceb_err e = { 0 };
	int r;

	memset(&h, 0, sizeof(h));
	r = gceb_luci_parse_hash(body, len, &h, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(!h.revision && !h.content_hash);
		return;
	}
	FUZZ_CHECK(h.revision && *h.revision && h.content_hash && *h.content_hash);
	gceb_luci_hash_release(&h);
}

static void content(const char *body, size_t len, size_t max)
{
	struct gceb_err e = { 0 };
	char *out = NULL;
	size_t out_len = 0;
	int r;

	r = gceb_luci_parse_content(body, len, max, &out, &out_len, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_ECONFIG);
		FUZZ_CHECK(!out);
		return;
	}
	FUZZ_CHECK(out && out_len <= max && out[out_len] == '\0');
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = size ? (const char *)data : NULL;

	hash(body, size);
	/* The limit import-config uses, and one small enough to be hit. */
	content(body, size, GCEB_CONFIG_MAX_BYTES);
	content(body, size, 16);
	return 0;
}
