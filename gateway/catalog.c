/*
 * catalog.c -- ward-gateway and ward-core (gw_int.h): the session's
 * context, each call's (read's, get's) approval and the events it logs;
 * the catalog the client sees: every listed tool and prompt whose
 * definition hashes to its approved pin, prefixed with its server's name;
 * which server a resource URI is; the cursors of the lists paged through
 * the servers and the ids of their tasks.  Not part of the verified core.
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

/* ---- ward-core ------------------------------------------------------------ */

/* The context is opened on first need, so a core that comes up later is
 * used; until then every call is refused.  A core that is not listening
 * is known at once (no request waits for it), and a core that restarted
 * has kept the session open (its journal): the context it says exists is
 * ours (its id is the one of the grant minted for this run, which only
 * this gateway holds, and every approval is still checked against the
 * grant's chain), and is used again. */
int
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
uint64_t
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

/* The chain to ask for kind's resource res: the allow line that names
 * it, or all of the server's of that kind, or (a resource) a scheme
 * "SERVER:ui:" it goes on from; else the first line of that kind, else
 * the first line: ward-core then refuses (and logs) a resource outside
 * it.  *named is 0 when no line of that kind covers res. */
static const struct wb_chain *
chain_for(const struct upstream *u, uint8_t kind, const char *res, int *named)
{
	int i, first = -1;

	*named = 0;
	for (i = 0; i < u->cfg->nallow; i++) {
		const struct gw_allow *a = &u->cfg->allow[i];
		size_t n = strlen(a->scope);

		if (a->kind != kind)
			continue;
		if (first < 0)
			first = i;
		if (strcmp(a->scope, res) == 0 ||
		    strcmp(a->scope, u->cfg->name) == 0 ||
		    (kind == WARD_KIND_RESOURCE && n > 0 &&
		     a->scope[n - 1] == ':' && strncmp(a->scope, res, n) == 0)) {
			*named = 1;
			return &u->ch[i];
		}
	}
	return &u->ch[first >= 0 ? first : 0];
}

/* Ask ward-core: 0 and its answer in *r (*nonce the nonce asked with);
 * -1 it did not answer. */
static int
core_ask(const struct wb_chain *ch, uint8_t op, const char *res,
	 const uint8_t d[32], uint64_t *nonce, struct wb_reply *r)
{
	if (core_ready() != 0)
		return -1;
	*nonce = __atomic_add_fetch(&G.nonce, 1, __ATOMIC_SEQ_CST);
	if (cc_approve(G.core_s, G.ctx, ch, op, res, d, *nonce, r) == 0)
		return 0;
	/* A core that restarted since the last call: once more on a new
	 * connection, with a new nonce (the first may have been decided; if
	 * so, it is in the log and its use is spent). */
	core_lost();
	if (core_ready() == 0) {
		*nonce = __atomic_add_fetch(&G.nonce, 1, __ATOMIC_SEQ_CST);
		if (cc_approve(G.core_s, G.ctx, ch, op, res, d, *nonce, r) == 0)
			return 0;
		core_lost();
	}
	return -1;
}

