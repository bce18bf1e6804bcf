/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scenario.c - the convergence driver and the end-state checker of the
 * scenario tests.
 *
 * The checker describes both sides as sorted lines and compares them:
 *
 *   store template B active=REV8 drained=N
 *   store revision B REV8 STATE url=yes|no active_groups=Z1,Z2 drained_groups=N
 *   store group B REV8 ZONE STATE url=yes|no instances=N
 *   store vms B REV8 ZONE live=N cataloged=N pending=N
 *   store leased=N
 *   gce template B-REV8 visible=true deleting=false
 *   gce group B-REV8 ZONE target=N members=N running=N visible=true deleting=false template=B-REV8
 *   mp catalog=N
 *
 * The expected lines come from the sc_expect (REV8 being the store's
 * active revision of B); the actual ones from gceb-status --json
 * --instances and /_emu/state, plus one line per disagreement between them
 * (a VM the store does not know, a hostname cataloged twice, ...), which are
 * never expected. Instance entities marked deleted (not yet purged) are
 * allowed, as long as their VM is gone.
 */
#include <ctype.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner.h"
#include "scenario.h"

struct lines {
	char **v;
	size_t n, cap;
};

static void add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct lines *l, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strdup(buf);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static void lines_release(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *sc_str(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(f) ? f->valuestring : NULL;
}

static int num(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(f))
		return (int)strtol(f->valuestring, NULL, 10);
	return cJSON_IsNumber(f) ? f->valueint : -1;
}

