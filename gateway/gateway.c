/*
 * gateway.c -- ward mcp: an MCP server on stdio (protocol revision
 * 2025-11-25) that fronts the upstream MCP servers of a profile, each in
 * a ward sandbox of its own.  Every tools/call is a capability request
 * that ward-core approves or refuses (and logs) before it reaches a
 * server; tool definitions are pinned by hash (gw_pins.c).
 *
 * One poll loop: the client on fds 0/1, and per server the pipes to its
 * stdin/stdout (its stderr is ours).  Ids are rewritten both ways: the
 * gateway numbers every request it sends, and maps the answers back.
 * Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include <sodium.h>

#include "gw.h"
#include "wb.h"
#include "outq.h"
#include "mcp.h"
#include "home.h"
#include "client.h"
#include "sandbox.h"
#include "text.h"
#include "exits.h"
#include "handoff.h"
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
 * 1 s once it has run for a minute. */
#define GW_BACKOFF_MAX_S 60u


/* ---- state ---------------------------------------------------------------- */

enum { ST_START, ST_INIT, ST_LISTING, ST_READY, ST_DEAD };
enum { PK_CALL = 1, PK_INIT, PK_LIST, PK_PING };

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
	struct outq q;		/* its input, not read by it yet */
	int overflow;		/* a message would pass GW_OUTQ_HARD */
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
	char *tool;		/* PK_CALL: the name the client called */
	time_t deadline;	/* PK_CALL: answered with an error after this */
	time_t last;		/* PK_CALL: the deadline progress cannot pass */
};

/* A request a server sent the client through us. */
struct sreq {
	int used, srv;
	int64_t gw_id;
	json_t *up_id;
};

static struct {
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
	/* the catalog the client sees */
	struct tool *tools;
	size_t ntools;
	/* ward-core */
	int core_s;
	int ctx_open;
	uint8_t ctx[WARD_CTX_BYTES];
	uint8_t hold_pk[32];
	uint64_t nonce;
	volatile sig_atomic_t stop;
} G;

void
gw_note(const char *fmt, ...)
{
	va_list ap;

	if (getenv("WARD_MCP_QUIET") != NULL)
		return;
	/* Escaped whole (common/text.h): messages carry tool names and
	 * reasons that servers and the core chose. */
	va_start(ap, fmt);
	text_vline(stderr, "ward mcp: ", fmt, ap);
	va_end(ap);
}

/* What a server writes on its stderr, one line of ours per line of its,
 * named and escaped: a server cannot write to the terminal (or the MCP
 * client's log) anything that reads as ours or that a terminal obeys.
 * eof: print what is left of an unfinished line. */
static void
server_stderr(struct upstream *u, int eof)
{
	char *nl;
	size_t n;

	for (;;) {
		nl = memchr(u->ebuf, '\n', u->elen);
		if (nl != NULL)
			n = (size_t)(nl - u->ebuf);
		else if (u->elen == sizeof u->ebuf || (eof && u->elen > 0))
			n = u->elen;
		else
			return;
		fprintf(stderr, "ward mcp: server %s: ", u->cfg->name);
		(void)text_fwrite(u->ebuf, n, 0, stderr);
		fputc('\n', stderr);
		if (nl != NULL)
			n++;
		u->elen -= n;
		memmove(u->ebuf, u->ebuf + n, u->elen);
	}
}

/* Read what a server's stderr holds now, 16 KiB at most (a server that
 * floods it does not hold up the others); 0, or -1 at its end. */
static int
server_stderr_read(struct upstream *u)
{
	int k;

	for (k = 0; k < 16; k++) {
		ssize_t r = read(u->err, u->ebuf + u->elen,
				 sizeof u->ebuf - u->elen);

		if (r > 0) {
			u->elen += (size_t)r;
			server_stderr(u, 0);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		server_stderr(u, 1);
		close(u->err);
		u->err = -1;
		return -1;
	}
	return 0;
}

/* ---- messages to the client ------------------------------------------------ */

static void
to_client(json_t *m)
{
	if (G.http) {
		http_emit(m);
		return;
	}
	if (G.cq.broken) {
		json_decref(m);
		return;
	}
	if (mcp_send(&G.cq, G.out, m) != 0) {
		if (!G.stop)
			gw_note("the client leaves its answers unread (%zu bytes); "
			     "stopping, reason=client_not_reading",
			     oq_pending(&G.cq));
		G.stop = 1;
	} else if (G.cq.broken) {
		G.stop = 1;	/* the client is gone */
	}
}

static void
client_result(json_t *id, json_t *result)
{
	to_client(mcp_result(id, result));
}

/* One JSON-RPC error, in the one shape of mcp.h. */
#define client_error(id, code, ...) to_client(mcp_error((id), (code), __VA_ARGS__))

/* A refusal is a tool result with isError, as the broker gives it
 * (mcp.h); pos 0: not logged. */
#define client_refusal(id, reason, pos, ...) \
	client_result((id), mcp_refusal(1, (reason), (pos), (pos) != 0, __VA_ARGS__))

/* ---- messages to a server ------------------------------------------------- */

static void
server_input_lost(struct upstream *u)
{
	gw_note("server %s: cannot write to it: %s", u->cfg->name, strerror(errno));
	close(u->in);
	u->in = -1;
	oq_free(&u->q);
}

static void
to_server(struct upstream *u, json_t *m)
{
	size_t n;
	char *s;

	if (u->state == ST_DEAD || u->in < 0 || u->overflow) {
		json_decref(m);
		return;
	}
	s = mcp_line(m, &n);
	json_decref(m);
	if (s == NULL)
		return;
	/* Past the hard limit: cut off by the loop, not here. */
	if (oq_send(&u->q, u->in, s, n) != 0)
		u->overflow = 1;
	else if (u->q.broken)
		server_input_lost(u);
	free(s);
}

static struct pend *
pend_new(int kind, int srv)
{
	size_t i;

	for (i = 0; i < G.npend; i++)
		if (!G.pend[i].used)
			break;
	if (i == G.npend) {
		struct pend *np = realloc(G.pend, (G.npend + 16) * sizeof *np);

		if (np == NULL)
			return NULL;
		memset(np + G.npend, 0, 16 * sizeof *np);
		G.pend = np;
		G.npend += 16;
	}
	memset(&G.pend[i], 0, sizeof G.pend[i]);
	G.pend[i].used = 1;
	G.pend[i].kind = kind;
	G.pend[i].srv = srv;
	G.pend[i].up_id = ++G.up[srv].next_id;
	return &G.pend[i];
}

static void
pend_free(struct pend *p)
{
	json_decref(p->client_id);
	json_decref(p->client_tok);
	free(p->tool);
	memset(p, 0, sizeof *p);
}

static void
server_request(int srv, int kind, const char *method, json_t *params)
{
	struct pend *p = pend_new(kind, srv);

	if (p == NULL) {
		json_decref(params);
		return;
	}
	to_server(&G.up[srv], json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0",
		  "id", (json_int_t)p->up_id, "method", method, "params", params));
}

/* ---- ward-core ------------------------------------------------------------ */

/* The context is opened on first need, so a core that comes up later is
 * used; until then every call is refused.  A core that is not listening
 * is known at once (no request waits for it), and a core that restarted
 * has kept the session open (its journal): the context it says exists is
 * ours (its id is the one of the grant minted for this run, which only
 * this gateway holds, and every approval is still checked against the
 * grant's chain), and is used again. */
static int
core_ready(void)
{
	struct wb_reply r;

	if (G.ctx_open)
		return 0;
	if (G.core_s < 0 && !wc_listening(G.h.broker_url))
		return -1;
	if (G.core_s < 0)
		G.core_s = cc_connect(G.h.broker_url, 3000);
	if (G.core_s < 0)
		return -1;
	if (cc_open_ctx(G.core_s, &G.up[0].ch[0], &r) != 0) {
		cc_disconnect(G.core_s);
		G.core_s = -1;
		return -1;
	}
	if (r.reason == WARD_E_CONTEXT_EXISTS) {
		gw_note("ward-core is back; the session goes on");
		G.ctx_open = 1;
		return 0;
	}
	if (r.reason != 0) {
		gw_note("ward-core refused to open the context: %s (%s)", r.detail,
		     cc_reason_name(r.reason));
		return -1;
	}
	G.ctx_open = 1;
	return 0;
}

static void
core_lost(void)
{
	if (G.core_s >= 0)
		cc_disconnect(G.core_s);
	G.core_s = -1;
	G.ctx_open = 0;
}

