/*
 * gw_int.h -- what the parts of ward-gateway share: its state (one
 * struct, G), the limits, and the functions one part calls in another.
 *
 *   gateway.c   the client's side (stdio or http.c), start-up, the loop
 *   upstream.c  the upstream servers: start, restart, messages, stop
 *   catalog.c   ward-core (context, approvals, log) and the catalog of
 *               pinned tools the client sees
 *
 * Not part of the verified core.
 */
#ifndef WARD_GW_INT_H
#define WARD_GW_INT_H

#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <jansson.h>

#include "gw.h"
#include "wb.h"
#include "outq.h"
#include "mcp.h"
#include "home.h"

#include "http.h"

#define MSG_MAX (64u << 20)	/* longest message, either way */

/* Writes to the client (stdout) and to each server's stdin go through a
 * bounded queue (outq.h) and never wait, so that no peer that stops
 * reading holds the gateway.  1 MiB unread is far past what a reader
 * leaves behind (a pipe holds 64 KiB more); at that point the gateway
 * reads nothing more that would answer to that peer.  Above the cap a
 * queue takes one message more at most (MSG_MAX, and room for what is
 * built from the line being handled); past that, a server is cut off and
 * the gateway stops rather than hold more for a client that does not read. */
#define GW_OUTQ_CAP (1u << 20)
#define GW_OUTQ_HARD (GW_OUTQ_CAP + MSG_MAX + (1u << 20))
/* A server whose input stays at the cap this long is cut off (reason
 * server_not_reading): one that reads at all drains a megabyte in
 * milliseconds. */
#define GW_STALL_MS 10000u
/* A server has this long to answer initialize and to list its tools
 * (again after each list_changed); past it, it is stopped and started
 * again. */
#define GW_START_S 30
/* The client's first tools/list and tools/call wait this long at most for
 * every server to start: a server that comes up later adds its tools
 * with notifications/tools/list_changed.  No server holds the others. */
#define GW_QUEUE_S 5
/* A server that stopped is started again after 1, 2, 4 ... 60 s; back to
 * 1 s once it has run (been ready) for a minute. */
#define GW_BACKOFF_MAX_S 60u
#define GW_BACKOFF_RESET_S 60

enum { ST_START, ST_INIT, ST_LISTING, ST_READY, ST_DEAD };
enum { PK_CALL = 1, PK_INIT, PK_LIST, PK_PING, PK_OTHER, PK_PLIST };
/* What a PK_CALL forwards for the client, and so how its answer comes
 * back: tools/call, prompts/get, resources/read, completion/complete,
 * resources/(un)subscribe intact (FW_PASS); resources/list and
 * resources/templates/list with the next page's cursor made the
 * gateway's (FW_RLIST, FW_TLIST); tasks/get, tasks/cancel, tasks/result
 * with the task's id made the gateway's (FW_TASK), tasks/list the same
 * for each task and its cursor (FW_TASKS).  A tools/call's task (its
 * CreateTaskResult) gets a gateway id too (task_out). */
enum { FW_PASS = 0, FW_RLIST, FW_TLIST, FW_TASK, FW_TASKS };

struct tool {
	int srv;
	char *up_name;		/* the server's name for it */
	json_t *def;		/* as offered to the client (prefixed name) */
};

struct upstream {
	struct gw_server *cfg;
	pid_t pid;		/* the supervisor (ward_sb_run) */
	int in, out;		/* its stdin (we write), its stdout (we read) */
	int err;		/* its stderr (we print it, escaped) */
	char ebuf[1024];	/* a line of it not finished yet */
	size_t elen;
	struct mcp_in rb;
	int state;
	int64_t next_id;
	json_t *tools;		/* as listed by the server (all pages) */
	json_t *listing;	/* pages being collected */
	int relist;		/* list_changed came during a listing */
	time_t started;
	time_t deadline;	/* ST_INIT, ST_LISTING: stopped after this */
	time_t ready_at;	/* when it last became ST_READY */
	time_t restart_at;	/* ST_DEAD: started again then (0: never) */
	unsigned backoff;	/* the next restart's delay, seconds */
	unsigned starts;
	char *instructions;	/* from its initialize result, or NULL */
	int logs;		/* it declared the logging capability */
	json_t *caps;		/* its capabilities (initialize), or NULL */
	json_t *prompts;	/* its prompts as listed (all pages), or NULL */
	json_t *plisting;	/* prompt pages being collected */
	int prelist;		/* prompts list_changed during a listing */
	int tools_next;		/* start-up: its tools are listed after its
				   prompts */
	/* Which resources are its, for routing a URI (catalog.c,
	 * resource_owner): the URIs and the URI templates it listed to the
	 * client, and the URIs the client subscribed to at it. */
	json_t *uris, *tmpls, *subs;
	struct outq q;		/* its input, not read by it yet */
	int overflow;		/* a message would pass GW_OUTQ_HARD */
	/* Its requests of the client (roots, sampling, elicitation, others)
	 * logged this minute: at most GW_SREQ_LOG_MAX, then one line. */
	time_t sreq_minute;
	unsigned sreq_logged, sreq_unlogged;
	/* capability chains, one per allow line */
	struct wb_chain ch[GW_MAX_ALLOW];
};

/* A request the gateway sent upstream. */
struct pend {
	int used, kind, srv, cancelled;
	int64_t up_id;
	json_t *client_id;	/* PK_CALL: the client's id */
	json_t *client_tok;	/* its progressToken, or NULL */
	int64_t tok;		/* the token the server got */
	char *tool;		/* PK_CALL: the name the client called (or the
				   resource it reads) */
	const char *what;	/* PK_CALL: the method ("tools/call", ...) */
	int fwd;		/* PK_CALL: FW_* */
	time_t deadline;	/* PK_CALL: answered with an error after this */
	time_t last;		/* PK_CALL: the deadline progress cannot pass */
	int unmatched;		/* PK_CALL: while it waited, its server sent
				   an answer over MSG_MAX whose call could not
				   be told (too_long_answer) */
};

