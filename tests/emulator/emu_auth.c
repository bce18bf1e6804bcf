/* SPDX-License-Identifier: Apache-2.0 */
/* emu_auth.c - OAuth2: JWT-bearer grant, metadata-server tokens, bearer checks */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "emu.h"

#define MAX_KEYS  16
#define JWT_SKEW  300
#define MD_EMAIL  "gceb@emulator.iam.gserviceaccount.com"
#define MD_SCOPES EMU_SCOPE_CLOUD " " EMU_SCOPE_COMPUTE " " EMU_SCOPE_EMAIL

struct emu_auth {
	struct emu_map tokens;
	EVP_PKEY *keys[MAX_KEYS];
	size_t nkeys;
};

static struct emu_auth *auth(struct emu *e)
{
	if (!e->auth)
		e->auth = emu_xcalloc(1, sizeof(*e->auth));
	return e->auth;
}

const char *emu_auth_mint(struct emu *e, const char *email, const char *scopes, int64_t ttl_s)
{
	struct emu_token *t = emu_xcalloc(1, sizeof(*t));

	t->token = emu_xasprintf("ya29.emu.%016" PRIx64 "%016" PRIx64, emu_rand(e), emu_rand(e));
	t->email = emu_xstrdup(email);
	t->scopes = emu_xstrdup(scopes);
	t->expiry = emu_real_ms() + ttl_s * 1000;
	emu_map_put(&auth(e)->tokens, t->token, t);
	return t->token;
}

static void token_free(struct emu_token *t)
{
	if (!t)
		return;
	free(t->token);
	free(t->email);
	free(t->scopes);
	free(t);
}

bool emu_auth_revoke(struct emu *e, const char *token)
{
	struct emu_token *t = emu_map_del(&auth(e)->tokens, token);

	token_free(t);
	return t != NULL;
}

static bool has_scope(const char *list, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = list;

	while ((p = strstr(p, scope))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/*
 * Token checks as Google's front ends make them (docs/design/auth.md). Token expiry
 * runs on the real clock: clients compute it from expires_in in real time,
 * whatever --time-scale says.
 */
int emu_auth_check(struct emu *e, struct emu_req *req, const char *const *scopes,
		   struct emu_reply *rep)
{
	const char *h = emu_req_header(req, "Authorization");
	const struct emu_token *t = NULL;
	size_t i;

	if (h && strncasecmp(h, "Bearer ", 7) == 0)
		t = emu_map_get(&auth(e)->tokens, h + 7);
	if (t && t->expiry <= emu_real_ms())
		t = NULL;
	if (!t && e->no_auth) {
		req->email = "anonymous@emulator";
		req->scopes = "";
		return 0;
	}
	if (!h) {
		emu_reply_error(rep, 401, "required", "Login Required");
		return -1;
	}
	if (!t) {
		emu_reply_error(rep, 401, "authError", "Invalid Credentials");
		return -1;
	}
	for (i = 0; scopes && scopes[i]; i++) {
		if (has_scope(t->scopes, scopes[i]))
			break;
	}
	if (scopes && !scopes[i]) {
		emu_reply_error(rep, 403, "insufficientPermissions",
				"Request had insufficient authentication scopes.");
		return -1;
	}
	req->email = t->email;
	req->scopes = t->scopes;
	return 0;
}

int emu_auth_add_key_pem(struct emu *e, const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!k)
		return -1;
	if (auth(e)->nkeys == MAX_KEYS) {
		EVP_PKEY_free(k);
		return -1;
	}
	e->auth->keys[e->auth->nkeys++] = k;
	return 0;
}

int emu_auth_add_key_file(struct emu *e, const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[16384];
	size_t n;
	int r = -1;

	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		if (n < sizeof(buf) && !ferror(f))
			r = emu_auth_add_key_pem(e, buf, n);
		(void)fclose(f);
	}
	if (r < 0)
		(void)fprintf(stderr, "gceb-emulator: error: cannot load public key '%s'\n", path);
	return r;
}

