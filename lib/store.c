/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - entity store on top of LMDB
 *
 * One LMDB environment in <state_dir>/db holds one named database per entity
 * kind ("config", "templates", "revisions", "igms", "instances") and "meta",
 * whose record "schema" is STORE_SCHEMA. Values are packed protobuf-c
 * messages from proto/state.proto, Instances and groups in the compact form
 * of lib/compact.c: written compact, expanded on every read, so callers
 * only ever see full messages.
 *
 * Schema "gceb-store 1" had full values only. They still read right, so a
 * version 1 store opened for writing just gets the new marker, and its
 * values are compacted as they are rewritten; read-only or in a dry run it is
 * read as it is, and left for an older gceb. Older gcebs refuse version 2,
 * whose values they would misread.
 *
 * Keys (docs/design/store.md) are an entity's id tokens joined by single ASCII
 * spaces, stored without a terminating NUL:
 *
 *	config     "current"
 *	templates  "<base>"
 *	revisions  "<base> <rev>"
 *	igms       "<base> <rev> <zone>"
 *	instances  "<base> <rev> <zone> <name>"
 *
 * LMDB sorts keys bytewise, so the children of one parent are adjacent and a
 * prefix walk finds them; the prefix should end with the space ("<base> "),
 * or "web" would also match "web2 ...". A key is 1 to GCEB_STORE_MAX_KEY (511)
 * bytes, the MDB_MAXKEYSIZE of a default LMDB build; any other length is
 * GCEB_EUSAGE. Callers build keys; the store only parses Instance and group
 * keys to compact their values (lib/compact.c).
 *
 * Group commit (gceb_store_group): every commit costs an fsync, and a job
 * applies its answers one at a time in the event loop while other answers
 * wait, so a job that writes for every answer spent most of its time above
 * the ideal in fsync. Grouped, the updates of one engine wake-up go into one
 * outer write transaction, each nested in its own child transaction so that
 * a failing one is undone alone, and one commit makes them durable. The
 * outer transaction is committed before the engine starts requests or polls
 * again, so it is never open across network I/O. A run killed before that
 * commit loses the updates of that one wake-up, which the next run re-does
 * like any update lost to a kill (docs/architecture.md "A job run").
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "compact.h"
#include "state.pb-c.h"
#include "store.h"

#define STORE_SCHEMA    "gceb-store 2"
#define STORE_SCHEMA_V1 "gceb-store 1"
#define MIB             ((size_t)1024 * 1024)

struct gceb_store {
	MDB_env *env;
	MDB_dbi dbi[GCEB_KIND_COUNT];
	unsigned flags;
	char *path;         /* <state_dir>/db, for messages */
	bool grouping;      /* gceb_store_group() is on */
	MDB_txn *group;     /* its outer write transaction, once a write opened it */
	size_t group_count; /* child transactions committed into @group */
};

struct gceb_txn {
	struct gceb_store *store;
	MDB_txn *txn;
	bool write;
	bool borrowed; /* a read of the store's group: @txn is not ours to end */
};

static const struct {
	const char *db;   /* database name */
	const char *noun; /* one entity, for messages */
	const ProtobufCMessageDescriptor *desc;
} kinds[GCEB_KIND_COUNT] = {
	[GCEB_KIND_CONFIG] = { "config", "config", &gceb__state__stored_config__descriptor },
	[GCEB_KIND_TEMPLATE] = { "templates", "template",
				 &gceb__state__instance_template__descriptor },
	[GCEB_KIND_REVISION] = { "revisions", "revision", &gceb__state__revision__descriptor },
	[GCEB_KIND_IGM] = { "igms", "igm", &gceb__state__instance_group_manager__descriptor },
	[GCEB_KIND_INSTANCE] = { "instances", "instance", &gceb__state__instance__descriptor },
};

static int store_err(const struct gceb_store *s, struct gceb_err *err, int rc, const char *fmt, ...)
	GCEB_PRINTF(4, 5);

/*
 * The one place an LMDB result becomes ours. LMDB's own codes are negative,
 * errno values positive: the latter are filesystem trouble.
 */
