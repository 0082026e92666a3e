/*
 * catalog.c -- ward-gateway and ward-core (gw_int.h): the session's
 * context, each call's approval and the events it logs; and the catalog
 * the client sees: every listed tool whose definition hashes to its
 * approved pin, prefixed with its server's name.  Not part of the
 * verified core.
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

/* 0 approved; -1 refused (the answer is sent). */
int
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
	nonce = __atomic_add_fetch(&G.nonce, 1, __ATOMIC_SEQ_CST);
	if (cc_approve(G.core_s, G.ctx, ch, WARD_OP_TOOL_INVOKE, res, d, nonce,
		       &r) != 0) {
		/* A core that restarted since the last call: once more on a
		 * new connection, with a new nonce (the first may have been
		 * decided; if so, it is in the log and its use is spent). */
		core_lost();
		if (core_ready() == 0) {
			nonce = __atomic_add_fetch(&G.nonce, 1, __ATOMIC_SEQ_CST);
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
void
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
json_t *
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
	if (G.client_init)
		to_client(json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				    "notifications/tools/list_changed"));
}

