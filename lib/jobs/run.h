/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.h - what every item-based job shares (architecture.md "A job run"):
 * scan in a read transaction, send requests through the HTTP engine, apply
 * each answer in a short nested write transaction (committed with the others
 * of the same engine wake-up), count and report failed items.
 */
#ifndef GCEB_JOBS_RUN_H
#define GCEB_JOBS_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "entity.h"
#include "gceb/job.h"
#include "http.h"
#include "store.h"

struct gceb_run {
	struct gceb_job *job;
	const char *root; /* the Compute root */
	size_t items;
	size_t failed;
};

/* Keys collected by a scan. */
struct key_list {
	char **v;
	size_t n;
};

void key_list_release(struct key_list *l);

void run_init(struct gceb_run *run, struct gceb_job *job);

/* One error line for a failed item: "<what> '<key>': <why>". */
void run_fail(struct gceb_run *run, const char *what, const char *key, const char *fmt, ...)
	GCEB_PRINTF(4, 5);

/* A failed request as "<METHOD> <url>: <reason>" for run_fail(). */
void run_describe(const struct gceb_http_request *req, char *out, size_t len);

/* 0, or GCEB_EPARTIAL "N of M items failed" (one line each was logged). */
int run_finish(struct gceb_run *run);

/*
 * Entity @key of @kind, read in its own read transaction: *@out is a new
 * message or NULL if absent. Returns 0 or an error (with the reason in @err).
 */
int run_load(struct gceb_run *run, enum gceb_kind kind, const char *key, void **out,
	     struct gceb_err *err);

/* Walk every entity of @kind in one read transaction. */
int run_scan(struct gceb_run *run, enum gceb_kind kind, gceb_store_visit_fn fn, void *payload);

/*
 * Send @req. In --dry-run a request that changes something (anything but a
 * GET, listInstances or Machine Provider's get) is printed ("would POST <url> <body>") and dropped:
 * @done is not called and 1 is returned, so the caller frees its payload. Otherwise returns 0
 * (@done will be called) or GCEB_ENOMEM.
 */
int run_submit(struct gceb_run *run, struct gceb_http_request *req, gceb_http_done_fn done,
	       void *payload);

/* gceb_store_update() that logs a failure against the item. Returns the result. */
int run_update(struct gceb_run *run, const char *what, enum gceb_kind kind, const char *key,
	       gceb_update_fn fn, void *payload);

/* The item of a job that sends one request per entity. */
struct run_feed;

struct run_item {
	struct gceb_run *run;
	const char *what; /* "instance", for log lines */
	gceb_key key;
	int64_t now; /* just before the request was sent */
	struct run_feed *feed;
};

/*
 * Build the request for entity @key on fresh reads; *@out NULL means there
 * is nothing to do for it now (a precondition no longer holds).
 */
typedef int (*run_build_fn)(struct gceb_run *run, const char *key, struct gceb_http_request **out,
			    struct gceb_err *err);

/*
 * Whether the scan takes entity @key (what it was when read): 1 to take, 0
 * to skip, or an error that ends the scan (setting @err). @txn is the scan's
 * read transaction, for the entities the decision depends on.
 */
typedef int (*run_pick_fn)(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg,
			   void *payload, struct gceb_err *err);

/* The entities of @kind under key @prefix (NULL for all) that @pick takes. */
struct run_source {
	enum gceb_kind kind;
	const char *prefix;
	run_pick_fn pick;
	void *payload;
};

/*
 * For each key of @src: count the item, build its request and send it;
 * @done gets a struct run_item as payload and must free() it. A window of
 * four times the concurrency is in flight at a time, and keys are read a
 * window at a time, each read in its own short read transaction taking up
 * after the last key read, so memory does not grow with the fleet. Returns
 * when every answer was handled (run_wait()'s result), or a scan's error.
 */
int run_items(struct gceb_run *run, const char *what, const struct run_source *src,
	      run_build_fn build, gceb_http_done_fn done);

/* run_fail() for an item whose request failed, with run_describe()'s text. */
void run_item_fail_request(struct run_item *item, const struct gceb_http_request *req);

/*
 * Run the engine until every request is done. The store updates made by the
 * callbacks of one wake-up are committed together before the engine touches
 * the network again (gceb_store_group(), gceb_http_before_io()); a failed
 * commit makes this return its error.
 */
int run_wait(struct gceb_run *run);

#endif
