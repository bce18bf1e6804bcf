/* SPDX-License-Identifier: Apache-2.0 */
/* test_config.c - config validation, revision checksums (docs/design/config.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "gceb/settings.h"
#include "runner.h"
#include "textproto.h"

/* Parse a pair of texts; returns the result code and leaves diags for inspection. */
static int parse(const char *t, const char *m, struct gceb_config *cfg, struct gceb_diags *d)
{
	struct gceb_err err = { 0 };

	return gceb_config_parse("templates.cfg", t, strlen(t), "managers.cfg", m, strlen(m), cfg,
				 d, &err);
}

static bool has_diag(const struct gceb_diags *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->v[i], needle))
			return true;
	return false;
}

static void print_diags(const struct gceb_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("diag: %s\n", d->v[i]);
}

static void expect_rejected(const char *t, const char *m, const char *needle)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };

	assert_int_equal(parse(t, m, &cfg, &d), GCEB_ECONFIG);
	if (!has_diag(&d, needle))
		print_diags(&d);
	assert_true(has_diag(&d, needle));
	assert_null(cfg.templates);
	gceb_diags_release(&d);
}

static void expect_accepted(const char *t, const char *m)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };
	int r = parse(t, m, &cfg, &d);

	print_diags(&d);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	gceb_config_release(&cfg);
	gceb_diags_release(&d);
}

/* Checksum of the single template in @text. */
static void checksum_of(const char *text, char out[GCEB_SHA1_HEX_LEN + 1])
{
	Gceb__Config__InstanceTemplateConfig *tc = NULL;
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_textproto_parse(&gceb__config__instance_template_config__descriptor,
					      "t.cfg", text, strlen(text), (ProtobufCMessage **)&tc,
					      NULL, &err),
			 0);
	assert_int_equal(tc->n_templates, 1);
	assert_int_equal(gceb_template_checksum(tc->templates[0], out), 0);
	protobuf_c_message_free_unpacked(&tc->base, NULL);
}

