/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - OAuth2 access tokens: token file, service-account key, metadata server
 *
 * Token fetches are synchronous (a plain curl easy handle): they happen once
 * per scope per run, before the first request of that scope goes out. A
 * failure is remembered too, so a run without credentials fails each request
 * at once instead of asking the token source again for every one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "buf.h"
#include "file.h"
#include "gceb/log.h"
#include "http.h"
#include "url.h"

/* A chain of curl_easy_setopt(): once one fails, the rest are skipped. */
#define SETOPT(c, e, opt, val) ((c) = (c) != CURLE_OK ? (c) : curl_easy_setopt(e, opt, val))

#ifndef GCEB_VERSION
# define GCEB_VERSION "unknown"
#endif

#define SECRET_MAX_BYTES   ((size_t)64 * 1024)
#define RESPONSE_MAX_BYTES ((size_t)64 * 1024)
#define FETCH_ATTEMPTS     4
#define FETCH_TIMEOUT_MS   10000L
#define FETCH_CONNECT_MS   3000L
#define FETCH_BACKOFF_MS   100L
#define JWT_LIFETIME_S     3600
#define JWT_SKEW_S         5 /* iat is backdated, as LUCI does, for clock skew */
#define DEFAULT_METADATA   "metadata.google.internal"
#define GRANT_JWT_BEARER   "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"

struct cached {
	struct cached *next;
	char *scope;
	char *token;        /* NULL when the fetch failed */
	int64_t refresh_ms; /* monotonic; fetch again from then on */
	struct gceb_err failure;
};

struct gceb_auth {
	char *token_file;
	char *key_file;
	char *metadata_host;
	char *metadata_account;
	char **token_roots;
	size_t n_token_roots;
	char *ca_file; /* gceb_http_transport() */
	char *proxy;
	struct cached *cache;
};

/* A token source's answer, before it is cached. */
struct fetched {
	char *token;
	long expires_in; /* seconds; 0 for a token that does not expire (token file) */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

int gceb_auth_new(const struct gceb_auth_options *opts, struct gceb_auth **out,
		  struct gceb_err *err)
{
	struct gceb_auth *auth = calloc(1, sizeof(*auth));
	bool oom = !auth;
	size_t i;

	/* Its token fetches, like the engine's requests, never read a proxy variable. */
	gceb_http_ignore_proxy_environment();
	if (auth) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			free(auth);
			return gceb_err_set(err, GCEB_ENOMEM, "cannot initialise libcurl");
		}
		auth->token_file = opts->token_file ? strdup(opts->token_file) : NULL;
		auth->key_file = opts->key_file ? strdup(opts->key_file) : NULL;
		auth->metadata_host = dup_or(opts->metadata_host, DEFAULT_METADATA);
		auth->metadata_account = dup_or(opts->metadata_account, "default");
		auth->token_roots = calloc(opts->n_token_roots + 1, sizeof(*auth->token_roots));
		auth->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
		auth->proxy = opts->proxy ? strdup(opts->proxy) : NULL;
		oom = (opts->token_file && !auth->token_file) ||
		      (opts->ca_file && !auth->ca_file) || (opts->proxy && !auth->proxy) ||
		      (opts->key_file && !auth->key_file) || !auth->metadata_host ||
		      !auth->metadata_account || !auth->token_roots;
	}
	for (i = 0; !oom && i < opts->n_token_roots; i++) {
		auth->token_roots[i] = strdup(opts->token_roots[i]);
		oom = !auth->token_roots[i];
		auth->n_token_roots = i + 1;
	}
	if (oom) {
		gceb_auth_free(auth);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	*out = auth;
	return 0;
}

void gceb_auth_free(struct gceb_auth *auth)
{
	size_t i;

	if (!auth)
		return;
	while (auth->cache) {
		struct cached *c = auth->cache;

		auth->cache = c->next;
		free(c->scope);
		free(c->token);
		free(c);
	}
	for (i = 0; i < auth->n_token_roots; i++)
		free(auth->token_roots[i]);
	free(auth->token_roots);
	free(auth->ca_file);
	free(auth->proxy);
	free(auth->token_file);
	free(auth->key_file);
	free(auth->metadata_host);
	free(auth->metadata_account);
	free(auth);
	curl_global_cleanup();
}

