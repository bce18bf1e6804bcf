/* SPDX-License-Identifier: Apache-2.0 */
/* tls.c - test CA, server certificates and an nghttpx front for gceb-emulator (tls.h) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define DAY_S (24L * 3600)

static const char *const cert_name[IT_TLS_CERTS] = {
	[IT_TLS_GOOD] = "good",
	[IT_TLS_OTHER_HOST] = "other-host",
	[IT_TLS_EXPIRED] = "expired",
	[IT_TLS_OTHER_CA] = "other-ca",
};

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * A certificate for @key named @cn, valid from @from_s to @to_s seconds from
 * now, signed by @issuer/@issuer_key (NULL: self-signed CA); @san is the
 * subjectAltName of a server certificate.
 */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *san, long from_s, long to_s)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++ + time(NULL)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (!issuer) {
		add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
		add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
		add_ext(x, &ctx, NID_ext_key_usage, "serverAuth");
		add_ext(x, &ctx, NID_subject_alt_name, san);
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (cert)
		assert_int_equal(PEM_write_X509(f, cert), 1);
	else
		assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

/* <dir>/<name>.crt and <name>.key */
static void write_pair(const struct it_tls *t, const char *name, X509 *cert, EVP_PKEY *key)
{
	char path[320];

	(void)snprintf(path, sizeof(path), "%s/%s.crt", t->dir, name);
	write_pem(path, cert, NULL);
	(void)snprintf(path, sizeof(path), "%s/%s.key", t->dir, name);
	write_pem(path, NULL, key);
}

/* A loopback port nothing listens on now (nghttpx cannot report the one it got). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	(void)close(fd);
	return ntohs(a.sin_port);
}

static bool accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	assert_true(fd >= 0);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	(void)close(fd);
	return ok;
}

void it_tls_init(const struct it_env *env, struct it_tls *t)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *ca, *other, *certs[IT_TLS_CERTS];
	const char *local = "DNS:localhost,IP:127.0.0.1";
	int i;

	memset(t, 0, sizeof(*t));
	(void)snprintf(t->dir, sizeof(t->dir), "%s/tls", env->root);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	(void)snprintf(t->ca_file, sizeof(t->ca_file), "%s/ca.pem", t->dir);
	(void)snprintf(t->access_log, sizeof(t->access_log), "%s/access.log", t->dir);
	t->port = free_port();
	(void)snprintf(t->url, sizeof(t->url), "https://localhost:%d", t->port);
	(void)snprintf(t->token_uri, sizeof(t->token_uri), "%s/token", t->url);
	assert_non_null(ca_key);
	assert_non_null(other_key);
	assert_non_null(key);
	ca = make_cert(ca_key, "gceb test CA", NULL, NULL, NULL, -DAY_S, 30 * DAY_S);
	other = make_cert(other_key, "another CA", NULL, NULL, NULL, -DAY_S, 30 * DAY_S);
	write_pem(t->ca_file, ca, NULL);
	certs[IT_TLS_GOOD] = make_cert(key, "localhost", ca, ca_key, local, -DAY_S, 30 * DAY_S);
	certs[IT_TLS_OTHER_HOST] = make_cert(key, "other.example", ca, ca_key, "DNS:other.example",
					     -DAY_S, 30 * DAY_S);
	certs[IT_TLS_EXPIRED] = make_cert(key, "localhost", ca, ca_key, local, -30 * DAY_S, -DAY_S);
	certs[IT_TLS_OTHER_CA] =
		make_cert(key, "localhost", other, other_key, local, -DAY_S, 30 * DAY_S);
	for (i = 0; i < IT_TLS_CERTS; i++) {
		write_pair(t, cert_name[i], certs[i], key);
		X509_free(certs[i]);
	}
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(key);
}

void it_tls_start(const struct it_env *env, struct it_tls *t, enum it_tls_cert which)
{
	char frontend[64], backend[96], log_opt[300], err_opt[300], key[320], crt[320], out[320];
	const char *emu = env->emu_url + strlen("http://");
	int i, status;

	assert_true(env->emu_url[0]);
	assert_int_equal(t->pid, 0);
	(void)snprintf(frontend, sizeof(frontend), "--frontend=127.0.0.1,%d", t->port);
	/* nghttpx spells host:port "host,port". */
	(void)snprintf(backend, sizeof(backend), "--backend=%.*s,%s",
		       (int)(strrchr(emu, ':') - emu), emu, strrchr(emu, ':') + 1);
	(void)snprintf(log_opt, sizeof(log_opt), "--accesslog-file=%s", t->access_log);
	(void)snprintf(err_opt, sizeof(err_opt), "--errorlog-file=%s/error.log", t->dir);
	(void)snprintf(key, sizeof(key), "%s/%s.key", t->dir, cert_name[which]);
	(void)snprintf(crt, sizeof(crt), "%s/%s.crt", t->dir, cert_name[which]);
	t->pid = fork();
	assert_true(t->pid >= 0);
	(void)snprintf(out, sizeof(out), "%s/nghttpx.out", t->dir);
	if (t->pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		/* What it says before its error log is open ("Loading configuration"). */
		if (fd >= 0) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		/* --conf=/dev/null: not the system's /etc/nghttpx/nghttpx.conf. */
		execlp("nghttpx", "nghttpx", "--conf=/dev/null", "--single-process", "--workers=1",
		       "--no-ocsp", frontend, backend, log_opt,
		       "--accesslog-format=$alpn $remote_port $method $path $status", err_opt, key,
		       crt, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10L * 1000 * 1000 };

		if (accepts(t->port))
			return;
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = 0;
			fail_msg("nghttpx exited at start (status %d); see %s/error.log and %s",
				 status, t->dir, out);
		}
		(void)nanosleep(&ts, NULL);
	}
	fail_msg("nghttpx did not listen on port %d within 5 s", t->port);
}