/* base64url without padding (RFC 7515); returns a malloc'd buffer or NULL. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
	unsigned char *out = emu_xmalloc(n * 3 / 4 + 3);
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (n % 4 == 1)
		goto bad;
	*out_len = o;
	return out;
bad:
	free(out);
	return NULL;
}

static cJSON *b64url_json(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = b64url_decode(s, n, &len);
	cJSON *j;

	if (!raw)
		return NULL;
	j = cJSON_ParseWithLength((const char *)raw, len);
	free(raw);
	return j;
}

static void oauth_error(struct emu_reply *rep, const char *error, const char *desc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", error);
	cJSON_AddStringToObject(o, "error_description", desc);
	emu_reply_json(rep, 400, o);
}

static bool verify(struct emu *e, const char *input, size_t input_len, const unsigned char *sig,
		   size_t sig_len)
{
	size_t i;

	for (i = 0; i < auth(e)->nkeys; i++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		bool ok = ctx &&
			  EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, e->auth->keys[i]) ==
				  1 &&
			  EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input,
					   input_len) == 1;

		EVP_MD_CTX_free(ctx);
		if (ok)
			return true;
	}
	return false;
}

static bool aud_ok(struct emu *e, const char *aud)
{
	static const char *const known[] = { "https://oauth2.googleapis.com/token",
					     "https://accounts.google.com/o/oauth2/token",
					     "https://www.googleapis.com/oauth2/v4/token" };
	char *own = emu_xasprintf("%s/token", e->root);
	bool ok = strcmp(aud, own) == 0 || (e->token_audience && !strcmp(aud, e->token_audience));
	size_t i;

	free(own);
	for (i = 0; i < sizeof(known) / sizeof(known[0]) && !ok; i++)
		ok = strcmp(aud, known[i]) == 0;
	return ok;
}

/* Form fields of the body; values are decoded in place in a copy. */
static char *form_field(const char *body, const char *name)
{
	size_t n = strlen(name);
	const char *p = body;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			char *v = emu_xstrndup(p + n + 1, len - n - 1);

			(void)emu_pct_decode(v, true);
			return v;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* POST /token: RFC 7523 JWT-bearer grant (docs/design/auth.md, docs/emulator.md). */
void emu_auth_handle_token(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	char *grant = NULL, *jwt = NULL;
	const char *dot1, *dot2;
	cJSON *hdr = NULL, *claims = NULL, *o;
	const cJSON *alg, *iss, *scope, *aud;
	unsigned char *sig = NULL;
	size_t sig_len;
	int64_t iat, exp, now = emu_real_ms() / 1000;

	if (!emu_req_is(req, "POST")) {
		emu_reply_error(rep, 405, "badRequest", "use POST");
		return;
	}
	if (req->body) {
		grant = form_field(req->body, "grant_type");
		jwt = form_field(req->body, "assertion");
	}
	if (!grant || strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0) {
		oauth_error(rep, "unsupported_grant_type", "Invalid grant_type.");
		goto out;
	}
	dot1 = jwt ? strchr(jwt, '.') : NULL;
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || strchr(dot2 + 1, '.')) {
		oauth_error(rep, "invalid_request", "Invalid JWT.");
		goto out;
	}
	hdr = b64url_json(jwt, (size_t)(dot1 - jwt));
	claims = b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
	alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
	if (!hdr || !claims || !sig || !cJSON_IsString(alg) ||
	    strcmp(alg->valuestring, "RS256") != 0) {
		oauth_error(rep, "invalid_request", "Invalid JWT.");
		goto out;
	}
	if (!verify(e, jwt, (size_t)(dot2 - jwt), sig, sig_len)) {
		oauth_error(rep, "invalid_grant", "Invalid JWT Signature.");
		goto out;
	}
	iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
	scope = cJSON_GetObjectItemCaseSensitive(claims, "scope");
	aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
	if (!emu_json_get_int(cJSON_GetObjectItemCaseSensitive(claims, "iat"), &iat) ||
	    !emu_json_get_int(cJSON_GetObjectItemCaseSensitive(claims, "exp"), &exp) ||
	    exp <= iat || exp - iat > 3600 || iat > now + JWT_SKEW || iat < now - JWT_SKEW - 3600 ||
	    exp < now) {
		oauth_error(
			rep, "invalid_grant",
			"Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
			"reasonable timeframe. Check your iat and exp values in the JWT claim.");
		goto out;
	}
	if (!cJSON_IsString(aud) || !aud_ok(e, aud->valuestring)) {
		oauth_error(rep, "invalid_grant", "Invalid JWT: Failed audience check.");
		goto out;
	}
	if (!cJSON_IsString(iss) || !iss->valuestring[0]) {
		oauth_error(rep, "invalid_grant", "Invalid JWT: no issuer.");
		goto out;
	}
	if (!cJSON_IsString(scope) || !scope->valuestring[0]) {
		oauth_error(rep, "invalid_scope",
			    "Invalid OAuth scope or ID token audience provided.");
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(
		o, "access_token",
		emu_auth_mint(e, iss->valuestring, scope->valuestring, e->k.token_ttl_s));
	cJSON_AddNumberToObject(o, "expires_in", (double)e->k.token_ttl_s);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	emu_reply_json(rep, 200, o);
out:
	free(grant);
	free(jwt);
	free(sig);
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
}

/* The GCE metadata server (docs/design/auth.md, docs/emulator.md). */
void emu_auth_handle_metadata(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	const char *flavor = emu_req_header(req, "Metadata-Flavor");
	char **s = req->segs + 2; /* after computeMetadata v1 */
	size_t n = req->nsegs - 2;

	if (!flavor || strcasecmp(flavor, "Google") != 0 ||
	    emu_req_header(req, "X-Forwarded-For")) {
		emu_reply_text(rep, 403, "text/html; charset=UTF-8",
			       "Missing Metadata-Flavor:Google header.\n");
		goto out;
	}
	if (!emu_req_is(req, "GET")) {
		emu_reply_text(rep, 405, "text/plain", "Method not allowed\n");
		goto out;
	}
	if (n == 4 && strcmp(s[0], "instance") == 0 && strcmp(s[1], "service-accounts") == 0 &&
	    (strcmp(s[2], "default") == 0 || strcmp(s[2], MD_EMAIL) == 0)) {
		if (strcmp(s[3], "email") == 0) {
			emu_reply_text(rep, 200, "application/text", MD_EMAIL);
			goto out;
		}
		if (strcmp(s[3], "token") == 0) {
			const char *sc = emu_req_arg(req, "scopes");
			char *scopes = emu_xstrdup(sc && *sc ? sc : MD_SCOPES);
			cJSON *o = cJSON_CreateObject();
			char *p;

			for (p = scopes; *p; p++) {
				if (*p == ',')
					*p = ' ';
			}
			cJSON_AddStringToObject(
				o, "access_token",
				emu_auth_mint(e, MD_EMAIL, scopes, e->k.metadata_ttl_s));
			cJSON_AddNumberToObject(o, "expires_in", (double)e->k.metadata_ttl_s);
			cJSON_AddStringToObject(o, "token_type", "Bearer");
			emu_reply_json(rep, 200, o);
			free(scopes);
			goto out;
		}
	}
	if (n == 2 && strcmp(s[0], "project") == 0 && strcmp(s[1], "project-id") == 0) {
		emu_reply_text(rep, 200, "application/text", "emulator-project");
		goto out;
	}
	if (n == 2 && strcmp(s[0], "instance") == 0 && strcmp(s[1], "name") == 0) {
		emu_reply_text(rep, 200, "application/text", "emulator-vm");
		goto out;
	}
	emu_reply_text(rep, 404, "text/html; charset=UTF-8", "Not Found\n");
out:
	rep->hdr_name = "Metadata-Flavor";
	rep->hdr_value = "Google";
}

cJSON *emu_auth_dump(struct emu *e)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < auth(e)->tokens.cap; i++) {
		const struct emu_token *t = e->auth->tokens.slots[i].val;
		int64_t left_s;
		cJSON *o;

		if (!e->auth->tokens.slots[i].key)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "access_token", t->token);
		cJSON_AddStringToObject(o, "email", t->email);
		cJSON_AddStringToObject(o, "scopes", t->scopes);
		/* Whole seconds, as the token endpoint's expires_in. */
		left_s = (t->expiry - emu_real_ms()) / 1000;
		cJSON_AddNumberToObject(o, "expires_in_s", (double)left_s);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void emu_auth_free(struct emu *e)
{
	size_t i;

	if (!e->auth)
		return;
	for (i = 0; i < e->auth->tokens.cap; i++) {
		if (e->auth->tokens.slots[i].key)
			token_free(e->auth->tokens.slots[i].val);
	}
	for (i = 0; i < e->auth->nkeys; i++)
		EVP_PKEY_free(e->auth->keys[i]);
	emu_map_release(&e->auth->tokens);
	free(e->auth);
	e->auth = NULL;
}
