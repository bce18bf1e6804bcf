/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - config loading and validation (config.h) on one input:
 * the whole input as settings.cfg, and split at the first "\n---\n" line
 * into templates.cfg and managers.cfg (no separator: managers.cfg is
 * empty). No crash, no leak, GCEB_ECONFIG with a diagnostic per problem on
 * failure; on success every template has a revision checksum.
 */
#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define SEPARATOR "\n---\n"

static bool is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < GCEB_SHA1_HEX_LEN; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return false;
	return s[i] == '\0';
}

/* The first "\n---\n" in @text, or NULL (memmem() is a GNU extension). */
static const char *separator(const char *text, size_t len)
{
	size_t n = strlen(SEPARATOR), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(text + i, SEPARATOR, n))
			return text + i;
	return NULL;
}

static void settings(const char *text, size_t len)
{
	static Gceb__Config__SettingsCfg untouched; /* what a failure must leave in *out */
	Gceb__Config__SettingsCfg *s = &untouched;
	struct gceb_diags diags = { 0 };
	struct gceb_err e = { 0 };
	size_t i;
	int r;

	r = gceb_settings_parse("settings.cfg", text, len, &s, &diags, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_ECONFIG, GCEB_ECONFIG);
		FUZZ_CHECK(s == &untouched);
		FUZZ_CHECK(r == GCEB_ENOMEM || diags.n > 0);
	} else {
		FUZZ_CHECK(s && diags.n == 0);
		protobuf_c_message_free_unpacked(&s->base, NULL);
	}
	for (i = 0; i < diags.n; i++)
		FUZZ_CHECK(!strncmp(diags.v[i], "settings.cfg:", 13));
	gceb_diags_release(&diags);
}

static void config(const char *text, size_t len)
{
	const char *sep = separator(text, len);
	size_t tlen = sep ? (size_t)(sep - text) : len;
	const char *mtext = sep ? sep + strlen(SEPARATOR) : "";
	size_t mlen = sep ? len - tlen - strlen(SEPARATOR) : 0;
	char checksum[GCEB_SHA1_HEX_LEN + 1], revision[GCEB_SHA1_HEX_LEN + 1];
	struct gceb_config cfg = { 0 };
	struct gceb_diags diags = { 0 };
	struct gceb_err e = { 0 };
	size_t i;
	int r;

	r = gceb_config_parse("templates.cfg", text, tlen, "managers.cfg", mtext, mlen, &cfg,
			      &diags, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_ECONFIG, GCEB_ECONFIG);
		FUZZ_CHECK(!cfg.templates && !cfg.managers);
		FUZZ_CHECK(r == GCEB_ENOMEM || diags.n > 0);
		for (i = 0; i < diags.n; i++)
			FUZZ_CHECK(!strncmp(diags.v[i], "templates.cfg:", 14) ||
				   !strncmp(diags.v[i], "managers.cfg:", 13));
		gceb_diags_release(&diags);
		return;
	}
	FUZZ_CHECK(cfg.templates && cfg.managers && diags.n == 0);
	for (i = 0; i < cfg.templates->n_templates; i++) {
		r = gceb_template_checksum(cfg.templates->templates[i], checksum);
		FUZZ_CHECK(r == 0 || r == GCEB_ENOMEM);
		FUZZ_CHECK(r != 0 || is_hex40(checksum));
	}
	gceb_config_dir_revision(text, tlen, mtext, mlen, revision);
	FUZZ_CHECK(is_hex40(revision));
	gceb_config_release(&cfg);
	gceb_diags_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parsers take a length; a NULL text is not theirs to handle. */
	const char *text = size ? (const char *)data : "";

	settings(text, size);
	config(text, size);
	return 0;
}
