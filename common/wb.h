/*
 * wb.h -- the broker side of ward (untrusted, not verified): what
 * ward-broker, the ward CLI's run/revoke/policy commands and ward-call share.
 *
 *   corec.c    the broker's client of ward-core (Request over broker.sock)
 *   grant.c    capability blocks as an issuer builds them; hex; chains
 *   profile.c  the agent profile language (docs/profiles.md)
 *   broker.c   ward-broker: event loop, transactions, MCP front
 *   tools.c    the built-in tools (fs.*, exec argv encoding, memory)
 *   spawner.c  the unconfined helper that starts sandboxes for the broker
 *   (the broker's own confinement is common/priv.c, shared with ward-core)
 *   cmd_run.c  ward run / revoke / policy, and the audit query
 *   cmd_home.c ward stop / clean (cmd_ctl.h: the CLI's side of broker.ctl)
 */
#ifndef WARD_WB_H
#define WARD_WB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ward.h"

#define WB_WARN __attribute__((warn_unused_result))

/* ---- grant.c ------------------------------------------------------------- */

/* A block as its issuer builds it, and its sealed wire form. */
struct wb_blk {
	struct ward_block b;
	uint8_t raw[WARD_BLOCK_MAX];
	uint32_t len;
	uint8_t id[WARD_ID_BYTES];
};

/* A chain as the broker keeps it: wire blocks, root first. */
struct wb_chain {
	uint32_t n;
	struct wb_blk blk[WARD_CHAIN_MAX];
};

/* Encode b, compute its id, sign it with sk (the issuer's key). */
int wb_seal(struct wb_blk *x, const uint8_t sk[WARD_SK_BYTES]) WB_WARN;
/* Decode the wire bytes in x->raw/x->len into x->b and x->id. */
int wb_unseal(struct wb_blk *x) WB_WARN;

void wb_hex(char *out, const uint8_t *in, size_t n);	/* out: 2n+1 */
int wb_unhex(uint8_t *out, size_t n, const char *in) WB_WARN;
/* Variable length: returns the byte count or -1. */
long wb_unhex_var(uint8_t *out, size_t cap, const char *in) WB_WARN;

/* ---- corec.c --------------------------------------------------------------- */

#define WB_APR_MAX 400u

/* A reply of the core, flattened.  reason 0 is success; 1..39 are the
 * verified core's reasons, 100.. the process's (proto/README.md). */
struct wb_reply {
	int reason;
	char detail[256];
	uint64_t audit_pos;
	int has_context;
	uint8_t context[WARD_CTX_BYTES];
	int has_block_id;
	uint8_t block_id[WARD_ID_BYTES];
	int has_approval;
	uint8_t apr_msg[WB_APR_MAX];
	size_t apr_len;
	uint8_t apr_sig[64];
	int has_status;
	uint64_t st_records, st_approvals, st_uptime;
	uint32_t st_open, st_revoked;
	uint8_t st_head[32];
	/* approve of secret.use: the value sealed to ward-egress's key
	 * (EGW_SEALED_MAX, common/egw.h); opaque to everyone else */
	size_t sealed_len;
	uint8_t sealed[48 + 32 + 1024];
	uint64_t pending_id, pending_deadline;	/* reason deferred */
};

/* Every call: 0 when the core answered (see r->reason), -1 when it did not
 * (down, timeout): the caller must then refuse -- ward fails closed. */
int cc_connect(const char *url, int timeout_ms) WB_WARN;
void cc_disconnect(int s);
int cc_open_ctx(int s, const struct wb_chain *grant, struct wb_reply *r) WB_WARN;
int cc_approve(int s, const uint8_t ctx[WARD_CTX_BYTES],
	       const struct wb_chain *ch, unsigned op, const char *res,
	       const uint8_t digest[WARD_ID_BYTES], uint64_t nonce,
	       struct wb_reply *r) WB_WARN;
int cc_attenuate(int s, const struct wb_chain *ch, const struct wb_blk *child,
		 int open_child, struct wb_reply *r) WB_WARN;
int cc_close(int s, const uint8_t ctx[WARD_CTX_BYTES],
	     const struct wb_chain *ch, struct wb_reply *r) WB_WARN;
int cc_log(int s, const uint8_t ctx[WARD_CTX_BYTES], const char *text,
	   struct wb_reply *r) WB_WARN;