/*
 * RFC 6750 b64token characters only: a token goes into a header, so a CR or
 * LF from a bad file or server must not get there.
 */
static bool token_ok(const char *t)
{
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-._~+/");

	n += strspn(t + n, "=");
	return n > 0 && t[n] == '\0';
}

/* Read a credential file that only its owner may read, NUL-terminated. */
static int read_secret(const char *path, const char *what, struct gceb_buf *out,
		       struct gceb_err *err)
{
	struct stat st;
	char chunk[4096];
	int fd, r = 0;
	ssize_t n;

	fd = gceb_file_open(path, what, GCEB_ECONFIG, &st, err);
	if (fd == GCEB_ENOTFOUND) /* a credential file that is named must exist */
		return gceb_err_set(err, GCEB_ECONFIG, "%s '%s' does not exist", what, path);
	if (fd < 0)
		return fd;
	if (st.st_mode & 077) {
		r = gceb_err_set(err, GCEB_ECONFIG, "%s '%s' is readable by others; chmod 600 it",
				 what, path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = gceb_err_set(err, GCEB_ECONFIG, "cannot read %s '%s': %s", what, path,
					 strerror(errno));
			goto out;
		}
		if (out->len + (size_t)n > SECRET_MAX_BYTES) {
			r = gceb_err_set(err, GCEB_ECONFIG, "%s '%s' is larger than %zu bytes",
					 what, path, SECRET_MAX_BYTES);
			goto out;
		}
		gceb_buf_add(out, chunk, (size_t)n);
	}
	if (out->oom)
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	(void)close(fd);
	return r;
}

static void buf_cleanse_release(struct gceb_buf *b)
{
	if (b->p)
		OPENSSL_cleanse(b->p, b->cap);
	gceb_buf_release(b);
}

int gceb_auth_check(const struct gceb_auth *auth, struct gceb_err *err)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	int r = 0;

	/* The first source configured is the one used: check only that one. */
	if (auth->token_file)
		r = read_secret(auth->token_file, "token file", &b, err);
	else if (auth->key_file)
		r = read_secret(auth->key_file, "key file", &b, err);
	buf_cleanse_release(&b);
	return r;
}

static int from_token_file(const struct gceb_auth *auth, struct fetched *out, struct gceb_err *err)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	int r;

	r = read_secret(auth->token_file, "token file", &b, err);
	if (r < 0)
		goto out;
	/* The first line, without its line end. */
	b.len = b.p ? strcspn(b.p, "\r\n") : 0;
	if (b.p)
		b.p[b.len] = '\0';
	if (!b.len || !token_ok(b.p)) {
		/* The file's content is the operator's: a config error (exit-codes.md). */
		r = gceb_err_set(err, GCEB_ECONFIG,
				 "token file '%s' holds no valid token on its first line",
				 auth->token_file);
		goto out;
	}
	out->token = strdup(b.p);
	out->expires_in = 0;
	r = out->token ? 0 : gceb_err_set(err, GCEB_ENOMEM, "out of memory");
out:
	buf_cleanse_release(&b);
	return r;
}

struct sink {
	struct gceb_buf b;
	bool too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (n > RESPONSE_MAX_BYTES - s->b.len) {
		s->too_big = true;
		return 0;
	}
	gceb_buf_add(&s->b, data, n);
	return s->b.oom ? 0 : n;
}

static CURLcode fetch_setup(const struct gceb_auth *auth, CURL *e, const char *url,
			    const char *protocols, struct curl_slist *h, const char *form,
			    struct sink *s, char *errbuf)
{
	CURLcode c = CURLE_OK;

