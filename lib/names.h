/* SPDX-License-Identifier: Apache-2.0 */
/*
 * names.h - the GCE name rules shared by config validation and the request
 * builders (docs/design/compute.md, docs/design/config.md).
 */
#ifndef GCEB_NAMES_H
#define GCEB_NAMES_H

#include <stdbool.h>

/* Longest GCE resource name, and the longest base instance name GCE accepts. */
#define GCEB_GCE_NAME_MAX      63
#define GCEB_GCE_BASE_NAME_MAX 58

/*
 * Whether @s is an RFC 1035 label as GCE wants its resource names, zones and
 * machine types: [a-z]([-a-z0-9]*[a-z0-9])?, 1 to GCEB_GCE_NAME_MAX characters.
 */
bool gceb_name_is_rfc1035(const char *s);

/*
 * Whether @s is a project id: an RFC 1035 label, optionally behind a domain
 * prefix of [a-z0-9.-] and a colon ("google.com:my-project").
 */
bool gceb_name_is_project(const char *s);

/*
 * Whether @s may be a template's network_url: a network name (RFC 1035, as
 * above), a partial URL as Compute takes one ("projects/P/global/networks/N"
 * with P a project id, or "global/networks/N"), or an https URL the URL
 * parser takes (url.h).
 */
bool gceb_name_is_network(const char *s);

#endif