static int store_err(const struct gceb_store *s, struct gceb_err *err, int rc, const char *fmt, ...)
{
	int code = rc == MDB_MAP_FULL ? GCEB_ESTORE :
		   rc == ENOMEM       ? GCEB_ENOMEM :
		   rc > 0             ? GCEB_EIO :
					GCEB_ESTORE;
	char what[sizeof(err->msg)];
	MDB_envinfo info;
	bool whole;
	va_list ap;

	/* Always an error, whatever gceb_err_set() returns: callers rely on it. */
	if (rc == MDB_MAP_FULL) {
		/* The map may be larger than asked for: LMDB keeps the size of the file. */
		(void)mdb_env_info(s->env, &info);
		whole = info.me_mapsize % MIB == 0;
		(void)gceb_err_set(
			err, code,
			"store '%s' is full (map size %zu %s): raise store_map_size_mib in settings.cfg or use --map-size-mib",
			s->path, whole ? info.me_mapsize / MIB : info.me_mapsize / 1024,
			whole ? "MiB" : "KiB");
		return code;
	}
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	(void)gceb_err_set(err, code, "%s: %s", what, mdb_strerror(rc));
	return code;
}

static int open_err(const struct gceb_store *s, struct gceb_err *err, int rc)
{
	return store_err(s, err, rc, "cannot open store '%s'", s->path);
}

static int foreign_err(const struct gceb_store *s, struct gceb_err *err, const MDB_val *found)
{
	const unsigned char *p;
	char text[65];
	size_t i, n;

	if (!found)
		return gceb_err_set(
			err, GCEB_ESTORE,
			"store '%s' was written by another program or schema version (found no schema, expected '%s')",
			s->path, STORE_SCHEMA);
	/* The stored bytes may be anything: show a bounded, printable excerpt. */
	p = found->mv_data;
	n = found->mv_size < sizeof(text) - 1 ? found->mv_size : sizeof(text) - 1;
	for (i = 0; i < n; i++)
		text[i] = (char)(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
	text[n] = '\0';
	return gceb_err_set(
		err, GCEB_ESTORE,
		"store '%s' was written by another program or schema version (found '%s', expected '%s')",
		s->path, text, STORE_SCHEMA);
}

static MDB_val str_val(const char *str)
{
	return (MDB_val){ .mv_size = strlen(str), .mv_data = (void *)str };
}

static bool val_is(const MDB_val *val, const char *str)
{
	return val->mv_size == strlen(str) && memcmp(val->mv_data, str, val->mv_size) == 0;
}

static int make_key(enum gceb_kind kind, const char *key, MDB_val *out, struct gceb_err *err)
{
	size_t len = strlen(key);

	if (len == 0 || len > GCEB_STORE_MAX_KEY)
		return gceb_err_set(err, GCEB_EUSAGE, "%s key must be 1 to %d bytes, not %zu",
				    kinds[kind].noun, GCEB_STORE_MAX_KEY, len);
	*out = str_val(key);
	return 0;
}

/*
 * Whether @msg or a message in it kept an unknown field numbered 0. No valid
 * encoder writes one, yet protobuf-c 1.4 takes it when its tag is an
 * overlong varint ("80 00"), and packs it as "00", which it then refuses.
 */
static bool has_field_zero(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	ProtobufCMessage *one, *const *subs;
	uint32_t which;
	size_t i, j, n;

	for (i = 0; i < msg->n_unknown_fields; i++)
		if (msg->unknown_fields[i].tag == 0)
			return true;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *member = (const char *)msg + f->offset;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		/* Members are read with memcpy: the descriptor only gives byte offsets. */
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			memcpy(&which, (const char *)msg + f->quantifier_offset, sizeof(which));
			if (which != f->id)
				continue; /* the union holds another member */
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&n, (const char *)msg + f->quantifier_offset, sizeof(n));
			/* NOLINTNEXTLINE(bugprone-sizeof-expression): the member is a pointer */
			memcpy(&subs, member, sizeof(subs));
		} else {
			/* NOLINTNEXTLINE(bugprone-sizeof-expression): the member is a pointer */
			memcpy(&one, member, sizeof(one));
			n = 1;
			subs = &one;
		}
		for (j = 0; j < n; j++)
			if (subs[j] && has_field_zero(subs[j]))
				return true;
	}
	return false;
}