	SETOPT(c, e, CURLOPT_URL, url);
	SETOPT(c, e, CURLOPT_PROTOCOLS_STR, protocols);
	SETOPT(c, e, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
	SETOPT(c, e, CURLOPT_CONNECTTIMEOUT_MS, FETCH_CONNECT_MS);
	SETOPT(c, e, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(c, e, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(c, e, CURLOPT_WRITEDATA, s);
	SETOPT(c, e, CURLOPT_USERAGENT, "gceb/" GCEB_VERSION);
	SETOPT(c, e, CURLOPT_HTTPHEADER, h);
	if (form)
		SETOPT(c, e, CURLOPT_POSTFIELDS, form);
	/* The URL passed gceb_url_check(), so its scheme is lower-case. */
	if (c == CURLE_OK)
		c = (CURLcode)gceb_http_transport(e, !strncmp(url, "https://", 8), auth->ca_file,
						  auth->proxy);
	return c;
}

/*
 * One synchronous request with retries on network errors and the statuses
 * gceb_http_status_transient() names (408, 429, 5xx). *@status
 * is the last HTTP status; GCEB_ENET without one means nothing answered.
 */
static int fetch(const struct gceb_auth *auth, const char *url, const char *protocols,
		 const char *header, const char *form, struct sink *s, long *status,
		 struct gceb_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *h = NULL;
	const char *failure;
	CURL *e = NULL;
	CURLcode c;
	long delay = FETCH_BACKOFF_MS;
	int attempt, r = 0;

	h = curl_slist_append(NULL, header);
	e = curl_easy_init();
	if (!h || !e) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	for (attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
		if (attempt > 1) {
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };

			(void)nanosleep(&ts, NULL);
			delay *= 2;
		}
		curl_easy_reset(e);
		gceb_buf_release(&s->b);
		s->too_big = false;
		errbuf[0] = '\0';
		*status = 0;
		c = fetch_setup(auth, e, url, protocols, h, form, s, errbuf);
		if (c == CURLE_OK)
			c = curl_easy_perform(e);
		(void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		failure = c == CURLE_OK ? NULL : errbuf[0] ? errbuf : curl_easy_strerror(c);
		gceb_debug("token %s '%s': attempt %d: HTTP %ld%s%s", form ? "POST" : "GET", url,
			   attempt, *status, failure ? ", " : "", failure ? failure : "");
		if (s->b.oom || c == CURLE_OUT_OF_MEMORY) {
			r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
			goto out;
		}
		if (s->too_big) {
			r = gceb_err_set(err, GCEB_EAUTH, "'%s': response larger than %zu bytes",
					 url, RESPONSE_MAX_BYTES);
			goto out;
		}
		if (!failure && !gceb_http_status_transient(*status)) {
			r = 0;
			goto out;
		}
		if (failure)
			r = gceb_err_set(err, GCEB_ENET, "'%s': %s", url, failure);
		else
			r = gceb_err_set(err, GCEB_ENET, "'%s': HTTP %ld", url, *status);
	}
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return r;
}

/* {"access_token","expires_in","token_type"} from either token endpoint. */
static int parse_token(const char *from, const struct sink *s, struct fetched *out,
		       struct gceb_err *err)
{
	cJSON *root = s->b.p ? cJSON_ParseWithLength(s->b.p, s->b.len) : NULL;
	const char *token =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "access_token"));
	const char *type =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "token_type"));
	const cJSON *expires = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	int r;

	/* A token source's 200 without a usable token is a malformed answer. */
	if (!token || !token_ok(token)) {
		r = gceb_err_set(err, GCEB_EPARSE, "the answer of %s has no valid access_token",
				 from);
		goto out;
	}
	if (type && strcasecmp(type, "Bearer") != 0) {
		r = gceb_err_set(err, GCEB_EPARSE, "%s gave a '%s' token, not a Bearer token", from,
				 type);
		goto out;
	}
	out->token = strdup(token);
	/* Missing or odd: assume the usual hour; a 401 is the worst that follows. */
	out->expires_in = cJSON_IsNumber(expires) && expires->valuedouble >= 1 &&
					  expires->valuedouble < 86400 ?
				  (long)expires->valuedouble :
				  JWT_LIFETIME_S;
	r = out->token ? 0 : gceb_err_set(err, GCEB_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	return r;
}

