/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - Prometheus textfile-collector files: <dir>/gceb_<job>.prom,
 * written whole to a temporary file and renamed into place, so the
 * node_exporter never reads half a file.
 *
 * The job is the label gceb_job: Prometheus owns the labels job and
 * instance, and renames ours to exported_job when node_exporter serves the
 * file. Counters (_total) are cumulative across runs: their values, and
 * the gauges a lock-skipped run must not touch, are kept in
 * <state_dir>/metrics/<job>.state, so they survive a cleared metrics
 * directory and two runs of a job (one skipping on the other's lock)
 * never lose each other's counts.
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
	const char *state_dir; /* where the counters are kept */
	double start;          /* seconds since the epoch */
	double end;
	int exit_status;
	/*
	 * Another run held the lock: only the skip count, the skip time and
	 * @lock_held change; the last run's gauges stay as that run left them.
	 */
	bool lock_skipped;
	double lock_held; /* lock_skipped: how long the holder has held it, seconds; < 0 unknown */
	size_t items;
	size_t failed;
	const struct gceb_http *http; /* requests by API and status; may be NULL */
	const char *extra;            /* more families with their HELP/TYPE, or NULL */
};

/* Write <@dir>/gceb_<job>.prom. Returns 0, GCEB_EIO or GCEB_ENOMEM. */
int gceb_metrics_write(const char *dir, const struct gceb_metrics_run *run, struct gceb_err *err);

/* Escape @value for a label (backslash, quote, newline). Into @out of @len bytes. */
void gceb_metrics_label(const char *value, char *out, size_t len);

#endif