/* An event for the audit log (a call refused before the core was asked). */
static uint64_t
core_note(const char *fmt, ...)
{
	char text[512];
	struct wb_reply r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (core_ready() != 0)
		return 0;
	if (cc_log(G.core_s, G.ctx, text, &r) != 0) {
		core_lost();
		return 0;
	}
	return r.reason == 0 ? r.audit_pos : 0;
}

static void
digest_of(uint8_t d[32], const char *res, json_t *args)
{
	crypto_generichash_state st;
	char *s = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ward.v1.mcp", 12);
	crypto_generichash_update(&st, (const uint8_t *)res, strlen(res) + 1);
	if (s != NULL)
		crypto_generichash_update(&st, (const uint8_t *)s, strlen(s));
	crypto_generichash_final(&st, d, 32);
	free(s);
}

/* 0 approved; -1 refused (the answer is sent). */
static int
approve(json_t *id, struct upstream *u, const char *up_name, json_t *args)
{
	char res[WARD_SCOPE_MAX + 1];
	uint8_t d[32];
	struct wb_reply r;
	const struct wb_chain *ch = &u->ch[0];
	uint64_t nonce;
	int i;

	if (gw_tool_resource(res, u->cfg->name, up_name) != 0) {
		client_refusal(id, "bad_resource", 0, "%s: the tool's name cannot "
			       "be a resource", up_name);
		return -1;
	}
	/* `allow TOOL` is that tool exactly, `allow *` the whole server.  With
	 * no line for the tool, the first chain is asked, and ward-core refuses
	 * (and logs) a resource outside it: a tool's scope covers no other
	 * tool, since a '.' of a tool's name is ':' in its resource. */
	for (i = 0; i < u->cfg->nallow; i++)
		if (strcmp(u->cfg->allow[i].scope, res) == 0 ||
		    strcmp(u->cfg->allow[i].scope, u->cfg->name) == 0) {
			ch = &u->ch[i];
			break;
		}
	digest_of(d, res, args);
	if (core_ready() != 0) {
		client_refusal(id, "core_unreachable", 0, "tools/call %s: ward-core "
			       "did not answer; nothing was done (ward fails "
			       "closed)", res);
		return -1;
	}
	nonce = ++G.nonce;
	if (cc_approve(G.core_s, G.ctx, ch, WARD_OP_TOOL_INVOKE, res, d, nonce,
		       &r) != 0) {
		/* A core that restarted since the last call: once more on a
		 * new connection, with a new nonce (the first may have been
		 * decided; if so, it is in the log and its use is spent). */
		core_lost();
		if (core_ready() == 0) {
			nonce = ++G.nonce;
			if (cc_approve(G.core_s, G.ctx, ch, WARD_OP_TOOL_INVOKE, res,
				       d, nonce, &r) == 0)
				goto answered;
			core_lost();
		}
		client_refusal(id, "core_unreachable", 0, "tools/call %s: ward-core "
			       "did not answer; nothing was done (ward fails "
			       "closed)", res);
		return -1;
	}
answered:
	if (r.reason != 0) {
		client_refusal(id, cc_reason_name(r.reason), r.audit_pos,
			       "refused: tools/call %s: %s (reason=%s, audit #%llu)",
			       res, r.detail, cc_reason_name(r.reason),
			       (unsigned long long)r.audit_pos);
		return -1;
	}
	if (cc_approval_ok(&r, NULL, G.ctx, WARD_OP_TOOL_INVOKE, res, d,
			   nonce) != 0) {
		client_refusal(id, "bad_approval", r.audit_pos, "tools/call %s: "
			       "the approval does not match the request; nothing "
			       "was done", res);
		return -1;
	}
	return 0;
}

/* ---- the catalog ------------------------------------------------------------ */

static void
catalog_clear(void)
{
	size_t i;

	for (i = 0; i < G.ntools; i++) {
		free(G.tools[i].up_name);
		json_decref(G.tools[i].def);
	}
	free(G.tools);
	G.tools = NULL;
	G.ntools = 0;
}

/* Rebuild what the client sees: every tool of every live server whose
 * definition hashes to its approved pin, prefixed "SERVER_". */
static void
catalog_build(void)
{
	int s;
	size_t i, n = 0;

	catalog_clear();
	/* Pins that cannot be read pin nothing, and quarantine nothing more. */
	if (G.pins.err[0] != '\0')
		return;
	for (s = 0; s < G.nup; s++)
		if (G.up[s].tools != NULL)
			n += json_array_size(G.up[s].tools);
	G.tools = calloc(n + 1, sizeof *G.tools);
	if (G.tools == NULL)
		return;
	for (s = 0; s < G.nup; s++) {
		struct upstream *u = &G.up[s];
		json_t *t;

		if (u->tools == NULL || u->state == ST_DEAD)
			continue;
		json_array_foreach(u->tools, i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));
			const char *pin;
			char hex[65], pname[GW_NAME_MAX + GW_TOOL_MAX + 2], err[2048];
			char *canon;
			json_t *def;
			size_t k;
			int added;

			if (name == NULL || !gw_tool_name_ok(name))
				continue;	/* refused when listed (tools_checked) */
			canon = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
			if (canon == NULL || gw_tool_hash(hex, canon) != 0) {
				free(canon);
				continue;
			}
			pin = gw_pin_get(&G.pins, u->cfg->name, name);
			if (pin == NULL || sodium_memcmp(pin, hex, 64) != 0) {
				added = gw_pending_add(&G.pins, u->cfg->name, name, hex,
						       t, err, sizeof err);
				if (added < 0)
					gw_note("cannot record %s %s as pending: %s",
					     u->cfg->name, name, err);
				if (added == 1)
					gw_note("quarantined %s %s %s (%s): approve with 'ward "
				     "mcp approve --profile %s %s %s'", u->cfg->name,
				     name, hex, pin == NULL ? "new" : "changed",
				     G.p->path, u->cfg->name, name);
				free(canon);
				continue;
			}
			free(canon);
			snprintf(pname, sizeof pname, "%s_%s", u->cfg->name, name);
			for (k = 0; k < G.ntools; k++)
				if (strcmp(json_string_value(json_object_get(
					G.tools[k].def, "name")), pname) == 0)
					break;
			if (k != G.ntools)
				continue;	/* cannot happen: names are unique */
			def = json_deep_copy(t);
			json_object_set_new(def, "name", json_string(pname));
			G.tools[G.ntools].srv = s;
			G.tools[G.ntools].up_name = strdup(name);
			G.tools[G.ntools].def = def;
			G.ntools++;
		}
	}
}

/* The tools of a server's listing that may be offered or quarantined:
 * objects whose name is in the MCP tool-name grammar (gw_tool_name_ok) and
 * no other tool of the server has.  The others are refused -- never
 * offered, never pending, never pinned -- and logged, their name escaped. */
static json_t *
tools_checked(const struct upstream *u, json_t *listed)
{
	json_t *ok = json_array(), *seen = json_object(), *t;
	size_t i, nbad = 0;

	json_array_foreach(listed, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));

		if (name != NULL && gw_tool_name_ok(name))
			json_object_set_new(seen, name, json_integer(1 +
				json_integer_value(json_object_get(seen, name))));
	}
	json_array_foreach(listed, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		int good = name != NULL && gw_tool_name_ok(name) &&
			   json_integer_value(json_object_get(seen, name)) == 1;

		if (good) {
			json_array_append(ok, t);
			continue;
		}
		/* A listing can be long: the first 32 refusals are logged one
		 * by one, the rest counted. */
		if (++nbad > 32)
			continue;
		if (name == NULL)
			gw_note("server %s: a tool without a name (or not a string) "
			     "refused", u->cfg->name);
		else if (!gw_tool_name_ok(name))
			/* gw_note() escapes the whole line (common/text.h). */
			gw_note("server %s: tool \"%.*s\" refused: its name (%zu bytes) "
			     "is outside the MCP tool-name grammar (1 to %d of A-Z, "
			     "a-z, 0-9, '_', '-', '.'); it is not offered and cannot "
			     "be approved", u->cfg->name, GW_TOOL_MAX, name,
			     strlen(name), GW_TOOL_MAX);
		else
			gw_note("server %s: tool \"%s\" refused: the server lists "
			     "%lld tools of that name; none of them is offered",
			     u->cfg->name, name, (long long)json_integer_value(
			     json_object_get(seen, name)));
	}
	if (nbad > 32)
		gw_note("server %s: %zu more tools refused (not logged one by one)",
		     u->cfg->name, nbad - 32);
	json_decref(seen);
	return ok;
}

