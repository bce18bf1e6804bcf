/* SPDX-License-Identifier: Apache-2.0 */
/* names.c - GCE name rules */
#include <string.h>

#include "names.h"
#include "url.h"

bool gceb_name_is_rfc1035(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > GCEB_GCE_NAME_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool gceb_name_is_project(const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *p;

	if (!colon)
		return gceb_name_is_rfc1035(s);
	if (colon == s)
		return false;
	for (p = s; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return false;
	return gceb_name_is_rfc1035(colon + 1);
}

/* "global/networks/N", N an RFC 1035 name. */
static bool is_global_network(const char *s)
{
	static const char prefix[] = "global/networks/";

	return !strncmp(s, prefix, sizeof(prefix) - 1) &&
	       gceb_name_is_rfc1035(s + sizeof(prefix) - 1);
}

/* "projects/P/global/networks/N" or "global/networks/N", as Compute takes them. */
static bool is_partial_network(const char *s)
{
	static const char prefix[] = "projects/";
	char project[GCEB_GCE_NAME_MAX * 4 + 1];
	const char *slash;
	size_t n;

	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return is_global_network(s);
	s += sizeof(prefix) - 1;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : 0;
	if (n == 0 || n >= sizeof(project))
		return false;
	memcpy(project, s, n);
	project[n] = '\0';
	return gceb_name_is_project(project) && is_global_network(slash + 1);
}

bool gceb_name_is_network(const char *s)
{
	struct gceb_url u;

	if (gceb_name_is_rfc1035(s) || is_partial_network(s))
		return true;
	return gceb_url_parse(s, GCEB_EPARSE, &u, NULL) == 0 && !u.plain_http &&
	       u.scheme_len == 5 && !strncmp(u.scheme, "https", 5);
}
