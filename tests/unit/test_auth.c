/* SPDX-License-Identifier: Apache-2.0 */
/* test_auth.c - token sources against a loopback token endpoint and metadata server */
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "runner.h"
#include "testserver.h"

#define SCOPE_COMPUTE "https://www.googleapis.com/auth/compute"
#define SCOPE_EMAIL   "https://www.googleapis.com/auth/userinfo.email"
#define EMAIL         "gceb@project.iam.gserviceaccount.com"
#define GRANT         "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
#define META_PATH     "/computeMetadata/v1/instance/service-accounts/default/token"

/* The token endpoint and metadata server in one; runs under the server's lock. */
struct fake {
	EVP_PKEY *key; /* verifies assertions */
	char token_uri[128];
	unsigned status;   /* 0: answer normally */
	const char *body;  /* with status: the answer */
	long expires_in;   /* in issued tokens */
	unsigned issued;   /* tokens handed out */
	char verdict[128]; /* why the last assertion was refused, or "ok" */
	char scope[128];   /* scope of the last assertion */
	char reply[256];
};

static EVP_PKEY *test_key;

static size_t b64url_decode(const char *in, size_t n, unsigned char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t i, len = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		const char *p = in[i] ? strchr(abc, in[i]) : NULL;

		if (!p)
			return (size_t)-1;
		acc = acc << 6 | (uint32_t)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	return len;
}

static cJSON *decode_part(const char *p, size_t n)
{
	unsigned char buf[1024];
	size_t len = n < sizeof(buf) ? b64url_decode(p, n, buf) : (size_t)-1;

	return len == (size_t)-1 ? NULL : cJSON_ParseWithLength((const char *)buf, len);
}

static const char *str(const cJSON *o, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return v ? v : "";
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* What Google's token endpoint checks (docs/design/auth.md, docs/emulator.md). */
static const char *verify(struct fake *f, const char *form)
{
	const char *jwt, *dot1, *dot2;
	unsigned char sig[512];
	size_t siglen;
	cJSON *header = NULL, *claims = NULL;
	EVP_MD_CTX *md = NULL;
	const char *why = "ok";
	double now = (double)time(NULL);

	if (strncmp(form, GRANT, strlen(GRANT)) != 0)
		return "bad grant_type";
	jwt = form + strlen(GRANT);
	dot1 = strchr(jwt, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2)
		return "not a JWT";
	siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
	md = EVP_MD_CTX_new();
	if (siglen == (size_t)-1 || !md ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, f->key) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(dot2 - jwt)) !=
		    1) {
		why = "Invalid JWT Signature.";
		goto out;
	}
	header = decode_part(jwt, (size_t)(dot1 - jwt));
	claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	(void)snprintf(f->scope, sizeof(f->scope), "%s", str(claims, "scope"));
	if (strcmp(str(header, "alg"), "RS256") != 0 || strcmp(str(header, "typ"), "JWT") != 0 ||
	    strcmp(str(header, "kid"), "kid-1") != 0)
		why = "bad header";
	else if (strcmp(str(claims, "iss"), EMAIL) != 0)
		why = "bad iss";
	else if (strcmp(str(claims, "aud"), f->token_uri) != 0)
		why = "Invalid JWT: Failed audience check.";
	else if (!*f->scope)
		why = "no scope";
	else if (num(claims, "exp") - num(claims, "iat") > 3600 ||
		 num(claims, "exp") <= num(claims, "iat") || num(claims, "iat") > now + 1 ||
		 num(claims, "iat") < now - 60)
		why = "Invalid JWT: Token must be a short-lived token";
out:
	EVP_MD_CTX_free(md);
	cJSON_Delete(header);
	cJSON_Delete(claims);
	return why;
}

