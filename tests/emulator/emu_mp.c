/* SPDX-License-Identifier: Apache-2.0 */
/* emu_mp.c - Machine Provider: catalog, leases and the server-side crons
 * (docs/design/machine-provider.md) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "emu.h"

#define MP_MAX_LEASE_S 172800

enum { ACL_BACKEND = 1, ACL_USER = 2, ACL_ADMIN = 4 };
enum lease_state { LEASE_UNTRIAGED, LEASE_FULFILLED };

struct mp_machine {
	char *key; /* "{backend}/{hostname}" */
	uint64_t seq;
	cJSON *dims;
	cJSON *policies;
	struct mp_lease *lease;
	int64_t expiry; /* seconds; meaningful while lease is set */
};

struct mp_lease {
	char *key; /* "{identity}\n{request_id}" */
	char *identity;
	char *request_id;
	char hash[41];
	char checksum[41];
	uint64_t seq;
	cJSON *dims;
	int64_t duration;
	int64_t expiration_ts;
	enum lease_state state;
	char *hostname;
	int64_t expiry;
	bool released;
	struct mp_machine *machine;
};

struct mp_acl {
	char *email;
	unsigned flags;
};

struct emu_mp {
	struct emu_map machines;
	struct emu_olist catalog;
	struct emu_map leases;
	struct emu_olist lease_order;
	struct emu_map acl;
	struct emu_timer cron;
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

struct enum_def {
	const char *name;
	int value;
};

static const struct enum_def backends[] = {
	{ "DUMMY", 0 }, { "GCE", 1 }, { "VSPHERE", 2 }, { NULL, 0 }
};
static const struct enum_def os_families[] = {
	{ "LINUX", 1 }, { "OSX", 2 }, { "WINDOWS", 3 }, { NULL, 0 }
};
static const struct enum_def flavors[] = { { "UBUNTU", 1 }, { NULL, 0 } };
static const struct enum_def reclamations[] = {
	{ "MAKE_AVAILABLE", 1 }, { "RECLAIM", 2 }, { "DELETE", 3 }, { NULL, 0 }
};

static void cron_fire(struct emu *e, struct emu_timer *t);

static void sha1_hex(const void *data, size_t len, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	size_t i;

	(void)EVP_Digest(data, len, md, &n, EVP_sha1(), NULL);
	for (i = 0; i < n && i < 20; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[40] = '\0';
}

void emu_mp_init(struct emu *e)
{
	e->mp = emu_xcalloc(1, sizeof(*e->mp));
	emu_olist_init(e, &e->mp->catalog);
	emu_olist_init(e, &e->mp->lease_order);
	e->mp->cron.fire = cron_fire;
	emu_timer_set(e, &e->mp->cron, emu_now(e) + e->k.mp_cron_ms);
}

/* Enums come as names or numbers and always go out as names. */
static int norm_enum(const cJSON *v, const struct enum_def *defs, const char **out)
{
	size_t i;

	for (i = 0; defs[i].name; i++) {
		if ((cJSON_IsString(v) && strcmp(v->valuestring, defs[i].name) == 0) ||
		    (cJSON_IsNumber(v) && v->valuedouble == defs[i].value)) {
			*out = defs[i].name;
			return 0;
		}
	}
	return -1;
}

static void bad_request(struct emu_reply *rep, const char *what)
{
	emu_reply_error(rep, 400, "badRequest", "Error parsing ProtoRPC request (%s)", what);
}

/*
 * Dimensions in canonical form: known fields only, enums by name, int64 as
 * strings (docs/design/machine-provider.md). NULL in, empty object out.
 */
static int norm_dims(const cJSON *in, cJSON **out, struct emu_reply *rep)
{
	static const struct {
		const char *name;
		const struct enum_def *defs;
	} enums[] = { { "os_family", os_families },
		      { "backend", backends },
		      { "linux_flavor", flavors } };
	static const char *const strs[] = { "hostname", "os_version" };
	static const char *const ints[] = { "num_cpus", "disk_gb" };
	cJSON *d = cJSON_CreateObject();
	const cJSON *v;
	size_t i;
	int64_t n;

	if (in && !cJSON_IsNull(in) && !cJSON_IsObject(in))
		goto bad;
	for (i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		const char *name;

		v = cJSON_GetObjectItemCaseSensitive(in, enums[i].name);
		if (!v || cJSON_IsNull(v))
			continue;
		if (norm_enum(v, enums[i].defs, &name) < 0)
			goto bad;
		cJSON_AddStringToObject(d, enums[i].name, name);
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(in, strs[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		if (!cJSON_IsString(v))
			goto bad;
		cJSON_AddStringToObject(d, strs[i], v->valuestring);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(in, ints[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		if (!emu_json_get_int(v, &n))
			goto bad;
		cJSON_AddItemToObject(d, ints[i], emu_json_int64(n));
	}
	v = cJSON_GetObjectItemCaseSensitive(in, "memory_gb");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v))
			goto bad;
		cJSON_AddNumberToObject(d, "memory_gb", v->valuedouble);
	}
	*out = d;
	return 0;
bad:
	cJSON_Delete(d);
	bad_request(rep, "dimensions");
	return -1;
}

static int add_attribute(cJSON *list, const cJSON *x)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(x, "key");
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(x, "value");
	const char *key = cJSON_GetStringValue(k), *value = cJSON_GetStringValue(val);
	cJSON *a;

	if (!key || (val && !cJSON_IsNull(val) && !value))
		return -1;
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "key", key);
	if (value)
		cJSON_AddStringToObject(a, "value", value);
	cJSON_AddItemToArray(list, a);
	return 0;
}

static int norm_policies(const cJSON *in, cJSON **out, struct emu_reply *rep)
{
	static const char *const strs[] = { "backend_topic", "backend_project",
					    "machine_service_account" };
	cJSON *p = cJSON_CreateObject();
	const cJSON *v, *x;
	const char *name;
	size_t i;

	if (!cJSON_IsObject(in))
		goto bad;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(in, strs[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		if (!cJSON_IsString(v))
			goto bad;
		cJSON_AddStringToObject(p, strs[i], v->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(in, "on_reclamation");
	if (v && !cJSON_IsNull(v)) {
		if (norm_enum(v, reclamations, &name) < 0)
			goto bad;
		cJSON_AddStringToObject(p, "on_reclamation", name);
	}
	/* A repeated field given one object is a one-element list (protojson). */
	v = cJSON_GetObjectItemCaseSensitive(in, "backend_attributes");
	if (v && !cJSON_IsNull(v)) {
		cJSON *list = cJSON_AddArrayToObject(p, "backend_attributes");

		if (cJSON_IsObject(v)) {
			if (add_attribute(list, v) < 0)
				goto bad;
		} else if (cJSON_IsArray(v)) {
			cJSON_ArrayForEach(x, v) {
				if (add_attribute(list, x) < 0)
					goto bad;
			}
		} else {
			goto bad;
		}
	}
	*out = p;
	return 0;
bad:
	cJSON_Delete(p);
	bad_request(rep, "policies");
	return -1;
}

static unsigned acl_of(struct emu *e, const char *email)
{
	const struct mp_acl *a = emu_map_get(&e->mp->acl, email);

	/* Unconfigured callers are the GCE backend and a lessee at once. */
	return a ? a->flags : ACL_BACKEND | ACL_USER;
}

static const char *dstr(const cJSON *dims, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(dims, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * Works out the backend of a catalog call: required from admins, inferred for
 * backend callers. Returns an error enum name, or NULL and *backend. The real
 * server asks "catalog admin?" first, so an account in both groups is an
 * admin and must name the backend.
 */
static const char *catalog_backend(unsigned acl, const char *given, const char **backend)
{
	if (!(acl & ACL_ADMIN) && (acl & ACL_BACKEND)) {
		if (given && strcmp(given, "GCE") != 0)
			return "MISMATCHED_BACKEND";
		*backend = "GCE";
		return NULL;
	}
	if (!given)
		return "UNSPECIFIED_BACKEND";
	*backend = given;
	return NULL;
}

static cJSON *machine_add(struct emu *e, unsigned acl, const cJSON *req, struct emu_reply *rep)
{
	cJSON *dims = NULL, *pol = NULL, *res = NULL, *echo;
	const char *err = NULL, *backend = NULL, *host;
	struct mp_machine *m;
	char *key;

	if (norm_dims(cJSON_GetObjectItemCaseSensitive(req, "dimensions"), &dims, rep) < 0 ||
	    norm_policies(cJSON_GetObjectItemCaseSensitive(req, "policies"), &pol, rep) < 0)
		goto out;
	err = catalog_backend(acl, dstr(dims, "backend"), &backend);
	if (!err && !dstr(dims, "backend"))
		cJSON_AddStringToObject(dims, "backend", backend);
	host = dstr(dims, "hostname");
	if (!err && !host)
		err = "UNSPECIFIED_HOSTNAME";
	res = cJSON_CreateObject();
	echo = cJSON_AddObjectToObject(res, "machine_addition_request");
	if (!err) {
		key = emu_xasprintf("%s/%s", backend, host);
		if (emu_map_get(&e->mp->machines, key)) {
			err = "HOSTNAME_REUSE";
			free(key);
		} else {
			m = emu_xcalloc(1, sizeof(*m));
			m->key = key;
			m->seq = emu_next_seq(e);
			m->dims = cJSON_Duplicate(dims, 1);
			m->policies = cJSON_Duplicate(pol, 1);
			emu_map_put(&e->mp->machines, m->key, m);
			emu_olist_add(&e->mp->catalog, m->seq, m);
		}
	}
	if (err)
		cJSON_AddStringToObject(res, "error", err);
	cJSON_AddItemToObject(echo, "dimensions", dims);
	cJSON_AddItemToObject(echo, "policies", pol);
	dims = NULL;
	pol = NULL;
out:
	cJSON_Delete(dims);
	cJSON_Delete(pol);
	return res;
}

static void machine_remove(struct emu *e, struct mp_machine *m)
{
	emu_olist_remove(&e->mp->catalog, m->seq);
	(void)emu_map_del(&e->mp->machines, m->key);
	cJSON_Delete(m->dims);
	cJSON_Delete(m->policies);
	free(m->key);
	free(m);
}

static void catalog_get(struct emu *e, unsigned acl, const cJSON *req, struct emu_reply *rep)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, "backend");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(req, "hostname");
	const char *host = cJSON_GetStringValue(h), *given = NULL, *backend = NULL, *err;
	struct mp_machine *m = NULL;
	cJSON *o;
	char *key;

	if (b && !cJSON_IsNull(b) && norm_enum(b, backends, &given) < 0) {
		bad_request(rep, "backend");
		return;
	}
	if (h && !cJSON_IsNull(h) && !host) {
		bad_request(rep, "hostname");
		return;
	}
	err = catalog_backend(acl, given, &backend);
	if (!err && !host) {
		emu_reply_error(rep, 400, "badRequest", "Hostname unspecified.");
		return;
	}
	if (err && strcmp(err, "UNSPECIFIED_BACKEND") == 0) {
		emu_reply_error(rep, 400, "badRequest", "Backend unspecified.");
		return;
	}
	if (err) {
		emu_reply_error(rep, 403, "forbidden", "Mismatched backend.");
		return;
	}
	if (host) {
		key = emu_xasprintf("%s/%s", backend, host);
		m = emu_map_get(&e->mp->machines, key);
		free(key);
	}
	if (!m) {
		emu_reply_error(rep, 404, "notFound", "Machine not found.");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "dimensions", cJSON_Duplicate(m->dims, 1));
	cJSON_AddItemToObject(o, "policies", cJSON_Duplicate(m->policies, 1));
	cJSON_AddStringToObject(o, "state", m->lease ? "LEASED" : "AVAILABLE");
	if (m->lease)
		cJSON_AddItemToObject(o, "lease_expiration_ts", emu_json_int64(m->expiry));
	emu_reply_json(rep, 200, o);
}

static void catalog_delete(struct emu *e, unsigned acl, const cJSON *req, struct emu_reply *rep)
{
	cJSON *dims = NULL, *o;
	const char *err, *backend = NULL, *host;
	struct mp_machine *m = NULL;
	char *key;

	if (norm_dims(cJSON_GetObjectItemCaseSensitive(req, "dimensions"), &dims, rep) < 0)
		return;
	err = catalog_backend(acl, dstr(dims, "backend"), &backend);
	host = dstr(dims, "hostname");
	if (!err && !host)
		err = "UNSPECIFIED_HOSTNAME";
	if (!err) {
		key = emu_xasprintf("%s/%s", backend, host);
		m = emu_map_get(&e->mp->machines, key);
		free(key);
		if (!m)
			err = "ENTRY_NOT_FOUND";
		else if (m->lease)
			err = "LEASED";
	}
	if (!err)
		machine_remove(e, m);
	o = cJSON_CreateObject();
	if (err)
		cJSON_AddStringToObject(o, "error", err);
	cJSON_AddItemToObject(cJSON_AddObjectToObject(o, "machine_deletion_request"), "dimensions",
			      dims);
	emu_reply_json(rep, 200, o);
}

/* ---- leases ---- */

/* The lease key, and request_hash = SHA-1 of "{identity}\0{request_id}". */
static struct mp_lease *lease_new(struct emu *e, const char *email, const char *request_id)
{
	struct mp_lease *l = emu_xcalloc(1, sizeof(*l));
	size_t a, b;
	char *buf;

	l->identity = emu_xasprintf("user:%s", email);
	l->request_id = emu_xstrdup(request_id);
	l->key = emu_xasprintf("%s\n%s", l->identity, request_id);
	a = strlen(l->identity);
	b = strlen(request_id);
	buf = emu_xmalloc(a + 1 + b);
	memcpy(buf, l->identity, a + 1);
	memcpy(buf + a + 1, request_id, b);
	sha1_hex(buf, a + 1 + b, l->hash);
	free(buf);
	l->seq = emu_next_seq(e);
	emu_map_put(&e->mp->leases, l->key, l);
	emu_olist_add(&e->mp->lease_order, l->seq, l);
	return l;
}

static cJSON *lease_reply(const struct mp_lease *l)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "client_request_id", l->request_id);
	cJSON_AddStringToObject(o, "request_hash", l->hash);
	cJSON_AddStringToObject(o, "state",
				l->state == LEASE_FULFILLED ? "FULFILLED" : "UNTRIAGED");
	if (l->hostname)
		cJSON_AddStringToObject(o, "hostname", l->hostname);
	if (l->state == LEASE_FULFILLED)
		cJSON_AddItemToObject(o, "lease_expiration_ts", emu_json_int64(l->expiry));
	return o;
}

static cJSON *lease_error(const char *request_id, const char *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "client_request_id", request_id);
	cJSON_AddStringToObject(o, "error", err);
	return o;
}

static bool valid_topic(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && n <= 255 &&
	       ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+%") ==
		       n;
}

static cJSON *lease_one(struct emu *e, const char *email, const cJSON *req, struct emu_reply *rep)
{
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(req, "request_id");
	const cJSON *jd = cJSON_GetObjectItemCaseSensitive(req, "duration");
	const cJSON *jx = cJSON_GetObjectItemCaseSensitive(req, "lease_expiration_ts");
	const cJSON *jt = cJSON_GetObjectItemCaseSensitive(req, "pubsub_topic");
	const cJSON *jp = cJSON_GetObjectItemCaseSensitive(req, "pubsub_project");
	const char *topic = cJSON_GetStringValue(jt), *project = cJSON_GetStringValue(jp);
	int64_t duration = 0, exp_ts = 0, now = emu_now(e) / 1000;
	bool has_exp = jx && !cJSON_IsNull(jx);
	cJSON *dims = NULL, *canon, *res = NULL;
	struct mp_lease *l;
	char *key, *flat, checksum[41];

	if (!cJSON_IsString(rid)) {
		bad_request(rep, "request_id is required");
		return NULL;
	}
	if ((jd && !cJSON_IsNull(jd) && !emu_json_get_int(jd, &duration)) ||
	    (has_exp && !emu_json_get_int(jx, &exp_ts)) || (jt && !cJSON_IsNull(jt) && !topic) ||
	    (jp && !cJSON_IsNull(jp) && !project)) {
		bad_request(rep, "lease request");
		return NULL;
	}
	if (!cJSON_GetObjectItemCaseSensitive(req, "dimensions")) {
		bad_request(rep, "dimensions is required");
		return NULL;
	}
	if (norm_dims(cJSON_GetObjectItemCaseSensitive(req, "dimensions"), &dims, rep) < 0)
		return NULL;

	/* Validation order of docs/design/machine-provider.md. */
	if (duration) {
		if (has_exp)
			res = lease_error(rid->valuestring, "MUTUAL_EXCLUSION_ERROR");
		else if (duration < 1)
			res = lease_error(rid->valuestring, "NONPOSITIVE_DEADLINE");
		else if (duration > MP_MAX_LEASE_S)
			res = lease_error(rid->valuestring, "LEASE_TOO_LONG");
	} else if (has_exp) {
		if (exp_ts <= now)
			res = lease_error(rid->valuestring, "LEASE_EXPIRATION_TS_ERROR");
		else if (exp_ts > now + MP_MAX_LEASE_S)
			res = lease_error(rid->valuestring, "LEASE_TOO_LONG");
	} else {
		res = lease_error(rid->valuestring, "LEASE_LENGTH_UNSPECIFIED");
	}
	if (!res && topic && !valid_topic(topic))
		res = lease_error(rid->valuestring, "INVALID_TOPIC");
	if (!res && project && !emu_valid_name(project, 30))
		res = lease_error(rid->valuestring, "INVALID_PROJECT");
	if (!res && project && !topic)
		res = lease_error(rid->valuestring, "UNSPECIFIED_TOPIC");
	if (res)
		goto out;

	canon = cJSON_CreateObject();
	cJSON_AddStringToObject(canon, "request_id", rid->valuestring);
	cJSON_AddItemToObject(canon, "dimensions", cJSON_Duplicate(dims, 1));
	cJSON_AddItemToObject(canon, "duration", emu_json_int64(duration));
	cJSON_AddItemToObject(canon, "lease_expiration_ts", emu_json_int64(exp_ts));
	cJSON_AddStringToObject(canon, "pubsub_topic", topic ? topic : "");
	cJSON_AddStringToObject(canon, "pubsub_project", project ? project : "");
	flat = cJSON_PrintUnformatted(canon);
	sha1_hex(flat, strlen(flat), checksum);
	free(flat);
	cJSON_Delete(canon);

	key = emu_xasprintf("user:%s\n%s", email, rid->valuestring);
	l = emu_map_get(&e->mp->leases, key);
	if (l) {
		free(key);
		res = strcmp(l->checksum, checksum) == 0 ?
			      lease_reply(l) :
			      lease_error(rid->valuestring, "REQUEST_ID_REUSE");
		goto out;
	}
	free(key);
	l = lease_new(e, email, rid->valuestring);
	memcpy(l->checksum, checksum, sizeof(checksum));
	l->dims = dims;
	dims = NULL;
	l->duration = duration;
	l->expiration_ts = exp_ts;
	res = lease_reply(l);
out:
	cJSON_Delete(dims);
	return res;
}

static cJSON *release_one(struct emu *e, const char *email, const cJSON *req, struct emu_reply *rep)
{
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(req, "request_id");
	struct mp_lease *l;
	cJSON *o;
	char *key;

	if (!cJSON_IsString(rid)) {
		bad_request(rep, "request_id is required");
		return NULL;
	}
	key = emu_xasprintf("user:%s\n%s", email, rid->valuestring);
	l = emu_map_get(&e->mp->leases, key);
	free(key);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "client_request_id", rid->valuestring);
	if (!l) {
		cJSON_AddStringToObject(o, "error", "NOT_FOUND");
		return o;
	}
	cJSON_AddStringToObject(o, "request_hash", l->hash);
	if (l->state != LEASE_FULFILLED)
		cJSON_AddStringToObject(o, "error", "NOT_FULFILLED");
	else if (!l->machine)
		cJSON_AddStringToObject(o, "error", "ALREADY_RECLAIMED");
	else
		l->released = true;
	return o;
}

