/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_garbage.c - malformed input of every kind gets a 4xx, never a crash */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runner.h"
#include "test_emu_common.h"

static const char *const endpoints[] = {
	"/compute/v1/projects/p/global/instanceTemplates",
	"/compute/v1/projects/p/zones/z/instanceGroupManagers",
	"/compute/v1/projects/p/zones/z/instances/x/setMetadata",
	"/_ah/api/catalog/v1/add_machine",
	"/_ah/api/catalog/v1/get",
	"/_ah/api/machine_provider/v1/lease",
	"/_ah/api/config/v1/config/v1:00",
	"/token",
	"/_emu/config",
	"/_emu/faults",
	"/_emu/gce/seed",
	"/_emu/mp/lease",
	"/_emu/luci/publish",
};

static int setup(void **state)
{
	static const char *const args[] = { NULL };

	(void)state;
	return start_emu(args);
}

static void expect_4xx(const char *method, const char *url, const char *body, size_t len)
{
	struct emu_res r;

	(void)emu_http(&P, method, url, body, len, NULL, &r);
	if (r.status < 400 || r.status > 499)
		(void)fprintf(stderr, "%s %s (%zu bytes): HTTP %ld\n", method, url, len, r.status);
	assert_in_range(r.status, 400, 499);
	emu_res_release(&r);
}

static void alive(void)
{
	cJSON_Delete(CALL("GET", "/_emu/health", NULL, 200));
}

static void broken_json_everywhere(void **state)
{
	static const char *const bodies[] = {
		"{",           "{\"name\":",        "[1,2",    "nul", "{\"a\":1}}",
		"\"\\ud800\"", "{\"name\":\"t\",}", "1e999999"
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++)
			expect_4xx("POST", endpoints[i], bodies[j], 0);
	}
	alive();
}

static void random_bytes_everywhere(void **state)
{
	char buf[512];
	unsigned seed = 12345;
	size_t i, k;
	int round;

	(void)state;
	for (round = 0; round < 20; round++) {
		for (k = 0; k < sizeof(buf); k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (char)(seed >> 16);
		}
		buf[0] = '{'; /* make it look like JSON for a moment */
		for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
			expect_4xx("POST", endpoints[i], buf, 1 + (size_t)round * 25);
	}
	alive();
}

static void deep_nesting(void **state)
{
	size_t n = 200000, i;
	char *b = malloc(2 * n + 1);

	(void)state;
	for (i = 0; i < n; i++) {
		b[i] = '[';
		b[n + i] = ']';
	}
	b[2 * n] = '\0';
	expect_4xx("POST", endpoints[0], b, 0);
	expect_4xx("POST", endpoints[3], b, 0);
	free(b);
	alive();
}

static void huge_bodies_are_413(void **state)
{
	size_t n = (size_t)2 * 1024 * 1024;
	char *b = malloc(n + 1);
	struct emu_res r;
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };

	(void)state;
	memset(b, ' ', n);
	b[n] = '\0';
	b[0] = '{';
	(void)emu_http(&P, "POST", endpoints[0], b, n, NULL, &r);
	assert_int_equal(r.status, 413);
	assert_int_equal((int)emu_num(r.json, "error.code"), 413);
	emu_res_release(&r);
	(void)emu_http(&P, "POST", endpoints[3], b, n, chunked, &r);
	assert_int_equal(r.status, 413);
	emu_res_release(&r);
	free(b);
	alive();
}

static void bad_paths(void **state)
{
	static const char *const paths[] = {
		"/",
		"/compute",
		"/compute/v1/projects",
		"/compute/v1/projects/p",
		"/compute/v1/projects/p/zones",
		"/compute/v1/projects/p/zones//instances/",
		"/compute/v1/projects/p/global/instanceTemplates/%00",
		"/compute/v1/projects/p/global/instanceTemplates/a/b/c/d",
		"/../../etc/passwd",
		"/_ah/api/catalog/v1/",
		"/_ah/api/config/v1/config_sets//config/",
		"/computeMetadata/v1/",
		"/_emu/",
		"/_emu/a/b/c/d",
		"/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h/i",
	};
	static const char *const methods[] = { "GET", "POST", "DELETE", "PUT", "PATCH" };
	char *longpath;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++)
			expect_4xx(methods[j], paths[i], NULL, 0);
	}
	longpath = malloc(20000);
	memset(longpath, 'a', 19999);
	longpath[0] = '/';
	longpath[19999] = '\0';
	expect_4xx("GET", longpath, NULL, 0);
	free(longpath);
	expect_4xx("GET", "/compute/v1/projects/p/global/instanceTemplates?maxResults=abc", NULL,
		   0);
	expect_4xx("GET", "/compute/v1/projects/p/global/instanceTemplates?pageToken=%ff%00", NULL,
		   0);
	alive();
}

/* Not HTTP at all: the server answers 400 or closes, and stays up. */
static void raw_socket_garbage(void **state)
{
	static const char *const junk[] = { "GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
					    "\x01\x02\x03\xff\xfe\r\n\r\n",
					    "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n" };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *port = strrchr(P.root, ':') + 1;
	char buf[256];
	size_t i;

	(void)state;
	sa.sin_port = htons((uint16_t)strtol(port, NULL, 10));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ssize_t n;

		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_true(write(fd, junk[i], strlen(junk[i])) > 0);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			/* libmicrohttpd itself answers an unknown version with 505 */
			if (!strstr(buf, " 4") && !strstr(buf, " 505 "))
				(void)fprintf(stderr, "junk %zu: %.40s\n", i, buf);
			assert_true(strstr(buf, " 4") || strstr(buf, " 505 "));
		}
		(void)close(fd);
	}
	/* a client that connects and goes away */
	for (i = 0; i < 20; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		(void)connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		(void)write(fd, "POST /token HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", 48);
		(void)close(fd);
	}
	alive();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(broken_json_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(random_bytes_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(deep_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(huge_bodies_are_413, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(raw_socket_garbage, setup, teardown),
	};

	return gceb_test_run("emulator.garbage", tests, argc, argv);
}