/* Reread the pins if the file changed; then what the client sees changes
 * too.  A pin file that cannot be read pins nothing: every tool goes. */
static void
pins_check(void)
{
	int rc = gw_pins_reload(&G.pins);

	if (rc == 0)
		return;
	if (rc < 0)
		gw_note("%s\n  (no tool is offered until the pins can be read)",
		     G.pins.err);
	catalog_build();
	if (G.client_init)
		to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				    "notifications/tools/list_changed"));
}

/* ---- upstream servers ------------------------------------------------------ */

/* The supervisor's stop flag: SIGTERM (from the gateway, or as its death
 * signal) has ward_sb_run() kill the sandbox and clean up. */
static volatile int sup_cancel;

static void
sup_on_term(int sig)
{
	(void)sig;
	sup_cancel = 1;
}

/* What each server is told the client can do: roots always (answered
 * from the profile, never from the client), and the client's own sampling
 * and elicitation when it declared them (their requests are relayed to
 * it, server_message). */
static json_t *
client_caps_for_servers(void)
{
	json_t *c = json_pack("{s:{s:b}}", "roots", "listChanged", 0);
	json_t *v;

	if ((v = json_object_get(G.client_caps, "sampling")) != NULL)
		json_object_set(c, "sampling", v);
	if ((v = json_object_get(G.client_caps, "elicitation")) != NULL)
		json_object_set(c, "elicitation", v);
	return c;
}

static int
start_server(int idx)
{
	struct upstream *u = &G.up[idx];
	struct gw_server *c = u->cfg;
	int pin[2], pout[2], perr[2];
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
	    pipe2(perr, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct ward_sb_config cfg;
		struct ward_sb_result res;
		struct ward_sb *sb = NULL;
		char err[WARD_SB_ERRLEN], *argv[GW_MAX_ARGV + 2];
		int i, k, code, logfd;

		signal(SIGTERM, sup_on_term);
		signal(SIGINT, SIG_IGN);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(125);
		signal(SIGPIPE, SIG_DFL);
		/* Our messages and the sandbox's BLOCKED lines go to the
		 * gateway's stderr (logfd, -1 if it has none); the server's
		 * stderr is a pipe that the gateway prints, escaped
		 * (server_stderr). */
		logfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 ||
		    dup2(perr[1], 2) < 0)
			_exit(125);
		for (i = 3; i < 1024; i++)
			if (i != logfd)
				(void)close(i);
		ward_sb_config_defaults(&cfg);
		cfg.workspace = c->workspace[0] != '\0' ? c->workspace : NULL;
		cfg.nbinds = 0;
		for (k = 0; k < c->nbinds; k++) {
			cfg.binds[cfg.nbinds].src = c->bind_src[k];
			cfg.binds[cfg.nbinds].dst = c->bind_dst[k];
			cfg.nbinds++;
		}
		/* Only what the profile declares: nothing of the client's
		 * environment (its credentials) reaches a server. */
		cfg.env[cfg.nenv++] = "PATH=/usr/local/bin:/usr/bin:/bin";
		cfg.env[cfg.nenv++] = "HOME=/tmp";
		cfg.env[cfg.nenv++] = "LANG=C.UTF-8";
		for (k = 0; k < c->nenv; k++)
			cfg.env[cfg.nenv++] = c->env[k];
		cfg.memory_bytes = c->mem_bytes;
		cfg.pids_max = c->pids;
		cfg.cpu_percent = c->cpu;
		cfg.tmp_bytes = c->tmp_bytes;
		cfg.timeout_ms = 0;
		cfg.one_shot = 1;
		cfg.log_fd = logfd;
		cfg.cancel = &sup_cancel;
		if (ward_sb_prepare(&cfg, &sb, err, sizeof err) != 0) {
			dprintf(logfd, "ward mcp: server %s: %s\n", c->name, err);
			_exit(125);
		}
		for (k = 0; k < c->argc; k++)
			argv[k] = c->argv[k];
		argv[c->argc] = NULL;
		if (ward_sb_run(sb, argv, &res, err, sizeof err) != 0) {
			dprintf(logfd, "ward mcp: server %s: %s\n", c->name, err);
			_exit(125);
		}
		code = WIFEXITED(res.wait_status) ? WEXITSTATUS(res.wait_status) :
		       128 + WTERMSIG(res.wait_status);
		_exit(code);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	u->pid = pid;
	u->in = pin[1];
	u->out = pout[0];
	u->err = perr[0];
	u->elen = 0;
	(void)fcntl(u->out, F_SETFL, O_NONBLOCK);
	(void)fcntl(u->err, F_SETFL, O_NONBLOCK);
	(void)fcntl(u->in, F_SETFL, O_NONBLOCK);
	oq_init(&u->q, GW_OUTQ_CAP, GW_OUTQ_HARD);
	mcp_in_free(&u->rb);
	mcp_in_init(&u->rb, MSG_MAX);
	u->rb.report_end = 1;	/* an answer over MSG_MAX gets an error */
	u->overflow = 0;
	u->state = ST_INIT;
	u->started = time(NULL);
	u->deadline = u->started + GW_START_S;
	u->restart_at = 0;
	if (u->starts++ > 0)
		gw_note("server %s: started again (start %u)", c->name, u->starts);
	server_request(idx, PK_INIT, "initialize", json_pack(
		"{s:s, s:o, s:{s:s, s:s}}", "protocolVersion", MCP_LATEST,
		"capabilities", client_caps_for_servers(),
		"clientInfo", "name", "ward", "version", mcp_release));
	return 0;
}

static void
list_changed(void)
{
	if (G.client_init && G.released)
		to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				    "notifications/tools/list_changed"));
}

static void
server_dead(int s, const char *why)
{
	struct upstream *u = &G.up[s];
	time_t now = time(NULL);
	int offered = u->tools != NULL && json_array_size(u->tools) > 0;
	size_t i;

	if (u->state == ST_DEAD)
		return;
	/* Started again later, sooner if it had run a while. */
	if (u->ready_at != 0 && u->state == ST_READY &&
	    now - u->ready_at >= 60)
		u->backoff = 1;
	if (u->backoff == 0)
		u->backoff = 1;
	u->restart_at = G.stop ? 0 : now + (time_t)u->backoff;
	gw_note("server %s: %s; starting it again in %u s", u->cfg->name, why,
	     u->backoff);
	(void)core_note("mcp server %s stopped: %s; started again in %u s",
			u->cfg->name, why, u->backoff);
	u->backoff = u->backoff * 2 > GW_BACKOFF_MAX_S ? GW_BACKOFF_MAX_S :
		     u->backoff * 2;
	u->state = ST_DEAD;
	u->ready_at = 0;
	json_decref(u->tools);
	u->tools = NULL;
	json_decref(u->listing);
	u->listing = NULL;
	u->relist = 0;
	/* A server that hangs is ended by its supervisor (SIGTERM sets its
	 * cancel flag); one that exited is already on its way out. */
	if (u->pid > 0)
		kill(u->pid, SIGTERM);
	if (u->in >= 0)
		close(u->in);
	u->in = -1;
	oq_free(&u->q);
	for (i = 0; i < G.npend; i++) {
		struct pend *p = &G.pend[i];

		if (!p->used || p->srv != s)
			continue;
		if (p->kind == PK_CALL && !p->cancelled) {
			char msg[300];

			snprintf(msg, sizeof msg, "the upstream server stopped "
				 "before it answered: %s", why);
			client_error(p->client_id, MCP_INTERNAL_ERROR, "%s", msg);
		}
		pend_free(p);
	}
	catalog_build();
	if (offered)
		list_changed();	/* its tools are withdrawn */
}

/* Start a stopped server again once its time has come and its supervisor
 * is gone (reaped here; told again to stop if it lingers, killed after
 * 5 s). */
static void
server_restart(int s, time_t now)
{
	struct upstream *u = &G.up[s];

	if (u->state != ST_DEAD || u->restart_at == 0 || now < u->restart_at ||
	    G.stop)
		return;
	if (u->pid > 0) {
		pid_t w = waitpid(u->pid, NULL, WNOHANG);

		if (w == 0) {
			kill(u->pid, now - u->restart_at >= 5 ? SIGKILL : SIGTERM);
			return;
		}
		u->pid = 0;
	}
	if (u->err >= 0) {
		(void)server_stderr_read(u);
		if (u->err >= 0) {
			server_stderr(u, 1);
			close(u->err);
			u->err = -1;
		}
	}
	if (u->out >= 0)
		close(u->out);
	u->out = -1;
	if (start_server(s) != 0)
		server_dead(s, "could not be started");
}