/* ---- crons (docs/design/machine-provider.md) ---- */

static bool dims_match(const cJSON *want, const cJSON *have)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, want) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);

		if (!h || !cJSON_Compare(w, h, 1))
			return false;
	}
	return true;
}

static void fulfil(struct emu *e, struct mp_lease *l, struct mp_machine *m, int64_t now)
{
	l->state = LEASE_FULFILLED;
	l->expiry = l->expiration_ts ? l->expiration_ts : now + l->duration;
	free(l->hostname);
	l->hostname = emu_xstrdup(dstr(m->dims, "hostname"));
	l->machine = m;
	m->lease = l;
	m->expiry = l->expiry;
}

static void reclaim(struct emu *e, struct mp_machine *m)
{
	if (m->lease) {
		free(m->lease->hostname);
		m->lease->hostname = NULL;
		m->lease->machine = NULL;
	}
	machine_remove(e, m);
}

void emu_mp_cron(struct emu *e)
{
	struct emu_mp *mp = e->mp;
	int64_t now = emu_now(e) / 1000;
	size_t i, j;

	/* process-lease-requests */
	for (i = 0; i < mp->lease_order.len; i++) {
		struct mp_lease *l = mp->lease_order.v[i].p;

		if (!l || l->state != LEASE_UNTRIAGED)
			continue;
		for (j = 0; j < mp->catalog.len; j++) {
			struct mp_machine *m = mp->catalog.v[j].p;

			if (m && !m->lease && dims_match(l->dims, m->dims)) {
				fulfil(e, l, m, now);
				break;
			}
		}
	}
	/* process-machine-reclamations */
	for (j = 0; j < mp->catalog.len; j++) {
		struct mp_machine *m = mp->catalog.v[j].p;

		if (m && m->lease && m->expiry < now)
			reclaim(e, m);
	}
	/* process-lease-releases */
	for (i = 0; i < mp->lease_order.len; i++) {
		struct mp_lease *l = mp->lease_order.v[i].p;

		if (!l || !l->released)
			continue;
		l->released = false;
		l->expiry = now;
		if (l->machine)
			l->machine->expiry = now;
	}
}

