/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_run.c - run_items() reads its keys a chunk at a time from the store
 * while requests are in flight, and an item whose answers send its next
 * request stays alive, within the window, until the last one (against the
 * scripted server of testserver.c)
 */
#define _XOPEN_SOURCE 700 /* nftw; NOLINT(bugprone-reserved-identifier) */

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jobs/run.h"
#include "runner.h"
#include "state.pb-c.h"
#include "testserver.h"

#define MAP_SIZE ((size_t)16 * 1024 * 1024)
#define MAX_SEEN 32

struct fixture {
	char dir[64];
	struct testserver *ts;
	struct ts_script script;
	struct ts_reply reply;
	char root[128];
	const char *roots[1];
	struct gceb_job job;
	struct gceb_run run;
	/* What build() and done saw, in order: the instance names. */
	gceb_key built[MAX_SEEN], answered[MAX_SEEN];
	size_t n_built, n_answered;
	size_t alive, max_alive; /* items between build and their last answer */
};

/* build() and done have no payload of their own: the test's fixture. */
static struct fixture *fx;

static int fixture_teardown(void **state);

static int fixture_setup(void **state)
{
	struct gceb_http_options o = { .max_concurrency = 1, .max_attempts = 1 };
	struct fixture *f = calloc(1, sizeof(*f));
	struct gceb_err err = { 0 };
	int rc = -1;

	if (!f)
		return -1;
	/* cmocka does not tear down after a failed setup: this one does. */
	*state = f;
	(void)snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/gceb-test-run-XXXXXX");
	if (!mkdtemp(f->dir))
		goto out;
	f->script = (struct ts_script){ .replies = &f->reply, .n = 1 };
	f->reply = (struct ts_reply){ .body = "{}" };
	f->ts = ts_start(ts_script_handler, &f->script);
	if (!f->ts)
		goto out;
	f->roots[0] = ts_url(f->ts, "/", f->root, sizeof(f->root));
	o.roots = f->roots;
	o.n_roots = 1;
	/* --max-concurrency 1: a window, and so a chunk, of four. */
	f->job.settings.max_concurrency = 1;
	if (gceb_store_open(f->dir, MAP_SIZE, 0, &f->job.store, &err) < 0 ||
	    gceb_http_new(&o, NULL, &f->job.http, &err) < 0)
		goto out;
	run_init(&f->run, &f->job);
	fx = f;
	rc = 0;
out:
	if (rc < 0)
		(void)fixture_teardown(state);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	gceb_http_free(f->job.http);
	gceb_store_close(f->job.store);
	ts_stop(f->ts);
	(void)nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	fx = NULL;
	return 0;
}

