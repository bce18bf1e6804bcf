/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c - Prometheus textfile writer, with counters kept across runs */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "gceb/log.h"
#include "http.h"
#include "metrics.h"

/* The first line of a state file; another one is not ours, and is started afresh. */
#define STATE_MAGIC "gceb-metrics 1\n"
/* The line after the samples, before the last real run's extra families. */
#define STATE_EXTRA "%extra\n"
/* A state file is a few hundred bytes; a larger one is not ours. */
#define STATE_MAX   (1 << 20)

static const char *const api_names[GCEB_API_COUNT] = { "compute", "machine_provider", "config" };

/* The job's own families, in the order they are written, each whole. */
static const struct family {
	const char *name;
	const char *type;
	const char *help;
} families[] = {
	{ "gceb_job_last_run_timestamp_seconds", "gauge",
	  "When the last run that took the lock ended." },
	{ "gceb_job_last_success_timestamp_seconds", "gauge", "When a run last exited 0." },
	{ "gceb_job_duration_seconds", "gauge", "How long the last run that took the lock took." },
	{ "gceb_job_exit_status", "gauge",
	  "Exit status of the last run that took the lock (docs/exit-codes.md)." },
	{ "gceb_job_runs_total", "counter", "Runs that took the lock, by result." },
	{ "gceb_job_items_total", "counter", "Items the runs worked on, by result." },
	{ "gceb_job_lock_skips_total", "counter",
	  "Runs skipped because another run held the lock." },
	{ "gceb_job_last_lock_skip_timestamp_seconds", "gauge", "When a run was last skipped." },
	{ "gceb_job_lock_held_seconds", "gauge",
	  "How long the run holding the lock had held it when a run was last skipped; 0 once a "
	  "run took the lock." },
	{ "gceb_api_requests_total", "counter",
	  "API requests, by API and HTTP status (0: no answer)." },
};

/* One sample: its name with the labels other than gceb_job, and its value. */
struct sample {
	char *series;
	double value;
};

struct samples {
	struct sample *v;
	size_t n;
	size_t cap;
	char *extra; /* the last real run's extra families */
	bool oom;
};

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

static struct sample *find(struct samples *s, const char *series)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].series, series))
			return &s->v[i];
	return NULL;
}

/* The sample @series, added with value 0 if new; NULL when out of memory. */
static struct sample *get(struct samples *s, const char *series)
{
	struct sample *p = find(s, series), *v;

	if (p || s->oom)
		return p;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;

		v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->oom = true;
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	p = &s->v[s->n];
	p->series = strdup(series);
	p->value = 0;
	if (!p->series) {
		s->oom = true;
		return NULL;
	}
	s->n++;
	return p;
}

static void set(struct samples *s, const char *series, double value)
{
	struct sample *p = get(s, series);

	if (p)
		p->value = value;
}

static void add(struct samples *s, const char *series, double delta)
{
	struct sample *p = get(s, series);

	if (p)
		p->value += delta;
}

static void samples_release(struct samples *s)
{
	while (s->n > 0)
		free(s->v[--s->n].series);
	free(s->v);
	free(s->extra);
}

/* Parse a state file's text (NUL-terminated). False if it is not one. */
static bool parse_state(struct samples *s, char *text)
{
	size_t magic = strlen(STATE_MAGIC);
	char *line, *next, *end;

	if (strncmp(text, STATE_MAGIC, magic) != 0)
		return false;
	for (line = text + magic; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			return false; /* cut short */
		*next++ = '\0';
		if (!strcmp(line, "%extra")) {
			s->extra = *next ? strdup(next) : NULL;
			return !*next || s->extra;
		}
		char *sp = strrchr(line, ' ');

		if (!sp || sp == line)
			return false;
		*sp = '\0';
		errno = 0;
		set(s, line, strtod(sp + 1, &end));
		if (end == sp + 1 || *end || errno)
			return false;
	}
	return true;
}

/*
 * The counters kept so far; a missing file is a first run, a foreign or
 * unreadable one (even a FIFO planted there) starts afresh.
 */
