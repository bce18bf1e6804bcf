/* SPDX-License-Identifier: Apache-2.0 */
/* test_gce.c - Compute Engine builders, mappers, resize rule, metadata (docs/design/compute.md,
 * docs/design/instances.md, docs/design/metadata.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "buf.h"
#include "fixture.h"
#include "gce.h"
#include "json.h"
#include "runner.h"

#define ROOT         "http://127.0.0.1:40123/"
#define REV          "0123abcd89ef0123abcd89ef0123abcd89ef0123"
#define PROJECT      "example-project"
#define ZONE         "us-central1-b"
#define GROUP        "pool-" REV
#define CANON        "https://www.googleapis.com/compute/v1/projects/example-project"
#define INSTANCE_URL CANON "/zones/us-central1-b/instances/pool-0123abcd-us-central1-b-x9k2"

/* A metadata item from literals (the struct's strings are not const). */
#define ITEM(k, v)         \
 {                         \
  (char *)(k), (char *)(v) \
 }

/* ---- helpers ---- */

static cJSON *parse_body(const struct gceb_http_request *req)
{
	cJSON *json;

	assert_non_null(req->body);
	json = cJSON_Parse(req->body);
	assert_non_null(json);
	return json;
}

/* The value at a path of object keys and array indexes ("properties", "disks", "0", ...). */
static const cJSON *at(const cJSON *json, const char *path)
{
	char copy[256], *save = NULL, *part;

	(void)snprintf(copy, sizeof(copy), "%s", path);
	for (part = strtok_r(copy, ".", &save); part && json; part = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(json))
			json = cJSON_GetArrayItem(json, (int)strtol(part, NULL, 10));
		else
			json = cJSON_GetObjectItemCaseSensitive(json, part);
	}
	return json;
}

static void assert_json_string(const cJSON *json, const char *path, const char *want)
{
	const cJSON *v = at(json, path);

	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	assert_string_equal(v->valuestring, want);
}

/* ---- resolve ---- */

static void resolve_ok(const char *root, const char *url, const char *want)
{
	struct gceb_err err = { 0 };
	char *out = NULL;

	assert_int_equal(gceb_gce_resolve(root, url, &out, &err), 0);
	assert_string_equal(out, want);
	free(out);
}

static void resolve_fails(const char *root, const char *url, int code, const char *needle)
{
	struct gceb_err err = { 0 };
	char *out = NULL;

	assert_int_equal(gceb_gce_resolve(root, url, &out, &err), code);
	assert_null(out);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void resolve_maps_canonical_roots_to_configured_root(void **state)
{
	(void)state;
	resolve_ok(ROOT, INSTANCE_URL,
		   ROOT "compute/v1/projects/example-project/zones/us-central1-b/instances/"
			"pool-0123abcd-us-central1-b-x9k2");
	resolve_ok(ROOT,
		   "https://compute.googleapis.com/compute/v1/projects/p/global/operations/op-1",
		   ROOT "compute/v1/projects/p/global/operations/op-1");
	resolve_ok(ROOT, ROOT "compute/v1/projects/p/zones/z/operations/op-2",
		   ROOT "compute/v1/projects/p/zones/z/operations/op-2");
	/* A root configured without its final slash. */
	resolve_ok("http://127.0.0.1:40123", "http://127.0.0.1:40123/compute/v1/projects/p/x",
		   "http://127.0.0.1:40123/compute/v1/projects/p/x");
	resolve_ok("https://compute.googleapis.com/", CANON "/global/instanceTemplates/t",
		   "https://compute.googleapis.com/compute/v1/projects/example-project/global/"
		   "instanceTemplates/t");
	resolve_ok(ROOT, "https://www.googleapis.com/compute/v1/projects/google.com:p/zones/z",
		   ROOT "compute/v1/projects/google.com:p/zones/z");
}

static void resolve_refuses_other_hosts(void **state)
{
	(void)state;
	resolve_fails(ROOT, "https://evil.example.com/compute/v1/projects/p/zones/z/instances/i",
		      GCEB_EAUTH, "evil.example.com");
	resolve_fails(ROOT, "https://www.googleapis.com.evil.example/compute/v1/projects/p",
		      GCEB_EAUTH, "www.googleapis.com.evil.example");
	resolve_fails("http://127.0.0.1:40123", "http://127.0.0.1:401234/compute/v1/projects/p",
		      GCEB_EAUTH, "127.0.0.1:401234");
	resolve_fails(ROOT, "http://www.googleapis.com/compute/v1/projects/p", GCEB_EAUTH,
		      "www.googleapis.com");
	resolve_fails(ROOT, "compute/v1/projects/p/zones/z", GCEB_EAUTH, "not the Compute root");
}

static void resolve_refuses_bad_paths(void **state)
{
	(void)state;
	resolve_fails(ROOT, CANON "/zones/z/instances/../../../../oauth2/v4/token", GCEB_EPARSE,
		      "canonical");
	resolve_fails(ROOT, CANON "/zones/z/instances/a b", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "/zones/z/instances/a\tb", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "/zones/z/instances/a?alt=media", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "/zones/z/instances/a#x", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "/zones/z/instances/%2e%2e", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "/zones/z/instances/a\"b", GCEB_EPARSE, "character");
	resolve_fails(ROOT, CANON "//zones/z", GCEB_EPARSE, "canonical");
	resolve_fails(ROOT, CANON "/zones/z/", GCEB_EPARSE, "canonical");
	resolve_fails(ROOT, "https://www.googleapis.com/oauth2/v4/token", GCEB_EPARSE,
		      "not a Compute v1 project URL");
	resolve_fails(ROOT, "", GCEB_EPARSE, "empty");
}

static void url_name_is_last_segment(void **state)
{
	(void)state;
	assert_string_equal(gceb_gce_url_name(INSTANCE_URL), "pool-0123abcd-us-central1-b-x9k2");
	assert_string_equal(gceb_gce_url_name("bare"), "bare");
}

/* ---- builders ---- */

static Gceb__State__Revision *revision(void)
{
	static Gceb__State__MetadataItem m1 = GCEB__STATE__METADATA_ITEM__INIT;
	static Gceb__State__MetadataItem m2 = GCEB__STATE__METADATA_ITEM__INIT;
	static Gceb__State__MetadataItem *metadata[] = { &m1, &m2 };
	static char *scopes[] = { (char *)"https://www.googleapis.com/auth/cloud-platform",
				  (char *)"https://www.googleapis.com/auth/userinfo.email" };
	static Gceb__State__ServiceAccount sa1 = GCEB__STATE__SERVICE_ACCOUNT__INIT;
	static Gceb__State__ServiceAccount sa2 = GCEB__STATE__SERVICE_ACCOUNT__INIT;
	static Gceb__State__ServiceAccount *sas[] = { &sa1, &sa2 };
	static char *tags[] = { (char *)"swarming", (char *)"ci" };
	static Gceb__State__Revision r;

	r = (Gceb__State__Revision)GCEB__STATE__REVISION__INIT;
	m1.key = (char *)"startup-script";
	m1.value = (char *)"echo a:b";
	m2.key = (char *)"k2";
	m2.value = (char *)"";
	sa1.name = (char *)"bot@example-project.iam.gserviceaccount.com";
	sa1.scopes = scopes;
	sa1.n_scopes = 2;
	sa2.name = (char *)"other@example-project.iam.gserviceaccount.com";
	r.project = (char *)PROJECT;
	r.image_name = (char *)"ubuntu-1404";
	r.image_project = (char *)"example-images";
	r.machine_type = (char *)"n1-standard-8";
	r.has_disk_size_gb = true;
	r.disk_size_gb = 300;
	r.metadata = metadata;
	r.n_metadata = 2;
	r.service_accounts = sas;
	r.n_service_accounts = 2;
	r.tags = tags;
	r.n_tags = 2;
	r.has_auto_assign_external_ip = true;
	r.auto_assign_external_ip = true;
	r.network_url =
		(char *)"https://www.googleapis.com/compute/v1/projects/example-project/global/"
			"networks/net1";
	return &r;
}

static void template_insert_builds_behaviour_4_3_body(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	cJSON *body;

	(void)state;
	assert_int_equal(gceb_gce_template_insert(ROOT, "pool", REV, revision(), &req, &err), 0);
	assert_string_equal(req->method, "POST");
	assert_int_equal(req->api, GCEB_API_COMPUTE);
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/global/"
					   "instanceTemplates");
	body = parse_body(req);
	assert_json_string(body, "name", "pool-" REV);
	assert_true(cJSON_IsTrue(at(body, "properties.disks.0.autoDelete")));
	assert_true(cJSON_IsTrue(at(body, "properties.disks.0.boot")));
	/* CMP-1: an int64 goes out as a JSON string, as the API documents it. */
	assert_json_string(body, "properties.disks.0.initializeParams.diskSizeGb", "300");
	assert_json_string(body, "properties.disks.0.initializeParams.sourceImage",
			   "https://www.googleapis.com/compute/v1/projects/example-images/global/"
			   "images/ubuntu-1404");
	assert_int_equal(cJSON_GetArraySize(at(body, "properties.disks")), 1);
	assert_json_string(body, "properties.machineType", "n1-standard-8");
	assert_int_equal(cJSON_GetArraySize(at(body, "properties.metadata.items")), 2);
	assert_json_string(body, "properties.metadata.items.0.key", "startup-script");
	assert_json_string(body, "properties.metadata.items.0.value", "echo a:b");
	assert_json_string(body, "properties.metadata.items.1.key", "k2");
	assert_json_string(body, "properties.metadata.items.1.value", "");
	assert_json_string(body, "properties.networkInterfaces.0.network",
			   CANON "/global/networks/net1");
	assert_int_equal(
		cJSON_GetArraySize(at(body, "properties.networkInterfaces.0.accessConfigs")), 1);
	assert_json_string(body, "properties.networkInterfaces.0.accessConfigs.0.type",
			   "ONE_TO_ONE_NAT");
	assert_int_equal(cJSON_GetArraySize(at(body, "properties.serviceAccounts")), 2);
	assert_json_string(body, "properties.serviceAccounts.0.email",
			   "bot@example-project.iam.gserviceaccount.com");
	assert_json_string(body, "properties.serviceAccounts.0.scopes.1",
			   "https://www.googleapis.com/auth/userinfo.email");
	assert_true(cJSON_IsArray(at(body, "properties.serviceAccounts.1.scopes")));
	assert_int_equal(cJSON_GetArraySize(at(body, "properties.serviceAccounts.1.scopes")), 0);
	assert_json_string(body, "properties.tags.items.0", "swarming");
	assert_json_string(body, "properties.tags.items.1", "ci");
	cJSON_Delete(body);
	gceb_http_request_free(req);
}