/* the first test vector of docs/design/config.md: the empty template. */
static void checksum_empty_template(void **state)
{
	char c[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates {}", c);
	assert_string_equal(c, "7e89973aba9065efd4331076ef660d2cc53bb3c3");
}

static const char VECTOR2[] = "templates {\n"
			      "  dimensions: \"os_family:LINUX\"\n"
			      "  disk_size_gb: 100\n"
			      "  machine_type: \"n1-standard-8\"\n"
			      "  metadata: \"key:value\"\n"
			      "  service_accounts { name: \"service-account\" scopes: \"scope\" }\n"
			      "  tags: \"tag\"\n"
			      "}\n";

static void checksum_vector2(void **state)
{
	char c[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of(VECTOR2, c);
	assert_string_equal(c, "273dd93926b3d3309a546870b8ea2819eb21d9a5");
}

static void checksum_vector3(void **state)
{
	char c[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates {\n"
		    "  project: \"my-project\" image_name: \"ubuntu-1404\"\n"
		    "  image_project: \"images-proj\" disk_size_gb: 300\n"
		    "  machine_type: \"n1-standard-8\" auto_assign_external_ip: true\n"
		    "  network_url: \"https://www.googleapis.com/compute/v1/projects/my-project/"
		    "global/networks/net1\"\n"
		    "  dimensions: [\"os_family:LINUX\", \"pool:ci\"]\n"
		    "  metadata: [\"startup-script:echo a:b\", \"k2:\"]\n"
		    "  tags: [\"b\", \"a\"]\n"
		    "  service_accounts { name: \"sa1@x\" scopes: [\"s2\", \"s1\"] }\n"
		    "  service_accounts { name: \"sa3@x\" }\n"
		    "  service_accounts { name: \"sa2@x\" scopes: \"z\" }\n"
		    "}\n",
		    c);
	assert_string_equal(c, "ae1d84ccf960d74136691452752bf2656e8df559");
}

static void checksum_vector4_unicode(void **state)
{
	char c[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates { metadata: \"caf\\303\\251:\\303\\274 \\\"q\\\"\\n\" }", c);
	assert_string_equal(c, "c139b32457be5ca9ecd7c6a6353a3e39e1fcc501");
}

/* PRS-2: reordering dimensions, metadata and tags changes nothing. */
static void checksum_ignores_order(void **state)
{
	char a[GCEB_SHA1_HEX_LEN + 1], b[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates { dimensions: [\"a:1\", \"b:2\"] metadata: [\"x:1\", \"y:2\"] "
		    "tags: [\"t1\", \"t2\"] }",
		    a);
	checksum_of("templates { dimensions: [\"b:2\", \"a:1\"] metadata: [\"y:2\", \"x:1\"] "
		    "tags: [\"t2\", \"t1\"] }",
		    b);
	assert_string_equal(a, b);
}

/* PRS-3 and PRS-4: the first account matters; the rest and all scopes are sets. */
static void checksum_service_account_order(void **state)
{
	char a[GCEB_SHA1_HEX_LEN + 1], b[GCEB_SHA1_HEX_LEN + 1], c[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates { service_accounts { name: \"a\" scopes: [\"1\", \"2\"] }"
		    " service_accounts { name: \"b\" } service_accounts { name: \"c\" } }",
		    a);
	checksum_of("templates { service_accounts { name: \"a\" scopes: [\"2\", \"1\"] }"
		    " service_accounts { name: \"c\" } service_accounts { name: \"b\" } }",
		    b);
	checksum_of("templates { service_accounts { name: \"b\" }"
		    " service_accounts { name: \"a\" scopes: [\"1\", \"2\"] }"
		    " service_accounts { name: \"c\" } }",
		    c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

/* Last duplicate key wins in dimensions and metadata (docs/design/config.md). */
static void checksum_last_duplicate_wins(void **state)
{
	char a[GCEB_SHA1_HEX_LEN + 1], b[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	checksum_of("templates { metadata: [\"k:1\", \"k:2\"] }", a);
	checksum_of("templates { metadata: [\"k:2\"] }", b);
	assert_string_equal(a, b);
}

/* CFG-1 in gceb: empty files are a valid (empty) config. */
static void empty_files_accepted(void **state)
{
	(void)state;
	expect_accepted("", "");
}

/* CFG-2: base names 1,2,3,4,2,3 → one error per repeat, with its position. */
static void duplicate_base_names_rejected(void **state)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };
	char t[2048] = "";
	const char *names[] = { "a", "b", "c", "d", "b", "c" };
	size_t i, used;

	(void)state;
	for (i = 0; i < 6; i++) {
		char one[256];

		(void)snprintf(one, sizeof(one),
			       "templates { base_name: \"%s\" project: \"p\" image_name: \"i\" "
			       "machine_type: \"m\" }\n",
			       names[i]);
		used = strlen(t);
		assert_true((size_t)snprintf(t + used, sizeof(t) - used, "%s", one) <
			    sizeof(t) - used);
	}
	assert_int_equal(parse(t, "", &cfg, &d), GCEB_ECONFIG);
	print_diags(&d);
	assert_int_equal(d.n, 2);
	assert_true(has_diag(&d, "templates.cfg:5:13: base_name b is not globally unique"));
	assert_true(has_diag(&d, "templates.cfg:6:13: base_name c is not globally unique"));
	gceb_diags_release(&d);
}

/* CFG-3 is a 2017 limit that gceb drops (docs/design/departures.md): eleven templates are fine. */
static void eleven_templates_accepted(void **state)
{
	char t[4096] = "";
	size_t used;
	int i;

	(void)state;
	for (i = 0; i < 11; i++) {
		char one[256];

		(void)snprintf(one, sizeof(one),
			       "templates { base_name: \"t%d\" project: \"p\" image_name: \"i\" "
			       "machine_type: \"m\" }\n",
			       i);
		used = strlen(t);
		assert_true((size_t)snprintf(t + used, sizeof(t) - used, "%s", one) <
			    sizeof(t) - used);
	}
	expect_accepted(t, "");
}

static const char THREE_TEMPLATES[] =
	"templates { base_name: \"a\" project: \"p\" image_name: \"i\" machine_type: \"m\" }\n"
	"templates { base_name: \"b\" project: \"p\" image_name: \"i\" machine_type: \"m\" }\n"
	"templates { base_name: \"c\" project: \"p\" image_name: \"i\" machine_type: \"m\" }\n";

/* CFG-4: the same zone under three templates. */
static void same_zone_other_templates_accepted(void **state)
{
	(void)state;
	expect_accepted(THREE_TEMPLATES,
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 1 }\n"
			"managers { template_base_name: \"b\" zone: \"z\" minimum_size: 1 }\n"
			"managers { template_base_name: \"c\" zone: \"z\" minimum_size: 1 }\n");
}

/* CFG-5 */
static void same_zone_twice_rejected(void **state)
{
	(void)state;
	expect_rejected(THREE_TEMPLATES,
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 1 }\n"
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 1 }\n",
			"managers.cfg:2:36: zone z is not unique in template a");
}

/* CFG-6 */
static void minimum_above_maximum_rejected(void **state)
{
	(void)state;
	expect_rejected(THREE_TEMPLATES,
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 2 "
			"maximum_size: 1 }\n",
			"managers.cfg:1:62: minimum_size > maximum_size for zone z in template a");
}

/* CFG-7 */
static void maximum_above_1000_rejected(void **state)
{
	(void)state;
	expect_rejected(THREE_TEMPLATES,
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 1\n"
			"  maximum_size: 9999 }\n",
			"managers.cfg:2:3: maximum_size > 1000 for zone z in template a");
}

/* docs/design/departures.md: unset maximum_size means unlimited, so min 5 without max is fine. */
static void unset_maximum_is_unlimited(void **state)
{
	(void)state;
	expect_accepted(THREE_TEMPLATES,
			"managers { template_base_name: \"a\" zone: \"z\" minimum_size: 5 }\n");
}

static void minimum_below_one_rejected(void **state)
{
	(void)state;
	expect_rejected(THREE_TEMPLATES, "managers { template_base_name: \"a\" zone: \"z\" }\n",
			"managers.cfg:1:1: minimum_size must be at least 1");
}

static void manager_of_unknown_template_rejected(void **state)
{
	(void)state;
	expect_rejected(THREE_TEMPLATES,
			"managers { template_base_name: \"nope\" zone: \"z\" minimum_size: 1 }\n",
			"managers.cfg:1:12: template_base_name 'nope' names no template");
}

static void required_names_checked(void **state)
{
	(void)state;
	expect_rejected("templates { base_name: \"a\" }", "",
			"templates.cfg:1:1: project must not be empty");
	expect_rejected("templates { base_name: \"a\" }", "", "image_name must not be empty");
	expect_rejected("templates { base_name: \"a\" }", "", "machine_type must not be empty");
	expect_rejected("templates { project: \"p\" }", "", "base_name must not be empty");
	expect_rejected("templates { base_name: \"Bad_Name\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" }",
			"", "templates.cfg:1:13: base_name 'Bad_Name' is not a valid GCE name");
	expect_rejected("templates { base_name: \"has space\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" }",
			"", "is not a valid GCE name");
}

static void project_domain_prefix_accepted(void **state)
{
	(void)state;
	expect_accepted("templates { base_name: \"a\" project: \"google.com:my-proj\" "
			"image_name: \"i\" machine_type: \"m\" }",
			"");
}

/* "B-<40 hex>" must fit in 63 characters: base_name at most 22. */
static void long_base_name_rejected(void **state)
{
	(void)state;
	expect_accepted("templates { base_name: \"abcdefghijklmnopqrstuv\" project: \"p\" "
			"image_name: \"i\" machine_type: \"m\" }",
			"");
	expect_rejected("templates { base_name: \"abcdefghijklmnopqrstuvw\" project: \"p\" "
			"image_name: \"i\" machine_type: \"m\" }",
			"", "is longer than 22 characters");
}

static void long_base_instance_name_rejected(void **state)
{
	(void)state;
	expect_rejected("templates { base_name: \"abcdefghijklmnopqrstuv\" project: \"p\" "
			"image_name: \"i\" machine_type: \"m\" }",
			"managers { template_base_name: \"abcdefghijklmnopqrstuv\" minimum_size: 1 "
			"zone: \"abcdefghijklmnopqrstuvwxyz-1\" }",
			"is longer than 58 characters");
}

static void key_value_strings_checked(void **state)
{
	(void)state;
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\"\n metadata: \"nocolon\" }",
			"", "templates.cfg:2:2: metadata 'nocolon' has no colon");
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" dimensions: \":v\" }",
			"", "dimension ':v' has an empty key");
}

static void typed_dimensions_checked(void **state)
{
	(void)state;
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" dimensions: \"os_family:BEOS\" }",
			"", "dimension os_family 'BEOS' is not a known value");
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" dimensions: \"num_cpus:eight\" }",
			"", "dimension num_cpus 'eight' is not an integer");
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" dimensions: \"memory_gb:lots\" }",
			"", "dimension memory_gb 'lots' is not a number");
	expect_accepted("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" dimensions: [\"os_family:LINUX\", \"num_cpus:8\", "
			"\"memory_gb:3.75\", \"pool:anything\"] }",
			"");
}

