/*
 * cmd_mcp.c -- ward mcp: the operator's side of the MCP gateway.
 *
 * `ward mcp --profile FILE` reads the profile and the operator key, signs
 * one root capability per allow line, wipes the key, and execs
 * ward-gateway with the capabilities in a sealed memfd (common/handoff.h):
 * the gateway, which talks to the MCP client and to servers we did not
 * write, never holds the operator key.  `ward mcp approve` and
 * `ward mcp pending` are the operator's commands on the pinned tool
 * definitions (common/gw_pins.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include <jansson.h>

#include "gw.h"
#include "wb.h"
#include "home.h"
#include "handoff.h"
#include "text.h"
#include "ward_cli.h"
#include "client.h"
#include "cmd_ctl.h"

/* ---- the operator's commands ------------------------------------------- */

/* One audit record for an operator decision: a context of its own, opened
 * from a root block the operator signs, one log event, closed. */
static int
audit_note(const struct ward_home *h, const char *text, uint64_t *pos)
{
	uint8_t sk[64], pk[32], hpk[32], hsk[64];
	struct wb_chain ch;
	struct wb_reply r;
	struct ward_block *b;
	char err[512];
	uint64_t now = (uint64_t)time(NULL);
	int s, rc = -1;

	if (wh_read_key(h->op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		return -1;
	}
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	crypto_sign_keypair(hpk, hsk);
	memset(&ch, 0, sizeof ch);
	ch.n = 1;
	b = &ch.blk[0].b;
	b->version = WARD_VERSION;
	b->kind = WARD_KIND_TOOL;
	b->r_invoke = 1;
	memcpy(b->issuer, pk, 32);
	memcpy(b->holder, hpk, 32);
	randombytes_buf(b->context, WARD_CTX_BYTES);
	b->not_before = now - 60;
	b->not_after = now + 60;
	b->max_uses = 1;
	b->scope_len = (uint16_t)strlen("mcp.approve");
	memcpy(b->scope, "mcp.approve", b->scope_len);
	if (wb_seal(&ch.blk[0], sk) != 0)
		goto out;
	s = cc_connect(h->broker_url, 3000);
	if (s < 0)
		goto out;
	if (cc_open_ctx(s, &ch, &r) == 0 && r.reason == 0 &&
	    cc_log(s, b->context, text, &r) == 0 && r.reason == 0) {
		*pos = r.audit_pos;
		rc = 0;
		if (cc_close(s, b->context, &ch, &r) != 0) {
			/* The record is written; an unclosed context expires. */
		}
	}
	cc_disconnect(s);
out:
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(hsk, sizeof hsk);
	return rc;
}

static int
usage(const char *what)
{
	printf(
		"usage: ward mcp %s --profile FILE [--home DIR] %s\n", what,
		strcmp(what, "approve") == 0 ?
		"(--all | SERVER [TOOL | prompt:NAME])\n"
		"Approves the tool and prompt definitions that ward mcp quarantined\n"
		"(listed by 'ward mcp pending'; a prompt is named prompt:NAME): each\n"
		"approval pins the definition's hash and is recorded in the audit\n"
		"log." : "\n"
		"Lists the tool and prompt definitions waiting for 'ward mcp approve'.");
	return WX_OK;
}

static int
common_args(int argc, char **argv, const char *what, const char **prof,
	    const char **home, int *first)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "home", required_argument, NULL, 'H' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*prof = NULL;
	*home = NULL;
	*first = 0;	/* 1: --all */
	while ((c = cli_getopt(argc, argv, "mcp", "h", lo)) != -1) {
		switch (c) {
		case 'p':
			*prof = optarg;
			break;
		case 'H':
			*home = optarg;
			break;
		case 'a':
			if (strcmp(what, "approve") != 0)
				return cli_usage_error("mcp", "--all is for 'ward "
						       "mcp approve', not '%s'", what);
			*first = 1;
			break;
		case 'h':
			usage(what);
			return -1;
		default:
			return WX_USAGE;
		}
	}
	if (*prof == NULL)
		return cli_usage_error("mcp", "%s: no --profile FILE given", what);
	return 0;
}

static int
open_pins(const char *prof, const char *home_dir, struct ward_home *h,
	  struct gw_pins *ps, struct gw_profile *p)
{
	char err[1024];