static void read_state(const char *path, struct samples *s)
{
	struct gceb_err e = { 0 };
	char *text = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd = gceb_file_open(path, "metrics state file", GCEB_EIO, &st, &e);

	if (fd == GCEB_ENOTFOUND)
		return;
	if (fd >= 0 && st.st_size < STATE_MAX && (text = malloc((size_t)st.st_size + 1)))
		n = read(fd, text, (size_t)st.st_size);
	if (n >= 0)
		text[n] = '\0';
	if (n < 0 || !parse_state(s, text)) {
		gceb_warn(
			"metrics: '%s' is not a gceb metrics state file%s%s; counters start again "
			"from 0",
			path, e.msg[0] ? ": " : "", e.msg);
		samples_release(s);
		*s = (struct samples){ 0 };
	}
	free(text);
	if (fd >= 0)
		(void)close(fd);
}

static void count_requests(struct samples *s, const struct gceb_http *http)
{
	char series[128];
	long status;
	int api;

	for (api = 0; http && api < GCEB_API_COUNT; api++)
		for (status = 0; status < 600; status++) {
			unsigned long n = gceb_http_count(http, (enum gceb_api)api, status);

			if (!n)
				continue;
			(void)snprintf(series, sizeof(series),
				       "gceb_api_requests_total{api=\"%s\",code=\"%ld\"}",
				       api_names[api], status);
			add(s, series, (double)n);
		}
}

static void apply_run(struct samples *s, const struct gceb_metrics_run *run)
{
	/* Counters start at 0, so that rate() sees their first increase. */
	add(s, "gceb_job_runs_total{result=\"success\"}", 0);
	add(s, "gceb_job_runs_total{result=\"failure\"}", 0);
	add(s, "gceb_job_items_total{result=\"done\"}", 0);
	add(s, "gceb_job_items_total{result=\"failed\"}", 0);
	add(s, "gceb_job_lock_skips_total", 0);
	if (run->lock_skipped) {
		add(s, "gceb_job_lock_skips_total", 1);
		set(s, "gceb_job_last_lock_skip_timestamp_seconds", run->end);
		if (run->lock_held >= 0)
			set(s, "gceb_job_lock_held_seconds", run->lock_held);
		return;
	}
	set(s, "gceb_job_last_run_timestamp_seconds", run->end);
	if (run->exit_status == 0)
		set(s, "gceb_job_last_success_timestamp_seconds", run->end);
	else if (!find(s, "gceb_job_last_success_timestamp_seconds"))
		set(s, "gceb_job_last_success_timestamp_seconds", 0);
	set(s, "gceb_job_duration_seconds", run->end - run->start);
	set(s, "gceb_job_exit_status", run->exit_status);
	add(s,
	    run->exit_status == 0 ? "gceb_job_runs_total{result=\"success\"}" :
				    "gceb_job_runs_total{result=\"failure\"}",
	    1);
	add(s, "gceb_job_items_total{result=\"done\"}", (double)(run->items - run->failed));
	add(s, "gceb_job_items_total{result=\"failed\"}", (double)run->failed);
	set(s, "gceb_job_lock_held_seconds", 0);
	count_requests(s, run->http);
	free(s->extra);
	s->extra = run->extra ? strdup(run->extra) : NULL;
	if (run->extra && !s->extra)
		s->oom = true;
}

static int by_series(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->series, ((const struct sample *)b)->series);
}

/* Whole numbers as such (counters), the rest with microseconds (times). */
static void add_value(struct gceb_buf *b, double v)
{
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v)
		gceb_buf_addf(b, "%.0f\n", v);
	else
		gceb_buf_addf(b, "%.6f\n", v);
}

