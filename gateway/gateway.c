/*
 * gateway.c -- ward mcp: an MCP server on stdio (protocol revision
 * 2025-11-25) that fronts the upstream MCP servers of a profile, each in
 * a ward sandbox of its own.  Every tools/call, resources/read and
 * prompts/get is a capability request that ward-core approves or refuses
 * (and logs) before it reaches a server; tool and prompt definitions are
 * pinned by hash (gw_pins.c).
 *
 * One poll loop: the client on fds 0/1 (or HTTP, http.c), and per server
 * the pipes to its stdin/stdout (its stderr is ours).  Ids are rewritten
 * both ways: the gateway numbers every request it sends, and maps the
 * answers back.  This file is the client's side, start-up and the loop;
 * the servers are upstream.c's, ward-core and the catalog catalog.c's
 * (gw_int.h).  Not part of the verified core.
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
#include "gw_int.h"
#include "http.h"
#include "priv.h"
#include "launcher.h"

struct gw_state G;

static void init_answer(void);
static void client_message(json_t *m);

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

/* ---- messages to the client ------------------------------------------------ */

void
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

void
client_result(json_t *id, json_t *result)
{
	to_client(mcp_result(id, result));
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
	json_object_set_new(json_object_get(json_object_get(r, "result"),
					    "capabilities"), "logging", json_object());
	json_decref(G.client_caps);
	G.client_caps = json_deep_copy(json_object_get(params, "capabilities"));
	G.client_init = 1;
	G.init_reply = r;
	G.t0 = gw_now();
	G.released = 0;
	for (s = 0; s < G.nup; s++)
		if (start_server(s) != 0)
			server_dead(s, "could not be started");
	init_answer();
}

/* What the gateway offers beyond tools and logging: resources (with
 * subscribe if a server has it), prompts, completions and tasks of
 * tools/call, each only if a server that is up has it; list_changed for
 * each list, which the gateway sends itself. */
