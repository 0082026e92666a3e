/*
 * cli.c -- what every ward command shares: its usage errors, its option
 * reader and the place of ward's daemons (cli/ward_cli.h).
 * Operator-side, not part of the verified core.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ward_cli.h"
#include "text.h"

void
cli_exit_table(FILE *f)
{
#define WX(name, code, what) fprintf(f, "  %3d  %s\n", code, what);
	WARD_EXITS
#undef WX
}

static void
try_line(const char *cmd)
{
	fprintf(stderr, "try 'ward %s --help'\n", cmd);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	snprintf(prefix, sizeof prefix, "ward %s: ", cmd);
	va_start(ap, fmt);
	text_vline(stderr, prefix, fmt, ap);
	va_end(ap);
	try_line(cmd);
	return WX_USAGE;
}

int
cli_extra_arg(const char *cmd, const char *word, const char *expected)
{
	return cli_usage_error(cmd, "unexpected argument '%s'; expected %s",
			       word, expected);
}

/* "--home DIR, --quiet, --help" from the long options. */
static void
expected(char *out, size_t cap, const struct option *lo)
{
	size_t n = 0;

	out[0] = '\0';
	for (; lo != NULL && lo->name != NULL && n + 1 < cap; lo++) {
		int w = snprintf(out + n, cap - n, "%s--%s%s", n ? ", " : "",
				 lo->name, lo->has_arg == required_argument ?
				 " VALUE" : "");

		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
}

int
cli_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
	   const struct option *longopts)
{
	static char **last;
	char so[128], exp[1024];
	const char *word;
	int c, plus = shortopts[0] == '+';

	if (argv != last) {
		last = argv;
		optind = 0;
	}
	opterr = 0;
	snprintf(so, sizeof so, "%s:%s", plus ? "+" : "", shortopts + plus);
	c = getopt_long(argc, argv, so, longopts, NULL);
	if (c == -1)
		last = NULL;
	if (c != '?' && c != ':')
		return c;
	last = NULL;
	/* The word at fault: the short option, else the whole word read. */
	word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	expected(exp, sizeof exp, longopts);
	if (c == ':') {
		if (optopt != 0 && word[0] == '-' && word[1] != '-')
			cli_usage_error(cmd, "option '-%c' needs a value", optopt);
		else
			cli_usage_error(cmd, "option '%s' needs a value", word);
	} else if (optopt != 0 && !(word[0] == '-' && word[1] == '-')) {
		cli_usage_error(cmd, "unknown option '-%c'; expected one of %s",
				optopt, exp);
	} else {
		cli_usage_error(cmd, "unknown option '%s'; expected one of %s",
				word, exp);
	}
	return CLI_BADOPT;
}

int
cli_libexec(const char *prog, char *dir, size_t cap)
{
	char exe[PATH_MAX], p[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *s;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	s = strrchr(exe, '/');
	if (s == NULL)
		return -1;
	*s = '\0';
	/* The build tree, or a folder that holds everything. */
	snprintf(p, sizeof p, "%s/%s", exe, prog);
	if (access(p, X_OK) == 0 && strlen(exe) < cap) {
		snprintf(dir, cap, "%s", exe);
		return 0;
	}
	/* make install: PREFIX/bin/ward and PREFIX/lib/ward/PROG. */
	s = strrchr(exe, '/');
	if (s == NULL || strcmp(s, "/bin") != 0)
		return -1;
	*s = '\0';
	snprintf(p, sizeof p, "%s/lib/ward/%s", exe, prog);
	if (access(p, X_OK) != 0 || strlen(exe) + 9 >= cap)
		return -1;
	snprintf(dir, cap, "%s/lib/ward", exe);
	return 0;
}