	if (sodium_init() < 0)
		return WX_FAILED;
	if (gw_profile_load(prof, p, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		return WX_INPUT;
	}
	if (wh_resolve(h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		gw_profile_free(p);
		return WX_HOME;
	}
	if (gw_pins_open(ps, h->home, p->name) != 0) {
		fprintf(stderr, "ward mcp: %s\n", ps->err);
		gw_pins_free(ps);
		gw_profile_free(p);
		return WX_HOME;
	}
	return 0;
}

static int
mcp_pending(int argc, char **argv)
{
	const char *prof, *home;
	struct ward_home h;
	struct gw_pins ps;
	struct gw_profile *p = calloc(1, sizeof *p);
	struct gw_pin *lt = NULL;
	size_t nlt = 0;
	size_t k;
	char err[2048];
	int first, rc;

	if (p == NULL)
		return 1;
	rc = common_args(argc, argv, "pending", &prof, &home, &first);
	if (rc == 0 && optind < argc)
		rc = cli_extra_arg("mcp", argv[optind], "only --profile FILE "
				   "and --home DIR");
	if (rc == 0)
		rc = open_pins(prof, home, &h, &ps, p);
	if (rc != 0) {
		free(p);
		return rc < 0 ? WX_OK : rc;
	}
	if (gw_pending_latest(&ps, &lt, &nlt, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp pending: %s\n", err);
		rc = WX_HOME;
	}
	/* Names and hashes were checked when read: printable as they are. */
	for (k = 0; rc == 0 && k < nlt; k++) {
		const char *pin = gw_pin_get(&ps, lt[k].srv, lt[k].tool);
		char sb[4 * sizeof lt[k].srv], tb[4 * sizeof lt[k].tool],
		     hb[4 * sizeof lt[k].hex];

		if (pin != NULL && strcmp(pin, lt[k].hex) == 0)
			continue;
		/* Tool names are the servers' choice: escaped (common/text.h). */
		printf("%s %s %s %s\n", pin == NULL ? "new    " : "changed",
		       text_str(sb, sizeof sb, lt[k].srv),
		       text_str(tb, sizeof tb, lt[k].tool),
		       text_str(hb, sizeof hb, lt[k].hex));
	}
	free(lt);
	gw_pins_free(&ps);
	gw_profile_free(p);
	free(p);
	return rc;
}

static int
mcp_approve(int argc, char **argv)
{
	const char *prof, *home, *want_srv = NULL, *want_tool = NULL;
	struct ward_home h;
	struct gw_pins ps;
	struct gw_profile *p = calloc(1, sizeof *p);
	struct gw_pin *lt = NULL;
	size_t nlt = 0;
	size_t k;
	char text[1024], err[2048];
	int first, rc, all = 0, n = 0;

	if (p == NULL)
		return 1;
	rc = common_args(argc, argv, "approve", &prof, &home, &first);
	if (rc != 0) {
		free(p);
		return rc < 0 ? WX_OK : rc;
	}
	if (first == 1 && optind < argc)
		rc = cli_extra_arg("mcp", argv[optind], "--all or SERVER [TOOL], "
				   "not both");
	else if (first == 1)
		all = 1;
	else if (optind < argc && optind + 2 >= argc) {
		want_srv = argv[optind];
		want_tool = optind + 1 < argc ? argv[optind + 1] : NULL;
	} else if (optind < argc)
		rc = cli_extra_arg("mcp", argv[optind + 2], "--all or SERVER "
				   "[TOOL]");
	else
		rc = cli_usage_error("mcp", "approve: nothing to approve; "
				     "expected --all or SERVER [TOOL]");
	if (rc != 0) {
		free(p);
		return rc;
	}
	rc = open_pins(prof, home, &h, &ps, p);
	if (rc != 0) {
		free(p);
		return rc;
	}
	if (gw_pending_latest(&ps, &lt, &nlt, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp approve: %s\n", err);
		rc = WX_HOME;
	}
	for (k = 0; rc == 0 && k < nlt; k++) {
		const char *pin, *srv = lt[k].srv, *tool = lt[k].tool,
			   *hex = lt[k].hex;
		char sb[4 * sizeof lt[k].srv], tb[4 * sizeof lt[k].tool],
		     hb[4 * sizeof lt[k].hex];
		uint64_t pos = 0;

		if (!all && (strcmp(srv, want_srv) != 0 ||
			     (want_tool != NULL && strcmp(tool, want_tool) != 0)))
			continue;
		pin = gw_pin_get(&ps, srv, tool);
		if (pin != NULL && strcmp(pin, hex) == 0)
			continue;
		/* The audit record first: an approval that is not in the log
		 * does not happen. */
		snprintf(text, sizeof text, "mcp.approve profile=%s server=%s "
			 "tool=%s sha=%s%s%s", p->name, srv, tool, hex,
			 pin != NULL ? " replaces=" : "", pin != NULL ? pin : "");
		if (audit_note(&h, text, &pos) != 0) {
			fprintf(stderr, "ward mcp approve: ward-core did not record "
				"the approval of %s %s; nothing was approved\n"
				"  hint: start ward-core (ward run starts it, or "
				"build/ward-core --home %s)\n",
				text_str(sb, sizeof sb, srv),
				text_str(tb, sizeof tb, tool), h.home);
			rc = 5;
			break;
		}
		if (gw_pin_write(&ps, srv, tool, hex) != 0) {
			fprintf(stderr, "ward mcp approve: %s: %s (the approval of "
				"%s %s is in the audit log, not in the pins: run "
				"the command again)\n", ps.path, strerror(errno),
				srv, tool);
			rc = WX_HOME;
			break;
		}
		printf("approved %s %s %s (audit #%llu)\n",
		       text_str(sb, sizeof sb, srv), text_str(tb, sizeof tb, tool),
		       text_str(hb, sizeof hb, hex), (unsigned long long)pos);
		n++;
	}
	free(lt);
	if (rc == 0 && n == 0) {
		fprintf(stderr, "ward mcp approve: nothing waits for approval "
			"there (see 'ward mcp pending --profile %s')\n", prof);
		rc = 1;
	}
	gw_pins_free(&ps);
	gw_profile_free(p);
	free(p);
	return rc;
}

/* ---- ward mcp: sign, hand over, exec ward-gateway ----------------------- */

static int
mcp_usage(FILE *f)
{
	fprintf(f,
		"usage: ward mcp --profile FILE [--home DIR] [--listen ADDR]\n"
		"       ward mcp approve --profile FILE [--home DIR] (--all | SERVER [TOOL|prompt:NAME])\n"
		"       ward mcp pending --profile FILE [--home DIR]\n"
		"\n"
		"Serves MCP (2025-11-25) on stdin/stdout in front of the servers the\n"
		"profile declares, each in a ward sandbox (a server with a url line\n"
		"is remote: reached over Streamable HTTP through ward-egress, each\n"
		"request a net.connect approval, its token from the vault).  Their\n"
		"tools and prompts appear as SERVER_NAME, their resources under their\n"
		"own URIs; every tools/call, resources/read and prompts/get is\n"
		"approved (or refused) and logged by ward-core; a tool or prompt\n"
		"whose definition is new or changed stays quarantined until 'ward mcp\n"
		"approve'.  ward mcp signs the profile's capabilities with the\n"
		"operator key, then runs ward-gateway, which holds no key.  With\n"
		"--listen ADDR (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or\n"
		"unix:/PATH; port 0 picks one) it serves MCP's Streamable HTTP at\n"
		"/mcp instead, for one session, with a bearer token written to\n"
		"$WARD_HOME/mcp/NAME.token.  See gateway/README.md.\n");
	return f == stderr ? WX_USAGE : WX_OK;
}

/* Each secret a remote server's header names is in the vault
 * (cli_vault_has).  A core that does not answer is not asked (the gateway
 * refuses every call until it does).  0, or -1 with the message on
 * stderr. */
static int
mcp_secrets_present(const struct ward_home *h, const uint8_t sk[64],
		    const struct gw_profile *p, const char *prof)
{
	struct cli_vault_names v = { .n = 0, .asked = 0 };
	int s, i;

	for (s = 0; s < p->nservers; s++)
		for (i = 0; i < p->srv[s].nallow; i++) {
			const struct gw_allow *a = &p->srv[s].allow[i];

			if (a->kind != WARD_KIND_SECRET ||
			    strchr(a->scope, '@') == NULL)
				continue;
			if (!v.asked && !wc_listening(h->admin_url))
				return 0;
			if (cli_vault_has(h, sk, &v, a->scope, prof, a->line,
					  "ward mcp", "started") != 0)
				return -1;
		}
	return 0;
}

/* One root block for an allow line of the profile. */
static int
mint(struct wb_blk *x, const struct gw_allow *a, const uint8_t op_pk[32],
     const uint8_t op_sk[64], const uint8_t hold_pk[32],
     const uint8_t ctx[WARD_CTX_BYTES], int line)
{
	struct ward_block *b = &x->b;
	uint64_t now = (uint64_t)time(NULL);

	memset(x, 0, sizeof *x);
	b->version = WARD_VERSION;
	/* A tool is invoked, and so is a remote server's destination
	 * (net.connect, as for ward run); a resource is read, a prompt got,
	 * a header's secret used (each needs read). */
	b->kind = (uint8_t)a->kind;
	b->r_invoke = a->kind == WARD_KIND_TOOL || a->kind == WARD_KIND_NET;
	b->r_read = !b->r_invoke;
	memcpy(b->issuer, op_pk, 32);
	memcpy(b->holder, hold_pk, 32);
	memcpy(b->context, ctx, WARD_CTX_BYTES);
	/* Distinct windows make each line a block of its own (cmd_run.c). */
	b->not_before = now - 60 - (uint64_t)line;
	b->not_after = now + a->expires_s;
	b->max_uses = a->uses;
	b->scope_len = (uint16_t)strlen(a->scope);
	memcpy(b->scope, a->scope, b->scope_len);
	return wb_seal(x, op_sk);
}

static int
mcp_serve(const char *prof, const char *home_dir, const char *listen)
{
	struct gw_profile *p = calloc(1, sizeof *p);
	struct ho_grant *g = NULL;
	struct ward_home h;
	uint8_t op_sk[64], op_pk[32], hold_pk[32], hold_sk[64];
	uint8_t ctx[WARD_CTX_BYTES];
	char err[1024], dir[4096], path[4200], fdarg[16];
	uint32_t n = 0;
	int s, i, fd, rc = WX_FAILED;

	if (p == NULL || sodium_init() < 0)
		goto out;
	if (gw_profile_load(prof, p, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		rc = WX_INPUT;
		goto out;
	}
	if (cli_libexec("ward-gateway", dir, sizeof dir) != 0) {
		fprintf(stderr, "ward mcp: ward-gateway is not beside ward nor "
			"in ../lib/ward/\n  hint: run 'make', or 'make install'\n");
		goto out;
	}
	if (wh_resolve(&h, home_dir, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, op_sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n  hint: run 'ward init' (or set "
			"WARD_HOME)\n", err);
		rc = WX_HOME;
		goto out;
	}
	if (mcp_secrets_present(&h, op_sk, p, prof) != 0) {
		rc = WX_INPUT;
		goto wipe;
	}
	for (s = 0; s < p->nservers; s++)
		n += (uint32_t)p->srv[s].nallow;
	g = calloc(n > 0 ? n : 1, sizeof *g);
	if (g == NULL)
		goto wipe;
	crypto_sign_ed25519_sk_to_pk(op_pk, op_sk);
	crypto_sign_keypair(hold_pk, hold_sk);
	sodium_memzero(hold_sk, sizeof hold_sk);
	randombytes_buf(ctx, sizeof ctx);
	n = 0;
	for (s = 0; s < p->nservers; s++)
		for (i = 0; i < p->srv[s].nallow; i++, n++) {
			g[n].srv = (uint16_t)s;
			g[n].allow = (uint16_t)i;
			if (mint(&g[n].blk, &p->srv[s].allow[i], op_pk, op_sk,
				 hold_pk, ctx, p->srv[s].allow[i].line +
				 100 * s) != 0) {
				fprintf(stderr, "ward mcp: cannot sign the "
					"capability %s\n", p->srv[s].allow[i].scope);
				rc = WX_INPUT;
				goto wipe;
			}
		}
	/* The operator key is needed for nothing else, and ward-gateway is
	 * a new program: the exec drops this address space. */
	sodium_memzero(op_sk, sizeof op_sk);
	fd = ho_write(ctx, hold_pk, g, n, err, sizeof err);
	if (fd < 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		goto out;
	}
	snprintf(path, sizeof path, "%s/ward-gateway", dir);
	snprintf(fdarg, sizeof fdarg, "%d", fd);
	{
		char *av[] = { path, "--profile", (char *)prof, "--home", h.home,
			       "--handoff-fd", fdarg, listen != NULL ? "--listen" :
			       NULL, (char *)listen, NULL };

		fflush(NULL);
		execv(path, av);
	}
	fprintf(stderr, "ward mcp: cannot run %s: %s\n", path, strerror(errno));
	close(fd);
	goto out;
wipe:
	sodium_memzero(op_sk, sizeof op_sk);
out:
	free(g);
	if (p != NULL)
		gw_profile_free(p);
	free(p);
	return rc;
}

int
cmd_mcp(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "home", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *prof = NULL, *home = NULL, *listen = NULL;
	int c;

	if (argc >= 2 && strcmp(argv[1], "approve") == 0)
		return mcp_approve(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "pending") == 0)
		return mcp_pending(argc - 1, argv + 1);
	while ((c = cli_getopt(argc, argv, "mcp", "h", lo)) != -1) {
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
		case 'h':
			return mcp_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("mcp", argv[optind], "approve, pending, or "
				     "--profile FILE [--home DIR] [--listen ADDR]");
	if (prof == NULL)
		return cli_usage_error("mcp", "no --profile FILE given");
	return mcp_serve(prof, home, listen);
}
