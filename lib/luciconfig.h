/* SPDX-License-Identifier: Apache-2.0 */
/*
 * luciconfig.h - LUCI config service v1 (docs/design/luci-config.md): request builders and
 * response mappers, pure. @base is the service's API root, e.g.
 * "https://luci-config.appspot.com/_ah/api/config/v1/" (a missing final '/'
 * is supplied). Internal to lib/.
 */
#ifndef GCEB_LUCICONFIG_H
#define GCEB_LUCICONFIG_H

#include <stddef.h>

#include "gceb/err.h"
#include "http.h"

/*
 * get_config with hash_only: GET {base}config_sets/{set}/config/{path}?hash_only=true,
 * each segment percent-encoded with no safe characters ("services/x" becomes
 * "services%2Fx").
 */
int gceb_luci_get_hash(const char *base, const char *config_set, const char *path,
		       struct gceb_http_request **out, struct gceb_err *err);

/* get_config_by_hash: GET {base}config/{hash} (the hash is sent as is: "v1:<hex>"). */
int gceb_luci_get_by_hash(const char *base, const char *hash, struct gceb_http_request **out,
			  struct gceb_err *err);

/* A get_config answer: revision and content_hash, both required. Owned strings. */
struct gceb_luci_hash {
	char *revision;
	char *content_hash;
};

int gceb_luci_parse_hash(const char *body, size_t len, struct gceb_luci_hash *out,
			 struct gceb_err *err);
void gceb_luci_hash_release(struct gceb_luci_hash *h);

/*
 * A get_config_by_hash answer: the base64 "content" (standard alphabet,
 * URL-safe tolerated), decoded into a NUL-terminated *@out of *@len bytes.
 * Content over @max bytes is GCEB_ECONFIG.
 */
int gceb_luci_parse_content(const char *body, size_t len, size_t max, char **out, size_t *out_len,
			    struct gceb_err *err);

/*
 * Whether @len bytes of @content are what @content_hash says: "v1:" and
 * the git blob SHA-1 in lower-case hex (docs/configuration.md). An answer
 * cut short or emptied on the way would otherwise be imported, and drain
 * the groups it lost. GCEB_EPARSE if not.
 */
int gceb_luci_check_content(const char *content, size_t len, const char *content_hash,
			    struct gceb_err *err);

#endif
