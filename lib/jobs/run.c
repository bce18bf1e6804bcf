/* SPDX-License-Identifier: Apache-2.0 */
/* run.c - the job engine: windowed items and their request chains, accounting, dry-run */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "json.h"
#include "run.h"

void run_init(struct gceb_run *run, struct gceb_job *job)
{
	*run = (struct gceb_run){ .job = job, .root = job->settings.compute_api_root };
}

void run_fail(struct gceb_run *run, const char *what, const char *key, const char *fmt, ...)
{
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	gceb_error("%s '%s': %s", what, key, why);
	run->failed++;
}

void run_describe(const struct gceb_http_request *req, char *out, size_t len)
{
	struct gceb_api_error e = { 0 };

	/* GCE and Machine Provider say why in a JSON envelope; fall back to our reason. */
	if (req->status >= 300 && req->response &&
	    gceb_api_error_parse(req->response, req->response_len, &e, NULL) == 0 && e.message) {
		(void)snprintf(out, len, "%s %s: HTTP %ld%s%s: %s", req->method, req->url,
			       req->status, e.reason ? " " : "", e.reason ? e.reason : "",
			       e.message);
	} else if (req->status >= 300) {
		(void)snprintf(out, len, "%s %s: HTTP %ld", req->method, req->url, req->status);
	} else if (req->error[0]) {
		/* The engine's reason names the request already. */
		(void)snprintf(out, len, "%s", req->error);
	} else {
		(void)snprintf(out, len, "%s %s: %s", req->method, req->url,
			       gceb_strerror(req->result));
	}
	gceb_api_error_release(&e);
}

int run_finish(struct gceb_run *run)
{
	run->job->items += run->items;
	run->job->failed += run->failed;
	if (run->failed == 0)
		return 0;
	return gceb_err_set(&run->job->err, GCEB_EPARTIAL, "%zu of %zu item%s failed", run->failed,
			    run->items, run->items == 1 ? "" : "s");
}

/*
 * Requests that change nothing: GETs, and the two POSTs that only read
 * (GCE's listInstances, Machine Provider's catalog get), so that --dry-run
 * still sees what it would act on.
 */
static bool is_read(const struct gceb_http_request *req)
{
	static const char *const reads[] = { "/listInstances", "/_ah/api/catalog/v1/get" };
	size_t i, n, len = strcspn(req->url, "?");

	if (!strcmp(req->method, "GET"))
		return true;
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		n = strlen(reads[i]);
		if (len >= n && !strncmp(req->url + len - n, reads[i], n))
			return true;
	}
	return false;
}

/* Returns 1 if the request was dropped (--dry-run), 0 if queued, or GCEB_ENOMEM. */
static int submit(struct gceb_run *run, struct gceb_http_request *req, gceb_http_done_fn done,
		  void *payload)
{
	if (run->job->dry_run && !is_read(req)) {
		/* Whole: a plan that cuts the body hides what it would send. */
		(void)printf("would %s %s%s%s\n", req->method, req->url, req->body ? " " : "",
			     req->body ? req->body : "");
		gceb_http_request_free(req);
		return 1;
	}
	return gceb_http_submit(run->job->http, req, done, payload);
}

static void update_failed(struct gceb_run *run, const char *what, const struct gceb_ref *ref, int r,
			  const struct gceb_err *e)
{
	gceb_key key;

	run_fail(run, what, gceb_ref_key(ref, key), "%s", e->msg[0] ? e->msg : gceb_strerror(r));
}

/* Each typed update, failing the entity when it fails. */
#define DEFINE_RUN_UPDATE(name, type, update)                                          \
 int name(struct gceb_run *run, const char *what, const struct gceb_ref *ref, type fn, \
	  void *payload)                                                               \
 {                                                                                     \
  struct gceb_err e = { 0 };                                                           \
  int r = (update)(run->job->store, ref, fn, payload, NULL, &e);                       \
                                                                                       \
  if (r < 0)                                                                           \
   update_failed(run, what, ref, r, &e);                                               \
  return r;                                                                            \
 }

DEFINE_RUN_UPDATE(run_update_template, gceb_template_update_fn, gceb_fleet_update_template)
DEFINE_RUN_UPDATE(run_update_revision, gceb_revision_update_fn, gceb_fleet_update_revision)
DEFINE_RUN_UPDATE(run_update_group, gceb_group_update_fn, gceb_fleet_update_group)
DEFINE_RUN_UPDATE(run_update_instance, gceb_instance_update_fn, gceb_fleet_update_instance)

/* The store updates of one run_wait(). */
struct group {
	struct gceb_store *store;
	struct gceb_err lost; /* why the first commit failed */
};

