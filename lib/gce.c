/* SPDX-License-Identifier: Apache-2.0 */
/* gce.c - Compute Engine v1 request builders and response mappers (docs/design/compute.md) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "canonjson.h"
#include "config.h"
#include "gce.h"
#include "json.h"
#include "names.h"
#include "sha1.h"
#include "url.h"

/* Growth per run beyond the idle instances, and the leased headroom (docs/design/instances.md). */
#define RESIZE_LIMIT  100
#define RESIZE_FACTOR 1.1

/* ---- names and URLs ---- */

static bool is_name(const char *s)
{
	return s && gceb_name_is_rfc1035(s);
}

static bool is_project(const char *s)
{
	return s && gceb_name_is_project(s);
}

static int bad_name(const char *what, const char *value, struct gceb_err *err)
{
	return gceb_err_set(err, GCEB_EPARSE, "%s '%s' is not a valid GCE name", what,
			    value ? value : "");
}

static bool is_hex40(const char *s)
{
	size_t i;

	if (!s || strlen(s) != GCEB_SHA1_HEX_LEN)
		return false;
	for (i = 0; i < GCEB_SHA1_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "@base-@rev", the name of a revision's template and groups (docs/design/store.md). */
static int revision_name(const char *base, const char *rev, char out[GCEB_GCE_NAME_MAX + 1],
			 struct gceb_err *err)
{
	int n;

	if (!is_hex40(rev))
		return gceb_err_set(err, GCEB_EPARSE, "revision '%s' is not 40 hex digits",
				    rev ? rev : "");
	n = snprintf(out, GCEB_GCE_NAME_MAX + 1, "%s-%s", base ? base : "", rev);
	if (n < 0 || n > GCEB_GCE_NAME_MAX || !is_name(out))
		return gceb_err_set(err, GCEB_EPARSE, "'%s-%s' is not a valid GCE name",
				    base ? base : "", rev);
	return 0;
}

static void add_root(struct gceb_buf *b, const char *root)
{
	size_t n = strlen(root);

	gceb_buf_adds(b, root);
	if (n == 0 || root[n - 1] != '/')
		gceb_buf_addc(b, '/');
}

/* {root}compute/v1/projects/{project}; the caller has checked @project. */
static void add_project(struct gceb_buf *b, const char *root, const char *project)
{
	add_root(b, root);
	gceb_buf_addf(b, "compute/v1/projects/%s", project);
}

static bool url_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~:/", c);
}

/* The path after @root if @url is under it ("root/path" when @root lacks its final '/'). */
static const char *after_root(const char *url, const char *root)
{
	size_t n = strlen(root);

	if (n == 0 || strncmp(url, root, n) != 0)
		return NULL;
	if (root[n - 1] == '/')
		return url + n;
	return url[n] == '/' ? url + n + 1 : NULL;
}

int gceb_gce_resolve(const char *root, const char *stored_url, char **out, struct gceb_err *err)
{
	static const char prefix[] = "compute/v1/projects/";
	const char *roots[] = { root, GCEB_GCE_CANONICAL_ROOT, GCEB_GCE_MODERN_ROOT };
	struct gceb_buf b = GCEB_BUF_INIT;
	const char *path = NULL, *p;
	size_t i;

	if (!stored_url || !*stored_url)
		return gceb_err_set(err, GCEB_EPARSE, "empty Compute URL");
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !path; i++)
		path = after_root(stored_url, roots[i]);
	if (!path) {
		struct gceb_url u;

		if (gceb_url_parse(stored_url, GCEB_EAUTH, &u, NULL) < 0)
			return gceb_err_set(
				err, GCEB_EAUTH,
				"refusing '%.200s': a malformed URL is not the Compute root '%s'",
				stored_url, root);
		return gceb_err_set(err, GCEB_EAUTH,
				    "refusing '%s': host '%.*s' is not the Compute root '%s'",
				    stored_url, (int)u.host_len, u.host, root);
	}
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return gceb_err_set(err, GCEB_EPARSE, "'%s' is not a Compute v1 project URL",
				    stored_url);
	for (p = path; *p; p++)
		if (!url_char_ok(*p))
			return gceb_err_set(err, GCEB_EPARSE,
					    "'%s' has a character not allowed in a Compute URL",
					    stored_url);
	if (strstr(path, "..") || strstr(path, "//") || path[strlen(path) - 1] == '/')
		return gceb_err_set(err, GCEB_EPARSE, "'%s' is not a canonical Compute URL path",
				    stored_url);
	add_root(&b, root);
	gceb_buf_adds(&b, path);
	if (b.oom) {
		gceb_buf_release(&b);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	*out = gceb_buf_detach(&b);
	return 0;
}

const char *gceb_gce_url_name(const char *url)
{
	const char *slash = strrchr(url, '/');

	return slash ? slash + 1 : url;
}

int gceb_gce_check_instance_url(const char *root, const char *project, const char *zone,
				const char *url, struct gceb_err *err)
{
	struct gceb_buf want = GCEB_BUF_INIT;
	char *resolved = NULL;
	const char *path, *name;
	size_t n;
	int r;

	if ((r = gceb_gce_resolve(root, url, &resolved, err)) < 0)
		return r;
	/* resolved = root + the checked path; compare the path with the one expected. */
	n = strlen(root);
	path = resolved + n + (n == 0 || root[n - 1] != '/');
	gceb_buf_addf(&want, "compute/v1/projects/%s/zones/%s/instances/", project, zone);
	if (want.oom) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	n = want.len;
	name = path + n;
	if (strncmp(path, want.p, n) != 0 || !is_name(name))
		r = gceb_err_set(err, GCEB_EPARSE,
				 "'%s' is not an instance URL of project '%s' zone '%s'", url,
				 project, zone);
out:
	gceb_buf_release(&want);
	free(resolved);
	return r;
}

/* Check that @url would be called on the Compute root; the URL itself is sent as stored. */
static int check_stored(const char *root, const char *url, struct gceb_err *err)
{
	char *resolved = NULL;
	int r = gceb_gce_resolve(root, url, &resolved, err);

	free(resolved);
	return r;
}

/* ---- building JSON ---- */

/* Make the request; consumes @url and @body (either may have failed to build: see @oom). */
static int finish(const char *method, struct gceb_buf *url, cJSON *body, bool oom,
		  struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	char *text = NULL;
	int r = 0;

	if (body && !oom)
		text = cJSON_PrintUnformatted(body);
	if (oom || url->oom || (body && !text)) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	req = gceb_http_request_new(method, GCEB_API_COMPUTE, url->p, text);
	if (!req) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	*out = req;
out:
	cJSON_free(text);
	cJSON_Delete(body);
	gceb_buf_release(url);
	return r;
}

/* ---- request builders ---- */

/* What GCE takes as metadata: at most GCEB_GCE_METADATA_MAX_ITEMS items... */
static int check_metadata(size_t n, struct gceb_err *err)
{
	if (n > GCEB_GCE_METADATA_MAX_ITEMS)
		return gceb_err_set(err, GCEB_EPARSE, "more than %d metadata items",
				    GCEB_GCE_METADATA_MAX_ITEMS);
	return 0;
}

/* ... each with a key. */
static int check_metadata_key(const char *key, struct gceb_err *err)
{
	if (!key || !*key)
		return gceb_err_set(err, GCEB_EPARSE, "metadata item without a key");
	return 0;
}

static int check_revision(const Gceb__State__Revision *r, struct gceb_err *err)
{
	size_t i;
	int rc;

	if (!is_project(r->project))
		return bad_name("project", r->project, err);
	if (!is_name(r->image_name))
		return bad_name("image_name", r->image_name, err);
	if (r->image_project && *r->image_project && !is_project(r->image_project))
		return bad_name("image_project", r->image_project, err);
	if (!is_name(r->machine_type))
		return bad_name("machine_type", r->machine_type, err);
	if (r->network_url && *r->network_url && !gceb_name_is_network(r->network_url))
		return gceb_err_set(
			err, GCEB_EPARSE,
			"network_url '%s' is neither a network name, a partial network URL nor an https URL",
			r->network_url);
	if (r->disk_size_gb < 0)
		return gceb_err_set(err, GCEB_EPARSE, "disk_size_gb %d is negative",
				    (int)r->disk_size_gb);
	if ((rc = check_metadata(r->n_metadata, err)) < 0)
		return rc;
	for (i = 0; i < r->n_metadata; i++)
		if ((rc = check_metadata_key(r->metadata[i]->key, err)) < 0)
			return rc;
	for (i = 0; i < r->n_service_accounts; i++)
		if (!r->service_accounts[i]->name || !*r->service_accounts[i]->name)
			return gceb_err_set(err, GCEB_EPARSE, "service account without a name");
	return 0;
}

/* {"autoDelete": true, "boot": true, "initializeParams": {"diskSizeGb", "sourceImage"}} */
static void add_disk(bool *oom, cJSON *props, const Gceb__State__Revision *r)
{
	struct gceb_buf image = GCEB_BUF_INIT;
	cJSON *disks = gceb_json_add(oom, props, "disks", cJSON_CreateArray());
	cJSON *disk = gceb_json_add(oom, disks, NULL, cJSON_CreateObject());
	cJSON *params;
	char size[16];

	gceb_json_add(oom, disk, "autoDelete", cJSON_CreateTrue());
	gceb_json_add(oom, disk, "boot", cJSON_CreateTrue());
	params = gceb_json_add(oom, disk, "initializeParams", cJSON_CreateObject());
	/* Sent as stored, even 0 (design/create.md); an int64, so a JSON string (CMP-1). */
	(void)snprintf(size, sizeof(size), "%d", (int)r->disk_size_gb);
	gceb_json_add_string(oom, params, "diskSizeGb", size);
	gceb_buf_addf(&image, "%scompute/v1/projects/%s/global/images/%s", GCEB_GCE_CANONICAL_ROOT,
		      r->image_project && *r->image_project ? r->image_project : r->project,
		      r->image_name);
	if (image.oom)
		*oom = true;
	else
		gceb_json_add_string(oom, params, "sourceImage", image.p);
	gceb_buf_release(&image);
}

static void add_network(bool *oom, cJSON *props, const Gceb__State__Revision *r)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	cJSON *nics = gceb_json_add(oom, props, "networkInterfaces", cJSON_CreateArray());
	cJSON *nic = gceb_json_add(oom, nics, NULL, cJSON_CreateObject());
	const char *net = r->network_url && *r->network_url ? r->network_url : "default";

	if (is_name(net))
		gceb_buf_addf(&url, "%scompute/v1/projects/%s/global/networks/%s",
			      GCEB_GCE_CANONICAL_ROOT, r->project, net);
	else
		gceb_buf_adds(&url, net);
	if (url.oom)
		*oom = true;
	else
		gceb_json_add_string(oom, nic, "network", url.p);
	gceb_buf_release(&url);
	if (r->auto_assign_external_ip) {
		cJSON *configs = gceb_json_add(oom, nic, "accessConfigs", cJSON_CreateArray());
		cJSON *config = gceb_json_add(oom, configs, NULL, cJSON_CreateObject());

		gceb_json_add_string(oom, config, "type", "ONE_TO_ONE_NAT");
	}
}

