/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gce.h - Compute Engine v1: request builders and response mappers
 * (docs/design/compute.md, docs/design/create.md, docs/design/instances.md,
 * docs/design/metadata.md). Pure functions: no network, no store.
 *
 * @root is the configured Compute root, e.g. "https://compute.googleapis.com/"
 * or "http://127.0.0.1:8080/" (a missing final '/' is supplied). Builders
 * check every name before it goes into a URL; an invalid one gives
 * GCEB_EPARSE (names come from stored entities: a bad one is a malformed
 * stored value) and no request. Builders return 0 and set *@out to a new
 * request (owned; gceb_http_request_free() or gceb_http_submit()), or a
 * negative code leaving *@out alone. Bodies are compact JSON with a fixed
 * key order.
 *
 * Mappers take a response body (@body of @len bytes, need not be
 * NUL-terminated; NULL is an empty body) and fill a caller's struct, which
 * owns its strings until the matching _release(). Unknown fields are
 * ignored. A body that is not JSON (an HTML error page, a truncated text), a
 * known field of the wrong type, or a missing field the caller needs gives
 * GCEB_EPARSE with a message naming the field. Integers are accepted as
 * JSON numbers or decimal strings. The struct is written only on success.
 *
 * Internal to lib/.
 */
#ifndef GCEB_GCE_H
#define GCEB_GCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gceb/err.h"
#include "http.h"
#include "sha1.h"
#include "state.pb-c.h"

/* The root GCE writes into selfLinks, and the root of image and network URLs. */
#define GCEB_GCE_CANONICAL_ROOT "https://www.googleapis.com/"
/* The modern root, also taken as GCE's own in stored URLs. */
#define GCEB_GCE_MODERN_ROOT    "https://compute.googleapis.com/"

/* maxResults of listInstances (docs/design/instances.md). */
#define GCEB_GCE_LIST_PAGE_SIZE       500
/* Most items taken from one listInstances page; more is a malformed answer. */
#define GCEB_GCE_LIST_MAX_ITEMS       1000
/* Pages a caller should follow before giving up (100,000 instances at 500 a page). */
#define GCEB_GCE_LIST_MAX_PAGES       200
/* Most instance URLs in one deleteInstances call (GCE's own limit). */
#define GCEB_GCE_DELETE_MAX_INSTANCES 1000
/* Most metadata items read from or sent to an instance. */
#define GCEB_GCE_METADATA_MAX_ITEMS   1024

/* ---- URLs ---- */

/*
 * The URL to call for a server-minted @stored_url (docs/design/compute.md):
 * if it begins with @root, GCEB_GCE_CANONICAL_ROOT or
 * GCEB_GCE_MODERN_ROOT, the path after that root is appended to @root. The
 * path must start with "compute/v1/projects/" and hold only [A-Za-z0-9._~:/-],
 * no "..", no empty segment. *@out is a new string (owned; free()).
 * Returns 0, GCEB_EAUTH (another host: the message names it), GCEB_EPARSE
 * (a bad path) or GCEB_ENOMEM.
 */
int gceb_gce_resolve(const char *root, const char *stored_url, char **out, struct gceb_err *err);

/* The last path segment of @url (the instance name of an instance URL); borrowed from @url. */
const char *gceb_gce_url_name(const char *url);

/*
 * Whether @url, read from a listing of group @group's members, is the URL
 * of an instance of that group's project and zone: it passes
 * gceb_gce_resolve() and its path is exactly
 * compute/v1/projects/@project/zones/@zone/instances/NAME, NAME an RFC 1035
 * name. Returns 0, GCEB_EAUTH (another host) or GCEB_EPARSE (another
 * shape), with a message naming the URL.
 */
int gceb_gce_check_instance_url(const char *root, const char *project, const char *zone,
				const char *url, struct gceb_err *err);

/* ---- request builders ---- */