/*
 * Commit what the callbacks of one wake-up wrote. A failed commit loses all
 * of it: the run fails with the store's reason (the first one; later ones
 * are logged), and the next run re-does those updates.
 */
static void commit_group(void *payload)
{
	struct group *g = payload;
	struct gceb_err e = { 0 };

	if (gceb_store_group_commit(g->store, &e) == 0)
		return;
	if (g->lost.code)
		gceb_error("%s", e.msg);
	else
		g->lost = e;
}

/*
 * Answers are applied with one commit per engine wake-up, not one per
 * answer: each commit syncs the disk, while the other answers wait.
 * The engine calls commit_group() before it touches the network again, so
 * no write transaction is open across network I/O.
 */
int run_wait(struct gceb_run *run)
{
	struct group g = { .store = run->job->store };
	int r;

	gceb_store_group(g.store, true);
	gceb_http_before_io(run->job->http, commit_group, &g);
	r = gceb_http_run(run->job->http, &run->job->err);
	gceb_http_before_io(run->job->http, NULL, NULL);
	commit_group(&g); /* what the last callbacks wrote */
	gceb_store_group(g.store, false);
	if (g.lost.code && r == 0) {
		run->job->err = g.lost;
		r = g.lost.code;
	} else if (g.lost.code) {
		gceb_error("%s", g.lost.msg); /* the engine's error is the run's */
	}
	return r;
}

/*
 * Items are started a window at a time, and each item that ends starts the
 * next: memory stays bounded by the window, not by the fleet, while the
 * engine always has work queued beyond its concurrency. Entities are read a
 * window at a time too, in a read transaction that ends before any request
 * is sent.
 */
struct run_feed {
	struct gceb_run *run;
	const struct run_source *src;
	gceb_key *keys; /* the chunk read last: window entries */
	gceb_key last;  /* its last key, where the next read starts; "" before the first */
	size_t n, next, alive, window;
	bool more; /* the walk has not reached the end of the source */
	int r;     /* the error that ended the walk early */
};

/* A positive visit result stops the walk: the chunk is full. */
#define CHUNK_FULL 1

struct chunk_read {
	struct run_feed *f;
	struct gceb_txn *txn;
};

static int take(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	struct chunk_read *c = payload;
	struct run_feed *f = c->f;
	int r = f->src->pick ? f->src->pick(c->txn, e, f->src->payload, err) : 1;

	if (r <= 0)
		return r;
	/* The store's keys always fit; copied without snprintf(), as every key read is. */
	memcpy(f->keys[f->n++], e->key, strnlen(e->key, GCEB_STORE_MAX_KEY) + 1);
	return f->n == f->window ? CHUNK_FULL : 0;
}

/*
 * Read the next chunk. Keys added, changed or removed since the last read
 * need no care: the walk goes on from the last key read, whether or not it
 * still exists, and each item re-reads its entity anyway.
 */
/* Out of line, so that a profile (bench/run's instruction counts) shows the scan apart. */
static __attribute__((noinline)) int read_chunk(struct run_feed *f)
{
	struct gceb_err *err = &f->run->job->err;
	struct chunk_read c = { .f = f };
	int r;

	f->n = f->next = 0;
	r = gceb_store_begin(f->run->job->store, false, &c.txn, err);
	if (r == 0)
		r = gceb_fleet_foreach(c.txn, f->src->kind, f->src->under,
				       f->last[0] ? f->last : NULL, take, &c, err);
	gceb_txn_abort(&c.txn);
	if (r == CHUNK_FULL)
		r = 0;
	else
		f->more = false;
	if (r < 0) {
		f->r = r;
		f->n = 0;
	} else if (f->n > 0) {
		memcpy(f->last, f->keys[f->n - 1], sizeof(f->last));
	}
	return r;
}

static void feed(struct run_feed *f);

static void item_end(struct run_item *item)
{
	struct run_feed *f = item->feed;

	if (item->free_data)
		item->free_data(item->data);
	free(item);
	f->alive--;
	feed(f);
}

/* One request of an item in flight. */
struct call {
	struct run_item *item;
	run_done_fn done;
	void *arg;
};

static void call_done(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct call *c = payload;
	struct run_item *item = c->item;

	(void)http;
	c->done(item, req, c->arg);
	free(c);
	if (--item->pending == 0)
		item_end(item);
}

int run_item_submit(struct run_item *item, struct gceb_http_request *req, run_done_fn done,
		    void *arg)
{
	struct call *c = malloc(sizeof(*c));
	int r;

	if (!c) {
		gceb_http_request_free(req);
		run_item_fail(item, "out of memory");
		return GCEB_ENOMEM;
	}
	*c = (struct call){ .item = item, .done = done, .arg = arg };
	item->now = gceb_now();
	item->pending++;
	r = submit(item->run, req, call_done, c);
	if (r == 0)
		return 0;
	item->pending--;
	free(c);
	if (r < 0)
		run_item_fail(item, "out of memory");
	return r < 0 ? r : 0;
}

