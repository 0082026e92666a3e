/*
 * cmd_audit.c -- 'ward audit verify' and 'ward audit show', and
 * 'ward status'.  Read-only over the audit log; status asks the core over
 * the admin socket.  Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "ward/v1/ward.pb-c.h"
#include "ward_cli.h"
#include "cmd_ctl.h"
#include "client.h"
#include "home.h"
#include "journal.h"
#include "record.h"
#include "text.h"

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
		"approvals, open contexts, revoked blocks; then the sessions open\n"
		"at the core, and what the broker says, shown as its claim.\n"
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
		       "revoked blocks: %u\ntrusted keys:   %u\nuptime:         %llu s\n",
		       (unsigned long long)rep->status->audit_records, hex,
		       (unsigned long long)rep->status->approvals,
		       rep->status->open_contexts, rep->status->revoked,
		       rep->status->trusted_keys,
		       (unsigned long long)rep->status->uptime);
		rc = WX_OK;
	}
	ward__v1__reply__free_unpacked(rep, NULL);
	wc_close(s);
	(void)ward_status_broker(h.home, 1);
	return rc;
}
