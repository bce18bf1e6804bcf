/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_auth.c - OAuth2 token endpoint, metadata server and bearer checks */
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "runner.h"
#include "test_emu_common.h"

#define URL "/compute/v1/projects/p/global/instanceTemplates"

static EVP_PKEY *key;

/* The key pair is made once; each test's emulator trusts its public half. */
static int setup(void **state)
{
	EVP_PKEY_CTX *ctx = NULL;
	char path[300];
	const char *const args[] = { "--sa-public-key", path, NULL };
	FILE *f = NULL;
	int r = -1;

	(void)state;
	if (!key) {
		ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 ||
		    EVP_PKEY_keygen(ctx, &key) != 1)
			goto out;
	}
	(void)snprintf(path, sizeof(path), "/tmp/gceb-emu-key-%ld.pem", (long)getpid());
	f = fopen(path, "w");
	if (!f || PEM_write_PUBKEY(f, key) != 1)
		goto out;
	(void)fclose(f);
	f = NULL;
	r = start_emu(args);
out:
	if (f)
		(void)fclose(f);
	(void)remove(path);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static char *b64url(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	size_t i, w = 0;

	(void)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	for (i = 0; out[i] && out[i] != '='; i++) {
		char ch = out[i];

		if (ch == '+')
			ch = '-';
		else if (ch == '/')
			ch = '_';
		out[w++] = ch;
	}
	out[w] = '\0';
	return out;
}

/* A signed JWT-bearer assertion; sign_with NULL means "with the test key". */
static char *make_jwt(const char *aud, long iat, long exp, const char *scope, EVP_PKEY *sign_with)
{
	char claims[1024], *h, *c, *input, *sig64, *jwt;
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";

	(void)snprintf(claims, sizeof(claims),
		       "{\"iss\":\"sa@p.iam.gserviceaccount.com\",\"scope\":\"%s\",\"aud\":\"%s\","
		       "\"iat\":%ld,\"exp\":%ld}",
		       scope, aud, iat, exp);
	h = b64url((const unsigned char *)hdr, strlen(hdr));
	c = b64url((const unsigned char *)claims, strlen(claims));
	input = malloc(strlen(h) + strlen(c) + 2);
	(void)sprintf(input, "%s.%s", h, c);
	assert_int_equal(
		EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, sign_with ? sign_with : key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)),
			 1);
	sig64 = b64url(sig, siglen);
	jwt = malloc(strlen(input) + strlen(sig64) + 2);
	(void)sprintf(jwt, "%s.%s", input, sig64);
	EVP_MD_CTX_free(md);
	free(h);
	free(c);
	free(input);
	free(sig64);
	return jwt;
}

static cJSON *exchange(const char *jwt, long want)
{
	char *body = malloc(strlen(jwt) + 128);
	static const char *const hdr[] = { "Content-Type: application/x-www-form-urlencoded",
					   "Authorization:", NULL };
	struct emu_res r;
	cJSON *j;

	(void)sprintf(body,
		      "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
		      "&assertion=%s",
		      jwt);
	(void)emu_http(&P, "POST", "/token", body, 0, hdr, &r);
	assert_int_equal(r.status, want);
	j = r.json;
	r.json = NULL;
	emu_res_release(&r);
	free(body);
	return j;
}

static long now_s(void)
{
	return (long)time(NULL);
}

static void api_call_with(const char *token, long want, const char *reason)
{
	char h[300];
	const char *const hdr[] = { h, NULL };
	struct emu_res r;

	/* No token: no Authorization header at all. */
	if (token)
		(void)snprintf(h, sizeof(h), "Authorization: %s", token);
	(void)emu_http(&P, "GET", URL, NULL, 0, token ? hdr : NULL, &r);
	assert_int_equal(r.status, want);
	if (reason)
		assert_json_str(r.json, "error.errors.0.reason", reason);
	emu_res_release(&r);
}