static bool flag(const cJSON *o, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static const cJSON *arr(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* The text after the last '/' of a URL. */
static const char *last_seg(const char *url)
{
	const char *s = url ? strrchr(url, '/') : NULL;

	return s ? s + 1 : (url ? url : "");
}

/* "B-REV" -> "B-REV8": GCE names shortened for the lines. */
static void short_name(const char *name, char *out, size_t len)
{
	const char *dash = strrchr(name, '-');

	if (dash && strlen(dash + 1) == 40)
		(void)snprintf(out, len, "%.*s-%.8s", (int)(dash - name), name, dash + 1);
	else
		(void)snprintf(out, len, "%s", name);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	assert_non_null(d);
	return d;
}

/* Scenario lifetime ------------------------------------------------------ */

struct sc *sc_start(const char *arg, ...)
{
	struct sc *s = calloc(1, sizeof(*s));
	const char *argv[16] = { NULL };
	int n = 0;
	va_list ap;

	assert_non_null(s);
	it_env_init(&s->env);
	va_start(ap, arg);
	for (; arg && n < 15; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	/* it_emu_start is variadic: pass up to 8 extra arguments through. */
	it_emu_start(&s->env, "--seed", "1", argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
		     argv[6], argv[7], NULL);
	s->advance_s = 30;
	return s;
}

/* Requests the fault rules have failed so far. */
static int fault_hits(struct sc *s)
{
	long status = 0;
	cJSON *list = it_emu_call(&s->env, "GET", "/_emu/faults", NULL, &status);
	const cJSON *rules = cJSON_IsArray(list) ? list : arr(list, "faults"), *f;
	int hits = 0;

	assert_int_equal(status, 200);
	cJSON_ArrayForEach(f, rules) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "hits");

		hits += cJSON_IsNumber(h) ? h->valueint : 0;
	}
	cJSON_Delete(list);
	return hits;
}

int sc_fault_hits(struct sc *s)
{
	return s->fault_hits + fault_hits(s);
}

/* docs/design/compute.md "requestId": Compute never saw one id for two different requests. */
static void expect_no_request_id_reused(struct sc *s)
{
	cJSON *stats = it_emu_call(&s->env, "GET", "/_emu/stats", NULL, NULL);
	int reused = it_int(stats, "request_id_reused");

	cJSON_Delete(stats);
	assert_int_equal(reused, 0);
}

void sc_stop(struct sc *s)
{
	if (!s)
		return;
	expect_no_request_id_reused(s);
	it_emu_stop(&s->env);
	it_env_cleanup(&s->env);
	free(s->last_err);
	free(s);
}

void sc_config(struct sc *s, const char *templates, const char *managers)
{
	it_write_config(&s->env, "templates.cfg", templates);
	it_write_config(&s->env, "managers.cfg", managers);
}

/* Control API ------------------------------------------------------------- */

void sc_emu_post(struct sc *s, const char *path, const char *body_fmt, ...)
{
	char body[2048];
	long status = 0;
	va_list ap;
	cJSON *r;

	va_start(ap, body_fmt);
	(void)vsnprintf(body, sizeof(body), body_fmt, ap);
	va_end(ap);
	r = it_emu_call(&s->env, "POST", path, body, &status);
	if (status != 200) {
		char *t = r ? cJSON_PrintUnformatted(r) : NULL;

		print_message("POST %s %s -> %ld %s\n", path, body, status, t ? t : "");
		free(t);
	}
	cJSON_Delete(r);
	assert_int_equal(status, 200);
}

cJSON *sc_emu_state(struct sc *s)
{
	long status = 0;
	cJSON *st = it_emu_call(&s->env, "GET", "/_emu/state", NULL, &status);

	assert_int_equal(status, 200);
	assert_non_null(st);
	return st;
}

void sc_fault_storm(struct sc *s)
{
	static const char *const paths[] = { "/compute/*", "/_ah/api/*" };
	size_t i;

	/* Rules are tried in order and each fires with its own probability:
	 * five rules of 2% fail about 9.6% of the requests. */
	for (i = 0; i < 2; i++) {
		const char *p = paths[i];

		sc_emu_post(s, "/_emu/faults",
			    "{\"path\": \"%s\", \"action\": \"status\", \"status\": 500, "
			    "\"probability\": 0.02}",
			    p);
		sc_emu_post(s, "/_emu/faults",
			    "{\"path\": \"%s\", \"action\": \"status\", \"status\": 503, "
			    "\"probability\": 0.02}",
			    p);
		sc_emu_post(s, "/_emu/faults",
			    "{\"path\": \"%s\", \"action\": \"status\", \"status\": 429, "
			    "\"probability\": 0.02}",
			    p);
		sc_emu_post(s, "/_emu/faults",
			    "{\"path\": \"%s\", \"action\": \"reset\", \"probability\": 0.02}", p);
		/* Beyond the jobs' --timeout-ms 500. */
		sc_emu_post(s, "/_emu/faults",
			    "{\"path\": \"%s\", \"action\": \"delay\", \"delay_ms\": 800, "
			    "\"probability\": 0.02}",
			    p);
	}
	s->faults = true;
	s->args[s->nargs++] = "--timeout-ms";
	s->args[s->nargs++] = "500";
}

void sc_clear_faults(struct sc *s)
{
	long status = 0;

	if (s->faults) {
		s->fault_hits += fault_hits(s);
		s->faults = false;
	}

	cJSON_Delete(it_emu_call(&s->env, "DELETE", "/_emu/faults", NULL, &status));
	assert_int_equal(status, 200);
}

/* Links carry Compute's root (docs/emulator.md); older ones the emulator's own. */
const char *sc_url_path(const struct sc *s, const char *url)
{
	static const char canonical[] = "https://www.googleapis.com/";
	size_t n = strlen(s->env.emu_url);

	if (strncmp(url, canonical, sizeof(canonical) - 1) == 0)
		return url + sizeof(canonical) - 2;
	return strncmp(url, s->env.emu_url, n) == 0 ? url + n : url;
}

/* Rounds -------------------------------------------------------------------- */

/* Words that must never appear on a job's stderr: the store went wrong. */
bool sc_store_trouble(const char *err)
{
	/* "mdb_", not "mdb": a VM name such as linux-4bc8e11d-us-b-mdbc is no store trouble. */
	static const char *const bad[] = { "store", "mdb_", "lmdb", "damaged", "corrupt" };
	char *low = xstrdup(err), *p;
	bool found = false;
	size_t i;

	for (p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		found = found || strstr(low, bad[i]) != NULL;
	free(low);
	return found;
}

int sc_round(struct sc *s)
{
	struct it_result res;
	const char *a[8] = { 0 };
	int i, st;

	for (i = 0; i < s->nargs; i++)
		a[i] = s->args[i];
	st = it_run(&s->env, &res, "run-all", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
	s->rounds++;
	if ((st != 0 && st != 1) || sc_store_trouble(res.err))
		print_message("round %d: gceb-run-all exit %d:\n%s", s->rounds, st, res.err);
	assert_true(st == 0 || st == 1);
	assert_false(sc_store_trouble(res.err));
	free(s->last_err);
	s->last_err = xstrdup(res.err);
	it_result_release(&res);
	if (s->advance_s > 0)
		it_emu_advance(&s->env, s->advance_s);
	return st;
}

void sc_rounds(struct sc *s, int n)
{
	while (n-- > 0)
		(void)sc_round(s);
}

/* The checker ------------------------------------------------------------- */

static cJSON *status_json(struct sc *s)
{
	struct it_result res;
	cJSON *j;
	int st = it_run(&s->env, &res, "status", "--json", "--instances", NULL);

	if (st != 0)
		print_message("gceb-status exit %d: %s\n", st, res.err);
	assert_int_equal(st, 0);
	j = cJSON_Parse(res.out);
	assert_non_null(j);
	it_result_release(&res);
	return j;
}

void sc_active_revision(struct sc *s, const char *base, char out[41])
{
	cJSON *st = status_json(s);
	const cJSON *t;

	out[0] = '\0';
	cJSON_ArrayForEach(t, arr(st, "templates")) {
		const char *b = sc_str(t, "base_name"), *a = sc_str(t, "active");

		if (b && a && !strcmp(b, base) && strchr(a, ' '))
			(void)snprintf(out, 41, "%s", strchr(a, ' ') + 1);
	}
	cJSON_Delete(st);
}

cJSON *sc_live_instances(struct sc *s, const char *base, const char *zone)
{
	cJSON *st = status_json(s), *out = cJSON_CreateArray();
	const cJSON *in;

	cJSON_ArrayForEach(in, arr(st, "instances")) {
		if (flag(in, "deleted") || flag(in, "pending_deletion"))
			continue;
		if (base && strcmp(sc_str(in, "base_name"), base) != 0)
			continue;
		if (zone && strcmp(sc_str(in, "zone"), zone) != 0)
			continue;
		cJSON_AddItemToArray(out, cJSON_Duplicate(in, true));
	}
	cJSON_Delete(st);
	return out;
}

static bool contains(const char *haystack, const char *rev)
{
	return haystack && strstr(haystack, rev) != NULL;
}

bool sc_revision_left(struct sc *s, const char *rev)
{
	cJSON *st = status_json(s), *emu = sc_emu_state(s);
	char *a = cJSON_PrintUnformatted(st), *b;
	const cJSON *in;
	bool left = false;

	/* Deleted, not yet purged Instance entities may still name it. */
	cJSON_ArrayForEach(in, arr(st, "instances")) {
		if (!flag(in, "deleted") && contains(sc_str(in, "revision"), rev))
			left = true;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(st, "instances");
	free(a);
	a = cJSON_PrintUnformatted(st);
	left = left || contains(a, rev);
	/* The emulator remembers operations; only live resources count. */
	b = cJSON_PrintUnformatted(arr(arr(emu, "compute"), "instanceTemplates"));
	left = left || contains(b, rev);
	free(b);
	b = cJSON_PrintUnformatted(arr(arr(emu, "compute"), "instanceGroupManagers"));
	left = left || contains(b, rev);
	free(b);
	b = cJSON_PrintUnformatted(arr(arr(emu, "compute"), "instances"));
	left = left || contains(b, rev);
	free(b);
	free(a);
	cJSON_Delete(st);
	cJSON_Delete(emu);
	return left;
}

static int cmp_zone(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "Z1,Z2" from a list of "B REV ZONE" keys, sorted. */
static void zones_of(const cJSON *keys, char *out, size_t len)
{
	const char *z[32] = { NULL };
	size_t n = 0, i, used = 0;
	const cJSON *k;

	cJSON_ArrayForEach(k, keys) {
		if (cJSON_IsString(k) && n < 32)
			z[n++] = strrchr(k->valuestring, ' ') ? strrchr(k->valuestring, ' ') + 1 :
								k->valuestring;
	}
	qsort(z, n, sizeof(z[0]), cmp_zone);
	out[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", z[i]);
}

/* Names: a small set of strings with counts. */
struct names {
	char **v;
	int *count;
	size_t n, cap;
};

static void names_add(struct names *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], name)) {
			s->count[i]++;
			return;
		}
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		s->count = realloc(s->count, s->cap * sizeof(*s->count));
		assert_true(s->v && s->count);
	}
	s->v[s->n] = xstrdup(name);
	s->count[s->n++] = 1;
}

static int names_count(const struct names *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], name))
			return s->count[i];
	}
	return 0;
}