/*
 * instanceTemplates.insert for Revision @r of template @base at revision @rev
 * (40 hex): POST {root}compute/v1/projects/{r.project}/global/instanceTemplates
 * with the body of docs/design/create.md, named "@base-@rev". A network_url that is
 * a bare name becomes the canonical URL of that network in r.project; a
 * partial or https URL is sent as given. diskSizeGb, an int64, is sent as a
 * JSON string, as the API documents it.
 */
int gceb_gce_template_insert(const char *root, const char *base, const char *rev,
			     const Gceb__State__Revision *r, struct gceb_http_request **out,
			     struct gceb_err *err);

/* instanceTemplates.get: GET .../projects/{project}/global/instanceTemplates/{name}. */
int gceb_gce_template_get(const char *root, const char *project, const char *name,
			  struct gceb_http_request **out, struct gceb_err *err);

/*
 * instanceGroupManagers.insert: POST .../projects/{project}/zones/{zone}/
 * instanceGroupManagers with {"baseInstanceName": "@base-<@rev[0:8]>-@zone",
 * "instanceTemplate": @template_url, "name": "@base-@rev", "targetSize": 0}
 * (docs/design/create.md with docs/design/departures.md). @template_url is sent as
 * stored and must pass gceb_gce_resolve().
 */
int gceb_gce_igm_insert(const char *root, const char *project, const char *zone, const char *base,
			const char *rev, const char *template_url, struct gceb_http_request **out,
			struct gceb_err *err);

/* instanceGroupManagers.get: GET .../zones/{zone}/instanceGroupManagers/{name}. */
int gceb_gce_igm_get(const char *root, const char *project, const char *zone, const char *name,
		     struct gceb_http_request **out, struct gceb_err *err);

/*
 * instanceGroups.listInstances: POST .../zones/{zone}/instanceGroups/{group}/
 * listInstances?maxResults=500[&pageToken=T], no body. @page_token may be
 * NULL or "" for the first page; it is percent-encoded.
 */
int gceb_gce_list_instances(const char *root, const char *project, const char *zone,
			    const char *group, const char *page_token,
			    struct gceb_http_request **out, struct gceb_err *err);

/*
 * instanceGroupManagers.deleteInstances: POST .../instanceGroupManagers/
 * {igm}/deleteInstances with {"instances": [@urls...]}, 1 to
 * GCEB_GCE_DELETE_MAX_INSTANCES URLs, each sent as stored and checked with
 * gceb_gce_resolve().
 */
int gceb_gce_delete_instances(const char *root, const char *project, const char *zone,
			      const char *igm, const char *const *urls, size_t n_urls,
			      struct gceb_http_request **out, struct gceb_err *err);

/*
 * instanceGroupManagers.resize: POST .../instanceGroupManagers/{igm}/resize?size=@size,
 * no body; @size from 0 to INT32_MAX.
 */
int gceb_gce_resize(const char *root, const char *project, const char *zone, const char *igm,
		    int64_t size, struct gceb_http_request **out, struct gceb_err *err);

/* A metadata item; @value NULL means "no value" (delete, in an update). */
struct gceb_gce_item {
	char *key;
	char *value;
};

/*
 * instances.setMetadata: POST .../zones/{zone}/instances/{instance}/setMetadata
 * with {"kind": "compute#metadata", "fingerprint": @fingerprint, "items":
 * [{"key", "value"}...]} (an item with a NULL value is sent without "value").
 */
int gceb_gce_set_metadata(const char *root, const char *project, const char *zone,
			  const char *instance, const char *fingerprint,
			  const struct gceb_gce_item *items, size_t n_items,
			  struct gceb_http_request **out, struct gceb_err *err);

/* Length of a UUID in its text form, 8-4-4-4-12 hex digits. */
#define GCEB_GCE_UUID_LEN 36

