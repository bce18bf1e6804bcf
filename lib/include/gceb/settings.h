/* SPDX-License-Identifier: Apache-2.0 */
/* settings.h - resolved run-time settings: flags, then GCEB_* env, then settings.cfg, then defaults
 */
#ifndef GCEB_SETTINGS_H
#define GCEB_SETTINGS_H

#include <stdbool.h>

#include "gceb/err.h"

#define GCEB_DEFAULT_STATE_DIR        "/var/lib/gceb"
#define GCEB_DEFAULT_CONFIG_DIR       "/etc/gceb"
#define GCEB_DEFAULT_MP_SERVER        "https://machine-provider.appspot.com"
#define GCEB_DEFAULT_COMPUTE_API_ROOT "https://compute.googleapis.com/"
#define GCEB_DEFAULT_MAX_CONCURRENCY  16
#define GCEB_MAX_CONCURRENCY_LIMIT    1024
#define GCEB_DEFAULT_MAP_SIZE_MIB     1024
#define GCEB_DEFAULT_DEADLINE_S       600
#define GCEB_DEFAULT_LUCI_CONFIG_SET  "services/gceb"

/* Every string is owned by the struct; release with gceb_settings_release(). */
struct gceb_settings {
	char *state_dir;
	char *config_dir;
	char *mp_server; /* NULL: the default */
	char *compute_api_root;
	char *metrics_dir;     /* NULL: no metrics file */
	char *luci_config;     /* LUCI config v1 API root; NULL: read the config directory */
	char *luci_config_set; /* default GCEB_DEFAULT_LUCI_CONFIG_SET */
	char *log;             /* "stderr" or "syslog"; NULL: stderr */
	/* settings.cfg's only: --ca-file, GCEB_CA_FILE and GCEB_PROXY win when a job opens HTTP. */
	char *ca_file; /* PEM bundle for every https peer; NULL: the system's store */
	char *proxy;   /* CONNECT proxy for https requests; NULL: none */
	unsigned max_concurrency;
	unsigned map_size_mib;
};

/*
 * Fill @s from <config_dir>/settings.cfg if it exists (absent means every
 * default). Strings already set in @s (from flags or the environment) win.
 * Returns 0, or GCEB_ECONFIG with every problem printed through the log.
 */
int gceb_settings_load(struct gceb_settings *s, struct gceb_err *err);

/*
 * Check @url against the one URL rule (lib/url.h): https, or http to a
 * loopback host (127.0.0.0/8, [::1], localhost); no user info. Returns 0
 * or GCEB_ECONFIG naming @what.
 */
int gceb_settings_check_url(const char *what, const char *url, struct gceb_err *err);

/*
 * Check, before anything is sent, that @ca_file (when not NULL) is a
 * regular file holding at least one PEM certificate, and that @proxy (when
 * not NULL) is http:// or https:// with a host, an optional port and
 * nothing after them. Returns 0, GCEB_ECONFIG naming the setting, or
 * GCEB_ENOMEM.
 */
int gceb_settings_check_transport(const char *ca_file, const char *proxy, struct gceb_err *err);

/* Whether @value names a log destination: "stderr" or "syslog". */
bool gceb_settings_log_ok(const char *value);

void gceb_settings_release(struct gceb_settings *s);

#endif
