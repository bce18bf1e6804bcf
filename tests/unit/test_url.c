/* SPDX-License-Identifier: Apache-2.0 */
/* test_url.c - the URL parser and the loopback rule (lib/url.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gceb/settings.h"
#include "runner.h"
#include "url.h"

/* A table of roots: accepted (with whether http, the host and the port) or refused (why). */
static void roots_table(void **state)
{
	static const struct {
		const char *url;
		const char *host_or_why; /* the host when accepted, a part of the reason if not */
		unsigned port;
		int plain; /* -1: refused */
	} cases[] = {
		{ "https://compute.googleapis.com/", "compute.googleapis.com", 0, 0 },
		{ "https://compute.googleapis.com", "compute.googleapis.com", 0, 0 },
		{ "https://mp.example.com:8443/_ah/api/", "mp.example.com", 8443, 0 },
		{ "https://10.1.2.3/x", "10.1.2.3", 0, 0 },
		{ "http://127.0.0.1:8080/x", "127.0.0.1", 8080, 1 },
		{ "http://127.0.0.2/", "127.0.0.2", 0, 1 },
		{ "http://127.255.255.254:1/", "127.255.255.254", 1, 1 },
		{ "http://localhost:1/x", "localhost", 1, 1 },
		{ "http://LocalHost/x", "LocalHost", 0, 1 },
		{ "http://[::1]:1/x", "[::1]", 1, 1 },
		{ "http://[0:0:0:0:0:0:0:1]/", "[0:0:0:0:0:0:0:1]", 0, 1 },
		{ "https://[2001:db8::1]:443/", "[2001:db8::1]", 443, 0 },
		{ "http://localhost?q=1", "localhost", 0, 1 },
		/* user info: the host is whatever follows the '@' */
		{ "http://localhost:P@evil.invalid/", "user info", 0, -1 },
		{ "http://user@127.0.0.1/", "user info", 0, -1 },
		{ "https://a:b@compute.googleapis.com/", "user info", 0, -1 },
		{ "http://127.0.0.1:8080@evil/", "user info", 0, -1 },
		/* not loopback */
		{ "http://128.0.0.1/x", "not allowed", 0, -1 },
		{ "http://169.254.169.254/x", "not allowed", 0, -1 },
		{ "http://127.0.0.1.example.com/x", "not allowed", 0, -1 },
		{ "http://localhost.evil.com", "not allowed", 0, -1 },
		{ "http://127.1/", "not allowed", 0, -1 },
		{ "http://0x7f000001/", "not allowed", 0, -1 },
		{ "http://[::2]/", "not allowed", 0, -1 },
		{ "http://[::ffff:127.0.0.1]/", "not allowed", 0, -1 },
		{ "http://url", "not allowed", 0, -1 },
		{ "ftp://127.0.0.1/x", "ftp to '127.0.0.1' is not allowed", 0, -1 },
		/* malformed */
		{ "HTTPS://compute.googleapis.com/", "lower case", 0, -1 },
		{ "Http://localhost/", "lower case", 0, -1 },
		{ "https://", "no host", 0, -1 },
		{ "https:///x", "no host", 0, -1 },
		{ "http://:80/", "no host", 0, -1 },
		{ "url", "no \"://\"", 0, -1 },
		{ "", "empty", 0, -1 },
		{ "not a url", "no \"://\"", 0, -1 },
		{ "//localhost/", "scheme", 0, -1 },
		{ "http://%6c%6fcalhost/", "not a DNS name", 0, -1 },
		{ "http://127.0.0.1%2f/", "not a DNS name", 0, -1 },
		{ "https://a..b/", "not a DNS name", 0, -1 },
		{ "https://a.b./", "not a DNS name", 0, -1 },
		{ "https://a_b/", "not a DNS name", 0, -1 },
		{ "http://[::1/", "bracketed IPv6", 0, -1 },
		{ "http://[fe80::1%25eth0]/", "bracketed IPv6", 0, -1 },
		{ "http://[::1]x/", "something other than a path", 0, -1 },
		{ "http://127.0.0.1:/", "port", 0, -1 },
		{ "http://127.0.0.1:0/", "port", 0, -1 },
		{ "http://127.0.0.1:80801/x", "port", 0, -1 },
		{ "http://127.0.0.1:65536/", "port", 0, -1 },
		{ "http://127.0.0.1:0000080/", "port", 0, -1 },
		{ "http://127.0.0.1:80x/", "something other than a path", 0, -1 },
		{ "http://127.0.0.1:80:81/", "something other than a path", 0, -1 },
		{ "https://host/x y", "space", 0, -1 },
		{ "https://host/x\ty", "control", 0, -1 },
		{ "https://host/x\x7f", "control", 0, -1 },
		{ "https://host/x\"", "quote", 0, -1 },
		{ "https://host\\@evil/", "user info", 0, -1 },
		{ "https://host\\x/", "not a DNS name", 0, -1 },
		{ "https://host /", "not a DNS name", 0, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gceb_err err = { 0 };
		struct gceb_url u;
		int r = gceb_url_check(cases[i].url, GCEB_ECONFIG, &u, &err);

		print_message("%s -> %d %s\n", cases[i].url, r, err.msg);
		if (cases[i].plain < 0) {
			assert_int_equal(r, GCEB_ECONFIG);
			assert_int_equal(err.code, GCEB_ECONFIG);
			assert_non_null(strstr(err.msg, cases[i].host_or_why));
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(u.plain_http, cases[i].plain);
		assert_int_equal(u.host_len, strlen(cases[i].host_or_why));
		assert_memory_equal(u.host, cases[i].host_or_why, u.host_len);
		assert_int_equal(u.port, cases[i].port);
	}
}

/* The rule is one: the settings check says what the engine's does (test_http.c). */
static void settings_use_the_rule(void **state)
{
	struct gceb_err err = { 0 };

	(void)state;
	/* Once refused here though the engine sent it. */
	assert_int_equal(gceb_settings_check_url("mp_server", "http://127.0.0.2/", &err), 0);
	/* Once accepted here though the engine refused every request under it. */
	assert_int_equal(
		gceb_settings_check_url("mp_server", "http://localhost:P@evil.invalid/", &err),
		GCEB_ECONFIG);
	assert_string_equal(err.msg, "mp_server: malformed URL 'http://localhost:P@evil.invalid/': "
				     "user info (\"user@\") is not allowed");
	assert_int_equal(gceb_settings_check_url("compute_api_root", "http://10.0.0.1/", &err),
			 GCEB_ECONFIG);
	assert_string_equal(err.msg, "compute_api_root: http to '10.0.0.1' is not allowed: only "
				     "https, or http to a loopback host (127.0.0.0/8, [::1], "
				     "localhost)");
}

static void loopback_hosts(void **state)
{
	static const char *const yes[] = { "localhost",       "LOCALHOST", "127.0.0.1", "127.0.0.0",
					   "127.255.255.255", "[::1]",     "[::0:1]" };
	static const char *const no[] = { "localhost.",
					  "localhos",
					  "126.255.255.255",
					  "128.0.0.0",
					  "127.0.0.1 ",
					  "127.0.0.01",
					  "[::1",
					  "::1",
					  "[::]",
					  "" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(gceb_url_host_is_loopback(yes[i], strlen(yes[i])));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(gceb_url_host_is_loopback(no[i], strlen(no[i])));
	/* The length bounds the host: the rest of the URL is not part of it. */
	assert_true(gceb_url_host_is_loopback("127.0.0.1:80/x", 9));
}

/* The path a client sends: no query or fragment, dot segments removed. */
static void paths_as_sent(void **state)
{
	static const struct {
		const char *url, *path;
	} cases[] = {
		{ "https://h", "/" },
		{ "https://h?q", "/" },
		{ "https://h/", "/" },
		{ "https://h/a/b?c=/../d#e", "/a/b" },
		{ "https://h/x/../_ah/api/catalog/v1/get", "/_ah/api/catalog/v1/get" },
		{ "https://h/a/./b/../c", "/a/c" },
		{ "https://h/a/b/..", "/a/" },
		{ "https://h/a/b/.", "/a/b/" },
		{ "https://h/a/b..", "/a/b.." },
		{ "https://h/../../x", "/x" },
		{ "https://h/..", "/" },
		{ "https://h/a//b", "/a//b" },
		{ "https://h/%2e%2e/x", "/%2e%2e/x" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gceb_url u;
		char *path;

		assert_int_equal(gceb_url_parse(cases[i].url, GCEB_EPARSE, &u, NULL), 0);
		path = gceb_url_path(&u);
		assert_non_null(path);
		assert_string_equal(path, cases[i].path);
		free(path);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roots_table),
		cmocka_unit_test(settings_use_the_rule),
		cmocka_unit_test(loopback_hosts),
		cmocka_unit_test(paths_as_sent),
	};

	return gceb_test_run("url", tests, argc, argv);
}
