/* SPDX-License-Identifier: Apache-2.0 */
/* job.c - the common main: fds, signals, options, settings, lock, store, exit status */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "auth.h"
#include "gceb/job.h"
#include "http.h"
#include "metrics.h"
#include "store.h"

#ifndef GCEB_VERSION
# define GCEB_VERSION "unknown"
#endif

/* Values of the common options, before settings resolution. */
struct common_args {
	const char *state_dir;
	const char *config_dir;
	const char *metrics_dir;
	unsigned map_size_mib;
	bool dry_run;
	int verbose;
	bool quiet;
	bool help;
	bool version;
	unsigned max_concurrency;
	unsigned timeout_ms;
	unsigned deadline_s;
	const char *token_file;
	const char *key_file;
	const char *luci_config;
	const char *luci_config_set;
};

/*
 * Where a service-account key may send its JWT: Google's token endpoints
 * (the current one, and the two that older key files name).
 */
static const char *const token_roots[] = {
	"https://oauth2.googleapis.com/",
	"https://accounts.google.com/",
	"https://www.googleapis.com/oauth2/",
};

/*
 * A job started with fd 0, 1 or 2 closed would hand that number to the next
 * open(), and the LMDB file could end up receiving log lines.
 */
static void sanitize_stdfds(void)
{
	int fd = open("/dev/null", O_RDWR);

	while (fd >= 0 && fd <= 2)
		fd = dup(fd);
	if (fd > 2)
		(void)close(fd);
}

static void print_usage(const struct gceb_job_spec *spec, const struct gceb_opt *const *tables)
{
	(void)printf("usage: gceb-%s [options]%s%s\n\n%s\n\noptions:\n", spec->name,
		     spec->operands ? " " : "", spec->operands ? spec->operands : "",
		     spec->summary);
	gceb_opt_print_help(tables);
	(void)printf("\nenvironment: GCEB_STATE_DIR, GCEB_CONFIG_DIR, GCEB_MAP_SIZE_MIB, "
		     "GCEB_MP_SERVER,\n  GCEB_COMPUTE_API_ROOT, GCEB_MAX_CONCURRENCY, "
		     "GCEB_METRICS_DIR%s\n",
		     spec->needs & GCEB_NEED_LUCI ? ",\n  GCEB_LUCI_CONFIG, GCEB_LUCI_CONFIG_SET" :
						    "");
	if (spec->needs & (GCEB_NEED_HTTP | GCEB_OPTIONS_HTTP))
		(void)printf("credentials: GCEB_TOKEN_FILE, GOOGLE_APPLICATION_CREDENTIALS, "
			     "GCE_METADATA_HOST\n  (docs/authentication.md)\n");
	/* The man page is generated from the docs page (cmake/Man.cmake). */
	(void)printf("see man gceb-%s (docs/gceb-%s.md)\n", spec->name, spec->name);
}