ProtobufCMessage *gceb_kind_unpack(enum gceb_kind kind, const char *key, const void *data,
				   size_t len)
{
	ProtobufCMessage *msg;

	assert((unsigned)kind < GCEB_KIND_COUNT);
	msg = protobuf_c_message_unpack(kinds[kind].desc, NULL, len, data);
	/*
	 * Kept, a field 0 would be written back unreadable by the next update;
	 * a value that cannot be expanded is as unusable as bad bytes.
	 */
	if (msg && (has_field_zero(msg) || gceb_expand(kind, key, msg) != 0)) {
		protobuf_c_message_free_unpacked(msg, NULL);
		msg = NULL;
	}
	return msg;
}

static int unpack(enum gceb_kind kind, const char *key, const MDB_val *val, ProtobufCMessage **out,
		  struct gceb_err *err)
{
	ProtobufCMessage *msg = gceb_kind_unpack(kind, key, val->mv_data, val->mv_size);

	/* protobuf-c gives no reason: bad bytes and out of memory look the same. */
	if (!msg)
		return gceb_err_set(err, GCEB_EPARSE, "stored %s '%s' is damaged", kinds[kind].noun,
				    key);
	*out = msg;
	return 0;
}

static int pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len, struct gceb_err *err)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory packing a %zu-byte entity", n);
	*len = protobuf_c_message_pack(msg, b);
	*buf = b;
	return 0;
}

