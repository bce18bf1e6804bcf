/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - the entity store: one LMDB environment under <state_dir>/db.
 *
 * One named database per entity kind; values are packed protobuf-c messages
 * from proto/state.proto, stored without what their keys already say and
 * handed out whole (lib/compact.h). Entities handed out are owned copies
 * (free them with protobuf_c_message_free_unpacked(msg, NULL)); nothing
 * returned outlives a transaction unless copied. Internal to lib/
 * (protobuf-c types).
 *
 * No network I/O may happen while a write transaction is open: scan in a read
 * transaction, talk to the network, then apply each result with
 * gceb_store_update(), which re-reads, re-checks and writes only if changed.
 * The job runner groups the updates of one engine wake-up into one commit
 * (gceb_store_group()).
 */
#ifndef GCEB_STORE_H
#define GCEB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gceb/err.h"

enum gceb_kind {
	GCEB_KIND_CONFIG,   /* StoredConfig, key "current" */
	GCEB_KIND_TEMPLATE, /* InstanceTemplate, key "<base>" */
	GCEB_KIND_REVISION, /* Revision, key "<base> <rev>" */
	GCEB_KIND_IGM,      /* InstanceGroupManager, key "<base> <rev> <zone>" */
	GCEB_KIND_INSTANCE, /* Instance, key "<base> <rev> <zone> <name>" */
	GCEB_KIND_COUNT,
};

/* The longest key LMDB takes with its default build. */
#define GCEB_STORE_MAX_KEY 511

/* Default map size when neither settings nor options say otherwise. */
#define GCEB_STORE_DEFAULT_MAP_MIB 1024

enum gceb_store_flags {
	GCEB_STORE_READONLY = 1 << 0, /* never write; do not create a missing store */
	GCEB_STORE_DRY_RUN = 1 << 1,  /* gceb_store_update() reports, never commits */
};

struct gceb_store;
struct gceb_txn;

/*
 * Open (creating it unless READONLY) the store in <@state_dir>/db with a map
 * of @map_size bytes. Clears reader slots left by killed processes. A store
 * written by another program or schema version, or a damaged or foreign
 * file, gives GCEB_ESTORE with a message that says so; a missing READONLY
 * store gives GCEB_ENOTFOUND. A data.mdb shorter than its meta page says,
 * or of 0 bytes, is GCEB_ESTORE before LMDB maps it (a missing one is a new
 * store). READONLY reads without LMDB's lock file when it may not write it.
 */
GCEB_NODISCARD int gceb_store_open(const char *state_dir, size_t map_size, unsigned flags,
				   struct gceb_store **out, struct gceb_err *err);
void gceb_store_close(struct gceb_store *store); /* NULL is a no-op */
/*
 * Make the last commit durable. A commit syncs its data but not the meta
 * page that points at it (MDB_NOMETASYNC), which the next commit or this
 * call syncs: until then an OS crash (not a kill) may undo that commit.
 * A no-op for READONLY and DRY_RUN stores.
 */
GCEB_NODISCARD int gceb_store_sync(struct gceb_store *store, struct gceb_err *err);

/* Descriptor of the message stored for @kind. */
const ProtobufCMessageDescriptor *gceb_kind_descriptor(enum gceb_kind kind);
/* Database name of @kind ("config", "templates", ...). */
const char *gceb_kind_name(enum gceb_kind kind);
/*
 * Unpack @len bytes stored as entity @key of @kind, as every read does,
 * expanding the compact form (lib/compact.h): the key is part of the value.
 * Returns a new message, or NULL for bytes that are not one, a compact form
 * @key cannot expand, or out of memory.
 */
ProtobufCMessage *gceb_kind_unpack(enum gceb_kind kind, const char *key, const void *data,
				   size_t len);

GCEB_NODISCARD int gceb_store_begin(struct gceb_store *store, bool write, struct gceb_txn **out,
				    struct gceb_err *err);
/*
 * Commit and free *@txn, setting it to NULL even on failure (LMDB consumes
 * the transaction). MDB_MAP_FULL gives GCEB_ESTORE naming the setting to
 * raise. In a DRY_RUN store a write transaction is aborted instead.
 */
GCEB_NODISCARD int gceb_txn_commit(struct gceb_txn **txn, struct gceb_err *err);
void gceb_txn_abort(struct gceb_txn **txn); /* NULL or *txn NULL is a no-op */