static void template_insert_minimal_body_is_stable(void **state)
{
	Gceb__State__Revision r = GCEB__STATE__REVISION__INIT;
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	r.project = (char *)"google.com:p";
	r.image_name = (char *)"img";
	r.machine_type = (char *)"custom-4-5120";
	assert_int_equal(gceb_gce_template_insert("https://compute.googleapis.com", "b", REV, &r,
						  &req, &err),
			 0);
	assert_string_equal(req->url, "https://compute.googleapis.com/compute/v1/projects/"
				      "google.com:p/global/instanceTemplates");
	/* Image and default network in the project; no accessConfigs; empty lists as []. */
	assert_string_equal(
		req->body,
		"{\"name\":\"b-" REV "\",\"properties\":{\"disks\":[{\"autoDelete\":true,"
		"\"boot\":true,\"initializeParams\":{\"diskSizeGb\":\"0\",\"sourceImage\":"
		"\"https://www.googleapis.com/compute/v1/projects/google.com:p/global/images/img\"}}],"
		"\"machineType\":\"custom-4-5120\",\"metadata\":{\"items\":[]},"
		"\"networkInterfaces\":[{\"network\":\"https://www.googleapis.com/compute/v1/projects/"
		"google.com:p/global/networks/default\"}],\"serviceAccounts\":[],"
		"\"tags\":{\"items\":[]}}}");
	gceb_http_request_free(req);
}

/* CMP-2: a partial network URL, as Compute takes it, goes out as given. */
static void template_insert_sends_partial_network_urls(void **state)
{
	static const char *const partial[] = { "global/networks/net2",
					       "projects/other-project/global/networks/net2",
					       ("https://www.googleapis.com/compute/v1/projects/x/"
						"global/networks/n") };
	Gceb__State__Revision *r = revision();
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	cJSON *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		r->network_url = (char *)partial[i];
		assert_int_equal(gceb_gce_template_insert(ROOT, "pool", REV, r, &req, &err), 0);
		body = parse_body(req);
		assert_json_string(body, "properties.networkInterfaces.0.network", partial[i]);
		cJSON_Delete(body);
		gceb_http_request_free(req);
		req = NULL;
	}
	r->network_url = (char *)"global/networks/Bad";
	assert_int_equal(gceb_gce_template_insert(ROOT, "pool", REV, r, &req, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "partial network URL"));
	assert_null(req);
}

static void template_insert_expands_a_network_name(void **state)
{
	Gceb__State__Revision *r = revision();
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	cJSON *body;

	(void)state;
	r->network_url = (char *)"net2";
	r->image_project = (char *)"";
	r->auto_assign_external_ip = false;
	assert_int_equal(gceb_gce_template_insert(ROOT, "pool", REV, r, &req, &err), 0);
	body = parse_body(req);
	assert_json_string(body, "properties.networkInterfaces.0.network",
			   CANON "/global/networks/net2");
	assert_null(at(body, "properties.networkInterfaces.0.accessConfigs"));
	assert_json_string(body, "properties.disks.0.initializeParams.sourceImage",
			   CANON "/global/images/ubuntu-1404");
	cJSON_Delete(body);
	gceb_http_request_free(req);
}

static void template_insert_fails(Gceb__State__Revision *r, const char *base, const char *rev,
				  const char *needle)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_gce_template_insert(ROOT, base, rev, r, &req, &err), GCEB_EPARSE);
	assert_null(req);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void template_insert_refuses_bad_names(void **state)
{
	Gceb__State__Revision *r;

	(void)state;
	template_insert_fails(revision(), "pool", "0123", "40 hex");
	template_insert_fails(revision(), "pool", "0123ABCD89EF0123ABCD89EF0123ABCD89EF0123",
			      "40 hex");
	template_insert_fails(revision(), "a-base-name-of-23-chars", REV, "not a valid GCE name");
	template_insert_fails(revision(), "Pool", REV, "not a valid GCE name");
	template_insert_fails(revision(), NULL, REV, "not a valid GCE name");
	r = revision();
	r->project = (char *)"Example_Project";
	template_insert_fails(r, "pool", REV, "project 'Example_Project'");
	r = revision();
	r->project = (char *)"p/../../x";
	template_insert_fails(r, "pool", REV, "project");
	r = revision();
	r->project = NULL;
	template_insert_fails(r, "pool", REV, "project ''");
	r = revision();
	r->image_name = (char *)"";
	template_insert_fails(r, "pool", REV, "image_name");
	r = revision();
	r->image_project = (char *)"images/x";
	template_insert_fails(r, "pool", REV, "image_project");
	r = revision();
	r->machine_type = (char *)"n1 standard";
	template_insert_fails(r, "pool", REV, "machine_type");
	r = revision();
	r->network_url = (char *)"http://example.com/net";
	template_insert_fails(r, "pool", REV, "network_url");
	/* "https://" and no URL after it (url.h), or user info before the host. */
	r = revision();
	r->network_url = (char *)"https://";
	template_insert_fails(r, "pool", REV, "network_url");
	r = revision();
	r->network_url = (char *)"https://user@www.googleapis.com/compute/v1/projects/p/global/"
				 "networks/n";
	template_insert_fails(r, "pool", REV, "network_url");
	r = revision();
	r->disk_size_gb = -1;
	template_insert_fails(r, "pool", REV, "negative");
}