static int make_dir(const char *path, struct gceb_err *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return gceb_err_set(err, GCEB_EIO, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

/*
 * The start of an LMDB meta page as LMDB 0.9 writes it (lmdb's mdb.c: a page
 * header, then MDB_meta), in native word size and alignment, as LMDB reads
 * it. Pages 0 and 1 are meta pages; the one with the higher txnid is current.
 */
struct lmdb_db_head {
	uint32_t pad; /* the page size, in the free database's record */
	uint16_t flags;
	uint16_t depth;
	size_t branch_pages, leaf_pages, overflow_pages, entries, root;
};

struct lmdb_meta_page {
	size_t pgno;
	uint16_t page_pad;
	uint16_t page_flags; /* P_META */
	uint32_t bounds;
	uint32_t magic;
	uint32_t version;
	void *address;
	size_t mapsize;
	struct lmdb_db_head dbs[2]; /* free, main */
	size_t last_pg;             /* the highest page in use */
	size_t txnid;
};

#define LMDB_MAGIC   0xBEEFC0DEu
#define LMDB_VERSION 1u
#define LMDB_P_META  0x08u

/*
 * Read the meta page at @off into *@m: 1 if it is a valid one, with its
 * page size in *@psize; 0 if it is not an LMDB meta page at all; -1 if it
 * is one but the file ends inside it.
 */
static int read_meta(int fd, off_t off, struct lmdb_meta_page *m, size_t *psize)
{
	ssize_t n = pread(fd, m, sizeof(*m), off);
	size_t ps;

	if (n < (ssize_t)(offsetof(struct lmdb_meta_page, magic) + sizeof(m->magic)) ||
	    m->magic != LMDB_MAGIC)
		return 0;
	if (n < (ssize_t)sizeof(*m))
		return -1;
	ps = m->dbs[0].pad;
	if (!(m->page_flags & LMDB_P_META) || m->version != LMDB_VERSION || ps < 512 ||
	    ps > 65536 || (ps & (ps - 1)) != 0 || m->last_pg < 1)
		return 0;
	*psize = ps;
	return 1;
}

/* @why: how short, such as "12288 bytes, its meta page says 7 pages of 4096 bytes". */
static int cut_short(const char *file, const char *why, struct gceb_err *err)
{
	return gceb_err_set(
		err, GCEB_ESTORE,
		"store file '%s' is cut short (%s): a bad copy or restore? Restore a backup taken with mdb_copy (docs/operations.md)",
		file, why);
}

/*
 * LMDB maps data.mdb and trusts its meta page: a file shorter than the meta
 * page says (a bad copy or restore) would be read past its end, a SIGBUS in
 * every binary. Check its length first, from the meta pages read with
 * pread. A missing file is a new store, which LMDB creates; a file that is
 * not an LMDB file is left to LMDB, which says so. A 0-byte file is refused,
 * not replaced by an empty store, once a process that is creating it right
 * now (it writes the meta pages just after creating the file) had its time.
 * The file only grows while in use, so a size read after the meta holds.
 */
static int check_data_file(const struct gceb_store *s, struct gceb_err *err)
{
	struct lmdb_meta_page m0, m1;
	size_t ps0 = 0, ps1 = 0;
	char file[PATH_MAX];
	char why[128];
	struct stat st;
	int fd, r = 0, tries, meta;

	if ((size_t)snprintf(file, sizeof(file), "%s/data.mdb", s->path) >= sizeof(file))
		return gceb_err_set(err, GCEB_EIO, "state directory path too long");
	fd = open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return gceb_err_set(err, GCEB_EIO, "cannot open store file '%s': %s", file,
				    strerror(errno));
	for (tries = 0;
	     (r = fstat(fd, &st)) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && tries < 10;
	     tries++)
		(void)usleep(100 * 1000);
	if (r < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot stat store file '%s': %s", file,
				 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = gceb_err_set(err, GCEB_ESTORE, "store file '%s' is not a regular file", file);
		goto out;
	}
	if (st.st_size == 0) {
		r = gceb_err_set(
			err, GCEB_ESTORE,
			"store file '%s' is empty (0 bytes): a failed copy or restore? It is not replaced by an empty store; restore a backup taken with mdb_copy, or remove the file to start afresh (docs/operations.md)",
			file);
		goto out;
	}
	/* Not an LMDB file, or a version we do not know: LMDB says so, safely. */
	meta = read_meta(fd, 0, &m0, &ps0);
	if (meta < 0) {
		(void)snprintf(why, sizeof(why), "%lld bytes, it ends inside its first meta page",
			       (long long)st.st_size);
		r = cut_short(file, why, err);
	}
	if (meta <= 0)
		goto out;
	if (read_meta(fd, (off_t)ps0, &m1, &ps1) == 1 && ps1 == ps0 && m1.txnid > m0.txnid)
		m0 = m1;
	if (fstat(fd, &st) < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot stat store file '%s': %s", file,
				 strerror(errno));
		goto out;
	}
	/* Pages 0 to last_pg must be there; last_pg >= 1 covers both meta pages. */
	if ((size_t)st.st_size / ps0 <= m0.last_pg) {
		(void)snprintf(why, sizeof(why),
			       "%lld bytes, its meta page says %zu pages of %zu bytes",
			       (long long)st.st_size, m0.last_pg + 1, ps0);
		r = cut_short(file, why, err);
	}
out:
	(void)close(fd);
	return r;
}

/* Write the schema into a new store, or check (and upgrade from version 1) the one found. */
static int check_schema(const struct gceb_store *s, MDB_txn *txn, struct gceb_err *err)
{
	MDB_val key = str_val("schema"), want = str_val(STORE_SCHEMA), found;
	MDB_dbi dbi;
	MDB_stat st;
	int rc;

	/* The main database holds one record per named database: none means a new store. */
	rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	if (rc == 0)
		rc = mdb_stat(txn, dbi, &st);
	if (rc != 0)
		return open_err(s, err, rc);
	if (st.ms_entries == 0) {
		if (s->flags & GCEB_STORE_READONLY)
			return gceb_err_set(err, GCEB_ENOTFOUND, "store '%s' is empty", s->path);
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi);
		if (rc == 0)
			rc = mdb_put(txn, dbi, &key, &want, 0);
		return rc != 0 ? open_err(s, err, rc) : 0;
	}
	rc = mdb_dbi_open(txn, "meta", 0, &dbi);
	if (rc == 0)
		rc = mdb_get(txn, dbi, &key, &found);
	/* No "meta" database, or a plain record of that name: someone else's data. */
	if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
		return foreign_err(s, err, NULL);
	if (rc != 0)
		return open_err(s, err, rc);
	if (val_is(&found, STORE_SCHEMA))
		return 0;
	if (!val_is(&found, STORE_SCHEMA_V1))
		return foreign_err(s, err, &found);
	/* Version 1 values are full ones, which read as they are (header comment). */
	if (s->flags & (GCEB_STORE_READONLY | GCEB_STORE_DRY_RUN))
		return 0;
	rc = mdb_put(txn, dbi, &key, &want, 0);
	return rc != 0 ? open_err(s, err, rc) : 0;
}