static int from_metadata(const struct gceb_auth *auth, struct fetched *out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	struct sink s = { GCEB_BUF_INIT, false };
	struct gceb_err why = { 0 };
	char from[1024];
	long status = 0;
	int r;

	/*
	 * The metadata server speaks plain http on a link-local address; the
	 * host is the operator's (GCE_METADATA_HOST), not the network's.
	 */
	gceb_buf_addf(&url, "http://%s/computeMetadata/v1/instance/service-accounts/%s/token",
		      auth->metadata_host, auth->metadata_account);
	if (url.oom)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	(void)gceb_format(from, sizeof(from), "the metadata server '%s'", auth->metadata_host);
	r = fetch(auth, url.p, "http", "Metadata-Flavor: Google", NULL, &s, &status, &why);
	if (r == GCEB_ENET && !status) {
		/* The three ways, in one line: what the operator can do about it. */
		r = gceb_err_set(err, GCEB_EAUTH,
				 "no credentials: set GOOGLE_APPLICATION_CREDENTIALS (or "
				 "--key-file) to a service-account key, give --token-file, or run "
				 "where the metadata server has a service account; %s did not "
				 "answer (%s)",
				 from, why.msg);
		goto out;
	}
	if (r < 0) {
		if (err)
			*err = why;
		goto out;
	}
	if (status != 200) {
		r = gceb_err_set(err, GCEB_EAUTH, "%s refused a token for account '%s': HTTP %ld",
				 from, auth->metadata_account, status);
		goto out;
	}
	r = parse_token(from, &s, out, err);
out:
	gceb_buf_release(&url);
	buf_cleanse_release(&s.b);
	return r;
}

/* base64url without padding (RFC 7515 §2). */
static void add_b64url(struct gceb_buf *b, const unsigned char *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		gceb_buf_addc(b, abc[v >> 18 & 63]);
		gceb_buf_addc(b, abc[v >> 12 & 63]);
		gceb_buf_addc(b, abc[v >> 6 & 63]);
		gceb_buf_addc(b, abc[v & 63]);
	}
	if (n - i == 1) {
		gceb_buf_addc(b, abc[p[i] >> 2]);
		gceb_buf_addc(b, abc[(p[i] & 3) << 4]);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		gceb_buf_addc(b, abc[v >> 10 & 63]);
		gceb_buf_addc(b, abc[v >> 4 & 63]);
		gceb_buf_addc(b, abc[(v & 15) << 2]);
	}
}

/* Append base64url(compact JSON of @o), consuming @o. */
static void add_b64json(struct gceb_buf *b, cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;

	if (text)
		add_b64url(b, (const unsigned char *)text, strlen(text));
	else
		b->oom = true;
	cJSON_free(text);
	cJSON_Delete(o);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1; /* an encrypted key is an error, never a tty prompt */
}

static int openssl_err(struct gceb_err *err, const char *key_file, const char *what)
{
	char text[256];

	ERR_error_string_n(ERR_get_error(), text, sizeof(text));
	ERR_clear_error();
	return gceb_err_set(err, GCEB_ECONFIG, "key file '%s': %s (%s)", key_file, what, text);
}

/* Append ".<signature>" to @jwt, RS256 (RSASSA-PKCS1-v1_5 with SHA-256). */
static int sign_rs256(const char *key_file, const char *pem, struct gceb_buf *jwt,
		      struct gceb_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = 0;

	if (!bio)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!key) {
		r = openssl_err(err, key_file, "private_key is not a PEM private key");
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		r = gceb_err_set(err, GCEB_ECONFIG, "key file '%s': private_key is not an RSA key",
				 key_file);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)jwt->p, jwt->len) != 1 ||
	    !(sig = malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)jwt->p, jwt->len) != 1) {
		r = openssl_err(err, key_file, "cannot sign the assertion");
		goto out;
	}
	gceb_buf_addc(jwt, '.');
	add_b64url(jwt, sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return r;
}

static bool in_token_roots(const struct gceb_auth *auth, const char *uri)
{
	size_t i;

	if (!auth->n_token_roots)
		return true;
	for (i = 0; i < auth->n_token_roots; i++)
		if (!strncmp(uri, auth->token_roots[i], strlen(auth->token_roots[i])))
			return true;
	return false;
}