/* A server that does not read its input: its queue stayed at the cap for
 * GW_STALL_MS, or a message would pass GW_OUTQ_HARD.  It is cut off --
 * its calls answered with an error, its supervisor told to kill the
 * sandbox, the reason in the audit log -- and every other server goes on. */
static void
server_cut(int s)
{
	struct upstream *u = &G.up[s];
	char why[200];
	uint64_t pos;

	if (u->overflow)
		snprintf(why, sizeof why, "cut off, reason=server_not_reading: "
			 "%zu bytes of its input unread, and the next message "
			 "would pass the limit", oq_pending(&u->q));
	else
		snprintf(why, sizeof why, "cut off, reason=server_not_reading: "
			 "%zu bytes of its input unread for %u s",
			 oq_pending(&u->q), GW_STALL_MS / 1000u);
	pos = core_note("BLOCKED mcp server %s %s", u->cfg->name, why);
	if (pos != 0) {
		size_t k = strlen(why);

		snprintf(why + k, sizeof why - k, " (audit #%llu)",
			 (unsigned long long)pos);
	}
	server_dead(s, why);
	if (u->pid > 0)
		kill(u->pid, SIGTERM);	/* its supervisor ends the sandbox */
}

static void
list_fetch(int s, const char *cursor)
{
	json_t *params = json_object();

	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	server_request(s, PK_LIST, "tools/list", params);
}

static void flush_queue(void);
static void init_answer(void);
static void client_message(json_t *m);

static int
all_settled(void)
{
	int s;

	for (s = 0; s < G.nup; s++)
		if (G.up[s].state != ST_READY && G.up[s].state != ST_DEAD)
			return 0;
	return 1;
}

/* The client's tools/list and tools/call are served once every server
 * has started or GW_QUEUE_S have passed, whichever comes first. */
static int
queue_open(void)
{
	if (!G.released && (all_settled() || time(NULL) - G.t0 >= GW_QUEUE_S))
		G.released = 1;
	return G.released;
}

static struct pend *
pend_by_up(int s, json_t *id)
{
	size_t i;

	if (!json_is_integer(id))
		return NULL;
	for (i = 0; i < G.npend; i++)
		if (G.pend[i].used && G.pend[i].srv == s &&
		    G.pend[i].up_id == json_integer_value(id))
			return &G.pend[i];
	return NULL;
}

static void
server_response(int s, json_t *m)
{
	struct upstream *u = &G.up[s];
	struct pend *p = pend_by_up(s, json_object_get(m, "id"));
	json_t *res = json_object_get(m, "result");

	if (p == NULL)
		return;		/* late (cancelled and freed) or unknown */
	switch (p->kind) {
	case PK_CALL:
		if (!p->cancelled) {
			/* Intact: result or error, with the client's id. */
			json_t *o = json_deep_copy(m);

			json_object_set(o, "id", p->client_id);
			to_client(o);
		}
		break;
	case PK_INIT:
		if (!json_is_object(res)) {
			pend_free(p);
			server_dead(s, "refused to initialize");
			return;
		}
		free(u->instructions);
		u->instructions = NULL;
		if (json_is_string(json_object_get(res, "instructions")))
			u->instructions = strndup(json_string_value(
				json_object_get(res, "instructions")), 65536);
		to_server(u, json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				       "notifications/initialized"));
		u->state = ST_LISTING;
		u->deadline = time(NULL) + GW_START_S;
		u->listing = json_array();
		list_fetch(s, NULL);
		break;
	case PK_LIST: {
		json_t *tl = json_object_get(res, "tools");
		const char *next = json_string_value(json_object_get(res,
								     "nextCursor"));

		if (u->listing == NULL)
			u->listing = json_array();
		if (json_is_array(tl))
			json_array_extend(u->listing, tl);
		if (next != NULL && json_array_size(u->listing) < 100000) {
			pend_free(p);
			list_fetch(s, next);
			return;
		}
		json_decref(u->tools);
		u->tools = tools_checked(u, u->listing);
		json_decref(u->listing);
		u->listing = NULL;
		if (u->state != ST_READY)
			u->ready_at = time(NULL);
		u->state = ST_READY;
		catalog_build();
		list_changed();
		if (u->relist) {
			u->relist = 0;
			u->state = ST_LISTING;
			u->deadline = time(NULL) + GW_START_S;
			u->listing = json_array();
			pend_free(p);
			list_fetch(s, NULL);
			return;
		}
		break;
	}
	default:
		break;
	}
	pend_free(p);
	flush_queue();
}

static json_t *
roots_of(const struct gw_server *c)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < c->nroots; i++)
		json_array_append_new(a, json_pack("{s:s}", "uri", c->roots[i]));
	return json_pack("{s:o}", "roots", a);
}

static void
server_message(int s, json_t *m)
{
	struct upstream *u = &G.up[s];
	const char *method = json_string_value(json_object_get(m, "method"));
	json_t *id = json_object_get(m, "id");
	json_t *params = json_object_get(m, "params");

	if (method == NULL) {
		if (id != NULL)
			server_response(s, m);
		return;
	}
	if (id != NULL) {
		/* A request of the server's. */
		if (strcmp(method, "ping") == 0) {
			to_server(u, json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0",
					       "id", id, "result"));
		} else if (strcmp(method, "roots/list") == 0) {
			/* From the profile, never from the client. */
			to_server(u, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0",
					       "id", id, "result", roots_of(u->cfg)));
		} else if ((strcmp(method, "sampling/createMessage") == 0 &&
			    json_object_get(G.client_caps, "sampling") != NULL) ||
			   (strcmp(method, "elicitation/create") == 0 &&
			    json_object_get(G.client_caps, "elicitation") != NULL)) {
			struct sreq *q = NULL;
			size_t i;

			for (i = 0; i < G.nsreq; i++)
				if (!G.sreq[i].used)
					q = &G.sreq[i];
			if (q == NULL) {
				struct sreq *nq = realloc(G.sreq, (G.nsreq + 8) *
							  sizeof *nq);
				if (nq == NULL)
					return;
				memset(nq + G.nsreq, 0, 8 * sizeof *nq);
				G.sreq = nq;
				q = &G.sreq[G.nsreq];
				G.nsreq += 8;
			}
			q->used = 1;
			q->srv = s;
			q->gw_id = ++G.next_sreq;
			q->up_id = json_incref(id);
			{
				char gid[48];

				snprintf(gid, sizeof gid, "ward-%lld",
					 (long long)q->gw_id);
				to_client(json_pack("{s:s, s:s, s:s, s:O*}", "jsonrpc",
					"2.0", "id", gid, "method", method,
					"params", params));
			}
		} else {
			to_server(u, json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc",
				"2.0", "id", id, "error", "code", -32601, "message",
				"Method not found"));
		}
		return;
	}
	/* Notifications. */
	if (strcmp(method, "notifications/tools/list_changed") == 0) {
		if (u->state == ST_LISTING) {
			u->relist = 1;
		} else if (u->state == ST_READY) {
			u->state = ST_LISTING;
			u->deadline = time(NULL) + GW_START_S;
			u->listing = json_array();
			list_fetch(s, NULL);
		}
	} else if (strcmp(method, "notifications/progress") == 0) {
		json_t *tok = json_object_get(params, "progressToken");
		size_t i;

		for (i = 0; i < G.npend && json_is_integer(tok); i++) {
			struct pend *p = &G.pend[i];

			if (p->used && p->srv == s && p->kind == PK_CALL &&
			    !p->cancelled && p->client_tok != NULL &&
			    p->tok == json_integer_value(tok)) {
				json_t *o = json_deep_copy(m);
				time_t d = time(NULL) + (time_t)u->cfg->timeout_s;

				p->deadline = d < p->last ? d : p->last;
				json_object_set(json_object_get(o, "params"),
						"progressToken", p->client_tok);
				to_client(o);
				break;
			}
		}
	} else if (strcmp(method, "notifications/cancelled") == 0) {
		/* The server gives up a request it sent the client. */
		json_t *rid = json_object_get(params, "requestId");
		size_t i;

		for (i = 0; i < G.nsreq; i++)
			if (G.sreq[i].used && G.sreq[i].srv == s &&
			    json_equal(G.sreq[i].up_id, rid)) {
				char gid[48];

				snprintf(gid, sizeof gid, "ward-%lld",
					 (long long)G.sreq[i].gw_id);
				to_client(json_pack("{s:s, s:s, s:{s:s}}", "jsonrpc",
					"2.0", "method", "notifications/cancelled",
					"params", "requestId", gid));
				json_decref(G.sreq[i].up_id);
				memset(&G.sreq[i], 0, sizeof G.sreq[i]);
				break;
			}
	} else if (strcmp(method, "notifications/message") == 0) {
		json_t *o = json_deep_copy(m);

		to_client(o);
	}
	/* Anything else (resources, prompts: not fronted) is dropped. */
}