static void cron_fire(struct emu *e, struct emu_timer *t)
{
	emu_mp_cron(e);
	emu_timer_set(e, t, t->due + e->k.mp_cron_ms);
}

/* ---- HTTP ---- */

static bool forbidden(unsigned acl, unsigned need, struct emu_reply *rep)
{
	if (acl & need)
		return false;
	emu_reply_error(rep, 403, "forbidden", "User is not authorized to call this method.");
	return true;
}

enum mp_op { MP_ADD, MP_GET, MP_DELETE, MP_LEASE, MP_RELEASE };

/* The methods of the two APIs: "catalog", and the lease API (any other name). */
static const struct mp_method {
	const char *name;
	bool catalog;
	enum mp_op op;
	bool batched; /* {"requests": [...]} in, {"responses": [...]} out */
} mp_methods[] = {
	{ "add_machine", true, MP_ADD, false },  { "add_machines", true, MP_ADD, true },
	{ "get", true, MP_GET, false },          { "delete_machine", true, MP_DELETE, false },
	{ "lease", false, MP_LEASE, false },     { "batched_lease", false, MP_LEASE, true },
	{ "release", false, MP_RELEASE, false }, { "batched_release", false, MP_RELEASE, true },
};

static const struct mp_method *find_method(bool catalog, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(mp_methods) / sizeof(mp_methods[0]); i++)
		if (mp_methods[i].catalog == catalog && strcmp(mp_methods[i].name, name) == 0)
			return &mp_methods[i];
	return NULL;
}