static int dup_setting(char **dst, const char *value, struct gceb_err *err)
{
	if (*dst || !value || !*value)
		return 0;
	*dst = strdup(value);
	if (!*dst)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

static int env_uint(const char *name, unsigned *dst, struct gceb_err *err)
{
	const char *v = getenv(name);
	unsigned long n;
	char *end;

	if (*dst || !v || !*v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end || *v == '-' || n == 0 || n > UINT_MAX)
		return gceb_err_set(err, GCEB_ECONFIG,
				    "environment %s='%s' is not a positive whole number", name, v);
	*dst = (unsigned)n;
	return 0;
}

/* decisions.md: flags, then the environment, then settings.cfg, then defaults. */
static int resolve_settings(const struct common_args *args, struct gceb_settings *s,
			    struct gceb_err *err)
{
	int r;

	s->map_size_mib = args->map_size_mib;
	s->max_concurrency = args->max_concurrency;
	if ((r = dup_setting(&s->state_dir, args->state_dir, err)) < 0 ||
	    (r = dup_setting(&s->config_dir, args->config_dir, err)) < 0 ||
	    (r = dup_setting(&s->metrics_dir, args->metrics_dir, err)) < 0 ||
	    (r = dup_setting(&s->state_dir, getenv("GCEB_STATE_DIR"), err)) < 0 ||
	    (r = dup_setting(&s->config_dir, getenv("GCEB_CONFIG_DIR"), err)) < 0 ||
	    (r = dup_setting(&s->luci_config, args->luci_config, err)) < 0 ||
	    (r = dup_setting(&s->luci_config_set, args->luci_config_set, err)) < 0 ||
	    (r = dup_setting(&s->luci_config, getenv("GCEB_LUCI_CONFIG"), err)) < 0 ||
	    (r = dup_setting(&s->luci_config_set, getenv("GCEB_LUCI_CONFIG_SET"), err)) < 0 ||
	    (r = dup_setting(&s->mp_server, getenv("GCEB_MP_SERVER"), err)) < 0 ||
	    (r = dup_setting(&s->compute_api_root, getenv("GCEB_COMPUTE_API_ROOT"), err)) < 0 ||
	    (r = dup_setting(&s->metrics_dir, getenv("GCEB_METRICS_DIR"), err)) < 0 ||
	    (r = dup_setting(&s->state_dir, GCEB_DEFAULT_STATE_DIR, err)) < 0 ||
	    (r = dup_setting(&s->config_dir, GCEB_DEFAULT_CONFIG_DIR, err)) < 0 ||
	    (r = env_uint("GCEB_MAP_SIZE_MIB", &s->map_size_mib, err)) < 0 ||
	    (r = env_uint("GCEB_MAX_CONCURRENCY", &s->max_concurrency, err)) < 0)
		return r;
	if (s->mp_server && (r = gceb_settings_check_url("GCEB_MP_SERVER", s->mp_server, err)) < 0)
		return r;
	if (s->compute_api_root &&
	    (r = gceb_settings_check_url("GCEB_COMPUTE_API_ROOT", s->compute_api_root, err)) < 0)
		return r;
	if (s->luci_config &&
	    (r = gceb_settings_check_url("--luci-config", s->luci_config, err)) < 0)
		return r;
	return gceb_settings_load(s, err);
}

static int mkdir_p(const char *path, struct gceb_err *err)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return gceb_err_set(err, GCEB_EIO, "path too long '%s'", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return gceb_err_set(err, GCEB_EIO, "cannot create directory '%s': %s", buf,
					    strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

/* A held lock means an earlier run is still going: skip, as cron will call again. */
static int take_lock(const struct gceb_job *job, int *fd_out, struct gceb_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd, r;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/locks", job->settings.state_dir) >=
		    sizeof(dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s.lock", dir, job->spec->name) >=
		    sizeof(path))
		return gceb_err_set(err, GCEB_EIO, "state directory path too long");
	r = mkdir_p(dir, err);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return gceb_err_set(err, GCEB_EIO, "cannot open lock '%s': %s", path,
				    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		(void)close(fd);
		if (e == EWOULDBLOCK)
			return gceb_err_set(err, GCEB_ELOCKED,
					    "'%s' is held by another run, skipping this run", path);
		return gceb_err_set(err, GCEB_EIO, "cannot lock '%s': %s", path, strerror(e));
	}
	*fd_out = fd;
	return 0;
}

static double now_seconds(void)
{
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Metrics are a side effect: a failure to write them is reported, not fatal. */
static void write_metrics(const struct gceb_job *job, double start, int r)
{
	struct gceb_metrics_run m = {
		.job = job->spec->name,
		.start = start,
		.end = now_seconds(),
		.exit_status = gceb_exit_status(r),
		.lock_skipped = r == GCEB_ELOCKED,
		.items = job->items,
		.failed = job->failed,
		.http = job->http,
		.extra = job->metrics_extra,
	};
	struct gceb_err e = { 0 };

	if (!job->settings.metrics_dir || job->dry_run)
		return;
	if (gceb_metrics_write(job->settings.metrics_dir, &m, &e) < 0)
		gceb_warn("metrics: %s", e.msg);
}

static int open_store(struct gceb_job *job, struct gceb_err *err)
{
	unsigned flags = 0;
	size_t map_mib =
		job->settings.map_size_mib ? job->settings.map_size_mib : GCEB_DEFAULT_MAP_SIZE_MIB;
	int r;

	if (job->spec->needs & GCEB_NEED_STORE_READONLY)
		flags |= GCEB_STORE_READONLY;
	if (job->dry_run)
		flags |= GCEB_STORE_DRY_RUN;
	r = gceb_store_open(job->settings.state_dir, map_mib << 20, flags, &job->store, err);
	if (r == GCEB_ENOTFOUND)
		r = gceb_err_set(err, GCEB_EIO,
				 "no store in '%s/db' yet: run gceb-import-config "
				 "and gceb-process-config first",
				 job->settings.state_dir);
	return r;
}

/*
 * A commit leaves its meta page unsynced (store.c): sync the last one, so
 * that what a run did outlives an OS crash. Even a failed run made commits.
 * Returns @r, or the sync's error if @r was 0.
 */
static int sync_store(struct gceb_job *job, int r)
{
	struct gceb_err e = { 0 };
	int s = gceb_store_sync(job->store, &e);

	if (s < 0 && r == 0) {
		job->err = e;
		return s;
	}
	if (s < 0)
		gceb_error("%s", e.msg);
	return r;
}

/* An API root as the allow-list wants it: with the final '/', so "https://a.com" cannot match
 * "https://a.com.evil/". */
static void as_root(const char *url, char *out, size_t len)
{
	size_t n = strlen(url);

	(void)snprintf(out, len, "%s%s", url, n > 0 && url[n - 1] == '/' ? "" : "/");
}

static int open_http(struct gceb_job *job, const struct common_args *args, struct gceb_err *err)
{
	const struct gceb_settings *s = &job->settings;
	char compute_root[PATH_MAX], mp_root[PATH_MAX], luci_root[PATH_MAX];
	const char *roots[] = { compute_root, mp_root, luci_root };
	struct gceb_auth_options ao = {
		.token_file = args->token_file ? args->token_file : getenv("GCEB_TOKEN_FILE"),
		.key_file =
			args->key_file ? args->key_file : getenv("GOOGLE_APPLICATION_CREDENTIALS"),
		.metadata_host = getenv("GCE_METADATA_HOST"),
		.token_roots = token_roots,
		.n_token_roots = sizeof(token_roots) / sizeof(token_roots[0]),
	};
	struct gceb_http_options ho = {
		.roots = roots,
		.n_roots = s->luci_config ? 3 : 2,
		.max_concurrency = s->max_concurrency,
		.attempt_timeout_ms = args->timeout_ms,
		/* A run never outlives a few cron minutes, so it cannot hold its lock for ever. */
		.deadline_ms =
			1000L * (args->deadline_s ? args->deadline_s : GCEB_DEFAULT_DEADLINE_S),
	};
	int r;

	if (ao.token_file && !*ao.token_file)
		ao.token_file = NULL;
	if (ao.key_file && !*ao.key_file)
		ao.key_file = NULL;
	if (ao.metadata_host && !*ao.metadata_host)
		ao.metadata_host = NULL;
	job->mp_server = s->mp_server ? s->mp_server : GCEB_DEFAULT_MP_SERVER;
	as_root(s->compute_api_root, compute_root, sizeof(compute_root));
	as_root(job->mp_server, mp_root, sizeof(mp_root));
	as_root(s->luci_config ? s->luci_config : "", luci_root, sizeof(luci_root));
	r = gceb_auth_new(&ao, &job->auth, err);
	if (r < 0)
		return r;
	/* A bad credential file fails the run before any item: every request would need it. */
	r = gceb_auth_check(job->auth, err);
	if (r < 0)
		return r;
	return gceb_http_new(&ho, job->auth, &job->http, err);
}

int gceb_job_main(const struct gceb_job_spec *spec, int argc, char **argv)
{
	static char program[64];
	struct common_args args = { 0 };
	const struct gceb_opt common[] = {
		GCEB_OPT_STRING('s', "state-dir", &args.state_dir, "DIR",
				"state directory (default " GCEB_DEFAULT_STATE_DIR ")"),
		GCEB_OPT_STRING('c', "config-dir", &args.config_dir, "DIR",
				"config directory (default " GCEB_DEFAULT_CONFIG_DIR ")"),
		GCEB_OPT_UINT(0, "map-size-mib", &args.map_size_mib, "N",
			      "LMDB map size in MiB (default 1024)"),
		GCEB_OPT_STRING(0, "metrics-dir", &args.metrics_dir, "DIR",
				"write Prometheus metrics to DIR/gceb_<job>.prom"),
		GCEB_OPT_FLAG('n', "dry-run", &args.dry_run,
			      "show what would change, change nothing"),
		GCEB_OPT_COUNT('v', "verbose", &args.verbose, "say more (-vv for debug)"),
		GCEB_OPT_FLAG('q', "quiet", &args.quiet, "print errors only"),
		GCEB_OPT_FLAG('h', "help", &args.help, "show this help and exit"),
		GCEB_OPT_FLAG('V', "version", &args.version, "show the version and exit"),
		GCEB_OPT_END,
	};
	/* Only jobs that call APIs take these. */
	const struct gceb_opt http_opts[] = {
		GCEB_OPT_UINT(0, "max-concurrency", &args.max_concurrency, "N",
			      "API requests in flight at once (default 16)"),
		GCEB_OPT_UINT(0, "deadline", &args.deadline_s, "S",
			      "give up on the run's requests after S seconds (default 600)"),
		GCEB_OPT_UINT(0, "timeout-ms", &args.timeout_ms, "MS",
			      "give up on one attempt of a request after MS (default 10000 for "
			      "Machine Provider and stored URLs, 30000 for the rest)"),
		GCEB_OPT_STRING(0, "token-file", &args.token_file, "FILE",
				"read an OAuth2 access token from FILE (mode 600)"),
		GCEB_OPT_STRING(0, "key-file", &args.key_file, "FILE",
				"service-account key (default $GOOGLE_APPLICATION_CREDENTIALS)"),
		GCEB_OPT_END,
	};
	const struct gceb_opt luci_opts[] = {
		GCEB_OPT_STRING(0, "luci-config", &args.luci_config, "URL",
				"read the config from this LUCI config v1 API root"),
		GCEB_OPT_STRING(0, "config-set", &args.luci_config_set, "NAME",
				"LUCI config set (default " GCEB_DEFAULT_LUCI_CONFIG_SET ")"),
		GCEB_OPT_END,
	};
	const struct gceb_opt *tables[5] = { common };
	size_t n_tables = 1;
	struct gceb_job job = { .spec = spec };
	double start = now_seconds();
	int lock_fd = -1, first = 0, r;

	if (spec->needs & (GCEB_NEED_HTTP | GCEB_OPTIONS_HTTP))
		tables[n_tables++] = http_opts;
	if (spec->needs & GCEB_NEED_LUCI)
		tables[n_tables++] = luci_opts;
	tables[n_tables] = spec->opts;
	sanitize_stdfds();
	/*
	 * A connection that breaks must fail its request, not kill the job. A
	 * program that talks to no API ends when the reader of its output goes
	 * away (gceb-status | head), quietly, as cat does.
	 */
	if (spec->needs & (GCEB_NEED_HTTP | GCEB_OPTIONS_HTTP | GCEB_NEED_LUCI))
		(void)signal(SIGPIPE, SIG_IGN);
	(void)snprintf(program, sizeof(program), "gceb-%s", spec->name);
	gceb_log_set_program(program);

	r = gceb_opt_parse(tables, argc, argv, &first, &job.err);
	if (r < 0) {
		gceb_error("%s (try --help)", job.err.msg);
		return gceb_exit_status(r);
	}
	if (args.help) {
		print_usage(spec, tables);
		return 0;
	}
	if (args.version) {
		(void)printf("gceb-%s %s\n", spec->name, GCEB_VERSION);
		return 0;
	}
	if (!spec->operands && first < argc) {
		gceb_error("unexpected operand '%s' (try --help)", argv[first]);
		return gceb_exit_status(GCEB_EUSAGE);
	}
	gceb_log_set_level(args.quiet        ? GCEB_LOG_ERROR :
			   args.verbose >= 2 ? GCEB_LOG_DEBUG :
			   args.verbose == 1 ? GCEB_LOG_INFO :
					       GCEB_LOG_WARNING);
	job.dry_run = args.dry_run;
	job.argc = argc - first;
	job.argv = argv + first;

	r = resolve_settings(&args, &job.settings, &job.err);
	if (r < 0)
		goto out;
	if (spec->needs & GCEB_NEED_LOCK) {
		r = take_lock(&job, &lock_fd, &job.err);
		if (r < 0)
			goto out;
	}
	if (spec->needs & (GCEB_NEED_STORE | GCEB_NEED_STORE_READONLY)) {
		r = open_store(&job, &job.err);
		if (r < 0)
			goto out;
	}
	if (spec->needs & GCEB_NEED_HTTP) {
		r = open_http(&job, &args, &job.err);
		if (r < 0)
			goto out;
	}
	r = spec->run(&job);
	if (job.store)
		r = sync_store(&job, r);
out:
	if (r == GCEB_ELOCKED)
		gceb_info("%s", job.err.msg);
	else if (r < 0)
		gceb_error("%s", job.err.msg[0] ? job.err.msg : gceb_strerror(r));
	write_metrics(&job, start, r);
	free(job.metrics_extra);
	gceb_http_free(job.http);
	gceb_auth_free(job.auth);
	gceb_store_close(job.store);
	if (lock_fd >= 0)
		(void)close(lock_fd);
	gceb_settings_release(&job.settings);
	return gceb_exit_status(r);
}
