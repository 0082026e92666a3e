/*
 * crash.c -- kill -9 ward-core in a loop while clients hammer it, restart
 * it, and check what the core promised before each crash:
 *
 *   crash_no_overspend            the audit log never holds more ALLOWED
 *                                 decisions under the capability than its
 *                                 max, and once it is spent, it stays spent
 *   crash_approvals_durable       every approval a client received is in
 *                                 the log after the restart, ALLOWED
 *   crash_revocations_durable     every revocation acknowledged before a
 *                                 crash still refuses after it
 *   crash_contexts_durable        acknowledged opens stay open, acknowledged
 *                                 closes stay closed (and never reopen)
 *   crash_audit_chain_continues   the log verifies after every restart and
 *                                 grows from where it stopped
 *
 * The kill comes at a pseudo-random instant (seeded; the seed is printed),
 * so over the loop it lands inside decisions, writes and syncs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "approve.h"
#include "client.h"
#include "hfix.h"
#include "journal.h"
#include "names.h"
#include "wire.h"

#define ITER 16
#define WORKERS 4
#define MAXU 2500u
#define MAX_ACKS 200000
#define MAX_REV 4096

static struct hcore C;
static struct hkey agent, agent2;
static struct hblk pair[2];
#define root pair[0]
#define leaf pair[1]
static uint8_t ctx[16];
static atomic_ullong nonce_ctr = 1;
static atomic_int running;
static uint64_t now;

static uint64_t acked_pos[MAX_ACKS];
static atomic_int n_acked;

static struct hblk revoked[MAX_REV];
static int revoked_in[MAX_REV];	/* the session it was revoked under */
static int n_revoked;
/* The revoker works in a session of its own, a new one each life of the
 * core: a session stores at most 64 revocations (REV_TREE_MAX). */
static struct hblk rev_root[ITER], rev_leaf[ITER];
static uint8_t rev_ctx[ITER][16];
static int rev_sess = -1;
static int attempts;

static int bad_overspend, bad_approval, bad_revoke, bad_ctx, bad_chain;
static char why_overspend[256], why_approval[256], why_revoke[256],
	why_ctx[256], why_chain[256];