static void serve(const struct ts_request *rq, struct ts_reply *reply, void *arg)
{
	struct fake *f = arg;

	if (f->status) {
		reply->status = f->status;
		reply->body = f->body;
		return;
	}
	if (!strcmp(rq->path, "/token") && !strcmp(rq->method, "POST")) {
		(void)snprintf(f->verdict, sizeof(f->verdict), "%s", verify(f, rq->body));
		if (strcmp(f->verdict, "ok") != 0) {
			(void)snprintf(f->reply, sizeof(f->reply),
				       "{\"error\":\"invalid_grant\",\"error_description\":\"%s\"}",
				       f->verdict);
			reply->status = 400;
			reply->body = f->reply;
			return;
		}
		(void)snprintf(f->reply, sizeof(f->reply),
			       "{\"access_token\":\"key-%u\",\"expires_in\":%ld,\"token_type\":"
			       "\"Bearer\"}",
			       ++f->issued, f->expires_in);
		reply->body = f->reply;
		return;
	}
	if (!strcmp(rq->path, META_PATH)) {
		if (!rq->metadata_flavor || strcmp(rq->metadata_flavor, "Google") != 0) {
			reply->status = 403;
			reply->content_type = "text/html";
			reply->body = "Missing Metadata-Flavor:Google header.";
			return;
		}
		(void)snprintf(f->reply, sizeof(f->reply),
			       "{\"access_token\":\"meta-%u\",\"expires_in\":%ld,\"token_type\":"
			       "\"Bearer\"}",
			       ++f->issued, f->expires_in);
		reply->body = f->reply;
		return;
	}
	reply->status = 404;
	reply->content_type = "text/html";
	reply->body = "not found";
}

struct fixture {
	struct fake fake;
	struct testserver *ts;
	char host[64];       /* 127.0.0.1:<port>, for metadata_host */
	char token_file[64]; /* "" until written */
	char key_file[64];
	struct gceb_auth *auth;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->fake.key = test_key;
	f->fake.expires_in = 3600;
	f->ts = ts_start(serve, &f->fake);
	if (!f->ts) {
		free(f);
		return -1;
	}
	(void)ts_url(f->ts, "/token", f->fake.token_uri, sizeof(f->fake.token_uri));
	(void)snprintf(f->host, sizeof(f->host), "%s", f->fake.token_uri + strlen("http://"));
	*strchr(f->host, '/') = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gceb_auth_free(f->auth);
	ts_stop(f->ts);
	if (*f->token_file)
		(void)unlink(f->token_file);
	if (*f->key_file)
		(void)unlink(f->key_file);
	free(f);
	return 0;
}

static void write_file(char *path, size_t size, const char *text, mode_t mode)
{
	int fd;

	(void)snprintf(path, size, "/tmp/gceb-test-auth-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	(void)close(fd);
}

static char *pem_of(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem;
	long n;

	assert_non_null(bio);
	/* OpenSSL 3 writes PKCS#8, "BEGIN PRIVATE KEY", as Google's keys are. */
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	assert_non_null(pem);
	BIO_free(bio);
	return pem;
}

/* A Google service-account JSON key signed by @key, exchanged at @token_uri. */
static void write_key_file(struct fixture *f, EVP_PKEY *key, const char *token_uri, mode_t mode)
{
	cJSON *o = cJSON_CreateObject();
	char *pem = pem_of(key), *text;

	assert_non_null(o);
	(void)cJSON_AddStringToObject(o, "type", "service_account");
	(void)cJSON_AddStringToObject(o, "project_id", "project");
	(void)cJSON_AddStringToObject(o, "private_key_id", "kid-1");
	(void)cJSON_AddStringToObject(o, "private_key", pem);
	(void)cJSON_AddStringToObject(o, "client_email", EMAIL);
	(void)cJSON_AddStringToObject(o, "client_id", "1234");
	(void)cJSON_AddStringToObject(o, "token_uri", token_uri);
	text = cJSON_Print(o);
	assert_non_null(text);
	write_file(f->key_file, sizeof(f->key_file), text, mode);
	cJSON_free(text);
	cJSON_Delete(o);
	free(pem);
}

static void new_auth(struct fixture *f, bool token_file, bool key_file, const char *const *roots,
		     size_t n_roots)
{
	struct gceb_auth_options o = {
		.token_file = token_file ? f->token_file : NULL,
		.key_file = key_file ? f->key_file : NULL,
		.metadata_host = f->host,
		.token_roots = roots,
		.n_token_roots = n_roots,
	};
	struct gceb_err err = { 0 };

	assert_int_equal(gceb_auth_new(&o, &f->auth, &err), 0);
}

static void token_file_readable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;
	char want[160];

	write_file(f->token_file, sizeof(f->token_file), "tok\n", 0644);
	new_auth(f, true, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ECONFIG);
	(void)snprintf(want, sizeof(want), "token file '%s' is readable by others; chmod 600 it",
		       f->token_file);
	assert_string_equal(err.msg, want);
	assert_int_equal(ts_requests(f->ts), 0);
}

