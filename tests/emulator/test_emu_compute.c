/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_compute.c - where the emulator must answer as Compute does (issue 14) */
#include <pthread.h>
#include <time.h>

#include <curl/curl.h>

#include "runner.h"
#include "test_emu_common.h"

#define PRJ   "/compute/v1/projects/p"
#define TMPL  PRJ "/global/instanceTemplates"
#define IGM   PRJ "/zones/z/instanceGroupManagers"
#define IG    PRJ "/zones/z/instanceGroups"
#define INST  PRJ "/zones/z/instances"
#define RID_A "8c1d6a2e-5b7f-4c3e-9a1d-0f2b3c4d5e6f"
#define RID_B "0b7a9c4e-1d2f-4e5a-8b6c-7d8e9f0a1b2c"

static int setup(void **state)
{
	static const char *const args[] = { "--seed", "7", NULL };

	(void)state;
	return start_emu(args);
}

static void make_template(const char *name)
{
	char body[256];

	(void)snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	cJSON_Delete(CALL("POST", TMPL, body, 200));
	advance(3);
}

static void make_group(const char *name, int size)
{
	char body[512];

	(void)snprintf(body, sizeof(body),
		       "{\"name\":\"%s\",\"baseInstanceName\":\"%s\",\"instanceTemplate\":"
		       "\"global/instanceTemplates/t\",\"targetSize\":%d}",
		       name, name, size);
	cJSON_Delete(CALL("POST", IGM, body, 200));
	advance(3);
}

static int count(const cJSON *j, const char *key)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, key));
}

/* The names of the items under key, in order, comma-joined into out. */
static void names(const cJSON *j, const char *key, const char *field, char *out, size_t size)
{
	const cJSON *it;
	size_t n = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, key)) {
		const char *v = emu_str(it, field);
		const char *slash = v ? strrchr(v, '/') : NULL;

		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
				      slash ? slash + 1 : (v ? v : "?"));
		if (n >= size)
			break;
	}
}

static bool sorted(const cJSON *j, const char *key, const char *field)
{
	const cJSON *it;
	const char *prev = NULL;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, key)) {
		const char *v = emu_str(it, field);

		if (prev && strcmp(prev, v) >= 0)
			return false;
		prev = v;
	}
	return true;
}

static void lists_are_in_name_order(void **state)
{
	char got[512], url[512];
	cJSON *j, *j2;

	(void)state;
	make_template("zz");
	make_template("t");
	make_template("aa");
	j = CALL("GET", TMPL, NULL, 200);
	names(j, "items", "name", got, sizeof(got));
	assert_string_equal(got, "aa,t,zz");
	cJSON_Delete(j);
	/* pages follow name order too, and a token survives an insert before it */
	j = CALL("GET", TMPL "?maxResults=2", NULL, 200);
	names(j, "items", "name", got, sizeof(got));
	assert_string_equal(got, "aa,t");
	make_template("b");
	(void)snprintf(url, sizeof(url), TMPL "?maxResults=2&pageToken=%s",
		       emu_str(j, "nextPageToken"));
	j2 = CALL("GET", url, NULL, 200);
	names(j2, "items", "name", got, sizeof(got));
	assert_string_equal(got, "zz");
	assert_null(emu_str(j2, "nextPageToken"));
	cJSON_Delete(j);
	cJSON_Delete(j2);

	make_group("mz", 0);
	make_group("ma", 0);
	j = CALL("GET", IGM, NULL, 200);
	names(j, "items", "name", got, sizeof(got));
	assert_string_equal(got, "ma,mz");
	cJSON_Delete(j);

	/* member names have random suffixes: creation order is not name order */
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m\",\"size\":40}");
	j = CALL("POST", IG "/m/listInstances", NULL, 200);
	assert_int_equal(count(j, "items"), 40);
	assert_true(sorted(j, "items", "instance"));
	cJSON_Delete(j);
	j = CALL("POST", IGM "/m/listManagedInstances", NULL, 200);
	assert_int_equal(count(j, "managedInstances"), 40);
	assert_true(sorted(j, "managedInstances", "instance"));
	cJSON_Delete(j);
	j = CALL("GET", INST, NULL, 200);
	assert_int_equal(count(j, "items"), 40);
	assert_true(sorted(j, "items", "name"));
	cJSON_Delete(j);
}