static void
server_caps(json_t *caps)
{
	int s, sub = 0, res = 0, pr = 0, co = 0;

	for (s = 0; s < G.nup; s++) {
		res |= server_has(s, "resources");
		sub |= server_has(s, "resources") && json_is_true(json_object_get(
			json_object_get(G.up[s].caps, "resources"), "subscribe"));
		pr |= server_has(s, "prompts");
		co |= server_has(s, "completions");
	}
	if (!json_is_object(caps))
		return;
	if (res)
		json_object_set_new(caps, "resources", json_pack("{s:b, s:b}",
				    "subscribe", sub, "listChanged", 1));
	if (pr)
		json_object_set_new(caps, "prompts", json_pack("{s:b}",
				    "listChanged", 1));
	if (co)
		json_object_set_new(caps, "completions", json_object());
	/* Tasks of tools/call: what the servers that have them all have
	 * (list and cancel only if each of them does). */
	{
		int tk = 0, li = 1, ca = 1;

		for (s = 0; s < G.nup; s++) {
			json_t *t = json_object_get(G.up[s].caps, "tasks");

			if (!server_has(s, "tasks") || json_object_get(
				json_object_get(json_object_get(t, "requests"),
						"tools"), "call") == NULL)
				continue;
			tk = 1;
			li &= json_object_get(t, "list") != NULL;
			ca &= json_object_get(t, "cancel") != NULL;
		}
		if (tk) {
			json_t *t = json_pack("{s:{s:{s:{}}}}", "requests", "tools",
					      "call");

			if (li)
				json_object_set_new(t, "list", json_object());
			if (ca)
				json_object_set_new(t, "cancel", json_object());
			json_object_set_new(caps, "tasks", t);
		}
	}
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
	server_caps(json_object_get(res, "capabilities"));
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

/* One page of a list the gateway keeps (tools, prompts): KEY's n
 * definitions from the client's cursor "ward:OFFSET" on, at most the
 * profile's page, and the next cursor if more are left. */
static void
list_page(json_t *id, json_t *params, const char *key, size_t n,
	  json_t *(*def)(size_t))
{
	json_t *cur = json_object_get(params, "cursor");
	size_t off = 0, i, end;
	json_t *arr, *res;

	if (cur != NULL) {
		const char *c = json_string_value(cur);
		char *e;
		unsigned long long v;

		if (c == NULL || strncmp(c, "ward:", 5) != 0 ||
		    (v = strtoull(c + 5, &e, 10), *e != '\0') || v > n) {
			client_error(id, -32602, "%s/list: invalid cursor (pass "
				     "nextCursor back as it is, or list from the "
				     "start without one)", key);
			return;
		}
		off = (size_t)v;
	}
	end = off + G.p->page;
	if (end > n)
		end = n;
	arr = json_array();
	for (i = off; i < end; i++)
		json_array_append(arr, def(i));
	res = json_pack("{s:o}", key, arr);
	if (end < n) {
		char c[32];

		snprintf(c, sizeof c, "ward:%zu", end);
		json_object_set_new(res, "nextCursor", json_string(c));
	}
	client_result(id, res);
}

static json_t *
tool_def(size_t i)
{
	return G.tools[i].def;
}

static json_t *
prompt_def(size_t i)
{
	return G.prompts[i].def;
}

static void
do_list(json_t *id, json_t *params)
{
	list_page(id, params, "tools", G.ntools, tool_def);
}

/* The server of a name "SERVER_NAME" that its server lists (among its
 * tools, or its prompts) but the catalog does not offer (quarantined), and
 * the server's own name for it in *up; -1 if no server lists it. */
static int
listed_not_offered(const char *name, int prompts, const char **up)
{
	int s;

	for (s = 0; s < G.nup; s++) {
		const struct upstream *u = &G.up[s];
		json_t *l = prompts ? u->prompts : u->tools, *t;
		size_t n = strlen(u->cfg->name), k;

		if (l == NULL || strncmp(name, u->cfg->name, n) != 0 ||
		    name[n] != '_')
			continue;
		json_array_foreach(l, k, t) {
			const char *x = json_string_value(json_object_get(t, "name"));

			if (x != NULL && strcmp(x, name + n + 1) == 0) {
				*up = x;
				return s;
			}
		}
	}
	return -1;
}

/* Calls past their deadline: an error to the client, the server told to
 * cancel, the late answer dropped (its id is no longer known).  A call
 * that waited while its server sent an answer over MSG_MAX that could be
 * matched to no call (upstream.c, too_long_answer) is told so. */
static void
calls_expire(time_t now)
{
	size_t i;

	for (i = 0; i < G.npend; i++) {
		struct pend *p = &G.pend[i];
		struct upstream *u;
		const char *reason;
		char why[160] = "";
		uint64_t pos;

		if (!p->used || p->kind != PK_CALL || now < p->deadline ||
		    p->deadline == 0)
			continue;
		u = &G.up[p->srv];
		reason = p->unmatched ? "result_too_large" : "server_timeout";
		if (p->unmatched)
			snprintf(why, sizeof why, "; it sent an answer over the "
				 "%u MiB limit that could not be matched to its "
				 "call", MSG_MAX >> 20);
		if (!p->cancelled) {
			pos = core_note("mcp %s %s: no answer from server "
					"%s in %llu s%s; cancelled "
					"(reason=%s)", p->what,
					p->tool, u->cfg->name,
					(unsigned long long)u->cfg->timeout_s,
					why, reason);
			client_error(p->client_id, MCP_INTERNAL_ERROR, "%s "
				     "%s: server %s did not answer in %llu s%s "
				     "(reason=%s%s); the call was "
				     "cancelled", p->what, p->tool, u->cfg->name,
				     (unsigned long long)u->cfg->timeout_s,
				     why, reason, pos != 0 ? ", logged" : "");
			to_server(u, json_pack("{s:s, s:s, s:{s:I, s:s}}",
				  "jsonrpc", "2.0", "method",
				  "notifications/cancelled", "params", "requestId",
				  (json_int_t)p->up_id, "reason",
				  "ward: the call's deadline passed"));
		}
		pend_free(p);
	}
}

/* A request of the client's, approved where it needs to be, to server s
 * with params fp (stolen): answered with an error at the server's
 * deadline (timeout D; progress moves it on, never past ten times it),
 * its progress token mapped both ways, its answer back as fwd says
 * (upstream.c).  label names it in errors: the tool, prompt or URI. */
static void
forward(json_t *id, int s, const char *method, json_t *fp, int fwd,
	const char *label)
{
	struct upstream *u = &G.up[s];
	struct pend *p = pend_new(PK_CALL, s);
	json_t *meta;

	if (p == NULL) {
		json_decref(fp);
		client_error(id, -32603, "out of memory");
		return;
	}
	p->client_id = json_incref(id);
	p->tool = strdup(label);
	p->what = method;
	p->fwd = fwd;
	p->deadline = gw_now() + (time_t)u->cfg->timeout_s;
	p->last = gw_now() + 10 * (time_t)u->cfg->timeout_s;
	meta = json_object_get(fp, "_meta");
	if (json_is_object(meta) && json_object_get(meta, "progressToken") != NULL) {
		p->client_tok = json_incref(json_object_get(meta, "progressToken"));
		p->tok = ++G.next_tok;
		json_object_set_new(meta, "progressToken", json_integer(p->tok));
	}
	to_server(u, json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
			       (json_int_t)p->up_id, "method", method, "params",
			       fp));
}

