/*
 * tamper.c -- the audit log against someone with write access to it.
 * A real core writes a log (approvals, refusals, contexts, a revocation,
 * checkpoints), then:
 *
 *   audit_flip_every_byte       flipping any one byte of the file makes the
 *                               verifier fail and name the record holding
 *                               that byte (the header: record 0)
 *   audit_truncate_every_length cutting the file at any length fails and
 *                               names the first missing record
 *   audit_delete_record         removing one whole record fails there
 *   audit_swap_records          swapping two records fails at the first
 *   audit_verify_cli            'ward audit verify' exits 0 on the real
 *                               log, 1 on a tampered one, naming the record
 *   audit_core_refuses_tampered the core will not start on a tampered log
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "client.h"
#include "codec.h"
#include "hfix.h"
#include "journal.h"

static struct hcore C;
static uint8_t *orig;
static size_t orig_len;
static size_t *rec_off;		/* offset of each frame; [n] = end */
static uint64_t n_rec;
static char ckpt[WH_PATH], copy[WH_PATH + 8];
static int failures;

static void
slurp(void)
{
	FILE *f = fopen(C.log, "rb");

	if (f == NULL || fseek(f, 0, SEEK_END) != 0)
		hf_die("open log");
	orig_len = (size_t)ftell(f);
	rewind(f);
	orig = malloc(orig_len);
	if (orig == NULL || fread(orig, 1, orig_len, f) != orig_len)
		hf_die("read log");
	fclose(f);
}

static void
put(const uint8_t *b, size_t n)
{
	FILE *f = fopen(copy, "wb");

	if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0)
		hf_die("write copy");
}

/* -2 if it verifies, else the record it names (-1 if unreadable). */
static long long
verify_copy(void)
{
	struct jr_result res;
	uint64_t bad = 0, ck = 0;
	char msg[512];
	int r = jr_verify(copy, ckpt, C.core_pk, NULL, NULL, &res, &bad, &ck,
			  msg, sizeof msg);

	return r == 0 ? -2 : r < 0 ? -1 : (long long)bad;
}

static uint64_t
record_of(size_t off)
{
	uint64_t k;

	if (off < JR_FILE_HDR)
		return 0;
	for (k = 0; k < n_rec; k++)
		if (off < rec_off[k + 1])
			return k;
	return n_rec;
}