static void api_requires_token(void **state)
{
	char saved[128];

	(void)state;
	(void)snprintf(saved, sizeof(saved), "%s", P.token);
	P.token[0] = '\0';
	api_call_with(NULL, 401, "required");
	api_call_with("Bearer nonsense", 401, "authError");
	api_call_with("Basic abc", 401, "authError");
	(void)snprintf(P.token, sizeof(P.token), "%s", saved);
	api_call_with(NULL, 200, NULL); /* the fixture's token */
}

static void wrong_scope_is_403(void **state)
{
	cJSON *t;
	char h[300];

	(void)state;
	t = emu_ctl(&P, "/_emu/tokens",
		    "{\"email\":\"x@y\",\"scopes\":[\"https://www.googleapis.com/auth/"
		    "userinfo.email\"]}");
	assert_non_null(t);
	(void)snprintf(h, sizeof(h), "Bearer %s", emu_str(t, "access_token"));
	api_call_with(h, 403, "insufficientPermissions");
	cJSON_Delete(t);
	/* a control-minted token with a short life expires on the real clock */
	t = emu_ctl(&P, "/_emu/tokens", "{\"email\":\"x@y\",\"ttl\":1}");
	(void)snprintf(h, sizeof(h), "Bearer %s", emu_str(t, "access_token"));
	api_call_with(h, 200, NULL);
	cJSON_Delete(t);
	{
		struct timespec ts = { .tv_sec = 1, .tv_nsec = 100000000 };

		(void)nanosleep(&ts, NULL);
	}
	api_call_with(h, 401, "authError");
}

static void jwt_grant_issues_token(void **state)
{
	char aud[200], h[300];
	char *jwt;
	cJSON *j, *op;

	(void)state;
	(void)snprintf(aud, sizeof(aud), "%s/token", P.root);
	jwt = make_jwt(aud, now_s() - 5, now_s() + 3595, "https://www.googleapis.com/auth/compute",
		       NULL);
	j = exchange(jwt, 200);
	free(jwt);
	assert_json_str(j, "token_type", "Bearer");
	assert_true(emu_num(j, "expires_in") > 3000);
	(void)snprintf(h, sizeof(h), "Authorization: Bearer %s", emu_str(j, "access_token"));
	{
		const char *const hdr[] = { h, NULL };
		struct emu_res r;

		(void)emu_http(&P, "POST", URL, "{\"name\":\"t\"}", 0, hdr, &r);
		assert_int_equal(r.status, 200);
		op = r.json;
		assert_json_str(op, "user", "sa@p.iam.gserviceaccount.com");
		emu_res_release(&r);
	}
	cJSON_Delete(j);
	/* Google's own audience is accepted as well */
	jwt = make_jwt("https://oauth2.googleapis.com/token", now_s(), now_s() + 3600,
		       "https://www.googleapis.com/auth/compute", NULL);
	cJSON_Delete(exchange(jwt, 200));
	free(jwt);
}

static void jwt_grant_errors(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *other = NULL;
	char aud[200];
	char *jwt;
	cJSON *j;

	(void)state;
	(void)snprintf(aud, sizeof(aud), "%s/token", P.root);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &other), 1);
	EVP_PKEY_CTX_free(ctx);

	jwt = make_jwt(aud, now_s(), now_s() + 3600, "s", other);
	j = exchange(jwt, 400);
	assert_json_str(j, "error", "invalid_grant");
	assert_json_str(j, "error_description", "Invalid JWT Signature.");
	cJSON_Delete(j);
	free(jwt);
	EVP_PKEY_free(other);

	jwt = make_jwt("https://elsewhere/token", now_s(), now_s() + 3600, "s", NULL);
	j = exchange(jwt, 400);
	assert_json_str(j, "error_description", "Invalid JWT: Failed audience check.");
	cJSON_Delete(j);
	free(jwt);

	jwt = make_jwt(aud, now_s(), now_s() + 7200, "s", NULL);
	j = exchange(jwt, 400);
	assert_json_str(j, "error", "invalid_grant");
	cJSON_Delete(j);
	free(jwt);

	jwt = make_jwt(aud, now_s() - 7300, now_s() - 3700, "s", NULL);
	cJSON_Delete(exchange(jwt, 400));
	free(jwt);

	jwt = make_jwt(aud, now_s(), now_s() + 3600, "", NULL);
	j = exchange(jwt, 400);
	assert_json_str(j, "error", "invalid_scope");
	cJSON_Delete(j);
	free(jwt);

	cJSON_Delete(exchange("not.a-jwt", 400));
	cJSON_Delete(exchange("", 400));
}