int gceb_gce_template_insert(const char *root, const char *base, const char *rev,
			     const Gceb__State__Revision *r, struct gceb_http_request **out,
			     struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	char name[GCEB_GCE_NAME_MAX + 1];
	cJSON *body, *props, *list, *obj;
	bool oom = false;
	size_t i, j;
	int rc;

	if ((rc = revision_name(base, rev, name, err)) < 0 || (rc = check_revision(r, err)) < 0)
		return rc;
	add_project(&url, root, r->project);
	gceb_buf_adds(&url, "/global/instanceTemplates");

	body = cJSON_CreateObject();
	gceb_json_add_string(&oom, body, "name", name);
	props = gceb_json_add(&oom, body, "properties", cJSON_CreateObject());
	add_disk(&oom, props, r);
	gceb_json_add_string(&oom, props, "machineType", r->machine_type);
	obj = gceb_json_add(&oom, props, "metadata", cJSON_CreateObject());
	list = gceb_json_add(&oom, obj, "items", cJSON_CreateArray());
	for (i = 0; i < r->n_metadata; i++) {
		obj = gceb_json_add(&oom, list, NULL, cJSON_CreateObject());
		gceb_json_add_string(&oom, obj, "key", r->metadata[i]->key);
		gceb_json_add_string(&oom, obj, "value", r->metadata[i]->value);
	}
	add_network(&oom, props, r);
	list = gceb_json_add(&oom, props, "serviceAccounts", cJSON_CreateArray());
	for (i = 0; i < r->n_service_accounts; i++) {
		const Gceb__State__ServiceAccount *sa = r->service_accounts[i];
		cJSON *scopes;

		obj = gceb_json_add(&oom, list, NULL, cJSON_CreateObject());
		gceb_json_add_string(&oom, obj, "email", sa->name);
		scopes = gceb_json_add(&oom, obj, "scopes", cJSON_CreateArray());
		for (j = 0; j < sa->n_scopes; j++)
			gceb_json_add_string(&oom, scopes, NULL, sa->scopes[j]);
	}
	obj = gceb_json_add(&oom, props, "tags", cJSON_CreateObject());
	list = gceb_json_add(&oom, obj, "items", cJSON_CreateArray());
	for (i = 0; i < r->n_tags; i++)
		gceb_json_add_string(&oom, list, NULL, r->tags[i]);
	return finish("POST", &url, body, oom || !body, out, err);
}

