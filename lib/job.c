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
	const char *log;
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
	const char *ca_file;
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
	int fd;

	/*
	 * A closed fd gets /dev/null opened read-only: a job whose output had
	 * nowhere to go (--version >&-) then fails its write, and says so,
	 * instead of reporting success.
	 */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != fd)
			break;
}

/* What a run printed on stdout must have reached it: a full disk is a failure (74). */
static int flush_stdout(int r, struct gceb_err *err)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return r;
	if (r < 0)
		return r;
	return gceb_err_set(err, GCEB_EIO, "cannot write standard output: %s",
			    strerror(errno ? errno : EIO));
}

static void print_usage(const struct gceb_job_spec *spec, const struct gceb_opt *const *tables)
{
	(void)printf("usage: gceb-%s [options]%s%s\n\n%s\n\noptions:\n", spec->name,
		     spec->operands ? " " : "", spec->operands ? spec->operands : "",
		     spec->summary);
	gceb_opt_print_help(tables);
	(void)printf("\nenvironment: GCEB_STATE_DIR, GCEB_CONFIG_DIR, GCEB_MAP_SIZE_MIB, "
		     "GCEB_MP_SERVER,\n  GCEB_COMPUTE_API_ROOT, GCEB_MAX_CONCURRENCY, "
		     "GCEB_METRICS_DIR, GCEB_LOG%s\n",
		     spec->needs & GCEB_NEED_LUCI ? ",\n  GCEB_LUCI_CONFIG, GCEB_LUCI_CONFIG_SET" :
						    "");
	if (spec->needs & (GCEB_NEED_HTTP | GCEB_OPTIONS_HTTP))
		(void)printf("credentials: GCEB_TOKEN_FILE, GOOGLE_APPLICATION_CREDENTIALS, "
			     "GCE_METADATA_HOST\n  (docs/authentication.md); transport: "
			     "GCEB_CA_FILE, GCEB_PROXY\n  (docs/configuration.md)\n");
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

/* What the flags and the environment gave must hold before settings.cfg is read. */
static int check_settings(const struct gceb_settings *s, struct gceb_err *err)
{
	int r;

	if (s->mp_server && (r = gceb_settings_check_url("GCEB_MP_SERVER", s->mp_server, err)) < 0)
		return r;
	if (s->compute_api_root &&
	    (r = gceb_settings_check_url("GCEB_COMPUTE_API_ROOT", s->compute_api_root, err)) < 0)
		return r;
	/*
	 * The analyzer loses the strings of @s here and calls them leaked; the
	 * caller releases them all (gceb_settings_release() at its out:).
	 */
	if (s->luci_config && // NOLINT(clang-analyzer-unix.Malloc): see above
	    (r = gceb_settings_check_url("--luci-config", s->luci_config, err)) < 0)
		return r;
	// NOLINTNEXTLINE(clang-analyzer-unix.Malloc): see above
	if (s->log && !gceb_settings_log_ok(s->log))
		return gceb_err_set(err, GCEB_ECONFIG,
				    "log destination '%s' (--log or GCEB_LOG) must be stderr or "
				    "syslog",
				    s->log);
	/* The same range as settings.cfg's, whichever way the value came. */
	if (s->max_concurrency > GCEB_MAX_CONCURRENCY_LIMIT)
		return gceb_err_set(err, GCEB_ECONFIG,
				    "max concurrency %u (--max-concurrency or "
				    "GCEB_MAX_CONCURRENCY) must be between 1 and %d",
				    s->max_concurrency, GCEB_MAX_CONCURRENCY_LIMIT);
	return 0;
}

/* @flag, else the environment's @name, else settings.cfg's @cfg (docs/design/departures.md); NULL
 * for none. */
static const char *pick(const char *flag, const char *name, const char *cfg)
{
	const char *env = getenv(name);

	return flag && *flag ? flag : env && *env ? env : cfg;
}

/* docs/design/departures.md: flags, then the environment, then settings.cfg, then defaults. */
static int resolve_settings(const struct common_args *args, struct gceb_settings *s,
			    struct gceb_err *err)
{
	int r;

	s->map_size_mib = args->map_size_mib;
	s->max_concurrency = args->max_concurrency;
	if ((r = dup_setting(&s->state_dir, args->state_dir, err)) < 0 ||
	    (r = dup_setting(&s->config_dir, args->config_dir, err)) < 0 ||
	    (r = dup_setting(&s->metrics_dir, args->metrics_dir, err)) < 0 ||
	    (r = dup_setting(&s->log, args->log, err)) < 0 ||
	    (r = dup_setting(&s->log, getenv("GCEB_LOG"), err)) < 0 ||
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
	r = check_settings(s, err);
	if (r < 0)
		return r;
	return gceb_settings_load(s, err);
}

/*
 * The state directory is the operator's (its owner and mode say who may run
 * the jobs): a job never creates it, so a mistyped --state-dir fails here
 * instead of starting a new, empty fleet. What it holds is made on first use.
 */
static int check_state_dir(const char *dir, struct gceb_err *err)
{
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == ENOENT || (errno == 0 && !S_ISDIR(st.st_mode)))
		return gceb_err_set(err, GCEB_ECONFIG,
				    "state directory '%s' %s; create it for the user that runs "
				    "the jobs (install -d -o gceb -g gceb -m 0750 '%s'), or point "
				    "--state-dir (GCEB_STATE_DIR) at the right one",
				    dir, errno == ENOENT ? "does not exist" : "is not a directory",
				    dir);
	return gceb_err_set(err, GCEB_EIO, "state directory '%s': %s", dir, strerror(errno));
}

/*
 * The lock's mtime is when its holder took it (set just after), so a run
 * that finds it held can say for how long: a hung job shows in the metrics.
 */
static double held_for(int fd)
{
	struct stat st;
	struct timeval tv;

	if (fstat(fd, &st) < 0 || gettimeofday(&tv, NULL) < 0)
		return -1;
	return (double)(tv.tv_sec - st.st_mtim.tv_sec) +
	       (double)(tv.tv_usec * 1000L - st.st_mtim.tv_nsec) / 1e9;
}

/*
 * A held lock means an earlier run is still going: skip, as cron will call
 * again. *@held gets how long the holder has held it (< 0: unknown).
 */
static int take_lock(const struct gceb_job *job, int *fd_out, double *held, struct gceb_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd, r;

	*held = -1;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/locks", job->settings.state_dir) >=
		    sizeof(dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s.lock", dir, job->spec->name) >=
		    sizeof(path))
		return gceb_err_set(err, GCEB_EIO, "state directory path too long");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return gceb_err_set(err, GCEB_EIO, "cannot create directory '%s': %s", dir,
				    strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return gceb_err_set(err, GCEB_EIO, "cannot open lock '%s': %s", path,
				    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EWOULDBLOCK)
			*held = held_for(fd);
		(void)close(fd);
		if (e == EWOULDBLOCK)
			return gceb_err_set(
				err, GCEB_ELOCKED,
				"'%s' is held by another run, skipping this run (held for %.0f s)",
				path, *held < 0 ? 0 : *held);
		return gceb_err_set(err, GCEB_EIO, "cannot lock '%s': %s", path, strerror(e));
	}
	if (futimens(fd, NULL) < 0) {
		r = gceb_err_set(err, GCEB_EIO, "cannot touch lock '%s': %s", path,
				 strerror(errno));
		(void)close(fd);
		return r;
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
static void write_metrics(const struct gceb_job *job, double start, double lock_held, int r)
{
	struct gceb_metrics_run m = {
		.job = job->spec->name,
		.state_dir = job->settings.state_dir,
		.start = start,
		.end = now_seconds(),
		.exit_status = gceb_exit_status(r),
		.lock_skipped = r == GCEB_ELOCKED,
		.lock_held = lock_held,
		.items = job->items,
		.failed = job->failed,
		.http = job->http,
		.extra = job->metrics_extra,
	};
	struct gceb_err e = { 0 };

	if (!job->settings.metrics_dir || !job->settings.state_dir || job->dry_run)
		return;
	if (gceb_metrics_write(job->settings.metrics_dir, &m, &e) < 0)
		gceb_warn("metrics: %s", e.msg);
}

/*
 * -n in a state directory with no store yet: a dry run creates nothing, so
 * there is none to read. Say so, and what a real run would do first; a job
 * that can plan without a store (import-config) then plans. Returns 1 to
 * go on with job->store NULL, or 0 (nothing more to plan) or an error.
 */
static int plan_without_store(struct gceb_job *job)
{
	(void)printf("no store yet in '%s/db': a real run of gceb-%s would create it%s\n",
		     job->settings.state_dir, job->spec->name,
		     job->spec->needs & GCEB_PLAN_WITHOUT_STORE ?
			     "" :
			     ", and find no config to act on yet (gceb-import-config stores "
			     "one)");
	return job->spec->needs & GCEB_PLAN_WITHOUT_STORE ? 1 : 0;
}

/*
 * The store, read-write (or read-only for gceb-status). A dry run opens an
 * existing one so that nothing it does is committed, and never creates one
 * (GCEB_ENOTFOUND, without a message).
 */
static int open_store(struct gceb_job *job, struct gceb_err *err)
{
	unsigned flags = 0;
	size_t map_mib =
		job->settings.map_size_mib ? job->settings.map_size_mib : GCEB_DEFAULT_MAP_SIZE_MIB;
	char path[PATH_MAX];
	int r;

	if (job->spec->needs & GCEB_NEED_STORE_READONLY)
		flags |= GCEB_STORE_READONLY;
	if (job->dry_run) {
		flags |= GCEB_STORE_DRY_RUN;
		if ((size_t)snprintf(path, sizeof(path), "%s/db/data.mdb",
				     job->settings.state_dir) < sizeof(path) &&
		    access(path, F_OK) < 0 && errno == ENOENT)
			return GCEB_ENOTFOUND;
	}
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
		.ca_file = pick(args->ca_file, "GCEB_CA_FILE", s->ca_file),
		.proxy = pick(NULL, "GCEB_PROXY", s->proxy),
	};
	struct gceb_http_options ho = {
		.roots = roots,
		.n_roots = s->luci_config ? 3 : 2,
		.max_concurrency = s->max_concurrency,
		.attempt_timeout_ms = args->timeout_ms,
		/* A run never outlives a few cron minutes, so it cannot hold its lock for ever. */
		.deadline_ms =
			1000L * (args->deadline_s ? args->deadline_s : GCEB_DEFAULT_DEADLINE_S),
		.ca_file = ao.ca_file,
		.proxy = ao.proxy,
	};
	int r;

	/* A bundle that cannot verify anything would fail every request: fail the run first. */
	r = gceb_settings_check_transport(ao.ca_file, ao.proxy, err);
	if (r < 0)
		return r;

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

/* Every option a job may take, pointing into the one common_args they fill. */
struct job_options {
	struct common_args args;
	struct gceb_opt common[11], http[7], luci[3];
	const struct gceb_opt *tables[GCEB_JOB_MAX_TABLES + 1];
	size_t n_tables;
};

static void options_common(struct job_options *o)
{
	struct common_args *a = &o->args;
	const struct gceb_opt common[] = {
		GCEB_OPT_STRING('s', "state-dir", &a->state_dir, "DIR",
				"state directory (default " GCEB_DEFAULT_STATE_DIR ")"),
		GCEB_OPT_STRING('c', "config-dir", &a->config_dir, "DIR",
				"config directory (default " GCEB_DEFAULT_CONFIG_DIR ")"),
		GCEB_OPT_UINT(0, "map-size-mib", &a->map_size_mib, "N",
			      "LMDB map size in MiB (default 1024)"),
		GCEB_OPT_STRING(0, "metrics-dir", &a->metrics_dir, "DIR",
				"write Prometheus metrics to DIR/gceb_<job>.prom"),
		GCEB_OPT_FLAG('n', "dry-run", &a->dry_run,
			      "show what would change, change nothing"),
		GCEB_OPT_COUNT('v', "verbose", &a->verbose, "say more (-vv for debug)"),
		GCEB_OPT_STRING(0, "log", &a->log, "WHERE",
				"send log lines to stderr (the default) or syslog"),
		GCEB_OPT_FLAG('q', "quiet", &a->quiet, "print errors only"),
		GCEB_OPT_FLAG('h', "help", &a->help, "show this help and exit"),
		GCEB_OPT_FLAG('V', "version", &a->version, "show the version and exit"),
		GCEB_OPT_END,
	};

	_Static_assert(sizeof(common) == sizeof(o->common), "common options table size");
	memcpy(o->common, common, sizeof(common));
}

static void options_init(struct job_options *o, const struct gceb_job_spec *spec)
{
	struct common_args *a = &o->args;
	/* Only jobs that call APIs take these. */
	const struct gceb_opt http_opts[] = {
		GCEB_OPT_UINT(0, "max-concurrency", &a->max_concurrency, "N",
			      "API requests in flight at once (default 16)"),
		GCEB_OPT_UINT(0, "deadline", &a->deadline_s, "S",
			      "give up on the run's requests after S seconds (default 600)"),
		GCEB_OPT_UINT(0, "timeout-ms", &a->timeout_ms, "MS",
			      "give up on one attempt of a request after MS (default 10000 for "
			      "Machine Provider and stored URLs, 30000 for the rest)"),
		GCEB_OPT_STRING(0, "token-file", &a->token_file, "FILE",
				"read an OAuth2 access token from FILE (mode 600)"),
		GCEB_OPT_STRING(0, "key-file", &a->key_file, "FILE",
				"service-account key (default $GOOGLE_APPLICATION_CREDENTIALS)"),
		GCEB_OPT_STRING(0, "ca-file", &a->ca_file, "FILE",
				"verify https peers with this PEM bundle only (default: the "
				"system's)"),
		GCEB_OPT_END,
	};
	const struct gceb_opt luci_opts[] = {
		GCEB_OPT_STRING(0, "luci-config", &a->luci_config, "URL",
				"read the config from this LUCI config v1 API root"),
		GCEB_OPT_STRING(0, "config-set", &a->luci_config_set, "NAME",
				"LUCI config set (default " GCEB_DEFAULT_LUCI_CONFIG_SET ")"),
		GCEB_OPT_END,
	};

	_Static_assert(sizeof(http_opts) == sizeof(o->http), "HTTP options table size");
	_Static_assert(sizeof(luci_opts) == sizeof(o->luci), "LUCI options table size");
	*a = (struct common_args){ 0 };
	options_common(o);
	memcpy(o->http, http_opts, sizeof(http_opts));
	memcpy(o->luci, luci_opts, sizeof(luci_opts));
	o->n_tables = 0;
	o->tables[o->n_tables++] = o->common;
	if (spec->needs & (GCEB_NEED_HTTP | GCEB_OPTIONS_HTTP))
		o->tables[o->n_tables++] = o->http;
	if (spec->needs & GCEB_NEED_LUCI)
		o->tables[o->n_tables++] = o->luci;
	if (spec->opts)
		o->tables[o->n_tables++] = spec->opts;
	o->tables[o->n_tables] = NULL;
}

size_t gceb_job_options(const struct gceb_job_spec *spec,
			const struct gceb_opt *tables[GCEB_JOB_MAX_TABLES + 1])
{
	/* The values they would set are never read: one scratch copy for every caller. */
	static struct job_options scratch;

	options_init(&scratch, spec);
	memcpy(tables, scratch.tables, sizeof(scratch.tables));
	return scratch.n_tables;
}

/*
 * Parse the command line into @o and @job and set the log level. Returns
 * -1 if the job is to run, or the exit status to end with at once (--help,
 * --version, a usage error).
 */
static int parse_command_line(struct job_options *o, struct gceb_job *job, int argc, char **argv)
{
	const struct gceb_job_spec *spec = job->spec;
	const struct common_args *a = &o->args;
	int first = 0, r = gceb_opt_parse(o->tables, argc, argv, &first, &job->err);

	if (r < 0) {
		gceb_error("%s (try --help)", job->err.msg);
		return gceb_exit_status(r);
	}
	if (a->help || a->version) {
		if (a->help)
			print_usage(spec, o->tables);
		else
			(void)printf("gceb-%s %s\n", spec->name, GCEB_VERSION);
		errno = 0;
		r = flush_stdout(0, &job->err);
		if (r < 0)
			gceb_error("%s", job->err.msg);
		return gceb_exit_status(r);
	}
	if (!spec->operands && first < argc) {
		gceb_error("unexpected operand '%s' (try --help)", argv[first]);
		return gceb_exit_status(GCEB_EUSAGE);
	}
	gceb_log_set_level(a->quiet        ? GCEB_LOG_ERROR :
			   a->verbose >= 2 ? GCEB_LOG_DEBUG :
			   a->verbose == 1 ? GCEB_LOG_INFO :
					     GCEB_LOG_WARNING);
	job->dry_run = a->dry_run;
	job->argc = argc - first;
	job->argv = argv + first;
	return -1;
}

int gceb_job_main(const struct gceb_job_spec *spec, int argc, char **argv)
{
	static char program[64];
	static struct job_options o;
	const struct common_args *a = &o.args;
	struct gceb_job job = { .spec = spec, .cmd_argc = argc, .cmd_argv = argv };
	double start = now_seconds(), lock_held = -1;
	int lock_fd = -1, r;

	options_init(&o, spec);
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
	r = parse_command_line(&o, &job, argc, argv);
	if (r >= 0)
		return r;

	r = resolve_settings(a, &job.settings, &job.err);
	if (r < 0)
		goto out;
	if (job.settings.log && !strcmp(job.settings.log, "syslog"))
		gceb_log_to_syslog(true);
	if (spec->needs & (GCEB_NEED_LOCK | GCEB_NEED_STORE | GCEB_NEED_STORE_READONLY)) {
		errno = 0;
		r = check_state_dir(job.settings.state_dir, &job.err);
		if (r < 0)
			goto out;
	}
	/* A dry run changes nothing, so it needs no lock, and makes no lock file. */
	if ((spec->needs & GCEB_NEED_LOCK) && !job.dry_run) {
		r = take_lock(&job, &lock_fd, &lock_held, &job.err);
		if (r < 0)
			goto out;
	}
	if (spec->needs & (GCEB_NEED_STORE | GCEB_NEED_STORE_READONLY)) {
		r = open_store(&job, &job.err);
		if (r == GCEB_ENOTFOUND && job.dry_run) {
			r = plan_without_store(&job);
			if (r <= 0)
				goto out;
		} else if (r < 0) {
			goto out;
		}
	}
	if (spec->needs & GCEB_NEED_HTTP) {
		r = open_http(&job, a, &job.err);
		if (r < 0)
			goto out;
	}
	r = spec->run(&job);
	if (job.store)
		r = sync_store(&job, r);
out:
	errno = 0;
	r = flush_stdout(r, &job.err);
	if (r == GCEB_ELOCKED)
		gceb_info("%s", job.err.msg);
	else if (r < 0)
		gceb_error("%s", job.err.msg[0] ? job.err.msg : gceb_strerror(r));
	write_metrics(&job, start, lock_held, r);
	free(job.metrics_extra);
	gceb_http_free(job.http);
	gceb_auth_free(job.auth);
	gceb_store_close(job.store);
	if (lock_fd >= 0)
		(void)close(lock_fd);
	gceb_settings_release(&job.settings);
	return gceb_exit_status(r);
}
