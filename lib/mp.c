/* SPDX-License-Identifier: Apache-2.0 */
/* mp.c - Machine Provider catalog builders and mappers (docs/design/machine-provider.md) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "mp.h"
#include "names.h"

/* ---- machine types (docs/design/machine-provider.md) ---- */

static const struct machine_type {
	const char *name;
	int64_t cpus;
	double memory_gb;
} machine_types[] = {
	{ "f1-micro", 1, 0.6 },        { "g1-small", 1, 1.7 },        { "n1-standard-1", 1, 3.75 },
	{ "n1-standard-2", 2, 7.5 },   { "n1-standard-4", 4, 15 },    { "n1-standard-8", 8, 30 },
	{ "n1-standard-16", 16, 60 },  { "n1-standard-32", 32, 120 }, { "n1-highcpu-2", 2, 1.8 },
	{ "n1-highcpu-4", 4, 3.6 },    { "n1-highcpu-8", 8, 7.2 },    { "n1-highcpu-16", 16, 12.4 },
	{ "n1-highcpu-32", 32, 28.8 }, { "n1-highmem-2", 2, 13 },     { "n1-highmem-4", 4, 26 },
	{ "n1-highmem-8", 8, 52 },     { "n1-highmem-16", 16, 104 },  { "n1-highmem-32", 32, 208 },
};

/* A decimal of 1 to 7 digits, no sign or leading zero, ending at @end; advances *@p. */
static bool take_count(const char **p, char end, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	size_t n = 0;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9' && n < 7; s++, n++)
		v = v * 10 + (*s - '0');
	if (*s != end)
		return false;
	*p = end ? s + 1 : s;
	*out = v;
	return true;
}

bool gceb_mp_machine_type(const char *type, int64_t *num_cpus, double *memory_gb)
{
	static const char custom[] = "custom-";
	const char *p;
	int64_t cpus, mib;
	size_t i;

	if (!type)
		return false;
	for (i = 0; i < sizeof(machine_types) / sizeof(machine_types[0]); i++)
		if (!strcmp(type, machine_types[i].name)) {
			*num_cpus = machine_types[i].cpus;
			*memory_gb = machine_types[i].memory_gb;
			return true;
		}
	if (strncmp(type, custom, sizeof(custom) - 1) != 0)
		return false;
	p = type + sizeof(custom) - 1;
	if (!take_count(&p, '-', &cpus) || !take_count(&p, '\0', &mib))
		return false;
	*num_cpus = cpus;
	*memory_gb = (double)mib / 1024.0;
	return true;
}

/* ---- request builders ---- */

static int check_hostname(const char *hostname, struct gceb_err *err)
{
	if (!hostname || !gceb_name_is_rfc1035(hostname))
		return gceb_err_set(err, GCEB_EPARSE, "hostname '%s' is not a valid GCE name",
				    hostname ? hostname : "");
	return 0;
}

/* POST {mp}/_ah/api/catalog/v1/{method} with @body (consumed). */
static int finish(const char *mp, const char *method, cJSON *body, bool oom,
		  struct gceb_http_request **out, struct gceb_err *err)
{
	struct gceb_buf url = GCEB_BUF_INIT;
	struct gceb_http_request *req = NULL;
	size_t n = strlen(mp);
	char *text = NULL;
	int r = 0;

	while (n > 0 && mp[n - 1] == '/')
		n--;
	gceb_buf_addf(&url, "%.*s/_ah/api/catalog/v1/%s", (int)n, mp, method);
	if (!oom && body)
		text = cJSON_PrintUnformatted(body);
	if (url.oom || !text) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	req = gceb_http_request_new("POST", GCEB_API_MP, url.p, text);
	if (!req) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	req->timeout_ms = GCEB_SHORT_TIMEOUT_MS;
	*out = req;
out:
	cJSON_free(text);
	cJSON_Delete(body);
	gceb_buf_release(&url);
	return r;
}

static int add_enum(bool *oom, cJSON *dims, const char *key, const ProtobufCEnumDescriptor *desc,
		    int value, struct gceb_err *err)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);

	if (!v)
		return gceb_err_set(err, GCEB_EPARSE, "dimension %s has the unknown value %d", key,
				    value);
	gceb_json_add_string(oom, dims, key, v->name);
	return 0;
}

