/* SPDX-License-Identifier: Apache-2.0 */
/* emu_luci.c - LUCI config v1: get_config and get_config_by_hash (docs/design/luci-config.md) */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "emu.h"

#define LUCI_FILE_MAX ((size_t)1024 * 1024)

struct luci_rev {
	char *revision;
	char *hash;
};

struct luci_file {
	char *path;
	struct luci_rev *revs; /* oldest first; the last one is current */
	size_t nrevs;
	bool deleted;
};

struct luci_blob {
	char *hash; /* "v1:<git blob sha-1>" */
	unsigned char *content;
	size_t len;
};

struct emu_luci {
	char *config_set;
	struct emu_map files;
	struct emu_map blobs;
};

static struct emu_luci *luci(struct emu *e)
{
	if (!e->luci) {
		e->luci = emu_xcalloc(1, sizeof(*e->luci));
		e->luci->config_set = emu_xstrdup("services/gceb");
	}
	return e->luci;
}

/* content_hash = "v1:" + git blob SHA-1 of the content. */
static char *blob_hash(const unsigned char *content, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	char hdr[32], out[44] = "v1:";
	unsigned n = 0;
	size_t i;
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", len);

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, hdr, (size_t)hl + 1) != 1 ||
	    EVP_DigestUpdate(ctx, content, len) != 1 || EVP_DigestFinal_ex(ctx, md, &n) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < n && i < 20; i++)
		(void)snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
	return emu_xstrdup(out);
}

static void publish_file(struct emu *e, const char *path, const unsigned char *content, size_t len,
			 const char *revision)
{
	struct emu_luci *l = luci(e);
	struct luci_file *f = emu_map_get(&l->files, path);
	char *hash = content ? blob_hash(content, len) : NULL;

	if (hash && !emu_map_get(&l->blobs, hash)) {
		struct luci_blob *b = emu_xcalloc(1, sizeof(*b));

		b->hash = emu_xstrdup(hash);
		b->content = emu_xmalloc(len);
		memcpy(b->content, content, len);
		b->len = len;
		emu_map_put(&l->blobs, b->hash, b);
	}
	if (!f) {
		f = emu_xcalloc(1, sizeof(*f));
		f->path = emu_xstrdup(path);
		emu_map_put(&l->files, f->path, f);
	}
	f->deleted = !content;
	if (!content) {
		free(hash);
		return;
	}
	f->revs = emu_xrealloc(f->revs, (f->nrevs + 1) * sizeof(*f->revs));
	f->revs[f->nrevs].revision = emu_xstrdup(revision);
	f->revs[f->nrevs].hash = hash;
	f->nrevs++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = emu_xmalloc(LUCI_FILE_MAX + 1);
	size_t n;
	int r = -1;

	if (!f)
		goto out;
	n = fread(buf, 1, LUCI_FILE_MAX + 1, f);
	if (ferror(f) || n > LUCI_FILE_MAX)
		goto out;
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	if (f)
		(void)fclose(f);
	free(buf);
	return r;
}

/*
 * Every regular file of dir becomes a config file of the set, all at one
 * revision: the SHA-1 over the sorted "name hash" lines.
 */
int emu_luci_init(struct emu *e, const char *dir, const char *config_set)
{
	char **names = NULL, *acc = NULL, rev[41];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	int r = -1;

	free(luci(e)->config_set);
	e->luci->config_set = emu_xstrdup(config_set);
	if (!dir)
		return 0;
	d = opendir(dir);
	if (!d) {
		(void)fprintf(stderr, "gceb-emulator: error: cannot open --config-dir '%s'\n", dir);
		return -1;
	}
	/* cppcheck-suppress readdirCalled ; one thread, and readdir_r is deprecated (glibc 2.24) */
	while ((de = readdir(d))) {
		char *p = emu_xasprintf("%s/%s", dir, de->d_name);
		struct stat st;

		if (de->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			names = emu_xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = emu_xstrdup(de->d_name);
		}
		free(p);
	}
	if (n) /* qsort's base must not be NULL, even for no element */
		qsort(names, n, sizeof(*names), cmp_str);
	acc = emu_xstrdup("");
	for (i = 0; i < n; i++) {
		char *p = emu_xasprintf("%s/%s", dir, names[i]);
		unsigned char *content = NULL;
		size_t len = 0;
		char *h, *next;

		if (read_file(p, &content, &len) < 0) {
			(void)fprintf(stderr, "gceb-emulator: error: cannot read '%s'\n", p);
			free(p);
			goto out;
		}
		h = blob_hash(content, len);
		next = emu_xasprintf("%s%s %s\n", acc, names[i], h);
		free(acc);
		acc = next;
		free(h);
		free(content);
		free(p);
	}
	{
		char *h = blob_hash((const unsigned char *)acc, strlen(acc));

		(void)snprintf(rev, sizeof(rev), "%s", h + 3);
		free(h);
	}
	for (i = 0; i < n; i++) {
		char *p = emu_xasprintf("%s/%s", dir, names[i]);
		unsigned char *content = NULL;
		size_t len = 0;

		if (read_file(p, &content, &len) == 0)
			publish_file(e, names[i], content, len, rev);
		free(content);
		free(p);
	}
	r = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(acc);
	(void)closedir(d);
	return r;
}