/*
 * The requestId of a mutation (docs/design/compute.md "requestId"): a UUID of
 * version 5's layout (RFC 4122 section 4.3: SHA-1 of a namespace and a name) whose
 * name is @req's method, its URL from "compute/v1/" on (so the root does not
 * matter), @salt (what sets this attempt apart; NULL is "") and its body.
 * The same request with the same salt always has the same id; any other
 * request, or another salt, another id. Returns 0 or GCEB_ENOMEM.
 */
int gceb_gce_request_id(const struct gceb_http_request *req, const char *salt,
			char out[GCEB_GCE_UUID_LEN + 1], struct gceb_err *err);

/*
 * Append "requestId=<gceb_gce_request_id()>" to @req's query. Call it once
 * the request is complete. Returns 0 or GCEB_ENOMEM.
 */
int gceb_gce_add_request_id(struct gceb_http_request *req, const char *salt, struct gceb_err *err);

/* Length of a request nonce: 128 random bits in lower-case hex. */
#define GCEB_GCE_NONCE_LEN 32

/* A new random nonce (OpenSSL's RAND_bytes). Returns 0 or GCEB_EBUG. */
int gceb_gce_new_nonce(char out[GCEB_GCE_NONCE_LEN + 1], struct gceb_err *err);

/* GET of a stored URL (an instance, an operation), resolved by gceb_gce_resolve(). */
int gceb_gce_get_stored(const char *root, const char *url, struct gceb_http_request **out,
			struct gceb_err *err);

/* DELETE of a stored URL (a template, a group), resolved by gceb_gce_resolve(). */
int gceb_gce_delete_stored(const char *root, const char *url, struct gceb_http_request **out,
			   struct gceb_err *err);

/* ---- response mappers ---- */

/* An Operation (docs/design/compute.md). */
struct gceb_gce_operation {
	char *name;        /* NULL if absent */
	char *status;      /* required: "PENDING", "RUNNING", "DONE" (others kept as sent) */
	char *target_link; /* NULL if absent */
	char *self_link;   /* required */
	bool done;         /* status is "DONE" */
	/* error.errors is non-empty: a DONE operation then failed. */
	bool has_error;
	char *error_code;          /* the first error's code, or NULL */
	char *error_message;       /* the first error's message, or NULL */
	int64_t http_error_status; /* httpErrorStatusCode, 0 if absent */
};

int gceb_gce_parse_operation(const char *body, size_t len, struct gceb_gce_operation *out,
			     struct gceb_err *err);
void gceb_gce_operation_release(struct gceb_gce_operation *op);

/* The required "selfLink" of a resource (template or group get). *@out is owned (free()). */
int gceb_gce_parse_self_link(const char *body, size_t len, char **out, struct gceb_err *err);

/* An instanceGroupManagers.get answer (docs/design/compute.md). */
struct gceb_gce_igm {
	char *name;          /* required */
	int64_t target_size; /* 0 if absent */
	bool has_none;       /* currentActions.none was present */
	int64_t none;        /* currentActions.none if has_none */
};

int gceb_gce_parse_igm(const char *body, size_t len, struct gceb_gce_igm *out,
		       struct gceb_err *err);
void gceb_gce_igm_release(struct gceb_gce_igm *igm);

/*
 * One listInstances page (docs/design/compute.md): the items' instance URLs, each
 * ending in an RFC 1035 name. A page without "items" is empty, on any page
 * (docs/design/departures.md). More than GCEB_GCE_LIST_MAX_ITEMS is GCEB_EPARSE.
 */
struct gceb_gce_instance_page {
	char **urls;
	size_t n_urls;
	char *next_page_token; /* NULL on the last page (absent or "") */
};

int gceb_gce_parse_instance_page(const char *body, size_t len, struct gceb_gce_instance_page *out,
				 struct gceb_err *err);
void gceb_gce_instance_page_release(struct gceb_gce_instance_page *page);

