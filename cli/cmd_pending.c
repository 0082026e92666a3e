/*
 * cmd_pending.c -- ward pending, ward approve ID, ward deny ID: the calls
 * that wait for the operator (a profile line that says `ask`), as
 * ward-core holds them (server/pending.h), and the operator's answer to
 * one of them.  Every request is signed with the operator key on the admin
 * socket; nothing is taken from the broker.  What a call shows -- its
 * resource and its parameters -- came from the agent through the broker,
 * so it is printed escaped (common/text.h), never raw.  Operator-side, not
 * part of the verified core.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>

#include "ward_cli.h"
#include "home.h"
#include "names.h"
#include "text.h"
#include "wb.h"
#include "wire.h"
#include "cmd_ctl.h"

static int
pending_usage(FILE *f)
{
	fprintf(f,
		"usage: ward pending [--home DIR] [--json]\n"
		"\n"
		"List the calls that wait for the operator's answer: the uses of a\n"
		"capability whose profile line says 'ask' (docs/profiles.md), as\n"
		"ward-core holds them (asked on the admin socket, signed with the\n"
		"operator key; never the broker's word).  Each shows its id, its\n"
		"session, the operation and resource, the tool and its parameters\n"
		"(escaped: \\xHH for control and non-ASCII bytes), the digest they\n"
		"hash to, the nonce, and its deadline.  Answer one with\n"
		"'ward approve ID' or 'ward deny ID'; no answer by the deadline\n"
		"is a refusal.  --json prints one JSON object a line.\n"
		"\n"
		"exit status: 0 listed, 2 usage, 3 no ward home, 5 ward-core\n"
		"unreachable, 6 refused by the core.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

static int
answer_usage(FILE *f, const char *cmd)
{
	int ok = strcmp(cmd, "approve") == 0;

	fprintf(f,
		"usage: ward %s [--home DIR] ID\n"
		"\n"
		"%s the call ID that waits for the operator ('ward pending' lists\n"
		"them), as a request signed with the operator key.  The answer\n"
		"is logged and applies to that one call: %s\n"
		"\n"
		"exit status: 0 answered, 2 usage, 3 no ward home, 4 no call ID\n"
		"waits for an answer (already answered, expired, or never held),\n"
		"5 ward-core unreachable, 6 refused by the core.\n",
		cmd, ok ? "Approve" : "Deny", ok ? "the broker's next send of\n"
		"exactly that call (same context, operation, resource,\n"
		"parameters and nonce) is decided by ward-core as any other, and\n"
		"spends one use; any other call is not covered." :
		"it is refused (operator_denied)\n"
		"and its nonce spent, so it cannot be held or approved again.");
	return f == stdout ? WX_OK : WX_USAGE;
}

static void
iso(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "%llu", (unsigned long long)t);
}

/* The tool's name and the JSON of the parameters: TOOL NUL JSON. */
static void
split_params(const struct wb_pendinfo *c, const uint8_t **tool, size_t *tl,
	     const uint8_t **json, size_t *jl)
{
	const uint8_t *z = memchr(c->params, 0, c->plen);

	*tool = c->params;
	*tl = z != NULL ? (size_t)(z - c->params) : c->plen;
	*json = z != NULL ? z + 1 : c->params + c->plen;
	*jl = z != NULL ? c->plen - *tl - 1 : 0;
}

static void
print_text(const struct wb_pendinfo *c, uint64_t now)
{
	static char esc[TEXT_ESC_MAX * 4096 + 8];
	char ctx[33], dg[65], blk[65], dl[32];
	const uint8_t *tool, *json;
	size_t tl, jl;

	wb_hex(ctx, c->context, sizeof c->context);
	wb_hex(dg, c->digest, sizeof c->digest);
	wb_hex(blk, c->block_id, sizeof c->block_id);
	iso(c->deadline, dl, sizeof dl);
	split_params(c, &tool, &tl, &json, &jl);
	printf("call %llu  %s  deadline %s (%llds)\n",
	       (unsigned long long)c->id, c->state == 2 ? "approved, not run "
	       "yet" : "waiting", dl, (long long)c->deadline - (long long)now);
	text_escape(esc, sizeof esc, c->resource, c->rlen, 0);
	printf("  %s %s\n", wn_op(c->op), esc);
	text_escape(esc, sizeof esc, tool, tl, 0);
	printf("  tool     %s\n", esc);
	text_escape(esc, sizeof esc, json, jl, 0);
	printf("  params   %s\n", esc);
	printf("  session  %s\n  nonce    %llu\n  digest   %s\n  block    %s\n",
	       ctx, (unsigned long long)c->nonce, dg, blk);
}