int gceb_gce_template_get(const char *root, const char *project, const char *name,
			  struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;

	if (!is_project(project))
		return bad_name("project", project, err);
	if (!is_name(name))
		return bad_name("instance template", name, err);
	add_project(&url, root, project);
	gceb_buf_addf(&url, "/global/instanceTemplates/%s", name);
	return finish("GET", &url, NULL, false, out, err);
}

/*
 * {root}compute/v1/projects/{project}/zones/{zone}/{collection}[/{name}],
 * checking names: @name (a @what) is required when @what is given.
 */
static int zonal_url(struct gceb_buf *url, const char *root, const char *project, const char *zone,
		     const char *collection, const char *what, const char *name,
		     struct gceb_err *err)
{
	if (!is_project(project))
		return bad_name("project", project, err);
	if (!is_name(zone))
		return bad_name("zone", zone, err);
	if (what && (!name || !is_name(name)))
		return bad_name(what, name, err);
	add_project(url, root, project);
	gceb_buf_addf(url, "/zones/%s/%s", zone, collection);
	if (name)
		gceb_buf_addf(url, "/%s", name);
	return 0;
}

int gceb_gce_igm_insert(const char *root, const char *project, const char *zone, const char *base,
			const char *rev, const char *template_url, struct gceb_http_request **out,
			struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	char name[GCEB_GCE_NAME_MAX + 1], base_instance[GCEB_GCE_NAME_MAX + 1];
	bool oom = false;
	cJSON *body;
	int r, n;

	if ((r = revision_name(base, rev, name, err)) < 0)
		return r;
	/* B-<C[0:8]>-<zone> (docs/design/departures.md): hostnames never collide across zones. */
	n = snprintf(base_instance, sizeof(base_instance), "%s-%.8s-%s", base, rev,
		     zone ? zone : "");
	if (n < 0 || n > GCEB_GCE_BASE_NAME_MAX || !is_name(base_instance))
		return gceb_err_set(err, GCEB_EPARSE,
				    "base instance name '%s-%.8s-%s' is not a valid GCE name of "
				    "at most %d characters",
				    base, rev, zone ? zone : "", GCEB_GCE_BASE_NAME_MAX);
	if ((r = check_stored(root, template_url, err)) < 0)
		return r;
	if ((r = zonal_url(&url, root, project, zone, "instanceGroupManagers", NULL, NULL, err)) <
	    0)
		return r;
	body = cJSON_CreateObject();
	gceb_json_add_string(&oom, body, "baseInstanceName", base_instance);
	gceb_json_add_string(&oom, body, "instanceTemplate", template_url);
	gceb_json_add_string(&oom, body, "name", name);
	gceb_json_add(&oom, body, "targetSize", cJSON_CreateNumber(0));
	return finish("POST", &url, body, oom || !body, out, err);
}

/* {root}.../zones/{zone}/instanceGroupManagers/{igm}, checking names. */
static int igm_url(struct gceb_buf *url, const char *root, const char *project, const char *zone,
		   const char *igm, struct gceb_err *err)
{
	return zonal_url(url, root, project, zone, "instanceGroupManagers",
			 "instance group manager", igm, err);
}