static void
do_call(json_t *m, json_t *id, json_t *params)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments");
	json_t *fp;
	struct upstream *u = NULL;
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

		s = listed_not_offered(name, 0, &up_tool);
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
			client_refusal(id, "quarantined", pos, "%s: quarantined: "
				       "its definition is not the approved one; "
				       "the operator releases it with: ward mcp "
				       "approve --profile %s %s %s", name,
				       G.p->path, u->cfg->name,
				       G.tools[i].up_name);
			return;
		}
		free(canon);
	}
	if (u->state == ST_DEAD) {
		client_error(id, -32603, "%s: server %s is not running (it is "
			     "started again in %lld s); nothing was done", name,
			     u->cfg->name, u->restart_at > gw_now() ?
			     (long long)(u->restart_at - gw_now()) : 0LL);
		return;
	}
	if (approve(id, u, G.tools[i].up_name, args != NULL ? args :
		    json_object()) != 0)
		return;
	fp = json_deep_copy(params);
	json_object_set_new(fp, "name", json_string(G.tools[i].up_name));
	forward(id, s, "tools/call", fp, FW_PASS, name);
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

void
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
/* logging/setLevel: to every server that logs (and to those that start
 * later); their notifications/message reach the client marked with the
 * server's name (upstream.c). */
static void
m_set_level(void *ctx, struct mcp_msg *m)
{
	static const char *const levels[] = { "debug", "info", "notice",
		"warning", "error", "critical", "alert", "emergency", NULL };
	const char *lv = json_string_value(json_object_get(m->params, "level"));
	int i, s;

	(void)ctx;
	for (i = 0; lv != NULL && levels[i] != NULL; i++)
		if (strcmp(lv, levels[i]) == 0)
			break;
	if (lv == NULL || levels[i] == NULL) {
		client_error(m->id, MCP_INVALID_PARAMS, "logging/setLevel: "
			     "\"level\" is one of debug, info, notice, warning, "
			     "error, critical, alert, emergency");
		return;
	}
	snprintf(G.log_level, sizeof G.log_level, "%s", lv);
	for (s = 0; s < G.nup; s++)
		if (G.up[s].state == ST_READY && G.up[s].logs)
			server_request(s, PK_OTHER, "logging/setLevel",
				       json_pack("{s:s}", "level", lv));
	client_result(m->id, json_object());
}

