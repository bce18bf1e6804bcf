/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.h - a real TLS and HTTP/2 front for gceb-emulator in the integration
 * tests: a CA and server certificates made with OpenSSL in the test, and
 * nghttpx (Debian nghttp2-proxy) terminating TLS and HTTP/2 on loopback,
 * with plain HTTP/1.1 to the emulator behind it.
 */
#ifndef GCEB_IT_TLS_H
#define GCEB_IT_TLS_H

#include "harness.h"

/* Which certificate the front presents. */
enum it_tls_cert {
	IT_TLS_GOOD,       /* for localhost and 127.0.0.1, signed by the test CA */
	IT_TLS_OTHER_HOST, /* for other.example only, signed by the test CA */
	IT_TLS_EXPIRED,    /* for localhost, signed by the test CA, expired a day ago */
	IT_TLS_OTHER_CA,   /* for localhost, signed by a CA gceb is not given */
	IT_TLS_CERTS,
};

struct it_tls {
	char dir[192];
	char ca_file[256];    /* the test CA, PEM: what ca_file names */
	char access_log[256]; /* nghttpx: "$alpn $remote_port $method $path $status" a line */
	char url[64];         /* https://localhost:PORT, no trailing '/' */
	char token_uri[80];   /* url + "/token": give the emulator --token-audience this */
	int port;             /* picked by it_tls_init(), so the emulator can be told the URL */
	int pid;              /* nghttpx, 0 when stopped */
};

/* Make the CA and every certificate under <env->root>/tls, and pick the front's port. */
void it_tls_init(const struct it_env *env, struct it_tls *t);

/* Start nghttpx on t->port presenting @which in front of @env's emulator (it_emu_start first). */
void it_tls_start(const struct it_env *env, struct it_tls *t, enum it_tls_cert which);
void it_tls_stop(struct it_tls *t);

/*
 * Write settings.cfg pointing mp_server and compute_api_root at the front,
 * with ca_file the test CA, and @extra (may be NULL) after them.
 */
void it_tls_settings(const struct it_env *env, const struct it_tls *t, const char *extra);

/*
 * Write a service-account key file (mode 600) at @path whose token_uri is
 * @token_uri, and register its public half with @env's emulator.
 */
void it_tls_key_file(const struct it_env *env, const char *path, const char *token_uri);

/* nghttpx's access log so far, NUL-terminated (free()). */
char *it_tls_access_log(const struct it_tls *t);

#endif