static void template_get_url(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_template_get(ROOT, PROJECT, GROUP, &req, &err), 0);
	/* docs/design/http.md: a call built from a project path keeps the engine's 30 s. */
	assert_int_equal(req->timeout_ms, 0);
	assert_string_equal(req->method, "GET");
	assert_null(req->body);
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/global/"
					   "instanceTemplates/" GROUP);
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_template_get(ROOT, PROJECT, "../x", &req, &err), GCEB_EPARSE);
	assert_null(req);
}

static void igm_insert_builds_behaviour_4_4_body(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	const char *tmpl = CANON "/global/instanceTemplates/" GROUP;

	(void)state;
	assert_int_equal(gceb_gce_igm_insert(ROOT, PROJECT, ZONE, "pool", REV, tmpl, &req, &err),
			 0);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/zones/"
					   "us-central1-b/instanceGroupManagers");
	/* docs/design/departures.md: B-<C[0:8]>-<zone>; the template URL is sent as stored. */
	assert_string_equal(req->body,
			    "{\"baseInstanceName\":\"pool-0123abcd-us-central1-b\","
			    "\"instanceTemplate\":\"" CANON "/global/instanceTemplates/" GROUP "\","
			    "\"name\":\"" GROUP "\",\"targetSize\":0}");
	gceb_http_request_free(req);
}

static void igm_insert_refuses_bad_input(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	const char *tmpl = CANON "/global/instanceTemplates/" GROUP;

	(void)state;
	/* 22 + 1 + 8 + 1 + 27 = 59 characters: longer than a base instance name may be. */
	assert_int_equal(gceb_gce_igm_insert(ROOT, PROJECT, "northamerica-northeast1-abc",
					     "a-base-name-of-22-char", REV, tmpl, &req, &err),
			 GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "base instance name"));
	assert_int_equal(
		gceb_gce_igm_insert(ROOT, PROJECT, "us central1", "pool", REV, tmpl, &req, &err),
		GCEB_EPARSE);
	assert_int_equal(gceb_gce_igm_insert(ROOT, PROJECT, ZONE, "pool", REV,
					     "https://evil.example.com/compute/v1/projects/p/t",
					     &req, &err),
			 GCEB_EAUTH);
	assert_int_equal(gceb_gce_igm_insert(ROOT, PROJECT, ZONE, "pool", REV, NULL, &req, &err),
			 GCEB_EPARSE);
	assert_int_equal(gceb_gce_igm_insert(ROOT, "", ZONE, "pool", REV, tmpl, &req, &err),
			 GCEB_EPARSE);
	assert_null(req);
}

static void igm_get_url(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_igm_get(ROOT, PROJECT, ZONE, GROUP, &req, &err), 0);
	assert_string_equal(req->method, "GET");
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/zones/"
					   "us-central1-b/instanceGroupManagers/" GROUP);
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_igm_get(ROOT, PROJECT, ZONE, NULL, &req, &err), GCEB_EPARSE);
	assert_int_equal(gceb_gce_igm_get(ROOT, PROJECT, "", GROUP, &req, &err), GCEB_EPARSE);
	assert_null(req);
}

static void list_instances_urls(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_list_instances(ROOT, PROJECT, ZONE, GROUP, NULL, &req, &err), 0);
	assert_string_equal(req->method, "POST");
	assert_null(req->body);
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/zones/"
					   "us-central1-b/instanceGroups/" GROUP
					   "/listInstances?maxResults=500");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(
		gceb_gce_list_instances(ROOT, PROJECT, ZONE, GROUP, "Cj4K/+= &x~", &req, &err), 0);
	assert_string_equal(req->url,
			    ROOT "compute/v1/projects/example-project/zones/"
				 "us-central1-b/instanceGroups/" GROUP
				 "/listInstances?maxResults=500&pageToken=Cj4K%2F%2B%3D%20%26x~");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_list_instances(ROOT, PROJECT, ZONE, GROUP, "", &req, &err), 0);
	assert_null(strstr(req->url, "pageToken"));
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_list_instances(ROOT, PROJECT, ZONE, "a/b", NULL, &req, &err),
			 GCEB_EPARSE);
	assert_null(req);
}

static void delete_instances_body(void **state)
{
	const char *urls[] = { INSTANCE_URL, ROOT "compute/v1/projects/example-project/zones/"
						  "us-central1-b/instances/pool-0123abcd-x" };
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_delete_instances(ROOT, PROJECT, ZONE, GROUP, urls, 2, &req, &err),
			 0);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url,
			    ROOT "compute/v1/projects/example-project/zones/"
				 "us-central1-b/instanceGroupManagers/" GROUP "/deleteInstances");
	assert_string_equal(req->body, "{\"instances\":[\"" INSTANCE_URL "\",\"" ROOT
				       "compute/v1/projects/example-project/zones/us-central1-b/"
				       "instances/pool-0123abcd-x\"]}");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_delete_instances(ROOT, PROJECT, ZONE, GROUP, urls, 0, &req, &err),
			 GCEB_EPARSE);
	urls[1] = "https://evil.example.com/compute/v1/projects/p/zones/z/instances/i";
	assert_int_equal(gceb_gce_delete_instances(ROOT, PROJECT, ZONE, GROUP, urls, 2, &req, &err),
			 GCEB_EAUTH);
	assert_null(req);
}

static void resize_url(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_resize(ROOT, PROJECT, ZONE, GROUP, 103, &req, &err), 0);
	assert_string_equal(req->method, "POST");
	assert_null(req->body);
	assert_string_equal(req->url,
			    ROOT "compute/v1/projects/example-project/zones/"
				 "us-central1-b/instanceGroupManagers/" GROUP "/resize?size=103");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_resize(ROOT, PROJECT, ZONE, GROUP, -1, &req, &err), GCEB_EPARSE);
	assert_int_equal(gceb_gce_resize(ROOT, PROJECT, ZONE, GROUP, (int64_t)1 << 40, &req, &err),
			 GCEB_EPARSE);
	assert_null(req);
}

