/*
 * cmd_audit.c -- 'ward audit' (verify, show, and the query: --context,
 * --filter, --json, --follow) and 'ward status' (the core's view over the
 * admin socket, then the broker's claims, marked as such).  Read-only
 * over the audit log.  Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <jansson.h>

#include "ward/v1/ward.pb-c.h"
#include "ward_cli.h"
#include "cmd_ctl.h"
#include "client.h"
#include "home.h"
#include "journal.h"
#include "record.h"
#include "text.h"
#include "names.h"
#include "wb.h"
#include "sandbox.h"

static int
audit_usage(FILE *f)
{
	fprintf(f,
		"usage: ward audit verify [--home DIR] [--log FILE]\n"
		"       ward audit show   [--home DIR] [--log FILE]\n"
		"\n"
		"verify  check the whole audit log: framing, sequence numbers, the\n"
		"        hash chain, every signed checkpoint in it (core key from\n"
		"        keys/core.pub), and that the log still holds everything\n"
		"        the signed checkpoint file state/audit.ckpt covers.  Any\n"
		"        edit, deletion, reordering or truncation fails, naming the\n"
		"        first bad record.  Exit 0 if the log verifies, 1 if it\n"
		"        does not, 8 if it cannot be read (missing, no permission).\n"
		"show    print every record, one line each, after verifying.\n"
		"\n"
		"       ward audit [--session ID] [--filter KIND] [--json] [--follow]\n"
		"               query the log (see 'ward audit --json --help'\n"
		"               for the query options).\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

struct show {
	int print;
};

static int
show_one(const struct jr_rec *r, void *arg)
{
	struct show *s = arg;
	char line[AR_LINE_MAX];

	if (s->print) {
		ar_format(r, 0, line, sizeof line);
		printf("%s\n", line);
	}
	return 0;
}


int
cmd_audit(int argc, char **argv)
{
	struct ward_home h;
	struct jr_result res;
	struct show show;
	uint8_t core_pk[32];
	uint64_t bad_rec = 0, ck_seq = 0;
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *log = NULL, *sub;
	char err[512], b[1024];
	int c, fd;

	if ((argc < 2 || (argv[1][0] == '-' &&
	    strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)))
		return ward_audit_query(argc, argv);
	if (argc < 2)
		return cli_usage_error("audit", "no subcommand; expected verify "
				       "or show");
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return audit_usage(stdout);
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "show") != 0)
		return cli_usage_error("audit", "unknown subcommand '%s'; expected "
				       "verify, show, or the query options "
				       "(--session, --filter, --json, --follow)",
				       sub);
	while ((c = cli_getopt(argc - 1, argv + 1, "audit", "h", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'h':
			return audit_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc - 1)
		return cli_extra_arg("audit", argv[1 + optind],
				     "only --home DIR and --log FILE");
	if (sodium_init() < 0)
		return WX_FAILED;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		fprintf(stderr, "ward audit: %s\n  run 'ward init' first (or set "
			"WARD_HOME or --home)\n", text_str(b, sizeof b, err));
		return WX_HOME;
	}
	if (log == NULL)
		log = h.log;
	/* A log that cannot be read is not a log that does not verify. */
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ward audit %s: cannot read %s: %s\n", sub,
			text_str(b, sizeof b, log), strerror(errno));
		return WX_UNREADABLE;
	}
	close(fd);

	show.print = strcmp(sub, "show") == 0;
	switch (jr_verify(log, h.ckpt, core_pk, show_one, &show, &res, &bad_rec,
			  &ck_seq, err, sizeof err)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "ward audit verify: FAILED %s\n",
			text_str(b, sizeof b, err));
		return WX_FAILED;
	default:
		fprintf(stderr, "ward audit verify: FAILED: %s\n",
			text_str(b, sizeof b, err));
		return WX_FAILED;
	}
	{
		char hex[65];

		sodium_bin2hex(hex, sizeof hex, res.head, 32);
		fprintf(show.print ? stderr : stdout,
			"ward audit verify: OK: %llu records, %llu signed "
			"checkpoints in the log, the checkpoint file covers %llu, "
			"head %s\n", (unsigned long long)res.records,
			(unsigned long long)res.checkpoints,
			(unsigned long long)ck_seq, hex);
	}
	return 0;
}