/* Instance "b r z @name". */
static void put(struct fixture *f, const char *name, bool cataloged)
{
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT;
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	char key[64];

	(void)snprintf(key, sizeof(key), "b r z %s", name);
	in.has_cataloged = true;
	in.cataloged = cataloged;
	assert_int_equal(gceb_store_begin(f->job.store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_put(txn, GCEB_KIND_INSTANCE, key, &in.base, &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
}

static void del(struct fixture *f, const char *name)
{
	struct gceb_err err = { 0 };
	struct gceb_txn *txn = NULL;
	char key[64];

	(void)snprintf(key, sizeof(key), "b r z %s", name);
	assert_int_equal(gceb_store_begin(f->job.store, true, &txn, &err), 0);
	assert_int_equal(gceb_txn_del(txn, GCEB_KIND_INSTANCE, key, &err), 0);
	assert_int_equal(gceb_txn_commit(&txn, &err), 0);
}

static int pick_cataloged(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			  struct gceb_err *err)
{
	return e->instance->cataloged;
}

/*
 * While the first chunk is being started, the store changes under the
 * walk: an instance of the second chunk goes, one joins it, and one joins
 * behind the walk, where it must not be seen.
 */
static void done(struct run_item *item, struct gceb_http_request *req, void *arg);

static int send(struct run_item *item, const char *step)
{
	struct gceb_http_request *req;
	char path[96], url[192];

	(void)snprintf(path, sizeof(path), "/item/%s%s", item->ref.name, step);
	req = gceb_http_request_new("GET", GCEB_API_COMPUTE, ts_url(fx->ts, path, url, sizeof(url)),
				    NULL);
	return req ? run_item_submit(item, req, done, NULL) : GCEB_ENOMEM;
}

static int build(struct run_item *item, struct gceb_err *err)
{
	const char *name = item->ref.name;

	assert_true(fx->n_built < MAX_SEEN);
	(void)snprintf(fx->built[fx->n_built++], sizeof(fx->built[0]), "%s", name);
	if (!strcmp(name, "k02")) {
		del(fx, "k06");
		put(fx, "k07a", true);
		put(fx, "k00a", true);
	}
	return send(item, "");
}

static void done(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	assert_int_equal(req->result, 0);
	assert_true(fx->n_answered < MAX_SEEN);
	(void)snprintf(fx->answered[fx->n_answered++], sizeof(fx->answered[0]), "%s",
		       item->ref.name);
}

static void items_span_chunks_each_once(void **state)
{
	static const char *const want[] = { "k00", "k01",  "k02", "k04", "k05",
					    "k07", "k07a", "k08", "k09", "k10" };
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.pick = pick_cataloged,
					.what = "instance",
					.build = build };
	struct fixture *f = *state;
	size_t i, j, n = sizeof(want) / sizeof(want[0]);
	char key[16];

	for (i = 0; i <= 10; i++) {
		(void)snprintf(key, sizeof(key), "k%02zu", i);
		put(f, key, i != 3); /* k03 is not picked */
	}
	assert_int_equal(run_items(&f->run, &src), 0);

	/* In key order, as the walk reads them; k06 went before its chunk was read. */
	assert_int_equal(f->n_built, n);
	for (i = 0; i < n; i++)
		assert_string_equal(f->built[i], want[i]);
	assert_int_equal(f->run.items, n);
	assert_int_equal(f->run.failed, 0);
	assert_int_equal(ts_requests(f->ts), n);
	/* Every answer once, whatever the order they came in. */
	assert_int_equal(f->n_answered, n);
	for (i = 0; i < n; i++) {
		size_t seen = 0;

		for (j = 0; j < n; j++)
			seen += !strcmp(f->answered[j], want[i]);
		assert_int_equal(seen, 1);
	}
}

static void empty_source_sends_nothing(void **state)
{
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.pick = pick_cataloged,
					.what = "instance",
					.build = build };
	struct fixture *f = *state;

	put(f, "k00", false);
	assert_int_equal(run_items(&f->run, &src), 0);
	assert_int_equal(f->n_built, 0);
	assert_int_equal(f->run.items, 0);
	assert_int_equal(ts_requests(f->ts), 0);
}

static int pick_fails_at_k05(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			     struct gceb_err *err)
{
	if (!strcmp(e->ref.name, "k05"))
		return gceb_err_set(err, GCEB_EPARSE, "stored instance '%s' is damaged", e->key);
	return 1;
}

/* A failed read ends the walk, the requests in flight are answered, and the job fails. */
static void failed_read_ends_the_walk(void **state)
{
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.pick = pick_fails_at_k05,
					.what = "instance",
					.build = build };
	struct fixture *f = *state;
	char key[16];
	size_t i;

	for (i = 0; i < 8; i++) {
		(void)snprintf(key, sizeof(key), "k%02zu", i);
		put(f, key, true);
	}
	assert_int_equal(run_items(&f->run, &src), GCEB_EPARSE);
	assert_string_equal(f->job.err.msg, "stored instance 'b r z k05' is damaged");
	/* The first chunk, k00..k03; the second read failed at k05, so k04 was dropped. */
	assert_int_equal(f->n_built, 4);
	assert_int_equal(f->n_answered, 4);
	assert_string_equal(f->built[3], "k03");
}

/* A chain of three requests per item: each answer sends the next. */
static void chain_done(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	static int steps[] = { 2, 1, 0 }; /* requests still to send after this one */
	int *left = arg ? arg : steps;
	struct gceb_http_request *next;

	assert_int_equal(req->result, 0);
	if (*left > 0) {
		next = gceb_http_request_new("GET", GCEB_API_COMPUTE, req->url, NULL);
		assert_non_null(next);
		assert_int_equal(run_item_submit(item, next, chain_done, left + 1), 0);
	} else {
		fx->alive--;
		fx->n_answered++;
	}
}

static int chain_build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_http_request *req;
	char path[96], url[192];

	fx->n_built++;
	if (++fx->alive > fx->max_alive)
		fx->max_alive = fx->alive;
	(void)snprintf(path, sizeof(path), "/item/%s", item->ref.name);
	req = gceb_http_request_new("GET", GCEB_API_COMPUTE, ts_url(fx->ts, path, url, sizeof(url)),
				    NULL);
	return req ? run_item_submit(item, req, chain_done, NULL) : GCEB_ENOMEM;
}

/*
 * An item whose answer sends its next request stays alive until its last
 * answer, and the window (four items at --max-concurrency 1) counts it.
 */
static void chains_stay_within_the_window(void **state)
{
	const struct run_source src = { .kind = GCEB_KIND_INSTANCE,
					.what = "instance",
					.build = chain_build };
	struct fixture *f = *state;
	char key[16];
	size_t i;

	for (i = 0; i < 10; i++) {
		(void)snprintf(key, sizeof(key), "k%02zu", i);
		put(f, key, true);
	}
	assert_int_equal(run_items(&f->run, &src), 0);
	assert_int_equal(f->n_built, 10);
	assert_int_equal(f->n_answered, 10); /* each chain to its end */
	assert_int_equal(ts_requests(f->ts), 30);
	assert_int_equal(f->max_alive, 4);
	assert_int_equal(f->run.items, 10);
	assert_int_equal(f->run.failed, 0);
}