/* Dimensions in key order, as the reference's sorted JSON has them
 * (docs/design/machine-provider.md). */
static int add_dimensions(bool *oom, cJSON *body, const char *hostname,
			  const Gceb__State__Revision *r, struct gceb_err *err)
{
	static const Gceb__State__Dimensions none = GCEB__STATE__DIMENSIONS__INIT;
	const Gceb__State__Dimensions *d = r->dimensions ? r->dimensions : &none;
	cJSON *dims = gceb_json_add(oom, body, "dimensions", cJSON_CreateObject());
	bool has_cpus = d->has_num_cpus, has_memory = d->has_memory_gb;
	int64_t cpus = d->num_cpus;
	double memory = d->memory_gb;
	int rc;

	/* An unknown machine type is cataloged without cpus and memory (docs/design/departures.md).
	 */
	if (r->machine_type && *r->machine_type &&
	    gceb_mp_machine_type(r->machine_type, &cpus, &memory))
		has_cpus = has_memory = true;
	gceb_json_add_string(oom, dims, "backend", "GCE");
	if (r->disk_size_gb != 0)
		gceb_json_add(oom, dims, "disk_gb", cJSON_CreateNumber(r->disk_size_gb));
	else if (d->has_disk_gb)
		gceb_json_add(oom, dims, "disk_gb", cJSON_CreateNumber((double)d->disk_gb));
	gceb_json_add_string(oom, dims, "hostname", hostname);
	if (d->has_linux_flavor &&
	    (rc = add_enum(oom, dims, "linux_flavor",
			   &gceb__state__dimensions__linux_flavor__descriptor, d->linux_flavor,
			   err)) < 0)
		return rc;
	if (has_memory)
		gceb_json_add(oom, dims, "memory_gb", cJSON_CreateNumber(memory));
	if (has_cpus)
		gceb_json_add(oom, dims, "num_cpus", cJSON_CreateNumber((double)cpus));
	if (d->has_os_family &&
	    (rc = add_enum(oom, dims, "os_family", &gceb__state__dimensions__osfamily__descriptor,
			   d->os_family, err)) < 0)
		return rc;
	if (d->os_version)
		gceb_json_add_string(oom, dims, "os_version", d->os_version);
	return 0;
}

int gceb_mp_add_machine(const char *mp, const char *hostname, const char *instance_key,
			const Gceb__State__Revision *r, struct gceb_http_request **out,
			struct gceb_err *err)
{
	cJSON *body = NULL, *policies, *attrs;
	bool oom = false;
	int rc;

	if ((rc = check_hostname(hostname, err)) < 0)
		return rc;
	if (r->n_service_accounts == 0 || !r->service_accounts[0]->name ||
	    !*r->service_accounts[0]->name)
		return gceb_err_set(err, GCEB_EPARSE, "'%s': the revision has no service account",
				    hostname);
	if (!instance_key || !*instance_key)
		return gceb_err_set(err, GCEB_EPARSE, "'%s': no instance key", hostname);
	body = cJSON_CreateObject();
	if ((rc = add_dimensions(&oom, body, hostname, r, err)) < 0) {
		cJSON_Delete(body);
		return rc;
	}
	policies = gceb_json_add(&oom, body, "policies", cJSON_CreateObject());
	/* One object, not a list: Machine Provider takes it as a one-element list
	 * (docs/design/machine-provider.md). */
	attrs = gceb_json_add(&oom, policies, "backend_attributes", cJSON_CreateObject());
	gceb_json_add_string(&oom, attrs, "key", "key");
	gceb_json_add_string(&oom, attrs, "value", instance_key);
	gceb_json_add_string(&oom, policies, "machine_service_account",
			     r->service_accounts[0]->name);
	gceb_json_add_string(&oom, policies, "on_reclamation", "DELETE");
	return finish(mp, "add_machine", body, oom, out, err);
}

