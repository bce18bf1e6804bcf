/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_proxy.c - proxies on purpose (configuration.md): the proxy environment
 * variables are ignored; a configured proxy (settings proxy, GCEB_PROXY)
 * carries https requests only, as CONNECT tunnels, so it never sees a
 * token in clear; plain http (the metadata server, a loopback root) never
 * goes through it. The proxy is gceb-test-proxy (tests/support/logproxy.c),
 * which logs every request head it receives.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"
#include "tls.h"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 maximum_size: 2 }\n";

static const char *const proxy_vars[] = { "http_proxy",  "https_proxy", "all_proxy",
					  "HTTPS_PROXY", "ALL_PROXY",   "GCEB_PROXY" };

struct fixture {
	struct it_env *env;
	struct it_tls tls;
	char proxy_url[64]; /* http://127.0.0.1:PORT */
	char proxy_log[256];
	int proxy_pid;
};

static void start_proxy(struct fixture *f)
{
	char port_file[256], port[16] = "";
	int i;

	(void)snprintf(port_file, sizeof(port_file), "%s/proxy.port", f->env->root);
	(void)snprintf(f->proxy_log, sizeof(f->proxy_log), "%s/proxy.log", f->env->root);
	f->proxy_pid = fork();
	assert_true(f->proxy_pid >= 0);
	if (f->proxy_pid == 0) {
		execl(GCEB_TEST_PROXY, GCEB_TEST_PROXY, port_file, f->proxy_log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !port[0]; i++) {
		struct timespec ts = { 0, 10L * 1000 * 1000 };
		FILE *p = fopen(port_file, "r");

		if (p) {
			if (!fgets(port, sizeof(port), p))
				port[0] = '\0';
			(void)fclose(p);
		}
		if (!port[0])
			(void)nanosleep(&ts, NULL);
	}
	assert_true(port[0]);
	port[strcspn(port, "\n")] = '\0';
	(void)snprintf(f->proxy_url, sizeof(f->proxy_url), "http://127.0.0.1:%s", port);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = it_env_new();
	it_write_config(f->env, "templates.cfg", TEMPLATES);
	it_write_config(f->env, "managers.cfg", MANAGERS);
	it_tls_init(f->env, &f->tls);
	it_emu_start(f->env, "--token-audience", f->tls.token_uri, NULL);
	it_run_ok(f->env, "import-config");
	it_run_ok(f->env, "process-config");
	start_proxy(f);
	*state = f;
	return 0;
}

/* Before the test's own calls to the emulator: the harness's libcurl would take the proxy. */
static void clear_proxy_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		assert_int_equal(unsetenv(proxy_vars[i]), 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	void *env = f->env;

	clear_proxy_env();
	(void)unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	if (f->proxy_pid > 0) {
		(void)kill(f->proxy_pid, SIGTERM);
		(void)waitpid(f->proxy_pid, NULL, 0);
	}
	it_tls_stop(&f->tls);
	free(f);
	return it_env_teardown(&env);
}

/* What reached the proxy so far ("" for nothing). Caller frees. */
static char *proxy_log(const struct fixture *f)
{
	FILE *p = fopen(f->proxy_log, "r");
	char *text;
	int fd;

	if (!p)
		return strdup("");
	fd = dup(fileno(p));
	(void)fclose(p);
	text = it_slurp(fd);
	(void)close(fd);
	return text;
}

/* Every proxy variable libcurl reads names the logging proxy. */
static void set_proxy_env(const struct fixture *f)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		assert_int_equal(setenv(proxy_vars[i], f->proxy_url, 1), 0);
	assert_int_equal(unsetenv("no_proxy"), 0);
	assert_int_equal(unsetenv("NO_PROXY"), 0);
}

static void assert_proxy_untouched(const struct fixture *f)
{
	char *log = proxy_log(f);

	if (log[0])
		print_message("the proxy got:\n%s\n", log);
	assert_string_equal(log, "");
	free(log);
}

/* http_proxy and friends in the environment (cron on a corporate host): plain http ignores them. */
static void env_proxy_ignored_for_http(void **state)
{
	struct fixture *f = *state;

	set_proxy_env(f);
	it_run_ok(f->env, "create-instance-templates");
	it_run_ok(f->env, "create-instance-group-managers");
	clear_proxy_env();
	assert_proxy_untouched(f);
	/* The metadata server was asked directly. */
	assert_true(it_emu_count_requests(f->env, "GET", "/computeMetadata/") >= 1);
}

/* ... and so do https requests. */
static void env_proxy_ignored_for_https(void **state)
{
	struct fixture *f = *state;
	char *front;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	set_proxy_env(f);
	it_run_ok(f->env, "create-instance-templates");
	assert_proxy_untouched(f);
	front = it_tls_access_log(&f->tls);
	assert_true(strlen(front) > 0);
	free(front);
}