/* ---- the client's side ---------------------------------------------------- */

#define GW_INSTRUCTIONS "Tools of several MCP servers, each in a ward " \
	"sandbox; tool names are prefixed with the server's name.  Every call " \
	"is approved and logged by ward-core."

/* The first initialize starts the servers, with the client's
 * capabilities; its answer waits for them (GW_QUEUE_S at most) so that it
 * carries their instructions, each marked with its server. */
static void
do_initialize(json_t *id, json_t *params)
{
	json_t *r = mcp_initialize(id, params, 1, "ward MCP gateway",
				   GW_INSTRUCTIONS);
	int s;

	if (json_object_get(r, "result") == NULL || G.client_init) {
		to_client(r);	/* an error, or a second initialize */
		return;
	}
	json_decref(G.client_caps);
	G.client_caps = json_deep_copy(json_object_get(params, "capabilities"));
	G.client_init = 1;
	G.init_reply = r;
	G.t0 = time(NULL);
	G.released = 0;
	for (s = 0; s < G.nup; s++)
		if (start_server(s) != 0)
			server_dead(s, "could not be started");
	init_answer();
}

/* The held answer to initialize, once the servers are up or GW_QUEUE_S
 * have passed. */
static void
init_answer(void)
{
	json_t *r = G.init_reply, *res;
	size_t len = strlen(GW_INSTRUCTIONS) + 1;
	char *text;
	int s;

	if (r == NULL || !queue_open())
		return;
	G.init_reply = NULL;
	res = json_object_get(r, "result");
	for (s = 0; s < G.nup; s++)
		if (G.up[s].instructions != NULL)
			len += strlen(G.up[s].instructions) +
			       strlen(G.up[s].cfg->name) + 32;
	text = malloc(len);
	if (text != NULL) {
		size_t k = (size_t)snprintf(text, len, "%s", GW_INSTRUCTIONS);

		for (s = 0; s < G.nup; s++)
			if (G.up[s].instructions != NULL)
				k += (size_t)snprintf(text + k, len - k, "\n\n"
					"[server %s]\n%s", G.up[s].cfg->name,
					G.up[s].instructions);
		json_object_set_new(res, "instructions", json_string(text));
		free(text);
	}
	to_client(r);
}

static void
do_list(json_t *id, json_t *params)
{
	json_t *cur = json_object_get(params, "cursor");
	size_t off = 0, i, end;
	json_t *arr, *res;

	if (cur != NULL) {
		const char *c = json_string_value(cur);
		char *e;
		unsigned long long v;

		if (c == NULL || strncmp(c, "ward:", 5) != 0 ||
		    (v = strtoull(c + 5, &e, 10), *e != '\0') || v > G.ntools) {
			client_error(id, -32602, "tools/list: invalid cursor");
			return;
		}
		off = (size_t)v;
	}
	end = off + G.p->page;
	if (end > G.ntools)
		end = G.ntools;
	arr = json_array();
	for (i = off; i < end; i++)
		json_array_append(arr, G.tools[i].def);
	res = json_pack("{s:o}", "tools", arr);
	if (end < G.ntools) {
		char c[32];

		snprintf(c, sizeof c, "ward:%zu", end);
		json_object_set_new(res, "nextCursor", json_string(c));
	}
	client_result(id, res);
}

/* The server of a name "SERVER_TOOL" that its server lists but the
 * catalog does not offer (quarantined), and the server's name for the
 * tool in *up_tool; -1 if no server lists it. */
static int
listed_not_offered(const char *name, const char **up_tool)
{
	int s;

	for (s = 0; s < G.nup; s++) {
		const struct upstream *u = &G.up[s];
		size_t n = strlen(u->cfg->name), k;
		json_t *t;

		if (u->tools == NULL || strncmp(name, u->cfg->name, n) != 0 ||
		    name[n] != '_')
			continue;
		json_array_foreach(u->tools, k, t) {
			const char *tn = json_string_value(json_object_get(t,
									   "name"));

			if (tn != NULL && strcmp(tn, name + n + 1) == 0) {
				*up_tool = tn;
				return s;
			}
		}
	}
	return -1;
}

/* Calls past their deadline: an error to the client, the server told to
 * cancel, the late answer dropped (its id is no longer known). */
static void
calls_expire(time_t now)
{
	size_t i;

	for (i = 0; i < G.npend; i++) {
		struct pend *p = &G.pend[i];
		struct upstream *u;
		uint64_t pos;

		if (!p->used || p->kind != PK_CALL || now < p->deadline ||
		    p->deadline == 0)
			continue;
		u = &G.up[p->srv];
		if (!p->cancelled) {
			pos = core_note("mcp tools/call %s: no answer from server "
					"%s in %llu s; cancelled "
					"(reason=server_timeout)", p->tool,
					u->cfg->name,
					(unsigned long long)u->cfg->timeout_s);
			client_error(p->client_id, MCP_INTERNAL_ERROR, "tools/call "
				     "%s: server %s did not answer in %llu s "
				     "(reason=server_timeout%s); the call was "
				     "cancelled", p->tool, u->cfg->name,
				     (unsigned long long)u->cfg->timeout_s,
				     pos != 0 ? ", logged" : "");
			to_server(u, json_pack("{s:s, s:s, s:{s:I, s:s}}",
				  "jsonrpc", "2.0", "method",
				  "notifications/cancelled", "params", "requestId",
				  (json_int_t)p->up_id, "reason",
				  "ward: the call's deadline passed"));
		}
		pend_free(p);
	}
}

static void
do_call(json_t *m, json_t *id, json_t *params)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments");
	json_t *meta, *fw, *fp;
	struct upstream *u = NULL;
	struct pend *p;
	size_t i;
	int s;

	(void)m;
	if (name == NULL || (args != NULL && !json_is_object(args))) {
		client_error(id, -32602, "tools/call: a name and object arguments "
			     "are required");
		return;
	}
	pins_check();
	for (i = 0; i < G.ntools; i++)
		if (strcmp(json_string_value(json_object_get(G.tools[i].def,
							     "name")), name) == 0)
			break;
	if (i == G.ntools) {
		const char *up_tool = NULL;
		uint64_t pos;

		s = listed_not_offered(name, &up_tool);
		if (s < 0) {
			pos = core_note("BLOCKED mcp tools/call %.200s "
					"reason=unknown_tool", name);
			client_error(id, -32602, "Unknown tool: %.200s%s", name,
				     pos != 0 ? " (logged)" : "");
			return;
		}
		/* Listed by its server, not offered: its definition is new
		 * or changed and waits for the operator. */
		pos = core_note("BLOCKED mcp tools/call %s reason=quarantined",
				name);
		client_refusal(id, "quarantined", pos, "%s: quarantined: its "
			       "definition is new or changed and not approved; "
			       "the operator releases it with: ward mcp approve "
			       "--profile %s %s %s", name, G.p->path,
			       G.up[s].cfg->name, up_tool);
		return;
	}
	s = G.tools[i].srv;
	u = &G.up[s];
	/* Always against the approved hash, at the moment of the call. */
	{
		char hex[65], *canon;
		const char *pin = gw_pin_get(&G.pins, u->cfg->name,
					     G.tools[i].up_name);
		json_t *t, *cur = NULL;
		size_t k;

		json_array_foreach(u->tools, k, t)
			if (strcmp(json_string_value(json_object_get(t, "name")),
				   G.tools[i].up_name) == 0)
				cur = t;
		canon = cur != NULL ? json_dumps(cur, JSON_COMPACT |
						 JSON_SORT_KEYS) : NULL;
		if (canon == NULL || gw_tool_hash(hex, canon) != 0 || pin == NULL ||
		    sodium_memcmp(pin, hex, 64) != 0) {
			uint64_t pos = core_note("BLOCKED mcp tools/call %s.%s "
						 "reason=quarantined", u->cfg->name,
						 G.tools[i].up_name);

			free(canon);
			client_refusal(id, "quarantined", pos, "%s: its "
				       "definition is not the approved one; run "
				       "'ward mcp approve'", name);
			return;
		}
		free(canon);
	}
	if (u->state == ST_DEAD) {
		client_error(id, -32603, "%s: server %s is not running (it is "
			     "started again in %lld s); nothing was done", name,
			     u->cfg->name, u->restart_at > time(NULL) ?
			     (long long)(u->restart_at - time(NULL)) : 0LL);
		return;
	}
	if (approve(id, u, G.tools[i].up_name, args != NULL ? args :
		    json_object()) != 0)
		return;
	p = pend_new(PK_CALL, s);
	if (p == NULL) {
		client_error(id, -32603, "out of memory");
		return;
	}
	p->client_id = json_incref(id);
	p->tool = strdup(name);
	p->deadline = time(NULL) + (time_t)u->cfg->timeout_s;
	/* Progress moves the deadline on, never past ten times it. */
	p->last = time(NULL) + 10 * (time_t)u->cfg->timeout_s;
	fp = json_deep_copy(params);
	json_object_set_new(fp, "name", json_string(G.tools[i].up_name));
	meta = json_object_get(fp, "_meta");
	if (json_is_object(meta) && json_object_get(meta, "progressToken") != NULL) {
		p->client_tok = json_incref(json_object_get(meta, "progressToken"));
		p->tok = ++G.next_tok;
		json_object_set_new(meta, "progressToken", json_integer(p->tok));
	}
	fw = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
		       (json_int_t)p->up_id, "method", "tools/call", "params", fp);
	to_server(u, fw);
}