/*
 * Every bad typed dimension is a config problem at its own place
 * (file:line:column), as any other, not just the first of a template.
 */
static void typed_dimensions_reported_at_their_place(void **state)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };
	struct gceb_err err = { 0 };
	Gceb__State__Dimensions dims = GCEB__STATE__DIMENSIONS__INIT;

	(void)state;
	assert_int_equal(parse("templates {\n base_name: \"a\" project: \"p\" image_name: \"i\"\n"
			       " machine_type: \"m\"\n dimensions: \"num_cpus:eight\"\n"
			       " dimensions: \"pool:x\"\n   dimensions: \"os_family:BEOS\"\n}",
			       "", &cfg, &d),
			 GCEB_ECONFIG);
	print_diags(&d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0], "templates.cfg:4:2: dimension num_cpus 'eight' is not an "
				    "integer");
	assert_string_equal(d.v[1], "templates.cfg:6:4: dimension os_family 'BEOS' is not a known "
				    "value");
	gceb_diags_release(&d);
	/* One string at a time, through the same error carrier. */
	assert_int_equal(gceb_dimension_parse("memory_gb:lots", &dims, &err), GCEB_ECONFIG);
	assert_string_equal(err.msg, "dimension memory_gb 'lots' is not a number");
	assert_false(dims.has_memory_gb);
	assert_int_equal(gceb_dimension_parse("nocolon", &dims, &err), GCEB_ECONFIG);
	assert_string_equal(err.msg, "dimension 'nocolon' is not \"key:value\"");
	assert_int_equal(gceb_dimension_parse("disk_gb:20", &dims, &err), 0);
	assert_true(dims.has_disk_gb);
	assert_int_equal(dims.disk_gb, 20);
}