void it_tls_stop(struct it_tls *t)
{
	int status;

	if (t->pid <= 0)
		return;
	(void)kill(t->pid, SIGTERM);
	(void)waitpid(t->pid, &status, 0);
	t->pid = 0;
}

void it_tls_settings(const struct it_env *env, const struct it_tls *t, const char *extra)
{
	char text[2048];

	(void)snprintf(text, sizeof(text),
		       "mp_server: \"%s\"\ncompute_api_root: \"%s/\"\nca_file: \"%s\"\n%s", t->url,
		       t->url, t->ca_file, extra ? extra : "");
	it_write_config(env, "settings.cfg", text);
}

char *it_tls_access_log(const struct it_tls *t)
{
	int fd = open(t->access_log, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0)
		return strdup("");
	text = it_slurp(fd);
	(void)close(fd);
	return text;
}

void it_tls_key_file(const struct it_env *env, const char *path, const char *token_uri)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	char *priv_pem, *pub_pem, *text;
	cJSON *o;
	long n;

	assert_non_null(key);
	assert_non_null(priv);
	assert_non_null(pub);
	assert_int_equal(PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(pub, key), 1);
	n = BIO_get_mem_data(priv, &priv_pem);
	priv_pem = strndup(priv_pem, (size_t)n);
	n = BIO_get_mem_data(pub, &pub_pem);
	pub_pem = strndup(pub_pem, (size_t)n);
	assert_non_null(priv_pem);
	assert_non_null(pub_pem);

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "pem", pub_pem);
	text = cJSON_PrintUnformatted(o);
	it_emu_post(env, "/_emu/keys", text);
	free(text);
	cJSON_Delete(o);

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "service_account");
	cJSON_AddStringToObject(o, "project_id", "proj");
	cJSON_AddStringToObject(o, "private_key_id", "key-1");
	cJSON_AddStringToObject(o, "private_key", priv_pem);
	cJSON_AddStringToObject(o, "client_email", "bot@proj.iam.gserviceaccount.com");
	cJSON_AddStringToObject(o, "token_uri", token_uri);
	text = cJSON_Print(o);
	it_write_file(path, text, strlen(text));
	assert_int_equal(chmod(path, 0600), 0);
	free(text);
	cJSON_Delete(o);
	free(priv_pem);
	free(pub_pem);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(key);
}