/* One request's answer; NULL when it is replied to already (an error, or get and delete). */
static cJSON *call_one(struct emu *e, const struct emu_req *req, unsigned acl, enum mp_op op,
		       const cJSON *in, struct emu_reply *rep)
{
	switch (op) {
	case MP_ADD:
		return machine_add(e, acl, in, rep);
	case MP_GET:
		catalog_get(e, acl, in, rep);
		return NULL;
	case MP_DELETE:
		catalog_delete(e, acl, in, rep);
		return NULL;
	case MP_LEASE:
		return lease_one(e, req->email, in, rep);
	case MP_RELEASE:
		return release_one(e, req->email, in, rep);
	}
	return NULL;
}

/* A batched call: one response per request, or NULL (the error replied) at the first that fails. */
static cJSON *call_batch(struct emu *e, const struct emu_req *req, unsigned acl, enum mp_op op,
			 const cJSON *body, struct emu_reply *rep)
{
	cJSON *res = cJSON_CreateObject();
	cJSON *x = cJSON_AddArrayToObject(res, "responses");
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(body, "requests")) {
		cJSON *one = call_one(e, req, acl, op, it, rep);

		if (!one) {
			cJSON_Delete(res);
			return NULL;
		}
		cJSON_AddItemToArray(x, one);
	}
	return res;
}