static void token_file_first_line_is_the_token(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	write_file(f->token_file, sizeof(f->token_file), "ya29.abc-_DEF\r\nignored\n", 0600);
	new_auth(f, true, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "ya29.abc-_DEF");
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_EMAIL, &token, &err), 0);
	assert_string_equal(token, "ya29.abc-_DEF");
}

/* A forgotten token is fetched again: the token file is read anew, for that scope only. */
static void a_forgotten_token_is_fetched_again(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;
	int fd;

	write_file(f->token_file, sizeof(f->token_file), "first\n", 0600);
	new_auth(f, true, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_EMAIL, &token, &err), 0);
	fd = open(f->token_file, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "second\n", 7), 7);
	(void)close(fd);
	gceb_auth_forget(f->auth, SCOPE_COMPUTE);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "second");
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_EMAIL, &token, &err), 0);
	assert_string_equal(token, "first");
	gceb_auth_forget(f->auth, "https://example.com/unknown-scope"); /* nothing to drop */
}

static void token_file_junk_is_refused(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	/* A space (or a CR) would end up inside the Authorization header. */
	/* The file's content is config (exit 78), not a refusal. */
	write_file(f->token_file, sizeof(f->token_file), "tok en\n", 0600);
	new_auth(f, true, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ECONFIG);
	assert_non_null(strstr(err.msg, "no valid token"));
}

static void key_file_readable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	write_key_file(f, test_key, f->fake.token_uri, 0640);
	new_auth(f, false, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ECONFIG);
	assert_non_null(strstr(err.msg, "is readable by others; chmod 600 it"));
	assert_int_equal(ts_requests(f->ts), 0);
}

static void key_file_assertion_is_signed_and_exchanged(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	write_key_file(f, test_key, f->fake.token_uri, 0600);
	new_auth(f, false, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(f->fake.verdict, "ok");
	assert_string_equal(f->fake.scope, SCOPE_COMPUTE);
	assert_string_equal(token, "key-1");
	assert_int_equal(ts_requests(f->ts), 1);
	assert_string_equal(ts_request(f->ts, 0)->content_type,
			    "application/x-www-form-urlencoded");
}

static void key_signed_by_another_key_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;
	EVP_PKEY *other = EVP_RSA_gen(2048);

	assert_non_null(other);
	write_key_file(f, other, f->fake.token_uri, 0600);
	EVP_PKEY_free(other);
	new_auth(f, false, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_EAUTH);
	assert_non_null(strstr(err.msg, "HTTP 400: invalid_grant: Invalid JWT Signature."));
}

static void token_uri_off_the_roots_is_refused(void **state)
{
	static const char *const roots[] = { "https://oauth2.googleapis.com/" };
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	write_key_file(f, test_key, "https://attacker.example/token", 0600);
	new_auth(f, false, true, roots, 1);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ECONFIG);
	assert_non_null(strstr(err.msg, "refusing to send an assertion to token_uri "
					"'https://attacker.example/token'"));
	gceb_auth_free(f->auth);
	f->auth = NULL;
	(void)unlink(f->key_file);

	/* Plain http is for loopback only, roots or not. */
	write_key_file(f, test_key, "http://10.255.255.1/token", 0600);
	new_auth(f, false, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ECONFIG);
	assert_non_null(strstr(err.msg, "'http://10.255.255.1/token'"));
	assert_int_equal(ts_requests(f->ts), 0);
}

static void metadata_server_gets_the_flavor_header(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "meta-1");
	assert_int_equal(ts_requests(f->ts), 1);
	assert_string_equal(ts_request(f->ts, 0)->path, META_PATH);
	assert_string_equal(ts_request(f->ts, 0)->metadata_flavor, "Google");
}

static void metadata_refusal_is_eauth(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	f->fake.status = 403;
	f->fake.body = "Missing Metadata-Flavor:Google header.";
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_EAUTH);
	assert_non_null(strstr(err.msg, "HTTP 403"));
	assert_int_equal(ts_requests(f->ts), 1);
}