/* ---- resources, prompts, completions ------------------------------------- */

/* A request that waits for start-up like tools/list (queued), or whose
 * params are not an object (answered): 1, it is dealt with. */
static int
held_back(struct mcp_msg *m)
{
	if (!queue_open() || G.init_reply != NULL) {
		if (G.queued == NULL)
			G.queued = json_array();
		json_array_append(G.queued, m->j);
		return 1;
	}
	if (m->params != NULL && !json_is_object(m->params)) {
		client_error(m->id, MCP_INVALID_PARAMS, "%s: \"params\" must be "
			     "an object", m->method);
		return 1;
	}
	return 0;
}

/* resources/list and resources/templates/list: one server's page at a
 * time, in the profile's order; the cursor says whose (cursor_make). */
static void
m_res_list(void *ctx, struct mcp_msg *m)
{
	int tl = strcmp(m->method, "resources/templates/list") == 0;
	json_t *cur = json_object_get(m->params, "cursor"), *fp;
	char *up = NULL;
	int s = 0, from = 0;

	(void)ctx;
	if (held_back(m))
		return;
	if (cur != NULL) {
		if (!json_is_string(cur) || cursor_read(m->method,
				json_string_value(cur), &from, &up) != 0) {
			client_error(m->id, MCP_INVALID_PARAMS, "%s: invalid cursor: "
				     "not one this gateway gave for %s (a cursor "
				     "is opaque: pass nextCursor back as it is, or "
				     "list from the start without one)", m->method,
				     m->method);
			return;
		}
		if (!server_has(from, "resources")) {
			free(up);
			client_error(m->id, MCP_INTERNAL_ERROR, "%s: server %s, "
				     "whose page the cursor is for, is not running "
				     "now; list again from the start", m->method,
				     G.up[from].cfg->name);
			return;
		}
	}
	for (s = from; s < G.nup && !server_has(s, "resources"); s++)
		;
	if (s == G.nup) {
		client_result(m->id, json_pack("{s:[]}", tl ? "resourceTemplates" :
					       "resources"));
		return;
	}
	fp = m->params != NULL ? json_deep_copy(m->params) : json_object();
	if (up != NULL)
		json_object_set_new(fp, "cursor", json_string(up));
	else
		json_object_del(fp, "cursor");
	free(up);
	forward(m->id, s, m->method, fp, tl ? FW_TLIST : FW_RLIST,
		G.up[s].cfg->name);
}

/* resources/read: one approval of resource.read SERVER:URI, bound to the
 * URI; resources/subscribe and unsubscribe go to the URI's server. */
static void
m_res_uri(void *ctx, struct mcp_msg *m)
{
	const char *uri = json_string_value(json_object_get(m->params, "uri"));
	int rd = strcmp(m->method, "resources/read") == 0;
	int sub = strcmp(m->method, "resources/subscribe") == 0;
	char res[WARD_SCOPE_MAX + 1];
	const char *why;
	struct upstream *u;
	json_t *args;
	int s;

	(void)ctx;
	if (held_back(m))
		return;
	if (uri == NULL) {
		client_error(m->id, MCP_INVALID_PARAMS, "%s: \"uri\" (a string) is "
			     "required", m->method);
		return;
	}
	s = resource_owner(m->id, m->method, uri);
	if (s < 0)
		return;
	u = &G.up[s];
	if (!rd) {
		json_t *rc = json_object_get(u->caps, "resources");

		if (!json_is_true(json_object_get(rc, "subscribe"))) {
			client_error(m->id, MCP_METHOD_NOT_FOUND, "%s %.200s: "
				     "server %s does not offer subscriptions",
				     m->method, uri, u->cfg->name);
			return;
		}
		if (u->subs == NULL)
			u->subs = json_object();
		if (sub && json_object_size(u->subs) < 10000)
			json_object_set_new(u->subs, uri, json_true());
		else if (!sub)
			json_object_del(u->subs, uri);
		forward(m->id, s, m->method, json_deep_copy(m->params), FW_PASS,
			uri);
		return;
	}
	if (gw_res_resource(res, u->cfg->name, uri, &why) != 0) {
		uint64_t pos = core_note("BLOCKED mcp resources/read %s:%.200s "
					 "reason=bad_resource", u->cfg->name, uri);

		to_client(mcp_refused(m->id, "bad_resource", pos, pos != 0,
				      "resources/read %.200s of server %s: ward "
				      "cannot approve this URI: %s", uri,
				      u->cfg->name, why));
		return;
	}
	args = json_pack("{s:s}", "uri", uri);
	if (approve_read(m->id, u, WARD_OP_RESOURCE_READ, res, args,
			 m->method) != 0) {
		json_decref(args);
		return;
	}
	json_decref(args);
	forward(m->id, s, m->method, json_deep_copy(m->params), FW_PASS, uri);
}