void emu_mp_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	static const char *const scopes[] = { EMU_SCOPE_EMAIL, NULL };
	const char *api = req->nsegs == 5 ? req->segs[2] : "";
	const char *method = req->nsegs == 5 ? req->segs[4] : "";
	bool catalog = strcmp(api, "catalog") == 0;
	const struct mp_method *m = find_method(catalog, method);
	cJSON *body = NULL, *res;
	unsigned acl;

	if (!emu_req_is(req, "POST") || !m) {
		/* Endpoints answer unknown methods with a JSON 404 (never retried). */
		emu_reply_error(rep, 404, "notFound", "No such method.");
		return;
	}
	if (!emu_req_header(req, "Authorization") && !e->no_auth) {
		emu_reply_error(rep, 403, "forbidden", "Anonymous callers are not authorized.");
		return;
	}
	if (emu_auth_check(e, req, scopes, rep) < 0)
		return;
	if (emu_req_json(req, &body, rep) < 0)
		return;
	if (body && !cJSON_IsObject(body)) {
		bad_request(rep, "body must be an object");
		goto out;
	}
	acl = acl_of(e, req->email);
	if (forbidden(acl, catalog ? ACL_BACKEND | ACL_ADMIN : ACL_USER, rep))
		goto out;
	res = m->batched ? call_batch(e, req, acl, m->op, body, rep) :
			   call_one(e, req, acl, m->op, body, rep);
	if (res)
		emu_reply_json(rep, 200, res);
