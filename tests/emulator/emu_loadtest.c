/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emu_loadtest.c - load generator for gceb-emulator: starts one, seeds a group
 * of N running instances, then keeps C keep-alive connections busy with
 * instances.get (and, with --list, listInstances pages) for a bounded number
 * of requests or seconds, and prints requests per second. Loopback only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "emu_test.h"

struct slot {
	CURL *h;
	char url[512];
};

static double now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	return size * n;
}

/* Every tenth request is a listInstances page in --list mode. */
static void submit(CURLM *multi, struct slot *s, const char *root, char **urls, size_t nurls,
		   long seq, bool list)
{
	if (list && seq % 10 == 0) {
		(void)snprintf(s->url, sizeof(s->url),
			       "%s/compute/v1/projects/p/zones/z/instanceGroups/load/listInstances"
			       "?maxResults=500",
			       root);
		(void)curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, "");
	} else {
		(void)snprintf(s->url, sizeof(s->url), "%s", urls[(size_t)seq * 7919 % nurls]);
		(void)curl_easy_setopt(s->h, CURLOPT_HTTPGET, 1L);
	}
	(void)curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	(void)curl_multi_add_handle(multi, s->h);
}

/* The instance URLs of the group, gathered page by page. */
static char **collect(struct emu_proc *p, size_t want, size_t *out)
{
	char **urls = calloc(want, sizeof(*urls));
	char path[512], tok[128] = "";
	size_t n = 0;
	long status;

	do {
		cJSON *j;
		const cJSON *it;
		const char *t;

		(void)snprintf(path, sizeof(path),
			       "/compute/v1/projects/p/zones/z/instanceGroups/load/listInstances"
			       "?maxResults=500%s%s",
			       tok[0] ? "&pageToken=" : "", tok);
		j = emu_json(p, "POST", path, NULL, &status);
		if (status != 200) {
			cJSON_Delete(j);
			break;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
			if (n < want)
				urls[n++] = strdup(emu_str(it, "instance"));
		}
		t = emu_str(j, "nextPageToken");
		(void)snprintf(tok, sizeof(tok), "%s", t ? t : "");
		cJSON_Delete(j);
	} while (tok[0]);
	*out = n;
	return urls;
}

static void free_urls(char **urls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "instances", required_argument, NULL, 'n' },
					      { "connections", required_argument, NULL, 'c' },
					      { "requests", required_argument, NULL, 'r' },
					      { "seconds", required_argument, NULL, 's' },
					      { "list", no_argument, NULL, 'l' },
					      { NULL, 0, NULL, 0 } };
	/* Links on the emulator itself: the instance URLs are called as listed. */
	static const char *const args[] = { "--log-max", "0", "--link-root", "self", NULL };
	long instances = 100000, conns = 16, total = 50000, secs = 30;
	bool list = false;
	struct emu_proc p;
	struct curl_slist *hdr = NULL;
	struct slot *slots;
	CURLM *multi;
	char body[256], auth[200], **urls;
	size_t nurls = 0, i;
	long sent = 0, done = 0, errors = 0;
	double t0, t1, seed_t;
	int c, running;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			instances = strtol(optarg, NULL, 10);
			break;
		case 'c':
			conns = strtol(optarg, NULL, 10);
			break;
		case 'r':
			total = strtol(optarg, NULL, 10);
			break;
		case 's':
			secs = strtol(optarg, NULL, 10);
			break;
		case 'l':
			list = true;
			break;
		default:
			(void)fprintf(stderr,
				      "usage: emu-loadtest [--instances N] [--connections C] "
				      "[--requests R] [--seconds S] [--list]\n");
			return 2;
		}
	}
	if (instances < 1 || conns < 1 || conns > 256 || total < 1 || secs < 1)
		return 2;
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
	if (emu_proc_start(&p, args) < 0) {
		(void)fprintf(stderr, "emu-loadtest: cannot start the emulator\n");
		return 1;
	}
	seed_t = now_s();
	(void)snprintf(body, sizeof(body),
		       "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"load\","
		       "\"size\":%ld}",
		       instances);
	cJSON_Delete(emu_ctl(&p, "/_emu/gce/seed", body));
	seed_t = now_s() - seed_t;
	urls = collect(&p, (size_t)instances, &nurls);
	if (nurls != (size_t)instances) {
		(void)fprintf(stderr, "emu-loadtest: seeded %zu of %ld instances\n", nurls,
			      instances);
		free_urls(urls, nurls);
		(void)emu_proc_stop(&p);
		curl_global_cleanup();
		return 1;
	}
	(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", p.token);
	hdr = curl_slist_append(hdr, auth);

	multi = curl_multi_init();
	slots = calloc((size_t)conns, sizeof(*slots));
	t0 = now_s();
	for (i = 0; i < (size_t)conns && sent < total; i++) {
		slots[i].h = curl_easy_init();
		(void)curl_easy_setopt(slots[i].h, CURLOPT_HTTPHEADER, hdr);
		(void)curl_easy_setopt(slots[i].h, CURLOPT_WRITEFUNCTION, discard);
		(void)curl_easy_setopt(slots[i].h, CURLOPT_PRIVATE, &slots[i]);
		submit(multi, &slots[i], p.root, urls, nurls, sent++, list);
	}
	do {
		CURLMsg *m;
		int q;

		(void)curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &q))) {
			struct slot *s;
			long code = 0;

			if (m->msg != CURLMSG_DONE)
				continue;
			(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			(void)curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (m->data.result != CURLE_OK || code != 200)
				errors++;
			done++;
			(void)curl_multi_remove_handle(multi, m->easy_handle);
			if (sent < total && now_s() - t0 < (double)secs) {
				submit(multi, s, p.root, urls, nurls, sent++, list);
				running++;
			}
		}
		if (running)
			(void)curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running);
	t1 = now_s();

	(void)printf("instances=%ld connections=%ld requests=%ld errors=%ld seconds=%.2f "
		     "rate=%.0f req/s seed=%.2fs mode=%s\n",
		     instances, conns, done, errors, t1 - t0, (double)done / (t1 - t0), seed_t,
		     list ? "get+list" : "get");
	for (i = 0; i < (size_t)conns; i++)
		curl_easy_cleanup(slots[i].h);
	free(slots);
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdr);
	free_urls(urls, nurls);
	c = emu_proc_stop(&p);
	curl_global_cleanup();
	return errors || c != 0 ? 1 : 0;
}