/* InstanceGroupManagersListManagedInstancesResponse: managedInstances, nextPageToken. */
static void managed_instances_response_type(void **state)
{
	cJSON *j;
	const cJSON *f;

	(void)state;
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m\",\"size\":3}");
	j = CALL("POST", IGM "/m/listManagedInstances?maxResults=1", NULL, 200);
	cJSON_ArrayForEach(f, j) {
		assert_string_equal(f->string, "managedInstances");
	}
	/* PAGELESS, the default: maxResults is ignored */
	assert_int_equal(count(j, "managedInstances"), 3);
	cJSON_Delete(j);
	j = CALL("GET", IGM "/m", NULL, 200);
	assert_json_str(j, "listManagedInstancesResults", "PAGELESS");
	cJSON_Delete(j);
	cJSON_Delete(
		CALL("POST", IGM,
		     "{\"name\":\"x\",\"baseInstanceName\":\"x\",\"instanceTemplate\":"
		     "\"global/instanceTemplates/t\",\"listManagedInstancesResults\":\"SOME\"}",
		     400));
}

static void all_current_actions(void **state)
{
	static const char *const counters[] = {
		"abandoning", "creating",   "creatingWithoutRetries",
		"deleting",   "none",       "recreating",
		"refreshing", "restarting", "resuming",
		"starting",   "stopping",   "suspending",
		"verifying",
	};
	cJSON *j;
	const cJSON *ca;
	size_t i;

	(void)state;
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m\",\"size\":2}");
	j = CALL("GET", IGM "/m", NULL, 200);
	ca = cJSON_GetObjectItemCaseSensitive(j, "currentActions");
	assert_int_equal(cJSON_GetArraySize(ca), 13);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ca, counters[i])));
	assert_int_equal((int)emu_num(ca, "none"), 2);
	cJSON_Delete(j);
}

static void links_carry_compute_root(void **state)
{
	static const char *const args[] = { "--link-root", "https://tls.example:8443", NULL };
	char want[512], self[256];
	cJSON *j;

	(void)state;
	j = CALL("POST", TMPL, "{\"name\":\"t\"}", 200);
	assert_json_str(j, "targetLink",
			"https://www.googleapis.com/compute/v1/projects/p/global/"
			"instanceTemplates/t");
	assert_non_null(strstr(emu_str(j, "selfLink"),
			       "https://www.googleapis.com/compute/v1/projects/p/global/"
			       "operations/operation-"));
	cJSON_Delete(j);

	/* another root: a TLS terminator in front of the emulator */
	restart(args);
	j = CALL("POST", TMPL, "{\"name\":\"t\"}", 200);
	assert_json_str(
		j, "targetLink",
		"https://tls.example:8443/compute/v1/projects/p/global/instanceTemplates/t");
	cJSON_Delete(j);
	/* ...or the emulator's own address, set at run time */
	CTL("/_emu/config", "{\"link_root\":\"self\"}");
	advance(3);
	j = CALL("GET", TMPL "/t", NULL, 200);
	(void)snprintf(want, sizeof(want), "%s" TMPL "/t", P.root);
	assert_json_str(j, "selfLink", want);
	cJSON_Delete(j);
	j = CALL("GET", "/_emu/config", NULL, 200);
	(void)snprintf(self, sizeof(self), "%s/", P.root);
	assert_json_str(j, "link_root", self);
	cJSON_Delete(j);
	assert_null(emu_ctl(&P, "/_emu/config", "{\"link_root\":\"ftp://x/\"}"));
	assert_null(emu_ctl(&P, "/_emu/config", "{\"link_root\":\"https://x/?q\"}"));
}

