/*
 * ward.c -- the ward command line: dispatches "ward NAME ..." to the
 * cmd_NAME() of the part that implements it.  Each part links its
 * commands into build/ward through its make fragment (WARD_CLI_OBJS); a
 * command whose part is not in this build says so instead of pretending.
 */
#include <stdio.h>
#include <string.h>

#include "ward_cli.h"

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
usage(FILE *f)
{
	fprintf(f, "usage: ward COMMAND [ARGS]\n\ncommands in this build:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn != NULL)
			fprintf(f, "  %-10s %s\n", commands[i].name,
			    commands[i].summary);
	fprintf(f, "\n'ward COMMAND --help' describes each command.\n");
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[1]) != 0)
			continue;
		if (commands[i].fn == NULL) {
			fprintf(stderr, "ward: '%s' is not part of this build "
			    "(its part was not compiled in)\n", argv[1]);
			return 2;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "ward: unknown command '%s'; 'ward --help' lists the "
	    "commands\n", argv[1]);
	return 2;
}