static const char *key_field(const cJSON *key, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(key, name));

	return v && *v ? v : NULL;
}

/* The fields of a service-account JSON key that the grant uses; spans into @json. */
struct sa_key {
	cJSON *json;
	const char *email, *kid, *uri;
	char *pem; /* cleansed after use */
	bool plain_http;
};

/* Read and check the key file: a service-account key whose token_uri may get an assertion. */
static int read_key(const struct gceb_auth *auth, struct gceb_buf *file, struct sa_key *k,
		    struct gceb_err *err)
{
	const char *path = auth->key_file, *type;
	struct gceb_url u;
	int r;

	r = read_secret(path, "key file", file, err);
	if (r < 0)
		return r;
	k->json = file->p ? cJSON_ParseWithLength(file->p, file->len) : NULL;
	type = key_field(k->json, "type");
	k->email = key_field(k->json, "client_email");
	k->pem = (char *)key_field(k->json, "private_key");
	k->kid = key_field(k->json, "private_key_id");
	k->uri = key_field(k->json, "token_uri");
	if (!type || strcmp(type, "service_account") != 0 || !k->email || !k->pem || !k->uri)
		return gceb_err_set(err, GCEB_ECONFIG,
				    "key file '%s' is not a service-account JSON key (type "
				    "service_account, client_email, private_key, token_uri)",
				    path);
	/* The assertion is a credential: only to the configured token endpoints. */
	if (gceb_url_check(k->uri, GCEB_ECONFIG, &u, NULL) < 0 ||
	    !(u.loopback || in_token_roots(auth, k->uri)))
		return gceb_err_set(
			err, GCEB_ECONFIG,
			"key file '%s': refusing to send an assertion to token_uri '%s' "
			"(must be https under the token roots, or on a loopback host)",
			path, k->uri);
	k->plain_http = u.plain_http;
	return 0;
}

static cJSON *jwt_header(const struct sa_key *k)
{
	cJSON *h = cJSON_CreateObject();

	if (h && (!cJSON_AddStringToObject(h, "alg", "RS256") ||
		  !cJSON_AddStringToObject(h, "typ", "JWT") ||
		  (k->kid && !cJSON_AddStringToObject(h, "kid", k->kid)))) {
		cJSON_Delete(h);
		h = NULL;
	}
	return h;
}

static cJSON *jwt_claims(const struct sa_key *k, const char *scope)
{
	time_t iat = time(NULL) - JWT_SKEW_S;
	cJSON *c = cJSON_CreateObject();

	if (c && (!cJSON_AddStringToObject(c, "iss", k->email) ||
		  !cJSON_AddStringToObject(c, "scope", scope) ||
		  !cJSON_AddStringToObject(c, "aud", k->uri) ||
		  !cJSON_AddNumberToObject(c, "iat", (double)iat) ||
		  !cJSON_AddNumberToObject(c, "exp", (double)(iat + JWT_LIFETIME_S)))) {
		cJSON_Delete(c);
		c = NULL;
	}
	return c;
}

/* The form body of the grant: a signed JWT for @scope. */
static int grant_form(const char *path, const struct sa_key *k, const char *scope,
		      struct gceb_buf *form, struct gceb_err *err)
{
	struct gceb_buf jwt = GCEB_BUF_INIT;
	int r;

	add_b64json(&jwt, jwt_header(k));
	gceb_buf_addc(&jwt, '.');
	add_b64json(&jwt, jwt_claims(k, scope));
	if (jwt.oom) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	r = sign_rs256(path, k->pem, &jwt, err);
	if (r < 0)
		goto out;
	/* base64url and '.' need no form escaping. */
	gceb_buf_adds(form, "grant_type=" GRANT_JWT_BEARER "&assertion=");
	gceb_buf_add(form, jwt.p, jwt.len);
	if (form->oom)
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
out:
	buf_cleanse_release(&jwt);
	return r;
}

