/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create.h - create a GCE resource and wait for its insert operation
 * (decisions.md §10.3), shared by create-instance-templates and
 * create-instance-group-managers.
 *
 * The entity's url is set only once the resource exists: from a DONE
 * operation without error, or from a GET after a 409. While the insert
 * runs, the operation's URL is kept in insert_operation and polled on later
 * runs; a failed operation is logged with GCE's error and cleared, so the
 * insert is retried on a later run.
 */
#ifndef GCEB_JOBS_CREATE_H
#define GCEB_JOBS_CREATE_H

#include "entity.h"
#include "run.h"

struct create_item;

struct create_kind {
	enum gceb_kind kind;
	const char *what; /* "revision", "group": the subject of log lines */
	/* The entity's url and insert_operation fields. */
	char **(*url)(ProtobufCMessage *msg);
	char **(*operation)(ProtobufCMessage *msg);
	/* Build the insert from the fresh entity @msg, and the GET by name used after a 409. */
	int (*insert)(const struct create_item *item, const ProtobufCMessage *msg,
		      struct gceb_http_request **out, struct gceb_err *err);
	int (*get)(const struct create_item *item, struct gceb_http_request **out,
		   struct gceb_err *err);
};

/* What an item knows when it starts; filled by the job's start(). */
struct create_item {
	struct gceb_run *run;
	const struct create_kind *k;
	gceb_key key;
	char base[64], rev[64], zone[64];
	char *project;
	char *template_url; /* groups: the template they run */
	bool poll_only;     /* drained: finish a running insert, never start one */
};

/*
 * Start the item for entity @key: poll its pending insert, or insert it.
 * The job has checked its preconditions on fresh reads and filled @item,
 * which this takes over (freed when the item ends).
 */
void create_start(struct create_item *item);

/* Free an item that was never started. */
void create_free(struct create_item *item);

/* A job's scan collects items here, in one read transaction. */
struct create_scan {
	struct gceb_run *run;
	const struct create_kind *k;
	struct gceb_txn *txn;
	struct create_item **items;
	size_t n;
};

/* Queue an item for entity @key (@template_url may be NULL). Returns 0 or GCEB_ENOMEM. */
int create_scan_add(struct create_scan *s, const char *key, const char *project,
		    const char *template_url);

/* Scan every InstanceTemplate with @visit, then start, run and account for the items. */
int create_run(struct gceb_job *job, const struct create_kind *k, gceb_store_visit_fn visit);

#endif