/* 0 approved; -1 refused (the answer is sent). */
int
approve(json_t *id, struct upstream *u, const char *up_name, json_t *args)
{
	char res[WARD_SCOPE_MAX + 1];
	uint8_t d[32];
	struct wb_reply r;
	const struct wb_chain *ch;
	uint64_t nonce;
	int named;

	if (gw_tool_resource(res, u->cfg->name, up_name) != 0) {
		client_refusal(id, "bad_resource", 0, "%s: the tool's name cannot "
			       "be a resource", up_name);
		return -1;
	}
	/* `allow TOOL` is that tool exactly, `allow *` the whole server; a
	 * tool's scope covers no other tool, since a '.' of a tool's name is
	 * ':' in its resource. */
	ch = chain_for(u, WARD_KIND_TOOL, res, &named);
	digest_of(d, res, args);
	if (core_ask(ch, WARD_OP_TOOL_INVOKE, res, d, &nonce, &r) != 0) {
		client_refusal(id, "core_unreachable", 0, "tools/call %s: ward-core "
			       "did not answer; nothing was done (ward fails "
			       "closed)", res);
		return -1;
	}
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

int
approve_read(json_t *id, struct upstream *u, uint8_t op, const char *res,
	     json_t *args, const char *method)
{
	uint8_t kind = op == WARD_OP_RESOURCE_READ ? WARD_KIND_RESOURCE :
		       WARD_KIND_PROMPT;
	const char *opn = op == WARD_OP_RESOURCE_READ ? "resource.read" :
			  "prompt.get";
	const struct wb_chain *ch;
	struct wb_reply r;
	uint8_t d[32];
	uint64_t nonce;
	int named;

	ch = chain_for(u, kind, res, &named);
	digest_of(d, res, args);
	if (core_ask(ch, op, res, d, &nonce, &r) != 0) {
		to_client(mcp_refused(id, "core_unreachable", 0, 0, "%s %s %s: "
				      "ward-core did not answer; nothing was asked "
				      "of the server (ward fails closed)", method,
				      opn, res));
		return -1;
	}
	if (r.reason != 0) {
		to_client(mcp_refused(id, cc_reason_name(r.reason), r.audit_pos,
				      1, "%s %s %s: %s%s%s%s", method, opn, res,
				      r.detail, named ? "" : "; no allow line of "
				      "server ", named ? "" : u->cfg->name,
				      named ? "" : kind == WARD_KIND_RESOURCE ?
				      " grants it (the operator adds 'allow "
				      "resource URI', 'allow resource SCHEME:' or "
				      "'allow resource *' to its block)" :
				      " grants it (the operator adds 'allow prompt "
				      "NAME' or 'allow prompt *' to its block)"));
		return -1;
	}
	if (cc_approval_ok(&r, NULL, G.ctx, op, res, d, nonce) != 0) {
		to_client(mcp_refused(id, "bad_approval", r.audit_pos, 1, "%s %s "
				      "%s: the approval does not match the "
				      "request; nothing was asked of the server",
				      method, opn, res));
		return -1;
	}
	return 0;
}

/* ---- which server a resource is ------------------------------------------- */

/* uri matches the URI template t (RFC 6570, as far as routing needs): a
 * literal matches itself; {x} one or more bytes other than '/', '?',
 * '#' and ','; {+x}, {#x} and the other operators any bytes.  *budget
 * bounds the steps (a server chooses its templates: "{a}{b}{c}..." must
 * not cost the gateway n^k); out of it, no match. */
static int
tmpl_match_b(const char *t, const char *uri, long *budget)
{
	const char *e;
	size_t k;
	int any;

	while (*t != '\0' && *t != '{') {
		if (*t != *uri)
			return 0;
		t++;
		uri++;
	}
	if (*t == '\0')
		return *uri == '\0';
	e = strchr(t, '}');
	if (e == NULL)
		return 0;
	any = t[1] != '\0' && strchr("+#./;?&", t[1]) != NULL;
	for (k = 0;; k++) {
		if (--*budget < 0)
			return 0;
		if (k > 0 && tmpl_match_b(e + 1, uri + k, budget))
			return 1;
		if (uri[k] == '\0' ||
		    (!any && strchr("/?#,", uri[k]) != NULL))
			return 0;
	}
}

static int
tmpl_match(const char *t, const char *uri)
{
	long budget = 100000;

	return tmpl_match_b(t, uri, &budget);
}

/* uri is a string anywhere in j (a tool's _meta.ui.resourceUri, MCP
 * Apps), at most depth 8 down. */
static int
json_mentions(json_t *j, const char *uri, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > 8)
		return 0;
	if (json_is_string(j))
		return strcmp(json_string_value(j), uri) == 0;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (json_mentions(v, uri, depth + 1))
				return 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (json_mentions(v, uri, depth + 1))
				return 1;
	}
	return 0;
}

int
server_has(int s, const char *cap)
{
	return G.up[s].state == ST_READY &&
	       json_object_get(G.up[s].caps, cap) != NULL;
}

int
server_lists_tasks(int s)
{
	return server_has(s, "tasks") && json_object_get(json_object_get(
		G.up[s].caps, "tasks"), "list") != NULL;
}

/* ---- tasks ------------------------------------------------------------------- */

/* Task ids are the servers' choice: two servers may pick the same, and a
 * hostile one another's.  The client sees the gateway's own ids. */
