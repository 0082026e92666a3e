/*
 * cmd_audit.c -- 'ward audit verify' and 'ward audit show', and
 * 'ward status'.  Read-only over the audit log; status asks the core over
 * the admin socket.  Not part of the verified core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "ward/v1/ward.pb-c.h"
#include "ward_cli.h"
#include "client.h"
#include "home.h"
#include "journal.h"
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
		"        first bad record.  Exit 0 if the log verifies, 1 if not.\n"
		"show    print every record, one line each, after verifying.\n"
		"\n"
		"       ward audit [--session ID] [--filter KIND] [--json] [--follow]\n"
		"               query the log (see 'ward audit --json --help'\n"
		"               for the query options).\n");
	return f == stdout ? 0 : 2;
}

struct show {
	int print;
};

static int
show_one(const struct jr_rec *r, void *arg)
{
	struct show *s = arg;
	char line[JR_LINE_MAX];

	if (s->print) {
		jr_format(r, line, sizeof line);
		printf("%s\n", line);
	}
	return 0;
}

/* The query side of 'ward audit' (--session, --filter, --json, --follow)
 * lives with the broker (broker/cmd_run.c); weak, so the core's part
 * builds and works without it. */
int ward_audit_query(int argc, char **argv) __attribute__((weak));
int ward_status_broker(const char *home_dir) __attribute__((weak));

int
cmd_audit(int argc, char **argv)
{
	struct ward_home h;
	struct jr_result res;
	struct show show;
	uint8_t core_pk[32];
	uint64_t bad_rec = 0, ck_seq = 0;
	const char *dir = NULL, *log = NULL, *sub;
	char err[512];
	int i;

	if (ward_audit_query != NULL && (argc < 2 || (argv[1][0] == '-' &&
	    strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)))
		return ward_audit_query(argc, argv);
	if (argc < 2)
		return audit_usage(stderr);
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return audit_usage(stdout);
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "show") != 0)
		return audit_usage(stderr);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "--help") == 0)
			return audit_usage(stdout);
		else
			return audit_usage(stderr);
	}
	if (sodium_init() < 0)
		return 1;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		fprintf(stderr, "ward audit: %s\n", err);
		return 1;
	}
	if (log == NULL)
		log = h.log;
	show.print = strcmp(sub, "show") == 0;
	switch (jr_verify(log, h.ckpt, core_pk, show_one, &show, &res, &bad_rec,
			  &ck_seq, err, sizeof err)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "ward audit verify: FAILED %s\n", err);
		return 1;
	default:
		fprintf(stderr, "ward audit verify: FAILED: %s\n", err);
		return 1;
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
		"at the core, and what the broker says, shown as its claim.\n");
	return f == stdout ? 0 : 2;
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
	const char *dir = NULL;
	char err[512];
	int i, s, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return status_usage(stdout);
		else
			return status_usage(stderr);
	}
	if (sodium_init() < 0)
		return 1;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward status: %s\n", err);
		return 1;
	}
	q.body_case = WARD__V1__REQUEST__BODY_STATUS;
	q.status = &st;
	len = ward__v1__request__pack(&q, req);
	env = wc_admin_wrap(sk, req, len, (uint64_t)time(NULL), NULL, &env_len);
	sodium_memzero(sk, sizeof sk);
	if (env == NULL)
		return 1;
	s = wc_open(h.admin_url, 5000);
	if (s < 0 || wc_call(s, env, env_len, &buf, &buf_len) != 0) {
		fprintf(stderr, "ward status: no answer from the core on %s "
			"(is ward-core running?)\n", h.admin_url);
		free(env);
		if (ward_status_broker != NULL)
			(void)ward_status_broker(h.home);
		return 1;
	}
	free(env);
	rep = ward__v1__reply__unpack(NULL, buf_len, buf);
	free(buf);
	if (rep == NULL || rep->reason != 0 || rep->status == NULL) {
		char db[1024];

		fprintf(stderr, "ward status: refused: %s\n",
			rep != NULL ? text_str(db, sizeof db, rep->detail) :
			"unreadable reply");
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
		rc = 0;
	}
	ward__v1__reply__free_unpacked(rep, NULL);
	wc_close(s);
	if (ward_status_broker != NULL)
		(void)ward_status_broker(h.home);
	return rc;
}