static int open_dbs(struct gceb_store *s, struct gceb_err *err)
{
	bool ro = s->flags & GCEB_STORE_READONLY;
	MDB_txn *txn = NULL;
	int rc, r;
	size_t i;

	rc = mdb_txn_begin(s->env, NULL, ro ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return open_err(s, err, rc);
	r = check_schema(s, txn, err);
	for (i = 0; r == 0 && i < GCEB_KIND_COUNT; i++) {
		rc = mdb_dbi_open(txn, kinds[i].db, ro ? 0 : MDB_CREATE, &s->dbi[i]);
		if (rc == MDB_NOTFOUND)
			r = gceb_err_set(err, GCEB_ESTORE, "store '%s' has no '%s' database",
					 s->path, kinds[i].db);
		else if (rc != 0)
			r = open_err(s, err, rc);
	}
	if (r == 0) {
		/*
		 * Committing, even read-only, is what lets later transactions use
		 * the handles. It happens in DRY_RUN too: empty databases and the
		 * schema are the shape of the store, not state.
		 */
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc != 0)
			r = open_err(s, err, rc);
	}
	if (txn)
		mdb_txn_abort(txn);
	return r;
}

/* A new LMDB environment for s->path, opened with @env_flags; an LMDB result. */
static int open_env(struct gceb_store *s, size_t map_size, unsigned env_flags)
{
	int rc = mdb_env_create(&s->env);

	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, GCEB_KIND_COUNT + 1); /* kinds and meta */
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, map_size);
	if (rc == 0)
		rc = mdb_env_open(s->env, s->path, env_flags, 0600);
	return rc;
}

int gceb_store_open(const char *state_dir, size_t map_size, unsigned flags, struct gceb_store **out,
		    struct gceb_err *err)
{
	bool ro = flags & GCEB_STORE_READONLY;
	struct gceb_store *s = NULL;
	size_t len = strlen(state_dir);
	struct stat st;
	int dead;
	int r;

	s = calloc(1, sizeof(*s));
	if (s)
		s->path = malloc(len + sizeof("/db"));
	if (!s || !s->path) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory opening a store");
		goto out;
	}
	memcpy(s->path, state_dir, len);
	memcpy(s->path + len, "/db", sizeof("/db"));
	s->flags = flags;

	if (!ro) {
		r = make_dir(state_dir, err);
		if (r == 0)
			r = make_dir(s->path, err);
		if (r < 0)
			goto out;
	}
	/* LMDB would say "Not a directory" about <path>/lock.mdb; name the real culprit. */
	if (stat(s->path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		r = gceb_err_set(err, GCEB_ESTORE, "store '%s' is not a directory", s->path);
		goto out;
	}

	r = check_data_file(s, err);
	if (r < 0)
		goto out;

	/*
	 * MDB_NOMETASYNC: a commit syncs its data pages but only writes its meta
	 * page, which the next commit's sync (or gceb_store_sync()) makes
	 * durable. A killed process loses nothing (the page cache has it); an
	 * OS crash may undo the last commit, as if the run had been killed just
	 * before it, which the next run re-does. Integrity is kept either way;
	 * only MDB_NOSYNC could corrupt, and is not used.
	 */
	r = open_env(s, map_size, ro ? MDB_RDONLY : MDB_NOMETASYNC);
	/*
	 * A reader who may read the store but not write its lock file (LMDB
	 * opens lock.mdb read-write even to read): read without the lock.
	 * The store cannot be harmed, but a job committing meanwhile does not
	 * see this reader and may reuse pages it is reading, so such a reading
	 * can fail (or, rarely, be inconsistent): gceb-status is run again.
	 */
	if ((r == EACCES || r == EPERM) && ro) {
		mdb_env_close(s->env);
		s->env = NULL;
		r = open_env(s, map_size, MDB_RDONLY | MDB_NOLOCK);
	}
	if (r == ENOENT && ro) {
		r = gceb_err_set(err, GCEB_ENOTFOUND, "store '%s' does not exist", s->path);
		goto out;
	}
	/* Reader slots of killed processes would pin old pages for good. */
	if (r == 0)
		r = mdb_reader_check(s->env, &dead);
	if (r != 0) {
		r = open_err(s, err, r);
		goto out;
	}
	r = open_dbs(s, err);
	if (r < 0)
		goto out;

	*out = s;
	s = NULL;
out:
	gceb_store_close(s);
	return r;
}