int gceb_gce_igm_get(const char *root, const char *project, const char *zone, const char *name,
		     struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	int r = igm_url(&url, root, project, zone, name, err);

	return r < 0 ? r : finish("GET", &url, NULL, false, out, err);
}

/* Form encoding as Python's urlencode: unreserved bytes literal, the rest %XX. */
static void add_query_value(struct gceb_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			gceb_buf_addc(b, (char)c);
		else
			gceb_buf_addf(b, "%%%02X", c);
	}
}

int gceb_gce_list_instances(const char *root, const char *project, const char *zone,
			    const char *group, const char *page_token,
			    struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	int r;

	r = zonal_url(&url, root, project, zone, "instanceGroups", "instance group", group, err);
	if (r < 0)
		return r;
	gceb_buf_addf(&url, "/listInstances?maxResults=%d", GCEB_GCE_LIST_PAGE_SIZE);
	if (page_token && *page_token) {
		gceb_buf_adds(&url, "&pageToken=");
		add_query_value(&url, page_token);
	}
	return finish("POST", &url, NULL, false, out, err);
}

int gceb_gce_delete_instances(const char *root, const char *project, const char *zone,
			      const char *igm, const char *const *urls, size_t n_urls,
			      struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	bool oom = false;
	cJSON *body, *list;
	size_t i;
	int r;

	if (n_urls == 0 || n_urls > GCEB_GCE_DELETE_MAX_INSTANCES)
		return gceb_err_set(err, GCEB_EPARSE,
				    "deleteInstances takes 1 to %d instances, not %zu",
				    GCEB_GCE_DELETE_MAX_INSTANCES, n_urls);
	for (i = 0; i < n_urls; i++)
		if ((r = check_stored(root, urls[i], err)) < 0)
			return r;
	if ((r = igm_url(&url, root, project, zone, igm, err)) < 0)
		return r;
	gceb_buf_adds(&url, "/deleteInstances");
	body = cJSON_CreateObject();
	list = gceb_json_add(&oom, body, "instances", cJSON_CreateArray());
	for (i = 0; i < n_urls; i++)
		gceb_json_add_string(&oom, list, NULL, urls[i]);
	return finish("POST", &url, body, oom || !body, out, err);
}

int gceb_gce_resize(const char *root, const char *project, const char *zone, const char *igm,
		    int64_t size, struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	int r;

	if (size < 0 || size > INT32_MAX)
		return gceb_err_set(err, GCEB_EPARSE, "cannot resize to %lld instances",
				    (long long)size);
	if ((r = igm_url(&url, root, project, zone, igm, err)) < 0)
		return r;
	gceb_buf_addf(&url, "/resize?size=%lld", (long long)size);
	return finish("POST", &url, NULL, false, out, err);
}

/* {"kind": "compute#metadata", "fingerprint", "items": [{"key", "value"}...]} */
static cJSON *metadata_body(const char *fingerprint, const struct gceb_gce_item *items,
			    size_t n_items, bool *oom)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *list;
	size_t i;

	gceb_json_add_string(oom, body, "kind", "compute#metadata");
	gceb_json_add_string(oom, body, "fingerprint", fingerprint);
	list = gceb_json_add(oom, body, "items", cJSON_CreateArray());
	for (i = 0; i < n_items; i++) {
		cJSON *item = gceb_json_add(oom, list, NULL, cJSON_CreateObject());

		gceb_json_add_string(oom, item, "key", items[i].key);
		if (items[i].value)
			gceb_json_add_string(oom, item, "value", items[i].value);
	}
	*oom = *oom || !body;
	return body;
}

int gceb_gce_set_metadata(const char *root, const char *project, const char *zone,
			  const char *instance, const char *fingerprint,
			  const struct gceb_gce_item *items, size_t n_items,
			  struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	bool oom = false;
	cJSON *body;
	size_t i;
	int r;

	if (!fingerprint)
		return gceb_err_set(err, GCEB_EPARSE, "setMetadata without a fingerprint");
	if ((r = check_metadata(n_items, err)) < 0)
		return r;
	for (i = 0; i < n_items; i++)
		if ((r = check_metadata_key(items[i].key, err)) < 0)
			return r;
	r = zonal_url(&url, root, project, zone, "instances", "instance", instance, err);
	if (r < 0)
		return r;
	gceb_buf_adds(&url, "/setMetadata");
	body = metadata_body(fingerprint, items, n_items, &oom);
	return finish("POST", &url, body, oom, out, err);
}

/* ---- requestId ---- */

/*
 * The namespace of gceb's name-based UUIDs, c347eaa0-fbea-50d2-aef3-9bd4a91c0392:
 * itself uuid5(NAMESPACE_URL, "https://gceb/requestId").
 */
static const unsigned char request_id_namespace[16] = { 0xc3, 0x47, 0xea, 0xa0, 0xfb, 0xea,
							0x50, 0xd2, 0xae, 0xf3, 0x9b, 0xd4,
							0xa9, 0x1c, 0x03, 0x92 };