static int
print_json(const struct wb_pendinfo *c)
{
	static char res[TEXT_JSON_ESC_MAX * WARD_SCOPE_MAX + 1];
	static char tj[TEXT_JSON_ESC_MAX * 4096 + 1], pj[TEXT_JSON_ESC_MAX * 4096 + 1];
	char ctx[33], dg[65], blk[65], dl[32], cr[32];
	const uint8_t *tool, *json;
	size_t tl, jl;
	json_t *o;
	char *s;
	int rc;

	wb_hex(ctx, c->context, sizeof c->context);
	wb_hex(dg, c->digest, sizeof c->digest);
	wb_hex(blk, c->block_id, sizeof c->block_id);
	iso(c->deadline, dl, sizeof dl);
	iso(c->created, cr, sizeof cr);
	split_params(c, &tool, &tl, &json, &jl);
	/* Each byte as the code point of the same number: any bytes make
	 * valid JSON, and two different calls never print alike. */
	if (text_json_bytes(res, sizeof res, &(size_t){0}, c->resource,
			    c->rlen) != 0 ||
	    text_json_bytes(tj, sizeof tj, &(size_t){0}, tool, tl) != 0 ||
	    text_json_bytes(pj, sizeof pj, &(size_t){0}, json, jl) != 0)
		return -1;
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, "
		      "s:s, s:s}", "id", (json_int_t)c->id, "state",
		      c->state == 2 ? "approved" : "waiting", "context", ctx,
		      "op", wn_op(c->op), "resource", res, "tool", tj, "params",
		      pj, "nonce", (json_int_t)c->nonce, "digest", dg, "block",
		      blk, "created", cr, "deadline", dl);
	if (o == NULL)
		return -1;
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	rc = text_json_line(s, stdout);
	free(s);
	return rc;
}

int
cmd_pending(int argc, char **argv)
{
	struct ward_home h;
	struct wb_pendlist *l;
	const char *dir = NULL;
	uint8_t sk[64];
	char err[512];
	int i, json = 0, rc = WX_UNAVAILABLE;
	uint32_t k;
	uint64_t now = (uint64_t)time(NULL);

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((i = cli_getopt(argc, argv, "pending", "h", lo)) != -1) {
		switch (i) {
		case 'H':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return pending_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("pending", argv[optind], "no argument "
				     "(answer a call with ward approve ID or "
				     "ward deny ID)");
	if (cli_home_open(&h, dir, "pending") != 0)
		return WX_HOME;
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward pending: %s\n", err);
		return WX_HOME;
	}
	l = malloc(sizeof *l);
	if (l == NULL) {
		sodium_memzero(sk, sizeof sk);
		return WX_FAILED;
	}
	if (cc_admin_pending(h.admin_url, sk, l) != 0) {
		fprintf(stderr, "ward pending: ward-core does not answer on %s "
			"(or its answer is not well formed)\n  start it (ward run "
			"starts it) and retry\n", h.admin_url);
		goto out;
	}
	if (l->r.reason != 0) {
		char eb[600];

		fprintf(stderr, "ward pending: refused by ward-core: %s (%s)\n",
			text_str(eb, sizeof eb, l->r.detail),
			cc_reason_name(l->r.reason));
		rc = WX_REFUSED;
		goto out;
	}
	rc = WX_OK;
	for (k = 0; k < l->n; k++) {
		if (json) {
			if (print_json(&l->c[k]) != 0)
				rc = WX_FAILED;
		} else {
			print_text(&l->c[k], now);
		}
	}
	if (!json && l->n == 0)
		printf("no call waits for the operator\n");
out:
	sodium_memzero(sk, sizeof sk);
	free(l);
	return rc;
}

static int
answer(int argc, char **argv, const char *cmd, int approve)
{
	struct ward_home h;
	struct wb_reply r;
	const char *dir = NULL, *arg = NULL;
	uint8_t sk[64];
	char err[512], eb[600];
	unsigned long long id;
	char *end;
	int i;

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((i = cli_getopt(argc, argv, cmd, "h", lo)) != -1) {
		switch (i) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return answer_usage(stdout, cmd);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (arg == NULL)
		return cli_usage_error(cmd, "no call id given; 'ward pending' "
				       "lists them");
	if (optind < argc)
		return cli_extra_arg(cmd, argv[optind], "one call id");
	if (arg[0] < '1' || arg[0] > '9' ||
	    (id = strtoull(arg, &end, 10), *end != '\0') || id == ULLONG_MAX)
		return cli_usage_error(cmd, "'%s' is not a call id; expected a "
				       "number as 'ward pending' prints it", arg);
	if (cli_home_open(&h, dir, cmd) != 0)
		return WX_HOME;
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward %s: %s\n", cmd, err);
		return WX_HOME;
	}
	memset(&r, 0, sizeof r);
	i = cc_admin_answer(h.admin_url, sk, (uint64_t)id, approve, &r);
	sodium_memzero(sk, sizeof sk);
	if (i != 0) {
		fprintf(stderr, "ward %s: ward-core does not answer on %s\n  "
			"start it (ward run starts it) and retry\n", cmd,
			h.admin_url);
		return WX_UNAVAILABLE;
	}
	if (r.reason != 0) {
		fprintf(stderr, "ward %s: %s (%s)\n", cmd,
			text_str(eb, sizeof eb, r.detail),
			cc_reason_name(r.reason));
		return r.reason == WR_TARGET ?	/* no such call waiting */
		       WX_INPUT : WX_REFUSED;
	}
	printf("call %llu %s (audit record %llu)\n", id, approve ? "approved: "
	       "it runs when the broker sends it again" : "denied",
	       (unsigned long long)r.audit_pos);
	return WX_OK;
}

int
cmd_approve(int argc, char **argv)
{
	return answer(argc, argv, "approve", 1);
}

int
cmd_deny(int argc, char **argv)
{
	return answer(argc, argv, "deny", 0);
}
