/*
 * gw_pins.c -- tool definitions pinned by hash, and the operator's
 * commands that approve them: ward mcp approve / ward mcp pending.
 *
 * The gateway never trusts the last definition it saw: a tool is offered
 * to the client only while the hash of its current definition equals the
 * hash the operator approved.  A changed definition (a rug pull), a new
 * tool and a renamed one all land in NAME.pending and stay quarantined
 * until `ward mcp approve`, which writes NAME.pins and records each
 * approval in the audit log (as an operator event under a context of its
 * own).  Not part of the verified core.
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

#include "gw.h"
#include "wb.h"
#include "home.h"
#include "text.h"

int
gw_tool_hash(char hex[65], const char *canonical_json)
{
	static const char tag[] = "ward.mcp.tool.v1";
	crypto_generichash_state st;
	uint8_t d[32];

	if (crypto_generichash_init(&st, NULL, 0, sizeof d) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)tag, sizeof tag) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)canonical_json,
				      strlen(canonical_json)) != 0 ||
	    crypto_generichash_final(&st, d, sizeof d) != 0)
		return -1;
	sodium_bin2hex(hex, 65, d, sizeof d);
	return 0;
}

static uint64_t
stamp_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	return (uint64_t)st.st_ino * 1000003u ^ (uint64_t)st.st_size * 7919u ^
	       (uint64_t)st.st_mtim.tv_sec * 1000000000u ^
	       (uint64_t)st.st_mtim.tv_nsec;
}

static void
pins_clear(struct gw_pins *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i].tool);
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

/* Lines "SERVER TOOL HEX"; a malformed line pins nothing. */
static int
pins_read(struct gw_pins *ps)
{
	FILE *f = fopen(ps->path, "re");
	char line[1024], srv[64], tool[512], hex[80];
	size_t cap = 0;

	pins_clear(ps);
	ps->stamp = stamp_of(ps->path);
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%63s %511s %79s", srv, tool, hex) != 3 ||
		    strlen(hex) != 64 || strlen(srv) >= GW_NAME_MAX)
			continue;
		if (ps->n == cap) {
			struct gw_pin *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(ps->v, cap * sizeof *nv);
			if (nv == NULL)
				break;
			ps->v = nv;
		}
		snprintf(ps->v[ps->n].srv, GW_NAME_MAX, "%s", srv);
		ps->v[ps->n].tool = strdup(tool);
		memcpy(ps->v[ps->n].hex, hex, 65);
		if (ps->v[ps->n].tool != NULL)
			ps->n++;
	}
	fclose(f);
	return 0;
}

int
gw_pins_open(struct gw_pins *ps, const char *home, const char *profile_name)
{
	char dir[1024];

	memset(ps, 0, sizeof *ps);
	snprintf(dir, sizeof dir, "%s/mcp", home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(ps->path, sizeof ps->path, "%s/%s.pins", dir, profile_name);
	snprintf(ps->pending, sizeof ps->pending, "%s/%s.pending", dir,
		 profile_name);
	return pins_read(ps);
}

int
gw_pins_reload(struct gw_pins *ps)
{
	if (stamp_of(ps->path) == ps->stamp)
		return 0;
	return pins_read(ps) == 0 ? 1 : -1;
}

const char *
gw_pin_get(const struct gw_pins *ps, const char *srv, const char *tool)
{
	size_t i;

	/* The last line for a tool wins: approve appends. */
	for (i = ps->n; i-- > 0;)
		if (strcmp(ps->v[i].srv, srv) == 0 && strcmp(ps->v[i].tool, tool) == 0)
			return ps->v[i].hex;
	return NULL;
}

/* The last line of a server's tool is the definition it offers now: a
 * line is added unless the last one for that tool has the same hash. */
int
gw_pending_add(const struct gw_pins *ps, const char *srv, const char *tool,
	       const char *hex, const char *json)
{
	FILE *f = fopen(ps->pending, "re");
	char *line = NULL, key[700], last[80] = "";
	size_t cap = 0, kl;
	int fd;

	snprintf(key, sizeof key, "%s %s ", srv, tool);
	kl = strlen(key);
	if (f != NULL) {
		while (getline(&line, &cap, f) > 0)
			if (strncmp(line, key, kl) == 0)
				snprintf(last, sizeof last, "%.64s", line + kl);
		free(line);
		fclose(f);
	}
	if (strcmp(last, hex) == 0)
		return 0;
	fd = open(ps->pending, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "a");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	fprintf(f, "%s%s %s\n", key, hex, json);
	fclose(f);
	return 1;
}

/* The definition each tool offers now (the last pending line of each). */
struct latest { char srv[64], tool[512], hex[80]; };

static struct latest *
pending_latest(const char *path, size_t *n)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, i, have = 0;
	struct latest *v = NULL, x;

	*n = 0;
	while (f != NULL && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%63s %511s %79s", x.srv, x.tool, x.hex) != 3 ||
		    strlen(x.hex) != 64)
			continue;
		for (i = 0; i < *n; i++)
			if (strcmp(v[i].srv, x.srv) == 0 && strcmp(v[i].tool, x.tool) == 0)
				break;
		if (i == *n) {
			if (*n == have) {
				struct latest *nv;

				have = have ? have * 2 : 64;
				nv = realloc(v, have * sizeof *nv);
				if (nv == NULL)
					break;
				v = nv;
			}
			(*n)++;
		}
		v[i] = x;
	}
	free(line);
	if (f != NULL)
		fclose(f);
	return v;
}

