/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_gce.c - every Compute Engine response mapper on one body (gce.h):
 * no crash, no leak, GCEB_EPARSE with a message on failure, the caller's
 * struct untouched on failure, and what each mapper promises on success.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "gce.h"
#include "json.h"
#include "names.h"

/* A failure leaves the caller's struct as it was: fill it with a pattern first. */
#define POISON 0xa5

static bool poisoned(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != POISON)
			return false;
	return true;
}

static void operation(const char *body, size_t len)
{
	struct gceb_gce_operation op;
	struct gceb_err e = { 0 };
	int r;

	memset(&op, POISON, sizeof(op));
	r = gceb_gce_parse_operation(body, len, &op, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(poisoned(&op, sizeof(op)));
		return;
	}
	FUZZ_CHECK(op.status && op.self_link);
	FUZZ_CHECK(op.done == !strcmp(op.status, "DONE"));
	FUZZ_CHECK(op.has_error || (!op.error_code && !op.error_message));
	gceb_gce_operation_release(&op);
}

static void self_link(const char *body, size_t len)
{
	struct gceb_err e = { 0 };
	char *link = (char *)&e; /* any non-NULL pointer that must survive a failure */
	int r;

	r = gceb_gce_parse_self_link(body, len, &link, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(link == (char *)&e);
		return;
	}
	FUZZ_CHECK(link);
	free(link);
}

static void igm(const char *body, size_t len)
{
	struct gceb_gce_igm g;
	struct gceb_err e = { 0 };
	int r;

	memset(&g, POISON, sizeof(g));
	r = gceb_gce_parse_igm(body, len, &g, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(poisoned(&g, sizeof(g)));
		return;
	}
	FUZZ_CHECK(g.name);
	FUZZ_CHECK(g.target_size >= 0);
	FUZZ_CHECK(g.has_none ? g.none >= 0 : g.none == 0);
	gceb_gce_igm_release(&g);
}

static void instance_page(const char *body, size_t len)
{
	struct gceb_gce_instance_page page;
	struct gceb_err e = { 0 };
	size_t i;
	int r;

	memset(&page, POISON, sizeof(page));
	r = gceb_gce_parse_instance_page(body, len, &page, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(poisoned(&page, sizeof(page)));
		return;
	}
	FUZZ_CHECK(page.n_urls <= GCEB_GCE_LIST_MAX_ITEMS);
	for (i = 0; i < page.n_urls; i++)
		FUZZ_CHECK(page.urls[i] && gceb_name_is_rfc1035(gceb_gce_url_name(page.urls[i])));
	FUZZ_CHECK(!page.next_page_token || *page.next_page_token);
	gceb_gce_instance_page_release(&page);
}

static void instance_metadata(const char *body, size_t len)
{
	struct gceb_gce_metadata md;
	struct gceb_err e = { 0 };
	size_t i;
	int r;

	memset(&md, POISON, sizeof(md));
	r = gceb_gce_parse_instance_metadata(body, len, &md, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(poisoned(&md, sizeof(md)));
		return;
	}
	FUZZ_CHECK(md.fingerprint);
	FUZZ_CHECK(md.n_items <= GCEB_GCE_METADATA_MAX_ITEMS);
	for (i = 0; i < md.n_items; i++)
		FUZZ_CHECK(md.items[i].key && md.items[i].value);
	gceb_gce_metadata_release(&md);
}

static void error(const char *body, size_t len)
{
	struct gceb_api_error ge;
	struct gceb_err e = { 0 };
	int r;

	memset(&ge, POISON, sizeof(ge));
	r = gceb_api_error_parse(body, len, &ge, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_EPARSE, GCEB_EPARSE);
		FUZZ_CHECK(poisoned(&ge, sizeof(ge)));
		return;
	}
	gceb_api_error_release(&ge);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* NULL is how a caller passes an empty body. */
	const char *body = size ? (const char *)data : NULL;

	operation(body, size);
	self_link(body, size);
	igm(body, size);
	instance_page(body, size);
	instance_metadata(body, size);
	error(body, size);
	return 0;
}
