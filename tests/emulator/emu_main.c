/* SPDX-License-Identifier: Apache-2.0 */
/* emu_main.c - gceb-emulator: options, loopback socket, port file, SIGTERM */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "emu_http.h"

static const char usage[] =
	"usage: gceb-emulator [options]\n"
	"Loopback emulator of Compute Engine v1, Machine Provider, OAuth2 token\n"
	"endpoints and LUCI config v1, for gceb tests.\n"
	"See man gceb-emulator (docs/emulator.md).\n"
	"\n"
	"  --listen ADDR:PORT      loopback address to serve on (default 127.0.0.1:0;\n"
	"                          port 0 picks a free port)\n"
	"  --port-file FILE        write the root URL (http://ADDR:PORT) to FILE, atomically\n"
	"  --seed N                seed for generated names and tokens (default 1)\n"
	"  --time-scale F          virtual clock = real time x F (default 1)\n"
	"  --link-root URL         root of the links the emulator mints (selfLink, targetLink,\n"
	"                          ...); 'self' for its own address (default\n"
	"                          https://www.googleapis.com/, as Compute)\n"
	"  --page-size N           force list pages to at most N items (default: none)\n"
	"  --op-polls N            operation GETs before DONE; 0 = DONE at once (default 1)\n"
	"  --op-ms MS              virtual ms before an unpolled operation is DONE (default 2000)\n"
	"  --op-retention-ms MS    DONE operations are forgotten after MS (default 3600000)\n"
	"  --vm-step-ms MS         virtual ms per managed-instance lifecycle step (default 1000)\n"
	"  --latency-ms MS         delay every API answer by MS real milliseconds\n"
	"  --mp-cron-ms MS         period of the Machine Provider crons (default 60000)\n"
	"  --metadata-ttl S        expires_in of metadata-server tokens (default 3599)\n"
	"  --no-auth               accept API calls without a bearer token\n"
	"  --sa-public-key FILE    PEM public key that may sign JWT grants (repeatable)\n"
	"  --token-audience URL    also accept this JWT aud (the /token URL of a TLS front)\n"
	"  --config-dir DIR        serve the files of DIR as the LUCI config set\n"
	"  --config-set NAME       LUCI config set name (default services/gceb)\n"
	"  --log-max N             requests kept in the request log (default 10000)\n"
	"  --verbose               log libmicrohttpd errors to stderr\n"
	"  --help                  print this help and exit\n";