out:
	cJSON_Delete(body);
}

/* ---- control ---- */

static struct mp_machine *machine_by_host(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const char *host = dstr(in, "hostname"), *backend = dstr(in, "backend");
	struct mp_machine *m = NULL;
	char *key;

	if (host) {
		key = emu_xasprintf("%s/%s", backend ? backend : "GCE", host);
		m = emu_map_get(&e->mp->machines, key);
		free(key);
	}
	if (!m)
		emu_reply_error(rep, 404, "notFound", "no catalog entry for '%s'",
				host ? host : "(no hostname)");
	return m;
}

/*
 * verbs: "acl" {email, groups[]}, "lease" {hostname, backend?, seconds?, lessee?},
 * "release" {hostname}, "expire" {hostname}, "tick" {}.
 */
int emu_mp_control(struct emu *e, const char *verb, const cJSON *in, struct emu_reply *rep)
{
	struct mp_machine *m;
	int64_t secs = 3600, now = emu_now(e) / 1000;

	if (strcmp(verb, "tick") == 0) {
		emu_mp_cron(e);
		return 0;
	}
	if (strcmp(verb, "acl") == 0) {
		const char *email = dstr(in, "email");
		const cJSON *g;
		struct mp_acl *a;

		if (!email) {
			emu_reply_error(rep, 400, "required", "need 'email'");
			return -1;
		}
		a = emu_map_get(&e->mp->acl, email);
		if (!a) {
			a = emu_xcalloc(1, sizeof(*a));
			a->email = emu_xstrdup(email);
			emu_map_put(&e->mp->acl, a->email, a);
		}
		a->flags = 0;
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(in, "groups")) {
			if (!cJSON_IsString(g))
				continue;
			if (strcmp(g->valuestring, "backend") == 0)
				a->flags |= ACL_BACKEND;
			else if (strcmp(g->valuestring, "user") == 0)
				a->flags |= ACL_USER;
			else if (strcmp(g->valuestring, "admin") == 0)
				a->flags |= ACL_ADMIN;
		}
		return 0;
	}
	m = machine_by_host(e, in, rep);
	if (!m)
		return -1;
	if (strcmp(verb, "lease") == 0) {
		const char *lessee = dstr(in, "lessee");
		struct mp_lease *l;
		char rid[32];

		if (m->lease) {
			emu_reply_error(rep, 409, "alreadyExists", "'%s' is already leased",
					m->key);
			return -1;
		}
		(void)emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "seconds"), &secs);
		(void)snprintf(rid, sizeof(rid), "emulator-%" PRIu64, emu_next_seq(e));
		l = lease_new(e, lessee ? lessee : "control@emulator", rid);
		l->dims = cJSON_CreateObject();
		l->duration = secs;
		fulfil(e, l, m, now);
		return 0;
	}
	if (strcmp(verb, "release") == 0 || strcmp(verb, "expire") == 0) {
		if (!m->lease) {
			emu_reply_error(rep, 400, "invalid", "'%s' is not leased", m->key);
			return -1;
		}
		if (strcmp(verb, "release") == 0) {
			m->lease->released = true;
			return 0;
		}
		m->expiry = now - 1;
		m->lease->expiry = now - 1;
		emu_mp_cron(e);
		return 0;
	}
	emu_reply_error(rep, 404, "notFound", "unknown Machine Provider control '%s'", verb);
	return -1;
}