int
task_out(int s, json_t *task, int create)
{
	const char *id = json_string_value(json_object_get(task, "taskId"));
	const char *k;
	json_t *v;
	char gid[48];

	if (id == NULL)
		return -1;
	if (G.tasks == NULL)
		G.tasks = json_object();
	json_object_foreach(G.tasks, k, v)
		if (json_integer_value(json_array_get(v, 0)) == s &&
		    strcmp(json_string_value(json_array_get(v, 1)), id) == 0) {
			json_object_set_new(task, "taskId", json_string(k));
			return 0;
		}
	if (!create || json_object_size(G.tasks) >= 10000)
		return -1;
	snprintf(gid, sizeof gid, "ward-task-%lld", (long long)++G.next_task);
	json_object_set_new(G.tasks, gid, json_pack("[i, s]", s, id));
	json_object_set_new(task, "taskId", json_string(gid));
	return 0;
}

int
task_in(const char *gid, const char **up)
{
	json_t *v = json_object_get(G.tasks, gid);

	if (v == NULL)
		return -1;
	*up = json_string_value(json_array_get(v, 1));
	return (int)json_integer_value(json_array_get(v, 0));
}

/* ---- the cursors of resources/list and resources/templates/list ---------- */

/* A page of these lists is one server's page: the gateway's cursor says
 * which server and that server's cursor, "w1." HEX(S ":" CURSOR) "."
 * HEX(MAC), the MAC keyed with this run's random key over the method and
 * the rest, so that a client can neither forge one nor carry one from a
 * list to the other.  Servers' cursors of more than 4 KiB end the list. */
#define GW_CURSOR_MAX 4096

static void
cursor_mac(uint8_t mac[16], const char *method, const char *payload)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, G.cursor_key, sizeof G.cursor_key, 16);
	crypto_generichash_update(&st, (const uint8_t *)method,
				  strlen(method) + 1);
	crypto_generichash_update(&st, (const uint8_t *)payload,
				  strlen(payload));
	crypto_generichash_final(&st, mac, 16);
}

char *
cursor_make(const char *method, int s, const char *up)
{
	size_t n = up != NULL ? strlen(up) : 0;
	char *pl, *out;
	uint8_t mac[16];

	if (n > GW_CURSOR_MAX)
		return NULL;
	pl = malloc(n + 16);
	out = malloc(2 * (n + 16) + 40);
	if (pl == NULL || out == NULL) {
		free(pl);
		free(out);
		return NULL;
	}
	snprintf(pl, n + 16, "%d:%s", s, up != NULL ? up : "");
	cursor_mac(mac, method, pl);
	memcpy(out, "w1.", 3);
	sodium_bin2hex(out + 3, 2 * strlen(pl) + 1, (const uint8_t *)pl,
		       strlen(pl));
	strcat(out, ".");
	sodium_bin2hex(out + strlen(out), 33, mac, 16);
	free(pl);
	return out;
}

int
cursor_read(const char *method, const char *c, int *s, char **up)
{
	size_t n = c != NULL ? strlen(c) : 0, hl, bl;
	const char *dot;
	char *pl = NULL, *e;
	uint8_t mac[16], want[16];
	long v;
	int rc = -1;

	*up = NULL;
	if (n < 3 + 2 + 1 + 32 || n > 2 * (GW_CURSOR_MAX + 16) + 40 ||
	    strncmp(c, "w1.", 3) != 0)
		return -1;
	dot = strchr(c + 3, '.');
	if (dot == NULL || strlen(dot + 1) != 32)
		return -1;
	hl = (size_t)(dot - (c + 3));
	pl = calloc(1, hl / 2 + 1);
	if (pl == NULL || sodium_hex2bin((uint8_t *)pl, hl / 2, c + 3, hl, NULL,
					 &bl, NULL) != 0 || bl * 2 != hl ||
	    sodium_hex2bin(mac, 16, dot + 1, 32, NULL, &bl, NULL) != 0 ||
	    bl != 16 || strlen(pl) != hl / 2)
		goto out;
	cursor_mac(want, method, pl);
	if (sodium_memcmp(mac, want, 16) != 0)
		goto out;
	v = strtol(pl, &e, 10);
	if (e == pl || *e != ':' || v < 0 || v >= G.nup)
		goto out;
	*s = (int)v;
	if (e[1] != '\0') {
		*up = strdup(e + 1);
		if (*up == NULL)
			goto out;
	}
	rc = 0;
out:
	free(pl);
	return rc;
}

/* URIs are the servers' own (a ui:// one must stay as a tool names it),
 * so the gateway finds a URI's server: the one that listed it (or that
 * the client subscribed it at), else the one with a template it matches,
 * else the one whose tool definitions name it, else the only server with
 * resources.  Two servers at the first step that finds any: ambiguous,
 * refused -- a server cannot take another's resource by listing it too. */