void
gw_pins_free(struct gw_pins *ps)
{
	pins_clear(ps);
}

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
	fprintf(stderr,
		"usage: ward mcp %s --profile FILE [--home DIR] %s\n", what,
		strcmp(what, "approve") == 0 ?
		"(--all | SERVER [TOOL])\n"
		"Approves the tool definitions that ward mcp quarantined (listed by\n"
		"'ward mcp pending'): each approval pins the definition's hash and is\n"
		"recorded in the audit log." : "\n"
		"Lists the tool definitions waiting for 'ward mcp approve'.");
	return 2;
}

static int
common_args(int argc, char **argv, const char *what, const char **prof,
	    const char **home, int *first)
{
	int i;

	*prof = NULL;
	*home = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			*prof = argv[++i];
		else if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			*home = argv[++i];
		else if (argv[i][0] == '-' && strcmp(argv[i], "--all") != 0)
			return usage(what);
		else
			break;
	}
	*first = i;
	return *prof == NULL ? usage(what) : 0;
}

static int
open_pins(const char *prof, const char *home_dir, struct ward_home *h,
	  struct gw_pins *ps, struct gw_profile *p)
{
	char err[1024];

	if (sodium_init() < 0)
		return 3;
	if (gw_profile_load(prof, p, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		return 4;
	}
	if (wh_resolve(h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: %s\n", err);
		gw_profile_free(p);
		return 3;
	}
	if (gw_pins_open(ps, h->home, p->name) != 0) {
		fprintf(stderr, "ward mcp: cannot read %s: %s\n", ps->path,
			strerror(errno));
		gw_profile_free(p);
		return 3;
	}
	return 0;
}

int
gw_cmd_pending(int argc, char **argv)
{
	const char *prof, *home;
	struct ward_home h;
	struct gw_pins ps;
	struct gw_profile *p = calloc(1, sizeof *p);
	struct latest *lt;
	size_t nl, k;
	char *line = NULL;
	int first, rc;

	if (p == NULL)
		return 1;
	rc = common_args(argc, argv, "pending", &prof, &home, &first);
	if (rc == 0)
		rc = open_pins(prof, home, &h, &ps, p);
	if (rc != 0) {
		free(p);
		return rc;
	}
	lt = pending_latest(ps.pending, &nl);
	for (k = 0; k < nl; k++) {
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
	free(line);
	gw_pins_free(&ps);
	gw_profile_free(p);
	free(p);
	return 0;
}

int
gw_cmd_approve(int argc, char **argv)
{
	const char *prof, *home, *want_srv = NULL, *want_tool = NULL;
	struct ward_home h;
	struct gw_pins ps;
	struct gw_profile *p = calloc(1, sizeof *p);
	FILE *out = NULL;
	struct latest *lt;
	size_t nl, k;
	char text[1024];
	int first, rc, all = 0, n = 0;

	if (p == NULL)
		return 1;
	rc = common_args(argc, argv, "approve", &prof, &home, &first);
	if (rc != 0) {
		free(p);
		return rc;
	}
	if (first < argc && strcmp(argv[first], "--all") == 0)
		all = 1;
	else if (first < argc) {
		want_srv = argv[first];
		want_tool = first + 1 < argc ? argv[first + 1] : NULL;
	} else {
		free(p);
		return usage("approve");
	}
	rc = open_pins(prof, home, &h, &ps, p);
	if (rc != 0) {
		free(p);
		return rc;
	}
	lt = pending_latest(ps.pending, &nl);
	for (k = 0; k < nl; k++) {
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
		if (out == NULL) {
			int fd = open(ps.path, O_WRONLY | O_CREAT | O_APPEND |
				      O_CLOEXEC, 0600);

			out = fd >= 0 ? fdopen(fd, "a") : NULL;
			if (out == NULL) {
				fprintf(stderr, "ward mcp approve: %s: %s\n",
					ps.path, strerror(errno));
				rc = 3;
				break;
			}
		}
		fprintf(out, "%s %s %s\n", srv, tool, hex);
		fflush(out);
		(void)fsync(fileno(out));
		printf("approved %s %s %s (audit #%llu)\n",
		       text_str(sb, sizeof sb, srv), text_str(tb, sizeof tb, tool),
		       text_str(hb, sizeof hb, hex), (unsigned long long)pos);
		n++;
	}
	free(lt);
	if (out != NULL)
		fclose(out);
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
