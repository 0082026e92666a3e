/*
 * cmd_revoke.c -- ward revoke <session|cap>: revoke a session (its
 * context, its grant, every child) or one capability block, as the core
 * (not the broker) names them, and confirmed by the core.  Not part of
 * the verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>

#include "ward_cli.h"
#include "approve.h"
#include "codec.h"
#include "home.h"
#include "journal.h"
#include "names.h"
#include "record.h"
#include "priv.h"
#include "wb.h"
#include "outq.h"
#include "fdio.h"
#include "sandbox.h"
#include "text.h"
#include "cmd_ctl.h"
#include "gw.h"


/* ---- ward revoke ------------------------------------------------------------- */

static int
revoke_usage(FILE *f)
{
	fprintf(f,
		"usage: ward revoke [--home DIR] <session-id|cap-id>\n"
		"\n"
		"Revoke, as the operator (signed with keys/operator.key):\n"
		"  a session   its context is closed, its grant revoked, and every\n"
		"              context spawned from it closed too; the next call of\n"
		"              its agent or of any child is refused\n"
		"  a capability  one block (a session's grant, or a handle's full\n"
		"              id) and every delegation made from it\n"
		"Ids are resolved by ward-core (admin socket), never by the broker:\n"
		"an id may be abbreviated when the core has only one open session\n"
		"or session grant with that prefix; any other block needs its full\n"
		"64-digit id.  Revocation is durable: the core writes it to the\n"
		"audit log before it answers, and ward revoke then asks the core\n"
		"again, and says \"revoked\" only when the core confirms it.\n"
		"\n"
		"exit status: 0 revoked and confirmed, 2 usage, 3 no ward home,\n"
		"4 no such id (or an ambiguous prefix), 5 ward-core unreachable,\n"
		"6 refused by the core, or not confirmed by it.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* The core's answer to ListContexts, or a message and -1 (EX_* in *ex). */
static int
core_list(const struct ward_home *h, const uint8_t sk[64], const uint8_t *ctx,
	  const uint8_t *block_id, struct wb_ctxlist *l, const char *cmd, int *ex)
{
	if (cc_admin_list(h->admin_url, sk, ctx, block_id, l) != 0) {
		fprintf(stderr, "ward %s: ward-core does not answer on %s (or its "
			"answer is not well formed)\n  start it (ward run starts "
			"it) and retry\n", cmd, h->admin_url);
		*ex = WX_UNAVAILABLE;
		return -1;
	}
	if (l->r.reason != 0) {
		fprintf(stderr, "ward %s: the core refused to list its contexts: "
			"%s (%s)\n", cmd, l->r.detail, cc_reason_name(l->r.reason));
		*ex = WX_REFUSED;
		return -1;
	}
	return 0;
}

/* Is the session ctx closed at the core, with its grant revoked and every
 * context spawned from it closed?  1 yes, 0 no (why says what is not),
 * -1 the core did not answer (message printed, *ex set). */
static int
session_revoked(const struct ward_home *h, const uint8_t sk[64],
		const uint8_t ctx[16], struct wb_ctxlist *l, char *why,
		size_t wl, int *ex)
{
	char hx[33];
	uint32_t i;

	if (core_list(h, sk, ctx, NULL, l, "revoke", ex) != 0)
		return -1;
	if (l->n == 0 || memcmp(l->c[0].context, ctx, 16) != 0) {
		snprintf(why, wl, "the core no longer lists the session");
		return 0;
	}
	if (l->c[0].open) {
		snprintf(why, wl, "the core still has the session's context open");
		return 0;
	}
	if (!l->c[0].grant_revoked) {
		snprintf(why, wl, "the session's grant is not in the core's "
			 "revocation set");
		return 0;
	}
	for (i = 1; i < l->n; i++)
		if (l->c[i].open) {
			wb_hex(hx, l->c[i].context, 16);
			snprintf(why, wl, "the core still has child session %s open",
				 hx);
			return 0;
		}
	if (l->truncated) {
		snprintf(why, wl, "the session has more children than the core "
			 "lists at once; check them with 'ward status'");
		return 0;
	}
	return 1;
}


int
cmd_revoke(int argc, char **argv)
{
	struct ward_home h;
	struct wb_ctxlist *l = NULL;
	uint8_t sk[64], id[32], ctx[16];
	const char *dir = NULL, *target = NULL;
	char err[512], full[65] = "", hx[65], why[160], owner[33] = "";
	int i, is_ctx = 0, found = 0, was_open = 0, rc = WX_UNAVAILABLE, ok;
	uint32_t k;
	size_t n;
	struct wb_reply r;

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((i = cli_getopt(argc, argv, "revoke", "h", lo)) != -1) {
		switch (i) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return revoke_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		target = argv[optind++];
	if (target == NULL)
		return cli_usage_error("revoke", "no id given; expected a "
				       "session id or a capability id");
	if (optind < argc)
		return cli_extra_arg("revoke", argv[optind], "one id");
	if (cli_home_open(&h, dir, "revoke") != 0)
		return WX_HOME;
	n = strlen(target);
	for (k = 0; k < n; k++)
		if (!((target[k] >= '0' && target[k] <= '9') ||
		      (target[k] >= 'a' && target[k] <= 'f')))
			break;
	if (n == 0 || n > 64 || k < n)
		return cli_usage_error("revoke", "'%s' is not an id; expected 1 "
				       "to 64 lower-case hex digits, as ward run "
				       "and ward status print them", target);
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward revoke: %s\n", err);
		return WX_HOME;
	}
	l = malloc(sizeof *l);
	if (l == NULL)
		goto out;
	/* Resolve through the core: its open sessions and their grants.
	 * The broker's list is never read here: a compromised broker could
	 * name anything after the session the operator means. */
	if (core_list(&h, sk, NULL, NULL, l, "revoke", &rc) != 0)
		goto out;
	for (k = 0; k < l->n; k++) {
		wb_hex(hx, l->c[k].context, 16);
		if (n <= 32 && strncmp(hx, target, n) == 0) {
			found++;
			is_ctx = 1;
			was_open = 1;
			snprintf(full, sizeof full, "%s", hx);
		}
		wb_hex(hx, l->c[k].grant, 32);
		if (strncmp(hx, target, n) == 0) {
			found++;
			is_ctx = 0;
			snprintf(full, sizeof full, "%s", hx);
		}
	}
	if (found > 1) {
		fprintf(stderr, "ward revoke: '%s' is ambiguous: %d open sessions "
			"or grants at the core start with it; give more of the "
			"id\n", target, found);	/* hex digits only: checked */
		rc = WX_INPUT;
		goto out;
	}
	if (found == 0 && n == 32) {
		/* Not open: the core may still know it (ended, or revoked). */
		if (wb_unhex(ctx, 16, target) != 0 ||
		    core_list(&h, sk, ctx, NULL, l, "revoke", &rc) != 0)
			goto out;
		if (l->n == 0) {
			fprintf(stderr, "ward revoke: the core never opened a "
				"session %s\n  nothing was revoked; 'ward status' "
				"lists the open ones\n", target);
			rc = WX_INPUT;
			goto out;
		}
		is_ctx = 1;
		snprintf(full, sizeof full, "%s", target);
	} else if (found == 0 && n == 64) {
		/* A block the core does not know as a grant (a handle of a
		 * session, a delegation): the operator typed it in full. */
		snprintf(full, sizeof full, "%s", target);
	} else if (found == 0) {
		fprintf(stderr, "ward revoke: no session open at the core, and no "
			"grant of one, starts with '%s'\n  nothing was revoked; "
			"give the full id (32 hex digits for a session, 64 for a "
			"capability)\n", target);
		rc = WX_INPUT;
		goto out;
	}
	if (is_ctx ? wb_unhex(ctx, 16, full) : wb_unhex(id, 32, full)) {
		fprintf(stderr, "ward revoke: bad id\n");
		rc = WX_USAGE;
		goto out;
	}
	if (cc_admin_revoke(h.admin_url, sk, is_ctx ? ctx : NULL,
			    is_ctx ? NULL : id, &r) != 0) {
		fprintf(stderr, "ward revoke: ward-core does not answer on %s\n"
			"  nothing was revoked; start it (ward run starts it) and "
			"retry\n", h.admin_url);
		rc = WX_UNAVAILABLE;
		goto out;
	}
	if (r.reason != 0) {
		char db[1024];

		fprintf(stderr, "ward revoke: the core refused: %s (%s, audit #%llu)\n",
			text_str(db, sizeof db, r.detail), cc_reason_name(r.reason),
			(unsigned long long)r.audit_pos);
		rc = WX_REFUSED;
		goto out;
	}
	/* Trust the revocation only once the core, asked again, confirms it. */
	if (is_ctx) {
		ok = session_revoked(&h, sk, ctx, l, why, sizeof why, &rc);
	} else {
		ok = core_list(&h, sk, NULL, id, l, "revoke", &rc) == 0 ? 1 : -1;
		if (ok == 1 && !l->block_revoked) {
			ok = 0;
			snprintf(why, sizeof why, "the block is not in the core's "
				 "revocation set");
		}
		for (k = 0; ok == 1 && k < l->n; k++)
			if (memcmp(l->c[k].grant, id, 32) == 0)
				wb_hex(owner, l->c[k].context, 16);
	}
	if (ok < 0) {
		fprintf(stderr, "ward revoke: the core accepted the revocation "
			"(audit #%llu) but did not answer when asked to confirm "
			"it\n  check with 'ward status' or 'ward audit --filter "
			"revoke'\n", (unsigned long long)r.audit_pos);
		goto out;
	}
	if (ok == 0) {
		fprintf(stderr, "ward revoke: NOT confirmed: the core accepted the "
			"revocation of %s %s (audit #%llu), but asked again, %s\n"
			"  treat it as not revoked; see 'ward audit --filter revoke' "
			"and ward-core's log\n", is_ctx ? "session" : "capability",
			full, (unsigned long long)r.audit_pos, why);
		rc = WX_REFUSED;
		goto out;
	}
	if (is_ctx)
		/* After the core confirmed the revocation: the broker ends the
		 * session's sandboxes now rather than at the agent's next call (a
		 * convenience: the core refuses that call either way). */
		cli_ctl_stop(&h, full, "revoked");
	if (is_ctx)
		printf("revoked session %s: the core confirms its grant is revoked "
		       "and its context%s and every child context closed (audit "
		       "#%llu)\n", full, was_open ? "" : " (already ended)",
		       (unsigned long long)r.audit_pos);
	else
		printf("revoked capability %s: the core confirms it and every "
		       "delegation made from it are refused from now on (audit "
		       "#%llu)%s%s%s\n", full, (unsigned long long)r.audit_pos,
		       owner[0] != '\0' ? "\n  it is the grant of session " : "",
		       owner, owner[0] != '\0' ? ", which stays open with its "
		       "other capabilities (revoke the session to end it)" : "");
	rc = WX_OK;
out:
	sodium_memzero(sk, sizeof sk);
	free(l);
	return rc;
}

