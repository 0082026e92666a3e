/*
 * ward.c -- the ward command line: dispatches "ward NAME ..." to the
 * cmd_NAME() of the part that implements it.  Each part links its
 * commands into build/ward through its make fragment (WARD_CLI_OBJS); a
 * command whose part is not in this build says so instead of pretending.
 */
#include <stdio.h>
#include <string.h>

#include "ward_cli.h"
#include "text.h"

/* Weak: a part that is not linked in leaves its entry NULL. */
#define WARD_CMD(name, summary) int cmd_##name(int, char **) __attribute__((weak));
WARD_COMMANDS
#undef WARD_CMD

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
#define WARD_CMD(name, summary) { #name, cmd_##name, summary },
	WARD_COMMANDS
#undef WARD_CMD
};

static int
usage(void)
{
	printf("usage: ward COMMAND [ARGS]\n       ward --version\n\n"
	       "commands in this build:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn != NULL)
			printf("  %-10s %s\n", commands[i].name,
			       commands[i].summary);
	printf("\n'ward COMMAND --help' describes each command.  The ward home is\n"
	       "--home DIR, else $WARD_HOME, else /var/lib/ward.\n\n"
	       "exit status, the same for every command:\n");
	cli_exit_table(stdout);
	return WX_OK;
}

int
cmd_version(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = cli_getopt(argc, argv, "version", "h", lo)) != -1) {
		if (c == 'h') {
			printf("usage: ward version (or ward --version)\n\n"
			       "Prints the release of ward.\n");
			return WX_OK;
		}
		return WX_USAGE;
	}
	if (optind < argc)
		return cli_extra_arg("version", argv[optind], "nothing");
	printf("ward %s\n", WARD_RELEASE);
	return WX_OK;
}

int
main(int argc, char **argv)
{
	char b[256];

	if (argc < 2) {
		fprintf(stderr, "ward: no command given; expected one of the "
			"commands 'ward --help' lists\n");
		return WX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage();
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		char *av[] = { "version", NULL };

		return cmd_version(1, av);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[1]) != 0)
			continue;
		if (commands[i].fn == NULL) {
			fprintf(stderr, "ward: '%s' is not part of this build "
				"(its part was not compiled in)\n", argv[1]);
			return WX_USAGE;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "ward: unknown %s '%s'; expected a command that 'ward "
		"--help' lists\n", argv[1][0] == '-' ? "option" : "command",
		text_str(b, sizeof b, argv[1]));
	return WX_USAGE;
}