int gceb_store_sync(struct gceb_store *store, struct gceb_err *err)
{
	int rc;

	if (store->flags & (GCEB_STORE_READONLY | GCEB_STORE_DRY_RUN))
		return 0;
	rc = mdb_env_sync(store->env, 1);
	if (rc != 0)
		return store_err(store, err, rc, "cannot sync store '%s'", store->path);
	return 0;
}

void gceb_store_close(struct gceb_store *store)
{
	if (!store)
		return;
	if (store->env)
		mdb_env_close(store->env);
	free(store->path);
	free(store);
}

const ProtobufCMessageDescriptor *gceb_kind_descriptor(enum gceb_kind kind)
{
	assert((unsigned)kind < GCEB_KIND_COUNT);
	return kinds[kind].desc;
}

const char *gceb_kind_name(enum gceb_kind kind)
{
	assert((unsigned)kind < GCEB_KIND_COUNT);
	return kinds[kind].db;
}

unsigned gceb_store_flags(const struct gceb_store *store)
{
	return store->flags;
}

static int begin(struct gceb_store *store, MDB_txn *parent, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(store->env, parent, flags, txn);

	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map past ours: adopt its size (lmdb.h). */
		rc = mdb_env_set_mapsize(store->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(store->env, parent, flags, txn);
	}
	return rc;
}

int gceb_store_begin(struct gceb_store *store, bool write, struct gceb_txn **out,
		     struct gceb_err *err)
{
	struct gceb_txn *t;
	MDB_txn *txn = NULL;
	bool borrowed = false;
	int rc = 0;

	assert(!write || !(store->flags & GCEB_STORE_READONLY));
	if (store->grouping && write && !store->group)
		rc = begin(store, NULL, 0, &store->group);
	if (rc == 0 && store->group && !write) {
		/* LMDB allows one transaction per thread: read the group, writes and all. */
		txn = store->group;
		borrowed = true;
	} else if (rc == 0) {
		rc = begin(store, store->group, write ? 0 : MDB_RDONLY, &txn);
	}
	if (rc != 0)
		return store_err(store, err, rc, "cannot begin a transaction in store '%s'",
				 store->path);
	t = malloc(sizeof(*t));
	if (!t) {
		if (!borrowed)
			mdb_txn_abort(txn);
		(void)gceb_err_set(err, GCEB_ENOMEM, "out of memory beginning a transaction");
		return GCEB_ENOMEM;
	}
	*t = (struct gceb_txn){ .store = store, .txn = txn, .write = write, .borrowed = borrowed };
	*out = t;
	return 0;
}

int gceb_txn_commit(struct gceb_txn **txn, struct gceb_err *err)
{
	struct gceb_txn *t = *txn;
	int rc = 0;
	int r = 0;

	assert(t);
	*txn = NULL;
	if (t->write && (t->store->flags & GCEB_STORE_DRY_RUN))
		mdb_txn_abort(t->txn);
	else if (!t->borrowed) /* a group is committed by gceb_store_group_commit() */
		rc = mdb_txn_commit(t->txn);
	if (rc != 0)
		r = store_err(t->store, err, rc, "cannot commit to store '%s'", t->store->path);
	else if (t->write && t->store->group)
		t->store->group_count++;
	free(t);
	return r;
}

void gceb_txn_abort(struct gceb_txn **txn)
{
	if (!txn || !*txn)
		return;
	if (!(*txn)->borrowed)
		mdb_txn_abort((*txn)->txn);
	free(*txn);
	*txn = NULL;
}

int gceb_txn_get(struct gceb_txn *txn, enum gceb_kind kind, const char *key, ProtobufCMessage **out,
		 struct gceb_err *err)
{
	MDB_val k, v;
	int r;

	assert(txn);
	assert((unsigned)kind < GCEB_KIND_COUNT);
	r = make_key(kind, key, &k, err);
	if (r < 0)
		return r;
	r = mdb_get(txn->txn, txn->store->dbi[kind], &k, &v);
	if (r == MDB_NOTFOUND)
		return GCEB_ENOTFOUND;
	if (r != 0)
		return store_err(txn->store, err, r, "cannot read %s '%s'", kinds[kind].noun, key);
	return unpack(kind, key, &v, out, err);
}