int cc_status(int s, struct wb_reply *r) WB_WARN;
/* The same Approve request as cc_approve, packed for an asynchronous
 * send (the broker keeps several in flight so that the core's group commit
 * can batch them); its length, or -1 if it does not fit.  And a Reply
 * received that way, unpacked: 0, or -1 if it is not one. */
long cc_pack_approve(uint8_t *buf, size_t cap, const uint8_t ctx[WARD_CTX_BYTES],
		     const struct wb_chain *ch, unsigned op, const char *res,
		     const uint8_t digest[WARD_ID_BYTES], uint64_t nonce) WB_WARN;
int cc_parse_reply(const uint8_t *buf, size_t len, struct wb_reply *r) WB_WARN;
/* The same LogEvent request as cc_log, packed for an asynchronous send. */
long cc_pack_log(uint8_t *buf, size_t cap, const uint8_t ctx[WARD_CTX_BYTES],
		 const char *text) WB_WARN;
/* The same, with the call's parameters (server/params.h: TOOL NUL JSON,
 * at most 4096 bytes; NULL for none), which the core shows the operator
 * when the call must wait for an answer (server/pending.h). */
int cc_approve_p(int s, const uint8_t ctx[WARD_CTX_BYTES],
		 const struct wb_chain *ch, unsigned op, const char *res,
		 const uint8_t digest[WARD_ID_BYTES], uint64_t nonce,
		 const uint8_t *params, size_t plen, struct wb_reply *r) WB_WARN;
long cc_pack_approve_p(uint8_t *buf, size_t cap,
		       const uint8_t ctx[WARD_CTX_BYTES],
		       const struct wb_chain *ch, unsigned op, const char *res,
		       const uint8_t digest[WARD_ID_BYTES], uint64_t nonce,
		       const uint8_t *params, size_t plen) WB_WARN;
/* The operator's requests on the admin socket, signed with sk. */
int cc_admin_revoke(const char *url, const uint8_t sk[WARD_SK_BYTES],
		    const uint8_t *ctx, const uint8_t *block_id,
		    struct wb_reply *r) WB_WARN;
int cc_admin_status(const char *url, const uint8_t sk[WARD_SK_BYTES],
		    struct wb_reply *r) WB_WARN;
/* The vault (ward secret): value sealed here to the core's key core_pk
 * (Ed25519, converted) so that it is never in the clear outside the CLI
 * and ward-core; list fills names (at most 64, each 64 + 1 bytes). */
int cc_admin_secret_set(const char *url, const uint8_t sk[WARD_SK_BYTES],
			const uint8_t core_pk[32], const char *name,
			const uint8_t *value, size_t len,
			struct wb_reply *r) WB_WARN;
int cc_admin_secret_rm(const char *url, const uint8_t sk[WARD_SK_BYTES],
		       const char *name, struct wb_reply *r) WB_WARN;
int cc_admin_secret_list(const char *url, const uint8_t sk[WARD_SK_BYTES],
			 char names[64][65], uint32_t *n,
			 struct wb_reply *r) WB_WARN;

/* What the core knows of contexts (ListContexts, admin socket): the
 * operator's CLI resolves sessions and grants through this, never through
 * the broker's list.  ctx NULL: every open context; else that context,
 * open or closed, and every context spawned from it.  block_id not NULL:
 * block_revoked says whether the core's revocation set holds it. */
#define WB_LIST_MAX 1024u
struct wb_ctxinfo {
	uint8_t context[WARD_CTX_BYTES];
	uint8_t parent[WARD_CTX_BYTES];
	uint8_t grant[WARD_ID_BYTES];
	uint8_t has_parent, open, grant_revoked;
};
struct wb_ctxlist {
	struct wb_reply r;
	uint32_t n;
	int truncated;
	int block_revoked;
	struct wb_ctxinfo c[WB_LIST_MAX];
};
/* 0 when the core answered (see out->r.reason), -1 when it did not or the
 * reply is not well formed (a field of the wrong length): never a guess. */
int cc_admin_list(const char *url, const uint8_t sk[WARD_SK_BYTES],
		  const uint8_t *ctx, const uint8_t *block_id,
		  struct wb_ctxlist *out) WB_WARN;
/* Deferred approvals (server/pending.h), on the admin socket: mark a
 * block 'ask' (ward run), list the calls waiting, answer one. */