static void
do_cancel(json_t *params)
{
	json_t *rid = json_object_get(params, "requestId");
	size_t i;

	for (i = 0; i < G.npend && rid != NULL; i++) {
		struct pend *p = &G.pend[i];

		if (p->used && p->kind == PK_CALL && !p->cancelled &&
		    json_equal(p->client_id, rid)) {
			json_t *np = json_pack("{s:I}", "requestId",
					       (json_int_t)p->up_id);
			json_t *why = json_object_get(params, "reason");

			if (json_is_string(why))
				json_object_set(np, "reason", why);
			p->cancelled = 1;	/* its late answer is dropped */
			to_server(&G.up[p->srv], json_pack("{s:s, s:s, s:o}",
				  "jsonrpc", "2.0", "method",
				  "notifications/cancelled", "params", np));
			return;
		}
	}
}

static void
client_response(json_t *m)
{
	const char *gid = json_string_value(json_object_get(m, "id"));
	size_t i;

	if (gid == NULL || strncmp(gid, "ward-", 5) != 0)
		return;
	for (i = 0; i < G.nsreq; i++) {
		char b[48];

		if (!G.sreq[i].used)
			continue;
		snprintf(b, sizeof b, "ward-%lld", (long long)G.sreq[i].gw_id);
		if (strcmp(b, gid) == 0) {
			json_t *o = json_deep_copy(m);

			json_object_set(o, "id", G.sreq[i].up_id);
			to_server(&G.up[G.sreq[i].srv], o);
			json_decref(G.sreq[i].up_id);
			memset(&G.sreq[i], 0, sizeof G.sreq[i]);
			return;
		}
	}
}

static void
flush_queue(void)
{
	json_t *q, *m;
	size_t i;

	init_answer();
	q = G.queued;
	if (q == NULL || !queue_open() || G.init_reply != NULL)
		return;
	G.queued = NULL;
	json_array_foreach(q, i, m)
		client_message(m);
	json_decref(q);
}

static void
m_cancelled(void *ctx, struct mcp_msg *m)
{
	(void)ctx;
	if (G.queued != NULL)	/* after the request it cancels, in order */
		json_array_append(G.queued, m->j);
	else
		do_cancel(m->params);
}

static void
m_initialize(void *ctx, struct mcp_msg *m)
{
	(void)ctx;
	do_initialize(m->id, m->params);
}

static void
m_ping(void *ctx, struct mcp_msg *m)
{
	(void)ctx;
	client_result(m->id, json_object());
}

/* tools/list and tools/call: after every server is listed. */
static void
m_tools(void *ctx, struct mcp_msg *m)
{
	(void)ctx;
	if (!queue_open() || G.init_reply != NULL) {
		if (G.queued == NULL)
			G.queued = json_array();
		json_array_append(G.queued, m->j);
		return;
	}
	if (m->params != NULL && !json_is_object(m->params)) {
		client_error(m->id, MCP_INVALID_PARAMS, "%s: \"params\" must be "
			     "an object", m->method);
		return;
	}
	if (m->method[6] == 'l') {
		pins_check();
		do_list(m->id, m->params);
	} else {
		do_call(m->j, m->id, m->params);
	}
}

/* What the client may ask; its other notifications (initialized,
 * roots/list_changed, ...) are ours to ignore. */
static const struct mcp_method client_methods[] = {
	{ "notifications/cancelled", m_cancelled },
	{ "initialize", m_initialize },
	{ "ping", m_ping },
	{ "tools/list", m_tools },
	{ "tools/call", m_tools },
	{ NULL, NULL },
};

/* A request or a notification, checked by mcp_parse. */
static void
client_message(json_t *j)
{
	struct mcp_msg m;
	json_t *reply;

	mcp_msg_of(&m, j);
	if (m.id != NULL && strncmp(m.method, "notifications/", 14) == 0)
		/* A request by a notification's name. */
		client_error(m.id, MCP_METHOD_NOT_FOUND, "no method %s", m.method);
	else if (!mcp_dispatch(client_methods, NULL, &m, &reply) && reply != NULL)
		to_client(reply);
	mcp_msg_free(&m);
}

static void
client_line(const char *line, size_t len)
{
	struct mcp_msg m;
	json_t *reply;

	switch (mcp_parse(line, len, &m, &reply)) {
	case MCP_BAD:
		to_client(reply);
		return;
	case MCP_RESPONSE:
		client_response(m.j);
		break;
	case MCP_REQUEST:
	case MCP_NOTIFICATION:
		client_message(m.j);
		break;
	case MCP_NONE:
		break;
	}
	mcp_msg_free(&m);
}

/* The id of a line dropped for its length, from the bytes kept of its
 * ends: `..."id":N}` at its end (the order the SDKs write) or
 * `{"jsonrpc":"2.0","id":N,` at its start.  0 and *id, or -1. */