/* A request a server sent the client through us. */
struct sreq {
	int used, srv;
	int64_t gw_id;
	json_t *up_id;
};

/* Everything the gateway holds; one instance, G (gateway.c). */
struct gw_state {
	struct gw_profile *p;
	struct ward_home h;
	struct gw_pins pins;
	struct upstream up[GW_MAX_SERVERS];
	int nup;
	struct pend *pend;
	size_t npend;
	struct sreq *sreq;
	size_t nsreq;
	int64_t next_tok, next_sreq;
	struct mcp_in in;
	int out;
	int http;		/* the client speaks Streamable HTTP (http.h) */
	struct outq cq;		/* to the client, not read by it yet */
	int held;		/* lines left unhandled while cq is at its cap */
	int client_init;
	json_t *client_caps;
	json_t *init_reply;	/* the client's initialize, answered once the
				   servers are up (their instructions) */
	json_t *queued;		/* client requests that wait for start-up */
	time_t t0;		/* start-up: queued requests wait GW_QUEUE_S */
	int released;		/* the client's requests are served */
	char log_level[16];	/* logging/setLevel's, "" if none yet */
	/* the catalog the client sees */
	struct tool *tools;
	size_t ntools;
	struct tool *prompts;	/* the same for prompts (def: the prompt) */
	size_t nprompts;
	uint8_t prompts_sig[32];	/* of the offered prompts: changed? */
	uint8_t cursor_key[32];	/* MACs the list cursors it gives out */
	/* Tasks (2025-11-25): the gateway's id "ward-task-N" of each task a
	 * server created for the client -> [server, the server's id]. */
	json_t *tasks;
	int64_t next_task;
	/* ward-core */
	int core_s;
	int ctx_open;
	uint8_t ctx[WARD_CTX_BYTES];
	uint8_t hold_pk[32];
	uint64_t nonce;
	volatile sig_atomic_t stop;
};
extern struct gw_state G;

/* One JSON-RPC error, in the one shape of mcp.h. */
#define client_error(id, code, ...) to_client(mcp_error((id), (code), __VA_ARGS__))

/* A refusal is a tool result with isError, as the broker gives it
 * (mcp.h); pos 0: not logged. */
#define client_refusal(id, reason, pos, ...) \
	client_result((id), mcp_refusal(1, (reason), (pos), (pos) != 0, __VA_ARGS__))

/* gateway.c */
/* The gateway's clock for its timers (a call's deadline, a server's
 * start, restart and backoff, start-up's wait), in seconds:
 * CLOCK_MONOTONIC, which no change of the time of day moves (an
 * approval's expiry is the time of day, as ward-core signs it). */
time_t gw_now(void);
void to_client(json_t *m);
void flush_queue(void);
void client_result(json_t *id, json_t *result);
/* upstream.c */
void server_stderr(struct upstream *u, int eof);
int server_stderr_read(struct upstream *u);
void server_input_lost(struct upstream *u);
void to_server(struct upstream *u, json_t *m);
struct pend *pend_new(int kind, int srv);
void pend_free(struct pend *p);
void server_request(int srv, int kind, const char *method, json_t *params);
int start_server(int idx);
void list_changed(void);
/* 1 once the client has the answer to its initialize: notifications go
 * to it only then (none may come before that answer). */
int client_live(void);
void prompts_fetch(int s);
void server_dead(int s, const char *why);
void server_restart(int s, time_t now);
void server_cut(int s);
int queue_open(void);
void server_read(int s);
void shutdown_servers(void);
/* catalog.c */
int core_ready(void);
uint64_t core_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int approve(json_t *id, struct upstream *u, const char *up_name, json_t *args);
/* The approval of op (WARD_OP_RESOURCE_READ, WARD_OP_PROMPT_GET) of res,
 * bound to args, for method: 0 approved; -1 refused, the client told
 * with an error (mcp_refused) that says what and why. */
int approve_read(json_t *id, struct upstream *u, uint8_t op, const char *res,
		 json_t *args, const char *method);
/* The server that owns uri, or -1 with the client told why. */
int resource_owner(json_t *id, const char *method, const char *uri);
/* Server s is up and declared the capability cap ("resources", ...). */
int server_has(int s, const char *cap);
/* Server s is up and lists its tasks (tasks/list). */
int server_lists_tasks(int s);
/* The gateway's cursor for method's page at server s, whose own cursor
 * is up (NULL: its first page): malloc'd, or NULL (up too long). */
char *cursor_make(const char *method, int s, const char *up);
/* A cursor this gateway gave for method: 0, the server in *s and its
 * cursor in *up (malloc'd, NULL for its first page); -1 not ours. */
int cursor_read(const char *method, const char *c, int *s, char **up);
/* A server's task object (taskId) on its way to the client: its id made
 * the gateway's, new if create (a tools/call's CreateTaskResult); 0, or
 * -1 if not a task of this gateway's (then it is not passed on). */
int task_out(int s, json_t *task, int create);
/* The server and its id of the gateway's task id; -1 if unknown. */
int task_in(const char *gid, const char **up);
/* The offered prompt (G.prompts) of the client's name, or -1. */
long prompt_find(const char *name);
/* A server's prompts listing, checked like tools (tools_checked). */
json_t *prompts_checked(const struct upstream *u, json_t *listed);
void catalog_build(void);
json_t *tools_checked(const struct upstream *u, json_t *listed);
void pins_check(void);

#endif /* WARD_GW_INT_H */