static void set_metadata_body(void **state)
{
	struct gceb_gce_item items[] = { ITEM("k", "v"), ITEM("startup-script", "echo \"hi\"\n"),
					 ITEM("novalue", NULL) };
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_set_metadata(ROOT, PROJECT, ZONE,
					       "pool-0123abcd-us-central1-b-x9k2",
					       "-goaeN2SGek=", items, 3, &req, &err),
			 0);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, ROOT "compute/v1/projects/example-project/zones/"
					   "us-central1-b/instances/"
					   "pool-0123abcd-us-central1-b-x9k2/setMetadata");
	assert_string_equal(
		req->body, "{\"kind\":\"compute#metadata\",\"fingerprint\":\"-goaeN2SGek=\","
			   "\"items\":[{\"key\":\"k\",\"value\":\"v\"},{\"key\":\"startup-script\","
			   "\"value\":\"echo \\\"hi\\\"\\n\"},{\"key\":\"novalue\"}]}");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_set_metadata(ROOT, PROJECT, ZONE, "x", "fp", NULL, 0, &req, &err),
			 0);
	assert_non_null(strstr(req->body, "\"items\":[]"));
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_set_metadata(ROOT, PROJECT, ZONE, "x", NULL, NULL, 0, &req, &err),
			 GCEB_EPARSE);
	assert_int_equal(gceb_gce_set_metadata(ROOT, PROJECT, ZONE, "X", "fp", NULL, 0, &req, &err),
			 GCEB_EPARSE);
	assert_null(req);
}

static void stored_url_requests_are_resolved(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_get_stored(ROOT, INSTANCE_URL, &req, &err), 0);
	assert_string_equal(req->method, "GET");
	assert_null(req->body);
	/* docs/design/http.md: 10 s per attempt on a stored URL. */
	assert_int_equal(req->timeout_ms, 10000);
	assert_string_equal(req->url,
			    ROOT "compute/v1/projects/example-project/zones/"
				 "us-central1-b/instances/pool-0123abcd-us-central1-b-x9k2");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(
		gceb_gce_delete_stored(ROOT, CANON "/global/instanceTemplates/t", &req, &err), 0);
	assert_string_equal(req->method, "DELETE");
	assert_int_equal(req->timeout_ms, 10000);
	assert_string_equal(req->url,
			    ROOT "compute/v1/projects/example-project/global/instanceTemplates/t");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_gce_get_stored(ROOT,
					     "https://metadata.google.internal/compute/v1/"
					     "projects/p",
					     &req, &err),
			 GCEB_EAUTH);
	assert_int_equal(gceb_gce_delete_stored(ROOT, CANON "/../x", &req, &err), GCEB_EPARSE);
	assert_null(req);
}

/* ---- mappers ---- */

static int parse_fixture_operation(const char *name, struct gceb_gce_operation *op)
{
	struct gceb_err err = { 0 };
	size_t len;
	char *text = gceb_test_fixture("gce", name, &len);
	int r = gceb_gce_parse_operation(text, len, op, &err);

	free(text);
	return r;
}

static void operation_pending(void **state)
{
	struct gceb_gce_operation op = { 0 };

	(void)state;
	assert_int_equal(parse_fixture_operation("operation_pending.json", &op), 0);
	assert_string_equal(op.status, "PENDING");
	assert_false(op.done);
	assert_false(op.has_error);
	assert_string_equal(op.name, "operation-1496851234567-55160d4a8fb7d-0a1b2c3d-4e5f6a7b");
	assert_string_equal(op.self_link, CANON "/zones/us-central1-b/operations/"
						"operation-1496851234567-55160d4a8fb7d-0a1b2c3d-"
						"4e5f6a7b");
	assert_string_equal(op.target_link, INSTANCE_URL);
	assert_null(op.error_code);
	assert_int_equal(op.http_error_status, 0);
	gceb_gce_operation_release(&op);
}

static void operation_done(void **state)
{
	struct gceb_gce_operation op = { 0 };

	(void)state;
	assert_int_equal(parse_fixture_operation("operation_done.json", &op), 0);
	assert_true(op.done);
	assert_false(op.has_error);
	assert_string_equal(op.target_link, CANON "/global/instanceTemplates/" GROUP);
	gceb_gce_operation_release(&op);
	gceb_gce_operation_release(&op); /* released twice is harmless */
	gceb_gce_operation_release(NULL);
}

static void operation_done_with_error(void **state)
{
	struct gceb_gce_operation op = { 0 };

	(void)state;
	assert_int_equal(parse_fixture_operation("operation_done_error.json", &op), 0);
	assert_true(op.done);
	assert_true(op.has_error);
	assert_string_equal(op.error_code, "RESOURCE_NOT_FOUND");
	assert_non_null(strstr(op.error_message, "was not found"));
	assert_int_equal(op.http_error_status, 404);
	gceb_gce_operation_release(&op);
}

static int parse_operation_text(const char *text, struct gceb_err *err)
{
	struct gceb_gce_operation op = { 0 };
	int r = gceb_gce_parse_operation(text, strlen(text), &op, err);

	if (r == 0)
		gceb_gce_operation_release(&op);
	else
		assert_null(op.status);
	return r;
}

static void expect_operation_error(const char *text, const char *needle)
{
	struct gceb_err err = { 0 };

	assert_int_equal(parse_operation_text(text, &err), GCEB_EPARSE);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void operation_empty_error_list_is_success(void **state)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err err = { 0 };
	const char *text =
		"{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": {\"errors\": []}}";

	(void)state;
	assert_int_equal(gceb_gce_parse_operation(text, strlen(text), &op, &err), 0);
	assert_true(op.done);
	assert_false(op.has_error);
	assert_null(op.target_link);
	assert_null(op.name);
	gceb_gce_operation_release(&op);
	text = "{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": {}, \"targetLink\": null}";
	assert_int_equal(parse_operation_text(text, &err), 0);
}

static void operation_rejects_bad_input(void **state)
{
	const char *glued = "{\"status\":\"DONE\",\"selfLink\":\"s\"}garbage";
	struct gceb_gce_operation op = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "truncated.json", &len);
	assert_int_equal(gceb_gce_parse_operation(text, len, &op, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "not JSON"));
	free(text);
	text = gceb_test_fixture("gce", "error_html_502.html", &len);
	assert_int_equal(gceb_gce_parse_operation(text, len, &op, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "HTML"));
	free(text);
	assert_int_equal(gceb_gce_parse_operation(NULL, 0, &op, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "empty"));
	/* Not NUL-terminated: the length is what counts. */
	assert_int_equal(gceb_gce_parse_operation(glued, (size_t)(strstr(glued, "garbage") - glued),
						  &op, &err),
			 0);
	gceb_gce_operation_release(&op);
	expect_operation_error("{\"status\":\"DONE\",\"selfLink\":\"s\"} x", "one JSON object");
	expect_operation_error("[]", "one JSON object");
	expect_operation_error("\"DONE\"", "one JSON object");
	expect_operation_error("{\"selfLink\": \"s\"}", "'status' is missing");
	expect_operation_error("{\"status\": 3, \"selfLink\": \"s\"}", "'status' is not a string");
	expect_operation_error("{\"status\": \"DONE\"}", "'selfLink' is missing");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": []}",
			       "'selfLink' is not a string");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"name\": 1}",
			       "'name'");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"targetLink\": {}}",
			       "'targetLink'");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": \"bad\"}",
			       "'error' is not an object");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": "
			       "{\"errors\": {}}}",
			       "'error.errors' is not an array");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": "
			       "{\"errors\": [\"x\"]}}",
			       "'error.errors[0]' is not an object");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", \"error\": "
			       "{\"errors\": [{\"code\": 404}]}}",
			       "'error.errors[0].code' is not a string");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", "
			       "\"httpErrorStatusCode\": \"NOT FOUND\"}",
			       "'httpErrorStatusCode' is not an integer");
	expect_operation_error("{\"status\": \"DONE\", \"selfLink\": \"s\", "
			       "\"httpErrorStatusCode\": 404.5}",
			       "'httpErrorStatusCode' is not an integer");
}