/*
 * --dry-run promises to show each change it would make. Every local change
 * goes through put or del, so this is the one place that can say so.
 */
static void dry_run_report(const struct gceb_txn *txn, const char *verb, enum gceb_kind kind,
			   const char *key)
{
	if (txn->store->flags & GCEB_STORE_DRY_RUN)
		(void)printf("would %s %s '%s'\n", verb, kinds[kind].noun, key);
}

int gceb_txn_put(struct gceb_txn *txn, enum gceb_kind kind, const char *key,
		 const ProtobufCMessage *msg, struct gceb_err *err)
{
	const ProtobufCMessage *stored;
	struct gceb_compact c;
	MDB_val k, v;
	int r;

	assert((unsigned)kind < GCEB_KIND_COUNT);
	assert(txn->write && msg->descriptor == kinds[kind].desc);
	r = make_key(kind, key, &k, err);
	if (r < 0)
		return r;
	r = gceb_compact(kind, key, msg, &c, &stored);
	if (r < 0) {
		r = gceb_err_set(err, r, "out of memory writing %s '%s'", kinds[kind].noun, key);
		goto out;
	}
	v = (MDB_val){ .mv_size = protobuf_c_message_get_packed_size(stored) };
	/* MDB_RESERVE hands out room in the map, so the message is packed in place. */
	r = mdb_put(txn->txn, txn->store->dbi[kind], &k, &v, MDB_RESERVE);
	if (r != 0) {
		r = store_err(txn->store, err, r, "cannot write %s '%s'", kinds[kind].noun, key);
		goto out;
	}
	(void)protobuf_c_message_pack(stored, v.mv_data);
	dry_run_report(txn, "write", kind, key);
out:
	gceb_compact_release(&c);
	return r;
}

int gceb_txn_del(struct gceb_txn *txn, enum gceb_kind kind, const char *key, struct gceb_err *err)
{
	MDB_val k;
	int r;

	assert((unsigned)kind < GCEB_KIND_COUNT);
	r = make_key(kind, key, &k, err);
	if (r < 0)
		return r;
	r = mdb_del(txn->txn, txn->store->dbi[kind], &k, NULL);
	if (r == MDB_NOTFOUND)
		return GCEB_ENOTFOUND;
	if (r != 0)
		return store_err(txn->store, err, r, "cannot delete %s '%s'", kinds[kind].noun,
				 key);
	dry_run_report(txn, "delete", kind, key);
	return 0;
}

int gceb_txn_foreach(struct gceb_txn *txn, enum gceb_kind kind, const char *prefix,
		     gceb_store_visit_fn fn, void *payload, struct gceb_err *err)
{
	return gceb_txn_foreach_after(txn, kind, prefix, NULL, fn, payload, err);
}

int gceb_txn_foreach_after(struct gceb_txn *txn, enum gceb_kind kind, const char *prefix,
			   const char *after, gceb_store_visit_fn fn, void *payload,
			   struct gceb_err *err)
{
	char key[GCEB_STORE_MAX_KEY + 1];
	ProtobufCMessage *msg = NULL;
	MDB_cursor *cur = NULL;
	MDB_cursor_op op = MDB_FIRST;
	const char *pfx = prefix ? prefix : "";
	MDB_val k = str_val(pfx), v, a = str_val(after ? after : "");
	size_t plen = k.mv_size;
	bool skip = false;
	int r;