static void instances_list_filters_and_pages(void **state)
{
	char got[512], url[512];
	cJSON *j, *j2;
	const char *first;

	(void)state;
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m\",\"size\":5}");
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z2\",\"template\":\"t\",\"group\":\"o\",\"size\":1}");
	j = CALL("GET", INST, NULL, 200);
	assert_json_str(j, "kind", "compute#instanceList");
	assert_json_str(j, "selfLink",
			"https://www.googleapis.com/compute/v1/projects/p/zones/z/instances");
	assert_int_equal(count(j, "items"), 5);
	assert_json_str(j, "items.0.kind", "compute#instance");
	first = emu_str(j, "items.0.name");
	(void)snprintf(url, sizeof(url), INST "?filter=name+%%3D+%%22%s%%22", first);
	j2 = CALL("GET", url, NULL, 200);
	names(j2, "items", "name", got, sizeof(got));
	assert_string_equal(got, first);
	cJSON_Delete(j2);
	(void)snprintf(url, sizeof(url), INST "?filter=name%%20eq%%20%s", first);
	j2 = CALL("GET", url, NULL, 200);
	assert_int_equal(count(j2, "items"), 1);
	cJSON_Delete(j2);
	(void)snprintf(url, sizeof(url), INST "?filter=name+!%%3D+%s", first);
	j2 = CALL("GET", url, NULL, 200);
	assert_int_equal(count(j2, "items"), 4);
	cJSON_Delete(j2);
	j2 = CALL("GET", INST "?filter=status+%3D+RUNNING", NULL, 200);
	assert_int_equal(count(j2, "items"), 5);
	cJSON_Delete(j2);
	j2 = CALL("GET", INST "?filter=(status+%3D+RUNNING)+AND+(name+%3D+m-*)", NULL, 200);
	assert_int_equal(count(j2, "items"), 5);
	cJSON_Delete(j2);
	j2 = CALL("GET", INST "?filter=(status+%3D+RUNNING)+(name+eq+%27nope.*%27)", NULL, 200);
	assert_null(cJSON_GetObjectItemCaseSensitive(j2, "items"));
	cJSON_Delete(j2);
	j2 = CALL("GET", INST "?filter=status+%3D+TERMINATED", NULL, 200);
	assert_null(cJSON_GetObjectItemCaseSensitive(j2, "items"));
	cJSON_Delete(j2);
	cJSON_Delete(j);
	/* what cannot be parsed is refused, as Compute does */
	cJSON_Delete(CALL("GET", INST "?filter=name", NULL, 400));
	cJSON_Delete(CALL("GET", INST "?filter=zone+%3D+z", NULL, 400));
	cJSON_Delete(CALL("GET", INST "?filter=(name+%3D+a)+OR+(name+%3D+b)", NULL, 400));
	cJSON_Delete(CALL("GET", INST "?filter=name+%3D+%22open", NULL, 400));
	cJSON_Delete(CALL("GET", INST "?filter=name+eq+(", NULL, 400));

	j = CALL("GET", INST "?maxResults=2", NULL, 200);
	assert_int_equal(count(j, "items"), 2);
	(void)snprintf(url, sizeof(url), INST "?maxResults=2&pageToken=%s",
		       emu_str(j, "nextPageToken"));
	j2 = CALL("GET", url, NULL, 200);
	assert_int_equal(count(j2, "items"), 2);
	assert_true(strcmp(emu_str(j, "items.1.name"), emu_str(j2, "items.0.name")) < 0);
	cJSON_Delete(j);
	cJSON_Delete(j2);
	cJSON_Delete(CALL("GET", INST "?pageToken=zzz", NULL, 400));
	j = CALL("GET", PRJ "/zones/empty/instances", NULL, 200);
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "items"));
	cJSON_Delete(j);
}

