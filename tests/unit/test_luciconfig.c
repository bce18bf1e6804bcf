/* SPDX-License-Identifier: Apache-2.0 */
/* test_luciconfig.c - LUCI config v1 builders and mappers (docs/design/luci-config.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "luciconfig.h"
#include "runner.h"

static void hash_url_encodes_every_segment(void **state)
{
	struct gceb_http_request *req = NULL;

	(void)state;
	assert_int_equal(gceb_luci_get_hash("https://cfg/_ah/api/config/v1", "services/my app",
					    "templates.cfg", &req, NULL),
			 0);
	assert_string_equal(req->url, "https://cfg/_ah/api/config/v1/config_sets/"
				      "services%2Fmy%20app/config/templates.cfg?hash_only=true");
	assert_string_equal(req->method, "GET");
	assert_null(req->body);
	gceb_http_request_free(req);
	assert_int_equal(gceb_luci_get_hash("https://cfg/", "", "x", &req, NULL), GCEB_EUSAGE);
}

static void by_hash_takes_only_v1_hex(void **state)
{
	struct gceb_http_request *req = NULL;
	const char good[] = "v1:0123456789abcdef0123456789abcdef01234567";

	(void)state;
	assert_int_equal(gceb_luci_get_by_hash("https://cfg/", good, &req, NULL), 0);
	assert_string_equal(req->url,
			    "https://cfg/config/v1:0123456789abcdef0123456789abcdef01234567");
	gceb_http_request_free(req);
	assert_int_equal(gceb_luci_get_by_hash("https://cfg/", "v1:../../x", &req, NULL),
			 GCEB_EPARSE);
	assert_int_equal(gceb_luci_get_by_hash("https://cfg/",
					       "v1:0123456789abcdef0123456789abcdef0123456/", &req,
					       NULL),
			 GCEB_EPARSE);
}

static void parse_hash(void **state)
{
	static const char ok[] =
		"{\"revision\": \"abc\", \"content_hash\": \"v1:1\", \"url\": \"u\"}";
	struct gceb_luci_hash h = { 0 };
	struct gceb_err e = { 0 };

	(void)state;
	assert_int_equal(gceb_luci_parse_hash(ok, strlen(ok), &h, NULL), 0);
	assert_string_equal(h.revision, "abc");
	assert_string_equal(h.content_hash, "v1:1");
	gceb_luci_hash_release(&h);
	assert_int_equal(gceb_luci_parse_hash("{\"revision\": \"abc\"}", 19, &h, &e), GCEB_EPARSE);
	assert_non_null(strstr(e.msg, "content_hash"));
	assert_int_equal(gceb_luci_parse_hash("<html>", 6, &h, NULL), GCEB_EPARSE);
	assert_int_equal(
		gceb_luci_parse_hash("{\"revision\": 5, \"content_hash\": \"x\"}", 36, &h, NULL),
		GCEB_EPARSE);
}

static void parse_content_base64(void **state)
{
	static const char std[] = "{\"content\": \"aGVsbG8/Pz4+\"}"; /* "hello?" "?>>" */
	static const char url[] = "{\"content\": \"aGVsbG8_Pz4-\"}"; /* URL-safe alphabet */
	static const char nopad[] = "{\"content\": \"YQ\"}";         /* "a" */
	static const char empty[] = "{\"content\": \"\"}";
	static const char bad[] = "{\"content\": \"a$b\"}";
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(gceb_luci_parse_content(std, strlen(std), 100, &out, &len, NULL), 0);
	assert_string_equal(out, "hello?\?>>");
	free(out);
	assert_int_equal(gceb_luci_parse_content(url, strlen(url), 100, &out, &len, NULL), 0);
	assert_string_equal(out, "hello?\?>>");
	free(out);
	assert_int_equal(gceb_luci_parse_content(nopad, strlen(nopad), 100, &out, &len, NULL), 0);
	assert_int_equal(len, 1);
	free(out);
	assert_int_equal(gceb_luci_parse_content(empty, strlen(empty), 100, &out, &len, NULL), 0);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(gceb_luci_parse_content(bad, strlen(bad), 100, &out, &len, NULL),
			 GCEB_EPARSE);
	assert_int_equal(gceb_luci_parse_content(std, strlen(std), 4, &out, &len, NULL),
			 GCEB_ECONFIG);
}

/* Content must be what its content_hash says: "v1:" and its git blob SHA-1. */
static void content_matches_its_hash(void **state)
{
	struct gceb_err e = { 0 };

	(void)state;
	assert_int_equal(gceb_luci_check_content("hello\n", 6,
						 "v1:ce013625030ba8dba906f756967f9e9ca394464a", &e),
			 0);
	assert_int_equal(
		gceb_luci_check_content("", 0, "v1:e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", &e),
		0);
	/* Emptied or cut on the way: refused. */
	assert_int_equal(
		gceb_luci_check_content("", 0, "v1:ce013625030ba8dba906f756967f9e9ca394464a", &e),
		GCEB_EPARSE);
	assert_non_null(strstr(e.msg, "does not match its content_hash"));
	assert_int_equal(gceb_luci_check_content("hello", 5,
						 "v1:ce013625030ba8dba906f756967f9e9ca394464a", &e),
			 GCEB_EPARSE);
	/* Upper-case hex is not what the service sends. */
	assert_int_equal(gceb_luci_check_content("hello\n", 6,
						 "v1:CE013625030BA8DBA906F756967F9E9CA394464A", &e),
			 GCEB_EPARSE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_url_encodes_every_segment),
		cmocka_unit_test(by_hash_takes_only_v1_hex),
		cmocka_unit_test(parse_hash),
		cmocka_unit_test(parse_content_base64),
		cmocka_unit_test(content_matches_its_hash),
	};

	return gceb_test_run("luciconfig", tests, argc, argv);
}