/* What @fn(@f) logged on stderr, whole. */
static char *capture_stderr(void (*fn)(struct fixture *f), struct fixture *f)
{
	char path[] = "/tmp/gceb-test-run-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = calloc(1, 1 << 20);

	assert_true(fd >= 0 && saved >= 0);
	assert_non_null(text);
	(void)fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	fn(f);
	(void)fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	(void)close(saved);
	assert_true(pread(fd, text, (1 << 20) - 1, 0) >= 0);
	(void)close(fd);
	(void)unlink(path);
	return text;
}

static int finish_rc;

/* 1,234 alike failures, one other, then 2 alike ones of another class. */
static void fail_many(struct fixture *f)
{
	char key[64];
	size_t i;

	f->run.items = 1300;
	for (i = 0; i < 1234; i++) {
		(void)snprintf(key, sizeof(key), "b r z vm-%04zu", i);
		run_fail_code(&f->run, GCEB_EAUTH, "instance", key,
			      "GET http://h/zones/z/instances/vm-%04zu: HTTP 401 authError", i);
	}
	run_fail_code(&f->run, GCEB_EPARSE, "instance", "b r z odd",
		      "GET http://h/zones/z/instances/odd: not JSON");
	/* Each mutation carries its own requestId: still alike. */
	run_fail_code(&f->run, GCEB_ENET, "group", "b r z1",
		      "POST http://h/zones/z1/g?requestId=0f1e2d3c-aaaa-5bbb-8ccc-000000000001: "
		      "HTTP 503");
	run_fail_code(&f->run, GCEB_ENET, "group", "b r z2",
		      "POST http://h/zones/z2/g?requestId=9e8d7c6b-aaaa-5bbb-8ccc-000000000002: "
		      "HTTP 503");
	finish_rc = run_finish(&f->run, 0);
}

/*
 * Failures alike but for their item's key are one line with the count and
 * three keys, in the order first seen; the run ends with the most serious
 * class (77 over 76 and 69).
 */
static void alike_failures_are_grouped(void **state)
{
	struct fixture *f = *state;
	char *log = capture_stderr(fail_many, f);
	const char *a, *b, *c;

	a = strstr(log, "GET http://h/zones/*/instances/*: HTTP 401 authError for 1,234 "
			"instances: 'b r z vm-0000', 'b r z vm-0001', 'b r z vm-0002', ...\n");
	b = strstr(log, "instance 'b r z odd': GET http://h/zones/z/instances/odd: not JSON\n");
	c = strstr(log, "POST http://h/zones/*/g?requestId=*: HTTP 503 for 2 groups: 'b r z1', "
			"'b r z2'\n");
	if (!a || !b || !c)
		print_message("%s", log);
	assert_true(a && b && c && a < b && b < c);
	assert_null(strstr(log, "vm-0003"));
	assert_int_equal(finish_rc, GCEB_EAUTH);
	assert_int_equal(gceb_exit_status(finish_rc), 77);
	assert_string_equal(f->job.err.msg, "1237 of 1300 items failed");
	assert_int_equal(f->job.failed, 1237);
	free(log);
}

static void fail_then_run_error(struct fixture *f)
{
	f->run.items = 2;
	run_fail_code(&f->run, GCEB_ERATELIMIT, "instance", "b r z a", "HTTP 429");
	run_fail(&f->run, "instance", "b r z b", "HTTP 400");
	finish_rc = run_finish(&f->run, GCEB_ESTORE);
}

/* The run's own error wins, and the items' lines are still printed. */
static void a_run_error_keeps_the_item_lines(void **state)
{
	struct fixture *f = *state;
	char *log = capture_stderr(fail_then_run_error, f);

	assert_non_null(strstr(log, "instance 'b r z a': HTTP 429\n"));
	assert_non_null(strstr(log, "instance 'b r z b': HTTP 400\n"));
	assert_int_equal(finish_rc, GCEB_ESTORE);
	free(log);
}

/* The class of each code: the five named ones, and 1 for anything else. */
static void classes(void **state)
{
	(void)state;
	assert_int_equal(run_class(GCEB_ECONFIG), GCEB_ECONFIG);
	assert_int_equal(run_class(GCEB_EAUTH), GCEB_EAUTH);
	assert_int_equal(run_class(GCEB_ENET), GCEB_ENET);
	assert_int_equal(run_class(GCEB_EPARSE), GCEB_EPARSE);
	assert_int_equal(run_class(GCEB_ERATELIMIT), GCEB_ERATELIMIT);
	assert_int_equal(run_class(GCEB_EHTTP), GCEB_EPARTIAL);
	assert_int_equal(run_class(GCEB_ENOTFOUND), GCEB_EPARTIAL);
	assert_int_equal(run_class(0), GCEB_EPARTIAL);
}

#define RUN_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		RUN_TEST(items_span_chunks_each_once),
		RUN_TEST(empty_source_sends_nothing),
		RUN_TEST(failed_read_ends_the_walk),
		RUN_TEST(chains_stay_within_the_window),
		RUN_TEST(alike_failures_are_grouped),
		RUN_TEST(a_run_error_keeps_the_item_lines),
		cmocka_unit_test(classes),
	};

	return gceb_test_run("run", tests, argc, argv);
}