static void self_link_of_a_template(void **state)
{
	const char *no_self = "{\"name\": \"t\"}", *bad_self = "{\"selfLink\": 7}";
	struct gceb_err err = { 0 };
	char *self = NULL;
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "template_get.json", &len);
	assert_int_equal(gceb_gce_parse_self_link(text, len, &self, &err), 0);
	assert_string_equal(self, CANON "/global/instanceTemplates/" GROUP);
	free(self);
	free(text);
	self = NULL;
	assert_int_equal(gceb_gce_parse_self_link(no_self, strlen(no_self), &self, &err),
			 GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "'selfLink' is missing"));
	assert_int_equal(gceb_gce_parse_self_link(bad_self, strlen(bad_self), &self, &err),
			 GCEB_EPARSE);
	text = gceb_test_fixture("gce", "error_html_502.html", &len);
	assert_int_equal(gceb_gce_parse_self_link(text, len, &self, &err), GCEB_EPARSE);
	free(text);
	text = gceb_test_fixture("gce", "truncated.json", &len);
	assert_int_equal(gceb_gce_parse_self_link(text, len, &self, &err), GCEB_EPARSE);
	free(text);
	assert_null(self);
}

static int parse_igm_text(const char *text, struct gceb_gce_igm *igm, struct gceb_err *err)
{
	return gceb_gce_parse_igm(text, strlen(text), igm, err);
}

static void igm_with_and_without_current_actions(void **state)
{
	struct gceb_gce_igm igm = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "igm_get.json", &len);
	assert_int_equal(gceb_gce_parse_igm(text, len, &igm, &err), 0);
	free(text);
	assert_string_equal(igm.name, GROUP);
	assert_int_equal(igm.target_size, 3);
	assert_true(igm.has_none);
	assert_int_equal(igm.none, 2);
	gceb_gce_igm_release(&igm);

	text = gceb_test_fixture("gce", "igm_get_no_current_actions.json", &len);
	assert_int_equal(gceb_gce_parse_igm(text, len, &igm, &err), 0);
	free(text);
	assert_int_equal(igm.target_size, 0);
	assert_false(igm.has_none);
	gceb_gce_igm_release(&igm);

	/* currentActions present without "none" is still "absent"; ints as strings. */
	assert_int_equal(parse_igm_text("{\"name\": \"m\", \"currentActions\": {\"creating\": 1}}",
					&igm, &err),
			 0);
	assert_false(igm.has_none);
	gceb_gce_igm_release(&igm);
	assert_int_equal(parse_igm_text("{\"name\": \"m\", \"targetSize\": \"7\", "
					"\"currentActions\": {\"none\": \"0\"}}",
					&igm, &err),
			 0);
	assert_true(igm.has_none);
	assert_int_equal(igm.none, 0);
	assert_int_equal(igm.target_size, 7);
	gceb_gce_igm_release(&igm);
}

static void expect_igm_error(const char *text, const char *needle)
{
	struct gceb_gce_igm igm = { 0 };
	struct gceb_err err = { 0 };

	assert_int_equal(parse_igm_text(text, &igm, &err), GCEB_EPARSE);
	assert_null(igm.name);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void igm_rejects_bad_input(void **state)
{
	(void)state;
	expect_igm_error("{\"targetSize\": 3}", "'name' is missing");
	expect_igm_error("{\"name\": 3}", "'name' is not a string");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": \"three\"}", "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": true}", "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": \"3 \"}", "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": \" 3\"}", "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": \"99999999999999999999\"}",
			 "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": 1e300}", "'targetSize'");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": -1}", "negative");
	expect_igm_error("{\"name\": \"m\", \"currentActions\": []}",
			 "'currentActions' is not an object");
	expect_igm_error("{\"name\": \"m\", \"currentActions\": {\"none\": \"two\"}}",
			 "'currentActions.none' is not an integer");
	expect_igm_error("{\"name\": \"m\", \"currentActions\": {\"none\": 1.5}}",
			 "'currentActions.none'");
	expect_igm_error("<html><body>502</body></html>", "HTML");
	expect_igm_error("{\"name\": \"m\", \"targetSize\": 3", "not JSON");
}

static void instance_pages(void **state)
{
	struct gceb_gce_instance_page page = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "list_instances_page1.json", &len);
	assert_int_equal(gceb_gce_parse_instance_page(text, len, &page, &err), 0);
	free(text);
	assert_int_equal(page.n_urls, 2);
	assert_string_equal(page.urls[0], INSTANCE_URL);
	assert_string_equal(gceb_gce_url_name(page.urls[1]), "pool-0123abcd-us-central1-b-7q0m");
	assert_string_equal(page.next_page_token,
			    "Cj4KPGh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL2NvbXB1dGUvdjE/+=");
	gceb_gce_instance_page_release(&page);

	text = gceb_test_fixture("gce", "list_instances_last.json", &len);
	assert_int_equal(gceb_gce_parse_instance_page(text, len, &page, &err), 0);
	free(text);
	assert_int_equal(page.n_urls, 1);
	assert_string_equal(page.urls[0], "http://127.0.0.1:40123/compute/v1/projects/"
					  "example-project/zones/us-central1-b/instances/"
					  "pool-0123abcd-us-central1-b-ab12");
	assert_null(page.next_page_token);
	gceb_gce_instance_page_release(&page);

	text = gceb_test_fixture("gce", "list_instances_empty.json", &len);
	assert_int_equal(gceb_gce_parse_instance_page(text, len, &page, &err), 0);
	free(text);
	assert_int_equal(page.n_urls, 0);
	assert_null(page.next_page_token);
	gceb_gce_instance_page_release(&page);

	/* docs/design/departures.md: a later page without items is empty, not a crash. */
	text = gceb_test_fixture("gce", "list_instances_page_no_items.json", &len);
	assert_int_equal(gceb_gce_parse_instance_page(text, len, &page, &err), 0);
	free(text);
	assert_int_equal(page.n_urls, 0);
	assert_string_equal(page.next_page_token,
			    "CkAKPmh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL3BhZ2Uy");
	gceb_gce_instance_page_release(&page);

	text = strdup("{\"items\": [], \"nextPageToken\": \"\"}");
	assert_int_equal(gceb_gce_parse_instance_page(text, strlen(text), &page, &err), 0);
	free(text);
	assert_null(page.next_page_token);
	gceb_gce_instance_page_release(&page);
}

static void expect_page_error(const char *text, const char *needle)
{
	struct gceb_gce_instance_page page = { 0 };
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_gce_parse_instance_page(text, strlen(text), &page, &err),
			 GCEB_EPARSE);
	assert_null(page.urls);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void instance_page_rejects_bad_input(void **state)
{
	struct gceb_buf big = GCEB_BUF_INIT;
	size_t i;

	(void)state;
	expect_page_error("{\"items\": {}}", "'items' is not an array");
	expect_page_error("{\"items\": [\"u\"]}", "'items[0]' is not an object");
	expect_page_error("{\"items\": [{\"instance\": \"" INSTANCE_URL
			  "\"}, {\"status\": \"X\"}]}",
			  "'items[1].instance' is missing");
	expect_page_error("{\"items\": [{\"instance\": 5}]}",
			  "'items[0].instance' is not a string");
	expect_page_error("{\"items\": [{\"instance\": \"" CANON "/zones/z/instances/A b\"}]}",
			  "valid instance name");
	expect_page_error("{\"items\": [{\"instance\": \"" CANON "/zones/z/instances/\"}]}",
			  "valid instance name");
	expect_page_error("{\"nextPageToken\": 12}", "'nextPageToken' is not a string");
	expect_page_error("<!DOCTYPE html><html></html>", "HTML");
	expect_page_error("{\"items\": [{\"instance\": \"", "not JSON");

	gceb_buf_adds(&big, "{\"items\": [");
	for (i = 0; i <= GCEB_GCE_LIST_MAX_ITEMS; i++)
		gceb_buf_addf(&big, "%s{\"instance\": \"%s/zones/z/instances/i%zu\"}", i ? "," : "",
			      CANON, i);
	gceb_buf_adds(&big, "]}");
	assert_false(big.oom);
	expect_page_error(big.p, "more than 1000 items");
	gceb_buf_release(&big);
}