cJSON *emu_mp_dump(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *cat = cJSON_AddArrayToObject(o, "catalog");
	cJSON *ls = cJSON_AddArrayToObject(o, "leases");
	size_t i;

	for (i = 0; i < e->mp->catalog.len; i++) {
		const struct mp_machine *m = e->mp->catalog.v[i].p;
		cJSON *j;

		if (!m)
			continue;
		j = cJSON_CreateObject();
		cJSON_AddItemToObject(j, "dimensions", cJSON_Duplicate(m->dims, 1));
		cJSON_AddItemToObject(j, "policies", cJSON_Duplicate(m->policies, 1));
		cJSON_AddStringToObject(j, "state", m->lease ? "LEASED" : "AVAILABLE");
		if (m->lease)
			cJSON_AddItemToObject(j, "lease_expiration_ts", emu_json_int64(m->expiry));
		cJSON_AddItemToArray(cat, j);
	}
	for (i = 0; i < e->mp->lease_order.len; i++) {
		const struct mp_lease *l = e->mp->lease_order.v[i].p;
		cJSON *j;

		if (!l)
			continue;
		j = lease_reply(l);
		cJSON_AddStringToObject(j, "identity", l->identity);
		cJSON_AddBoolToObject(j, "released", l->released);
		cJSON_AddItemToArray(ls, j);
	}
	return o;
}

void emu_mp_free(struct emu *e)
{
	struct emu_mp *mp = e->mp;
	size_t i;

	if (!mp)
		return;
	for (i = 0; i < mp->catalog.len; i++) {
		struct mp_machine *m = mp->catalog.v[i].p;

		if (m) {
			cJSON_Delete(m->dims);
			cJSON_Delete(m->policies);
			free(m->key);
			free(m);
		}
	}
	for (i = 0; i < mp->lease_order.len; i++) {
		struct mp_lease *l = mp->lease_order.v[i].p;

		if (l) {
			free(l->key);
			free(l->identity);
			free(l->request_id);
			free(l->hostname);
			cJSON_Delete(l->dims);
			free(l);
		}
	}
	for (i = 0; i < mp->acl.cap; i++) {
		struct mp_acl *a = mp->acl.slots[i].val;

		if (mp->acl.slots[i].key) {
			free(a->email);
			free(a);
		}
	}
	emu_map_release(&mp->machines);
	emu_map_release(&mp->leases);
	emu_map_release(&mp->acl);
	emu_olist_release(&mp->catalog);
	emu_olist_release(&mp->lease_order);
	free(mp);
	e->mp = NULL;
}