int gceb_gce_request_id(const struct gceb_http_request *req, const char *salt,
			char out[GCEB_GCE_UUID_LEN + 1], struct gceb_err *err)
{
	static const char digits[] = "0123456789abcdef";
	const char *path = strstr(req->url, "compute/v1/");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i, o = 0;

	if (!path)
		path = req->url;
	/* name = method SP path LF salt LF body (RFC 4122 section 4.3). */
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, request_id_namespace, sizeof(request_id_namespace)) != 1 ||
	    EVP_DigestUpdate(ctx, req->method, strlen(req->method)) != 1 ||
	    EVP_DigestUpdate(ctx, " ", 1) != 1 || EVP_DigestUpdate(ctx, path, strlen(path)) != 1 ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
	    (salt && EVP_DigestUpdate(ctx, salt, strlen(salt)) != 1) ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
	    (req->body && EVP_DigestUpdate(ctx, req->body, strlen(req->body)) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1 || n < 16) {
		/* Only an allocation failure inside OpenSSL; no id is better than a shared one. */
		EVP_MD_CTX_free(ctx);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* variant RFC 4122 */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[md[i] >> 4];
		out[o++] = digits[md[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int gceb_gce_new_nonce(char out[GCEB_GCE_NONCE_LEN + 1], struct gceb_err *err)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[GCEB_GCE_NONCE_LEN / 2];
	size_t i;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return gceb_err_set(err, GCEB_EBUG, "no random bytes for a request nonce");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[GCEB_GCE_NONCE_LEN] = '\0';
	return 0;
}

int gceb_gce_add_request_id(struct gceb_http_request *req, const char *salt, struct gceb_err *err)
{
	char id[GCEB_GCE_UUID_LEN + 1];
	struct gceb_buf url = GCEB_BUF_INIT;
	int r = gceb_gce_request_id(req, salt, id, err);

	if (r < 0)
		return r;
	gceb_buf_addf(&url, "%s%crequestId=%s", req->url, strchr(req->url, '?') ? '&' : '?', id);
	if (url.oom) {
		gceb_buf_release(&url);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	free(req->url);
	req->url = gceb_buf_detach(&url);
	return 0;
}

static int stored_request(const char *method, const char *root, const char *stored,
			  struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	char *resolved = NULL;
	int r;

	if ((r = gceb_gce_resolve(root, stored, &resolved, err)) < 0)
		return r;
	gceb_buf_adds(&url, resolved);
	free(resolved);
	r = finish(method, &url, NULL, false, out, err);
	if (r == 0)
		(*out)->timeout_ms = GCEB_SHORT_TIMEOUT_MS;
	return r;
}

int gceb_gce_get_stored(const char *root, const char *url, struct gceb_http_request **out,
			struct gceb_err *err)
{
	return stored_request("GET", root, url, out, err);
}

int gceb_gce_delete_stored(const char *root, const char *url, struct gceb_http_request **out,
			   struct gceb_err *err)
{
	return stored_request("DELETE", root, url, out, err);
}

/* ---- reading JSON ---- */

static int copy_str(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return GCEB_ENOMEM;
	return 0;
}

static int nomem(struct gceb_err *err)
{
	return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
}

/* ---- response mappers ---- */

void gceb_gce_operation_release(struct gceb_gce_operation *op)
{
	if (!op)
		return;
	free(op->name);
	free(op->status);
	free(op->target_link);
	free(op->self_link);
	free(op->error_code);
	free(op->error_message);
	memset(op, 0, sizeof(*op));
}

int gceb_gce_parse_operation(const char *body, size_t len, struct gceb_gce_operation *out,
			     struct gceb_err *err)
{
	static const char what[] = "operation";
	const char *name, *status, *target, *self, *code = NULL, *message = NULL;
	struct gceb_gce_operation op = { 0 };
	const cJSON *error, *errors, *first;
	cJSON *json = NULL;
	bool present;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	if ((r = gceb_json_string(what, json, "name", false, &name, err)) < 0 ||
	    (r = gceb_json_string(what, json, "status", true, &status, err)) < 0 ||
	    (r = gceb_json_string(what, json, "targetLink", false, &target, err)) < 0 ||
	    (r = gceb_json_string(what, json, "selfLink", true, &self, err)) < 0 ||
	    (r = gceb_json_int64(what, json, "httpErrorStatusCode", &present, &op.http_error_status,
				 err)) < 0 ||
	    (r = gceb_json_typed(what, json, "error", cJSON_Object, &error, err)) < 0 ||
	    (r = gceb_json_typed(what, error, "error.errors", cJSON_Array, &errors, err)) < 0)
		goto out;
	/* Succeeded iff DONE and error absent or error.errors empty (docs/design/compute.md). */
	if (cJSON_GetArraySize(errors) > 0) {
		first = cJSON_GetArrayItem(errors, 0);
		if (!cJSON_IsObject(first)) {
			r = gceb_json_bad_field(what, "error.errors[0]", "is not an object", err);
			goto out;
		}
		if ((r = gceb_json_string(what, first, "error.errors[0].code", false, &code, err)) <
			    0 ||
		    (r = gceb_json_string(what, first, "error.errors[0].message", false, &message,
					  err)) < 0)
			goto out;
		op.has_error = true;
	}
	op.done = !strcmp(status, "DONE");
	if (copy_str(name, &op.name) < 0 || copy_str(status, &op.status) < 0 ||
	    copy_str(target, &op.target_link) < 0 || copy_str(self, &op.self_link) < 0 ||
	    copy_str(code, &op.error_code) < 0 || copy_str(message, &op.error_message) < 0) {
		r = nomem(err);
		goto out;
	}
	*out = op;
	memset(&op, 0, sizeof(op));
out:
	gceb_gce_operation_release(&op);
	cJSON_Delete(json);
	return r;
}

int gceb_gce_parse_self_link(const char *body, size_t len, char **out, struct gceb_err *err)
{
	const char *self;
	cJSON *json = NULL;
	char *copy = NULL;
	int r;

	if ((r = gceb_json_parse_object("resource", body, len, &json, err)) < 0)
		return r;
	if ((r = gceb_json_string("resource", json, "selfLink", true, &self, err)) < 0)
		goto out;
	if (copy_str(self, &copy) < 0) {
		r = nomem(err);
		goto out;
	}
	*out = copy;
out:
	cJSON_Delete(json);
	return r;
}

void gceb_gce_igm_release(struct gceb_gce_igm *igm)
{
	if (!igm)
		return;
	free(igm->name);
	memset(igm, 0, sizeof(*igm));
}

int gceb_gce_parse_igm(const char *body, size_t len, struct gceb_gce_igm *out, struct gceb_err *err)
{
	static const char what[] = "instance group manager";
	struct gceb_gce_igm igm = { 0 };
	const cJSON *actions;
	const char *name;
	cJSON *json = NULL;
	bool present;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	/* An int32 of 0 may be left out by the encoder: an absent targetSize is 0. */
	if ((r = gceb_json_string(what, json, "name", true, &name, err)) < 0 ||
	    (r = gceb_json_int64(what, json, "targetSize", &present, &igm.target_size, err)) < 0 ||
	    (r = gceb_json_typed(what, json, "currentActions", cJSON_Object, &actions, err)) < 0 ||
	    (r = gceb_json_int64(what, actions, "currentActions.none", &igm.has_none, &igm.none,
				 err)) < 0)
		goto out;
	if (igm.target_size < 0 || (igm.has_none && igm.none < 0)) {
		r = gceb_err_set(err, GCEB_EPARSE, "%s: negative size", what);
		goto out;
	}
	if (copy_str(name, &igm.name) < 0) {
		r = nomem(err);
		goto out;
	}
	*out = igm;
	memset(&igm, 0, sizeof(igm));
out:
	gceb_gce_igm_release(&igm);
	cJSON_Delete(json);
	return r;
}

/*
 * The envelope of a page of a Compute list: *@json holds it (the caller
 * deletes it, even on failure), *@items its items, *@n how many (at most
 * GCEB_GCE_LIST_MAX_ITEMS) and *@token the next page's token, or NULL.
 */
static int list_page(const char *what, const char *body, size_t len, cJSON **json,
		     const cJSON **items, size_t *n, const char **token, struct gceb_err *err)
{
	int r;

	if ((r = gceb_json_parse_object(what, body, len, json, err)) < 0 ||
	    (r = gceb_json_typed(what, *json, "items", cJSON_Array, items, err)) < 0 ||
	    (r = gceb_json_string(what, *json, "nextPageToken", false, token, err)) < 0)
		return r;
	*n = (size_t)cJSON_GetArraySize(*items);
	if (*n > GCEB_GCE_LIST_MAX_ITEMS)
		return gceb_err_set(err, GCEB_EPARSE, "%s: more than %d items on one page", what,
				    GCEB_GCE_LIST_MAX_ITEMS);
	return 0;
}

/* Item @i of a list page must be an object. */
static int list_item(const char *what, const cJSON *item, size_t i, struct gceb_err *err)
{
	char field[64];

	if (cJSON_IsObject(item))
		return 0;
	(void)snprintf(field, sizeof(field), "items[%zu]", i);
	return gceb_json_bad_field(what, field, "is not an object", err);
}

void gceb_gce_instance_page_release(struct gceb_gce_instance_page *page)
{
	size_t i;

	if (!page)
		return;
	for (i = 0; i < page->n_urls; i++)
		free(page->urls[i]);
	free(page->urls);
	free(page->next_page_token);
	memset(page, 0, sizeof(*page));
}

int gceb_gce_parse_instance_page(const char *body, size_t len, struct gceb_gce_instance_page *out,
				 struct gceb_err *err)
{
	static const char what[] = "instance list";
	struct gceb_gce_instance_page page = { 0 };
	const cJSON *items, *item;
	const char *token;
	cJSON *json = NULL;
	size_t n;
	int r;

	if ((r = list_page(what, body, len, &json, &items, &n, &token, err)) < 0)
		goto out;
	page.urls = calloc(n ? n : 1, sizeof(*page.urls));
	if (!page.urls) {
		r = nomem(err);
		goto out;
	}
	cJSON_ArrayForEach(item, items) {
		char field[64];
		const char *url;

		if ((r = list_item(what, item, page.n_urls, err)) < 0)
			goto out;
		(void)snprintf(field, sizeof(field), "items[%zu].instance", page.n_urls);
		if ((r = gceb_json_string(what, item, field, true, &url, err)) < 0)
			goto out;
		if (!gceb_name_is_rfc1035(gceb_gce_url_name(url))) {
			r = gceb_err_set(err, GCEB_EPARSE,
					 "%s: '%s' does not end in a valid instance name", what,
					 url);
			goto out;
		}
		if (copy_str(url, &page.urls[page.n_urls]) < 0) {
			r = nomem(err);
			goto out;
		}
		page.n_urls++;
	}
	if (token && *token && copy_str(token, &page.next_page_token) < 0) {
		r = nomem(err);
		goto out;
	}
	*out = page;
	memset(&page, 0, sizeof(page));
out:
	gceb_gce_instance_page_release(&page);
	cJSON_Delete(json);
	return r;
}

void gceb_gce_items_free(struct gceb_gce_item *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++) {
		free(items[i].key);
		free(items[i].value);
	}
	free(items);
}

void gceb_gce_metadata_release(struct gceb_gce_metadata *md)
{
	if (!md)
		return;
	free(md->fingerprint);
	gceb_gce_items_free(md->items, md->n_items);
	memset(md, 0, sizeof(*md));
}

int gceb_gce_parse_instance_metadata(const char *body, size_t len, struct gceb_gce_metadata *out,
				     struct gceb_err *err)
{
	static const char what[] = "instance";
	struct gceb_gce_metadata md = { 0 };
	const cJSON *metadata, *items, *item;
	const char *fingerprint;
	cJSON *json = NULL;
	size_t n;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	if ((r = gceb_json_typed(what, json, "metadata", cJSON_Object, &metadata, err)) < 0)
		goto out;
	if (!metadata) {
		r = gceb_json_bad_field(what, "metadata", "is missing", err);
		goto out;
	}
	if ((r = gceb_json_string(what, metadata, "metadata.fingerprint", true, &fingerprint,
				  err)) < 0 ||
	    (r = gceb_json_typed(what, metadata, "metadata.items", cJSON_Array, &items, err)) < 0)
		goto out;
	n = (size_t)cJSON_GetArraySize(items);
	if (n > GCEB_GCE_METADATA_MAX_ITEMS) {
		r = gceb_err_set(err, GCEB_EPARSE, "%s: more than %d metadata items", what,
				 GCEB_GCE_METADATA_MAX_ITEMS);
		goto out;
	}
	md.items = calloc(n ? n : 1, sizeof(*md.items));
	if (!md.items || copy_str(fingerprint, &md.fingerprint) < 0) {
		r = nomem(err);
		goto out;
	}
	cJSON_ArrayForEach(item, items) {
		char kfield[64], vfield[64];
		const char *key, *value;

		(void)snprintf(kfield, sizeof(kfield), "metadata.items[%zu]", md.n_items);
		if (!cJSON_IsObject(item)) {
			r = gceb_json_bad_field(what, kfield, "is not an object", err);
			goto out;
		}
		(void)snprintf(kfield, sizeof(kfield), "metadata.items[%zu].key", md.n_items);
		(void)snprintf(vfield, sizeof(vfield), "metadata.items[%zu].value", md.n_items);
		if ((r = gceb_json_string(what, item, kfield, true, &key, err)) < 0 ||
		    (r = gceb_json_string(what, item, vfield, false, &value, err)) < 0)
			goto out;
		if (copy_str(key, &md.items[md.n_items].key) < 0 ||
		    copy_str(value ? value : "", &md.items[md.n_items].value) < 0) {
			md.n_items++; /* release what was copied */
			r = nomem(err);
			goto out;
		}
		md.n_items++;
	}
	*out = md;
	memset(&md, 0, sizeof(md));
out:
	gceb_gce_metadata_release(&md);
	cJSON_Delete(json);
	return r;
}

/* ---- decisions ---- */

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

bool gceb_gce_resize_size(const struct gceb_gce_resize_input *in, int64_t *new_size)
{
	/* IEEE double on purpose: 50 * 1.1 is 55.000000000000007, so 50 leased want 56. */
	double headroom = ceil((double)in->leased * RESIZE_FACTOR);
	int64_t want = in->minimum_size, cap, n;

	if (headroom > (double)want)
		want = headroom < (double)INT32_MAX ? (int64_t)headroom : INT32_MAX;
	/* An unset maximum_size is unlimited (docs/design/departures.md), within the 1000 of a
	 * group. */
	cap = in->maximum_size > 0 ? in->maximum_size - in->other : GCEB_MAX_GROUP_SIZE;
	n = min64(min64(want, cap), in->idle + RESIZE_LIMIT);
	if (n <= min64(in->idle, in->target_size))
		return false;
	*new_size = n;
	return true;
}

/* The last item of @update with key @key, or NULL. */
static const Gceb__State__MetadataItem *update_for(Gceb__State__MetadataItem *const *update,
						   size_t n, const char *key)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (update[i]->key && !strcmp(update[i]->key, key))
			return update[i];
	return NULL;
}

static bool has_key(const struct gceb_gce_item *items, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i].key && !strcmp(items[i].key, key))
			return true;
	return false;
}

