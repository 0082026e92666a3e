/*
 * upstream.c -- ward-gateway's upstream servers (gw_int.h): each started
 * in a ward sandbox of its own with the client's capabilities, initialized
 * and listed on its own, restarted with backoff when it stops, cut off
 * when it stops reading; what it says is routed to the client, what it
 * asks is answered from the profile or relayed.  Not part of the verified
 * core.
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
#include "egress_gw.h"
#include "launcher.h"

/* What a server writes on its stderr, one line of ours per line of its,
 * named and escaped: a server cannot write to the terminal (or the MCP
 * client's log) anything that reads as ours or that a terminal obeys.
 * eof: print what is left of an unfinished line. */
void
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
int
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

/* ---- messages to a server ------------------------------------------------- */

void
server_input_lost(struct upstream *u)
{
	gw_note("server %s: cannot write to it: %s", u->cfg->name, strerror(errno));
	close(u->in);
	u->in = -1;
	oq_free(&u->q);
}

void
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

struct pend *
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

void
pend_free(struct pend *p)
{
	json_decref(p->client_id);
	json_decref(p->client_tok);
	free(p->tool);
	memset(p, 0, sizeof *p);
}

void
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

/* ---- upstream servers ------------------------------------------------------ */

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

int
start_server(int idx)
{
	struct upstream *u = &G.up[idx];
	struct gw_server *c = u->cfg;
	int fds[3], proxy = -1, rc;
	pid_t pid;

	/* A remote server: its sandbox gets ward-egress as its proxy, in
	 * the session's context (egress_gw.c); without one, no network. */
	if (c->url[0] != '\0' && egw_gateway_attach(idx, &proxy) != 0)
		gw_note("server %s: no egress proxy: its requests are refused",
			c->name);
	/* The launcher (launcher.c, root) builds the sandbox from the
	 * profile's spec of server idx: we name the server, nothing else. */
	rc = ln_server_start(idx, proxy, fds, &pid);
	if (proxy >= 0)
		close(proxy);
	if (rc != 0)
		return -1;
	u->pid = pid;
	u->in = fds[0];
	u->out = fds[1];
	u->err = fds[2];
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
	u->started = gw_now();
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

/* The server's prompts, all pages, into u->prompts (PK_PLIST); the
 * catalog is rebuilt when the last page is in. */
static void
prompts_page(int s, const char *cursor)
{
	json_t *params = json_object();

	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	server_request(s, PK_PLIST, "prompts/list", params);
}

void
prompts_fetch(int s)
{
	struct upstream *u = &G.up[s];

	if (u->plisting != NULL) {
		u->prelist = 1;	/* again once this listing is done */
		return;
	}
	u->plisting = json_array();
	prompts_page(s, NULL);
}

static void
to_client_note(const char *method)
{
	if (client_live())
		to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				    method));
}

int
client_live(void)
{
	return G.client_init && G.released && G.init_reply == NULL;
}

void
list_changed(void)
{
	if (client_live())
		to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				    "notifications/tools/list_changed"));
}

