/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.h - the job engine (docs/architecture.md "The job engine"): walk the
 * entities of one kind a window at a time, let the job pick the ones it
 * works on, build each item's first request on fresh reads, and apply each
 * answer in a short nested write transaction (committed with the others of
 * the same engine wake-up). An answer may send the item's next request (a
 * next page, an operation poll): the item lives, and counts against the
 * window, until its last request is answered.
 */
#ifndef GCEB_JOBS_RUN_H
#define GCEB_JOBS_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "entity.h"
#include "fleet.h"
#include "gceb/job.h"
#include "http.h"
#include "store.h"

struct run_failures;

struct gceb_run {
	struct gceb_job *job;
	const char *root; /* the Compute root */
	size_t items;
	size_t failed;
	int worst; /* the code of the most serious class of failed item (run_class()) */
	struct run_failures *failures; /* their messages, grouped, for run_finish() */
};

void run_init(struct gceb_run *run, struct gceb_job *job);

/*
 * A failed item: "<what> '<key>': <why>", counted as a failure of the class
 * of @code (run_class()). The line is logged at debug level at once, and at
 * error level by run_finish(), once for all the items whose <why> is the
 * same but for their own key.
 */
void run_fail_code(struct gceb_run *run, int code, const char *what, const char *key,
		   const char *fmt, ...) GCEB_PRINTF(5, 6);
/* run_fail_code() of class 1, "any other item failure". */
void run_fail(struct gceb_run *run, const char *what, const char *key, const char *fmt, ...)
	GCEB_PRINTF(4, 5);

/*
 * The failure class of an item that failed with @code (docs/exit-codes.md),
 * as the code that exits with it: GCEB_ECONFIG (78), GCEB_EAUTH (77),
 * GCEB_ENET (69), GCEB_EPARSE (76), GCEB_ERATELIMIT (75), or GCEB_EPARTIAL
 * (1) for anything else.
 */
int run_class(int code);

/* A failed request as "<METHOD> <url>: <reason>" for run_fail(). */
void run_describe(const struct gceb_http_request *req, char *out, size_t len);

/*
 * End the run: log the failed items, one line per message (the first
 * item's line, or the message once with the count and the first three
 * keys: "<why> for 1,234 instances: 'a', 'b', 'c', ..."), in the order first
 * seen, and free them. Returns @rc if negative (the run's own failure,
 * which the common main logs), else 0, or "N of M items failed" with the
 * code of the most serious class among them, which sets the exit status.
 * Called once per run, whatever run_items() returned.
 */
int run_finish(struct gceb_run *run, int rc);

/* Typed updates that log a failure against the entity (run_fail()). Return the result. */
int run_update_template(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_template_update_fn fn, void *payload);
int run_update_revision(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_revision_update_fn fn, void *payload);
int run_update_group(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
		     gceb_group_update_fn fn, void *payload);
int run_update_instance(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_instance_update_fn fn, void *payload);

/*
 * The typed updates above for a change the operator must be able to follow:
 * when the update changed the entity, one info line (-v) names it and says
 * what happened, "<what> '<key>': <event>", so that -v is an audit trail.
 */
int run_record_template(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_template_update_fn fn, void *payload, const char *event);
int run_record_revision(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_revision_update_fn fn, void *payload, const char *event);
int run_record_group(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
		     gceb_group_update_fn fn, void *payload, const char *event);
int run_record_instance(struct gceb_run *run, const char *what, const struct gceb_ref *ref,
			gceb_instance_update_fn fn, void *payload, const char *event);

/* One entity a job works on, from its build to its last answer. */
struct run_item {
	struct gceb_run *run;
	const char *what; /* "instance", "group": the subject of log lines */
	struct gceb_ref ref;
	gceb_key key;
	int64_t now; /* set just before each request is sent */
	void *ctx;   /* the source's payload, shared by all its items */
	/* The job's own state for the item, freed with @free_data when it ends. */
	void *data;
	void (*free_data)(void *data);
	struct run_feed *feed; /* the engine's */
	unsigned pending;      /* requests in flight */
};

/*
 * Whether the walk takes entity @e (as it was when read): 1 to take, 0 to
 * skip, or an error that ends the walk (setting @err). @txn is the walk's
 * read transaction, for the entities the decision depends on.
 */
typedef int (*run_pick_fn)(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
			   struct gceb_err *err);

/*
 * Start @item: re-read what it needs (each read in its own short
 * transaction) and send its first request with run_item_submit(), or
 * nothing if a precondition no longer holds. A negative return fails the
 * item with @err's reason.
 */
typedef int (*run_build_fn)(struct run_item *item, struct gceb_err *err);

/*
 * An answer for @item, with the @arg it was sent with. It may send the
 * item's next request; it never frees the item.
 */
typedef void (*run_done_fn)(struct run_item *item, struct gceb_http_request *req, void *arg);

/* The entities of @kind (under @under, NULL for all) that @pick takes. */
struct run_source {
	enum gceb_kind kind;
	const struct gceb_ref *under;
	run_pick_fn pick; /* NULL: every entity */
	void *payload;
	const char *what;
	run_build_fn build;
};

/*
 * For each entity of @src: count the item, build it and let its requests
 * run. At most a window of four times the concurrency of items is alive at
 * a time, and entities are read a window at a time, each read in its own
 * short read transaction taking up after the last key read, so memory does
 * not grow with the fleet. Returns when every item has ended (run_wait()'s
 * result), or a walk's error.
 */
int run_items(struct gceb_run *run, const struct run_source *src);

/*
 * The run of a job with one source: run_items(), then run_finish() with
 * what the walk returned. What most jobs' run() is.
 */
int run_job(struct gceb_job *job, const struct run_source *src);

/*
 * run_job() for a job that acts on drained entities only: while nothing is
 * drained (gceb_fleet_any_drained()), nothing is walked at all.
 */
int run_job_drained(struct gceb_job *job, const struct run_source *src);

/*
 * Send @req for @item; @done gets its answer and @arg. In --dry-run a request that
 * changes something (anything but a GET, listInstances or Machine
 * Provider's get) is printed ("would POST <url> <body>") and dropped, and
 * @done is never called. Returns 0, or GCEB_ENOMEM after failing the item.
 */
int run_item_submit(struct run_item *item, struct gceb_http_request *req, run_done_fn done,
		    void *arg);

/* run_fail() for @item. */
void run_item_fail(struct run_item *item, const char *fmt, ...) GCEB_PRINTF(2, 3);
/* run_fail_code() for @item: a malformed answer is GCEB_EPARSE, say. */
void run_item_fail_code(struct run_item *item, int code, const char *fmt, ...) GCEB_PRINTF(3, 4);
/* run_fail_code() for an item whose request failed: run_describe()'s text, req->result's class. */
void run_item_fail_request(struct run_item *item, const struct gceb_http_request *req);

/*
 * Run the engine until every request is done. The store updates made by the
 * callbacks of one wake-up are committed together before the engine touches
 * the network again (gceb_store_group(), gceb_http_before_io()); a failed
 * commit makes this return its error.
 */
int run_wait(struct gceb_run *run);

#endif