static void
m_prompts_list(void *ctx, struct mcp_msg *m)
{
	(void)ctx;
	if (held_back(m))
		return;
	pins_check();
	list_page(m->id, m->params, "prompts", G.nprompts, prompt_def);
}

/* The offered prompt of the client's name, its definition still the
 * pinned one; else the client is told (quarantined, or unknown) and -1. */
static long
prompt_offered(json_t *id, const char *method, const char *name)
{
	long i = prompt_find(name);
	const char *up = NULL;
	uint64_t pos;
	int s;

	if (i >= 0) {
		struct upstream *u = &G.up[G.prompts[i].srv];
		char key[GW_PIN_NAME_MAX + 1], hex[65], *canon = NULL;
		const char *pin;
		json_t *t, *cur = NULL;
		size_t k;

		snprintf(key, sizeof key, "prompt:%s", G.prompts[i].up_name);
		pin = gw_pin_get(&G.pins, u->cfg->name, key);
		json_array_foreach(u->prompts, k, t)
			if (strcmp(json_string_value(json_object_get(t, "name")),
				   G.prompts[i].up_name) == 0)
				cur = t;
		if (cur != NULL)
			canon = json_dumps(cur, JSON_COMPACT | JSON_SORT_KEYS);
		if (canon != NULL && gw_def_hash(hex, key, canon) == 0 &&
		    pin != NULL && sodium_memcmp(pin, hex, 64) == 0) {
			free(canon);
			return i;
		}
		free(canon);
		up = G.prompts[i].up_name;
		s = G.prompts[i].srv;
	} else {
		s = listed_not_offered(name, 1, &up);
	}
	if (s < 0) {
		pos = core_note("BLOCKED mcp %s %.200s reason=unknown_prompt",
				method, name);
		client_error(id, MCP_INVALID_PARAMS, "%s: unknown prompt %.200s%s",
			     method, name, pos != 0 ? " (logged)" : "");
		return -1;
	}
	pos = core_note("BLOCKED mcp %s %s reason=quarantined", method, name);
	to_client(mcp_refused(id, "quarantined", pos, pos != 0, "%s %s: "
			      "quarantined: its definition is new or changed and "
			      "not approved; the operator releases it with: ward "
			      "mcp approve --profile %s %s prompt:%s", method, name,
			      G.p->path, G.up[s].cfg->name, up));
	return -1;
}

/* prompts/get: one approval of prompt.get SERVER.NAME, bound to the
 * arguments. */
