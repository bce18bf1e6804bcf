/* SPDX-License-Identifier: Apache-2.0 */
/* opt.h - declarative command-line options on top of getopt_long */
#ifndef GCEB_OPT_H
#define GCEB_OPT_H

#include <stdbool.h>

enum gceb_opt_type {
	GCEB_OPT_TYPE_END = 0,
	GCEB_OPT_TYPE_FLAG,   /* bool, set to true */
	GCEB_OPT_TYPE_COUNT,  /* int, incremented each time */
	GCEB_OPT_TYPE_STRING, /* const char *, borrowed from argv */
	GCEB_OPT_TYPE_UINT,   /* unsigned int, strictly parsed */
};

struct gceb_opt {
	enum gceb_opt_type type;
	int short_name; /* 0 if none */
	const char *long_name;
	void *dest;
	const char *arg_name; /* "N", "DIR"; NULL for flags */
	const char *help;     /* lower case, no period */
};

/* clang-format off */
#define GCEB_OPT_FLAG(s, l, d, h)      { GCEB_OPT_TYPE_FLAG, (s), (l), (bool *)(d), NULL, (h) }
#define GCEB_OPT_COUNT(s, l, d, h)     { GCEB_OPT_TYPE_COUNT, (s), (l), (int *)(d), NULL, (h) }
#define GCEB_OPT_STRING(s, l, d, a, h) { GCEB_OPT_TYPE_STRING, (s), (l), (const char **)(d), (a), (h) }
#define GCEB_OPT_UINT(s, l, d, a, h)   { GCEB_OPT_TYPE_UINT, (s), (l), (unsigned int *)(d), (a), (h) }
#define GCEB_OPT_END                   { GCEB_OPT_TYPE_END, 0, NULL, NULL, NULL, NULL }
/* clang-format on */

struct gceb_err;

/*
 * Parse @argv against the option tables in @tables (a NULL-terminated list
 * of GCEB_OPT_END-terminated tables), stopping at the first operand. On
 * success *@first_operand is the index of the first operand. Returns 0 or
 * GCEB_EUSAGE with the reason in @err.
 */
int gceb_opt_parse(const struct gceb_opt *const *tables, int argc, char **argv, int *first_operand,
		   struct gceb_err *err);

/* Print the option tables, last table first, as the OPTIONS part of --help. */
void gceb_opt_print_help(const struct gceb_opt *const *tables);

#endif
