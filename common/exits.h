/*
 * exits.h -- the exit statuses of ward's programs: every ward command and
 * ward-gateway, which ward mcp becomes.
 */
#ifndef WARD_EXITS_H
#define WARD_EXITS_H

/*
 * The exit statuses of every ward command: one number, one meaning,
 * whatever the command.  'ward --help' prints this table and
 * docs/broker.md repeats it.  'ward sandbox' passes its command's own
 * status through (so 124 and 128+N are the command's there, as with
 * timeout(1)), and keeps 125 for a sandbox that could not be set up.
 */
#define WARD_EXITS \
	WX(WX_OK, 0, "success") \
	WX(WX_FAILED, 1, "did not succeed: the agent exited non-zero; the audit log does not verify; any other failure (named on stderr)") \
	WX(WX_USAGE, 2, "usage error: the offending word is named on stderr") \
	WX(WX_HOME, 3, "no usable ward home (run 'ward init', or give --home)") \
	WX(WX_INPUT, 4, "bad input: a profile that does not check, no such id, an unsafe or already initialised home") \
	WX(WX_UNAVAILABLE, 5, "ward-core or ward-broker cannot be reached") \
	WX(WX_REFUSED, 6, "refused by ward-core, or not confirmed by it") \
	WX(WX_KILLED, 7, "the agent was ended: a signal, its time limit, revocation, cut off, or ward run interrupted (SIGINT, SIGTERM, SIGHUP)") \
	WX(WX_UNREADABLE, 8, "a file ward was given cannot be read (missing, or no permission)") \
	WX(WX_SETUP, 125, "the sandbox could not be set up; nothing ran")

enum ward_exit {
#define WX(name, code, what) name = code,
	WARD_EXITS
#undef WX
};

#endif
