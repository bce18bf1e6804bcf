/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mp.h - Machine Provider catalog API: request builders and response mappers
 * (docs/design/machine-provider.md). Pure functions: no network, no store.
 *
 * @mp is the Machine Provider root (settings mp_server, e.g.
 * "https://machine-provider.appspot.com"); calls go to
 * {mp}/_ah/api/catalog/v1/{add_machine,get,delete_machine}, all POST with a
 * compact JSON body. A hostname must be an RFC 1035 name, else GCEB_EPARSE
 * and no request. Builders return 0 and set *@out to a new request (owned),
 * or a negative code leaving *@out alone.
 *
 * Mappers take a 200 answer's body (@body of @len bytes, need not be
 * NUL-terminated). Unknown fields are ignored; a body that is not a JSON
 * object (an HTML page, a truncated text) or a known field of the wrong
 * type gives GCEB_EPARSE naming the field. *@out is written only on success.
 *
 * Internal to lib/.
 */
#ifndef GCEB_MP_H
#define GCEB_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gceb/err.h"
#include "http.h"
#include "state.pb-c.h"

/*
 * The CPUs and memory of a GCE machine type: the 18 types of docs/design/machine-provider.md,
 * and "custom-<cpus>-<MiB>" (memory_gb = MiB / 1024, docs/design/departures.md).
 * Returns false for any other type.
 */
bool gceb_mp_machine_type(const char *type, int64_t *num_cpus, double *memory_gb);

/*
 * add_machine for instance @hostname of Revision @r (docs/design/machine-provider.md):
 * dimensions = r's typed dimensions, then backend "GCE", disk_gb
 * (if r.disk_size_gb is not 0), num_cpus and memory_gb of r.machine_type
 * (left out for an unknown type), hostname; policies = backend_attributes
 * {"key": "key", "value": @instance_key}, machine_service_account = the
 * first service account, on_reclamation "DELETE". Enums go as names,
 * numbers as JSON numbers. GCEB_EPARSE if @r has no service account.
 */
int gceb_mp_add_machine(const char *mp, const char *hostname, const char *instance_key,
			const Gceb__State__Revision *r, struct gceb_http_request **out,
			struct gceb_err *err);

/* get: {"hostname": @hostname}; Machine Provider infers the backend from the caller. */
int gceb_mp_get(const char *mp, const char *hostname, struct gceb_http_request **out,
		struct gceb_err *err);

/* delete_machine: {"dimensions": {"hostname": @hostname}}. */
int gceb_mp_delete_machine(const char *mp, const char *hostname, struct gceb_http_request **out,
			   struct gceb_err *err);

/*
 * A catalog manipulation answer (add_machine, delete_machine): *@error is
 * the "error" enum name (owned; free()), e.g. "HOSTNAME_REUSE",
 * "ENTRY_NOT_FOUND", "LEASED", kept as sent when unknown (a number is named
 * by docs/design/machine-provider.md, or kept as its decimal text), or NULL for none.
 */
int gceb_mp_parse_manipulation(const char *body, size_t len, char **error, struct gceb_err *err);

/* The fields of a get answer gceb uses (docs/design/catalog.md with docs/design/departures.md). */
struct gceb_mp_machine {
	/* lease_expiration_ts present and not 0 (a JSON number or decimal string). */
	bool has_lease_expiration_ts;
	int64_t lease_expiration_ts; /* seconds since the epoch, UTC */
	bool leased_indefinitely;    /* false if absent */
};

int gceb_mp_parse_get(const char *body, size_t len, struct gceb_mp_machine *out,
		      struct gceb_err *err);

#endif
