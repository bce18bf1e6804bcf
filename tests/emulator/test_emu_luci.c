/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_luci.c - LUCI config v1 get_config and get_config_by_hash (docs/design/luci-config.md)
 */
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "test_emu_common.h"

#define CS "/_ah/api/config/v1/config_sets/services%2Fgceb/config/"

static char dir[128];

/* The config directory is written before the emulator starts. */
static int setup(void **state)
{
	const char *const args[] = { "--config-dir", dir, "--config-set", "services/gceb", NULL };
	char path[256];
	FILE *f;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/gceb-emu-cfg.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	(void)snprintf(path, sizeof(path), "%s/templates.cfg", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	(void)fputs("hello\n", f);
	(void)fclose(f);
	return start_emu(args);
}

static int luci_teardown(void **state)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/templates.cfg", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	return teardown(state);
}

static void get_config_and_by_hash(void **state)
{
	char url[512], rev[64];
	cJSON *j;

	(void)state;
	j = CALL("GET", CS "templates.cfg?hash_only=True", NULL, 200);
	/* git hash-object of "hello\n" */
	assert_json_str(j, "content_hash", "v1:ce013625030ba8dba906f756967f9e9ca394464a");
	assert_null(emu_str(j, "content"));
	assert_non_null(emu_str(j, "url"));
	(void)snprintf(rev, sizeof(rev), "%s", emu_str(j, "revision"));
	cJSON_Delete(j);
	j = CALL("GET", CS "templates.cfg", NULL, 200);
	assert_json_str(j, "content", "aGVsbG8K");
	cJSON_Delete(j);
	(void)snprintf(url, sizeof(url), "%stemplates.cfg?hash_only=true&revision=%s", CS, rev);
	cJSON_Delete(CALL("GET", url, NULL, 200));
	cJSON_Delete(CALL("GET", CS "templates.cfg?revision=nope", NULL, 404));

	j = CALL("GET", "/_ah/api/config/v1/config/v1:ce013625030ba8dba906f756967f9e9ca394464a",
		 NULL, 200);
	assert_json_str(j, "content", "aGVsbG8K");
	cJSON_Delete(j);
	cJSON_Delete(CALL("GET",
			  "/_ah/api/config/v1/config/v1%3Ace013625030ba8dba906f756967f9e9ca394464a",
			  NULL, 200));
	cJSON_Delete(CALL("GET", "/_ah/api/config/v1/config/v1:0000", NULL, 404));
	cJSON_Delete(CALL("GET", CS "managers.cfg", NULL, 404));
	cJSON_Delete(CALL("GET",
			  "/_ah/api/config/v1/config_sets/services%2Fother/config/"
			  "templates.cfg",
			  NULL, 404));
}

static void publish_revisions(void **state)
{
	cJSON *a, *b;

	(void)state;
	CTL("/_emu/luci/publish", "{\"revision\":\"r1\",\"files\":{\"templates.cfg\":\"t1\","
				  "\"managers.cfg\":\"m1\"}}");
	CTL("/_emu/luci/publish", "{\"revision\":\"r2\",\"files\":{\"templates.cfg\":\"t2\"}}");
	a = CALL("GET", CS "templates.cfg?hash_only=True", NULL, 200);
	b = CALL("GET", CS "managers.cfg?hash_only=True", NULL, 200);
	assert_json_str(a, "revision", "r2");
	assert_json_str(b, "revision", "r1");
	cJSON_Delete(a);
	cJSON_Delete(b);
	a = CALL("GET", CS "templates.cfg?revision=r1", NULL, 200);
	assert_json_str(a, "content", "dDE=");
	assert_null(emu_str(a, "url"));
	cJSON_Delete(a);
	CTL("/_emu/luci/publish", "{\"files\":{\"managers.cfg\":null}}");
	cJSON_Delete(CALL("GET", CS "managers.cfg", NULL, 404));
}

static void needs_token(void **state)
{
	(void)state;
	P.token[0] = '\0';
	cJSON_Delete(CALL("GET", CS "templates.cfg", NULL, 401));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(get_config_and_by_hash, setup, luci_teardown),
		cmocka_unit_test_setup_teardown(publish_revisions, setup, luci_teardown),
		cmocka_unit_test_setup_teardown(needs_token, setup, luci_teardown),
	};

	return gceb_test_run("emulator.luci", tests, argc, argv);
}
