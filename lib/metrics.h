/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - Prometheus textfile-collector files: <dir>/gceb_<job>.prom,
 * written whole to a temporary file and renamed into place, so the
 * node_exporter never reads half a file.
 */
#ifndef GCEB_METRICS_H
#define GCEB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gceb/err.h"

struct gceb_http;

/* What one run of a job did. */
struct gceb_metrics_run {
	const char *job;
	double start; /* seconds since the epoch */
	double end;
	int exit_status;
	bool lock_skipped; /* another run held the lock */
	size_t items;
	size_t failed;
	const struct gceb_http *http; /* requests by API and status; may be NULL */
	const char *extra;            /* more sample lines with their HELP/TYPE, or NULL */
};

/*
 * Write <@dir>/gceb_<job>.prom. The last success time and the lock-skip
 * count carry over from the previous file. Returns 0 or GCEB_EIO.
 */
int gceb_metrics_write(const char *dir, const struct gceb_metrics_run *run, struct gceb_err *err);

/* Escape @value for a label (backslash, quote, newline). Into @out of @len bytes. */
void gceb_metrics_label(const char *value, char *out, size_t len);

#endif
