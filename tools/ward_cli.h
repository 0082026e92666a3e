/*
 * ward_cli.h -- the commands of the ward CLI.  A part that implements
 * "ward NAME" defines  int cmd_NAME(int argc, char **argv)  (argv[0] is
 * NAME), returns the exit status, and adds its object to WARD_CLI_OBJS in
 * its make fragment.  Adding a command: one line here, one in summary()
 * in tools/ward.c.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#define WARD_COMMANDS \
	WARD_CMD(init) \
	WARD_CMD(audit) \
	WARD_CMD(sandbox) \
	WARD_CMD(run) \
	WARD_CMD(mcp) \
	WARD_CMD(cap) \
	WARD_CMD(revoke) \
	WARD_CMD(policy) \
	WARD_CMD(status)

#define WARD_CMD(name) int cmd_##name(int argc, char **argv);
WARD_COMMANDS
#undef WARD_CMD

#endif