enum {
	OPT_LISTEN = 256,
	OPT_PORT_FILE,
	OPT_SEED,
	OPT_TIME_SCALE,
	OPT_LINK_ROOT,
	OPT_PAGE_SIZE,
	OPT_OP_POLLS,
	OPT_OP_MS,
	OPT_OP_RETENTION,
	OPT_VM_STEP,
	OPT_LATENCY,
	OPT_MP_CRON,
	OPT_METADATA_TTL,
	OPT_NO_AUTH,
	OPT_SA_KEY,
	OPT_TOKEN_AUDIENCE,
	OPT_CONFIG_DIR,
	OPT_CONFIG_SET,
	OPT_LOG_MAX,
	OPT_VERBOSE,
	OPT_HELP,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "time-scale", required_argument, NULL, OPT_TIME_SCALE },
	{ "link-root", required_argument, NULL, OPT_LINK_ROOT },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "op-polls", required_argument, NULL, OPT_OP_POLLS },
	{ "op-ms", required_argument, NULL, OPT_OP_MS },
	{ "op-retention-ms", required_argument, NULL, OPT_OP_RETENTION },
	{ "vm-step-ms", required_argument, NULL, OPT_VM_STEP },
	{ "latency-ms", required_argument, NULL, OPT_LATENCY },
	{ "mp-cron-ms", required_argument, NULL, OPT_MP_CRON },
	{ "metadata-ttl", required_argument, NULL, OPT_METADATA_TTL },
	{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
	{ "sa-public-key", required_argument, NULL, OPT_SA_KEY },
	{ "token-audience", required_argument, NULL, OPT_TOKEN_AUDIENCE },
	{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
	{ "config-set", required_argument, NULL, OPT_CONFIG_SET },
	{ "log-max", required_argument, NULL, OPT_LOG_MAX },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *listen;
	const char *port_file;
	const char *config_dir;
	const char *config_set;
	const char *link_root;
	const char *keys[16];
	size_t nkeys;
	bool verbose;
};

static int parse_int(const char *opt, const char *s, int64_t min, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		(void)fprintf(stderr, "gceb-emulator: error: bad value '%s' for --%s\n", s, opt);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct emu *e, struct opts *o)
{
	int64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_PORT_FILE:
			o->port_file = optarg;
			break;
		case OPT_SEED:
			r = parse_int("seed", optarg, 0, &v);
			if (r == 0)
				e->seed = (uint64_t)v;
			break;
		case OPT_TIME_SCALE:
			e->scale = strtod(optarg, NULL);
			if (!(e->scale > 0)) {
				(void)fprintf(stderr,
					      "gceb-emulator: error: bad --time-scale '%s'\n",
					      optarg);
				r = -1;
			}
			break;
		case OPT_LINK_ROOT:
			o->link_root = optarg;
			break;
		case OPT_PAGE_SIZE:
			r = parse_int("page-size", optarg, 0, &e->k.page_size);
			break;
		case OPT_OP_POLLS:
			r = parse_int("op-polls", optarg, 0, &e->k.op_polls);
			break;
		case OPT_OP_MS:
			r = parse_int("op-ms", optarg, 0, &e->k.op_ms);
			break;
		case OPT_OP_RETENTION:
			r = parse_int("op-retention-ms", optarg, 0, &e->k.op_retention_ms);
			break;
		case OPT_VM_STEP:
			r = parse_int("vm-step-ms", optarg, 0, &e->k.vm_step_ms);
			break;
		case OPT_LATENCY:
			r = parse_int("latency-ms", optarg, 0, &e->k.latency_ms);
			break;
		case OPT_MP_CRON:
			r = parse_int("mp-cron-ms", optarg, 1, &e->k.mp_cron_ms);
			break;
		case OPT_METADATA_TTL:
			r = parse_int("metadata-ttl", optarg, 1, &e->k.metadata_ttl_s);
			break;
		case OPT_NO_AUTH:
			e->no_auth = true;
			break;
		case OPT_SA_KEY:
			if (o->nkeys == sizeof(o->keys) / sizeof(o->keys[0])) {
				(void)fprintf(stderr, "gceb-emulator: error: too many keys\n");
				r = -1;
			} else {
				o->keys[o->nkeys++] = optarg;
			}
			break;
		case OPT_TOKEN_AUDIENCE:
			free(e->token_audience);
			e->token_audience = emu_xstrdup(optarg);
			break;
		case OPT_CONFIG_DIR:
			o->config_dir = optarg;
			break;
		case OPT_CONFIG_SET:
			o->config_set = optarg;
			break;
		case OPT_LOG_MAX:
			r = parse_int("log-max", optarg, 0, &v);
			if (r == 0)
				e->log_cap = (size_t)v;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_HELP:
			(void)fputs(usage, stdout);
			exit(0);
		default:
			(void)fputs(usage, stderr);
			return -1;
		}
		if (r < 0)
			return -1;
	}
	if (optind != argc) {
		(void)fprintf(stderr, "gceb-emulator: error: unexpected argument '%s'\n",
			      argv[optind]);
		return -1;
	}
	return 0;
}

/* Binds a loopback address only; "ADDR:PORT" or "[ADDR]:PORT". */
static int bind_loopback(const char *listen_on, int *fd_out, char **root_out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], port[16];
	const char *colon = strrchr(listen_on, ':');
	size_t hl;
	int fd = -1, one = 1, r = -1;
	bool v6;

	if (!colon || colon == listen_on || !colon[1] || strlen(colon + 1) >= sizeof(port))
		goto bad;
	hl = (size_t)(colon - listen_on);
	if (listen_on[0] == '[' && hl > 2 && listen_on[hl - 1] == ']') {
		listen_on++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, listen_on, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0)
		(void)snprintf(host, sizeof(host), "127.0.0.1");
	(void)snprintf(port, sizeof(port), "%s", colon + 1);
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		goto bad;
	v6 = ai->ai_family == AF_INET6;
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			goto not_loopback;
	} else if (!v6 ||
		   !IN6_IS_ADDR_LOOPBACK(
			   &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr)) {
		goto not_loopback;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		(void)fprintf(stderr, "gceb-emulator: error: cannot listen on '%s': %s\n",
			      listen_on, strerror(errno));
		goto out;
	}
	*root_out =
		emu_xasprintf(v6 ? "http://[%s]:%u" : "http://%s:%u", host,
			      (unsigned)ntohs(v6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port :
						   ((struct sockaddr_in *)(void *)&ss)->sin_port));
	*fd_out = fd;
	fd = -1;
	r = 0;
	goto out;
not_loopback:
	(void)fprintf(stderr, "gceb-emulator: error: '%s' is not a loopback address\n", host);
	goto out;
bad:
	(void)fprintf(stderr, "gceb-emulator: error: bad --listen '%s', want ADDR:PORT\n",
		      listen_on);