static void names_release(struct names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->count);
	memset(s, 0, sizeof(*s));
}

static void store_lines(const cJSON *st, struct lines *l, struct names *live, struct names *dead)
{
	const cJSON *o;
	struct vms {
		char key[256];
		int live, cataloged, pending;
	} agg[64];
	int nagg = 0, i, leased = 0;
	char zones[512];

	cJSON_ArrayForEach(o, arr(st, "templates")) {
		const char *a = sc_str(o, "active");

		add(l, "store template %s active=%.8s drained=%d", sc_str(o, "base_name"),
		    a && strchr(a, ' ') ? strchr(a, ' ') + 1 : "null",
		    cJSON_GetArraySize(arr(o, "drained")));
	}
	cJSON_ArrayForEach(o, arr(st, "revisions")) {
		zones_of(arr(o, "active_groups"), zones, sizeof(zones));
		add(l, "store revision %s %.8s %s url=%s active_groups=%s drained_groups=%d",
		    sc_str(o, "base_name"), sc_str(o, "revision"), sc_str(o, "state"),
		    sc_str(o, "url") ? "yes" : "no", zones,
		    cJSON_GetArraySize(arr(o, "drained_groups")));
	}
	cJSON_ArrayForEach(o, arr(st, "groups")) {
		add(l, "store group %s %.8s %s %s url=%s instances=%d", sc_str(o, "base_name"),
		    sc_str(o, "revision"), sc_str(o, "zone"), sc_str(o, "state"),
		    sc_str(o, "url") ? "yes" : "no", num(o, "instances"));
	}
	cJSON_ArrayForEach(o, arr(st, "instances")) {
		char key[256];

		if (flag(o, "leased"))
			leased++;
		if (flag(o, "deleted")) {
			names_add(dead, sc_str(o, "name"));
			continue;
		}
		(void)snprintf(key, sizeof(key), "%s %.8s %s", sc_str(o, "base_name"),
			       sc_str(o, "revision"), sc_str(o, "zone"));
		for (i = 0; i < nagg && strcmp(agg[i].key, key) != 0; i++)
			;
		if (i == nagg) {
			assert_true(nagg < 64);
			memset(&agg[i], 0, sizeof(agg[i]));
			(void)snprintf(agg[i].key, sizeof(agg[i].key), "%s", key);
			nagg++;
		}
		if (flag(o, "pending_deletion")) {
			agg[i].pending++;
			continue;
		}
		agg[i].live++;
		agg[i].cataloged += flag(o, "cataloged");
		names_add(live, sc_str(o, "name"));
	}
	for (i = 0; i < nagg; i++)
		add(l, "store vms %s live=%d cataloged=%d pending=%d", agg[i].key, agg[i].live,
		    agg[i].cataloged, agg[i].pending);
	add(l, "store leased=%d", leased);
}

