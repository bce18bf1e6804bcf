/* SPDX-License-Identifier: Apache-2.0 */
/* settings.c - settings.cfg under the flags and the environment */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "file.h"
#include "gceb/log.h"
#include "gceb/settings.h"
#include "url.h"

#define CA_WHAT    "ca_file (--ca-file, GCEB_CA_FILE or settings.cfg)"
#define PROXY_WHAT "proxy (GCEB_PROXY or settings.cfg)"

static int take(char **dst, const char *value, struct gceb_err *err)
{
	if (*dst || !value || !*value)
		return 0;
	*dst = strdup(value);
	return *dst ? 0 : gceb_err_set(err, GCEB_ENOMEM, "out of memory");
}

int gceb_settings_load(struct gceb_settings *s, struct gceb_err *err)
{
	Gceb__Config__SettingsCfg *cfg = NULL;
	struct gceb_diags diags = { 0 };
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0, i;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/settings.cfg", s->config_dir) >= sizeof(path))
		return gceb_err_set(err, GCEB_ECONFIG, "config directory path too long");
	r = gceb_config_read_file(path, &text, &len, err);
	if (r == GCEB_ENOTFOUND)
		goto defaults; /* settings.cfg is optional; r is set again there */
	if (r < 0)
		goto out;
	r = gceb_settings_parse(path, text, len, &cfg, &diags, err);
	for (i = 0; i < diags.n; i++)
		gceb_error("%s", diags.v[i]);
	if (r < 0)
		goto out;
	if ((r = take(&s->mp_server, cfg->mp_server, err)) < 0 ||
	    (r = take(&s->compute_api_root, cfg->compute_api_root, err)) < 0 ||
	    (r = take(&s->metrics_dir, cfg->metrics_dir, err)) < 0 ||
	    (r = take(&s->luci_config, cfg->luci_config, err)) < 0 ||
	    (r = take(&s->luci_config_set, cfg->luci_config_set, err)) < 0 ||
	    (r = take(&s->log, cfg->log, err)) < 0 ||
	    (r = take(&s->ca_file, cfg->ca_file, err)) < 0 ||
	    (r = take(&s->proxy, cfg->proxy, err)) < 0)
		goto out;
	if (!s->max_concurrency && cfg->has_max_concurrency)
		s->max_concurrency = (unsigned)cfg->max_concurrency;
	if (!s->map_size_mib && cfg->has_store_map_size_mib)
		s->map_size_mib = (unsigned)cfg->store_map_size_mib;
defaults:
	if ((r = take(&s->compute_api_root, GCEB_DEFAULT_COMPUTE_API_ROOT, err)) < 0 ||
	    (r = take(&s->luci_config_set, GCEB_DEFAULT_LUCI_CONFIG_SET, err)) < 0)
		goto out;
	if (!s->max_concurrency)
		s->max_concurrency = GCEB_DEFAULT_MAX_CONCURRENCY;
	if (!s->map_size_mib)
		s->map_size_mib = GCEB_DEFAULT_MAP_SIZE_MIB;
out:
	if (cfg)
		protobuf_c_message_free_unpacked(&cfg->base, NULL);
	gceb_diags_release(&diags);
	free(text);
	return r;
}

/*
 * libcurl would only fail each transfer with "error setting certificate
 * file": a missing or wrong bundle must stop the run before it starts.
 */
static int check_ca_file(const char *path, struct gceb_err *err)
{
	struct gceb_err e = { 0 };
	struct stat st;
	X509 *cert;
	FILE *f;
	int fd, n = 0;

	fd = gceb_file_open(path, CA_WHAT, GCEB_ECONFIG, &st, &e);
	if (fd < 0)
		return gceb_err_set(err, fd == GCEB_ENOMEM ? GCEB_ENOMEM : GCEB_ECONFIG, "%s",
				    e.msg);
	f = fdopen(fd, "r");
	if (!f) {
		(void)close(fd);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	/* PEM_read_X509 skips blocks of other kinds (a key, parameters). */
	while ((cert = PEM_read_X509(f, NULL, NULL, NULL))) {
		X509_free(cert);
		n++;
	}
	ERR_clear_error();
	(void)fclose(f);
	if (!n)
		return gceb_err_set(
			err, GCEB_ECONFIG,
			"%s '%s' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", CA_WHAT,
			path);
	return 0;
}

static int check_proxy(const char *proxy, struct gceb_err *err)
{
	struct gceb_err e = { 0 };
	struct gceb_url u;

	if (gceb_url_parse(proxy, GCEB_ECONFIG, &u, &e) < 0)
		return gceb_err_set(err, GCEB_ECONFIG, "%s: %s", PROXY_WHAT, e.msg);
	if (!(u.scheme_len == 4 && !strncmp(u.scheme, "http", 4)) &&
	    !(u.scheme_len == 5 && !strncmp(u.scheme, "https", 5)))
		return gceb_err_set(err, GCEB_ECONFIG, "%s '%s' must be http:// or https://",
				    PROXY_WHAT, proxy);
	if (*u.rest && strcmp(u.rest, "/") != 0)
		return gceb_err_set(err, GCEB_ECONFIG,
				    "%s '%s' must be a scheme, a host and a port, with no path",
				    PROXY_WHAT, proxy);
	return 0;
}

int gceb_settings_check_transport(const char *ca_file, const char *proxy, struct gceb_err *err)
{
	int r;

	if (ca_file && (r = check_ca_file(ca_file, err)) < 0)
		return r;
	if (proxy && (r = check_proxy(proxy, err)) < 0)
		return r;
	return 0;
}

bool gceb_settings_log_ok(const char *value)
{
	return !strcmp(value, "stderr") || !strcmp(value, "syslog");
}

void gceb_settings_release(struct gceb_settings *s)
{
	free(s->state_dir);
	free(s->config_dir);
	free(s->mp_server);
	free(s->compute_api_root);
	free(s->metrics_dir);
	free(s->luci_config);
	free(s->luci_config_set);
	free(s->log);
	free(s->ca_file);
	free(s->proxy);
	memset(s, 0, sizeof(*s));
}