static void request_id_deduplicates(void **state)
{
	char name[128];
	cJSON *op, *again, *st;

	(void)state;
	op = CALL("POST", TMPL "?requestId=" RID_A, "{\"name\":\"t\"}", 200);
	(void)snprintf(name, sizeof(name), "%s", emu_str(op, "name"));
	cJSON_Delete(op);
	/* the retry: the same operation, no second insert (which would be 409) */
	again = CALL("POST", TMPL "?requestId=" RID_A, "{\"name\":\"t\"}", 200);
	assert_json_str(again, "name", name);
	cJSON_Delete(again);
	advance(3);
	again = CALL("POST", TMPL "?requestId=" RID_A, "{ \"name\" : \"t\" }", 200);
	assert_json_str(again, "name", name);
	assert_json_str(again, "status", "DONE");
	cJSON_Delete(again);
	st = CALL("GET", "/_emu/stats", NULL, 200);
	assert_int_equal((int)emu_num(st, "request_id_reused"), 0);
	cJSON_Delete(st);
	/* other id: a new request, which conflicts */
	cJSON_Delete(CALL("POST", TMPL "?requestId=" RID_B, "{\"name\":\"t\"}", 409));

	/* same id, other request: ignored as Compute documents, and counted */
	again = CALL("POST", TMPL "?requestId=" RID_A, "{\"name\":\"u\"}", 200);
	assert_json_str(again, "name", name);
	cJSON_Delete(again);
	cJSON_Delete(CALL("GET", TMPL "/u", NULL, 404));
	st = CALL("GET", "/_emu/stats", NULL, 200);
	assert_int_equal((int)emu_num(st, "request_id_reused"), 1);
	cJSON_Delete(st);

	/* the operation itself is forgotten after an hour: the retry still gets it */
	advance(2 * 3600);
	again = CALL("POST", TMPL "?requestId=" RID_A, "{\"name\":\"t\"}", 200);
	assert_json_str(again, "name", name);
	assert_json_str(again, "status", "DONE");
	cJSON_Delete(again);
	/* after a day the id is new again */
	advance(24 * 3600);
	cJSON_Delete(CALL("POST", TMPL "?requestId=" RID_A, "{\"name\":\"t\"}", 409));

	cJSON_Delete(CALL("POST", TMPL "?requestId=not-a-uuid", "{\"name\":\"v\"}", 400));
	cJSON_Delete(CALL("POST", TMPL "?requestId=00000000-0000-0000-0000-000000000000",
			  "{\"name\":\"v\"}", 400));
}

static void request_id_on_group_calls(void **state)
{
	char name[128];
	cJSON *op, *g;

	(void)state;
	make_template("t");
	make_group("m", 0);
	op = CALL("POST", IGM "/m/resize?size=2&requestId=" RID_A, NULL, 200);
	(void)snprintf(name, sizeof(name), "%s", emu_str(op, "name"));
	cJSON_Delete(op);
	advance(20);
	cJSON_Delete(CALL("POST", IGM "/m/resize?size=1", NULL, 200));
	/* a late retry of the first resize does not grow the group again */
	op = CALL("POST", IGM "/m/resize?size=2&requestId=" RID_A, NULL, 200);
	assert_json_str(op, "name", name);
	cJSON_Delete(op);
	g = CALL("GET", IGM "/m", NULL, 200);
	assert_int_equal((int)emu_num(g, "targetSize"), 1);
	cJSON_Delete(g);
	/* a refused request is not remembered: its retry is a new request */
	cJSON_Delete(CALL("DELETE", TMPL "/t?requestId=" RID_B, NULL, 400));
	cJSON_Delete(CALL("DELETE", IGM "/m?requestId=" RID_B, NULL, 200));
	/* ids are per project */
	cJSON_Delete(CALL("POST",
			  "/compute/v1/projects/q/global/instanceTemplates?requestId=" RID_A,
			  "{\"name\":\"t\"}", 200));
}

/* A second connection, for a call that blocks while the test goes on. */
struct waiter {
	struct emu_proc p;
	char url[512];
	long status;
	char *status_field;
	double secs;
};

static double now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct emu_res r;
	double t0 = now_s();

	(void)emu_http(&w->p, "POST", w->url, NULL, 0, NULL, &r);
	w->secs = now_s() - t0;
	w->status = r.status;
	if (r.json && emu_str(r.json, "status"))
		w->status_field = strdup(emu_str(r.json, "status"));
	emu_res_release(&r);
	return NULL;
}

static void start_wait(struct waiter *w, pthread_t *th, const char *op_url)
{
	memset(w, 0, sizeof(*w));
	w->p = P;
	w->p.curl = curl_easy_init();
	(void)snprintf(w->url, sizeof(w->url), "%s/wait", op_url);
	assert_int_equal(pthread_create(th, NULL, wait_thread, w), 0);
}

static void end_wait(struct waiter *w, pthread_t th)
{
	assert_int_equal(pthread_join(th, NULL), 0);
	curl_easy_cleanup(w->p.curl);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	(void)nanosleep(&ts, NULL);
}

