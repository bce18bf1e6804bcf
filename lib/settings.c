/* SPDX-License-Identifier: Apache-2.0 */
/* settings.c - settings.cfg under the flags and the environment */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gceb/log.h"
#include "gceb/settings.h"

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
	    (r = take(&s->log, cfg->log, err)) < 0)
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
	memset(s, 0, sizeof(*s));
}