static void __attribute__((format(printf, 2, 3)))
note(char *why, const char *fmt, ...)
{
	va_list ap;

	if (why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(why, 256, fmt, ap);
	va_end(ap);
}

static void *
worker(void *arg)
{
	int s = wc_open(C.broker, 500);

	(void)arg;
	if (s < 0)
		return NULL;
	while (atomic_load(&running)) {
		uint64_t n = atomic_fetch_add(&nonce_ctr, 1);
		Ward__V1__Reply *r = hq_approve(s, ctx, pair, 2, WARD_OP_FS_READ,
						"/work/crash", n);

		if (r == NULL)
			break;	/* the core is gone */
		if (r->reason == 0 && r->approval != NULL) {
			int k = atomic_fetch_add(&n_acked, 1);

			if (k < MAX_ACKS)
				acked_pos[k] = r->approval->audit_pos;
		}
		ward__v1__reply__free_unpacked(r, NULL);
	}
	wc_close(s);
	return NULL;
}

/* Revoke fresh grandchildren, one after the other, until the core dies. */
static void *
revoker(void *arg)
{
	int s = wc_open(C.broker, 500);
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain ch;
	ProtobufCBinaryData slots[8];
	struct hblk three[3];

	(void)arg;
	if (s < 0)
		return NULL;
	while (atomic_load(&running) && n_revoked < MAX_REV && rev_sess >= 0) {
		Ward__V1__Reply *r;

		three[0] = rev_root[rev_sess];
		three[1] = rev_leaf[rev_sess];
		hf_child(&three[2], &three[1], agent.pk);
		/* A new block each attempt: one whose revocation was made
		 * durable but never acknowledged (a crash in between) is
		 * revoked already, and a chain holding it no longer verifies. */
		three[2].b.max_uses = (uint32_t)(++attempts);
		hf_seal(&three[2], agent2.sk);
		hq_chain(&ch, slots, three, 3);
		rv.chain = &ch;
		rv.target = 2;
		q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
		q.revoke = &rv;
		r = hq_call(s, &q);
		if (r == NULL)
			break;
		if (r->reason == 0) {
			revoked_in[n_revoked] = rev_sess;
			revoked[n_revoked++] = three[2];
		} else if ((unsigned)r->reason == WR_REVOKE_QUOTA) {
			ward__v1__reply__free_unpacked(r, NULL);
			break;
		}
		else if (getenv("WARD_DEBUG"))
			fprintf(stderr, "revoke: %s\n", r->detail);
		ward__v1__reply__free_unpacked(r, NULL);
	}
	wc_close(s);
	return NULL;
}

struct tally {
	uint64_t allowed;
	uint8_t *is_allowed;	/* by audit position */
	uint64_t cap;
};

static int
tally_one(const struct jr_rec *r, void *arg)
{
	struct tally *t = arg;

	if (r->rec[0] != JR_DECISION ||
	    r->rec[WARD_REC_OFF_VERDICT] != WARD_VERDICT_ALLOWED)
		return 0;
	if (memcmp(r->rec + WARD_REC_OFF_LEAF, leaf.id, 32) == 0)
		t->allowed++;
	if (r->seq < t->cap)
		t->is_allowed[r->seq] = 1;
	return 0;
}

static Ward__V1__Reply *
open_grant(int s, uint8_t *c)
{
	struct hblk g;

	randombytes_buf(c, 16);
	hf_block(&g.b, C.op.pk, agent.pk, c, now, 10);
	hf_seal(&g, C.op.sk);
	return hq_open(s, &g, 1);
}

static Ward__V1__Reply *
reopen(int s, const uint8_t *c)
{
	struct hblk g;

	hf_block(&g.b, C.op.pk, agent.pk, c, now, 10);
	hf_seal(&g, C.op.sk);
	return hq_open(s, &g, 1);
}

/* The state of ctx in the core's table, asked on the admin socket a:
 * "open", "closed", "unknown" (not in the table) or why there is no
 * answer. */
static const char *
ctx_state(int a, const uint8_t *c)
{
	static char why[96];
	Ward__V1__Reply *r = hq_list(a, &C.op, c, NULL);
	const Ward__V1__ContextInfo *e = hq_listed(r, c);
	const char *st;

	if (r == NULL)
		return "no reply to ListContexts";
	if (r->reason != 0) {
		snprintf(why, sizeof why, "ListContexts refused: %s",
			 wn_reason((unsigned)r->reason));
		st = why;
	} else
		st = e == NULL ? "unknown" : e->open ? "open" : "closed";
	ward__v1__reply__free_unpacked(r, NULL);
	return st;
}

int
main(int argc, char **argv)
{
	uint8_t open_ctx[ITER][16], closed_ctx[ITER][16];
	int n_open = 0, n_closed = 0, it, i, s;
	unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) :
			(unsigned)time(NULL);
	uint64_t last_records = 0, spent_at = 0;
	struct tally t;
	Ward__V1__Reply *r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	srand(seed);
	printf("# core-crash: seed %u (rerun with build/hostile/core-crash %u)\n",
	       seed, seed);
	hc_init(&C, "crash");
	now = (uint64_t)time(NULL);
	hf_key(&agent, 31);
	hf_key(&agent2, 32);
	randombytes_buf(ctx, 16);
	hf_block(&root.b, C.op.pk, agent.pk, ctx, now, MAXU);
	hf_seal(&root, C.op.sk);
	hf_child(&leaf, &root, agent2.pk);
	hf_seal(&leaf, agent.sk);
	if (hc_start(&C) != 0)
		hf_die("ward-core did not start");
	s = wc_open(C.broker, 5000);
	r = hq_open(s, &root, 1);
	if (r == NULL || r->reason != 0)
		hf_die("open context");
	ward__v1__reply__free_unpacked(r, NULL);
	wc_close(s);

	t.cap = 1u << 22;
	t.is_allowed = calloc(t.cap, 1);
	for (it = 0; it < ITER; it++) {
		pthread_t th[WORKERS + 1];
		struct jr_result res;
		int killed_after = 20 + rand() % 150;

		/* A context opened and one closed in this life of the core. */
		s = wc_open(C.broker, 5000);
		r = open_grant(s, open_ctx[n_open]);
		if (r != NULL && r->reason == 0)
			n_open++;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		r = open_grant(s, closed_ctx[n_closed]);
		if (r != NULL && r->reason == 0) {
			Ward__V1__Request q = WARD__V1__REQUEST__INIT;
			Ward__V1__CloseContext cc = WARD__V1__CLOSE_CONTEXT__INIT;
			Ward__V1__Chain ch;
			ProtobufCBinaryData slots[8];
			struct hblk g;
			Ward__V1__Reply *r2;

			hf_block(&g.b, C.op.pk, agent.pk, closed_ctx[n_closed],
				 now, 10);
			hf_seal(&g, C.op.sk);
			hq_chain(&ch, slots, &g, 1);
			cc.context.data = closed_ctx[n_closed];
			cc.context.len = 16;
			cc.chain = &ch;
			q.body_case = WARD__V1__REQUEST__BODY_CLOSE_CONTEXT;
			q.close_context = &cc;
			r2 = hq_call(s, &q);
			if (r2 != NULL && r2->reason == 0)
				n_closed++;
			if (r2)
				ward__v1__reply__free_unpacked(r2, NULL);
		}
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		/* The revoker's session for this life of the core. */
		randombytes_buf(rev_ctx[it], 16);
		hf_block(&rev_root[it].b, C.op.pk, agent.pk, rev_ctx[it], now,
			 MAXU);
		hf_seal(&rev_root[it], C.op.sk);
		hf_child(&rev_leaf[it], &rev_root[it], agent2.pk);
		hf_seal(&rev_leaf[it], agent.sk);
		r = hq_open(s, &rev_root[it], 1);
		rev_sess = r != NULL && r->reason == 0 ? it : -1;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		wc_close(s);

		atomic_store(&running, 1);
		for (i = 0; i < WORKERS; i++)
			pthread_create(&th[i], NULL, worker, NULL);
		pthread_create(&th[WORKERS], NULL, revoker, NULL);
		usleep((useconds_t)killed_after * 1000);
		hc_stop(&C, SIGKILL);
		atomic_store(&running, 0);
		for (i = 0; i <= WORKERS; i++)
			pthread_join(th[i], NULL);

		if (hc_start(&C) != 0) {
			bad_chain++;
			note(why_chain, "iteration %d: ward-core refused to restart "
			     "after kill -9 (see %s/core.err)", it, C.home);
			break;
		}
		/* The chain verifies and did not lose a record. */
		memset(t.is_allowed, 0, t.cap);
		t.allowed = 0;
		if (jr_scan(C.log, C.core_pk, tally_one, &t, &res) != 0 || !res.ok) {
			bad_chain++;
			note(why_chain, "iteration %d: the log does not verify after "
			     "restart: record %llu: %s", it,
			     (unsigned long long)res.bad_rec, res.why);
		} else if (res.records < last_records) {
			bad_chain++;
			note(why_chain, "iteration %d: the log shrank from %llu to "
			     "%llu records", it, (unsigned long long)last_records,
			     (unsigned long long)res.records);
		}
		last_records = res.records;
		if (t.allowed > MAXU) {
			bad_overspend++;
			note(why_overspend, "iteration %d: %llu ALLOWED decisions "
			     "under a capability of %u uses", it,
			     (unsigned long long)t.allowed, MAXU);
		}
		for (i = 0; i < atomic_load(&n_acked) && i < MAX_ACKS; i++)
			if (acked_pos[i] >= t.cap || !t.is_allowed[acked_pos[i]]) {
				bad_approval++;
				note(why_approval, "iteration %d: the approval at "
				     "audit position %llu was released but is not in "
				     "the log after the crash", it,
				     (unsigned long long)acked_pos[i]);
				break;
			}
		s = wc_open(C.broker, 5000);
		for (i = 0; i < n_revoked; i++) {
			int k = revoked_in[i];
			struct hblk three[3] = { rev_root[k], rev_leaf[k],
						 revoked[i] };
			uint64_t n = atomic_fetch_add(&nonce_ctr, 1);

			r = hq_approve(s, rev_ctx[k], three, 3, WARD_OP_FS_READ,
				       "/work/crash", n);
			if (r == NULL || (int)r->reason != (int)WARD_E_REVOKED) {
				bad_revoke++;
				note(why_revoke, "iteration %d: revocation %d was "
				     "acknowledged before the crash, but now the "
				     "core answers %s", it, i,
				     r ? wn_reason((unsigned)r->reason) :
				     "nothing");
			}
			if (r)
				ward__v1__reply__free_unpacked(r, NULL);
		}
		wc_close(s);
		/* Whether a context is open is asked of the core's own table
		 * (ListContexts on the admin socket), not inferred from a
		 * reopen: a reopen verifies the grant first, and the grant's id
		 * may fall in a bucket of the revocation set that the revoker
		 * filled, where every id is refused as revoked (fail closed,
		 * revoke.h) whatever the context's state. */
		s = wc_open(C.admin, 5000);
		for (i = 0; i < n_open + n_closed; i++) {
			int was_open = i < n_open;
			const char *want = was_open ? "open" : "closed",
				   *st = ctx_state(s, was_open ? open_ctx[i] :
						   closed_ctx[i - n_open]);

			if (strcmp(st, want) != 0) {
				bad_ctx++;
				note(why_ctx, "iteration %d: a context %s before "
				     "the crash is not %s after it (%s)", it,
				     was_open ? "opened" : "closed", want, st);
			}
		}
		wc_close(s);
		s = wc_open(C.broker, 5000);
		for (i = 0; i < n_closed; i++) {
			r = reopen(s, closed_ctx[i]);
			/* Refused as reused; or as revoked, when the grant's id
			 * falls in a full bucket of the revocation set. */
			if (r == NULL || ((unsigned)r->reason != WR_CONTEXT_REUSED &&
					  (unsigned)r->reason != WARD_E_REVOKED)) {
				bad_ctx++;
				note(why_ctx, "iteration %d: a context closed before "
				     "the crash can be reopened after it (%s)", it,
				     r ? wn_reason((unsigned)r->reason) : "no reply");
			}
			if (r)
				ward__v1__reply__free_unpacked(r, NULL);
		}
		wc_close(s);
		if (t.allowed >= MAXU - 64 && spent_at == 0)
			spent_at = (uint64_t)it + 1;
		printf("# iteration %d: killed after %d ms; %d approvals "
		       "received so far, %llu ALLOWED in the log (max %u), %d "
		       "revocations, %llu records\n", it, killed_after,
		       atomic_load(&n_acked), (unsigned long long)t.allowed, MAXU,
		       n_revoked, (unsigned long long)res.records);
	}
	/* Spend whatever is left: it must stop at the max, crash or not. */
	s = wc_open(C.broker, 5000);
	for (i = 0; i < (int)MAXU + 10; i++) {
		r = hq_approve(s, ctx, pair, 2, WARD_OP_FS_READ, "/work/crash",
			       atomic_fetch_add(&nonce_ctr, 1));
		if (r == NULL || r->reason != 0) {
			if (r)
				ward__v1__reply__free_unpacked(r, NULL);
			break;
		}
		ward__v1__reply__free_unpacked(r, NULL);
	}
	wc_close(s);
	{
		struct jr_result res;

		memset(t.is_allowed, 0, t.cap);
		t.allowed = 0;
		if (jr_scan(C.log, C.core_pk, tally_one, &t, &res) != 0 || !res.ok) {
			bad_chain++;
			note(why_chain, "final: the log does not verify");
		}
		if (t.allowed > MAXU) {
			bad_overspend++;
			note(why_overspend, "final: %llu ALLOWED decisions under a "
			     "capability of %u uses", (unsigned long long)t.allowed,
			     MAXU);
		}
		printf("# final: %llu ALLOWED in the log for max %u (the rest "
		       "were reserved by a core that then died: wasted, never "
		       "spent twice)\n", (unsigned long long)t.allowed, MAXU);
	}
	hc_stop(&C, SIGTERM);
#define REPORT(name, n, why) \
	do { if (n) printf("FAIL %s: %s\n", name, why); \
	     else printf("PASS %s\n", name); } while (0)
	REPORT("crash_no_overspend", bad_overspend, why_overspend);
	REPORT("crash_approvals_durable", bad_approval, why_approval);
	REPORT("crash_revocations_durable", bad_revoke, why_revoke);
	REPORT("crash_contexts_durable", bad_ctx, why_ctx);
	REPORT("crash_audit_chain_continues", bad_chain, why_chain);
	if (n_revoked == 0 || atomic_load(&n_acked) == 0)
		printf("FAIL crash_under_load: the load never got going (%d "
		       "approvals, %d revocations)\n", atomic_load(&n_acked),
		       n_revoked);
	else
		printf("PASS crash_under_load\n");
	hc_cleanup(&C);
	free(t.is_allowed);
	return bad_overspend + bad_approval + bad_revoke + bad_ctx + bad_chain ? 1 : 0;
}
