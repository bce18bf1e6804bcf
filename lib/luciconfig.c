/* SPDX-License-Identifier: Apache-2.0 */
/* luciconfig.c - LUCI config v1 builders and mappers */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "luciconfig.h"
#include "sha1.h"

/* protorpc paths: every byte but the unreserved ones is %XX, '/' included. */
static void add_segment(struct gceb_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			gceb_buf_addc(b, (char)c);
		else
			gceb_buf_addf(b, "%%%02X", c);
	}
}

static void add_base(struct gceb_buf *b, const char *base)
{
	size_t n = strlen(base);

	gceb_buf_adds(b, base);
	if (n == 0 || base[n - 1] != '/')
		gceb_buf_addc(b, '/');
}

static int finish(struct gceb_buf *b, struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_http_request *req;

	if (b->oom) {
		gceb_buf_release(b);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	req = gceb_http_request_new("GET", GCEB_API_CONFIG, b->p, NULL);
	gceb_buf_release(b);
	if (!req)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	*out = req;
	return 0;
}

int gceb_luci_get_hash(const char *base, const char *config_set, const char *path,
		       struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf b = GCEB_BUF_INIT;

	if (!*config_set || !*path)
		return gceb_err_set(err, GCEB_EUSAGE, "empty config set or path");
	add_base(&b, base);
	gceb_buf_adds(&b, "config_sets/");
	add_segment(&b, config_set);
	gceb_buf_adds(&b, "/config/");
	add_segment(&b, path);
	gceb_buf_adds(&b, "?hash_only=true");
	return finish(&b, out, err);
}

int gceb_luci_get_by_hash(const char *base, const char *hash, struct gceb_http_request **out,
			  struct gceb_err *err)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	const char *p;

	/* "v1:" and hex only: anything else would change the URL's meaning. */
	if (strncmp(hash, "v1:", 3) != 0 || strlen(hash) != 43)
		return gceb_err_set(err, GCEB_EPARSE, "content_hash '%.60s' is not v1:<40 hex>",
				    hash);
	for (p = hash + 3; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return gceb_err_set(err, GCEB_EPARSE, "content_hash '%s' is not hex", hash);
	add_base(&b, base);
	gceb_buf_adds(&b, "config/");
	gceb_buf_adds(&b, hash);
	return finish(&b, out, err);
}

#define ANSWER "config service answer"

/* A string member, copied; "" is as good as absent unless @may_be_empty. */
static int take_string(const cJSON *o, const char *key, bool may_be_empty, char **out,
		       struct gceb_err *err)
{
	const char *v;
	int r = gceb_json_string(ANSWER, o, key, true, &v, err);

	if (r < 0)
		return r;
	if (!may_be_empty && !*v)
		return gceb_json_bad_field(ANSWER, key, "is empty", err);
	*out = strdup(v);
	return *out ? 0 : gceb_err_set(err, GCEB_ENOMEM, "out of memory");
}

int gceb_luci_parse_hash(const char *body, size_t len, struct gceb_luci_hash *out,
			 struct gceb_err *err)
{
	struct gceb_luci_hash h = { 0 };
	cJSON *json = NULL;
	int r;

	r = gceb_json_parse_object(ANSWER, body, len, &json, err);
	if (r == 0)
		r = take_string(json, "revision", false, &h.revision, err);
	if (r == 0)
		r = take_string(json, "content_hash", false, &h.content_hash, err);
	cJSON_Delete(json);
	if (r < 0) {
		gceb_luci_hash_release(&h);
		return r;
	}
	*out = h;
	return 0;
}

void gceb_luci_hash_release(struct gceb_luci_hash *h)
{
	free(h->revision);
	free(h->content_hash);
	h->revision = h->content_hash = NULL;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL-safe alphabet, padding optional; anything else is an error. */
static int b64_decode(const char *s, size_t max, char **out, size_t *out_len)
{
	size_t n = strlen(s), len = 0;
	unsigned acc = 0;
	int bits = 0;
	char *buf;

	while (n > 0 && s[n - 1] == '=')
		n--;
	buf = malloc(n / 4 * 3 + 4);
	if (!buf)
		return GCEB_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);

		if (v < 0) {
			free(buf);
			return GCEB_EPARSE;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (len > max) {
		free(buf);
		return GCEB_ECONFIG;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int gceb_luci_parse_content(const char *body, size_t len, size_t max, char **out, size_t *out_len,
			    struct gceb_err *err)
{
	cJSON *json = NULL;
	char *b64 = NULL;
	int r;

	r = gceb_json_parse_object(ANSWER, body, len, &json, err);
	if (r < 0)
		return r;
	r = take_string(json, "content", true, &b64, err);
	cJSON_Delete(json);
	if (r < 0)
		return r;
	r = b64_decode(b64, max, out, out_len);
	free(b64);
	if (r == GCEB_EPARSE)
		return gceb_err_set(err, r, "config service content is not base64");
	if (r == GCEB_ECONFIG)
		return gceb_err_set(err, r, "config file larger than the %zu-byte limit", max);
	if (r < 0)
		return gceb_err_set(err, r, "out of memory");
	return 0;
}

int gceb_luci_check_content(const char *content, size_t len, const char *content_hash,
			    struct gceb_err *err)
{
	unsigned char md[20];
	char hex[3 + 2 * sizeof(md) + 1] = "v1:";
	size_t i;

	gceb_git_blob_sha1(content, len, md);
	for (i = 0; i < sizeof(md); i++)
		(void)snprintf(hex + 3 + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, content_hash) != 0)
		return gceb_err_set(err, GCEB_EPARSE,
				    "content (%zu bytes) does not match its content_hash %s, "
				    "nothing imported",
				    len, content_hash);
	return 0;
}