void
server_dead(int s, const char *why)
{
	struct upstream *u = &G.up[s];
	time_t now = gw_now();
	int offered = u->tools != NULL && json_array_size(u->tools) > 0;
	size_t i;

	if (u->state == ST_DEAD)
		return;
	/* Started again later, sooner if it had run a while (ready_at
	 * stays while it lists again after a list_changed). */
	if (u->ready_at != 0 && now - u->ready_at >= GW_BACKOFF_RESET_S)
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
	/* Its prompts go (catalog_build tells the client), and so do its
	 * resources: what it listed, and the client's subscriptions there. */
	if (json_object_get(u->caps, "resources") != NULL)
		to_client_note("notifications/resources/list_changed");
	json_decref(u->caps);
	u->caps = NULL;
	json_decref(u->prompts);
	u->prompts = NULL;
	json_decref(u->plisting);
	u->plisting = NULL;
	u->prelist = 0;
	u->tools_next = 0;
	json_object_clear(u->uris);
	json_array_clear(u->tmpls);
	json_object_clear(u->subs);
	/* A server that hangs is ended by its supervisor (SIGTERM sets its
	 * cancel flag); one that exited is already on its way out. */
	if (u->pid > 0)
		(void)ln_server_signal(s, SIGTERM);
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

			snprintf(msg, sizeof msg, "%s %s: the upstream server "
				 "stopped before it answered: %s", p->what,
				 p->tool != NULL ? p->tool : "", why);
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
void
server_restart(int s, time_t now)
{
	struct upstream *u = &G.up[s];

	if (u->state != ST_DEAD || u->restart_at == 0 || now < u->restart_at ||
	    G.stop)
		return;
	if (u->pid > 0) {
		int w = ln_server_gone(s);

		if (w == 0) {
			(void)ln_server_signal(s, now - u->restart_at >= 5 ?
					       SIGKILL : SIGTERM);
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
void
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
		(void)ln_server_signal(s, SIGTERM);	/* its supervisor ends the sandbox */
}

static void
list_fetch(int s, const char *cursor)
{
	json_t *params = json_object();

	if (cursor != NULL)
		json_object_set_new(params, "cursor", json_string(cursor));
	server_request(s, PK_LIST, "tools/list", params);
}


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
int
queue_open(void)
{
	if (!G.released && (all_settled() || gw_now() - G.t0 >= GW_QUEUE_S))
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

/* The gateway's next cursor of a list that goes across servers, in place
 * of server s's in res: s's own next page, else the first page of the
 * next server that has the list (lists), else none. */
static void
next_cursor(json_t *res, const char *method, int s, int (*lists)(int t))
{
	const char *next = json_string_value(json_object_get(res, "nextCursor"));
	char *c = NULL;
	int t;

	if (next != NULL) {
		c = cursor_make(method, s, next);
		if (c == NULL)
			gw_note("server %s: its %s cursor is over 4 KiB; the list "
				"ends there", G.up[s].cfg->name, method);
	}
	for (t = s + 1; c == NULL && t < G.nup; t++)
		if (lists(t))
			c = cursor_make(method, t, NULL);
	if (c != NULL)
		json_object_set_new(res, "nextCursor", json_string(c));
	else
		json_object_del(res, "nextCursor");
	free(c);
}

static int
lists_resources(int t)
{
	return server_has(t, "resources");
}

/* A server's page of resources/list (fwd FW_RLIST) or templates/list
 * (FW_TLIST), on its way to the client: its URIs (templates) noted as
 * the server's, for routing (resource_owner); its next page the
 * gateway's cursor -- the server's own next page, else the first page
 * of the next server with resources, else none. */
static void
list_answer(int s, int fwd, json_t *res)
{
	struct upstream *u = &G.up[s];
	const char *method = fwd == FW_RLIST ? "resources/list" :
			     "resources/templates/list";
	json_t *l, *r;
	size_t i;

	if (!json_is_object(res))
		return;
	if (u->uris == NULL)
		u->uris = json_object();
	if (u->tmpls == NULL)
		u->tmpls = json_array();
	l = json_object_get(res, fwd == FW_RLIST ? "resources" :
			    "resourceTemplates");
	json_array_foreach(l, i, r) {
		const char *v = json_string_value(json_object_get(r, fwd ==
					FW_RLIST ? "uri" : "uriTemplate"));

		if (v == NULL)
			continue;
		if (fwd == FW_RLIST && json_object_size(u->uris) < 100000)
			json_object_set_new(u->uris, v, json_true());
		if (fwd == FW_TLIST && json_array_size(u->tmpls) < 10000) {
			size_t k;
			json_t *x;
			int have = 0;

			json_array_foreach(u->tmpls, k, x)
				have |= strcmp(json_string_value(x), v) == 0;
			if (!have)
				json_array_append_new(u->tmpls, json_string(v));
		}
	}
	next_cursor(res, method, s, lists_resources);
}

/* The task ids in an answer made the gateway's: a tools/call's new task
 * (CreateTaskResult), the task tasks/get and tasks/cancel give, the
 * related task of tasks/result, each task of tasks/list (a task the
 * gateway did not see created is left out) and its next page. */
static void
task_answer(int s, const struct pend *p, json_t *res)
{
	json_t *t, *l, *keep, *meta;
	size_t i;

	if (!json_is_object(res))
		return;
	if (p->fwd == FW_PASS && strcmp(p->what, "tools/call") == 0 &&
	    json_is_object(t = json_object_get(res, "task")))
		(void)task_out(s, t, 1);
	if (p->fwd == FW_TASK) {
		if (json_object_get(res, "taskId") != NULL)
			(void)task_out(s, res, 0);
		meta = json_object_get(json_object_get(res, "_meta"),
				       "io.modelcontextprotocol/related-task");
		if (json_is_object(meta))
			(void)task_out(s, meta, 0);
	}
	if (p->fwd != FW_TASKS)
		return;
	l = json_object_get(res, "tasks");
	keep = json_array();
	json_array_foreach(l, i, t)
		if (json_is_object(t) && task_out(s, t, 0) == 0)
			json_array_append(keep, t);
	json_object_set_new(res, "tasks", keep);
	next_cursor(res, "tasks/list", s, server_lists_tasks);
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
			/* Intact: result or error, with the client's id; a list's
			 * next page is the gateway's cursor (list_answer). */
			json_t *o = json_deep_copy(m);

			json_object_set(o, "id", p->client_id);
			task_answer(s, p, json_object_get(o, "result"));
			if (p->fwd == FW_RLIST || p->fwd == FW_TLIST)
				list_answer(s, p->fwd, json_object_get(o, "result"));
			to_client(o);
		}
		break;
	case PK_PLIST: {
		json_t *pl = json_object_get(res, "prompts");
		const char *next = json_string_value(json_object_get(res,
								     "nextCursor"));

		if (u->plisting == NULL)
			break;
		if (json_is_array(pl))
			json_array_extend(u->plisting, pl);
		if (next != NULL && json_array_size(u->plisting) < 100000) {
			pend_free(p);
			prompts_page(s, next);
			return;
		}
		json_decref(u->prompts);
		u->prompts = prompts_checked(u, u->plisting);
		json_decref(u->plisting);
		u->plisting = NULL;
		catalog_build();	/* tells the client if they changed */
		if (u->tools_next) {
			u->tools_next = 0;
			if (u->state == ST_LISTING)
				list_fetch(s, NULL);
		}
		if (u->prelist) {
			u->prelist = 0;
			pend_free(p);
			prompts_fetch(s);
			return;
		}
		break;
	}
	case PK_INIT:
		if (!json_is_object(res)) {
			pend_free(p);
			server_dead(s, "refused to initialize");
			return;
		}
		free(u->instructions);
		u->instructions = NULL;
		u->logs = json_object_get(json_object_get(res, "capabilities"),
					  "logging") != NULL;
		json_decref(u->caps);
		u->caps = json_is_object(json_object_get(res, "capabilities")) ?
			  json_deep_copy(json_object_get(res, "capabilities")) :
			  json_object();
		if (json_is_string(json_object_get(res, "instructions")))
			u->instructions = strndup(json_string_value(
				json_object_get(res, "instructions")), 65536);
		to_server(u, json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				       "notifications/initialized"));
		if (u->logs && G.log_level[0] != '\0')
			server_request(s, PK_OTHER, "logging/setLevel",
				       json_pack("{s:s}", "level", G.log_level));
		u->state = ST_LISTING;
		u->deadline = gw_now() + GW_START_S;
		u->listing = json_array();
		/* Its prompts first, then its tools: it is ready (and the
		 * client's first lists served) with both. */
		if (json_object_get(u->caps, "prompts") != NULL) {
			u->tools_next = 1;
			prompts_fetch(s);
		} else {
			list_fetch(s, NULL);
		}
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
		/* A server that comes up (late, or started again after
		 * it stopped) brings its resources back too. */
		if (u->state != ST_READY) {
			u->ready_at = gw_now();
			if (json_object_get(u->caps, "resources") != NULL)
				to_client_note("notifications/resources/"
					       "list_changed");
		}
		u->state = ST_READY;
		catalog_build();
		list_changed();
		if (u->relist) {
			u->relist = 0;
			u->state = ST_LISTING;
			u->deadline = gw_now() + GW_START_S;
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
/* A request of a server's to the client (roots/list, sampling,
 * elicitation, anything else) is logged, by name: what a server asked of
 * the user's side is part of the record.  At most GW_SREQ_LOG_MAX a
 * minute for each server (each is a synchronous record), then one line
 * with how many were not: a server cannot stall the others by asking. */
#define GW_SREQ_LOG_MAX 30u
static void
sreq_log(struct upstream *u, const char *method)
{
	time_t now = gw_now();
	char m[80];
	size_t i;

	if (now / 60 != u->sreq_minute) {
		if (u->sreq_unlogged > 0)
			(void)core_note("server %s: %u more requests of the client "
					"not logged (more than %u a minute)",
					u->cfg->name, u->sreq_unlogged,
					GW_SREQ_LOG_MAX);
		u->sreq_minute = now / 60;
		u->sreq_logged = u->sreq_unlogged = 0;
	}
	if (u->sreq_logged >= GW_SREQ_LOG_MAX) {
		u->sreq_unlogged++;
		return;
	}
	u->sreq_logged++;
	for (i = 0; method[i] != '\0' && i + 1 < sizeof m; i++)
		m[i] = method[i] >= 0x21 && method[i] <= 0x7e ? method[i] : '?';
	m[i] = '\0';
	(void)core_note("server %s asked the client: %s (%s)", u->cfg->name, m,
			strcmp(m, "roots/list") == 0 ? "answered from the profile" :
			(strcmp(m, "sampling/createMessage") == 0 &&
			 json_object_get(G.client_caps, "sampling") != NULL) ||
			(strcmp(m, "elicitation/create") == 0 &&
			 json_object_get(G.client_caps, "elicitation") != NULL) ?
			"relayed to the client" : "refused: not relayed");
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
		if (strcmp(method, "ping") != 0)
			sreq_log(u, method);
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
			u->deadline = gw_now() + GW_START_S;
			u->listing = json_array();
			list_fetch(s, NULL);
		}
	} else if (strcmp(method, "notifications/prompts/list_changed") == 0) {
		if (json_object_get(u->caps, "prompts") != NULL)
			prompts_fetch(s);
	} else if (strcmp(method, "notifications/resources/list_changed") == 0) {
		/* Resources are listed through to the server: the client
		 * lists again. */
		if (json_object_get(u->caps, "resources") != NULL)
			to_client_note("notifications/resources/list_changed");
	} else if (strcmp(method, "notifications/resources/updated") == 0) {
		/* Only of a URI the client subscribed to at this server. */
		const char *uri = json_string_value(json_object_get(params, "uri"));

		if (uri != NULL && json_object_get(u->subs, uri) != NULL &&
		    client_live())
			to_client(json_deep_copy(m));
	} else if (strcmp(method, "notifications/tasks/status") == 0) {
		/* Of a task the gateway gave the client, under its id. */
		json_t *o = json_deep_copy(m);

		if (client_live() && task_out(s, json_object_get(o, "params"),
					      0) == 0)
			to_client(o);
		else
			json_decref(o);
	} else if (strcmp(method, "notifications/progress") == 0) {
		json_t *tok = json_object_get(params, "progressToken");
		size_t i;

		for (i = 0; i < G.npend && json_is_integer(tok); i++) {
			struct pend *p = &G.pend[i];

			if (p->used && p->srv == s && p->kind == PK_CALL &&
			    !p->cancelled && p->client_tok != NULL &&
			    p->tok == json_integer_value(tok)) {
				json_t *o = json_deep_copy(m);
				time_t d = gw_now() + (time_t)u->cfg->timeout_s;

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
		/* Marked with its server: logger "SERVER" or "SERVER/LOGGER". */
		json_t *o = json_deep_copy(m), *op = json_object_get(o, "params");
		const char *lg = json_string_value(json_object_get(op, "logger"));
		char buf[300];

		if (json_is_object(op) && client_live()) {
			snprintf(buf, sizeof buf, "%s%s%.200s", u->cfg->name,
				 lg != NULL ? "/" : "", lg != NULL ? lg : "");
			json_object_set_new(op, "logger", json_string(buf));
			to_client(o);
		} else {
			json_decref(o);
		}
	}
	/* Anything else is dropped. */
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
 * or the server's one call waiting) gets an error rather than silence.
 * If several wait and the id cannot be read, each of them is marked: at
 * its deadline its error says that such an answer came (calls_expire). */
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
	for (i = 0; p == NULL && calls > 0 && i < G.npend; i++)
		if (G.pend[i].used && G.pend[i].srv == s &&
		    G.pend[i].kind == PK_CALL) {
			if (calls == 1)
				p = &G.pend[i];
			else
				G.pend[i].unmatched = 1;
		}
	if (calls > 1) {
		(void)core_note("mcp server %s: an answer over %u MiB dropped, "
				"no id at either end of it: each of its %zu "
				"calls waiting is told so if not answered by "
				"its deadline (reason=result_too_large)",
				u->cfg->name, MSG_MAX >> 20, calls);
		return;
	}
	if (p == NULL || p->kind != PK_CALL) {
		gw_note("server %s: a message over %u MiB dropped (reason="
		     "message_too_large)", u->cfg->name, MSG_MAX >> 20);
		return;
	}
	if (!p->cancelled) {
		uint64_t pos = core_note("mcp %s %s: the answer of server "
					 "%s is over %u MiB; dropped "
					 "(reason=result_too_large)", p->what,
					 p->tool, u->cfg->name, MSG_MAX >> 20);

		client_error(p->client_id, MCP_INTERNAL_ERROR, "%s %s: the "
			     "answer of server %s is over the %u MiB limit and "
			     "was dropped (reason=result_too_large%s)", p->what,
			     p->tool,
			     u->cfg->name, MSG_MAX >> 20, pos != 0 ? ", logged" :
			     "");
	}
	pend_free(p);
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
void
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

/* ---- start and stop --------------------------------------------------------- */

/* Reap the supervisors that have ended, for up to ms; 1 if all have. */
static int
servers_reaped(int ms)
{
	int s, left = 0, i;

	for (i = 0; i <= ms / 10; i++) {
		left = 0;
		for (s = 0; s < G.nup; s++)
			if (G.up[s].pid > 0) {
				if (ln_server_gone(s) != 0)
					G.up[s].pid = 0;
				else
					left++;
			}
		if (left == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

void
shutdown_servers(void)
{
	int s;

	for (s = 0; s < G.nup; s++)
		if (G.up[s].in >= 0) {
			close(G.up[s].in);
			G.up[s].in = -1;
		}
	/* Servers exit at the end of their input; give them two seconds. */
	if (servers_reaped(2000))
		return;
	/* A server that ignores the end of its input: its supervisor kills
	 * the sandbox (SIGTERM sets its cancel flag), then, if that does not
	 * end it within two more seconds, the supervisor itself goes. */
	for (s = 0; s < G.nup; s++)
		if (G.up[s].pid > 0)
			(void)ln_server_signal(s, SIGTERM);
	if (servers_reaped(2000))
		return;
	for (s = 0; s < G.nup; s++)
		if (G.up[s].pid > 0) {
			gw_note("server %s: its supervisor did not stop; killed",
				G.up[s].cfg->name);
			(void)ln_server_signal(s, SIGKILL);
			(void)servers_reaped(500);
			G.up[s].pid = 0;
		}
}

