/*
 * ward_cli.h -- the commands of the ward CLI, their exit statuses, and the
 * helpers every command uses to read its options (cli/cli.c).
 *
 * A part that implements "ward NAME" defines  int cmd_NAME(int argc,
 * char **argv)  (argv[0] is NAME), returns one of the WX_* statuses
 * below, and adds its object to WARD_CLI_OBJS in its make fragment.
 * Adding a command: one line in WARD_COMMANDS.  Operator-side, not part
 * of the verified core.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <getopt.h>
#include <stdio.h>

#define WARD_COMMANDS \
	WARD_CMD(init, "create a ward home: the operator key, the core key, the audit log") \
	WARD_CMD(run, "run an agent task under a fresh context") \
	WARD_CMD(audit, "query and verify the audit log") \
	WARD_CMD(status, "show the core, the broker and the sessions open") \
	WARD_CMD(revoke, "revoke a session or a capability") \
	WARD_CMD(secret, "store, list and remove secrets in the core's vault") \
	WARD_CMD(pending, "list the calls that wait for the operator's answer") \
	WARD_CMD(approve, "approve one call that waits for the operator") \
	WARD_CMD(deny, "deny one call that waits for the operator") \
	WARD_CMD(stop, "stop the broker and the core of a ward home") \
	WARD_CMD(clean, "remove the state of finished sessions") \
	WARD_CMD(policy, "check an agent profile") \
	WARD_CMD(mcp, "serve as an MCP gateway to sandboxed servers") \
	WARD_CMD(sandbox, "run one command in a fresh sandbox") \
	WARD_CMD(version, "print the version of ward")

#define WARD_CMD(name, summary) int cmd_##name(int argc, char **argv);
WARD_COMMANDS
#undef WARD_CMD

/* The exit statuses: common/exits.h (ward-gateway, started by ward mcp,
 * exits with them too). */
#include "exits.h"

/* The release, defined once in the GNUmakefile (WARD_RELEASE). */
#ifndef WARD_RELEASE
#define WARD_RELEASE "unknown"
#endif

/* Prints the exit-status table (for 'ward --help'). */
void cli_exit_table(FILE *f);

/* A usage error of "ward CMD": one line that names what is wrong, then
 * "try 'ward CMD --help'", on stderr.  Returns WX_USAGE.  The message is
 * escaped whole (it names words the user typed). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* getopt_long() for "ward CMD": resets getopt's state on its first call
 * for an argv it has not seen last (optind = 0), never prints getopt's own messages, and on an
 * unknown option or a missing value prints one cli_usage_error() line
 * naming the option and the options expected, then returns CLI_BADOPT.
 * shortopts may begin with '+' (stop at the first word that is not an
 * option: for a command line that follows).  Callers loop until -1. */
#define CLI_BADOPT (-2)
int cli_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
	       const struct option *longopts);

/* A bad positional argument: "ward CMD: unexpected
 * argument 'WORD'; expected USAGE" and the try line.  Returns WX_USAGE. */
int cli_extra_arg(const char *cmd, const char *word, const char *expected);

/* The folder that holds ward's daemons and ward-call: beside the running
 * binary (the build tree: build/), else PREFIX/lib/ward for a binary in
 * PREFIX/bin (make install).  0, or -1 when neither holds prog. */
int cli_libexec(const char *prog, char *dir, size_t cap);

#endif