/*
 * The metadata of an instances.get answer (docs/design/compute.md): metadata.fingerprint
 * is required; missing items are an empty list (docs/design/departures.md), an item
 * without "value" has the value "".
 */
struct gceb_gce_metadata {
	char *fingerprint;
	struct gceb_gce_item *items;
	size_t n_items;
};

int gceb_gce_parse_instance_metadata(const char *body, size_t len, struct gceb_gce_metadata *out,
				     struct gceb_err *err);
void gceb_gce_metadata_release(struct gceb_gce_metadata *md);

/* ---- decisions ---- */

/* What the resize rule (docs/design/instances.md) looks at. */
struct gceb_gce_resize_input {
	int64_t minimum_size; /* of the group's manager */
	int64_t maximum_size; /* 0: unlimited (docs/design/departures.md) */
	int64_t other;        /* instances of the template's other groups in the same zone */
	int64_t leased;       /* leased instances of this group */
	int64_t idle;         /* currentActions.none */
	int64_t target_size;  /* the group's targetSize */
};

/*
 * The size to resize to, or false for "no call". want = max(minimum,
 * ceil(leased * 1.1)) in IEEE double; new = min(want, maximum - other,
 * idle + 100), with an unlimited maximum min(want, 1000, idle + 100); a
 * call only if new > min(idle, target_size).
 */
bool gceb_gce_resize_size(const struct gceb_gce_resize_input *in, int64_t *new_size);

/*
 * The new item list for setMetadata (docs/design/metadata.md step 2 with
 * docs/design/departures.md): @cur in order, an item whose key @update names replaced by
 * the update's value or dropped if that value is unset; then the update's
 * other keys with a value, in update order. Within @update the last item of
 * a key wins. *@out (owned; gceb_gce_items_free()) has only set values.
 * Returns 0, GCEB_EPARSE (more than GCEB_GCE_METADATA_MAX_ITEMS) or
 * GCEB_ENOMEM.
 */
int gceb_gce_metadata_apply(const struct gceb_gce_item *cur, size_t n_cur,
			    Gceb__State__MetadataItem *const *update, size_t n_update,
			    struct gceb_gce_item **out, size_t *n_out, struct gceb_err *err);
void gceb_gce_items_free(struct gceb_gce_item *items, size_t n);

/*
 * MetadataUpdate.checksum: the hex SHA-1 of the canonical JSON (docs/design/config.md)
 * of the update's map, an unset value being null and the last item
 * of a key winning. Returns 0 or GCEB_ENOMEM.
 */
int gceb_gce_metadata_checksum(Gceb__State__MetadataItem *const *items, size_t n,
			       char out[GCEB_SHA1_HEX_LEN + 1]);

/* ---- listing templates and groups by name (docs/design/orphans.md) ---- */

/*
 * instanceTemplates.list: GET .../projects/{project}/global/instanceTemplates
 * ?maxResults=500[&pageToken=T]. @page_token may be NULL or "" for the first page.
 */
int gceb_gce_list_templates(const char *root, const char *project, const char *page_token,
			    struct gceb_http_request **out, struct gceb_err *err);

/* instanceGroupManagers.list: GET .../zones/{zone}/instanceGroupManagers?maxResults=500[&...]. */
int gceb_gce_list_igms(const char *root, const char *project, const char *zone,
		       const char *page_token, struct gceb_http_request **out,
		       struct gceb_err *err);

/*
 * One page of either list: each item's name and selfLink (required, the
 * link ending in the name). A page without "items" is empty. More than
 * GCEB_GCE_LIST_MAX_ITEMS is GCEB_EPARSE.
 */
struct gceb_gce_name_page {
	char **names;
	char **urls;
	size_t n;
	char *next_page_token; /* NULL on the last page */
};

int gceb_gce_parse_name_page(const char *body, size_t len, struct gceb_gce_name_page *out,
			     struct gceb_err *err);
void gceb_gce_name_page_release(struct gceb_gce_name_page *page);

#endif