static void emu_lines(const cJSON *emu, struct lines *l, struct names *vms, struct names *hosts)
{
	const cJSON *c = arr(emu, "compute"), *o, *m;
	char name[256], tmpl[256];
	size_t i;
	int n = 0;

	cJSON_ArrayForEach(o, arr(c, "instanceTemplates")) {
		short_name(sc_str(o, "name"), name, sizeof(name));
		add(l, "gce template %s visible=%s deleting=%s", name,
		    flag(o, "_visible") ? "true" : "false",
		    flag(o, "_deleting") ? "true" : "false");
	}
	cJSON_ArrayForEach(o, arr(c, "instanceGroupManagers")) {
		const char *self = sc_str(o, "selfLink");
		int members = 0, running = 0;

		cJSON_ArrayForEach(m, arr(c, "instances")) {
			if (!self || strcmp(sc_str(m, "instanceGroupManager"), self) != 0)
				continue;
			members++;
			running += sc_str(m, "status") && !strcmp(sc_str(m, "status"), "RUNNING") &&
				   !strcmp(sc_str(m, "currentAction"), "NONE");
		}
		short_name(sc_str(o, "name"), name, sizeof(name));
		short_name(last_seg(sc_str(o, "instanceTemplate")), tmpl, sizeof(tmpl));
		add(l,
		    "gce group %s %s target=%d members=%d running=%d visible=%s deleting=%s "
		    "template=%s",
		    name, last_seg(sc_str(o, "zone")), num(o, "targetSize"), members, running,
		    flag(o, "_visible") ? "true" : "false", flag(o, "_deleting") ? "true" : "false",
		    tmpl);
	}
	/* VMs that exist and are not on their way out: what the store must know. */
	cJSON_ArrayForEach(m, arr(c, "instances")) {
		const char *act = sc_str(m, "currentAction");

		if (sc_str(m, "status") && act && strcmp(act, "DELETING") != 0)
			names_add(vms, last_seg(sc_str(m, "instance")));
	}
	cJSON_ArrayForEach(o, arr(arr(emu, "machine_provider"), "catalog")) {
		names_add(hosts, sc_str(arr(o, "dimensions"), "hostname"));
		n++;
	}
	add(l, "mp catalog=%d", n);
	for (i = 0; i < hosts->n; i++) {
		if (hosts->count[i] > 1)
			add(l, "disagree: mp hostname %s cataloged %d times", hosts->v[i],
			    hosts->count[i]);
	}
}