/* {"revision"?, "files": {"path": "content" | null}} */
int emu_luci_publish(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(in, "files");
	const cJSON *jr = cJSON_GetObjectItemCaseSensitive(in, "revision");
	const cJSON *f;
	char *rev;

	if (!cJSON_IsObject(files) || (jr && !cJSON_IsString(jr))) {
		emu_reply_error(rep, 400, "invalid", "need 'files': {path: content|null}");
		return -1;
	}
	cJSON_ArrayForEach(f, files) {
		if (!cJSON_IsString(f) && !cJSON_IsNull(f)) {
			emu_reply_error(rep, 400, "invalid", "file '%s': content must be a string",
					f->string);
			return -1;
		}
	}
	rev = jr ? emu_xstrdup(jr->valuestring) : emu_xasprintf("rev-%" PRIu64, emu_next_seq(e));
	cJSON_ArrayForEach(f, files) {
		publish_file(e, f->string,
			     cJSON_IsString(f) ? (unsigned char *)f->valuestring : NULL,
			     cJSON_IsString(f) ? strlen(f->valuestring) : 0, rev);
	}
	free(rev);
	return 0;
}

static char *b64(const unsigned char *p, size_t len)
{
	char *out = emu_xmalloc(4 * ((len + 2) / 3) + 1);

	(void)EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

static bool truthy(const char *s)
{
	return s && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

static void get_config(struct emu *e, struct emu_req *req, struct emu_reply *rep, const char *set,
		       const char *path)
{
	struct luci_file *f = emu_map_get(&e->luci->files, path);
	const char *want = emu_req_arg(req, "revision");
	const struct luci_rev *r = NULL;
	const struct luci_blob *b;
	cJSON *o;
	char *s;
	size_t i;

	if (strcmp(set, e->luci->config_set) != 0 || !f || f->deleted || !f->nrevs) {
		emu_reply_error(rep, 404, "notFound", "Requested config not found.");
		return;
	}
	for (i = f->nrevs; i > 0 && !r; i--) {
		if (!want || !*want || strcmp(f->revs[i - 1].revision, want) == 0)
			r = &f->revs[i - 1];
	}
	if (!r) {
		emu_reply_error(rep, 404, "notFound", "Requested config not found.");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "revision", r->revision);
	cJSON_AddStringToObject(o, "content_hash", r->hash);
	if (r == &f->revs[f->nrevs - 1]) {
		s = emu_xasprintf("%s/_emu/luci/%s/+/%s/%s", e->root, set, r->revision, path);
		cJSON_AddStringToObject(o, "url", s);
		free(s);
	}
	if (!truthy(emu_req_arg(req, "hash_only"))) {
		b = emu_map_get(&e->luci->blobs, r->hash);
		s = b64(b->content, b->len);
		cJSON_AddStringToObject(o, "content", s);
		free(s);
	}
	emu_reply_json(rep, 200, o);
}

void emu_luci_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	static const char *const scopes[] = { EMU_SCOPE_EMAIL, NULL };
	char **s = req->segs + 4; /* after _ah api config v1 */
	size_t n = req->nsegs - 4, i;
	const struct luci_blob *b;
	char *path, *next, *c;
	cJSON *o;

	if (emu_auth_check(e, req, scopes, rep) < 0)
		return;
	luci(e);
	if (!emu_req_is(req, "GET")) {
		emu_reply_error(rep, 404, "notFound", "No such method.");
		return;
	}
	if (n >= 4 && strcmp(s[0], "config_sets") == 0 && strcmp(s[2], "config") == 0) {
		if (!*s[1] || !*s[3]) {
			emu_reply_error(rep, 400, "badRequest", "Invalid config set or path.");
			return;
		}
		path = emu_xstrdup(s[3]);
		for (i = 4; i < n; i++) {
			next = emu_xasprintf("%s/%s", path, s[i]);
			free(path);
			path = next;
		}
		get_config(e, req, rep, s[1], path);
		free(path);
		return;
	}
	if (n == 2 && strcmp(s[0], "config") == 0) {
		b = emu_map_get(&e->luci->blobs, s[1]);
		if (!b) {
			emu_reply_error(rep, 404, "notFound", "Content not found.");
			return;
		}
		o = cJSON_CreateObject();
		c = b64(b->content, b->len);
		cJSON_AddStringToObject(o, "content", c);
		free(c);
		emu_reply_json(rep, 200, o);
		return;
	}
	emu_reply_error(rep, 404, "notFound", "No such method.");
}

cJSON *emu_luci_dump(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *files = cJSON_AddObjectToObject(o, "files");
	size_t i;

	cJSON_AddStringToObject(o, "config_set", luci(e)->config_set);
	for (i = 0; i < e->luci->files.cap; i++) {
		const struct luci_file *f = e->luci->files.slots[i].val;
		cJSON *j;

		if (!e->luci->files.slots[i].key || f->deleted || !f->nrevs)
			continue;
		j = cJSON_AddObjectToObject(files, f->path);
		cJSON_AddStringToObject(j, "revision", f->revs[f->nrevs - 1].revision);
		cJSON_AddStringToObject(j, "content_hash", f->revs[f->nrevs - 1].hash);
	}
	return o;
}

void emu_luci_free(struct emu *e)
{
	struct emu_luci *l = e->luci;
	size_t i, j;

	if (!l)
		return;
	for (i = 0; i < l->files.cap; i++) {
		struct luci_file *f = l->files.slots[i].val;

		if (!l->files.slots[i].key)
			continue;
		for (j = 0; j < f->nrevs; j++) {
			free(f->revs[j].revision);
			free(f->revs[j].hash);
		}
		free(f->revs);
		free(f->path);
		free(f);
	}
	for (i = 0; i < l->blobs.cap; i++) {
		struct luci_blob *b = l->blobs.slots[i].val;

		if (!l->blobs.slots[i].key)
			continue;
		free(b->hash);
		free(b->content);
		free(b);
	}
	emu_map_release(&l->files);
	emu_map_release(&l->blobs);
	free(l->config_set);
	free(l);
	e->luci = NULL;
}