static void metadata_server_token(void **state)
{
	static const char *const good[] = { "Metadata-Flavor: Google", NULL };
	static const char *const fwd[] = { "Metadata-Flavor: Google", "X-Forwarded-For: 1.2.3.4",
					   NULL };
	static const char path[] = "/computeMetadata/v1/instance/service-accounts/default/token";
	struct emu_res r;
	char h[300];

	(void)state;
	(void)emu_http(&P, "GET", path, NULL, 0, NULL, &r);
	assert_int_equal(r.status, 403);
	assert_null(r.json);
	emu_res_release(&r);
	(void)emu_http(&P, "GET", path, NULL, 0, fwd, &r);
	assert_int_equal(r.status, 403);
	emu_res_release(&r);
	(void)emu_http(&P, "GET", "/computeMetadata/v1/instance/service-accounts/who/token", NULL,
		       0, good, &r);
	assert_int_equal(r.status, 404);
	emu_res_release(&r);

	CTL("/_emu/config", "{\"metadata_ttl_s\":70}");
	(void)emu_http(&P, "GET", path, NULL, 0, good, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.flavor, "Google");
	assert_int_equal((int)emu_num(r.json, "expires_in"), 70);
	assert_json_str(r.json, "token_type", "Bearer");
	(void)snprintf(h, sizeof(h), "Bearer %s", emu_str(r.json, "access_token"));
	emu_res_release(&r);
	api_call_with(h, 200, NULL);

	(void)emu_http(&P, "GET", "/computeMetadata/v1/instance/service-accounts/default/email",
		       NULL, 0, good, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "@"));
	emu_res_release(&r);
	(void)emu_http(&P, "GET", "/computeMetadata/v1/project/project-id", NULL, 0, good, &r);
	assert_int_equal(r.status, 200);
	emu_res_release(&r);

	/* narrower scopes on request */
	(void)emu_http(&P, "GET",
		       "/computeMetadata/v1/instance/service-accounts/default/token?scopes="
		       "https://www.googleapis.com/auth/userinfo.email",
		       NULL, 0, good, &r);
	(void)snprintf(h, sizeof(h), "Bearer %s", emu_str(r.json, "access_token"));
	emu_res_release(&r);
	api_call_with(h, 403, "insufficientPermissions");
}

static void revoked_token_is_401(void **state)
{
	char body[300];

	(void)state;
	(void)snprintf(body, sizeof(body), "{\"token\":\"%s\"}", P.token);
	api_call_with(NULL, 200, NULL);
	CTL("/_emu/tokens/revoke", body);
	api_call_with(NULL, 401, "authError");
}

static void no_auth_mode(void **state)
{
	static const char *const args[] = { "--no-auth", NULL };

	(void)state;
	restart(args);
	api_call_with(NULL, 200, NULL);
	api_call_with("Bearer unknown", 200, NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(api_requires_token, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_scope_is_403, setup, teardown),
		cmocka_unit_test_setup_teardown(jwt_grant_issues_token, setup, teardown),
		cmocka_unit_test_setup_teardown(jwt_grant_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_server_token, setup, teardown),
		cmocka_unit_test_setup_teardown(revoked_token_is_401, setup, teardown),
		cmocka_unit_test_setup_teardown(no_auth_mode, setup, teardown),
	};
	int r = gceb_test_run("emulator.auth", tests, argc, argv);

	EVP_PKEY_free(key);
	return r;
}
