/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete.h - delete a drained GCE resource by its stored URL, shared by
 * delete-instance-group-managers and delete-instance-templates
 * (behaviour.md §4.12, §4.13): the url is cleared once GCE accepts the
 * DELETE for that very resource, or says it is already gone (404).
 */
#ifndef GCEB_JOBS_DELETE_H
#define GCEB_JOBS_DELETE_H

#include "run.h"

struct delete_kind {
	enum gceb_kind kind;
	const char *what;
	char **(*url)(ProtobufCMessage *msg);
	/* Record on the entity that GCE accepted its DELETE. */
	void (*mark_delete_requested)(ProtobufCMessage *msg);
	/* The URL to delete, or NULL if the fresh entity must not be deleted now. */
	const char *(*deletable)(const ProtobufCMessage *msg);
	/* Scan: push the keys of candidate entities onto *@keys. */
	int (*scan)(struct gceb_txn *txn, char ***keys, size_t *n, struct gceb_err *err);
};

int delete_run(struct gceb_job *job, const struct delete_kind *k);

#endif