static void operations_wait_long_polls(void **state)
{
	static const char *const args[] = { "--op-polls", "1000", "--op-ms", "30000", NULL };
	char self[512];
	struct waiter w;
	pthread_t th;
	cJSON *op;

	(void)state;
	/* by default the first look finishes an operation: wait answers DONE at once */
	op = CALL("POST", TMPL, "{\"name\":\"t\"}", 200);
	(void)snprintf(self, sizeof(self), "%s/wait", emu_str(op, "selfLink"));
	cJSON_Delete(op);
	op = CALL("POST", self, NULL, 200);
	assert_json_str(op, "status", "DONE");
	cJSON_Delete(op);

	/* an operation that takes 30 s of emulated time: wait returns when it is DONE */
	restart(args);
	op = CALL("POST", TMPL, "{\"name\":\"t\"}", 200);
	(void)snprintf(self, sizeof(self), "%s", emu_str(op, "selfLink"));
	cJSON_Delete(op);
	start_wait(&w, &th, self);
	sleep_ms(300);
	advance(31);
	end_wait(&w, th);
	assert_int_equal(w.status, 200);
	assert_string_equal(w.status_field, "DONE");
	assert_true(w.secs < 10);
	free(w.status_field);

	/* one that does not end: wait gives up after 2 emulated minutes, RUNNING */
	CTL("/_emu/config", "{\"op_ms\":100000000}");
	op = CALL("POST", TMPL, "{\"name\":\"t2\"}", 200);
	(void)snprintf(self, sizeof(self), "%s", emu_str(op, "selfLink"));
	cJSON_Delete(op);
	start_wait(&w, &th, self);
	sleep_ms(300);
	advance(60);
	sleep_ms(100);
	assert_null(w.status_field); /* still waiting at one minute */
	advance(61);
	end_wait(&w, th);
	assert_int_equal(w.status, 200);
	assert_string_equal(w.status_field, "RUNNING");
	assert_true(w.secs < 10);
	free(w.status_field);

	/* the zone form, on a group delete that waits for its members */
	CTL("/_emu/config", "{\"op_ms\":0}");
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"s\",\"group\":\"g\",\"size\":1}");
	op = CALL("DELETE", IGM "/g", NULL, 200);
	(void)snprintf(self, sizeof(self), "%s", emu_str(op, "selfLink"));
	cJSON_Delete(op);
	start_wait(&w, &th, self);
	sleep_ms(300);
	advance(30);
	end_wait(&w, th);
	assert_string_equal(w.status_field, "DONE");
	free(w.status_field);
	cJSON_Delete(CALL("POST", PRJ "/zones/z/operations/operation-none/wait", NULL, 404));
	cJSON_Delete(CALL("POST", PRJ "/global/operations/operation-none/wait", NULL, 404));
}

/* SIGTERM does not wait two minutes for a long poll. */
static void stop_ends_a_wait(void **state)
{
	static const char *const args[] = { "--op-polls", "1000", "--op-ms", "1000000", NULL };
	struct waiter w;
	pthread_t th;
	cJSON *op;
	double t0;

	(void)state;
	restart(args);
	op = CALL("POST", TMPL, "{\"name\":\"t\"}", 200);
	start_wait(&w, &th, emu_str(op, "selfLink"));
	cJSON_Delete(op);
	sleep_ms(300);
	t0 = now_s();
	assert_int_equal(emu_proc_stop(&P), 0);
	assert_true(now_s() - t0 < 10);
	end_wait(&w, th);
	free(w.status_field);
	assert_int_equal(start_emu(args), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lists_are_in_name_order, setup, teardown),
		cmocka_unit_test_setup_teardown(managed_instances_response_type, setup, teardown),
		cmocka_unit_test_setup_teardown(all_current_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(links_carry_compute_root, setup, teardown),
		cmocka_unit_test_setup_teardown(instances_list_filters_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(request_id_deduplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(request_id_on_group_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(operations_wait_long_polls, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_ends_a_wait, setup, teardown),
	};

	return gceb_test_run("emulator.compute", tests, argc, argv);
}