/* Build one item; true if it is still alive (its requests are in flight). */
static bool start_item(struct run_feed *f, const char *key)
{
	struct run_item *item = calloc(1, sizeof(*item));
	struct gceb_err e = { 0 };

	f->run->items++;
	if (!item) {
		run_fail(f->run, f->src->what, key, "out of memory");
		return false;
	}
	*item = (struct run_item){
		.run = f->run, .what = f->src->what, .ctx = f->src->payload, .feed = f
	};
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	/* The walk parsed the key already. */
	(void)gceb_ref_parse(&item->ref, f->src->kind, key, NULL);
	f->alive++;
	item->pending++; /* held while building: an answer cannot end it midway */
	if (f->src->build(item, &e) < 0)
		run_fail(f->run, f->src->what, key, "%s", e.msg[0] ? e.msg : "out of memory");
	if (--item->pending > 0)
		return true;
	if (item->free_data)
		item->free_data(item->data);
	free(item);
	f->alive--;
	return false;
}

static void feed(struct run_feed *f)
{
	while (f->alive < f->window) {
		if (f->next == f->n && (!f->more || read_chunk(f) < 0 || f->n == 0))
			break;
		(void)start_item(f, f->keys[f->next++]);
	}
}

int run_items(struct gceb_run *run, const struct run_source *src)
{
	unsigned c = run->job->settings.max_concurrency;
	struct run_feed f = {
		.run = run,
		.src = src,
		.window = 4 * (size_t)(c ? c : 1),
		.more = true,
	};
	int r;

	f.keys = calloc(f.window, sizeof(*f.keys));
	if (!f.keys)
		return gceb_err_set(&run->job->err, GCEB_ENOMEM, "out of memory");
	feed(&f);
	/* Even after a failed read: the items in flight point at f. */
	r = run_wait(run);
	if (f.r < 0)
		r = f.r;
	free(f.keys);
	return r;
}

void run_item_fail(struct run_item *item, const char *fmt, ...)
{
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	run_fail(item->run, item->what, item->key, "%s", why);
}

void run_item_fail_request(struct run_item *item, const struct gceb_http_request *req)
{
	char why[1024];

	run_describe(req, why, sizeof(why));
	run_fail(item->run, item->what, item->key, "%s", why);
}

static int run_source_job(struct gceb_job *job, const struct run_source *src, bool if_drained)
{
	struct gceb_run run;
	int r = 1;

	run_init(&run, job);
	if (if_drained)
		r = gceb_fleet_any_drained(job->store, &job->err);
	if (r > 0)
		r = run_items(&run, src);
	if (r == 0)
		r = run_finish(&run);
	return r;
}

int run_job(struct gceb_job *job, const struct run_source *src)
{
	return run_source_job(job, src, false);
}

int run_job_drained(struct gceb_job *job, const struct run_source *src)
{
	return run_source_job(job, src, true);
}

/*
 * An update that changed its entity, told at info level (-v): the audit
 * trail. In a dry run nothing is committed, so it is part of the plan.
 */
static void recorded(const struct gceb_run *run, const char *what, const struct gceb_ref *ref,
		     const char *event)
{
	gceb_key key;

	if (run->job->dry_run)
		(void)printf("would record %s '%s': %s\n", what, gceb_ref_key(ref, key), event);
	else
		gceb_info("%s '%s': %s", what, gceb_ref_key(ref, key), event);
}

#define DEFINE_RUN_RECORD(name, type, update)                                          \
 int name(struct gceb_run *run, const char *what, const struct gceb_ref *ref, type fn, \
	  void *payload, const char *event)                                            \
 {                                                                                     \
  struct gceb_err e = { 0 };                                                           \
  bool changed = false;                                                                \
  int r = (update)(run->job->store, ref, fn, payload, &changed, &e);                   \
                                                                                       \
  if (r < 0)                                                                           \
   update_failed(run, what, ref, r, &e);                                               \
  else if (changed)                                                                    \
   recorded(run, what, ref, event);                                                    \
  return r;                                                                            \
 }

DEFINE_RUN_RECORD(run_record_template, gceb_template_update_fn, gceb_fleet_update_template)
DEFINE_RUN_RECORD(run_record_revision, gceb_revision_update_fn, gceb_fleet_update_revision)
DEFINE_RUN_RECORD(run_record_group, gceb_group_update_fn, gceb_fleet_update_group)
DEFINE_RUN_RECORD(run_record_instance, gceb_instance_update_fn, gceb_fleet_update_instance)
