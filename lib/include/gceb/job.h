/* SPDX-License-Identifier: Apache-2.0 */
/*
 * job.h - the common main of every gceb binary.
 *
 * Each job file exports a struct gceb_job_spec (gceb/jobs.h), and its
 * binary's main() is gceb_job_main(&spec, argc, argv), which parses options
 * (common ones appended), resolves settings, takes the per-job lock, opens
 * the store, calls spec->run() and maps its result to the exit status. It
 * logs the final error once; success is silent.
 */
#ifndef GCEB_JOB_H
#define GCEB_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"
#include "gceb/log.h"
#include "gceb/opt.h"
#include "gceb/settings.h"

struct gceb_store;
struct gceb_http;
struct gceb_auth;

enum gceb_job_needs {
	GCEB_NEED_STORE = 1 << 0,          /* open the store read-write */
	GCEB_NEED_STORE_READONLY = 1 << 1, /* open an existing store read-only */
	GCEB_NEED_LOCK = 1 << 2,           /* take <state_dir>/locks/<name>.lock */
	GCEB_NEED_HTTP = 1 << 3,           /* an HTTP engine with credentials */
	GCEB_NEED_LUCI = 1 << 4,           /* --luci-config and --config-set (import-config) */
	GCEB_OPTIONS_HTTP = 1 << 5,        /* take the HTTP options without opening anything */
	GCEB_PLAN_WITHOUT_STORE = 1 << 6,  /* -n with no store yet: run() plans with store NULL */
};

struct gceb_job {
	const struct gceb_job_spec *spec;
	struct gceb_settings settings;
	struct gceb_store *store; /* NULL unless spec->needs asks for it */
	struct gceb_http *http;   /* likewise */
	struct gceb_auth *auth;
	const char *mp_server; /* resolved Machine Provider URL (never NULL with HTTP) */
	bool dry_run;
	size_t items; /* what the run worked on, for metrics */
	size_t failed;
	char *metrics_extra; /* more metric lines (malloc'd), written with the job's */
	int argc;            /* operands left after the options */
	char **argv;
	int cmd_argc; /* the whole command line, program name first (gceb-run-all) */
	char **cmd_argv;
	struct gceb_err err;
};

struct gceb_job_spec {
	const char *name;     /* "import-config": binary gceb-import-config */
	const char *summary;  /* one line for --help */
	const char *operands; /* usage of the operands, NULL if none are taken */
	const struct gceb_opt *opts;
	unsigned needs;
	int (*run)(struct gceb_job *job);
};

int gceb_job_main(const struct gceb_job_spec *spec, int argc, char **argv);

/* The most option tables a job takes: common, HTTP, LUCI and its own. */
#define GCEB_JOB_MAX_TABLES 4

/*
 * The option tables @spec takes, in the order --help prints them last
 * first: the common ones, the HTTP ones (GCEB_NEED_HTTP or
 * GCEB_OPTIONS_HTTP), the LUCI ones (GCEB_NEED_LUCI) and spec->opts, into
 * @tables, NULL-terminated. Only the names, letters and types are for the
 * caller: where the values go is gceb_job_main()'s business. Returns how
 * many tables there are.
 */
size_t gceb_job_options(const struct gceb_job_spec *spec,
			const struct gceb_opt *tables[GCEB_JOB_MAX_TABLES + 1]);

#endif