/* The token endpoint's refusal, with its OAuth2 error code and description. */
static int refused(const char *from, const char *email, long status, const struct sink *s,
		   struct gceb_err *err)
{
	cJSON *e = s->b.p ? cJSON_ParseWithLength(s->b.p, s->b.len) : NULL;
	const char *code = key_field(e, "error"), *desc = key_field(e, "error_description");
	int r = gceb_err_set(err, GCEB_EAUTH, "%s refused the key of '%s': HTTP %ld%s%s%s%s", from,
			     email, status, code ? ": " : "", code ? code : "", desc ? ": " : "",
			     desc ? desc : "");

	cJSON_Delete(e);
	return r;
}

/* RFC 7523 JWT-bearer grant with a Google service-account JSON key. */
static int from_key_file(const struct gceb_auth *auth, const char *scope, struct fetched *out,
			 struct gceb_err *err)
{
	struct gceb_buf file = GCEB_BUF_INIT, form = GCEB_BUF_INIT;
	struct sink s = { GCEB_BUF_INIT, false };
	struct sa_key k = { 0 };
	char from[1024];
	long status = 0;
	int r;

	r = read_key(auth, &file, &k, err);
	if (r == 0)
		r = grant_form(auth->key_file, &k, scope, &form, err);
	if (r < 0)
		goto out;
	(void)gceb_format(from, sizeof(from), "the token endpoint '%s'", k.uri);
	r = fetch(auth, k.uri, k.plain_http ? "http,https" : "https",
		  "Content-Type: application/x-www-form-urlencoded", form.p, &s, &status, err);
	if (r < 0)
		goto out;
	if (status != 200)
		r = refused(from, k.email, status, &s, err);
	else
		r = parse_token(from, &s, out, err);
out:
	if (k.pem)
		OPENSSL_cleanse(k.pem, strlen(k.pem));
	cJSON_Delete(k.json);
	buf_cleanse_release(&file);
	buf_cleanse_release(&form);
	buf_cleanse_release(&s.b);
	return r;
}

static struct cached *lookup(struct gceb_auth *auth, const char *scope)
{
	struct cached *c;

	for (c = auth->cache; c; c = c->next)
		if (!strcmp(c->scope, scope))
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->scope = strdup(scope);
	if (!c->scope) {
		free(c);
		return NULL;
	}
	c->next = auth->cache;
	auth->cache = c;
	return c;
}

void gceb_auth_forget(struct gceb_auth *auth, const char *scope)
{
	struct cached *c;

	for (c = auth->cache; c; c = c->next) {
		if (strcmp(c->scope, scope) != 0)
			continue;
		if (c->token)
			OPENSSL_cleanse(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
		gceb_err_clear(&c->failure);
		return;
	}
}

int gceb_auth_token(struct gceb_auth *auth, const char *scope, const char **token,
		    struct gceb_err *err)
{
	struct cached *c = lookup(auth, scope);
	struct fetched f = { NULL, 0 };
	int64_t now = now_ms();
	int r;

	if (!c)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (c->token && now < c->refresh_ms) {
		*token = c->token;
		return 0;
	}
	if (!c->token && c->failure.code) {
		if (err)
			*err = c->failure;
		return c->failure.code;
	}
	if (auth->token_file)
		r = from_token_file(auth, &f, &c->failure);
	else if (auth->key_file)
		r = from_key_file(auth, scope, &f, &c->failure);
	else
		r = from_metadata(auth, &f, &c->failure);
	free(c->token);
	c->token = f.token;
	if (r < 0) {
		if (err)
			*err = c->failure;
		if (r == GCEB_ENOMEM)
			gceb_err_clear(&c->failure); /* not worth remembering */
		return r;
	}
	gceb_err_clear(&c->failure); /* retries on the way may have left a message */
	/*
	 * Refresh a minute before expiry (docs/design/auth.md), or halfway through a
	 * shorter life, so every token is used for a while.
	 */
	c->refresh_ms = INT64_MAX;
	if (f.expires_in > 0)
		c->refresh_ms =
			now + (f.expires_in - (f.expires_in > 120 ? 60 : f.expires_in / 2)) * 1000;
	gceb_debug("got a token for scope '%s' from %s", scope,
		   auth->token_file ? "the token file" :
		   auth->key_file   ? "the key file" :
				      "the metadata server");
	*token = c->token;
	return 0;
}