static void expected_lines(const struct sc_expect *e, const cJSON *st, struct lines *l)
{
	const char *bases[8];
	char revs[8][41], zones[512];
	int nb = 0, i, j, total = 0;

	for (i = 0; i < e->n; i++) {
		for (j = 0; j < nb && strcmp(bases[j], e->g[i].base) != 0; j++)
			;
		if (j == nb) {
			const cJSON *t;

			bases[nb] = e->g[i].base;
			(void)snprintf(revs[nb], 41, "?");
			cJSON_ArrayForEach(t, arr(st, "templates")) {
				const char *a = sc_str(t, "active");

				if (!strcmp(sc_str(t, "base_name"), e->g[i].base) && a &&
				    strchr(a, ' '))
					(void)snprintf(revs[nb], 41, "%s", strchr(a, ' ') + 1);
			}
			nb++;
		}
	}
	for (j = 0; j < nb; j++) {
		const char *zl[8] = { NULL };
		int nz = 0;
		size_t used = 0;

		add(l, "store template %s active=%.8s drained=0", bases[j], revs[j]);
		add(l, "gce template %s-%.8s visible=true deleting=false", bases[j], revs[j]);
		for (i = 0; i < e->n; i++) {
			if (!strcmp(e->g[i].base, bases[j]))
				zl[nz++] = e->g[i].zone;
		}
		qsort(zl, (size_t)nz, sizeof(zl[0]), cmp_zone);
		zones[0] = '\0';
		for (i = 0; i < nz; i++)
			used += (size_t)snprintf(zones + used, sizeof(zones) - used, "%s%s",
						 i ? "," : "", zl[i]);
		add(l, "store revision %s %.8s active url=yes active_groups=%s drained_groups=0",
		    bases[j], revs[j], zones);
		for (i = 0; i < e->n; i++) {
			const struct sc_group *g = &e->g[i];

			if (strcmp(g->base, bases[j]) != 0)
				continue;
			add(l, "store group %s %.8s %s active url=yes instances=%d", g->base,
			    revs[j], g->zone, g->running);
			if (g->running > 0)
				add(l, "store vms %s %.8s %s live=%d cataloged=%d pending=0",
				    g->base, revs[j], g->zone, g->running, g->running);
			add(l,
			    "gce group %s-%.8s %s target=%d members=%d running=%d visible=true "
			    "deleting=false template=%s-%.8s",
			    g->base, revs[j], g->zone, g->target, g->target, g->running, g->base,
			    revs[j]);
			total += g->running;
		}
	}
	add(l, "store leased=%d", e->leased);
	add(l, "mp catalog=%d", total);
}