/*
 * Read entity @key of @kind into a new message *@out. Returns GCEB_ENOTFOUND
 * (without touching @err) if absent, GCEB_EPARSE if the stored bytes do not
 * unpack ("stored <kind> '<key>' is damaged").
 */
GCEB_NODISCARD int gceb_txn_get(struct gceb_txn *txn, enum gceb_kind kind, const char *key,
				ProtobufCMessage **out, struct gceb_err *err);
/*
 * Write @msg as entity @key, in its compact form (lib/compact.h), as it is
 * (lib/fleet.h stamps an Instance's last_updated). Keys longer than
 * GCEB_STORE_MAX_KEY give GCEB_EUSAGE.
 */
GCEB_NODISCARD int gceb_txn_put(struct gceb_txn *txn, enum gceb_kind kind, const char *key,
				const ProtobufCMessage *msg, struct gceb_err *err);
/* Delete entity @key; GCEB_ENOTFOUND (without touching @err) if absent. */
GCEB_NODISCARD int gceb_txn_del(struct gceb_txn *txn, enum gceb_kind kind, const char *key,
				struct gceb_err *err);

/*
 * Call @fn for every entity of @kind whose key starts with @prefix (NULL or
 * "" for all), in key order. @msg is borrowed for the call only. A non-zero
 * return from @fn stops the walk and is returned; @fn says why in @err (the
 * walk's own). A damaged value stops the walk with GCEB_EPARSE.
 */
typedef int (*gceb_store_visit_fn)(const char *key, const ProtobufCMessage *msg, void *payload,
				   struct gceb_err *err);
GCEB_NODISCARD int gceb_txn_foreach(struct gceb_txn *txn, enum gceb_kind kind, const char *prefix,
				    gceb_store_visit_fn fn, void *payload, struct gceb_err *err);
/*
 * gceb_txn_foreach() from the first key after @after (NULL: from the start),
 * which need not exist any more: a long walk can go in short transactions,
 * each taking up where the last one stopped.
 */
GCEB_NODISCARD int gceb_txn_foreach_after(struct gceb_txn *txn, enum gceb_kind kind,
					  const char *prefix, const char *after,
					  gceb_store_visit_fn fn, void *payload,
					  struct gceb_err *err);

/*
 * What an update callback decided. The callback gets *@msg as read in the
 * write transaction (NULL if the entity is absent) and may change it in
 * place, replace it (e.g. create it), or free it and set it to NULL.
 */
enum gceb_update_result {
	GCEB_UPDATE_KEEP = 0, /* write if the packed bytes changed */
	GCEB_UPDATE_DELETE,   /* delete the entity if it exists */
};
/* A negative return says why in @err (gceb_store_update()'s own). */
typedef int (*gceb_update_fn)(ProtobufCMessage **msg, void *payload, struct gceb_err *err);

/*
 * The "atomic update" of docs/design/README.md: in one short write transaction,
 * re-read entity @key, call @fn, and write it only if its packed bytes
 * changed (or delete it on GCEB_UPDATE_DELETE). *@changed (may be NULL)
 * says whether anything was written. A negative return from @fn aborts and
 * is returned unchanged, with what @fn set in @err.
 */
GCEB_NODISCARD int gceb_store_update(struct gceb_store *store, enum gceb_kind kind, const char *key,
				     gceb_update_fn fn, void *payload, bool *changed,
				     struct gceb_err *err);

/*
 * Group commit, for the updates that answers of one engine wake-up make.
 * While on, the first write transaction also begins an outer one; every
 * write transaction is nested in it (so one that fails or aborts is undone
 * alone, and gceb_txn_commit() only hands it to the outer one) and every
 * read transaction reads it, seeing the writes before it as it would once
 * they were committed. gceb_store_group_commit() commits the outer one: call
 * it before any network I/O. Turn grouping off only once committed.
 */
void gceb_store_group(struct gceb_store *store, bool on);
/*
 * Commit the open group, if any ("cannot commit N updates to store ..." on
 * failure: they are all lost). In a DRY_RUN store it is aborted instead.
 */
GCEB_NODISCARD int gceb_store_group_commit(struct gceb_store *store, struct gceb_err *err);

/* Flags the store was opened with. */
unsigned gceb_store_flags(const struct gceb_store *store);

/* Seconds since the Unix epoch; the one clock of lib/ (libfaketime moves it in tests). */
int64_t gceb_now(void);

#endif