int cc_admin_ask(const char *url, const uint8_t sk[WARD_SK_BYTES],
		 const uint8_t block_id[WARD_ID_BYTES], uint32_t deadline,
		 uint64_t not_after, struct wb_reply *r) WB_WARN;
int cc_admin_answer(const char *url, const uint8_t sk[WARD_SK_BYTES],
		    uint64_t id, int approve, struct wb_reply *r) WB_WARN;
#define WB_PEND_MAX 128u
struct wb_pendinfo {
	uint64_t id, nonce, created, deadline;
	uint32_t op, state;	/* state: 1 waiting, 2 approved, not used yet */
	uint8_t context[WARD_CTX_BYTES];
	uint8_t digest[WARD_ID_BYTES];
	uint8_t block_id[WARD_ID_BYTES];
	uint8_t resource[WARD_SCOPE_MAX];
	size_t rlen, plen;
	uint8_t params[4096];
};
struct wb_pendlist {
	struct wb_reply r;
	uint32_t n;
	struct wb_pendinfo c[WB_PEND_MAX];
};
/* 0 when the core answered (see out->r.reason), -1 when it did not or
 * the reply is not well formed. */
int cc_admin_pending(const char *url, const uint8_t sk[WARD_SK_BYTES],
		     struct wb_pendlist *out) WB_WARN;
/* Check that an approval covers this context, operation, resource, digest
 * and nonce and has not expired, and (core_pk not NULL) its signature
 * under the core's key. */
int cc_approval_ok(const struct wb_reply *r, const uint8_t core_pk[32],
		   const uint8_t ctx[WARD_CTX_BYTES], unsigned op,
		   const char *res, const uint8_t digest[WARD_ID_BYTES],
		   uint64_t nonce) WB_WARN;
const char *cc_reason_name(int reason);

/* ---- profile.c ------------------------------------------------------------- */

#define PF_MAX_CAPS 32
#define PF_MAX_ARGV 16
#define PF_MAX_EXEC 16

/* One capability a profile asks for: becomes one root block per run. */
struct pf_cap {
	char tool[48];		/* fs.read, fs.write, fs.list, fs.stat, exec,
				   memory.read, memory.write, echo, net ... */
	unsigned kind;		/* WARD_KIND_* */
	unsigned op;		/* WARD_OP_* the tool asks for */
	char scope[WARD_SCOPE_MAX + 1];
	uint32_t uses;
	uint64_t expires_s;	/* validity from the start of the run */
	int delegate;		/* may be handed on by spawn_child */
	uint32_t ask_s;		/* ask: each use waits this long at most for
				   the operator's answer; 0: no ask */
	int line;
};
/* `ask` alone: 5 minutes; `ask D`: at most a day (server/pending.h). */
#define PF_ASK_DEFAULT 300u
#define PF_ASK_MAX 86400u

struct pf_profile {
	char name[64];
	char path[512];		/* the profile file */
	char dir[4096];		/* its folder: bound at /agent */
	int argc;
	char argv[PF_MAX_ARGV][256];
	char workspace[512];	/* seed folder, "" for an empty workspace */
	int ncaps;
	struct pf_cap caps[PF_MAX_CAPS];
	uint64_t mem_bytes, tmp_bytes, time_ms;
	uint32_t pids, cpu;
	struct pf_llm {		/* the 'llm' line: the built-in llm.complete */
		int set;
		char api[16];		/* openai | anthropic */
		char dest[WARD_SCOPE_MAX + 1];	/* host:port */
		char model[128];
		char key[65];		/* the vault secret it authenticates with */
		uint32_t max_tokens;	/* a call's cap */
		uint64_t budget;	/* tokens (in and out) a transaction */
	} llm;
};

/* Parse the profile at path.  0, or -1 with err holding
 * "file:line:column: error: what\n  hint: how to fix it". */
int pf_load(const char *path, struct pf_profile *p, char *err, size_t errlen) WB_WARN;

/* The kind and op of a capability's tool name, as a profile makes it (the
 * allow tools, "secret", "llm.complete"): 0, or -1 for another name.  The
 * one table: the broker checks the capabilities it is handed with it. */
int pf_tool_op(const char *name, unsigned *kind, unsigned *op) WB_WARN;

/* Shared with the MCP gateway's profiles: a decimal number in 0..max, and
 * a duration (30s, 10m, 2h, 1d, or plain seconds; at most a year, not 0).
 * 0, or -1 if s is not one. */