static void instance_metadata(void **state)
{
	struct gceb_gce_metadata md = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "instance_get.json", &len);
	assert_int_equal(gceb_gce_parse_instance_metadata(text, len, &md, &err), 0);
	free(text);
	assert_string_equal(md.fingerprint, "-goaeN2SGek=");
	assert_int_equal(md.n_items, 4);
	assert_string_equal(md.items[0].key, "instance-template");
	assert_string_equal(md.items[2].key, "startup-script");
	assert_string_equal(md.items[2].value, "#!/bin/sh\necho \"hello\"\n");
	assert_string_equal(md.items[3].key, "empty");
	assert_string_equal(md.items[3].value, "");
	gceb_gce_metadata_release(&md);

	/* docs/design/departures.md: an instance without metadata items has an empty list. */
	text = gceb_test_fixture("gce", "instance_get_no_items.json", &len);
	assert_int_equal(gceb_gce_parse_instance_metadata(text, len, &md, &err), 0);
	free(text);
	assert_string_equal(md.fingerprint, "4k3mMiwQCnU=");
	assert_int_equal(md.n_items, 0);
	gceb_gce_metadata_release(&md);
}

static void expect_metadata_error(const char *text, const char *needle)
{
	struct gceb_gce_metadata md = { 0 };
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_gce_parse_instance_metadata(text, strlen(text), &md, &err),
			 GCEB_EPARSE);
	assert_null(md.fingerprint);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void instance_metadata_rejects_bad_input(void **state)
{
	(void)state;
	expect_metadata_error("{\"name\": \"i\"}", "'metadata' is missing");
	expect_metadata_error("{\"metadata\": \"fp\"}", "'metadata' is not an object");
	expect_metadata_error("{\"metadata\": {\"items\": []}}",
			      "'metadata.fingerprint' is missing");
	expect_metadata_error("{\"metadata\": {\"fingerprint\": 1}}",
			      "'metadata.fingerprint' is not a string");
	expect_metadata_error("{\"metadata\": {\"fingerprint\": \"f\", \"items\": {}}}",
			      "'metadata.items' is not an array");
	expect_metadata_error("{\"metadata\": {\"fingerprint\": \"f\", \"items\": [1]}}",
			      "'metadata.items[0]' is not an object");
	expect_metadata_error("{\"metadata\": {\"fingerprint\": \"f\", \"items\": [{\"value\": "
			      "\"v\"}]}}",
			      "'metadata.items[0].key' is missing");
	expect_metadata_error(
		"{\"metadata\": {\"fingerprint\": \"f\", \"items\": [{\"key\": \"k\", "
		"\"value\": 2}]}}",
		"'metadata.items[0].value' is not a string");
	expect_metadata_error("<html>", "HTML");
	expect_metadata_error("{\"metadata\": {\"fingerprint\": \"f\", \"items\": [{\"key\":",
			      "not JSON");
}

/* ---- requestId ---- */

static struct gceb_http_request *post(const char *url, const char *body)
{
	struct gceb_http_request *req = gceb_http_request_new("POST", GCEB_API_COMPUTE, url, body);

	assert_non_null(req);
	return req;
}

static bool is_v5_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != GCEB_GCE_UUID_LEN || s[14] != '5' || !strchr("89ab", s[19]))
		return false;
	for (i = 0; i < GCEB_GCE_UUID_LEN; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
							      !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* CMP-RID: the id is a function of method, path (not root), salt and body; nothing else. */
static void request_id_is_deterministic(void **state)
{
	struct gceb_http_request *a = post(ROOT "compute/v1/projects/p/zones/z/x?size=1", "{}");
	struct gceb_http_request *b =
		post("https://compute.googleapis.com/compute/v1/projects/p/zones/z/x?size=1", "{}");
	struct gceb_http_request *c = post(ROOT "compute/v1/projects/p/zones/z/x?size=2", "{}");
	struct gceb_http_request *d = post(ROOT "compute/v1/projects/p/zones/z/x?size=1", "{ }");
	struct gceb_err err = { 0 };
	char ia[GCEB_GCE_UUID_LEN + 1], ib[GCEB_GCE_UUID_LEN + 1], ic[GCEB_GCE_UUID_LEN + 1],
		id[GCEB_GCE_UUID_LEN + 1], is[GCEB_GCE_UUID_LEN + 1], in[GCEB_GCE_UUID_LEN + 1];

	(void)state;
	assert_int_equal(gceb_gce_request_id(a, "n/0", ia, &err), 0);
	assert_int_equal(gceb_gce_request_id(b, "n/0", ib, &err), 0);
	assert_int_equal(gceb_gce_request_id(c, "n/0", ic, &err), 0);
	assert_int_equal(gceb_gce_request_id(d, "n/0", id, &err), 0);
	assert_int_equal(gceb_gce_request_id(a, "n/1", is, &err), 0);
	assert_int_equal(gceb_gce_request_id(a, NULL, in, &err), 0);
	assert_true(is_v5_uuid(ia));
	assert_string_equal(ia, ib);     /* another root: the same request */
	assert_string_not_equal(ia, ic); /* another size */
	assert_string_not_equal(ia, id); /* another body */
	assert_string_not_equal(ia, is); /* another generation */
	assert_string_not_equal(ia, in);
	/* Python: uuid5(UUID("c347eaa0-..."), "POST compute/v1/projects/p/zones/z/x?size=2\n\n{}").
	 */
	assert_int_equal(gceb_gce_request_id(c, "", ic, &err), 0);
	assert_string_equal(ic, "29824c43-90a5-5d47-ba83-708a98231f36");
	gceb_http_request_free(a);
	gceb_http_request_free(b);
	gceb_http_request_free(c);
	gceb_http_request_free(d);
}

static void request_id_is_added_to_the_query(void **state)
{
	struct gceb_http_request *a = post(ROOT "compute/v1/projects/p/global/t", NULL);
	struct gceb_http_request *b = post(ROOT "compute/v1/projects/p/zones/z/x?size=1", NULL);
	struct gceb_err err = { 0 };
	char want[GCEB_GCE_UUID_LEN + 1];
	const char *q;

	(void)state;
	assert_int_equal(gceb_gce_request_id(a, "s", want, &err), 0);
	assert_int_equal(gceb_gce_add_request_id(a, "s", &err), 0);
	q = strstr(a->url, "?requestId=");
	assert_non_null(q);
	assert_string_equal(q + strlen("?requestId="), want);
	assert_int_equal(gceb_gce_request_id(b, "s", want, &err), 0);
	assert_int_equal(gceb_gce_add_request_id(b, "s", &err), 0);
	q = strstr(b->url, "?size=1&requestId=");
	assert_non_null(q);
	assert_string_equal(q + strlen("?size=1&requestId="), want);
	gceb_http_request_free(a);
	gceb_http_request_free(b);
}

static void nonces_are_random_hex(void **state)
{
	char a[GCEB_GCE_NONCE_LEN + 1], b[GCEB_GCE_NONCE_LEN + 1];
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_gce_new_nonce(a, &err), 0);
	assert_int_equal(gceb_gce_new_nonce(b, &err), 0);
	assert_int_equal(strlen(a), GCEB_GCE_NONCE_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), GCEB_GCE_NONCE_LEN);
	assert_string_not_equal(a, b);
}