/* network_url: a network name, a partial URL, or an https URL (url.h's parser). */
static void network_url_checked(void **state)
{
	static const char *const partial_ok[] = { "global/networks/net-1",
						  "projects/p/global/networks/net-1",
						  "projects/google.com:p/global/networks/n" };
	static const char *const partial_bad[] = { "global/networks/",
						   "global/networks/Net",
						   "projects//global/networks/n",
						   "projects/p/global/networks/n/x",
						   "projects/p/regions/networks/n",
						   "networks/n" };
	char text[256];
	size_t i;

	(void)state;
	expect_accepted("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" network_url: \"net-1\" }",
			"");
	for (i = 0; i < sizeof(partial_ok) / sizeof(partial_ok[0]); i++) {
		(void)snprintf(text, sizeof(text),
			       "templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			       "machine_type: \"m\" network_url: \"%s\" }",
			       partial_ok[i]);
		expect_accepted(text, "");
	}
	for (i = 0; i < sizeof(partial_bad) / sizeof(partial_bad[0]); i++) {
		(void)snprintf(text, sizeof(text),
			       "templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			       "machine_type: \"m\" network_url: \"%s\" }",
			       partial_bad[i]);
		expect_rejected(text, "", "a partial network URL");
	}
	expect_rejected(
		"templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
		"machine_type: \"m\" network_url: \"https://\" }",
		"",
		"network_url 'https://' is neither a network name, a partial network URL nor an https URL");
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" network_url: \"https://x y/n\" }",
			"", "is neither a network name, a partial network URL nor an https URL");
	expect_rejected("templates { base_name: \"a\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" network_url: \"http://example.com/n\" }",
			"", "is neither a network name, a partial network URL nor an https URL");
}

/* Every problem is reported, across both files, not just the first. */
static void all_problems_reported(void **state)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };

	(void)state;
	assert_int_equal(parse("templates { base_name: \"a\" }",
			       "managers { template_base_name: \"x\" zone: \"z\" minimum_size: 0 }",
			       &cfg, &d),
			 GCEB_ECONFIG);
	print_diags(&d);
	assert_int_equal(d.n, 5);
	gceb_diags_release(&d);
}