bool sc_check(struct sc *s, const struct sc_expect *e, char **diff)
{
	struct lines exp = { 0 }, act = { 0 };
	struct names live = { 0 }, dead = { 0 }, vms = { 0 }, cat = { 0 };
	cJSON *st = status_json(s), *emu = sc_emu_state(s);
	size_t i, j, used = 0, cap = 1;
	char *out;
	bool ok;

	store_lines(st, &act, &live, &dead);
	emu_lines(emu, &act, &vms, &cat);
	expected_lines(e, st, &exp);
	/* Store and emulator agree: the same live VMs, each cataloged once. */
	for (i = 0; i < vms.n; i++) {
		if (!names_count(&live, vms.v[i]))
			add(&act, "disagree: gce vm %s is not a live instance of the store",
			    vms.v[i]);
	}
	for (i = 0; i < live.n; i++) {
		if (!names_count(&vms, live.v[i]))
			add(&act, "disagree: store instance %s is not a running gce vm", live.v[i]);
		if (!names_count(&cat, live.v[i]))
			add(&act, "disagree: store instance %s is not in the mp catalog",
			    live.v[i]);
	}
	for (i = 0; i < cat.n; i++) {
		if (!names_count(&live, cat.v[i]))
			add(&act, "disagree: mp hostname %s is not a live instance", cat.v[i]);
	}
	for (i = 0; i < dead.n; i++) {
		if (names_count(&vms, dead.v[i]))
			add(&act, "disagree: deleted instance %s is still a gce vm", dead.v[i]);
	}
	qsort(exp.v, exp.n, sizeof(*exp.v), cmp_str);
	qsort(act.v, act.n, sizeof(*act.v), cmp_str);
	/* Merge: "-" expected only, "+" actual only. */
	out = malloc(1);
	assert_non_null(out);
	out[0] = '\0';
	ok = true;
	for (i = 0, j = 0; i < exp.n || j < act.n;) {
		int c = i == exp.n ? 1 : j == act.n ? -1 : strcmp(exp.v[i], act.v[j]);
		const char *line = c < 0 ? exp.v[i] : act.v[j];
		size_t need = strlen(line) + 4;

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		ok = false;
		if (used + need >= cap) {
			char *bigger = realloc(out, (used + need) * 2);

			assert_non_null(bigger);
			out = bigger;
			cap = (used + need) * 2;
		}
		used += (size_t)snprintf(out + used, cap - used, "%c %s\n", c < 0 ? '-' : '+',
					 line);
		if (c < 0)
			i++;
		else
			j++;
	}
	if (diff)
		*diff = out;
	else
		free(out);
	lines_release(&exp);
	lines_release(&act);
	names_release(&live);
	names_release(&dead);
	names_release(&vms);
	names_release(&cat);
	cJSON_Delete(st);
	cJSON_Delete(emu);
	return ok;
}