int
resource_owner(json_t *id, const char *method, const char *uri)
{
	int s, step, n, last = -1;
	char names[GW_MAX_SERVERS * (GW_NAME_MAX + 2)];
	static const char *const by[] = { "lists", "has a URI template "
		"that matches", "names in a tool's definition", "" };

	for (step = 0; step < 4; step++) {
		n = 0;
		names[0] = '\0';
		for (s = 0; s < G.nup; s++) {
			const struct upstream *u = &G.up[s];
			size_t i;
			json_t *t;
			int hit = 0;

			if (!server_has(s, "resources"))
				continue;
			if (step == 0)
				hit = json_object_get(u->uris, uri) != NULL ||
				      json_object_get(u->subs, uri) != NULL;
			else if (step == 1)
				json_array_foreach(u->tmpls, i, t)
					hit |= json_is_string(t) &&
					       tmpl_match(json_string_value(t), uri);
			else if (step == 2)
				hit = json_mentions(u->tools, uri, 0);
			else
				hit = 1;
			if (!hit)
				continue;
			if (n++ > 0)
				strcat(names, ", ");
			strcat(names, u->cfg->name);
			last = s;
		}
		if (n == 1)
			return last;
		if (n > 1 && step < 3) {
			uint64_t pos = core_note("BLOCKED mcp %s %.200s "
						 "reason=ambiguous_resource "
						 "servers=%s", method, uri, names);

			to_client(mcp_refused(id, "ambiguous_resource", pos,
					      pos != 0, "%s %.200s: servers %s "
					      "each %s this URI; ward reads it "
					      "from none (a server could shadow "
					      "another's resource)", method, uri,
					      names, by[step]));
			return -1;
		}
	}
	client_error(id, MCP_INVALID_PARAMS, "%s %.200s: no server of this "
		     "gateway has it (none lists it, has a URI template that "
		     "matches it, or names it in a tool; %s)", method, uri,
		     n > 1 ? "several servers have resources: list them first" :
		     "no running server has resources");
	return -1;
}

/* ---- the catalog ------------------------------------------------------------ */

static void
offer_clear(struct tool **v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		free((*v)[i].up_name);
		json_decref((*v)[i].def);
	}
	free(*v);
	*v = NULL;
	*n = 0;
}

/* What the client is offered of one kind (tools, or prompts): every
 * definition of every live server that hashes to its approved pin,
 * renamed "SERVER_NAME"; the others quarantined (pending). */
static void
offer_build(struct tool **out, size_t *nout, int prompts)
{
	int s;
	size_t i, n = 0;

	offer_clear(out, nout);
	/* Pins that cannot be read pin nothing, and quarantine nothing more. */
	if (G.pins.err[0] != '\0')
		return;
	for (s = 0; s < G.nup; s++) {
		json_t *l = prompts ? G.up[s].prompts : G.up[s].tools;

		if (l != NULL)
			n += json_array_size(l);
	}
	*out = calloc(n + 1, sizeof **out);
	if (*out == NULL)
		return;
	for (s = 0; s < G.nup; s++) {
		struct upstream *u = &G.up[s];
		json_t *l = prompts ? u->prompts : u->tools, *t;

		if (l == NULL || u->state == ST_DEAD)
			continue;
		json_array_foreach(l, i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));
			const char *pin;
			char hex[65], pname[GW_NAME_MAX + GW_TOOL_MAX + 2], err[2048];
			char key[GW_PIN_NAME_MAX + 1];
			char *canon;
			json_t *def;
			size_t k;
			int added;

			if (name == NULL || !gw_tool_name_ok(name))
				continue;	/* refused when listed (defs_checked) */
			snprintf(key, sizeof key, "%s%s", prompts ? "prompt:" : "",
				 name);
			canon = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
			if (canon == NULL || gw_def_hash(hex, key, canon) != 0) {
				free(canon);
				continue;
			}
			pin = gw_pin_get(&G.pins, u->cfg->name, key);
			if (pin == NULL || sodium_memcmp(pin, hex, 64) != 0) {
				added = gw_pending_add(&G.pins, u->cfg->name, key, hex,
						       t, err, sizeof err);
				if (added < 0)
					gw_note("cannot record %s %s as pending: %s",
					     u->cfg->name, key, err);
				if (added == 1)
					gw_note("quarantined %s %s %s (%s): approve "
					     "with 'ward mcp approve --profile %s %s "
					     "%s'", u->cfg->name, key, hex,
					     pin == NULL ? "new" : "changed",
					     G.p->path, u->cfg->name, key);
				free(canon);
				continue;
			}
			free(canon);
			snprintf(pname, sizeof pname, "%s_%s", u->cfg->name, name);
			for (k = 0; k < *nout; k++)
				if (strcmp(json_string_value(json_object_get(
					(*out)[k].def, "name")), pname) == 0)
					break;
			if (k != *nout)
				continue;	/* cannot happen: names are unique */
			def = json_deep_copy(t);
			json_object_set_new(def, "name", json_string(pname));
			(*out)[*nout].srv = s;
			(*out)[*nout].up_name = strdup(name);
			(*out)[*nout].def = def;
			(*nout)++;
		}
	}
}