	assert((unsigned)kind < GCEB_KIND_COUNT);
	if (plen > GCEB_STORE_MAX_KEY || a.mv_size > GCEB_STORE_MAX_KEY)
		return gceb_err_set(
			err, GCEB_EUSAGE, "%s key %s is longer than %d bytes", kinds[kind].noun,
			plen > GCEB_STORE_MAX_KEY ? "prefix" : "bound", GCEB_STORE_MAX_KEY);
	/* LMDB orders keys as strcmp() does: start at whichever bound is later. */
	if (after && strcmp(after, pfx) >= 0) {
		k = a;
		skip = true;
	}
	if (k.mv_size > 0)
		op = MDB_SET_RANGE; /* the first key >= k */
	r = mdb_cursor_open(txn->txn, txn->store->dbi[kind], &cur);
	if (r != 0)
		return store_err(txn->store, err, r, "cannot read %s", kinds[kind].db);
	for (;;) {
		r = mdb_cursor_get(cur, &k, &v, op);
		op = MDB_NEXT;
		if (r == MDB_NOTFOUND) {
			r = 0;
			goto out;
		}
		if (r != 0) {
			r = store_err(txn->store, err, r, "cannot read %s", kinds[kind].db);
			goto out;
		}
		/* @after itself, if it still exists, was visited by the last walk. */
		if (skip && k.mv_size == a.mv_size && !memcmp(k.mv_data, a.mv_data, a.mv_size)) {
			skip = false;
			continue;
		}
		skip = false;
		if (k.mv_size < plen || memcmp(k.mv_data, pfx, plen) != 0)
			goto out; /* past the prefix; r is 0 */
		/* LMDB bounds keys itself; checking keeps the copy safe on any build. */
		if (k.mv_size > GCEB_STORE_MAX_KEY) {
			r = gceb_err_set(err, GCEB_EPARSE, "stored %s key is longer than %d bytes",
					 kinds[kind].noun, GCEB_STORE_MAX_KEY);
			goto out;
		}
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		r = unpack(kind, key, &v, &msg, err);
		if (r < 0)
			goto out;
		r = fn(key, msg, payload, err);
		protobuf_c_message_free_unpacked(msg, NULL);
		msg = NULL;
		if (r != 0)
			goto out;
	}
out:
	mdb_cursor_close(cur);
	return r;
}

int gceb_store_update(struct gceb_store *store, enum gceb_kind kind, const char *key,
		      gceb_update_fn fn, void *payload, bool *changed, struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	ProtobufCMessage *msg = NULL;
	uint8_t *before = NULL, *after = NULL;
	size_t before_len = 0, after_len = 0;
	bool existed, write = false;
	int r;

	r = gceb_store_begin(store, true, &txn, err);
	if (r != 0)
		goto out;
	r = gceb_txn_get(txn, kind, key, &msg, err);
	if (r < 0 && r != GCEB_ENOTFOUND)
		goto out;
	existed = r == 0;
	/*
	 * Compare repacked bytes, not the stored ones: bytes from another
	 * packer (say, an older gceb) would otherwise always look changed.
	 */
	if (existed) {
		r = pack(msg, &before, &before_len, err);
		if (r < 0)
			goto out;
	}

	r = fn(&msg, payload, err);
	if (r < 0)
		goto out;
	if (r == GCEB_UPDATE_DELETE) {
		write = existed;
		r = write ? gceb_txn_del(txn, kind, key, err) : 0;
	} else {
		assert(r == GCEB_UPDATE_KEEP);
		r = msg ? pack(msg, &after, &after_len, err) : 0;
		if (r < 0)
			goto out;
		write = msg && (!existed || after_len != before_len ||
				(after_len > 0 && memcmp(after, before, after_len) != 0));
		r = write ? gceb_txn_put(txn, kind, key, msg, err) : 0;
	}
	if (r < 0)
		goto out;
	if (write) {
		r = gceb_txn_commit(&txn, err); /* aborts instead in DRY_RUN */
		if (r < 0)
			goto out;
	}
	if (changed)
		*changed = write;
out:
	gceb_txn_abort(&txn);
	protobuf_c_message_free_unpacked(msg, NULL);
	free(before);
	free(after);
	return r;
}

void gceb_store_group(struct gceb_store *store, bool on)
{
	assert(!store->group); /* committed first */
	store->grouping = on;
}

int gceb_store_group_commit(struct gceb_store *store, struct gceb_err *err)
{
	MDB_txn *txn = store->group;
	size_t n = store->group_count;
	int rc = 0;

	if (!txn)
		return 0;
	store->group = NULL;
	store->group_count = 0;
	if (store->flags & GCEB_STORE_DRY_RUN)
		mdb_txn_abort(txn);
	else
		rc = mdb_txn_commit(txn);
	if (rc != 0)
		return store_err(store, err, rc, "cannot commit %zu update%s to store '%s'", n,
				 n == 1 ? "" : "s", store->path);
	return 0;
}