int sc_converge(struct sc *s, const struct sc_expect *e, int max_rounds, const char *what)
{
	char *diff = NULL;
	int r, st;

	for (r = 1; r <= max_rounds; r++) {
		(void)sc_round(s);
		free(diff);
		diff = NULL;
		if (!sc_check(s, e, &diff))
			continue;
		/* Converged: one more round keeps it, and says nothing without faults. */
		st = sc_round(s);
		if (!s->faults && (st != 0 || s->last_err[0]))
			print_message("%s: round after convergence: exit %d\n%s", what, st,
				      s->last_err);
		if (!s->faults) {
			assert_int_equal(st, 0);
			assert_string_equal(s->last_err, "");
		}
		free(diff);
		diff = NULL;
		if (!sc_check(s, e, &diff)) {
			(void)printf("%s: not stable after %d rounds:\n%s", what, r, diff);
			(void)fflush(stdout);
			free(diff);
			fail();
		}
		free(diff);
		if (s->faults)
			print_message("%s: converged after %d rounds, %d requests failed so far\n",
				      what, r, sc_fault_hits(s));
		else
			print_message("%s: converged after %d rounds\n", what, r);
		return r;
	}
	/* Not print_message: it cuts at 1 KiB. */
	(void)printf("%s: no convergence after %d rounds; last stderr:\n%s\n"
		     "expected (-) vs actual (+):\n%s",
		     what, max_rounds, s->last_err ? s->last_err : "", diff);
	(void)fflush(stdout);
	free(diff);
	fail();
	return -1;
}

/* Processes --------------------------------------------------------------- */

const char *const sc_jobs[14] = {
	"import-config",
	"process-config",
	"create-instance-templates",
	"create-instance-group-managers",
	"fetch-instances",
	"catalog-instances",
	"update-cataloged-instances",
	"schedule-metadata-tasks",
	"delete-instances-pending-deletion",
	"resize-instance-groups",
	"remove-cataloged-instances",
	"delete-instance-group-managers",
	"delete-instance-templates",
	"cleanup-entities",
};

int sc_spawn(struct sc *s, const char *faketime, const char *job, const char *const *args,
	     int err_fd)
{
	char bin[512];
	const char *argv[32];
	int argc = 0, pid;

	(void)snprintf(bin, sizeof(bin), "%s/gceb-%s", GCEB_BIN_DIR, job);
	if (faketime) {
		argv[argc++] = "timeout";
		argv[argc++] = "60";
		argv[argc++] = "faketime";
		argv[argc++] = "-f";
		argv[argc++] = faketime;
	}
	argv[argc++] = bin;
	argv[argc++] = "--state-dir";
	argv[argc++] = s->env.state_dir;
	argv[argc++] = "--config-dir";
	argv[argc++] = s->env.config_dir;
	while (args && *args && argc < 31)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		(void)dup2(null, 1);
		(void)dup2(err_fd >= 0 ? err_fd : null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Random numbers -------------------------------------------------------- */

unsigned sc_seed(void)
{
	const char *e = getenv("GCEB_SCENARIO_SEED");

	return e && *e ? (unsigned)strtoul(e, NULL, 0) : 20240607u;
}

unsigned sc_rand(unsigned *state)
{
	/* xorshift32: the same sequence on every machine. */
	unsigned x = *state ? *state : 1u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}