/* A syntax error in each file: both are reported. */
static void syntax_errors_in_both_files(void **state)
{
	struct gceb_config cfg = { 0 };
	struct gceb_diags d = { 0 };

	(void)state;
	assert_int_equal(parse("templates { base_name: }", "managers { bogus: 1 }", &cfg, &d),
			 GCEB_ECONFIG);
	print_diags(&d);
	assert_int_equal(d.n, 2);
	assert_true(has_diag(&d, "templates.cfg:1:"));
	assert_true(has_diag(&d, "managers.cfg:1:"));
	gceb_diags_release(&d);
}

static void typed_dimensions_parsed(void **state)
{
	static const char *const src[] = { "os_family:LINUX", "num_cpus:8",
					   "memory_gb:3.75",  "disk_gb:100",
					   "backend:GCE",     "hostname:h",
					   "os_version:12",   "linux_flavor:UBUNTU",
					   "pool:dropped",    "num_cpus:16" };
	Gceb__State__Dimensions d;
	struct gceb_err err = { 0 };
	char *dims[10];
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		dims[i] = strdup(src[i]);
	assert_int_equal(gceb_dimensions_parse(dims, 10, &d, &err), 0);
	assert_true(d.has_os_family);
	assert_int_equal(d.os_family, GCEB__STATE__DIMENSIONS__OSFAMILY__LINUX);
	assert_int_equal(d.num_cpus, 16);
	assert_true(d.memory_gb == 3.75);
	assert_int_equal(d.disk_gb, 100);
	assert_int_equal(d.backend, GCEB__STATE__DIMENSIONS__BACKEND__GCE);
	assert_string_equal(d.hostname, "h");
	assert_string_equal(d.os_version, "12");
	assert_true(d.has_linux_flavor);
	for (i = 0; i < 10; i++)
		free(dims[i]);
}

/* CFG-12 and docs/design/departures.md: https, or http only to loopback. */
static void settings_url_rule(void **state)
{
	(void)state;
	assert_int_equal(gceb_settings_check_url("mp_server", "https://mp.example.com", NULL), 0);
	assert_int_equal(gceb_settings_check_url("mp_server", "http://localhost:8080/", NULL), 0);
	assert_int_equal(gceb_settings_check_url("mp_server", "http://127.0.0.1:1", NULL), 0);
	assert_int_equal(gceb_settings_check_url("mp_server", "http://[::1]:1/x", NULL), 0);
	assert_int_equal(gceb_settings_check_url("mp_server", "http://url", NULL), GCEB_ECONFIG);
	assert_int_equal(gceb_settings_check_url("mp_server", "url", NULL), GCEB_ECONFIG);
	assert_int_equal(gceb_settings_check_url("mp_server", "http://localhost.evil.com", NULL),
			 GCEB_ECONFIG);
	assert_int_equal(gceb_settings_check_url("mp_server", "https://", NULL), GCEB_ECONFIG);
}

static void settings_parsed_and_checked(void **state)
{
	Gceb__Config__SettingsCfg *s = NULL;
	struct gceb_diags d = { 0 };
	/* enable_ts_monitoring is accepted and ignored (docs/configuration.md). */
	const char ok[] =
		"mp_server: \"https://mp\" max_concurrency: 32 enable_ts_monitoring: true";
	const char bad[] = "mp_server: \"http://url\"\nmax_concurrency: 0";

	(void)state;
	assert_int_equal(gceb_settings_parse("settings.cfg", ok, strlen(ok), &s, &d, NULL), 0);
	assert_string_equal(s->mp_server, "https://mp");
	assert_int_equal(s->max_concurrency, 32);
	protobuf_c_message_free_unpacked(&s->base, NULL);
	s = NULL;
	assert_int_equal(gceb_settings_parse("settings.cfg", bad, strlen(bad), &s, &d, NULL),
			 GCEB_ECONFIG);
	assert_null(s);
	print_diags(&d);
	assert_int_equal(d.n, 2);
	assert_true(has_diag(&d, "settings.cfg:1:1: mp_server: http to 'url' is not allowed"));
	assert_true(has_diag(&d, "settings.cfg:2:1: max_concurrency must be between"));
	gceb_diags_release(&d);
}

static void write_settings(const char *dir, const char *text)
{
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/settings.cfg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void)fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * CFG-10 and CFG-11: settings.cfg sets the Machine Provider URL; without it
 * the default stays. Flags and the environment (already in the struct) win.
 */