int gceb_mp_get(const char *mp, const char *hostname, struct gceb_http_request **out,
		struct gceb_err *err)
{
	bool oom = false;
	cJSON *body;
	int rc;

	if ((rc = check_hostname(hostname, err)) < 0)
		return rc;
	body = cJSON_CreateObject();
	gceb_json_add_string(&oom, body, "hostname", hostname);
	return finish(mp, "get", body, oom, out, err);
}

int gceb_mp_delete_machine(const char *mp, const char *hostname, struct gceb_http_request **out,
			   struct gceb_err *err)
{
	bool oom = false;
	cJSON *body, *dims;
	int rc;

	if ((rc = check_hostname(hostname, err)) < 0)
		return rc;
	body = cJSON_CreateObject();
	dims = gceb_json_add(&oom, body, "dimensions", cJSON_CreateObject());
	gceb_json_add_string(&oom, dims, "hostname", hostname);
	return finish(mp, "delete_machine", body, oom, out, err);
}

/* ---- response mappers ---- */

/* Enum numbers of CatalogManipulationRequestError (docs/design/machine-provider.md). */
static const char *const catalog_errors[] = {
	NULL,
	"HOSTNAME_REUSE",
	"ENTRY_NOT_FOUND",
	"UNSPECIFIED_BACKEND",
	"MISMATCHED_BACKEND",
	"UNSPECIFIED_HOSTNAME",
	"INVALID_TOPIC",
	"INVALID_PROJECT",
	"UNSPECIFIED_TOPIC",
	"LEASED",
};

int gceb_mp_parse_manipulation(const char *body, size_t len, char **error, struct gceb_err *err)
{
	static const char what[] = "catalog answer";
	const cJSON *v;
	cJSON *json = NULL;
	char number[32];
	const char *name = NULL;
	char *copy = NULL;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	v = gceb_json_member(json, "error");
	if (cJSON_IsString(v)) {
		name = v->valuestring;
	} else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
		   fabs(v->valuedouble) < 1e15) {
		long long n = (long long)v->valuedouble;

		if (n >= 0 && n < (long long)(sizeof(catalog_errors) / sizeof(catalog_errors[0]))) {
			name = catalog_errors[n];
		} else {
			(void)snprintf(number, sizeof(number), "%lld", n);
			name = number;
		}
	} else if (v) {
		r = gceb_err_set(err, GCEB_EPARSE, "%s: field 'error' is not an enum name", what);
		goto out;
	}
	if (name && *name && !(copy = strdup(name))) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	*error = copy;
out:
	cJSON_Delete(json);
	return r;
}

/* lease_expiration_ts: an int64 >= 0 (number or decimal string); absent, null or "" is none. */
static int get_ts(const char *what, const cJSON *o, struct gceb_mp_machine *m, struct gceb_err *err)
{
	static const char field[] = "lease_expiration_ts";
	const cJSON *v = gceb_json_member(o, field);

	m->has_lease_expiration_ts = false;
	if (cJSON_IsString(v) && !*v->valuestring)
		return 0;
	if (gceb_json_int64(what, o, field, &m->has_lease_expiration_ts, &m->lease_expiration_ts,
			    NULL) < 0 ||
	    (m->has_lease_expiration_ts && m->lease_expiration_ts < 0))
		return gceb_err_set(err, GCEB_EPARSE, "%s: field '%s' is not a number of seconds",
				    what, field);
	return 0;
}

int gceb_mp_parse_get(const char *body, size_t len, struct gceb_mp_machine *out,
		      struct gceb_err *err)
{
	static const char what[] = "catalog entry";
	struct gceb_mp_machine m = { 0 };
	cJSON *json = NULL;
	bool present;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	if ((r = get_ts(what, json, &m, err)) < 0)
		goto out;
	/* Falsy in the reference: 0 is no lease. */
	if (m.has_lease_expiration_ts && m.lease_expiration_ts == 0)
		m.has_lease_expiration_ts = false;
	if ((r = gceb_json_bool(what, json, "leased_indefinitely", &present, &m.leased_indefinitely,
				err)) < 0)
		goto out;
	*out = m;
out:
	cJSON_Delete(json);
	return r;
}
