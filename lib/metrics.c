/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c - Prometheus textfile writer (atomic rename) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "metrics.h"

static const char *const api_names[GCEB_API_COUNT] = { "compute", "machine_provider", "config" };

void gceb_metrics_label(const char *value, char *out, size_t len)
{
	size_t n = 0;

	for (; *value && n + 3 < len; value++) {
		if (*value == '\\' || *value == '"') {
			out[n++] = '\\';
			out[n++] = *value;
		} else if (*value == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *value;
		}
	}
	out[n] = '\0';
}

/* The value of the first sample of @metric in the old file, or @fallback. */
static double previous(const char *old, const char *metric, double fallback)
{
	size_t n = strlen(metric);
	const char *p = old;

	while (p && *p) {
		if (!strncmp(p, metric, n) && (p[n] == '{' || p[n] == ' ')) {
			const char *sp = strchr(p, ' ');
			char *end;
			double v;

			if (sp && sp < strchr(p, '\n')) {
				v = strtod(sp + 1, &end);
				if (end != sp + 1)
					return v;
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return fallback;
}

static char *read_old(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(65536);
	n = buf ? fread(buf, 1, 65535, f) : 0;
	if (buf)
		buf[n] = '\0';
	(void)fclose(f);
	return buf;
}

static void gauge(struct gceb_buf *b, const char *name, const char *help)
{
	gceb_buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

int gceb_metrics_write(const char *dir, const struct gceb_metrics_run *run, struct gceb_err *err)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	char path[PATH_MAX], tmp[PATH_MAX], job[128];
	char *old = NULL;
	double last_success, skips;
	int fd = -1, r = 0, api;
	bool made = false;
	long status;

	if ((size_t)snprintf(path, sizeof(path), "%s/gceb_%s.prom", dir, run->job) >=
		    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
		return gceb_err_set(err, GCEB_EIO, "metrics directory path too long");
	gceb_metrics_label(run->job, job, sizeof(job));
	old = read_old(path);
	last_success = run->exit_status == 0 ?
			       run->end :
			       previous(old, "gceb_job_last_success_timestamp_seconds", 0);
	skips = previous(old, "gceb_job_lock_skips_total", 0) + (run->lock_skipped ? 1 : 0);

	gauge(&b, "gceb_job_last_run_timestamp_seconds", "When the job last ran.");
	gceb_buf_addf(&b, "gceb_job_last_run_timestamp_seconds{job=\"%s\"} %.3f\n", job, run->end);
	gauge(&b, "gceb_job_last_success_timestamp_seconds", "When the job last exited 0.");
	gceb_buf_addf(&b, "gceb_job_last_success_timestamp_seconds{job=\"%s\"} %.3f\n", job,
		      last_success);
	gauge(&b, "gceb_job_duration_seconds", "How long the last run took.");
	gceb_buf_addf(&b, "gceb_job_duration_seconds{job=\"%s\"} %.6f\n", job,
		      run->end - run->start);
	gauge(&b, "gceb_job_exit_status", "Exit status of the last run (docs/exit-codes.md).");
	gceb_buf_addf(&b, "gceb_job_exit_status{job=\"%s\"} %d\n", job, run->exit_status);
	gauge(&b, "gceb_job_items", "Items the last run worked on, by result.");
	gceb_buf_addf(&b, "gceb_job_items{job=\"%s\",result=\"done\"} %zu\n", job,
		      run->items - run->failed);
	gceb_buf_addf(&b, "gceb_job_items{job=\"%s\",result=\"failed\"} %zu\n", job, run->failed);
	gceb_buf_addf(&b, "# HELP gceb_job_lock_skips_total Runs skipped because the previous "
			  "one still held the lock.\n# TYPE gceb_job_lock_skips_total counter\n");
	gceb_buf_addf(&b, "gceb_job_lock_skips_total{job=\"%s\"} %.0f\n", job, skips);
	gauge(&b, "gceb_api_requests",
	      "API requests of the last run, by API and HTTP status "
	      "(0: no answer).");
	for (api = 0; run->http && api < GCEB_API_COUNT; api++)
		for (status = 0; status < 600; status++) {
			unsigned long n = gceb_http_count(run->http, (enum gceb_api)api, status);

			if (n)
				gceb_buf_addf(
					&b,
					"gceb_api_requests{job=\"%s\",api=\"%s\",code=\"%ld\"} "
					"%lu\n",
					job, api_names[api], status, n);
		}
	if (run->extra)
		gceb_buf_adds(&b, run->extra);
	if (b.oom) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * A name of our own, made with O_EXCL: a predictable one could be a
	 * symlink planted by whoever may write the directory, and followed.
	 * mkstemp makes it 0600; the collector needs to read it.
	 */
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot create a file in '%s': %s", dir,
				 strerror(errno));
		goto out;
	}
	made = true;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fchmod(fd, 0644) < 0 ||
	    write(fd, b.p, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		fd = -1;
		r = gceb_err_set(err, GCEB_EIO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
out:
	if (fd >= 0)
		(void)close(fd);
	if (r < 0 && made)
		(void)unlink(tmp);
	gceb_buf_release(&b);
	free(old);
	return r;
}