static void
m_prompt_get(void *ctx, struct mcp_msg *m)
{
	const char *name = json_string_value(json_object_get(m->params, "name"));
	json_t *args = json_object_get(m->params, "arguments"), *fp;
	char res[WARD_SCOPE_MAX + 1];
	struct upstream *u;
	long i;

	(void)ctx;
	if (held_back(m))
		return;
	if (name == NULL || (args != NULL && !json_is_object(args))) {
		client_error(m->id, MCP_INVALID_PARAMS, "prompts/get: a name and "
			     "object arguments are required");
		return;
	}
	pins_check();
	i = prompt_offered(m->id, m->method, name);
	if (i < 0)
		return;
	u = &G.up[G.prompts[i].srv];
	if (u->state == ST_DEAD) {
		client_error(m->id, MCP_INTERNAL_ERROR, "prompts/get %s: server %s "
			     "is not running; nothing was asked", name,
			     u->cfg->name);
		return;
	}
	if (gw_tool_resource(res, u->cfg->name, G.prompts[i].up_name) != 0 ||
	    approve_read(m->id, u, WARD_OP_PROMPT_GET, res, args != NULL ? args :
			 json_object(), m->method) != 0)
		return;
	fp = json_deep_copy(m->params);
	json_object_set_new(fp, "name", json_string(G.prompts[i].up_name));
	forward(m->id, G.prompts[i].srv, m->method, fp, FW_PASS, name);
}

/* completion/complete: to the server of the prompt (offered) or of the
 * resource the reference names, if it offers completions.  Not approved
 * by ward-core: a completion is a suggestion of argument values, which
 * the client then sends in a prompts/get or resources/read that is. */