/* The .prom text: every family whole, its samples labelled with @job. */
static void render(struct gceb_buf *b, const struct samples *s, const char *job)
{
	size_t f, i;

	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		size_t len = strlen(families[f].name);
		bool header = false;

		for (i = 0; i < s->n; i++) {
			const char *series = s->v[i].series;

			if (strncmp(series, families[f].name, len) != 0 ||
			    (series[len] != '\0' && series[len] != '{'))
				continue;
			if (!header)
				gceb_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
					      families[f].help, families[f].name, families[f].type);
			header = true;
			if (series[len] == '{')
				gceb_buf_addf(b, "%.*s{gceb_job=\"%s\",%s ", (int)len, series, job,
					      series + len + 1);
			else
				gceb_buf_addf(b, "%s{gceb_job=\"%s\"} ", series, job);
			add_value(b, s->v[i].value);
		}
	}
	if (s->extra)
		gceb_buf_adds(b, s->extra);
}

static void render_state(struct gceb_buf *b, const struct samples *s)
{
	size_t i;

	gceb_buf_adds(b, STATE_MAGIC);
	for (i = 0; i < s->n; i++)
		gceb_buf_addf(b, "%s %.17g\n", s->v[i].series, s->v[i].value);
	gceb_buf_adds(b, STATE_EXTRA);
	if (s->extra)
		gceb_buf_adds(b, s->extra);
}

/*
 * Put @b in place as @path: a new file of mode @mode made with mkstemp in the
 * same directory (never a name another user could have planted a link at),
 * synced, then renamed over @path.
 */
static int replace_file(const char *path, const struct gceb_buf *b, mode_t mode,
			struct gceb_err *err)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd = -1, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path,
			     slash + 1) >= sizeof(tmp))
		return gceb_err_set(err, GCEB_EIO, "path too long '%s'", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return gceb_err_set(err, GCEB_EIO, "cannot create a file beside '%s': %s", path,
				    strerror(errno));
	if (fchmod(fd, mode) < 0 || write(fd, b->p, b->len) != (ssize_t)b->len || fsync(fd) < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r < 0 || rename(tmp, path) < 0)
		r = gceb_err_set(err, GCEB_EIO, "cannot write '%s': %s", path, strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/*
 * Take <state_dir>/metrics/<job>.lock, blocking: the run that holds the
 * job's lock and one that skips on it may both be here at once.
 */
static int lock_state(const char *state_dir, const char *job, char *state, size_t len,
		      struct gceb_err *err)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/metrics", state_dir) >= sizeof(path) ||
	    (size_t)snprintf(state, len, "%s/%s.state", path, job) >= len)
		return gceb_err_set(err, GCEB_EIO, "state directory path too long");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return gceb_err_set(err, GCEB_EIO, "cannot create '%s': %s", path, strerror(errno));
	(void)snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s.lock", job);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;

		if (fd >= 0)
			(void)close(fd);
		return gceb_err_set(err, GCEB_EIO, "cannot lock '%s': %s", path, strerror(e));
	}
	return fd;
}

int gceb_metrics_write(const char *dir, const struct gceb_metrics_run *run, struct gceb_err *err)
{
	struct gceb_buf prom = GCEB_BUF_INIT, state = GCEB_BUF_INIT;
	struct samples s = { 0 };
	char path[PATH_MAX], state_path[PATH_MAX], job[128];
	int lock, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/gceb_%s.prom", dir, run->job) >= sizeof(path))
		return gceb_err_set(err, GCEB_EIO, "metrics directory path too long");
	lock = lock_state(run->state_dir, run->job, state_path, sizeof(state_path), err);
	if (lock < 0)
		return lock;
	gceb_metrics_label(run->job, job, sizeof(job));
	read_state(state_path, &s);
	apply_run(&s, run);
	qsort(s.v, s.n, sizeof(*s.v), by_series);
	render(&prom, &s, job);
	render_state(&state, &s);
	if (s.oom || prom.oom || state.oom) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	/* The state first: a .prom never shows counts that the next run would not add to. */
	r = replace_file(state_path, &state, 0600, err);
	if (r == 0)
		r = replace_file(path, &prom, 0644, err);
out:
	(void)close(lock);
	gceb_buf_release(&prom);
	gceb_buf_release(&state);
	samples_release(&s);
	return r;
}