static int push_item(struct gceb_gce_item *v, size_t *n, const char *key, const char *value)
{
	struct gceb_gce_item *item = &v[(*n)++];

	if (copy_str(key, &item->key) < 0 || copy_str(value, &item->value) < 0)
		return GCEB_ENOMEM;
	return 0;
}

int gceb_gce_metadata_apply(const struct gceb_gce_item *cur, size_t n_cur,
			    Gceb__State__MetadataItem *const *update, size_t n_update,
			    struct gceb_gce_item **out, size_t *n_out, struct gceb_err *err)
{
	struct gceb_gce_item *v = NULL;
	size_t i, n = 0;
	int r = 0;

	v = calloc(n_cur + n_update + 1, sizeof(*v));
	if (!v)
		return nomem(err);
	for (i = 0; i < n_cur && r == 0; i++) {
		const Gceb__State__MetadataItem *u =
			cur[i].key ? update_for(update, n_update, cur[i].key) : NULL;

		if (!u)
			r = push_item(v, &n, cur[i].key, cur[i].value);
		else if (u->value)
			r = push_item(v, &n, cur[i].key, u->value);
	}
	for (i = 0; i < n_update && r == 0; i++) {
		const char *key = update[i]->key;
		const Gceb__State__MetadataItem *u;

		/* Each key once, at its first place; an unset value for an absent key sends
		 * nothing. */
		if (!key || has_key(cur, n_cur, key) || update_for(update, i, key))
			continue;
		/* Found: key is update[i]'s own, so the last of that key is there. */
		u = update_for(update, n_update, key);
		if (u && u->value)
			r = push_item(v, &n, key, u->value);
	}
	if (r < 0) {
		r = nomem(err);
		goto out;
	}
	if (n > GCEB_GCE_METADATA_MAX_ITEMS) {
		r = gceb_err_set(err, GCEB_EPARSE, "more than %d metadata items",
				 GCEB_GCE_METADATA_MAX_ITEMS);
		goto out;
	}
	*out = v;
	*n_out = n;
	v = NULL;
out:
	gceb_gce_items_free(v, n);
	return r;
}