/* ---- listing URLs ---- */

/* CMP-3: a member URL from a listing is an instance of the group's project and zone. */
static void instance_url_check(void **state)
{
	static const char *const bad[] = {
		("https://evil.example/compute/v1/projects/example-project/zones/us-central1-b/"
		 "instances/vm-1"),
		CANON "/zones/us-central1-b/instances/../instances/vm-1",
		CANON "/zones/us-central1-a/instances/vm-1",
		("https://www.googleapis.com/compute/v1/projects/other/zones/us-central1-b/"
		 "instances/vm-1"),
		CANON "/zones/us-central1-b/instanceGroups/vm-1",
		CANON "/zones/us-central1-b/instances/vm-1/x",
		CANON "/zones/us-central1-b/instances/VM",
	};
	struct gceb_err err = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(gceb_gce_check_instance_url(ROOT, PROJECT, ZONE, INSTANCE_URL, &err), 0);
	assert_int_equal(gceb_gce_check_instance_url("http://127.0.0.1:40123", PROJECT, ZONE,
						     ROOT "compute/v1/projects/" PROJECT
							  "/zones/" ZONE "/instances/vm-1",
						     &err),
			 0);
	assert_int_equal(gceb_gce_check_instance_url(ROOT, PROJECT, ZONE, bad[0], &err),
			 GCEB_EAUTH);
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (gceb_gce_check_instance_url(ROOT, PROJECT, ZONE, bad[i], &err) != GCEB_EPARSE)
			fail_msg("'%s' was taken", bad[i]);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void error_envelopes(void **state)
{
	const char *bare = "{\"error\": {\"code\": 500}}";
	const char *inner = "{\"error\": {\"code\": \"503\", \"errors\": [{\"reason\": "
			    "\"backendError\", \"message\": \"Backend Error\"}]}}";
	static const struct {
		const char *file;
		int64_t code;
		const char *reason;
		const char *message;
	} cases[] = {
		{ "error_409_already_exists.json", 409, "alreadyExists", "already exists" },
		{ "error_404_not_found.json", 404, "notFound", "was not found" },
		{ "error_403_rate_limit.json", 403, "rateLimitExceeded", "Rate Limit Exceeded" },
		{ "error_400_in_use.json", 400, "resourceInUseByAnotherResource",
		  "is already being used by" },
	};
	struct gceb_api_error e = { 0 };
	struct gceb_err err = { 0 };
	size_t i, len;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = gceb_test_fixture("gce", cases[i].file, &len);
		assert_int_equal(gceb_api_error_parse(text, len, &e, &err), 0);
		free(text);
		assert_int_equal(e.code, cases[i].code);
		assert_string_equal(e.reason, cases[i].reason);
		assert_non_null(strstr(e.message, cases[i].message));
		gceb_api_error_release(&e);
	}
	/* No errors[]: no reason. */
	assert_int_equal(gceb_api_error_parse(bare, strlen(bare), &e, &err), 0);
	assert_int_equal(e.code, 500);
	assert_null(e.reason);
	assert_null(e.message);
	gceb_api_error_release(&e);
	/* The message of errors[0] stands in for a missing one; a code may be a string. */
	assert_int_equal(gceb_api_error_parse(inner, strlen(inner), &e, &err), 0);
	assert_int_equal(e.code, 503);
	assert_string_equal(e.reason, "backendError");
	assert_string_equal(e.message, "Backend Error");
	gceb_api_error_release(&e);
}

static void expect_envelope_error(const char *text, const char *needle)
{
	struct gceb_api_error e = { 0 };
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_api_error_parse(text, strlen(text), &e, &err), GCEB_EPARSE);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void error_envelope_rejects_bad_input(void **state)
{
	struct gceb_api_error e = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	text = gceb_test_fixture("gce", "error_html_502.html", &len);
	assert_int_equal(gceb_api_error_parse(text, len, &e, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "HTML"));
	free(text);
	expect_envelope_error("{}", "'error' is missing");
	expect_envelope_error("{\"error\": \"Not Found\"}", "'error' is not an object");
	expect_envelope_error("{\"error\": {\"message\": \"m\"}}", "'error.code' is missing");
	expect_envelope_error("{\"error\": {\"code\": \"conflict\"}}", "'error.code'");
	expect_envelope_error("{\"error\": {\"code\": 409, \"message\": []}}", "'error.message'");
	expect_envelope_error("{\"error\": {\"code\": 409, \"errors\": {}}}", "'error.errors'");
	expect_envelope_error("{\"error\": {\"code\": 409, \"errors\": [null]}}",
			      "'error.errors[0]' is not an object");
	expect_envelope_error("{\"error\": {\"code\": 409, \"errors\": [{\"reason\": 1}]}}",
			      "'error.errors[0].reason'");
	expect_envelope_error("{\"error\": {\"code\": 409, \"errors\": [{\"reason\": \"x\"",
			      "not JSON");
}

/* ---- resize rule ---- */

static bool resize(int64_t min, int64_t max, int64_t other, int64_t leased, int64_t idle,
		   int64_t target, int64_t *out)
{
	struct gceb_gce_resize_input in = {
		.minimum_size = min,
		.maximum_size = max,
		.other = other,
		.leased = leased,
		.idle = idle,
		.target_size = target,
	};

	*out = -1;
	return gceb_gce_resize_size(&in, out);
}

static void resize_worked_examples(void **state)
{
	int64_t n;

	(void)state;
	/* docs/design/instances.md (RSZ-3..7). */
	assert_true(resize(10, 10, 0, 0, 0, 0, &n));
	assert_int_equal(n, 10);
	assert_true(resize(1000, 1000, 0, 0, 3, 3, &n));
	assert_int_equal(n, 103);
	assert_false(resize(10, 10, 0, 0, 10, 10, &n));
	assert_int_equal(n, -1);
	assert_false(resize(1, 1, 0, 0, 2, 2, &n));
	assert_true(resize(7, 7, 3, 0, 0, 0, &n));
	assert_int_equal(n, 4);
}

static void resize_leased_headroom_in_double(void **state)
{
	static const int64_t cases[][2] = { { 1, 2 },   { 2, 3 },   { 10, 11 },
					    { 11, 13 }, { 50, 56 }, { 100, 111 } };
	size_t i;
	int64_t n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(resize(1, 1000, 0, cases[i][0], 200, 0, &n));
		assert_int_equal(n, cases[i][1]);
	}
	/* Other revisions' instances leave less room; none left means no call. */
	assert_true(resize(1, 100, 60, 50, 200, 0, &n));
	assert_int_equal(n, 40);
	assert_false(resize(1, 10, 12, 0, 0, 0, &n));
	/* idle < new < targetSize: a resize that lowers the target (docs/design/instances.md). */
	assert_true(resize(5, 10, 0, 0, 2, 8, &n));
	assert_int_equal(n, 5);
}

