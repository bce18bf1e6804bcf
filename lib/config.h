/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - load and validate templates.cfg, managers.cfg and settings.cfg;
 * revision checksums; derived GCE names.
 *
 * Internal to lib/: it names the generated protobuf-c types.
 */
#ifndef GCEB_CONFIG_H
#define GCEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config.pb-c.h"
#include "gceb/err.h"
#include "names.h"
#include "sha1.h"
#include "state.pb-c.h"

/* A config file larger than this is refused before parsing. */
#define GCEB_CONFIG_MAX_BYTES 1048576 /* 1 MiB, written out: no int product to widen */

/* The largest maximum_size a manager may ask for (docs/design/config.md). */
#define GCEB_MAX_GROUP_SIZE 1000

typedef Gceb__Config__InstanceTemplateConfig__InstanceTemplate gceb_template_cfg;
typedef Gceb__Config__InstanceGroupManagerConfig__InstanceGroupManager gceb_manager_cfg;

/* Every problem found, one line each, "file:line:column: what". */
struct gceb_diags {
	char **v;
	size_t n;
};

void gceb_diags_add(struct gceb_diags *d, const char *fmt, ...) GCEB_PRINTF(2, 3);
void gceb_diags_release(struct gceb_diags *d);

/* A parsed, validated pair of templates.cfg and managers.cfg. */
struct gceb_config {
	Gceb__Config__InstanceTemplateConfig *templates;
	Gceb__Config__InstanceGroupManagerConfig *managers;
};

/*
 * Read @path whole into a malloc'd NUL-terminated *@text. Returns
 * GCEB_ENOTFOUND if it does not exist, GCEB_ECONFIG if it is larger than
 * GCEB_CONFIG_MAX_BYTES, GCEB_EIO otherwise.
 */
int gceb_config_read_file(const char *path, char **text, size_t *len, struct gceb_err *err);

/*
 * GCEB_ECONFIG if the templates.cfg or managers.cfg read as @name has 0
 * bytes: a failed redirect or a file cut by a full disk, which would drain
 * every group. An intentionally empty fleet is a file with a comment
 * saying so. Checked where a config is read, not when a stored one is
 * parsed again.
 */
int gceb_config_check_not_empty(const char *name, size_t len, struct gceb_err *err);

/*
 * Parse and validate both files. @tname and @mname are the names used in
 * messages. Every problem goes into @diags; the return is 0, GCEB_ECONFIG
 * ("N problems in the config") or GCEB_ENOMEM. *@out is set only on success.
 */
int gceb_config_parse(const char *tname, const char *ttext, size_t tlen, const char *mname,
		      const char *mtext, size_t mlen, struct gceb_config *out,
		      struct gceb_diags *diags, struct gceb_err *err);
void gceb_config_release(struct gceb_config *cfg);

/*
 * The revision of a config read from a directory: hex SHA-1 over the two
 * files' raw git blob hashes (templates.cfg first), so that a git checkout
 * and a plain copy of the same files agree.
 */
void gceb_config_dir_revision(const char *ttext, size_t tlen, const char *mtext, size_t mlen,
			      char out[GCEB_SHA1_HEX_LEN + 1]);

/* The revision checksum of one template (docs/design/config.md). Returns 0 or GCEB_ENOMEM. */
int gceb_template_checksum(const gceb_template_cfg *t, char out[GCEB_SHA1_HEX_LEN + 1]);

/*
 * Split "key:value" at the first colon. Returns false if there is no colon.
 * *@key_len is the length of the key; *@value points into @s.
 */
bool gceb_split_kv(const char *s, size_t *key_len, const char **value);

/*
 * Apply one "key:value" dimension string to @d (docs/design/config.md): typed
 * keys are parsed, unknown keys dropped, a later value wins. String values
 * point into @s. Returns 0, or GCEB_ECONFIG with "dimension ..." in @err.
 */
int gceb_dimension_parse(const char *s, Gceb__State__Dimensions *d, struct gceb_err *err);

/* Every string of @strs through gceb_dimension_parse(); the first failure ends it. */
int gceb_dimensions_parse(char *const *strs, size_t n, Gceb__State__Dimensions *out,
			  struct gceb_err *err);

/* Parse settings.cfg text, validated; problems go into @diags. */
int gceb_settings_parse(const char *name, const char *text, size_t len,
			Gceb__Config__SettingsCfg **out, struct gceb_diags *diags,
			struct gceb_err *err);

#endif
