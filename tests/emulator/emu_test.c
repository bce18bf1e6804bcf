/* SPDX-License-Identifier: Apache-2.0 */
/* emu_test.c - test harness: run gceb-emulator, make HTTP calls with libcurl */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): nftw() */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "emu_spawn.h"
#include "emu_test.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch directory and all in it, deepest first; symbolic links are not followed. */
static void rm_dir(const char *dir)
{
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int emu_proc_start(struct emu_proc *p, const char *const *args)
{
	char port_file[128];
	bool no_auth = false;
	size_t i;

	memset(p, 0, sizeof(*p));
	(void)snprintf(p->dir, sizeof(p->dir), "/tmp/gceb-emu-test.XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	(void)snprintf(port_file, sizeof(port_file), "%s/port", p->dir);
	for (i = 0; args && args[i]; i++)
		no_auth = no_auth || strcmp(args[i], "--no-auth") == 0;
	p->pid = gceb_test_emu_spawn(GCEB_EMULATOR, port_file, args, p->root, sizeof(p->root));
	if (p->pid < 0) {
		p->pid = 0;
		return -1;
	}
	p->curl = curl_easy_init();
	if (!p->curl)
		return -1;
	if (!no_auth) {
		cJSON *t = emu_ctl(p, "/_emu/tokens", "{\"email\":\"test@emulator\"}");

		if (!t)
			return -1;
		(void)snprintf(p->token, sizeof(p->token), "%s", emu_str(t, "access_token"));
		cJSON_Delete(t);
	}
	return 0;
}

int emu_proc_stop(struct emu_proc *p)
{
	int status = 0, i;

	if (p->curl)
		curl_easy_cleanup(p->curl);
	p->curl = NULL;
	if (p->pid > 0) {
		(void)kill(p->pid, SIGTERM);
		for (i = 0; i < 1000; i++) {
			if (waitpid(p->pid, &status, WNOHANG) == p->pid)
				break;
			sleep_ms(10);
		}
		if (i == 1000) {
			(void)kill(p->pid, SIGKILL);
			(void)waitpid(p->pid, &status, 0);
			status = -1;
		} else {
			status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		p->pid = 0;
	}
	if (p->dir[0])
		rm_dir(p->dir);
	p->dir[0] = '\0';
	return status;
}

struct buf {
	char *p;
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;
	char *q = realloc(b->p, b->len + size * n + 1);

	if (!q)
		return 0;
	b->p = q;
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct emu_res *r = userdata;
	size_t len = size * n;

	if (len > 17 && strncasecmp(data, "Metadata-Flavor:", 16) == 0)
		(void)snprintf(r->flavor, sizeof(r->flavor), "%.*s", (int)(len - 17), data + 17);
	r->flavor[strcspn(r->flavor, "\r\n")] = '\0';
	return len;
}

int emu_http(struct emu_proc *p, const char *method, const char *url, const char *body, size_t len,
	     const char *const *headers, struct emu_res *out)
{
	CURL *c = p->curl;
	struct curl_slist *hl = NULL;
	struct buf b = { 0 };
	char full[4096], auth[256];
	const char *ct = NULL;
	bool has_auth = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	/* Links carry Compute's root (docs/emulator.md): call them here, as gceb does. */
	if (strncmp(url, EMU_TEST_CANONICAL, strlen(EMU_TEST_CANONICAL)) == 0)
		(void)snprintf(full, sizeof(full), "%s/%s", p->root,
			       url + strlen(EMU_TEST_CANONICAL));
	else if (strncmp(url, "http", 4) == 0)
		(void)snprintf(full, sizeof(full), "%s", url);
	else
		(void)snprintf(full, sizeof(full), "%s%s", p->root, url);
	for (i = 0; headers && headers[i]; i++) {
		if (strncasecmp(headers[i], "Authorization:", 14) == 0)
			has_auth = true;
		hl = curl_slist_append(hl, headers[i]);
	}
	if (!has_auth && p->token[0]) {
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", p->token);
		hl = curl_slist_append(hl, auth);
	}
	if (body)
		hl = curl_slist_append(hl, "Content-Type: application/json; charset=utf-8");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_reset(c);
	(void)curl_easy_setopt(c, CURLOPT_URL, full);
	(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "POST") == 0 || body) {
		(void)curl_easy_setopt(c, CURLOPT_POST, 1L);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)(body ? (len ? len : strlen(body)) : 0));
		(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	out->curl_err = (int)curl_easy_perform(c);
	curl_slist_free_all(hl);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	(void)curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->secs);
	(void)curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		(void)snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
	out->body = b.p;
	out->len = b.len;
	if (b.p)
		out->json = cJSON_ParseWithLength(b.p, b.len);
	return out->curl_err ? -1 : 0;
}

void emu_res_release(struct emu_res *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

cJSON *emu_json(struct emu_proc *p, const char *method, const char *url, const char *body,
		long *status)
{
	struct emu_res r;
	cJSON *j;

	(void)emu_http(p, method, url, body, 0, NULL, &r);
	*status = r.status;
	j = r.json;
	r.json = NULL;
	emu_res_release(&r);
	return j;
}

cJSON *emu_ctl(struct emu_proc *p, const char *path, const char *body)
{
	long status = 0;
	cJSON *j = emu_json(p, "POST", path, body ? body : "{}", &status);

	if (status != 200) {
		(void)fprintf(stderr, "control %s: HTTP %ld\n", path, status);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static const cJSON *walk(const cJSON *j, const char *path)
{
	char key[128];

	while (j && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (cJSON_IsArray(j))
			j = cJSON_GetArrayItem(j, (int)strtol(key, NULL, 10));
		else
			j = cJSON_GetObjectItemCaseSensitive(j, key);
		path += n;
		if (*path == '.')
			path++;
	}
	return j;
}

const char *emu_str(const cJSON *j, const char *dotted_path)
{
	const cJSON *v = walk(j, dotted_path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double emu_num(const cJSON *j, const char *dotted_path)
{
	const cJSON *v = walk(j, dotted_path);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

const char *emu_write_file(struct emu_proc *p, const char *name, const char *data)
{
	static char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	(void)fputs(data, f);
	(void)fclose(f);
	return path;
}