static void
m_complete(void *ctx, struct mcp_msg *m)
{
	json_t *ref = json_object_get(m->params, "ref"), *fp;
	const char *type = json_string_value(json_object_get(ref, "type"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *uri = json_string_value(json_object_get(ref, "uri"));
	const char *label;
	long i;
	int s;

	(void)ctx;
	if (held_back(m))
		return;
	fp = json_deep_copy(m->params);
	if (type != NULL && strcmp(type, "ref/prompt") == 0 && name != NULL) {
		pins_check();
		i = prompt_offered(m->id, m->method, name);
		if (i < 0)
			goto out;
		s = G.prompts[i].srv;
		json_object_set_new(json_object_get(fp, "ref"), "name",
				    json_string(G.prompts[i].up_name));
		label = name;
	} else if (type != NULL && strcmp(type, "ref/resource") == 0 &&
		   uri != NULL) {
		s = resource_owner(m->id, m->method, uri);
		if (s < 0)
			goto out;
		label = uri;
	} else {
		client_error(m->id, MCP_INVALID_PARAMS, "completion/complete: "
			     "\"ref\" is {\"type\":\"ref/prompt\",\"name\"} or "
			     "{\"type\":\"ref/resource\",\"uri\"}");
		goto out;
	}
	if (!server_has(s, "completions")) {
		client_error(m->id, MCP_METHOD_NOT_FOUND, "completion/complete "
			     "%.200s: server %s does not offer completions", label,
			     G.up[s].cfg->name);
		goto out;
	}
	forward(m->id, s, m->method, fp, FW_PASS, label);
	return;
out:
	json_decref(fp);
}

/* ---- tasks (2025-11-25) ----------------------------------------------------- */

/* tasks/get, tasks/result, tasks/cancel: to the server that created the
 * task, under its own id.  No approval: the tools/call that created the
 * task was approved, and these read its state and its result. */
static void
m_task(void *ctx, struct mcp_msg *m)
{
	const char *gid = json_string_value(json_object_get(m->params, "taskId"));
	const char *up = NULL;
	json_t *fp;
	int s;

	(void)ctx;
	if (held_back(m))
		return;
	s = gid != NULL ? task_in(gid, &up) : -1;
	if (s < 0) {
		client_error(m->id, MCP_INVALID_PARAMS, "%s: unknown task %.100s "
			     "(not one a tools/call through this gateway created)",
			     m->method, gid != NULL ? gid : "(no \"taskId\")");
		return;
	}
	if (G.up[s].state != ST_READY) {
		client_error(m->id, MCP_INTERNAL_ERROR, "%s %s: server %s is not "
			     "running; the task ended with it", m->method, gid,
			     G.up[s].cfg->name);
		return;
	}
	fp = json_deep_copy(m->params);
	json_object_set_new(fp, "taskId", json_string(up));
	forward(m->id, s, m->method, fp, FW_TASK, gid);
}

/* tasks/list: one server's page at a time, like resources/list. */
static void
m_tasks_list(void *ctx, struct mcp_msg *m)
{
	json_t *cur = json_object_get(m->params, "cursor"), *fp;
	char *up = NULL;
	int s = 0, from = 0;

	(void)ctx;
	if (held_back(m))
		return;
	if (cur != NULL && (!json_is_string(cur) || cursor_read(m->method,
			json_string_value(cur), &from, &up) != 0)) {
		client_error(m->id, MCP_INVALID_PARAMS, "tasks/list: invalid "
			     "cursor: not one this gateway gave for tasks/list");
		return;
	}
	for (s = from; s < G.nup && !server_lists_tasks(s); s++)
		;
	if (s == G.nup) {
		free(up);
		client_result(m->id, json_pack("{s:[]}", "tasks"));
		return;
	}
	fp = m->params != NULL ? json_deep_copy(m->params) : json_object();
	if (up != NULL && s == from)
		json_object_set_new(fp, "cursor", json_string(up));
	else
		json_object_del(fp, "cursor");
	free(up);
	forward(m->id, s, m->method, fp, FW_TASKS, G.up[s].cfg->name);
}

static const struct mcp_method client_methods[] = {
	{ "notifications/cancelled", m_cancelled },
	{ "initialize", m_initialize },
	{ "ping", m_ping },
	{ "logging/setLevel", m_set_level },
	{ "tools/list", m_tools },
	{ "tools/call", m_tools },
	{ "resources/list", m_res_list },
	{ "resources/templates/list", m_res_list },
	{ "resources/read", m_res_uri },
	{ "resources/subscribe", m_res_uri },
	{ "resources/unsubscribe", m_res_uri },
	{ "prompts/list", m_prompts_list },
	{ "prompts/get", m_prompt_get },
	{ "completion/complete", m_complete },
	{ "tasks/get", m_task },
	{ "tasks/result", m_task },
	{ "tasks/cancel", m_task },
	{ "tasks/list", m_tasks_list },
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
		if (u->ch[g[k].allow].n != 0 || b->kind != a->kind ||
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

/* The pins (read) and pending (written) files of this profile, made
 * reachable by the gateway's account before it drops root: $WARD_HOME/mcp
 * searchable (0711, not listable), NAME.pins root's and readable by the
 * group (0640: 'ward mcp approve' appends to it as root), NAME.pending
 * the account's (0600: the gateway appends, the operator reads). */
static int
pins_for_account(gid_t gid, uid_t uid, char *err, size_t errlen)
{
	char dir[1024];
	int fd;

	snprintf(dir, sizeof dir, "%s/mcp", G.h.home);
	if (chmod(dir, 0711) != 0)
		return snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1;
	fd = open(G.pins.path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || fchown(fd, 0, gid) != 0 || fchmod(fd, 0640) != 0) {
		snprintf(err, errlen, "%s: %s", G.pins.path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	fd = open(G.pins.pending, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchown(fd, uid, gid) != 0 || fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, "%s: %s", G.pins.pending, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Privilege separation, as ward-broker's (broker/broker.c): the launcher
 * (launcher.c) forked while root, with the profile, to start the servers
 * and ward-egress; then this process becomes the ward-gateway account
 * (with the ward-broker group, for the core's socket folder), not
 * dumpable, and confines itself -- Landlock: this profile's pins (read)
 * and pending (read, write) files and pub/ only; seccomp: no exec, no
 * fork, no ptrace, no set*id, Unix sockets only -- before any thread
 * exists (the first core connection starts nanomsg's).  A bug in the JSON,
 * MCP or HTTP handling that follows is one in a process that can read no
 * key, no state, no vault and no file of the home but those, and can only
 * ask the launcher to start the profile's own servers.  Run by a user
 * other than root, it keeps that user's account and confines itself all
 * the same.  The HTTP listener and its token are made before (by root);
 * the launcher, which does not keep the listener, removes its unix
 * socket at the end. */
static int
separate(const char *listen)
{
	char err[1024], tok[4200];
	const char *rw[2], *ro[5];
	struct wp_profile prof;
	uid_t uid = 0;
	gid_t gid = 0;
	int root = geteuid() == 0;

	if (root && wp_account(WP_GATEWAY_ACCOUNT, &uid, &gid, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s (the gateway runs under an account "
			"of its own since this version; 'ward init' as root adds it "
			"to an existing home)\n", err);
		return WX_HOME;
	}
	if (listen != NULL) {
		snprintf(tok, sizeof tok, "%s/mcp/%s.token", G.h.home, G.p->name);
		if (http_start(listen, tok, MSG_MAX, err, sizeof err) != 0) {
			fprintf(stderr, "ward mcp: %s\n", err);
			return WX_USAGE;
		}
		G.http = 1;
		gw_note("listening on %s (Streamable HTTP); the bearer token is in "
		     "%s", http_url(), tok);
	}
	if (ln_fork(G.p, G.h.home, G.http && strncmp(http_url(), "unix:", 5) == 0 ?
		    http_url() + 5 : NULL, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: cannot start the launcher: %s\n", err);
		return WX_FAILED;
	}
	if (root) {
		if (pins_for_account(gid, uid, err, sizeof err) != 0) {
			fprintf(stderr, "ward mcp: %s\n", err);
			return WX_HOME;
		}
		if (wp_drop_with(WP_GATEWAY_ACCOUNT, WP_BROKER_ACCOUNT, err,
				 sizeof err) != 0) {
			fprintf(stderr, "ward mcp: %s\n", err);
			return WX_FAILED;
		}
	}
	(void)prctl(PR_SET_DUMPABLE, 0);
	rw[0] = G.pins.pending;
	rw[1] = NULL;
	ro[0] = G.pins.path;
	ro[1] = G.h.pub;
	ro[2] = "/dev/null";
	ro[3] = "/dev/urandom";
	ro[4] = NULL;
	prof.rw = rw;
	prof.ro = ro;
	prof.allow_fork = 0;
	if (!root && (access(G.pins.pending, F_OK) != 0 || access(G.pins.path, F_OK) != 0)) {
		int fd;

		fd = open(G.pins.pending, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		fd = open(G.pins.path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	if (wp_confine(&prof, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: the gateway cannot confine itself: %s\n",
			err);
		return WX_FAILED;
	}
	return 0;
}

time_t
gw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
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
	int s, i, core_ok, fl0, fl1, rc;

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
	randombytes_buf(G.cursor_key, sizeof G.cursor_key);
	if (take_handoff(hfd) != 0)
		return WX_INPUT;
	close(hfd);
	if ((rc = separate(listen)) != 0)
		return rc;
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
	G.t0 = gw_now();
	while (!G.stop) {
		/* what[i]: -1 the client's input, -2 its output, s a server's
		 * output, GW_MAX_SERVERS + s its input, 2 * GW_MAX_SERVERS + s
		 * its stderr. */
		int n = 0, what[3 * GW_MAX_SERVERS + 2 + GW_HTTP_FDS], from_client = 0;
		int hn, htag[GW_HTTP_FDS];
		int room = !oq_over(&G.cq);
		time_t now = gw_now();

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
		/* Every request read and handled, the ones that wait for the
		 * servers' start-up too (GW_QUEUE_S at most): a client that
		 * closes its input after its last request gets its answers. */
		if (G.in.eof && (mcp_in_pending(&G.in) == 0 ||
				 memchr(G.in.b + G.in.off, '\n',
					mcp_in_pending(&G.in)) == NULL ||
				 oq_stalled(&G.cq, GW_STALL_MS)) &&
		    ((G.init_reply == NULL && G.queued == NULL) ||
		     oq_stalled(&G.cq, GW_STALL_MS)))
			break;
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
	ln_close();
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