static void metadata_5xx_is_retried(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	f->fake.status = 503;
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ENET);
	assert_int_equal(ts_requests(f->ts), 4);
}

/* The engine's list of transient statuses (http.h): 429 too, not only 5xx. */
static void metadata_429_is_retried(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	f->fake.status = 429;
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_ENET);
	assert_non_null(strstr(err.msg, "HTTP 429"));
	assert_int_equal(ts_requests(f->ts), 4);
}

static void answer_without_access_token_is_malformed(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	f->fake.status = 200;
	f->fake.body = "{\"expires_in\":3600,\"token_type\":\"Bearer\"}";
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "no valid access_token"));
}

static void sources_are_taken_in_order(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;

	write_file(f->token_file, sizeof(f->token_file), "from-file\n", 0600);
	write_key_file(f, test_key, f->fake.token_uri, 0600);
	new_auth(f, true, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "from-file");
	assert_int_equal(ts_requests(f->ts), 0);
	gceb_auth_free(f->auth);

	new_auth(f, false, true, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "key-1");
	assert_int_equal(ts_requests(f->ts), 1);
	assert_string_equal(ts_request(f->ts, 0)->path, "/token");
	gceb_auth_free(f->auth);

	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "meta-2");
	assert_string_equal(ts_request(f->ts, 1)->path, META_PATH);
}

static void tokens_are_cached_per_scope(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;
	int i;

	write_key_file(f, test_key, f->fake.token_uri, 0600);
	new_auth(f, false, true, NULL, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
		assert_string_equal(token, "key-1");
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(gceb_auth_token(f->auth, SCOPE_EMAIL, &token, &err), 0);
		assert_string_equal(token, "key-2");
	}
	assert_string_equal(f->fake.scope, SCOPE_EMAIL);
	assert_int_equal(ts_requests(f->ts), 2);
}

static void short_lived_tokens_are_refreshed(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 };
	const char *token = NULL;
	struct timespec pause = { 1, 100000000L };

	f->fake.expires_in = 2; /* refreshed halfway, after 1 s */
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "meta-1");
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "meta-1");
	(void)nanosleep(&pause, NULL);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), 0);
	assert_string_equal(token, "meta-2");
}

static void no_source_says_what_was_tried(void **state)
{
	struct fixture *f = *state;
	struct gceb_err err = { 0 }, again = { 0 };
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	const char *token = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int64_t t0;

	/* A port nobody listens on: bound, never listening. */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	(void)snprintf(f->host, sizeof(f->host), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	new_auth(f, false, false, NULL, 0);
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &err), GCEB_EAUTH);
	/* The three ways to give credentials, and why the last one failed, in one line. */
	assert_non_null(strstr(err.msg, "GOOGLE_APPLICATION_CREDENTIALS (or --key-file)"));
	assert_non_null(strstr(err.msg, "--token-file"));
	assert_non_null(strstr(err.msg, "the metadata server"));
	assert_non_null(strstr(err.msg, f->host));
	assert_null(strchr(err.msg, '\n'));
	/* Remembered: the next request fails at once with the same reason. */
	t0 = ts_now_ms();
	assert_int_equal(gceb_auth_token(f->auth, SCOPE_COMPUTE, &token, &again), GCEB_EAUTH);
	assert_true(ts_now_ms() - t0 < 50);
	assert_string_equal(again.msg, err.msg);
	(void)close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(token_file_readable_by_others_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(token_file_first_line_is_the_token, setup,
						teardown),
		cmocka_unit_test_setup_teardown(token_file_junk_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_forgotten_token_is_fetched_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(key_file_readable_by_others_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(key_file_assertion_is_signed_and_exchanged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(key_signed_by_another_key_is_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(token_uri_off_the_roots_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(metadata_server_gets_the_flavor_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(metadata_refusal_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_5xx_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_429_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(answer_without_access_token_is_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sources_are_taken_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(tokens_are_cached_per_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(short_lived_tokens_are_refreshed, setup, teardown),
		cmocka_unit_test_setup_teardown(no_source_says_what_was_tried, setup, teardown),
	};
	int failed;

	test_key = EVP_RSA_gen(2048);
	if (!test_key)
		return 1;
	failed = gceb_test_run("auth", tests, argc, argv);
	EVP_PKEY_free(test_key);
	return failed;
}