int pf_parse_uint(const char *s, uint64_t max, uint64_t *out) WB_WARN;
int pf_parse_duration(const char *s, uint64_t *secs) WB_WARN;

/* The one lexer of ward's profile languages, the agents' (pf_load) and
 * the gateway's servers' (gw_profile_load, gw.h): lines of words split at
 * blanks, '#' at a word's start begins a comment, printable ASCII only,
 * at most PF_MAXW words a line; and the one error format,
 * "FILE:LINE:COL: error: WHAT\n  hint: HOW". */
#define PF_MAXW 64
struct pf_lexer {
	const char *file;
	int line;		/* of the last line read */
	char *err;
	size_t errlen;
};
/* The next line with words: 1 (w[0..*nw-1] point into line, col[] are
 * their 1-based columns), 0 at the end of the file, -1 with the error in
 * lx->err. */
int pf_next_line(struct pf_lexer *lx, FILE *f, char *line, size_t cap,
		 char **w, int *col, int *nw) WB_WARN;
/* Writes the error at column col of the current line; returns -1. */
int pf_error(struct pf_lexer *lx, int col, const char *hint,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The one parser of both languages: pf_parse_file reads the file with
 * the lexer above and hands each line to the directive of its first word
 * in the language's table.  A directive marked PF_RETIRED is a word of an
 * earlier ward, refused naming the one that replaced it; one marked
 * PF_IN_BLOCK is only read inside a block (the gateway's `server NAME`),
 * which a PF_OPENS_BLOCK directive opens.  The errors are the lexer's:
 * "FILE:LINE:COL: error: WHAT\n  hint: HOW". */
struct pf_parse;
#define PF_RETIRED 1u
#define PF_IN_BLOCK 2u
#define PF_OPENS_BLOCK 4u
struct pf_directive {
	const char *word;
	unsigned flags;
	/* 0, or -1 after pf_error; NULL for a retired word */
	int (*fn)(struct pf_parse *ps, char **w, const int *col, int nw);
	const char *now;	/* retired: the word to write instead */
	const char *hint;	/* retired: how to write it */
};
struct pf_lang {
	const char *what;	/* "profile", "gateway profile" */
	const char *doc;	/* where the language is described */
	const char *block;	/* the word that opens a block, or NULL */
	const struct pf_directive *d;	/* ends with a NULL word */
	const char *directives;	/* the hint for an unknown directive */
	/* after the last line: 0, or -1 after pf_error */
	int (*finish)(struct pf_parse *ps);
};
struct pf_parse {
	struct pf_lexer lx;
	const struct pf_lang *lang;
	char dir[4096];		/* the profile's folder, resolved */
	int in_block;
	void *st;		/* the language's own result */
};
int pf_parse_file(const char *path, const struct pf_lang *lang, void *st,
		  char *err, size_t errlen) WB_WARN;
/* 1 if the file is a gateway profile (a line whose first word is
 * `server`, as the lexer splits words), else 0. */
int pf_is_gateway(const char *path);

/* Pieces both languages' directives share. */
/* `run PROGRAM ARG...`: a program, at most max words after it, no quote
 * (words are split at blanks and quotes are not read).  0 or -1. */
int pf_run_words(struct pf_lexer *lx, char **w, const int *col, int nw,
		 int max) WB_WARN;
/* A net scope: HOST:PORT, a host of letters, digits, '.', '-' (or a
 * leading '*.', which callers refuse), the port 1 to 65535. */
int pf_net_scope_ok(const char *s);
/* The options after an allow line's tool and scope, from w[k] on: uses N
 * (1 to 1000000), expires D, and delegate where the language has it
 * (delegate not NULL).  0 or -1.  (The agent profile's `ask [D]` is read
 * by profile.c itself.) */
int pf_allow_opts(struct pf_lexer *lx, char **w, const int *col, int nw,
		  int k, uint32_t *uses, uint64_t *expires, int *delegate) WB_WARN;

/* The one table of limits, for both languages: limit memory SIZE (4M to
 * 64G), tmp SIZE (1M to 64G), pids N (2 to 4096), cpu PERCENT (1 to
 * 1600), and time D where the language has it (time_ms not NULL). */
struct pf_limits {
	uint64_t *mem_bytes, *tmp_bytes, *time_ms;
	uint32_t *pids, *cpu;
};
int pf_limit(struct pf_lexer *lx, char **w, const int *col, int nw,
	     struct pf_limits *l) WB_WARN;

/* ---- tools.c ---------------------------------------------------------------- */

/* The exec resource: program, then each argument percent-encoded so that
 * it is one canonical path component ("/usr/bin/wc/-l/notes.txt").  A
 * capability's scope "/usr/bin/wc/-l" then allows exactly argv that start
 * with wc -l.  0, or -1 if it does not fit in WARD_SCOPE_MAX. */
int wt_exec_resource(char *out, size_t cap, const char *const *argv, int argc) WB_WARN;

/* ---- spawner.c ------------------------------------------------------------ */

/* The broker confines itself after start-up; what needs root and mount
 * rights -- building a sandbox -- is done by the spawner, a child forked
 * before confinement that only takes these messages on a SOCK_SEQPACKET
 * pair.  The fds ride along with SCM_RIGHTS: [stdout, stderr, log, agent]
 * (agent only when has_agent_fd). */
/* The agent's workspace inside its sandboxes (and $HOME, $WARD_WORKSPACE):
 * the path that fs scopes name. */
#define WB_WORKSPACE "/workspace"

#define SP_SPAWN 1u
#define SP_KILL 2u
#define SP_EXITED 3u
#define SP_STARTED 4u
/* Start ward-egress (bin_dir/ward-egress --home home, both the spawner's
 * own, never the message's) with the one fd sent as its pair (fd 3).  The
 * spawner keeps root, so ward-egress can still drop to its own account;
 * it starts at most one at a time, and at most one a second.  No answer:
 * if it refuses, it closes the fd, and the broker's end reads EOF. */
#define SP_EGRESS 5u

/* How a sandbox ended (SP_EXITED): its command exited (code: the status,
 * 0-255, whole), was killed by a signal (code: the signal's number), ran
 * out of time, was killed on the broker's request, or never started. */
#define SP_END_EXIT 1
#define SP_END_SIGNAL 2
#define SP_END_TIMEOUT 3
#define SP_END_KILLED 4
#define SP_END_SETUP 5

/* The one reason of a connection that went around the egress proxy, on
 * every path (the sandbox's report, the audit log, ward sandbox). */
#define WB_REASON_PROXY_BYPASS "proxy_bypass"

/* An agent's environment: ward's nine, the proxy's eight. */
#define WB_ENV_MAX 28

/* ward-egress's interception CA of a transaction: the certificate the
 * broker writes in run/broker/ (sp_msg.ca names it), and where the
 * sandbox finds the bundle the spawner makes of it and the system's CAs
 * (docs/egress.md, "Interception"). */
#define WB_CA_PATH "/ward/ca.pem"

struct sp_msg {
	uint32_t op;
	uint32_t id;		/* the broker's job id */
	int32_t code;		/* SP_EXITED: see end */
	int32_t end;		/* SP_EXITED: SP_END_* */
	uint32_t blocked;	/* SP_EXITED: network attempts refused */
	int32_t pid;
	uint32_t has_agent_fd;
	uint32_t has_proxy_fd;	/* a 5th fd: where the proxy listener goes */
	uint32_t argc, nenv;
	char argv[PF_MAX_ARGV + 48][256];
	char env[WB_ENV_MAX][2304];	/* WARD_TASK may be long */
	char workspace[512];
	char agent_dir[512];
	char bin_dir[512];	/* holds ward-call; bound at /ward */
	char err[256];
	uint64_t mem_bytes, tmp_bytes, time_ms;
	uint32_t pids, cpu;
	/* Appended: ward-egress's CA for this sandbox's transaction, a file
	 * name in run/broker/ ("ca-SLOT-GEN.pem"), or empty. */
	char ca[64];
};

/* Fork the spawner; returns the broker's end of the pair, or -1.  It
 * starts sandboxes only over folders beneath home/work (workspace) and
 * home/agents (the agent's code), with bin_dir as /ward. */
int sp_start(pid_t *pid, const char *home, const char *bin_dir) WB_WARN;
/* Send a message with up to 5 fds. */
int sp_send(int s, const struct sp_msg *m, const int *fds, int nfds) WB_WARN;
/* Receive one; fds (up to 5) land in fds, *nfds says how many. */
int sp_recv(int s, struct sp_msg *m, int *fds, int *nfds) WB_WARN;

#endif