static const char *item_key(const Gceb__State__MetadataItem *item)
{
	return item->key ? item->key : "";
}

static int cmp_item_key(const void *a, const void *b)
{
	return strcmp(item_key(*(const Gceb__State__MetadataItem *const *)a),
		      item_key(*(const Gceb__State__MetadataItem *const *)b));
}

int gceb_gce_metadata_checksum(Gceb__State__MetadataItem *const *items, size_t n,
			       char out[GCEB_SHA1_HEX_LEN + 1])
{
	const Gceb__State__MetadataItem **v = calloc(n + 1, sizeof(Gceb__State__MetadataItem *));
	struct gceb_buf b = GCEB_BUF_INIT;
	size_t i, m = 0;
	int r = 0;

	if (!v)
		return GCEB_ENOMEM;
	/* A map: the last item of a key wins, keys in code point (UTF-8 byte) order. */
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = i + 1; j < n; j++)
			if (!strcmp(item_key(items[j]), item_key(items[i])))
				break;
		if (j == n)
			v[m++] = items[i];
	}
	qsort(v, m, sizeof(Gceb__State__MetadataItem *), cmp_item_key);
	gceb_buf_addc(&b, '{');
	for (i = 0; i < m; i++) {
		if (i)
			gceb_buf_adds(&b, ", ");
		gceb_canonjson_quote(&b, v[i]->key);
		gceb_buf_adds(&b, ": ");
		if (v[i]->value)
			gceb_canonjson_quote(&b, v[i]->value);
		else
			gceb_buf_adds(&b, "null");
	}
	gceb_buf_addc(&b, '}');
	if (b.oom)
		r = GCEB_ENOMEM;
	else
		gceb_sha1_hex(b.p, b.len, out);
	gceb_buf_release(&b);
	free(v);
	return r;
}

