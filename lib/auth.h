/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - OAuth2 access tokens, tried in this order:
 *   1. a token file (--token-file / GCEB_TOKEN_FILE): the token, one line;
 *   2. a service-account key (GOOGLE_APPLICATION_CREDENTIALS or an option):
 *      a JWT signed RS256 with OpenSSL libcrypto, exchanged at its token_uri;
 *   3. the GCE metadata server (GCE_METADATA_HOST, default
 *      metadata.google.internal), with Metadata-Flavor: Google.
 * The first source configured is the one used: a token file or key that
 * was given but fails is an error, never a silent fall-back to another
 * identity. The metadata server is asked only when neither was given.
 *
 * A token is fetched once per scope per run and reused until a minute
 * before it expires (halfway, for short-lived ones). A failure is remembered
 * for the run too. A key or token file readable by group or others is
 * refused. A key's token_uri must be https and start with one of
 * token_roots (if any), or be on a loopback host (http or https). Tokens are never logged.
 */
#ifndef GCEB_AUTH_H
#define GCEB_AUTH_H

#include "gceb/err.h"

struct gceb_auth;

struct gceb_auth_options {
	const char *token_file;       /* NULL: skip source 1 */
	const char *key_file;         /* NULL: skip source 2 */
	const char *metadata_host;    /* NULL: metadata.google.internal */
	const char *metadata_account; /* NULL: "default" */
	/* token_uri of a key file must start with one of these (if any), or be on a loopback host
	 */
	const char *const *token_roots;
	size_t n_token_roots;
	const char *ca_file; /* NULL: the system's CA store (gceb_http_transport(), http.h) */
	const char *proxy;   /* NULL: none; only for an https token_uri */
};

/* @opts is copied. Nothing is read or fetched until the first token is asked for. */
int gceb_auth_new(const struct gceb_auth_options *opts, struct gceb_auth **out,
		  struct gceb_err *err);
void gceb_auth_free(struct gceb_auth *auth); /* NULL is a no-op */

/*
 * Check, before anything is sent, that the token or key file that will be
 * used (if one was given) can be read and is readable by its owner only.
 * Returns 0, GCEB_ECONFIG or GCEB_ENOMEM. Nothing is fetched.
 */
int gceb_auth_check(const struct gceb_auth *auth, struct gceb_err *err);

/*
 * A bearer token for @scope, fetched on first use and cached. *@token is
 * borrowed until the next call for @scope or gceb_auth_free(). Returns 0,
 * GCEB_EAUTH (rejected, or no source available, with what was tried),
 * GCEB_ENET (the token endpoint kept failing), GCEB_EPARSE (its answer holds
 * no usable token), or GCEB_ECONFIG (bad key or token file, or one readable
 * by others).
 */
int gceb_auth_token(struct gceb_auth *auth, const char *scope, const char **token,
		    struct gceb_err *err);

/*
 * Drop the cached token of @scope (an API refused it), so that the next
 * gceb_auth_token() fetches another. A token previously returned for @scope
 * is invalid from here on.
 */
void gceb_auth_forget(struct gceb_auth *auth, const char *scope);

#endif