static void resize_unlimited_maximum(void **state)
{
	int64_t n;

	(void)state;
	/* docs/design/departures.md: unset maximum_size grows to max(minimum, ceil(1.1 x leased)).
	 */
	assert_true(resize(5, 0, 0, 0, 0, 0, &n));
	assert_int_equal(n, 5);
	assert_true(resize(1, 0, 0, 20, 10, 10, &n));
	assert_int_equal(n, 22);
	/* ... capped at idle + 100 per run ... */
	assert_true(resize(500, 0, 0, 0, 0, 0, &n));
	assert_int_equal(n, 100);
	/* ... and at 1000. */
	assert_true(resize(1, 0, 0, 2000, 950, 950, &n));
	assert_int_equal(n, 1000);
	assert_false(resize(1, 0, 0, 2000, 1000, 1000, &n));
	/* Other revisions do not shrink an unlimited group's room. */
	assert_true(resize(10, 0, 900, 0, 0, 0, &n));
	assert_int_equal(n, 10);
}

/* ---- metadata ---- */

static Gceb__State__MetadataItem update_items[8];
static Gceb__State__MetadataItem *update_ptrs[8];

/* An update from "k=v" and "k" (unset value) strings. */
static size_t make_update(const char *const *kv, size_t n)
{
	static char keys[8][32];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');

		update_items[i] = (Gceb__State__MetadataItem)GCEB__STATE__METADATA_ITEM__INIT;
		(void)snprintf(keys[i], sizeof(keys[i]), "%.*s",
			       (int)(eq ? (size_t)(eq - kv[i]) : strlen(kv[i])), kv[i]);
		update_items[i].key = keys[i];
		update_items[i].value = eq ? (char *)eq + 1 : NULL;
		update_ptrs[i] = &update_items[i];
	}
	return n;
}

static void expect_applied(const struct gceb_gce_item *cur, size_t n_cur, const char *const *upd,
			   size_t n_upd, const char *want)
{
	struct gceb_buf got = GCEB_BUF_INIT;
	struct gceb_gce_item *out = NULL;
	struct gceb_err err = { 0 };
	size_t n = 99, i;

	make_update(upd, n_upd);
	assert_int_equal(gceb_gce_metadata_apply(cur, n_cur, update_ptrs, n_upd, &out, &n, &err),
			 0);
	for (i = 0; i < n; i++)
		gceb_buf_addf(&got, "%s%s=%s", i ? "," : "", out[i].key, out[i].value);
	assert_string_equal(got.p ? got.p : "", want);
	gceb_buf_release(&got);
	gceb_gce_items_free(out, n);
}

static void metadata_apply_md_1(void **state)
{
	struct gceb_gce_item cur[] = { ITEM("a", "1"), ITEM("b", "2"), ITEM("c", "3") };
	const char *none[] = { NULL };
	const char *add[] = { "d=4" };
	const char *replace[] = { "b=two" };
	const char *remove[] = { "b" };
	const char *absent[] = { "zz" };
	const char *mixed[] = { "e=5", "a", "c=x", "e=6", "f", "c=y" };

	(void)state;
	expect_applied(NULL, 0, none, 0, "");
	expect_applied(cur, 3, none, 0, "a=1,b=2,c=3");
	expect_applied(cur, 3, add, 1, "a=1,b=2,c=3,d=4");
	expect_applied(cur, 3, replace, 1, "a=1,b=two,c=3");
	expect_applied(cur, 3, remove, 1, "a=1,c=3");
	/* docs/design/departures.md: deleting an absent key sends nothing. */
	expect_applied(cur, 3, absent, 1, "a=1,b=2,c=3");
	expect_applied(NULL, 0, absent, 1, "");
	/* The last item of a key wins, at the key's first place. */
	expect_applied(cur, 3, mixed, 6, "b=2,c=y,e=6");
}

static void metadata_checksum_vectors(void **state)
{
	const char *kv1[] = { "k3=v3", "k1=value", "k2=v2" };
	const char *kv2[] = { "b=x", "a" };
	const char *kv3[] = { "z", "caf\xc3\xa9=\xc3\xbc \"q\"\n" };
	const char *kv4[] = { "k1=old", "k3=v3", "k2=v2", "k1=value" };
	char sum[GCEB_SHA1_HEX_LEN + 1];

	(void)state;
	/* Expected values: Python json.dumps(map, sort_keys=True), then SHA-1. */
	assert_int_equal(gceb_gce_metadata_checksum(update_ptrs, make_update(kv1, 3), sum), 0);
	assert_string_equal(sum, "3d4d87c53e615983ea513f016262b3fb5a6a2ae0");
	assert_int_equal(gceb_gce_metadata_checksum(update_ptrs, make_update(kv4, 4), sum), 0);
	assert_string_equal(sum, "3d4d87c53e615983ea513f016262b3fb5a6a2ae0");
	assert_int_equal(gceb_gce_metadata_checksum(update_ptrs, make_update(kv2, 2), sum), 0);
	assert_string_equal(sum, "5087f2154377143fa54f2ef8f6f318c4248c9041");
	assert_int_equal(gceb_gce_metadata_checksum(update_ptrs, make_update(kv3, 2), sum), 0);
	assert_string_equal(sum, "0bb664eae20c8dbb58dad5abc095ff62ea655df2");
	assert_int_equal(gceb_gce_metadata_checksum(NULL, 0, sum), 0);
	assert_string_equal(sum, "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolve_maps_canonical_roots_to_configured_root),
		cmocka_unit_test(resolve_refuses_other_hosts),
		cmocka_unit_test(resolve_refuses_bad_paths),
		cmocka_unit_test(url_name_is_last_segment),
		cmocka_unit_test(template_insert_builds_behaviour_4_3_body),
		cmocka_unit_test(template_insert_minimal_body_is_stable),
		cmocka_unit_test(template_insert_expands_a_network_name),
		cmocka_unit_test(template_insert_sends_partial_network_urls),
		cmocka_unit_test(template_insert_refuses_bad_names),
		cmocka_unit_test(template_get_url),
		cmocka_unit_test(igm_insert_builds_behaviour_4_4_body),
		cmocka_unit_test(igm_insert_refuses_bad_input),
		cmocka_unit_test(igm_get_url),
		cmocka_unit_test(list_instances_urls),
		cmocka_unit_test(delete_instances_body),
		cmocka_unit_test(resize_url),
		cmocka_unit_test(set_metadata_body),
		cmocka_unit_test(stored_url_requests_are_resolved),
		cmocka_unit_test(operation_pending),
		cmocka_unit_test(operation_done),
		cmocka_unit_test(operation_done_with_error),
		cmocka_unit_test(operation_empty_error_list_is_success),
		cmocka_unit_test(operation_rejects_bad_input),
		cmocka_unit_test(self_link_of_a_template),
		cmocka_unit_test(igm_with_and_without_current_actions),
		cmocka_unit_test(igm_rejects_bad_input),
		cmocka_unit_test(instance_pages),
		cmocka_unit_test(instance_page_rejects_bad_input),
		cmocka_unit_test(instance_metadata),
		cmocka_unit_test(instance_metadata_rejects_bad_input),
		cmocka_unit_test(request_id_is_deterministic),
		cmocka_unit_test(request_id_is_added_to_the_query),
		cmocka_unit_test(nonces_are_random_hex),
		cmocka_unit_test(instance_url_check),
		cmocka_unit_test(error_envelopes),
		cmocka_unit_test(error_envelope_rejects_bad_input),
		cmocka_unit_test(resize_worked_examples),
		cmocka_unit_test(resize_leased_headroom_in_double),
		cmocka_unit_test(resize_unlimited_maximum),
		cmocka_unit_test(metadata_apply_md_1),
		cmocka_unit_test(metadata_checksum_vectors),
	};

	return gceb_test_run("gce", tests, argc, argv);
}