static void settings_file_layer(void **state)
{
	char dir[] = "/tmp/gceb-settings-XXXXXX";
	struct gceb_settings s = { 0 };
	char path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	s.config_dir = strdup(dir);
	assert_int_equal(gceb_settings_load(&s, NULL), 0);
	assert_null(s.mp_server); /* jobs then use GCEB_DEFAULT_MP_SERVER */
	assert_string_equal(s.compute_api_root, GCEB_DEFAULT_COMPUTE_API_ROOT);
	assert_int_equal(s.max_concurrency, GCEB_DEFAULT_MAX_CONCURRENCY);
	gceb_settings_release(&s);

	write_settings(dir, "mp_server: \"https://server\"\nmax_concurrency: 8\n");
	s.config_dir = strdup(dir);
	assert_int_equal(gceb_settings_load(&s, NULL), 0);
	assert_string_equal(s.mp_server, "https://server");
	assert_int_equal(s.max_concurrency, 8);
	gceb_settings_release(&s);

	s.config_dir = strdup(dir);
	s.mp_server = strdup("https://from-flag");
	s.max_concurrency = 3;
	assert_int_equal(gceb_settings_load(&s, NULL), 0);
	assert_string_equal(s.mp_server, "https://from-flag");
	assert_int_equal(s.max_concurrency, 3);
	gceb_settings_release(&s);

	write_settings(dir, "mp_server: \"http://url\"\n");
	s.config_dir = strdup(dir);
	assert_int_equal(gceb_settings_load(&s, NULL), GCEB_ECONFIG);
	gceb_settings_release(&s);

	(void)snprintf(path, sizeof(path), "%s/settings.cfg", dir);
	assert_int_equal(remove(path), 0);
	assert_int_equal(remove(dir), 0);
}

/* The directory revision is the SHA-1 over both git blob hashes. */
static void dir_revision_from_content(void **state)
{
	char a[GCEB_SHA1_HEX_LEN + 1], b[GCEB_SHA1_HEX_LEN + 1], c[GCEB_SHA1_HEX_LEN + 1];
	unsigned char blob[20];
	char hex[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	/* git hash-object of an empty file */
	gceb_git_blob_sha1("", 0, blob);
	gceb_sha1_hex("", 0, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	gceb_config_dir_revision("t", 1, "m", 1, a);
	gceb_config_dir_revision("t", 1, "m", 1, b);
	gceb_config_dir_revision("m", 1, "t", 1, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(blob[0], 0xe6);
	assert_int_equal(blob[1], 0x9d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checksum_empty_template),
		cmocka_unit_test(checksum_vector2),
		cmocka_unit_test(checksum_vector3),
		cmocka_unit_test(checksum_vector4_unicode),
		cmocka_unit_test(checksum_ignores_order),
		cmocka_unit_test(checksum_service_account_order),
		cmocka_unit_test(checksum_last_duplicate_wins),
		cmocka_unit_test(empty_files_accepted),
		cmocka_unit_test(duplicate_base_names_rejected),
		cmocka_unit_test(eleven_templates_accepted),
		cmocka_unit_test(same_zone_other_templates_accepted),
		cmocka_unit_test(same_zone_twice_rejected),
		cmocka_unit_test(minimum_above_maximum_rejected),
		cmocka_unit_test(maximum_above_1000_rejected),
		cmocka_unit_test(unset_maximum_is_unlimited),
		cmocka_unit_test(minimum_below_one_rejected),
		cmocka_unit_test(manager_of_unknown_template_rejected),
		cmocka_unit_test(required_names_checked),
		cmocka_unit_test(project_domain_prefix_accepted),
		cmocka_unit_test(long_base_name_rejected),
		cmocka_unit_test(long_base_instance_name_rejected),
		cmocka_unit_test(key_value_strings_checked),
		cmocka_unit_test(typed_dimensions_checked),
		cmocka_unit_test(network_url_checked),
		cmocka_unit_test(typed_dimensions_reported_at_their_place),
		cmocka_unit_test(all_problems_reported),
		cmocka_unit_test(syntax_errors_in_both_files),
		cmocka_unit_test(typed_dimensions_parsed),
		cmocka_unit_test(settings_url_rule),
		cmocka_unit_test(settings_parsed_and_checked),
		cmocka_unit_test(settings_file_layer),
		cmocka_unit_test(dir_revision_from_content),
	};

	return gceb_test_run("config", tests, argc, argv);
}