/* ---- listing templates and groups by name (docs/design/orphans.md) ---- */

/* "?maxResults=500[&pageToken=T]" */
static void add_page_query(struct gceb_buf *url, const char *page_token)
{
	gceb_buf_addf(url, "?maxResults=%d", GCEB_GCE_LIST_PAGE_SIZE);
	if (page_token && *page_token) {
		gceb_buf_adds(url, "&pageToken=");
		add_query_value(url, page_token);
	}
}

int gceb_gce_list_templates(const char *root, const char *project, const char *page_token,
			    struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;

	if (!is_project(project))
		return bad_name("project", project, err);
	add_project(&url, root, project);
	gceb_buf_adds(&url, "/global/instanceTemplates");
	add_page_query(&url, page_token);
	return finish("GET", &url, NULL, false, out, err);
}

int gceb_gce_list_igms(const char *root, const char *project, const char *zone,
		       const char *page_token, struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	int r = zonal_url(&url, root, project, zone, "instanceGroupManagers", NULL, NULL, err);

	if (r < 0)
		return r;
	add_page_query(&url, page_token);
	return finish("GET", &url, NULL, false, out, err);
}

void gceb_gce_name_page_release(struct gceb_gce_name_page *page)
{
	size_t i;

	if (!page)
		return;
	for (i = 0; i < page->n; i++) {
		free(page->names[i]);
		free(page->urls[i]);
	}
	free(page->names);
	free(page->urls);
	free(page->next_page_token);
	memset(page, 0, sizeof(*page));
}

int gceb_gce_parse_name_page(const char *body, size_t len, struct gceb_gce_name_page *out,
			     struct gceb_err *err)
{
	static const char what[] = "resource list";
	struct gceb_gce_name_page page = { 0 };
	const cJSON *items, *item;
	const char *token;
	cJSON *json = NULL;
	size_t n;
	int r;

	if ((r = list_page(what, body, len, &json, &items, &n, &token, err)) < 0)
		goto out;
	page.names = calloc(n ? n : 1, sizeof(*page.names));
	page.urls = calloc(n ? n : 1, sizeof(*page.urls));
	if (!page.names || !page.urls) {
		r = nomem(err);
		goto out;
	}
	cJSON_ArrayForEach(item, items) {
		char field[64];
		const char *name, *link;

		if ((r = list_item(what, item, page.n, err)) < 0)
			goto out;
		(void)snprintf(field, sizeof(field), "items[%zu].name", page.n);
		if ((r = gceb_json_string(what, item, field, true, &name, err)) < 0)
			goto out;
		(void)snprintf(field, sizeof(field), "items[%zu].selfLink", page.n);
		if ((r = gceb_json_string(what, item, field, true, &link, err)) < 0)
			goto out;
		/* The link must name the same resource: it is what the drain path deletes. */
		if (strcmp(gceb_gce_url_name(link), name) != 0) {
			r = gceb_err_set(err, GCEB_EPARSE, "%s: selfLink '%s' does not end in '%s'",
					 what, link, name);
			goto out;
		}
		if (copy_str(name, &page.names[page.n]) < 0 ||
		    copy_str(link, &page.urls[page.n]) < 0) {
			page.n++; /* released below */
			r = nomem(err);
			goto out;
		}
		page.n++;
	}
	if (token && *token && copy_str(token, &page.next_page_token) < 0) {
		r = nomem(err);
		goto out;
	}
	*out = page;
	memset(&page, 0, sizeof(page));
out:
	gceb_gce_name_page_release(&page);
	cJSON_Delete(json);
	return r;
}