static int
dropped_id(const struct mcp_in *r, int64_t *id)
{
	const char *t = r->tail, *h = r->head;
	size_t n = r->taillen, k;
	char num[24];

	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\r' || t[n - 1] == '\t'))
		n--;
	if (n > 0 && t[n - 1] == '}') {
		size_t e = --n, b;

		while (n > 0 && t[n - 1] == ' ')
			e = --n;
		while (n > 0 && t[n - 1] >= '0' && t[n - 1] <= '9')
			n--;
		b = n;
		while (n > 0 && t[n - 1] == ' ')
			n--;
		if (b < e && e - b < sizeof num && n >= 5 && t[n - 1] == ':' &&
		    memcmp(t + n - 5, "\"id\"", 4) == 0) {
			memcpy(num, t + b, e - b);
			num[e - b] = '\0';
			*id = strtoll(num, NULL, 10);
			return 0;
		}
	}
	/* {"jsonrpc":"2.0","id":N, */
	if (r->headlen > 24 && memcmp(h, "{\"jsonrpc\":\"2.0\",\"id\":", 22) == 0) {
		for (k = 22; k < r->headlen && h[k] >= '0' && h[k] <= '9' &&
		     k - 22 < sizeof num - 1; k++)
			num[k - 22] = h[k];
		num[k - 22] = '\0';
		if (k > 22 && k < r->headlen && h[k] == ',') {
			*id = strtoll(num, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/* A server's line over MSG_MAX, dropped: the call it answers (by its id,
 * or the server's one call waiting) gets an error rather than silence. */
static void
too_long_answer(int s)
{
	struct upstream *u = &G.up[s];
	struct pend *p = NULL;
	int64_t id;
	size_t i, calls = 0;

	if (dropped_id(&u->rb, &id) == 0) {
		json_t *j = json_integer(id);

		p = pend_by_up(s, j);
		json_decref(j);
	}
	for (i = 0; p == NULL && i < G.npend; i++)
		if (G.pend[i].used && G.pend[i].srv == s &&
		    G.pend[i].kind == PK_CALL)
			calls++;
	for (i = 0; p == NULL && calls == 1 && i < G.npend; i++)
		if (G.pend[i].used && G.pend[i].srv == s &&
		    G.pend[i].kind == PK_CALL)
			p = &G.pend[i];
	if (p == NULL || p->kind != PK_CALL) {
		gw_note("server %s: a message over %u MiB dropped (reason="
		     "message_too_large)", u->cfg->name, MSG_MAX >> 20);
		return;
	}
	if (!p->cancelled) {
		uint64_t pos = core_note("mcp tools/call %s: the answer of server "
					 "%s is over %u MiB; dropped "
					 "(reason=result_too_large)", p->tool,
					 u->cfg->name, MSG_MAX >> 20);

		client_error(p->client_id, MCP_INTERNAL_ERROR, "tools/call %s: the "
			     "answer of server %s is over the %u MiB limit and "
			     "was dropped (reason=result_too_large%s)", p->tool,
			     u->cfg->name, MSG_MAX >> 20, pos != 0 ? ", logged" :
			     "");
	}
	pend_free(p);
}

/* The HTTP transport's messages, as lines of stdio (http.h). */
void
gw_client_line(const char *line, size_t len)
{
	client_line(line, len);
}

void
gw_client_gone(void)
{
	gw_note("the HTTP client ended the session (DELETE)");
	G.stop = 1;
}

static void
server_lines(int s)
{
	struct upstream *u = &G.up[s];
	size_t len;
	char *line;
	int k;

	for (;;) {
		json_t *m;

		/* Not while the client's answers are at their cap: what a
		 * server says may be for the client, and waits in u->rb. */
		if (oq_over(&G.cq)) {
			G.held = 1;
			break;
		}
		k = mcp_in_next(&u->rb, &line, &len);
		if (k == 0)
			break;
		if (k == 2)
			continue;	/* over MSG_MAX: dropped, to its end */
		if (k == 3) {
			too_long_answer(s);
			continue;
		}
		m = json_loadb(line, len, 0, NULL);
		if (json_is_object(m))
			server_message(s, m);
		json_decref(m);
		if (u->state == ST_DEAD)
			return;
	}
}

/* What server s sent, and its end once every line of it is handled (its
 * last lines may wait for the client to read). */
static void
server_read(int s)
{
	server_lines(s);
	if (G.up[s].state != ST_DEAD && G.up[s].rb.eof) {
		if (oq_over(&G.cq))
			G.held = 1;
		else
			server_dead(s, "exited");
	}
}

/* The client's complete lines, while its answers have room. */
static void
client_lines(void)
{
	size_t len;
	char *line;
	int k;

	while (!G.stop) {
		if (oq_over(&G.cq)) {
			G.held = 1;
			break;
		}
		k = mcp_in_next(&G.in, &line, &len);
		if (k == 0)
			break;
		if (k == 2)
			to_client(mcp_too_long(MSG_MAX));
		else
			client_line(line, len);
	}
}

/* ---- start and stop --------------------------------------------------------- */

static void
shutdown_servers(void)
{
	int s, left, i;

	for (s = 0; s < G.nup; s++)
		if (G.up[s].in >= 0) {
			close(G.up[s].in);
			G.up[s].in = -1;
		}
	/* Servers exit at the end of their input; give them two seconds. */
	for (i = 0; i < 200; i++) {
		left = 0;
		for (s = 0; s < G.nup; s++)
			if (G.up[s].pid > 0) {
				if (waitpid(G.up[s].pid, NULL, WNOHANG) == G.up[s].pid)
					G.up[s].pid = 0;
				else
					left++;
			}
		if (left == 0)
			return;
		usleep(10000);
	}
	/* A server that ignores the end of its input: its supervisor kills
	 * the sandbox (SIGTERM sets its cancel flag), then, if that does not
	 * end it within two more seconds, the supervisor itself goes. */
	for (s = 0; s < G.nup; s++)
		if (G.up[s].pid > 0)
			kill(G.up[s].pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		left = 0;
		for (s = 0; s < G.nup; s++)
			if (G.up[s].pid > 0) {
				if (waitpid(G.up[s].pid, NULL, WNOHANG) == G.up[s].pid)
					G.up[s].pid = 0;
				else
					left++;
			}
		if (left == 0)
			return;
		usleep(10000);
	}
	for (s = 0; s < G.nup; s++)
		if (G.up[s].pid > 0) {
			gw_note("server %s: its supervisor did not stop; killed",
			     G.up[s].cfg->name);
			kill(G.up[s].pid, SIGKILL);
			(void)waitpid(G.up[s].pid, NULL, 0);
			G.up[s].pid = 0;
		}
}

static void
on_signal(int sig)
{
	(void)sig;
	G.stop = 1;
}

/* The capabilities ward mcp signed (cli/cmd_mcp.c), from the handoff on
 * descriptor hfd: exactly one per allow line of the profile this program
 * loaded itself, each naming that line's scope and uses.  0, or -1 with
 * the reason on stderr. */
static int
take_handoff(int hfd)
{
	struct ho_grant *g = calloc(HO_MAX, sizeof *g);
	char err[512];
	uint32_t n = 0, k;
	int s, i, want = 0, rc = -1;

	if (g == NULL)
		return -1;
	if (ho_read(hfd, G.ctx, G.hold_pk, g, HO_MAX, &n, err, sizeof err) != 0) {
		fprintf(stderr, "ward-gateway: %s\n", err);
		goto out;
	}
	for (s = 0; s < G.nup; s++)
		want += G.up[s].cfg->nallow;
	if ((int)n != want) {
		fprintf(stderr, "ward-gateway: %u capabilities handed over, the "
			"profile has %d allow lines\n", n, want);
		goto out;
	}
	for (k = 0; k < n; k++) {
		struct upstream *u;
		const struct gw_allow *a;
		const struct ward_block *b = &g[k].blk.b;

		if (g[k].srv >= G.nup ||
		    g[k].allow >= G.up[g[k].srv].cfg->nallow) {
			fprintf(stderr, "ward-gateway: capability %u is for no "
				"allow line of the profile\n", k);
			goto out;
		}
		u = &G.up[g[k].srv];
		a = &u->cfg->allow[g[k].allow];
		if (u->ch[g[k].allow].n != 0 ||
		    b->scope_len != strlen(a->scope) ||
		    memcmp(b->scope, a->scope, b->scope_len) != 0 ||
		    b->max_uses != a->uses) {
			fprintf(stderr, "ward-gateway: capability %u does not match "
				"its allow line (the profile changed since ward "
				"mcp read it?)\n", k);
			goto out;
		}
		u->ch[g[k].allow].n = 1;
		u->ch[g[k].allow].blk[0] = g[k].blk;
	}
	for (s = 0; s < G.nup; s++)
		for (i = 0; i < G.up[s].cfg->nallow; i++)
			if (G.up[s].ch[i].n != 1) {
				fprintf(stderr, "ward-gateway: no capability for "
					"an allow line of server %s\n",
					G.up[s].cfg->name);
				goto out;
			}
	rc = 0;
out:
	free(g);
	return rc;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define GW_HTTP_FDS 33

static int
serve(const char *prof, const char *home_dir, int hfd, const char *listen)
{
	char err[1024];
	struct pollfd pf[3 * GW_MAX_SERVERS + 2 + GW_HTTP_FDS];
	int s, i, core_ok, fl0, fl1;

	if (sodium_init() < 0)
		return WX_FAILED;
	G.p = calloc(1, sizeof *G.p);
	if (G.p == NULL)
		return WX_FAILED;
	if (gw_profile_load(prof, G.p, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		return WX_INPUT;
	}
	if (wh_resolve(&G.h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n  hint: run 'ward init' (or set "
			"WARD_HOME)\n", err);
		return WX_HOME;
	}
	if (gw_pins_open(&G.pins, G.h.home, G.p->name) != 0) {
		fprintf(stderr, "ward mcp: %s\n", G.pins.err);
		return WX_HOME;
	}
	G.core_s = -1;
	G.nup = G.p->nservers;
	for (s = 0; s < G.nup; s++) {
		struct upstream *u = &G.up[s];

		u->cfg = &G.p->srv[s];
		u->in = u->out = u->err = -1;
	}
	if (take_handoff(hfd) != 0)
		return WX_INPUT;
	close(hfd);
	core_ok = core_ready() == 0;
	if (!core_ok)
		gw_note("ward-core does not answer on %s: every tools/call is "
		     "refused until it does", G.h.broker_url);
	{
		char hx[2 * WARD_CTX_BYTES + 1];

		wb_hex(hx, G.ctx, sizeof G.ctx);
		gw_note("session %s (ward audit --session %s)", hx, hx);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (listen != NULL) {
		char tok[4200];

		snprintf(tok, sizeof tok, "%s/mcp/%s.token", G.h.home, G.p->name);
		if (http_start(listen, tok, MSG_MAX, err, sizeof err) != 0) {
			fprintf(stderr, "ward mcp: %s\n", err);
			return WX_USAGE;
		}
		G.http = 1;
		gw_note("listening on %s (Streamable HTTP); the bearer token is in "
		     "%s", http_url(), tok);
	}
	G.out = 1;
	oq_init(&G.cq, GW_OUTQ_CAP, GW_OUTQ_HARD);
	mcp_in_init(&G.in, MSG_MAX);
	/* Both ends of the client never block us; the flags are put back at
	 * the end, as other processes may share these descriptions. */
	fl0 = fcntl(0, F_GETFL);
	fl1 = fcntl(1, F_GETFL);
	if (fl0 >= 0)
		(void)fcntl(0, F_SETFL, fl0 | O_NONBLOCK);
	if (fl1 >= 0)
		(void)fcntl(1, F_SETFL, fl1 | O_NONBLOCK);
	/* The servers start at the client's initialize (do_initialize), with
	 * its capabilities. */
	G.t0 = time(NULL);
	while (!G.stop) {
		/* what[i]: -1 the client's input, -2 its output, s a server's
		 * output, GW_MAX_SERVERS + s its input, 2 * GW_MAX_SERVERS + s
		 * its stderr. */
		int n = 0, what[3 * GW_MAX_SERVERS + 2 + GW_HTTP_FDS], from_client = 0;
		int hn, htag[GW_HTTP_FDS];
		int room = !oq_over(&G.cq);
		time_t now = time(NULL);

		/* Read what may be answered to the client only while its
		 * answers have room; wait for POLLOUT only where bytes wait. */
		if (room && !G.in.eof && !G.http) {
			pf[n].fd = 0;
			pf[n].events = POLLIN;
			what[n++] = -1;
		}
		if (oq_pending(&G.cq) > 0) {
			pf[n].fd = G.out;
			pf[n].events = POLLOUT;
			what[n++] = -2;
		}
		calls_expire(now);
		for (s = 0; s < G.nup; s++) {
			struct upstream *u = &G.up[s];

			server_restart(s, now);
			if (u->state == ST_DEAD || u->out < 0)
				continue;
			if ((u->state == ST_INIT || u->state == ST_LISTING)
			    && now > u->deadline) {
				server_dead(s, u->state == ST_INIT ? "did not answer "
					    "initialize in time" : "did not list its "
					    "tools in time");
				continue;
			}
			if (room && !u->rb.eof) {
				pf[n].fd = u->out;
				pf[n].events = POLLIN;
				what[n++] = s;
			}
			if (u->in >= 0 && oq_pending(&u->q) > 0) {
				pf[n].fd = u->in;
				pf[n].events = POLLOUT;
				what[n++] = GW_MAX_SERVERS + s;
			}
		}
		for (s = 0; s < G.nup; s++)
			if (G.up[s].err >= 0) {
				pf[n].fd = G.up[s].err;
				pf[n].events = POLLIN;
				what[n++] = 2 * GW_MAX_SERVERS + s;
			}
		hn = 0;
		if (G.http) {
			int k;

			hn = http_pollfds(pf + n, htag, GW_HTTP_FDS);
			for (k = 0; k < hn; k++)
				what[n + k] = -3 - k;
			n += hn;
		}
		if (poll(pf, (nfds_t)n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			struct upstream *u;

			if (pf[i].revents == 0)
				continue;
			if (what[i] <= -3) {
				http_event(htag[-3 - what[i]], pf[i].revents,
					   now_ms());
			} else if (what[i] == -1) {
				from_client = 1;	/* after the servers */
			} else if (what[i] == -2) {
				if (oq_flush(&G.cq, G.out) < 0)
					G.stop = 1;	/* the client is gone */
			} else if (what[i] >= 2 * GW_MAX_SERVERS) {
				(void)server_stderr_read(&G.up[what[i] - 2 * GW_MAX_SERVERS]);
			} else if (what[i] >= GW_MAX_SERVERS) {
				u = &G.up[what[i] - GW_MAX_SERVERS];
				if (u->in >= 0 && oq_flush(&u->q, u->in) < 0)
					server_input_lost(u);
			} else if (G.up[what[i]].state != ST_DEAD) {
				s = what[i];
				u = &G.up[s];
				if (mcp_in_fill(&u->rb, u->out) < 0 ||
				    (u->rb.eof && mcp_in_pending(&u->rb) == 0)) {
					server_dead(s, "exited");
					continue;
				}
				server_read(s);
			}
		}
		if (G.http)
			http_sweep(now_ms());
		flush_queue();
		if (from_client) {
			if (mcp_in_fill(&G.in, 0) < 0)
				break;
			client_lines();
		}
		if (G.held && !oq_over(&G.cq)) {
			/* The client read its answers down: what was held back. */
			G.held = 0;
			client_lines();
			for (s = 0; s < G.nup; s++)
				if (G.up[s].state != ST_DEAD)
					server_read(s);
			flush_queue();
		}
		if (G.in.eof && (mcp_in_pending(&G.in) == 0 ||
				 memchr(G.in.b + G.in.off, '\n',
					mcp_in_pending(&G.in)) == NULL ||
				 oq_stalled(&G.cq, GW_STALL_MS)))
			break;	/* every request read and handled */
		for (s = 0; s < G.nup; s++)
			if (G.up[s].state != ST_DEAD && (G.up[s].overflow ||
			    oq_stalled(&G.up[s].q, GW_STALL_MS)))
				server_cut(s);
		pins_check();
	}
	/* What the client is still owed, if it reads it in time. */
	if (oq_pending(&G.cq) > 0 && !G.cq.broken &&
	    oq_drain(&G.cq, G.out, 5000) != 0)
		gw_note("%zu bytes of answers were not read by the client in 5 s",
		     oq_pending(&G.cq));
	oq_free(&G.cq);
	if (G.http)
		http_stop();
	if (fl0 >= 0)
		(void)fcntl(0, F_SETFL, fl0);
	if (fl1 >= 0)
		(void)fcntl(1, F_SETFL, fl1);
	shutdown_servers();
	/* The servers' last words: their supervisors are gone, so each
	 * pipe ends; a second at most all the same. */
	for (i = 0; i < 10; i++) {
		int n = 0, who[GW_MAX_SERVERS], k;

		for (s = 0; s < G.nup; s++)
			if (G.up[s].err >= 0) {
				pf[n].fd = G.up[s].err;
				pf[n].events = POLLIN;
				who[n++] = s;
			}
		if (n == 0 || poll(pf, (nfds_t)n, 100) <= 0)
			break;
		for (k = 0; k < n; k++)
			if (pf[k].revents != 0)
				(void)server_stderr_read(&G.up[who[k]]);
	}
	for (s = 0; s < G.nup; s++)
		if (G.up[s].err >= 0) {
			server_stderr(&G.up[s], 1);
			close(G.up[s].err);
			G.up[s].err = -1;
		}
	if (G.ctx_open) {
		struct wb_reply r;

		if (cc_close(G.core_s, G.ctx, &G.up[0].ch[0], &r) != 0)
			gw_note("ward-core did not confirm the end of the session");
	}
	if (G.core_s >= 0)
		cc_disconnect(G.core_s);
	return 0;
}

/*
 * ward-gateway --profile FILE --home DIR --handoff-fd N [--listen ADDR]
 *
 * Started by 'ward mcp' (cli/cmd_mcp.c), never by hand: the capabilities
 * it serves with come signed from the operator's CLI in the sealed memfd
 * N; this program holds no key.
 */
int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "home", required_argument, NULL, 'H' },
		{ "handoff-fd", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *prof = NULL, *home = NULL, *listen = NULL;
	char *end;
	long hfd = -1;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			prof = optarg;
			break;
		case 'H':
			home = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'f':
			errno = 0;
			hfd = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || hfd < 3 || hfd > 65535)
				hfd = -1;
			break;
		default:
			hfd = -1;
			prof = NULL;
			break;
		}
	}
	if (prof == NULL || hfd < 0 || optind < argc) {
		fprintf(stderr, "ward-gateway: run by 'ward mcp --profile FILE', "
			"not by hand\n");
		return WX_USAGE;
	}
	return serve(prof, home, (int)hfd, listen);
}