static void
make_log(void)
{
	struct hkey agent, agent2;
	struct hblk ch[2];
	uint8_t ctx[16];
	int s, i;
	Ward__V1__Reply *r;

	hf_key(&agent, 41);
	hf_key(&agent2, 42);
	randombytes_buf(ctx, 16);
	hf_block(&ch[0].b, C.op.pk, agent.pk, ctx, (uint64_t)time(NULL), 100);
	hf_seal(&ch[0], C.op.sk);
	hf_child(&ch[1], &ch[0], agent2.pk);
	hf_seal(&ch[1], agent.sk);
	if (hc_start(&C) != 0)
		hf_die("start");
	s = wc_open(C.broker, 5000);
	r = hq_open(s, ch, 1);
	if (r == NULL || r->reason != 0)
		hf_die("open");
	ward__v1__reply__free_unpacked(r, NULL);
	for (i = 1; i <= 40; i++) {
		r = hq_approve(s, ctx, ch, 2, i % 5 ? WARD_OP_FS_READ :
			       WARD_OP_EXEC, i % 7 ? "/work/f" : "/etc/x",
			       (uint64_t)i);
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	{
		Ward__V1__Request q = WARD__V1__REQUEST__INIT;
		Ward__V1__Checkpoint ck = WARD__V1__CHECKPOINT__INIT;

		q.body_case = WARD__V1__REQUEST__BODY_CHECKPOINT;
		q.checkpoint = &ck;
		r = hq_call(s, &q);
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	r = hq_call_raw(s, (const uint8_t *)"\x0a\xff", 2);
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	wc_close(s);
	hc_stop(&C, SIGTERM);	/* a final checkpoint, in the log and file */
}

static void
index_records(void)
{
	size_t off = JR_FILE_HDR;

	rec_off = malloc(sizeof *rec_off * (orig_len / JR_FRAME_OVER + 2));
	while (off < orig_len) {
		rec_off[n_rec++] = off;
		off += JR_FRAME_OVER + ward_get_be32(orig + off);
	}
	rec_off[n_rec] = off;
}

static void
result(const char *name, const char *why)
{
	if (why == NULL) {
		printf("PASS %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

static int
cli_verify(const char *log, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof cmd, "build/ward audit verify --home '%s' --log "
		 "'%s' 2>&1", C.home, log);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
main(void)
{
	uint8_t *b;
	char why[1536], out[1024];
	size_t off;
	long long got;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	hc_init(&C, "tamper");
	make_log();
	snprintf(ckpt, sizeof ckpt, "%s/state/audit.ckpt", C.home);
	snprintf(copy, sizeof copy, "%s/copy.log", C.home);
	slurp();
	index_records();
	printf("# %llu records, %zu bytes\n", (unsigned long long)n_rec, orig_len);
	b = malloc(orig_len);
	put(orig, orig_len);
	if (verify_copy() != -2)
		hf_die("the untouched log does not verify");

	why[0] = '\0';
	for (off = 0; off < orig_len && why[0] == '\0'; off++) {
		memcpy(b, orig, orig_len);
		b[off] ^= 0x01;
		put(b, orig_len);
		got = verify_copy();
		if (got != (long long)record_of(off))
			snprintf(why, sizeof why, "flipping byte %zu (record %llu) "
				 "%s", off, (unsigned long long)record_of(off),
				 got == -2 ? "went unnoticed" : "named another record");
	}
	result("audit_flip_every_byte", why[0] ? why : NULL);

	why[0] = '\0';
	for (off = 0; off < orig_len && why[0] == '\0'; off++) {
		put(orig, off);
		got = verify_copy();
		if (got != (long long)record_of(off))
			snprintf(why, sizeof why, "cutting at byte %zu (record %llu) "
				 "%s (%lld)", off, (unsigned long long)record_of(off),
				 got == -2 ? "went unnoticed" : "named another record",
				 got);
	}
	result("audit_truncate_every_length", why[0] ? why : NULL);

	{
		uint64_t k = n_rec / 2;
		size_t a = rec_off[k], e = rec_off[k + 1];

		memcpy(b, orig, a);
		memcpy(b + a, orig + e, orig_len - e);
		put(b, orig_len - (e - a));
		got = verify_copy();
		snprintf(why, sizeof why, "deleting record %llu: verifier named %lld",
			 (unsigned long long)k, got);
		result("audit_delete_record", got == (long long)k ? NULL : why);
	}
	{
		uint64_t k = n_rec / 3;
		size_t a = rec_off[k], m = rec_off[k + 1], e = rec_off[k + 2];

		memcpy(b, orig, a);
		memcpy(b + a, orig + m, e - m);
		memcpy(b + a + (e - m), orig + a, m - a);
		memcpy(b + e, orig + e, orig_len - e);
		put(b, orig_len);
		got = verify_copy();
		snprintf(why, sizeof why, "swapping records %llu and %llu: "
			 "verifier named %lld", (unsigned long long)k,
			 (unsigned long long)k + 1, got);
		result("audit_swap_records", got == (long long)k ? NULL : why);
	}
	{
		int rc_good, rc_bad;
		char want[64];

		rc_good = cli_verify(C.log, out, sizeof out);
		memcpy(b, orig, orig_len);
		b[rec_off[7] + 50] ^= 0x80;
		put(b, orig_len);
		rc_bad = cli_verify(copy, out, sizeof out);
		snprintf(want, sizeof want, "at record 7 ");
		if (rc_good != 0)
			result("audit_verify_cli", "exit status on the real log "
			       "is not 0");
		else if (rc_bad != 1 || strstr(out, want) == NULL) {
			snprintf(why, sizeof why, "on a log edited in record 7: "
				 "exit %d, said: %s", rc_bad, out);
			result("audit_verify_cli", why);
		} else
			result("audit_verify_cli", NULL);
	}
	{
		/* Tamper with the real log; the core must refuse to start. */
		FILE *f;

		memcpy(b, orig, orig_len);
		b[rec_off[3] + 60] ^= 0x04;
		f = fopen(C.log, "wb");
		if (f == NULL || fwrite(b, 1, orig_len, f) != orig_len ||
		    fclose(f) != 0)
			hf_die("rewrite log");
		result("audit_core_refuses_tampered", hc_start(&C) == -1 ? NULL :
		       "ward-core started on an edited audit log");
		hc_stop(&C, SIGTERM);
		/* Truncated at a record boundary: only the checkpoint file
		 * can tell, and the core must listen to it. */
		f = fopen(C.log, "wb");
		if (f == NULL || fwrite(orig, 1, rec_off[n_rec - 2], f) !=
		    rec_off[n_rec - 2] || fclose(f) != 0)
			hf_die("rewrite log");
		result("audit_core_refuses_truncated", hc_start(&C) == -1 ? NULL :
		       "ward-core started on a log missing its last records");
		hc_stop(&C, SIGTERM);
	}
	free(b);
	hc_cleanup(&C);
	return failures ? 1 : 0;
}