/* Rebuild what the client sees: every tool and prompt of every live
 * server whose definition hashes to its approved pin, prefixed
 * "SERVER_".  When the prompts offered change, the client is told
 * (notifications/prompts/list_changed); the tools' callers tell it. */
void
catalog_build(void)
{
	crypto_generichash_state st;
	uint8_t sig[32];
	size_t i;

	offer_build(&G.tools, &G.ntools, 0);
	offer_build(&G.prompts, &G.nprompts, 1);
	crypto_generichash_init(&st, NULL, 0, sizeof sig);
	for (i = 0; i < G.nprompts; i++) {
		char *c = json_dumps(G.prompts[i].def, JSON_COMPACT |
				     JSON_SORT_KEYS);

		if (c != NULL)
			crypto_generichash_update(&st, (const uint8_t *)c,
						  strlen(c) + 1);
		free(c);
	}
	crypto_generichash_final(&st, sig, sizeof sig);
	if (memcmp(sig, G.prompts_sig, sizeof sig) != 0) {
		memcpy(G.prompts_sig, sig, sizeof sig);
		if (client_live())
			to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
					    "notifications/prompts/list_changed"));
	}
}

long
prompt_find(const char *name)
{
	size_t i;

	for (i = 0; i < G.nprompts; i++)
		if (strcmp(json_string_value(json_object_get(G.prompts[i].def,
							     "name")), name) == 0)
			return (long)i;
	return -1;
}

/* The tools (or prompts) of a server's listing that may be offered or
 * quarantined: objects whose name is in the MCP tool-name grammar
 * (gw_tool_name_ok) and no other of the server's has.  The others are
 * refused -- never offered, never pending, never pinned -- and logged,
 * their name escaped. */
static json_t *
defs_checked(const struct upstream *u, json_t *listed, const char *noun)
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
			gw_note("server %s: a %s without a name (or not a string) "
			     "refused", u->cfg->name, noun);
		else if (!gw_tool_name_ok(name))
			/* gw_note() escapes the whole line (common/text.h). */
			gw_note("server %s: %s \"%.*s\" refused: its name (%zu bytes) "
			     "is outside the MCP tool-name grammar (1 to %d of A-Z, "
			     "a-z, 0-9, '_', '-', '.'); it is not offered and cannot "
			     "be approved", u->cfg->name, noun, GW_TOOL_MAX, name,
			     strlen(name), GW_TOOL_MAX);
		else
			gw_note("server %s: %s \"%s\" refused: the server lists "
			     "%lld %ss of that name; none of them is offered",
			     u->cfg->name, noun, name, (long long)json_integer_value(
			     json_object_get(seen, name)), noun);
	}
	if (nbad > 32)
		gw_note("server %s: %zu more %ss refused (not logged one by one)",
		     u->cfg->name, nbad - 32, noun);
	json_decref(seen);
	return ok;
}

json_t *
tools_checked(const struct upstream *u, json_t *listed)
{
	return defs_checked(u, listed, "tool");
}

json_t *
prompts_checked(const struct upstream *u, json_t *listed)
{
	return defs_checked(u, listed, "prompt");
}

/* Reread the pins if the file changed; then what the client sees changes
 * too.  A pin file that cannot be read pins nothing: every tool goes. */
void
pins_check(void)
{
	int rc = gw_pins_reload(&G.pins);

	if (rc == 0)
		return;
	if (rc < 0)
		gw_note("%s\n  (no tool is offered until the pins can be read)",
		     G.pins.err);
	catalog_build();
	list_changed();
}

