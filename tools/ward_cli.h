/*
 * ward_cli.h -- the commands of the ward CLI.  A part that implements
 * "ward NAME" defines  int cmd_NAME(int argc, char **argv)  (argv[0] is
 * NAME), returns the exit status, and adds its object to WARD_CLI_OBJS in
 * its make fragment.  Adding a command: one line here.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#define WARD_COMMANDS \
	WARD_CMD(init, "create the operator key and the state folder") \
	WARD_CMD(audit, "query and verify the audit log") \
	WARD_CMD(sandbox, "run one command in a fresh sandbox") \
	WARD_CMD(run, "run an agent task under a fresh context") \
	WARD_CMD(mcp, "serve as an MCP gateway to sandboxed servers") \
	WARD_CMD(cap, "issue, attenuate, list and revoke capabilities") \
	WARD_CMD(revoke, "revoke a session or a capability") \
	WARD_CMD(policy, "check an agent profile") \
	WARD_CMD(status, "show the core, the broker, live contexts and host features")

#define WARD_CMD(name, summary) int cmd_##name(int argc, char **argv);
WARD_COMMANDS
#undef WARD_CMD

#endif