out:
	if (fd >= 0)
		(void)close(fd);
	if (ai)
		freeaddrinfo(ai);
	return r;
}

static int write_port_file(const char *path, const char *root)
{
	char *tmp = emu_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int r = -1;

	if (!f)
		goto out;
	if (fprintf(f, "%s\n", root) < 0) {
		(void)fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		goto out;
	r = 0;
out:
	if (r < 0) {
		(void)fprintf(stderr, "gceb-emulator: error: cannot write '%s': %s\n", path,
			      strerror(errno));
		(void)unlink(tmp);
	}
	free(tmp);
	return r;
}

static void emu_init(struct emu *e)
{
	struct timespec ts;

	memset(e, 0, sizeof(*e));
	pthread_condattr_t ca;

	(void)pthread_mutex_init(&e->lock, NULL);
	/* operations.wait times its sleeps on the monotonic clock, as emu_now() */
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&e->changed, &ca);
	(void)pthread_condattr_destroy(&ca);
	e->seed = 1;
	e->scale = 1.0;
	e->log_cap = 10000;
	e->k.op_polls = 1;
	e->k.op_ms = 2000;
	e->k.op_retention_ms = 3600000;
	e->k.vm_step_ms = 1000;
	e->k.missing_template = 404;
	e->k.mp_cron_ms = 60000;
	e->k.metadata_ttl_s = 3599;
	e->k.token_ttl_s = 3600;
	e->start_wall = emu_real_ms();
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	e->start_mono = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emu_free(struct emu *e)
{
	emu_timers_clear(e);
	emu_gce_free(e);
	emu_mp_free(e);
	emu_auth_free(e);
	emu_luci_free(e);
	emu_fault_clear(e);
	emu_log_clear(e);
	free(e->log);
	free(e->heap);
	emu_schema_free(e);
	free(e->root);
	free(e->link_root);
	free(e->token_audience);
	free(e->compute_root);
	(void)pthread_cond_destroy(&e->changed);
	(void)pthread_mutex_destroy(&e->lock);
}

int main(int argc, char **argv)
{
	cJSON_Hooks hooks = { .malloc_fn = emu_xmalloc, .free_fn = free };
	struct opts o = { .listen = "127.0.0.1:0", .config_set = "services/gceb" };
	struct emu e;
	void *daemon = NULL;
	sigset_t set;
	size_t i;
	int fd = -1, sig, status = 1;

	cJSON_InitHooks(&hooks);
	emu_init(&e);
	if (parse_args(argc, argv, &e, &o) < 0)
		goto out;
	e.rng = e.seed;
	if (emu_schema_load(&e) < 0) {
		(void)fprintf(stderr, "gceb-emulator: error: embedded schema does not parse\n");
		goto out;
	}
	e.log = emu_xcalloc(e.log_cap, sizeof(*e.log));
	emu_gce_init(&e);
	emu_mp_init(&e);
	for (i = 0; i < o.nkeys; i++) {
		if (emu_auth_add_key_file(&e, o.keys[i]) < 0)
			goto out;
	}
	if (emu_luci_init(&e, o.config_dir, o.config_set) < 0)
		goto out;
	if (bind_loopback(o.listen, &fd, &e.root) < 0)
		goto out;
	if (emu_set_link_root(&e, o.link_root ? o.link_root : "https://www.googleapis.com/") < 0) {
		(void)fprintf(stderr,
			      "gceb-emulator: error: bad --link-root '%s', want an http(s) URL or "
			      "'self'\n",
			      o.link_root);
		goto out;
	}

	/* Threads started by MHD inherit this mask, so only sigwait() sees them. */
	(void)signal(SIGPIPE, SIG_IGN);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);

	daemon = emu_http_start(&e, fd, o.verbose);
	if (!daemon) {
		(void)fprintf(stderr, "gceb-emulator: error: cannot start the HTTP server\n");
		goto out;
	}
	fd = -1; /* MHD closes it */
	if (o.port_file && write_port_file(o.port_file, e.root) < 0)
		goto out;
	if (o.verbose)
		(void)fprintf(stderr, "gceb-emulator: info: serving on %s\n", e.root);
	(void)sigwait(&set, &sig);
	/* Long polls end now, so that MHD_stop_daemon() need not wait for them. */
	(void)pthread_mutex_lock(&e.lock);
	e.stopping = true;
	(void)pthread_cond_broadcast(&e.changed);
	(void)pthread_mutex_unlock(&e.lock);
	status = 0;
out:
	emu_http_stop(daemon);
	if (fd >= 0)
		(void)close(fd);
	emu_free(&e);
	return status;
}