static int
status_usage(FILE *f)
{
	fprintf(f,
		"usage: ward status [--home DIR]\n"
		"\n"
		"Ask the running core (admin socket, signed with\n"
		"keys/operator.key) for its status: audit records and head,\n"
		"approvals, open contexts, revoked blocks, the use ledger's fill;\n"
		"then the sessions open at the core, and what the broker says,\n"
		"shown as its claim.\n"
		"\n"
		"exit status: 0 the core answered, 3 no ward home, 5 ward-core\n"
		"is not running or does not answer (said at once when nothing\n"
		"listens on its socket).\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

int
cmd_status(int argc, char **argv)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Status st = WARD__V1__STATUS__INIT;
	Ward__V1__Reply *rep;
	struct ward_home h;
	uint8_t sk[64], req[16], *env, *buf;
	size_t len, env_len, buf_len;
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	char err[512], b[1024];
	int c, s, rc = WX_UNAVAILABLE;

	while ((c = cli_getopt(argc, argv, "status", "h", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return status_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("status", argv[optind], "only --home DIR");
	if (sodium_init() < 0)
		return WX_FAILED;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward status: %s\n  run 'ward init' first (or set "
			"WARD_HOME or --home)\n", text_str(b, sizeof b, err));
		return WX_HOME;
	}
	if (!wc_listening(h.admin_url)) {
		sodium_memzero(sk, sizeof sk);
		fprintf(stderr, "ward status: ward-core is not running for %s "
			"(nothing listens on %s)\n", text_str(b, sizeof b, h.home),
			h.admin_url);
		(void)ward_status_broker(h.home, 0);
		return WX_UNAVAILABLE;
	}
	q.body_case = WARD__V1__REQUEST__BODY_STATUS;
	q.status = &st;
	len = ward__v1__request__pack(&q, req);
	env = wc_admin_wrap(sk, req, len, (uint64_t)time(NULL), NULL, &env_len);
	sodium_memzero(sk, sizeof sk);
	if (env == NULL)
		return WX_FAILED;
	s = wc_open(h.admin_url, 5000);
	if (s < 0 || wc_call(s, env, env_len, &buf, &buf_len) != 0) {
		fprintf(stderr, "ward status: no answer from the core on %s "
			"(is ward-core running?)\n", h.admin_url);
		free(env);
		(void)ward_status_broker(h.home, 0);
		return WX_UNAVAILABLE;
	}
	free(env);
	rep = ward__v1__reply__unpack(NULL, buf_len, buf);
	free(buf);
	if (rep == NULL || rep->reason != 0 || rep->status == NULL) {
		char db[1024];

		fprintf(stderr, "ward status: refused: %s\n",
			rep != NULL ? text_str(db, sizeof db, rep->detail) :
			"unreadable reply");
		rc = WX_REFUSED;
	} else {
		char hex[65];

		sodium_bin2hex(hex, sizeof hex, rep->status->audit_head.data,
			       rep->status->audit_head.len <= 32 ?
			       rep->status->audit_head.len : 32);
		printf("audit records:  %llu\naudit head:     %s\n"
		       "approvals:      %llu\nopen contexts:  %u\n"
		       "revoked blocks: %u\nuse ledger:     %u of %u blocks\n"
		       "trusted keys:   %u\nuptime:         %llu s\n",
		       (unsigned long long)rep->status->audit_records, hex,
		       (unsigned long long)rep->status->approvals,
		       rep->status->open_contexts, rep->status->revoked,
		       rep->status->ledger_entries, rep->status->ledger_capacity,
		       rep->status->trusted_keys,
		       (unsigned long long)rep->status->uptime);
		rc = WX_OK;
	}
	ward__v1__reply__free_unpacked(rep, NULL);
	wc_close(s);
	(void)ward_status_broker(h.home, 1);
	return rc;
}

/* ---- the audit query --------------------------------------------------------- */

/* --follow ends with SIGINT or SIGTERM. */
static volatile sig_atomic_t follow_sig;

static void
on_follow_signal(int sig)
{
	follow_sig = sig;
}


struct aq {
	const char *session;
	const char *filter;
	int json;
	uint64_t from;		/* print records from this seq on */
	uint64_t next;
	unsigned printed;
};

/* A decision or event record (ar_decode) belongs to the context ctx (an
 * id prefix): its own, or for a spawn event the parent's too. */
static int
of_context(const struct ar_rec *d, const char *ctx)
{
	char h1[33], h2[33];
	size_t n = strlen(ctx);

	if (d->damaged || (d->type != JR_DECISION && d->type != JR_EVENT))
		return 0;
	wb_hex(h1, d->context, WARD_CTX_BYTES);
	wb_hex(h2, d->context2, WARD_CTX_BYTES);
	return strncmp(h1, ctx, n) == 0 ||
	       (d->type == JR_EVENT && d->event == JK_SPAWN &&
		strncmp(h2, ctx, n) == 0);
}

/* A log line of the sandbox or of ward-egress about a connection
 * ("sandbox: BLOCKED net.connect ...", "egress: closed net.connect ..."):
 * network records as much as the core's net.connect decisions (their
 * verdict stays REPORTED: --filter blocked shows the core's decisions
 * only). */
static int
net_log(const struct ar_rec *d)
{
	static const char *const pre[] = { "sandbox: ", "egress: " };
	size_t i, n;

	if (d->type != JR_EVENT || d->damaged || d->event != JK_LOG)
		return 0;
	for (i = 0; i < 2; i++) {
		n = strlen(pre[i]);
		if (d->nbytes > n && memcmp(d->bytes, pre[i], n) == 0)
			return 1;
	}
	return 0;
}

static int
match_filter(const struct ar_rec *d, const char *f)
{
	int dec = d->type == JR_DECISION && !d->damaged;
	int ev = d->type == JR_EVENT && !d->damaged;
	unsigned op = dec ? d->op : 0;
	unsigned verdict = dec || ev ? d->verdict : 0;
	unsigned kind = ev ? d->event : 0;

	if (f == NULL)
		return 1;
	if (strcmp(f, "network") == 0 || strcmp(f, "net") == 0)
		return op == WARD_OP_NET_CONNECT || net_log(d);
	if (strcmp(f, "fs") == 0)
		return op == WARD_OP_FS_READ || op == WARD_OP_FS_WRITE;
	if (strcmp(f, "exec") == 0)
		return op == WARD_OP_EXEC;
	if (strcmp(f, "memory") == 0 || strcmp(f, "mem") == 0)
		return op == WARD_OP_MEM_READ || op == WARD_OP_MEM_WRITE;
	if (strcmp(f, "tool") == 0)
		return op == WARD_OP_TOOL_INVOKE;
	if (strcmp(f, "resource") == 0)
		return op == WARD_OP_RESOURCE_READ;
	if (strcmp(f, "prompt") == 0)
		return op == WARD_OP_PROMPT_GET;
	if (strcmp(f, "blocked") == 0)
		return verdict == JV_BLOCKED;
	if (strcmp(f, "allowed") == 0)
		return verdict == JV_ALLOWED;
	if (strcmp(f, "log") == 0)
		return ev && kind == JK_LOG;
	if (strcmp(f, "spawn") == 0)
		return ev && (kind == JK_SPAWN || kind == JK_ATTENUATE);
	if (strcmp(f, "revoke") == 0)
		return ev && kind == JK_REVOKE;
	if (strcmp(f, "deferred") == 0)
		return verdict == JV_DEFERRED ||
		       (ev && (kind == JK_DEFER || kind == JK_ASK));
	if (strcmp(f, "lifecycle") == 0)
		return ev && (kind == JK_OPEN || kind == JK_CLOSE ||
			      kind == JK_SPAWN || kind == JK_REVOKE);
	return 0;
}

static const char *const filters[] = {
	"network", "fs", "exec", "memory", "tool", "resource", "prompt",
	"blocked", "allowed", "log",
	"spawn", "revoke", "lifecycle", "deferred", NULL
};

static int
aq_one(const struct jr_rec *r, void *arg)
{
	struct aq *a = arg;
	struct ar_rec d;
	char line[AR_LINE_MAX];

	a->next = r->seq + 1;
	if (r->seq < a->from)
		return 0;
	ar_decode(r, &d);
	if (a->session != NULL && !of_context(&d, a->session))
		return 0;
	if (!match_filter(&d, a->filter))
		return 0;
	if (a->json)
		ar_json(&d, line, sizeof line);
	else
		ar_text(&d, line, sizeof line);
	printf("%s\n", line);
	a->printed++;
	return 0;
}

static int
aq_usage(FILE *f)
{
	fprintf(f,
		"usage: ward audit [--home DIR] [--context ID] [--filter KIND] "
		"[--json] [--follow]\n"
		"       ward audit verify | show   (see 'ward audit verify --help')\n"
		"\n"
		"Query the audit log.  --context (or --session) keeps the records\n"
		"of one context, the session of one run (an id prefix; a child's\n"
		"spawn record shows under its parent too).\n"
		"--filter KIND: network, fs, exec, memory, tool, resource, prompt,\n"
		"blocked, allowed, log, spawn, revoke, lifecycle, deferred.  --json\n"
		"prints one JSON object a line, with the fields and names of the\n"
		"text line (see\n"
		"docs/glossary.md).  --follow keeps printing new records as they\n"
		"are written.\n"
		"The log is checked as it is read; a bad record stops the query.\n"
		"\n"
		"exit status: 0 ok, 1 the log does not verify, 2 usage, 3 no home,\n"
		"8 the log cannot be read.  SIGINT or SIGTERM ends --follow: exit 0.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

int
ward_audit_query(int argc, char **argv)
{
	struct ward_home h;
	struct jr_result res;
	struct aq a;
	uint8_t core_pk[32];
	const char *dir = NULL;
	char err[512];
	int i, follow = 0;

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "context", required_argument, NULL, 's' },
		{ "session", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(&a, 0, sizeof a);
	while ((c = cli_getopt(argc, argv, "audit", "fh", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 's':
			a.session = optarg;
			break;
		case 'F':
			a.filter = optarg;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'f':
			follow = 1;
			break;
		case 'h':
			return aq_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("audit", argv[optind], "verify, show, or "
				     "the query options before any other word");
	if (a.filter != NULL) {
		int ok = 0;

		for (i = 0; filters[i] != NULL; i++)
			ok |= strcmp(filters[i], a.filter) == 0;
		ok |= strcmp(a.filter, "net") == 0 || strcmp(a.filter, "mem") == 0;
		if (!ok)
			return cli_usage_error("audit", "unknown filter '%s'; "
					       "expected one of: network, fs, exec, "
					       "memory, tool, resource, prompt, blocked, allowed, log, "
					       "spawn, revoke, lifecycle, deferred",
					       a.filter);
	}
	if (sodium_init() < 0)
		return WX_FAILED;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		char b[1024];

		fprintf(stderr, "ward audit: %s\n  run 'ward init' first (or set "
			"WARD_HOME or --home)\n", text_str(b, sizeof b, err));
		return WX_HOME;
	}
	if (follow) {
		/* Following ends with SIGINT or SIGTERM: that is its end, and
		 * everything read so far has been printed. */
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_follow_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		a.from = a.next;
		if (jr_scan(h.log, core_pk, aq_one, &a, &res) != 0) {
			fprintf(stderr, "ward audit: cannot read %s: %s\n", h.log,
				res.why);
			return WX_UNREADABLE;
		}
		fflush(stdout);
		if (!res.ok && !res.torn) {
			fprintf(stderr, "ward audit: the log does not verify at "
				"record %llu: %s\n  run 'ward audit verify'\n",
				(unsigned long long)res.bad_rec, res.why);
			return WX_FAILED;
		}
		if (!follow || follow_sig != 0)
			break;
		usleep(300000);
	}
	return WX_OK;
}

/* ---- status: the broker's part ------------------------------------------------ */

static json_t *
broker_list(const struct ward_home *h)
{
	char buf[256 * 1024];
	size_t blen = 0;
	int fd = cli_ctl_connect(h);
	json_t *rep;

	if (fd < 0)
		return NULL;
	if (cli_ctl_send(fd, json_pack("{s:s}", "op", "list"), NULL, 0) != 0) {
		close(fd);
		return NULL;
	}
	rep = cli_ctl_read(fd, buf, sizeof buf, &blen, 5000);
	close(fd);
	return rep;
}



/* The index of the core's open context whose id (hex) is s, or -1. */
static int
core_ctx_of(const struct wb_ctxlist *l, const char *s)
{
	char hx[33];
	uint32_t k;

	for (k = 0; l != NULL && s != NULL && k < l->n; k++) {
		wb_hex(hx, l->c[k].context, 16);
		if (strcmp(hx, s) == 0)
			return (int)k;
	}
	return -1;
}

/* The index of the core's open context whose grant (hex) is s, or -1. */
static int
core_grant_of(const struct wb_ctxlist *l, const char *s)
{
	char hx[65];
	uint32_t k;

	for (k = 0; l != NULL && s != NULL && k < l->n; k++) {
		wb_hex(hx, l->c[k].grant, 32);
		if (strcmp(hx, s) == 0)
			return (int)k;
	}
	return -1;
}

/* What 'ward status' adds after the core's counters: the sessions open at
 * the core (its own list, what ward revoke acts on), the host's sandbox
 * features, and last, marked as such, what the broker says: its pid, its
 * live sessions and their handles, escaped, each checked against the
 * core's list.  For cmd_status (cli/cmd_audit.c) to call after the
 * core's part.  0, or 1 when the core or the broker does not answer. */
int
ward_status_broker(const char *home_dir, int core_up)
{
	struct ward_home h;
	struct ward_sb_probe pr;
	struct wb_ctxlist *cl = NULL;
	uint8_t sk[64];
	char err[512], a[200], b[200], c[200], hx[65], ph[33];
	json_t *lst, *sess, *s, *hs, *hh;
	size_t k, m;
	uint32_t i;
	int fd, rc = 0;

	if (wh_resolve(&h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward status: %s\n", err);
		return 1;
	}
	cl = core_up ? malloc(sizeof *cl) : NULL;
	if (cl != NULL && wh_read_key(h.op_key, sk, 64, err, sizeof err) == 0) {
		struct wb_pendlist *pl = malloc(sizeof *pl);

		if (cc_admin_list(h.admin_url, sk, NULL, NULL, cl) != 0 ||
		    cl->r.reason != 0) {
			free(cl);
			cl = NULL;
		}
		/* Calls held for the operator, from the core's own list. */
		if (cl != NULL && pl != NULL &&
		    cc_admin_pending(h.admin_url, sk, pl) == 0 && pl->r.reason == 0) {
			uint32_t w = 0;

			for (i = 0; i < pl->n; i++)
				w += pl->c[i].state == 1;
			printf("calls waiting for the operator: %u%s\n", w,
			       w > 0 ? " (ward pending shows them; ward approve ID "
			       "or ward deny ID answers one)" : "");
		}
		free(pl);
		sodium_memzero(sk, sizeof sk);
	} else {
		free(cl);
		cl = NULL;
	}
	if (cl == NULL) {
		printf("sessions open at the core: unknown (no answer on %s)\n",
		       h.admin_url);
		rc = 1;
	} else {
		printf("sessions open at the core: %u (the core's own list; ward "
		       "revoke acts on these)\n", cl->n);
		for (i = 0; i < cl->n; i++) {
			wb_hex(hx, cl->c[i].context, 16);
			wb_hex(ph, cl->c[i].parent, 16);
			printf("  session %s%s%s\n", hx, cl->c[i].has_parent ?
			       " child of " : "", cl->c[i].has_parent ? ph : "");
			wb_hex(hx, cl->c[i].grant, 32);
			printf("    grant %s%s\n", hx, cl->c[i].grant_revoked ?
			       " (revoked)" : "");
		}
	}
	ward_sb_probe_host(&pr, NULL);
	printf("sandbox:        landlock ABI %d, seccomp filter %s, user "
	       "notification %s, user namespaces %s, idmapped mounts %s\n",
	       pr.landlock_abi, pr.seccomp_filter ? "yes" : "NO",
	       pr.seccomp_notify ? "yes" : "NO", pr.userns ? "yes" : "NO",
	       pr.idmap ? "yes" : "NO");
	printf("cgroups:        memory %s, pids %s, cpu %s\n",
	       pr.cgroup_memory[0] ? pr.cgroup_memory : "none",
	       pr.cgroup_pids[0] ? pr.cgroup_pids : "none",
	       pr.cgroup_cpu[0] ? pr.cgroup_cpu : "none");

	/* Everything below is the broker's word, which a compromised broker
	 * chooses: shown escaped, as a claim, never acted on. */
	fd = cli_ctl_connect(&h);
	if (fd < 0) {
		printf("broker says: nothing (not running; ward run starts it)\n");
		free(cl);
		return 1;
	}
	printf("broker says (its own claims, not checked by the core unless "
	       "marked so):\n");
	{
		char buf[4096];
		size_t blen = 0;
		json_t *hello = NULL;

		if (cli_ctl_send(fd, json_pack("{s:s}", "op", "hello"), NULL, 0) == 0)
			hello = cli_ctl_read(fd, buf, sizeof buf, &blen, 5000);
		close(fd);
		printf("  broker:       pid %lld, %lld tool calls served\n",
		       (long long)json_integer_value(json_object_get(hello, "pid")),
		       (long long)json_integer_value(json_object_get(hello, "calls")));
		printf("  egress proxy: %s\n", json_is_true(json_object_get(hello,
		       "egress")) ? "up (ward-egress)" : "DOWN: every agent "
		       "connection is refused until it is started again (see "
		       "log/ward-broker.log)");
		json_decref(hello);
	}
	lst = broker_list(&h);
	sess = json_object_get(lst, "sessions");
	printf("  live sessions: %zu\n", json_array_size(sess));
	json_array_foreach(sess, k, s) {
		const char *sid = json_string_value(json_object_get(s, "session"));
		const char *par = json_string_value(json_object_get(s, "parent"));

		printf("    session %s%s%s: %lld calls, %lld refused  [%s]\n",
		       text_str(a, sizeof a, sid), par != NULL ? " child of " : "",
		       par != NULL ? text_str(b, sizeof b, par) : "",
		       (long long)json_integer_value(json_object_get(s, "calls")),
		       (long long)json_integer_value(json_object_get(s, "refused")),
		       cl == NULL ? "the core did not answer: unchecked" :
		       core_ctx_of(cl, sid) >= 0 ? "the core has it open" :
		       "NOT a session open at the core");
		hs = json_object_get(s, "handles");
		json_array_foreach(hs, m, hh) {
			const char *id = json_string_value(json_object_get(hh, "id"));
			int g = core_grant_of(cl, id);

			if (g >= 0)
				wb_hex(ph, cl->c[g].context, 16);
			printf("      cap %s  %s %s uses %lld  [%s%s]\n",
			       text_str(a, sizeof a, id),
			       text_str(b, sizeof b, json_string_value(json_object_get(hh, "tool"))),
			       text_str(c, sizeof c, json_string_value(json_object_get(hh, "scope"))),
			       (long long)json_integer_value(json_object_get(hh, "uses")),
			       g >= 0 ? "the core knows it: grant of session " :
			       "unchecked: not a grant the core knows",
			       g >= 0 ? ph : "");
		}
	}
	json_decref(lst);
	free(cl);
	return rc;
}

