/* SPDX-License-Identifier: Apache-2.0 */
/* opt.c - one option parser for every binary, driven by tables */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gceb/err.h"
#include "gceb/opt.h"

/* Long options without a short letter get codes above the char range. */
#define LONG_ONLY_BASE 0x1000
#define MAX_OPTS       64

static size_t count(const struct gceb_opt *t)
{
	size_t n = 0;

	while (t && t[n].type != GCEB_OPT_TYPE_END)
		n++;
	return n;
}

static int parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	/* strtoul would take leading blanks and a sign. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end || v > UINT_MAX)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int store_value(const struct gceb_opt *o, const char *arg, struct gceb_err *err)
{
	switch (o->type) {
	case GCEB_OPT_TYPE_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case GCEB_OPT_TYPE_COUNT:
		++*(int *)o->dest;
		return 0;
	case GCEB_OPT_TYPE_STRING:
		if (!*arg)
			return gceb_err_set(err, GCEB_EUSAGE, "option --%s needs a non-empty %s",
					    o->long_name, o->arg_name);
		*(const char **)o->dest = arg;
		return 0;
	case GCEB_OPT_TYPE_UINT:
		if (parse_uint(arg, (unsigned int *)o->dest) < 0)
			return gceb_err_set(err, GCEB_EUSAGE,
					    "option --%s takes a whole number, not '%s'",
					    o->long_name, arg);
		return 0;
	case GCEB_OPT_TYPE_END:
		break;
	}
	return gceb_err_set(err, GCEB_EBUG, "bad option table entry --%s", o->long_name);
}

int gceb_opt_parse(const struct gceb_opt *const *tables, int argc, char **argv, int *first_operand,
		   struct gceb_err *err)
{
	const struct gceb_opt *all[MAX_OPTS];
	struct option longopts[MAX_OPTS + 1];
	char shortopts[2 * MAX_OPTS + 3];
	size_t n = 0, s = 0, i, t;
	int c;

	for (t = 0; tables[t]; t++) {
		size_t m = count(tables[t]);

		if (n + m > MAX_OPTS)
			return gceb_err_set(err, GCEB_EBUG, "too many options");
		for (i = 0; i < m; i++)
			all[n++] = &tables[t][i];
	}
	/* '+' stops at the first operand; ':' makes a missing argument distinguishable. */
	shortopts[s++] = '+';
	shortopts[s++] = ':';
	for (i = 0; i < n; i++) {
		const struct gceb_opt *o = all[i];
		bool has_arg = o->type == GCEB_OPT_TYPE_STRING || o->type == GCEB_OPT_TYPE_UINT;

		longopts[i] =
			(struct option){ o->long_name, has_arg ? required_argument : no_argument,
					 NULL,
					 o->short_name ? o->short_name : LONG_ONLY_BASE + (int)i };
		if (o->short_name) {
			shortopts[s++] = (char)o->short_name;
			if (has_arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s] = '\0';

	opterr = 0;
	/*
	 * 0, not 1: glibc then also forgets where it was inside a cluster of
	 * short options ("-xv") when the previous parse stopped there.
	 */
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct gceb_opt *o = NULL;
		int r;

		if (c == '?') {
			const char *arg = argv[optind - 1];

			/* getopt_long sets optopt to the flag's code for "--flag=value". */
			if (optopt && strncmp(arg, "--", 2) == 0)
				return gceb_err_set(err, GCEB_EUSAGE,
						    "option '%.*s' takes no value",
						    (int)strcspn(arg, "="), arg);
			if (optopt)
				return gceb_err_set(err, GCEB_EUSAGE, "unknown option '-%c'",
						    optopt);
			return gceb_err_set(err, GCEB_EUSAGE, "unknown option '%s'",
					    argv[optind - 1]);
		}
		if (c == ':')
			return gceb_err_set(err, GCEB_EUSAGE, "option '%s' needs a value",
					    argv[optind - 1]);
		for (i = 0; i < n && !o; i++)
			if (longopts[i].val == c)
				o = all[i];
		if (!o)
			return gceb_err_set(err, GCEB_EBUG, "unmapped option %d", c);
		r = store_value(o, optarg, err);
		if (r < 0)
			return r;
	}
	*first_operand = optind;
	return 0;
}

static void print_table(const struct gceb_opt *t)
{
	size_t i, n = count(t);

	for (i = 0; i < n; i++) {
		char left[64];
		const struct gceb_opt *o = &t[i];

		if (o->short_name)
			(void)snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
				       o->long_name, o->arg_name ? " " : "",
				       o->arg_name ? o->arg_name : "");
		else
			(void)snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
				       o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		(void)printf("  %-26s %s\n", left, o->help);
	}
}

void gceb_opt_print_help(const struct gceb_opt *const *tables)
{
	size_t n = 0;

	while (tables[n])
		n++;
	while (n > 0)
		print_table(tables[--n]);
}