/*
 * With proxy set, https requests go through CONNECT tunnels: the proxy's
 * log has CONNECT heads only, naming the host and port and nothing else,
 * and no token; the metadata server's plain http token fetch bypasses it.
 */
static void proxy_setting_tunnels_https(void **state)
{
	struct fixture *f = *state;
	char extra[128], want[128], *log, *line, *save = NULL;
	int connects = 0;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	(void)snprintf(extra, sizeof(extra), "proxy: \"%s\"\n", f->proxy_url);
	it_tls_settings(f->env, &f->tls, extra);
	it_run_ok(f->env, "create-instance-templates");
	/* GCEB_PROXY says the same. */
	it_tls_settings(f->env, &f->tls, NULL);
	assert_int_equal(setenv("GCEB_PROXY", f->proxy_url, 1), 0);
	it_run_ok(f->env, "create-instance-group-managers");

	(void)snprintf(want, sizeof(want), "CONNECT localhost:%d HTTP/1.1\r\n", f->tls.port);
	log = proxy_log(f);
	assert_null(strstr(log, "Authorization"));
	assert_null(strstr(log, "Bearer"));
	assert_null(strstr(log, "computeMetadata"));
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "CONNECT ", 8)) {
			assert_int_equal(strncmp(line, want, strlen(want) - 1), 0);
			connects++;
			continue;
		}
		/* The rest of a CONNECT head: Host, User-Agent, Proxy-Connection, the blank line.
		 */
		if (strcmp(line, "\r") != 0 && strncmp(line, "Host: ", 6) != 0 &&
		    strncmp(line, "User-Agent: ", 12) != 0 &&
		    strncmp(line, "Proxy-Connection: ", 18) != 0)
			fail_msg("not part of a CONNECT head: %s", line);
	}
	assert_true(connects >= 2);
	free(log);
	assert_true(it_emu_count_requests(f->env, "GET", "/computeMetadata/") >= 1);
}

/*
 * A key whose token_uri is https: the JWT and the token it buys cross the
 * proxy only inside the CONNECT tunnel.
 */
static void proxy_tunnels_token_endpoint(void **state)
{
	struct fixture *f = *state;
	char path[256], *log;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	(void)snprintf(path, sizeof(path), "%s/key.json", f->env->root);
	it_tls_key_file(f->env, path, f->tls.token_uri);
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1), 0);
	assert_int_equal(unsetenv("GCE_METADATA_HOST"), 0);
	assert_int_equal(setenv("GCEB_PROXY", f->proxy_url, 1), 0);
	it_run_ok(f->env, "create-instance-templates");
	log = proxy_log(f);
	/* The token fetch's own connection, then the API's. */
	assert_true(strstr(log, "CONNECT localhost:") != NULL);
	assert_null(strstr(log, "assertion"));
	assert_null(strstr(log, "access_token"));
	assert_null(strstr(log, "Bearer"));
	assert_null(strstr(log, "POST "));
	free(log);
	log = it_tls_access_log(&f->tls);
	assert_non_null(strstr(log, " POST /token 200"));
	free(log);
}

/* A configured proxy is never used for plain http (a loopback root, the metadata server). */
static void proxy_never_for_plain_http(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(setenv("GCEB_PROXY", f->proxy_url, 1), 0);
	it_run_ok(f->env, "create-instance-templates");
	it_run_ok(f->env, "create-instance-group-managers");
	assert_proxy_untouched(f);
}

static void expect_bad_proxy(const struct fixture *f, const char *proxy, const char *want)
{
	struct it_result res;

	assert_int_equal(setenv("GCEB_PROXY", proxy, 1), 0);
	it_run(f->env, &res, "create-instance-templates", NULL);
	if (res.status != 78 || !strstr(res.err, want))
		print_message("proxy '%s': exit %d: %s\n", proxy, res.status, res.err);
	assert_int_equal(res.status, 78);
	assert_non_null(strstr(res.err, want));
	it_result_release(&res);
}

static void bad_proxy_is_config_error(void **state)
{
	struct fixture *f = *state;

	expect_bad_proxy(f, "socks5://127.0.0.1:1080", "must be http:// or https://");
	expect_bad_proxy(f, "http://127.0.0.1:3128/path", "with no path");
	expect_bad_proxy(f, "http://user:pw@127.0.0.1:3128", "malformed URL");
	expect_bad_proxy(f, "127.0.0.1:3128", "malformed URL");
	assert_proxy_untouched(f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(env_proxy_ignored_for_http, setup, teardown),
		cmocka_unit_test_setup_teardown(env_proxy_ignored_for_https, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_setting_tunnels_https, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_tunnels_token_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_never_for_plain_http, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_proxy_is_config_error, setup, teardown),
	};

	return gceb_test_run("proxy", tests, argc, argv);
}
