/*
 * hostile.c -- the hostile-broker suite.  A client that speaks the broker
 * protocol (and the admin protocol, without or with the wrong key)
 * directly to a real ward-core, and tries what a compromised broker would.
 * Every attempt must be refused with its reason AND appear in the audit
 * log as a BLOCKED record at the position the reply names, read back from
 * the file on disk.  One test per attack, named after it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "approve.h"
#include "client.h"
#include "codec.h"
#include "hfix.h"
#include "journal.h"
#include "names.h"
#include "params.h"
#include "wire.h"

static struct hcore C;
static int B, A;		/* broker and admin sockets */
static struct hkey agent, agent2, stranger;
static uint64_t now;
static int failures;
static int hush;	/* refused() does not print PASS (a step of a test) */
static uint64_t next_nonce = 1;

static void
pass(const char *name)
{
	printf("PASS %s\n", name);
}

static void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

/* ---- the audit log, read back from disk ------------------------------------ */

struct find {
	uint64_t pos;
	int found;
	unsigned type, verdict, reason;
};

static int
find_one(const struct jr_rec *r, void *arg)
{
	struct find *f = arg;

	if (r->seq != f->pos)
		return 0;
	f->found = 1;
	f->type = r->rec[0];
	if (f->type == JR_DECISION) {
		f->verdict = r->rec[WARD_REC_OFF_VERDICT];
		f->reason = r->rec[WARD_REC_OFF_REASON];
	} else if (f->type == JR_EVENT) {
		f->verdict = r->rec[JR_EV_VERDICT] == JV_BLOCKED ?
			     WARD_VERDICT_BLOCKED : WARD_VERDICT_ALLOWED;
		f->reason = r->rec[JR_EV_REASON];
	}
	return 1;
}

/* "" if record pos on disk is a BLOCKED decision with this reason, else
 * what is wrong. */
static const char *
logged_blocked(uint64_t pos, unsigned reason)
{
	static char why[200];
	struct jr_result res;
	struct find f;

	memset(&f, 0, sizeof f);
	f.pos = pos;
	if (jr_scan(C.log, C.core_pk, find_one, &f, &res) != 0)
		return "cannot read the audit log";
	if (!f.found)
		return "the reply names an audit record that is not on disk";
	if (f.verdict != WARD_VERDICT_BLOCKED) {
		snprintf(why, sizeof why, "audit record %llu is not BLOCKED",
			 (unsigned long long)pos);
		return why;
	}
	if (f.reason != reason) {
		snprintf(why, sizeof why, "audit record %llu says reason=%s, "
			 "not %s", (unsigned long long)pos,
			 wn_reason(f.reason), wn_reason(reason));
		return why;
	}
	return "";
}

/* The reply refuses with reason, and the refusal is on disk. */
static int
refused(const char *name, Ward__V1__Reply *r, unsigned reason)
{
	const char *w;
	int ok = 0;

	if (r == NULL) {
		fail(name, "no reply from the core");
		return 0;
	}
	if ((unsigned)r->reason != reason)
		fail(name, "reason=%s (%s), expected %s",
		     wn_reason((unsigned)r->reason), r->detail,
		     wn_reason(reason));
	else if (r->approval != NULL)
		fail(name, "refused, yet an approval came with the reply");
	else if (*(w = logged_blocked(r->audit_pos, reason)) != '\0')
		fail(name, "refused with the right reason, but %s", w);
	else
		ok = 1;
	if (ok && !hush)
		pass(name);
	ward__v1__reply__free_unpacked(r, NULL);
	return ok;
}

static int
approved(const char *name, Ward__V1__Reply *r, int report)
{
	int ok = r != NULL && r->reason == 0 && r->approval != NULL;

	if (!ok && report)
		fail(name, "expected an approval, got %s (%s)",
		     r ? wn_reason((unsigned)r->reason) : "no reply",
		     r ? r->detail : "");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	return ok;
}

/* ---- fixtures --------------------------------------------------------------- */

static void
new_ctx(uint8_t *ctx)
{
	randombytes_buf(ctx, WARD_CTX_BYTES);
}

/* root (operator -> agent) and its child (agent -> agent2) in ctx. */
static void
grant(struct hblk *root, struct hblk *child, const uint8_t *ctx, uint32_t uses)
{
	hf_block(&root->b, C.op.pk, agent.pk, ctx, now, uses);
	hf_seal(root, C.op.sk);
	if (child != NULL) {
		hf_child(child, root, agent2.pk);
		hf_seal(child, agent.sk);
	}
}

/* A context opened from a fresh grant. */
static void
opened(struct hblk *root, struct hblk *child, uint8_t *ctx, uint32_t uses)
{
	Ward__V1__Reply *r;

	new_ctx(ctx);
	grant(root, child, ctx, uses);
	r = hq_open(B, root, 1);
	if (r == NULL || r->reason != 0)
		hf_die("cannot open a context from an operator grant");
	ward__v1__reply__free_unpacked(r, NULL);
}

static Ward__V1__Reply *
use(const uint8_t *ctx, const struct hblk *chain, uint32_t n)
{
	return hq_approve(B, ctx, chain, n, WARD_OP_FS_READ, "/work/a.txt",
			  next_nonce++);
}

/* kill -9 the core and start it again on the same home. */
static void
restart_core(void)
{
	hc_stop(&C, SIGKILL);
	if (hc_start(&C) != 0)
		hf_die("ward-core did not restart after kill -9");
}

/* ---- the attacks ------------------------------------------------------------ */

static void
t_baseline(void)
{
	struct hblk ch[2];
	uint8_t ctx[16], m[16 + WARD_APR_MAX];
	Ward__V1__Reply *r;

	opened(&ch[0], &ch[1], ctx, 100);
	r = use(ctx, ch, 2);
	if (r == NULL || r->reason != 0 || r->approval == NULL) {
		fail("baseline_approval_verifies", "a legitimate request was "
		     "refused: %s", r ? r->detail : "no reply");
	} else {
		memcpy(m, "ward.v1.approval", 16);
		memcpy(m + 16, r->approval->message.data,
		       r->approval->message.len);
		if (r->approval->signature.len != 64 ||
		    crypto_sign_verify_detached(r->approval->signature.data, m,
						16 + r->approval->message.len,
						C.core_pk) != 0)
			fail("baseline_approval_verifies", "the approval does not "
			     "verify under keys/core.pub");
		else
			pass("baseline_approval_verifies");
	}
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
}

static void
t_forged_signature(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	ch[1].raw[ch[1].len - 1] ^= 0x01;	/* child signature */
	refused("forged_signature", use(ctx, ch, 2), WARD_E_SIGNATURE);
	/* A root that claims the operator as issuer, signed by a stranger. */
	grant(&ch[0], NULL, ctx, 100);
	ch[0].b.max_uses = 101;	/* a block the operator never signed */
	hf_seal(&ch[0], stranger.sk);
	refused("forged_operator_signature_on_root", use(ctx, ch, 1),
		WARD_E_SIGNATURE);
}

static void
t_spliced_chain(void)
{
	struct hblk a[2], b[2], mix[2];
	uint8_t ctx[16];

	opened(&a[0], &a[1], ctx, 100);
	/* Another grant in the same context, held by the same agent. */
	hf_block(&b[0].b, C.op.pk, agent.pk, ctx, now, 100);
	b[0].b.max_uses = 99;
	hf_seal(&b[0], C.op.sk);
	hf_child(&b[1], &b[0], agent2.pk);
	hf_seal(&b[1], agent.sk);
	mix[0] = a[0];
	mix[1] = b[1];	/* b's child under a's root */
	refused("spliced_chain", use(ctx, mix, 2), WARD_E_PARENT_HASH);
}

/* Child of a fresh grant, edited by edit(), signed by the agent. */
static void
widened(const char *name, void (*edit)(struct ward_block *), unsigned reason)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	edit(&ch[1].b);
	hf_seal(&ch[1], agent.sk);
	refused(name, use(ctx, ch, 2), reason);
}

static void e_scope(struct ward_block *b) { memcpy(b->scope, "/", 1); b->scope_len = 1; }
static void e_scope2(struct ward_block *b) { memcpy(b->scope, "/workshop", 9); b->scope_len = 9; }
static void e_window(struct ward_block *b) { b->not_after += 1; }
static void e_window2(struct ward_block *b) { b->not_before -= 1; }
static void e_uses(struct ward_block *b) { b->max_uses += 1; }
static void e_depth(struct ward_block *b) { b->depth += 1; }
static void e_kind(struct ward_block *b) { b->kind = WARD_KIND_EXEC; }

static void
t_widened_rights(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	new_ctx(ctx);
	hf_block(&ch[0].b, C.op.pk, agent.pk, ctx, now, 100);
	ch[0].b.r_write = 0;
	hf_seal(&ch[0], C.op.sk);
	{
		Ward__V1__Reply *r = hq_open(B, ch, 1);

		if (r == NULL || r->reason != 0)
			hf_die("open");
		ward__v1__reply__free_unpacked(r, NULL);
	}
	hf_child(&ch[1], &ch[0], agent2.pk);
	ch[1].b.r_write = 1;
	hf_seal(&ch[1], agent.sk);
	refused("widened_rights", use(ctx, ch, 2), WARD_E_RIGHTS_WIDENED);
}

static void
t_no_delegate(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];
	Ward__V1__Reply *r;

	new_ctx(ctx);
	hf_block(&ch[0].b, C.op.pk, agent.pk, ctx, now, 100);
	ch[0].b.r_delegate = 0;
	hf_seal(&ch[0], C.op.sk);
	r = hq_open(B, ch, 1);
	if (r == NULL || r->reason != 0)
		hf_die("open");
	ward__v1__reply__free_unpacked(r, NULL);
	hf_child(&ch[1], &ch[0], agent2.pk);
	ch[1].b.r_delegate = 0;
	hf_seal(&ch[1], agent.sk);
	refused("delegation_without_delegate_right", use(ctx, ch, 2),
		WARD_E_NO_DELEGATE);
}

static void
t_other_context(void)
{
	struct hblk a[2], b[2], x[2];
	uint8_t ca[16], cb[16];

	opened(&a[0], &a[1], ca, 100);
	opened(&b[0], &b[1], cb, 100);
	/* A's chain, presented for B. */
	refused("use_from_another_context", hq_approve(B, cb, a, 2,
		WARD_OP_FS_READ, "/work/x", next_nonce++), WARD_E_CONTEXT);
	/* A's authority delegated into B by a child bound to B. */
	x[0] = a[0];
	hf_child(&x[1], &a[0], agent2.pk);
	memcpy(x[1].b.context, cb, 16);
	hf_seal(&x[1], agent.sk);
	refused("delegation_into_another_context", hq_approve(B, cb, x, 2,
		WARD_OP_FS_READ, "/work/x", next_nonce++), WARD_E_CONTEXT);
}

static void
t_window(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	/* The operator's own root, but its window is over / to come. */
	ch[0].b.not_before = now - 7200;
	ch[0].b.not_after = now - 3600;
	hf_seal(&ch[0], C.op.sk);
	refused("expired_capability", use(ctx, ch, 1), WARD_E_EXPIRED);
	ch[0].b.not_before = now + 3600;
	ch[0].b.not_after = now + 7200;
	hf_seal(&ch[0], C.op.sk);
	refused("not_yet_valid_capability", use(ctx, ch, 1),
		WARD_E_NOT_YET_VALID);
}

static void
t_revoked_parent(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain ch;
	ProtobufCBinaryData slots[8];
	struct hblk c[2];
	uint8_t ctx[16];
	Ward__V1__Reply *r;

	opened(&c[0], &c[1], ctx, 100);
	if (!approved("revoked_parent", use(ctx, c, 2), 1))
		return;
	hq_chain(&ch, slots, c, 2);
	rv.chain = &ch;
	rv.target = 0;	/* the root: every descendant goes with it */
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	r = hq_call(B, &q);
	if (r == NULL || r->reason != 0) {
		fail("revoked_parent", "the revocation itself was refused");
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		return;
	}
	ward__v1__reply__free_unpacked(r, NULL);
	refused("revoked_parent", use(ctx, c, 2), WARD_E_REVOKED);
}

struct racer {
	const uint8_t *ctx;
	const struct hblk *ch;
	uint64_t nonce0;
	int ok, exhausted, stale, other;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	int s = wc_open(C.broker, 10000), i;

	if (s < 0)
		return NULL;
	for (i = 0; i < 25; i++) {
		Ward__V1__Reply *r = hq_approve(s, x->ctx, x->ch, 2,
						WARD_OP_FS_READ, "/work/r",
						x->nonce0 + 8 * (uint64_t)i);

		if (r != NULL && r->reason == 0 && r->approval != NULL)
			x->ok++;
		else if (r != NULL && (int)r->reason == (int)WARD_E_USES_EXHAUSTED)
			x->exhausted++;
		else if (r != NULL && (int)r->reason == (int)WARD_E_NONCE_STALE)
			x->stale++;
		else
			x->other++;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	wc_close(s);
	return NULL;
}

struct count {
	uint8_t leaf[32];
	int allowed, exhausted;
};

static int
count_one(const struct jr_rec *r, void *arg)
{
	struct count *c = arg;

	if (r->rec[0] != JR_DECISION ||
	    memcmp(r->rec + WARD_REC_OFF_LEAF, c->leaf, 32) != 0)
		return 0;
	if (r->rec[WARD_REC_OFF_VERDICT] == WARD_VERDICT_ALLOWED)
		c->allowed++;
	else if (r->rec[WARD_REC_OFF_REASON] == WARD_E_USES_EXHAUSTED)
		c->exhausted++;
	return 0;
}

static void
t_over_use_count(void)
{
	enum { THREADS = 8, MAXU = 37 };
	struct racer x[THREADS];
	pthread_t th[THREADS];
	struct hblk ch[2];
	struct count cnt;
	struct jr_result res;
	uint8_t ctx[16];
	int i, ok = 0, ex = 0, stale = 0, other = 0;

	opened(&ch[0], &ch[1], ctx, MAXU);
	for (i = 0; i < THREADS; i++) {
		x[i].ctx = ctx;
		x[i].ch = ch;
		x[i].nonce0 = 1000 + (uint64_t)i;	/* interleaved */
		x[i].ok = x[i].exhausted = x[i].stale = x[i].other = 0;
		pthread_create(&th[i], NULL, race, &x[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += x[i].ok;
		ex += x[i].exhausted;
		stale += x[i].stale;
		other += x[i].other;
	}
	memset(&cnt, 0, sizeof cnt);
	memcpy(cnt.leaf, ch[1].id, 32);
	if (jr_scan(C.log, C.core_pk, count_one, &cnt, &res) != 0 || !res.ok)
		fail("over_use_count_concurrent", "cannot read the audit log");
	/* 200 attempts on 37 uses: exactly 37 approved, every other one
	 * refused (a nonce that falls behind the window of 64 is stale). */
	else if (ok != MAXU || ex + stale != THREADS * 25 - MAXU || other != 0)
		fail("over_use_count_concurrent", "%d approvals (max %d), %d "
		     "refused uses_exhausted, %d nonce_stale, %d other", ok,
		     MAXU, ex, stale, other);
	else if (cnt.allowed != MAXU || cnt.exhausted != ex)
		fail("over_use_count_concurrent", "the audit log holds %d "
		     "ALLOWED and %d uses_exhausted records, not %d and %d",
		     cnt.allowed, cnt.exhausted, MAXU, ex);
	else
		pass("over_use_count_concurrent");
}

static void
t_replay(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	if (!approved("replayed_approval", hq_approve(B, ctx, ch, 2,
		WARD_OP_FS_READ, "/work/once", 77), 1))
		return;
	refused("replayed_approval", hq_approve(B, ctx, ch, 2, WARD_OP_FS_READ,
		"/work/once", 77), WARD_E_REPLAY);
	refused("replayed_nonce", hq_approve(B, ctx, ch, 2, WARD_OP_FS_WRITE,
		"/work/other", 77), WARD_E_REPLAY);
	refused("zero_nonce", hq_approve(B, ctx, ch, 2, WARD_OP_FS_READ,
		"/work/z", 0), WARD_E_NONCE_STALE);
}

static void
t_mint(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__TrustKey tk = WARD__V1__TRUST_KEY__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	struct hblk self[2];
	uint8_t ctx[16], id[32];

	tk.key.data = stranger.pk;
	tk.key.len = 32;
	q.body_case = WARD__V1__REQUEST__BODY_TRUST_KEY;
	q.trust_key = &tk;
	refused("minting_through_broker_trust_key", hq_call(B, &q),
		WR_ADMIN_ONLY);
	/* A root the broker signs itself. */
	new_ctx(ctx);
	hf_block(&self[0].b, stranger.pk, agent.pk, ctx, now, 100);
	hf_seal(&self[0], stranger.sk);
	refused("minting_through_broker_self_signed_grant",
		hq_open(B, self, 1), WARD_E_UNTRUSTED_ROOT);
	refused("minting_through_broker_self_signed_chain",
		use(ctx, self, 1), WARD_E_CONTEXT_UNKNOWN);
	/* Operator-only revocation by bare id. */
	memset(id, 7, sizeof id);
	rv.block_id.data = id;
	rv.block_id.len = 32;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	refused("admin_only_request_on_broker_socket", hq_call(B, &q),
		WR_ADMIN_ONLY);
}

/* The vault is the operator's: a broker can neither store, list nor
 * remove a secret (it would learn names, or swap a value it chose in). */
static void
t_vault_admin_only(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__SecretSet ss = WARD__V1__SECRET_SET__INIT;
	Ward__V1__SecretList sl = WARD__V1__SECRET_LIST__INIT;
	Ward__V1__SecretRemove sr = WARD__V1__SECRET_REMOVE__INIT;
	uint8_t sealed[80];

	memset(sealed, 5, sizeof sealed);
	ss.name.data = (uint8_t *)"API_KEY";
	ss.name.len = 7;
	ss.sealed.data = sealed;
	ss.sealed.len = sizeof sealed;
	q.body_case = WARD__V1__REQUEST__BODY_SECRET_SET;
	q.secret_set = &ss;
	refused("vault_set_through_broker", hq_call(B, &q), WR_ADMIN_ONLY);
	q.body_case = WARD__V1__REQUEST__BODY_SECRET_LIST;
	q.secret_list = &sl;
	refused("vault_list_through_broker", hq_call(B, &q), WR_ADMIN_ONLY);
	sr.name.data = (uint8_t *)"API_KEY";
	sr.name.len = 7;
	q.body_case = WARD__V1__REQUEST__BODY_SECRET_REMOVE;
	q.secret_remove = &sr;
	refused("vault_remove_through_broker", hq_call(B, &q), WR_ADMIN_ONLY);
}

/* Which names the vault holds is not for a broker to probe: secret.use of
 * a name no capability of its grants is refused as the decision refuses
 * any resource it holds nothing for, never secret_unknown (which only a
 * chain granting that very secret.use learns). */
static void
t_vault_names_not_probed(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];
	Ward__V1__Reply *r;

	opened(&ch[0], &ch[1], ctx, 100);
	r = hq_approve(B, ctx, ch, 2, WARD_OP_SECRET_USE,
		       "NO_SUCH_SECRET@127.0.0.1:9/authorization", next_nonce++);
	if (r == NULL)
		fail("vault_names_not_probed_through_secret_use", "no reply");
	else if ((unsigned)r->reason == WR_SECRET_UNKNOWN ||
		 (unsigned)r->reason == WR_SECRET_NO_EGRESS || r->reason == 0)
		fail("vault_names_not_probed_through_secret_use", "reason=%s (%s): "
		     "the vault's contents are told to a chain that grants no "
		     "secret.use", wn_reason((unsigned)r->reason), r->detail);
	else
		pass("vault_names_not_probed_through_secret_use");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
}

static void
t_self_signed_in_open_context(void)
{
	struct hblk ch[2], self;
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	hf_block(&self.b, stranger.pk, agent.pk, ctx, now, 100);
	hf_seal(&self, stranger.sk);
	refused("minting_through_broker_untrusted_root", use(ctx, &self, 1),
		WARD_E_UNTRUSTED_ROOT);
}

static Ward__V1__Request *
status_req(Ward__V1__Request *q, Ward__V1__Status *s)
{
	ward__v1__request__init(q);
	ward__v1__status__init(s);
	q->body_case = WARD__V1__REQUEST__BODY_STATUS;
	q->status = s;
	return q;
}

static void
t_admin(void)
{
	Ward__V1__Request q;
	Ward__V1__Status s;
	Ward__V1__AdminEnvelope e = WARD__V1__ADMIN_ENVELOPE__INIT;
	uint8_t req[32], env[256], *signed_env;
	uint8_t nonce[16];
	size_t n, el;

	status_req(&q, &s);
	n = ward__v1__request__pack(&q, req);
	/* No signature at all. */
	randombytes_buf(nonce, sizeof nonce);
	e.request.data = req;
	e.request.len = n;
	e.timestamp = (uint64_t)time(NULL);
	e.nonce.data = nonce;
	e.nonce.len = 16;
	el = ward__v1__admin_envelope__pack(&e, env);
	refused("admin_request_unsigned", hq_call_raw(A, env, el),
		WR_ADMIN_UNSIGNED);
	/* The bare request, as the broker would send it. */
	refused("admin_request_bare_broker_message", hq_call_raw(A, req, n),
		WR_PROTO_UNKNOWN_FIELD);
	/* Signed by a key that is not the operator's. */
	signed_env = wc_admin_wrap(stranger.sk, req, n, (uint64_t)time(NULL),
				   NULL, &el);
	refused("admin_request_wrong_signature", hq_call_raw(A, signed_env, el),
		WR_ADMIN_SIGNATURE);
	free(signed_env);
	/* The operator's, then the same bytes again. */
	signed_env = wc_admin_wrap(C.op.sk, req, n, (uint64_t)time(NULL), NULL,
				   &el);
	{
		Ward__V1__Reply *r = hq_call_raw(A, signed_env, el);

		if (r == NULL || r->reason != 0 || r->status == NULL)
			fail("admin_request_replayed", "the operator's own request "
			     "was refused: %s", r ? r->detail : "no reply");
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	refused("admin_request_replayed", hq_call_raw(A, signed_env, el),
		WR_ADMIN_REPLAY);
	free(signed_env);
	/* Correctly signed, but an hour old. */
	signed_env = wc_admin_wrap(C.op.sk, req, n, (uint64_t)time(NULL) - 3600,
				   NULL, &el);
	refused("admin_request_stale", hq_call_raw(A, signed_env, el),
		WR_ADMIN_STALE);
	free(signed_env);
	/* A signature over other bytes: the request swapped under it. */
	signed_env = wc_admin_wrap(C.op.sk, req, n, (uint64_t)time(NULL), NULL,
				   &el);
	{
		Ward__V1__AdminEnvelope *d =
			ward__v1__admin_envelope__unpack(NULL, el, signed_env);
		Ward__V1__Checkpoint ck = WARD__V1__CHECKPOINT__INIT;
		uint8_t other[32], out[256];
		size_t on, ol;

		ward__v1__request__init(&q);
		q.body_case = WARD__V1__REQUEST__BODY_CHECKPOINT;
		q.checkpoint = &ck;
		on = ward__v1__request__pack(&q, other);
		d->request.data = other;
		d->request.len = on;
		ol = ward__v1__admin_envelope__pack(d, out);
		d->request.data = NULL;
		d->request.len = 0;
		ward__v1__admin_envelope__free_unpacked(d, NULL);
		refused("admin_request_swapped_under_signature",
			hq_call_raw(A, out, ol), WR_ADMIN_SIGNATURE);
	}
	free(signed_env);
}

static void
t_malformed(void)
{
	struct hblk ch[2];
	uint8_t ctx[16], buf[16384], digest[32];
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[9];
	size_t n;

	opened(&ch[0], &ch[1], ctx, 100);
	memset(digest, 1, sizeof digest);
	hq_chain(&c, slots, ch, 2);
	a.context.data = ctx;
	a.context.len = 16;
	a.chain = &c;
	a.op = WARD_OP_FS_READ;
	a.resource.data = (uint8_t *)"/work/m";
	a.resource.len = 7;
	a.digest.data = digest;
	a.digest.len = 32;
	a.nonce = next_nonce++;
	q.body_case = WARD__V1__REQUEST__BODY_APPROVE;
	q.approve = &a;
	n = ward__v1__request__pack(&q, buf);

	refused("malformed_protobuf", hq_call_raw(B, (const uint8_t *)
		"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01garbage", 18),
		WR_PROTO_MALFORMED);
	refused("truncated_protobuf", hq_call_raw(B, buf, n / 2),
		WR_PROTO_MALFORMED);
	refused("empty_message", hq_call_raw(B, buf, 0), WR_PROTO_MALFORMED);
	/* Unknown field 99 (varint) appended to a valid request. */
	buf[n] = (uint8_t)(99 << 3) & 0xff;
	buf[n] = 0x98;
	buf[n + 1] = 0x06;	/* tag 99, wire type 0 */
	buf[n + 2] = 0x01;
	refused("unknown_field", hq_call_raw(B, buf, n + 3),
		WR_PROTO_UNKNOWN_FIELD);
	/* Oversized: a valid request padded past 8192 bytes with a
	 * length-delimited unknown field. */
	{
		uint8_t big[9000];
		size_t k = 0, pad = 8800;

		big[k++] = 0x9a;	/* tag 99, wire type 2 */
		big[k++] = 0x06;
		big[k++] = (uint8_t)(0x80 | (pad & 0x7f));
		big[k++] = (uint8_t)(pad >> 7);
		memset(big + k, 'A', pad);
		refused("oversized_protobuf", hq_call_raw(B, big, k + pad),
			WR_PROTO_OVERSIZE);
	}
	{
		char res[300];

		memset(res, 'a', sizeof res);
		res[0] = '/';
		a.resource.data = (uint8_t *)res;
		a.resource.len = sizeof res;
		refused("oversized_field_resource", hq_call(B, &q),
			WR_PROTO_OVERSIZE);
		a.resource.data = (uint8_t *)"/work/m";
		a.resource.len = 7;
	}
	{
		/* Non-printable resources (issue 14, attack 5): each is refused
		 * at decoding, before any decision or log text holds it. */
		static const uint8_t bad[] = { 0x00, 0x1b, '\r', '\n', '\t', ' ',
					       0x7f, 0x80, 0xff };
		char name[64];
		uint8_t res[16];
		size_t i;

		for (i = 0; i < sizeof bad; i++) {
			memcpy(res, "/work/m", 7);
			res[7] = bad[i];
			memcpy(res + 8, "[8m", 3);
			a.resource.data = res;
			a.resource.len = 11;
			snprintf(name, sizeof name, "non_printable_resource_0x%02x", bad[i]);
			refused(name, hq_call(B, &q), WARD_E_NONCANONICAL);
		}
		a.resource.data = (uint8_t *)"/work/m";
		a.resource.len = 7;
	}
	{
		struct hblk nine[9];
		int i;

		for (i = 0; i < 9; i++)
			nine[i] = ch[i % 2];
		hq_chain(&c, slots, nine, 9);
		refused("oversized_chain", hq_call(B, &q), WARD_E_CHAIN_TOO_LONG);
		hq_chain(&c, slots, ch, 2);
	}
	{
		ProtobufCBinaryData empty[2] = { { 0, NULL }, { 0, NULL } };

		empty[0] = slots[0];
		c.blocks = empty;
		refused("empty_chain_block", hq_call(B, &q), WARD_E_MALFORMED);
		hq_chain(&c, slots, ch, 2);
	}
	a.op = 4000000000u;	/* would narrow to a valid byte */
	refused("out_of_range_operation", hq_call(B, &q), WARD_E_OP);
	a.op = WARD_OP_FS_READ;
	a.context.len = 15;
	refused("short_context_field", hq_call(B, &q), WR_PROTO_MALFORMED);
	a.context.len = 16;
	q.body_case = WARD__V1__REQUEST__BODY__NOT_SET;
	n = ward__v1__request__pack(&q, buf);
	refused("request_without_body", hq_call_raw(B, buf, n),
		WR_PROTO_MALFORMED);
}

static void
t_scope(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	refused("out_of_scope_resource", hq_approve(B, ctx, ch, 2,
		WARD_OP_FS_READ, "/etc/passwd", next_nonce++),
		WARD_E_OUT_OF_SCOPE);
	refused("dotdot_escape_resource", hq_approve(B, ctx, ch, 2,
		WARD_OP_FS_READ, "/work/../etc/passwd", next_nonce++),
		WARD_E_OUT_OF_SCOPE);
	refused("operation_not_granted", hq_approve(B, ctx, ch, 2,
		WARD_OP_EXEC, "/work/x", next_nonce++), WARD_E_NOT_GRANTED);
}

static void
t_context_lifecycle(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__CloseContext cc = WARD__V1__CLOSE_CONTEXT__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[8];
	struct hblk ch[2];
	uint8_t ctx[16], unknown[16];
	Ward__V1__Reply *r;

	new_ctx(unknown);
	grant(&ch[0], &ch[1], unknown, 100);
	refused("unknown_context", use(unknown, ch, 2), WARD_E_CONTEXT_UNKNOWN);
	opened(&ch[0], &ch[1], ctx, 100);
	hq_chain(&c, slots, ch, 2);
	cc.context.data = ctx;
	cc.context.len = 16;
	cc.chain = &c;
	q.body_case = WARD__V1__REQUEST__BODY_CLOSE_CONTEXT;
	q.close_context = &cc;
	r = hq_call(B, &q);
	if (r == NULL || r->reason != 0)
		fail("use_after_close", "close refused: %s", r ? r->detail : "");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	refused("use_after_close", use(ctx, ch, 2), WARD_E_CONTEXT_UNKNOWN);
	refused("reopen_closed_context", hq_open(B, ch, 1), WR_CONTEXT_REUSED);
}

static void
t_spawn_and_revoke_context(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Attenuate at = WARD__V1__ATTENUATE__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[8];
	struct hblk ch[3];
	uint8_t ctx[16], kid[16];
	Ward__V1__Reply *r;

	opened(&ch[0], &ch[1], ctx, 100);
	/* spawn_child: a narrower child bound to a fresh context. */
	new_ctx(kid);
	hf_child(&ch[2], &ch[1], agent.pk);
	memcpy(ch[2].b.context, kid, 16);
	memcpy(ch[2].b.scope, "/work/kid", 9);
	ch[2].b.scope_len = 9;
	ch[2].b.max_uses = 10;
	hf_seal(&ch[2], agent2.sk);
	/* Without the delegate right on the parent: refused. */
	hq_chain(&c, slots, ch, 2);
	at.chain = &c;
	at.child.data = ch[2].raw;
	at.child.len = ch[2].len;
	at.open_child_context = 1;
	q.body_case = WARD__V1__REQUEST__BODY_ATTENUATE;
	q.attenuate = &at;
	r = hq_call(B, &q);
	if (r == NULL || r->reason != 0) {
		fail("spawn_child_context", "spawn refused: %s",
		     r ? r->detail : "no reply");
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		return;
	}
	ward__v1__reply__free_unpacked(r, NULL);
	if (!approved("spawn_child_context", hq_approve(B, kid, ch, 3,
		WARD_OP_FS_READ, "/work/kid/f", next_nonce++), 1))
		return;
	pass("spawn_child_context");
	/* The child cannot widen on the way in either. */
	{
		struct hblk w = ch[2];

		memcpy(w.b.scope, "/work", 5);
		w.b.scope_len = 5;
		w.b.max_uses = 1000;
		memcpy(w.b.context, kid, 16);
		w.b.context[0] ^= 1;
		hf_seal(&w, agent2.sk);
		at.child.data = w.raw;
		at.child.len = w.len;
		refused("spawn_with_widened_uses", hq_call(B, &q),
			WARD_E_USES_WIDENED);
	}
	/* Revoke the parent's whole context: the child context goes too. */
	rv.chain = &c;
	rv.whole_context = 1;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	r = hq_call(B, &q);
	if (r == NULL || r->reason != 0)
		fail("revoke_context_cascades", "revoke refused: %s",
		     r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	refused("revoke_context_cascades", hq_approve(B, kid, ch, 3,
		WARD_OP_FS_READ, "/work/kid/g", next_nonce++),
		WARD_E_CONTEXT_UNKNOWN);
}

/* A client that opens a connection, sends half a message and stalls must
 * not delay anyone else. */
static void
t_no_stall(void)
{
	struct sockaddr_un sa;
	uint8_t hdr[8] = { 0, 'S', 'P', 0, 0, 49, 0, 0 };	/* NN_REQ = 48 */
	uint8_t part[9 + 10] = { 1, 0, 0, 0, 0, 0, 0, 0x10, 0 };
	Ward__V1__Request q;
	Ward__V1__Status s;
	Ward__V1__Reply *r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	hdr[5] = 48;	/* the REQ protocol id, talking to a REP */
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(C.broker + 6) >= sizeof sa.sun_path)
		hf_die("socket path too long");
	memcpy(sa.sun_path, C.broker + 6, strlen(C.broker + 6) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr ||
	    write(fd, part, sizeof part) != (ssize_t)sizeof part) {
		fail("stalled_client_does_not_block_others", "cannot connect "
		     "the stalling client");
		return;
	}
	r = hq_call(B, status_req(&q, &s));
	if (r == NULL || r->reason != 0 || r->status == NULL)
		fail("stalled_client_does_not_block_others", "no answer while "
		     "another client stalls mid-message");
	else
		pass("stalled_client_does_not_block_others");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	close(fd);
}

static void
t_log_event(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__LogEvent le = WARD__V1__LOG_EVENT__INIT;
	struct hblk ch[2];
	uint8_t ctx[16], other[16];

	opened(&ch[0], &ch[1], ctx, 100);
	new_ctx(other);
	le.context.data = other;
	le.context.len = 16;
	le.text.data = (uint8_t *)"agent says hi";
	le.text.len = 13;
	q.body_case = WARD__V1__REQUEST__BODY_LOG_EVENT;
	q.log_event = &le;
	refused("log_into_unknown_context", hq_call(B, &q),
		WARD_E_CONTEXT_UNKNOWN);
	le.text.data = (uint8_t *)"bad\nline";
	le.text.len = 8;
	le.context.data = ctx;
	refused("log_with_control_bytes", hq_call(B, &q), WR_PROTO_MALFORMED);
}

/* What the operator can do on the admin socket, and only there. */
static void
t_admin_powers(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__TrustKey tk = WARD__V1__TRUST_KEY__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	struct hkey op2;
	struct hblk ch[2];
	uint8_t ctx[16];
	Ward__V1__Reply *r;

	/* A second operator key, trusted by the operator. */
	hf_random_key(&op2);
	tk.key.data = op2.pk;
	tk.key.len = 32;
	q.body_case = WARD__V1__REQUEST__BODY_TRUST_KEY;
	q.trust_key = &tk;
	r = hq_admin(A, &C.op, &q);
	if (r == NULL || r->reason != 0)
		fail("admin_trust_key", "refused: %s", r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	new_ctx(ctx);
	hf_block(&ch[0].b, op2.pk, agent.pk, ctx, now, 100);
	hf_seal(&ch[0], op2.sk);
	r = hq_open(B, ch, 1);
	if (r == NULL || r->reason != 0)
		fail("admin_trust_key", "a grant of the newly trusted key was "
		     "refused: %s", r ? r->detail : "no reply");
	else
		pass("admin_trust_key");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	/* Revoke that grant by bare id, as the operator. */
	rv.block_id.data = ch[0].id;
	rv.block_id.len = 32;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	r = hq_admin(A, &C.op, &q);
	if (r == NULL || r->reason != 0)
		fail("admin_revoke_by_id", "refused: %s", r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	refused("admin_revoke_by_id", use(ctx, ch, 1), WARD_E_REVOKED);
}

/* ListContexts, the operator's view of the core's contexts (what ward
 * revoke and ward status use instead of the broker's word). */
static Ward__V1__Reply *
list_req(int sock, const uint8_t *ctx, const uint8_t *block_id)
{
	return hq_list(sock, sock == A ? &C.op : NULL, ctx, block_id);
}

/* The entry says ctx is open (or closed), spawned from parent (NULL: from
 * an operator's grant), opened from grant, grant revoked or not. */
static int
entry_is(const Ward__V1__ContextInfo *e, int open, const uint8_t *parent,
	 const uint8_t *grant_id, int revoked)
{
	return e != NULL && (e->open != 0) == open &&
	       (parent == NULL ? e->parent.len == 0 :
		e->parent.len == 16 && memcmp(e->parent.data, parent, 16) == 0) &&
	       e->grant.len == 32 && memcmp(e->grant.data, grant_id, 32) == 0 &&
	       (e->grant_revoked != 0) == revoked;
}

static void
t_list_contexts(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Attenuate at = WARD__V1__ATTENUATE__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[8];
	struct hblk ch[3];
	uint8_t ctx[16], kid[16], other[16], unknown_id[32];
	Ward__V1__Reply *r;
	int ok;

	/* A compromised broker learns nothing from it. */
	refused("list_contexts_is_admin_only", list_req(B, NULL, NULL),
		WR_ADMIN_ONLY);
	opened(&ch[0], &ch[1], ctx, 100);
	new_ctx(kid);
	hf_child(&ch[2], &ch[1], agent.pk);
	memcpy(ch[2].b.context, kid, 16);
	hf_seal(&ch[2], agent2.sk);
	hq_chain(&c, slots, ch, 2);
	at.chain = &c;
	at.child.data = ch[2].raw;
	at.child.len = ch[2].len;
	at.open_child_context = 1;
	q.body_case = WARD__V1__REQUEST__BODY_ATTENUATE;
	q.attenuate = &at;
	r = hq_call(B, &q);
	ok = r != NULL && r->reason == 0;
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	if (!ok) {
		fail("list_contexts_names_open_contexts_parents_and_grants",
		     "could not spawn a child context");
		return;
	}
	r = list_req(A, NULL, NULL);
	if (r == NULL || r->reason != 0 ||
	    !entry_is(hq_listed(r, ctx), 1, NULL, ch[0].id, 0) ||
	    !entry_is(hq_listed(r, kid), 1, ctx, ch[2].id, 0))
		fail("list_contexts_names_open_contexts_parents_and_grants",
		     "%s", r == NULL ? "no reply" : r->reason != 0 ? r->detail :
		     "the open context or its child is missing or wrong");
	else
		pass("list_contexts_names_open_contexts_parents_and_grants");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	/* The operator revokes the parent: the core then lists both closed
	 * and the parent's grant revoked, and means it. */
	rv.context.data = ctx;
	rv.context.len = 16;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	r = hq_admin(A, &C.op, &q);
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	r = list_req(A, ctx, ch[0].id);
	new_ctx(other);
	randombytes_buf(unknown_id, sizeof unknown_id);
	if (r == NULL || r->reason != 0 || r->n_contexts != 2 ||
	    !entry_is(hq_listed(r, ctx), 0, NULL, ch[0].id, 1) ||
	    !entry_is(hq_listed(r, kid), 0, ctx, ch[2].id, 0) || !r->block_revoked)
		fail("list_contexts_after_revoke_shows_closed_and_revoked", "%s",
		     r == NULL ? "no reply" : r->reason != 0 ? r->detail :
		     "the revoked session is not listed closed with its grant "
		     "revoked");
	else if (approved("list_contexts_after_revoke_shows_closed_and_revoked",
			  hq_approve(B, kid, ch, 3, WARD_OP_FS_READ,
				     "/work/a.txt", next_nonce++), 0))
		fail("list_contexts_after_revoke_shows_closed_and_revoked",
		     "listed closed, yet the child still gets approvals");
	else
		pass("list_contexts_after_revoke_shows_closed_and_revoked");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	/* A context or block the core never saw is not invented. */
	r = list_req(A, other, unknown_id);
	if (r == NULL || r->reason != 0 || r->n_contexts != 0 || r->block_revoked)
		fail("list_contexts_knows_no_unknown_context", "%s",
		     r == NULL ? "no reply" : "an unknown context or block is "
		     "listed or revoked");
	else
		pass("list_contexts_knows_no_unknown_context");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
}

/* Replay windows survive a crash: they are rebuilt from the log. */
static void
t_replay_after_crash(void)
{
	Ward__V1__Request q;
	Ward__V1__Status s;
	struct hblk ch[2];
	uint8_t ctx[16], req[32], *env;
	size_t n, el;
	Ward__V1__Reply *r;

	opened(&ch[0], &ch[1], ctx, 100);
	if (!approved("replayed_approval_after_crash", hq_approve(B, ctx, ch, 2,
		WARD_OP_FS_READ, "/work/once", 4242), 1))
		return;
	status_req(&q, &s);
	n = ward__v1__request__pack(&q, req);
	env = wc_admin_wrap(C.op.sk, req, n, (uint64_t)time(NULL), NULL, &el);
	r = hq_call_raw(A, env, el);
	if (r == NULL || r->reason != 0)
		fail("admin_request_replayed_after_crash", "refused the first "
		     "time: %s", r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	restart_core();
	refused("replayed_approval_after_crash", hq_approve(B, ctx, ch, 2,
		WARD_OP_FS_READ, "/work/once", 4242), WARD_E_REPLAY);
	refused("admin_request_replayed_after_crash", hq_call_raw(A, env, el),
		WR_ADMIN_REPLAY);
	free(env);
}

/* ---- authority rules of the process (outside the proved library) ------------
 *
 * Each rule below is applied by server.c itself, not by the verified core,
 * so no proof covers it: these tests do.  Every refusal is checked as
 * above (reason, and a BLOCKED record on disk), and after each refusal the
 * state it protects is checked too (the context still open, the block
 * still valid). */

/* refused(), as one step of a test: no PASS line. */
static int
step_refused(const char *name, Ward__V1__Reply *r, unsigned reason)
{
	int ok;

	hush = 1;
	ok = refused(name, r, reason);
	hush = 0;
	return ok;
}

/* A reply that must be a success; reports under name if not. */
static int
ok_reply(const char *name, Ward__V1__Reply *r)
{
	int ok = r != NULL && r->reason == 0;

	if (!ok)
		fail(name, "expected success, got %s (%s)",
		     r ? wn_reason((unsigned)r->reason) : "no reply",
		     r ? r->detail : "");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	return ok;
}

static Ward__V1__Reply *
close_req(int s, const uint8_t *ctx, const struct hblk *chain, uint32_t n)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__CloseContext cc = WARD__V1__CLOSE_CONTEXT__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	cc.context.data = (uint8_t *)ctx;
	cc.context.len = 16;
	if (chain != NULL) {
		hq_chain(&c, slots, chain, n);
		cc.chain = &c;
	}
	q.body_case = WARD__V1__REQUEST__BODY_CLOSE_CONTEXT;
	q.close_context = &cc;
	return s == A ? hq_admin(A, &C.op, &q) : hq_call(s, &q);
}

static Ward__V1__Reply *
revoke_req(int s, const struct hblk *chain, uint32_t n, uint32_t target,
	   int whole, const uint8_t *ctx)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	if (chain != NULL) {
		hq_chain(&c, slots, chain, n);
		rv.chain = &c;
	}
	if (ctx != NULL) {
		rv.context.data = (uint8_t *)ctx;
		rv.context.len = 16;
	}
	rv.target = target;
	rv.whole_context = whole;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	return s == A ? hq_admin(A, &C.op, &q) : hq_call(s, &q);
}

static Ward__V1__Reply *
attenuate_req(const struct hblk *chain, uint32_t n, const struct hblk *child,
	      int spawn)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Attenuate at = WARD__V1__ATTENUATE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	hq_chain(&c, slots, chain, n);
	at.chain = &c;
	at.child.data = (uint8_t *)child->raw;
	at.child.len = child->len;
	at.open_child_context = spawn;
	q.body_case = WARD__V1__REQUEST__BODY_ATTENUATE;
	q.attenuate = &at;
	return hq_call(B, &q);
}

/* A child of the leaf chain[n - 1], held by agent, bound to ctx, signed by
 * the leaf's holder (agent2). */
static void
child_in(struct hblk *kid, const struct hblk *leaf, const uint8_t *ctx)
{
	hf_child(kid, leaf, agent.pk);
	memcpy(kid->b.context, ctx, 16);
	memcpy(kid->b.scope, "/work/kid", 9);
	kid->b.scope_len = 9;
	kid->b.max_uses = 10;
	hf_seal(kid, agent2.sk);
}

/* The context still answers approvals under chain: the refused request
 * changed nothing. */
static int
still_usable(const char *name, const uint8_t *ctx, const struct hblk *ch,
	     uint32_t n)
{
	if (approved(name, use(ctx, ch, n), 0))
		return 1;
	fail(name, "refused, yet the context (or block) it aimed at no longer "
	     "approves");
	return 0;
}

/* The last step of a test passed: its one PASS line. */
static void
passed_if(const char *name, int ok)
{
	if (ok)
		pass(name);
}

/* Admin timestamps: at most WIRE_ADMIN_WINDOW seconds from the core's
 * clock, in either direction. */
static void
t_admin_time(void)
{
	static const struct { const char *name; int64_t off; int ok; } c[] = {
		{ "admin_request_from_the_future", 3600, 0 },
		{ "admin_request_past_the_skew_ahead", WIRE_ADMIN_WINDOW + 30, 0 },
		{ "admin_request_past_the_skew_behind",
		  -(int64_t)WIRE_ADMIN_WINDOW - 30, 0 },
		{ "admin_request_within_the_skew_ahead", WIRE_ADMIN_WINDOW / 2, 1 },
		{ "admin_request_within_the_skew_behind",
		  -(int64_t)WIRE_ADMIN_WINDOW / 2, 1 },
	};
	Ward__V1__Request q;
	Ward__V1__Status s;
	uint8_t req[32], *env;
	size_t n, el, i;

	status_req(&q, &s);
	n = ward__v1__request__pack(&q, req);
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint64_t ts = (uint64_t)((int64_t)time(NULL) + c[i].off);

		env = wc_admin_wrap(C.op.sk, req, n, ts, NULL, &el);
		if (c[i].ok) {
			Ward__V1__Reply *r = hq_call_raw(A, env, el);

			if (r != NULL && r->reason == 0 && r->status != NULL)
				pass(c[i].name);
			else
				fail(c[i].name, "refused within the skew: %s",
				     r ? r->detail : "no reply");
			if (r)
				ward__v1__reply__free_unpacked(r, NULL);
		} else {
			refused(c[i].name, hq_call_raw(A, env, el), WR_ADMIN_STALE);
		}
		free(env);
	}
	/* The end of time: timestamp + window wraps around. */
	env = wc_admin_wrap(C.op.sk, req, n, UINT64_MAX, NULL, &el);
	refused("admin_request_timestamp_wraps", hq_call_raw(A, env, el),
		WR_ADMIN_STALE);
	free(env);
}

/* The signature memo, seen from a broker: a forged signature on a body
 * never verified before is refused however often it is sent. */
static void
t_forged_twice(void)
{
	struct hblk ch[2];
	uint8_t ctx[16];

	opened(&ch[0], &ch[1], ctx, 100);
	ch[1].raw[ch[1].len - 9] ^= 0x40;
	if (step_refused("forged_signature_presented_twice", use(ctx, ch, 2),
			 WARD_E_SIGNATURE))
		refused("forged_signature_presented_twice", use(ctx, ch, 2),
			WARD_E_SIGNATURE);
}

/* Close a context only with authority over it: a chain that verifies and
 * whose leaf is bound to it (or as the operator). */
static void
t_close_authority(void)
{
	struct hblk a[2], b[2], forged;
	uint8_t ca[16], cb[16];

	opened(&a[0], &a[1], ca, 100);
	opened(&b[0], &b[1], cb, 100);
	passed_if("close_by_bare_context_id_on_broker_socket",
		  step_refused("close_by_bare_context_id_on_broker_socket",
			       close_req(B, cb, NULL, 0), WR_ADMIN_ONLY) &&
		  still_usable("close_by_bare_context_id_on_broker_socket", cb,
			       b, 2));
	/* A's own, valid chain, presented to close B. */
	passed_if("close_other_context_with_own_chain",
		  step_refused("close_other_context_with_own_chain",
			       close_req(B, cb, a, 2), WARD_E_CONTEXT) &&
		  still_usable("close_other_context_with_own_chain", cb, b, 2));
	/* A chain bound to B that does not verify: a root claiming the
	 * operator, signed by a stranger. */
	forged = b[0];
	forged.b.max_uses = 99;
	hf_seal(&forged, stranger.sk);
	passed_if("close_with_chain_that_does_not_verify",
		  step_refused("close_with_chain_that_does_not_verify",
			       close_req(B, cb, &forged, 1), WARD_E_SIGNATURE) &&
		  still_usable("close_with_chain_that_does_not_verify", cb, b, 2));
	/* With authority: closed, once. */
	if (ok_reply("close_closed_context_again", close_req(B, cb, b, 2)))
		refused("close_closed_context_again", close_req(B, cb, b, 2),
			WR_CONTEXT_CLOSED);
	/* The operator may close by bare id. */
	if (ok_reply("admin_close_by_bare_context_id", close_req(A, ca, NULL, 0)))
		refused("admin_close_by_bare_context_id", use(ca, a, 2),
			WARD_E_CONTEXT_UNKNOWN);
}

/* Attenuate and spawn only from an open context; a spawn opens only a
 * fresh context id; a plain delegation stays in its context. */
/* Ground ids (issue 14, attack 3): a broker holding one delegable grant
 * makes children whose ids fall, by the id bytes alone, in the bucket of
 * another session's grant, revokes them, and so fills that bucket of the
 * revocation set.  The operator's revocation of that grant must still
 * work, and the grant must be refused afterwards: buckets come from a
 * keyed hash nobody outside the core can aim at, and a revocation that
 * cannot be stored fails closed. */
static void
t_ground_ids(void)
{
	struct hblk a[2], t[2], kid;
	uint8_t ca[16], ct[16];
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Reply *r;
	uint32_t want, made = 0, tries = 0, full = 0;

	opened(&t[0], &t[1], ct, 100);		/* the victim session */
	opened(&a[0], &a[1], ca, 100);		/* the attacker's grant */
	/* Where the id bytes alone would put the victim's grant. */
	want = ((uint32_t)t[0].id[0] + 256u * t[0].id[1]) % WARD_BUCKETS;
	hf_child(&kid, &a[0], agent2.pk);
	while (made < 2 * WARD_REVOKE_WAYS && !full && tries < 200000) {
		randombytes_buf(kid.b.holder, WARD_KEY_BYTES);	/* another id */
		tries++;
		hf_seal(&kid, agent.sk);
		if (((uint32_t)kid.id[0] + 256u * kid.id[1]) % WARD_BUCKETS != want)
			continue;
		r = revoke_req(B, (struct hblk[]){ a[0], kid }, 2, 1, 0, NULL);
		if (r != NULL && r->reason == 0)
			made++;
		else if (r != NULL && (unsigned)r->reason == WARD_E_REVOKE_FULL)
			full = 1;
		if (r != NULL)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	if (made < 2 * WARD_REVOKE_WAYS && !full) {
		fail("ground_ids_cannot_block_revocation", "the grinding did not "
		     "run: %u revoked, %u tries", made, tries);
		return;
	}
	/* The operator revokes the victim's grant by id. */
	rv.block_id.data = t[0].id;
	rv.block_id.len = 32;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	r = hq_admin(A, &C.op, &q);
	if (r == NULL || r->reason != 0) {
		fail("ground_ids_cannot_block_revocation", "the operator's revocation "
		     "of the grant was refused after %u ground revocations: %s", made,
		     r ? r->detail : "no reply");
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	} else {
		ward__v1__reply__free_unpacked(r, NULL);
		refused("ground_ids_cannot_block_revocation", use(ct, t, 2),
			WARD_E_REVOKED);
	}

	/* The ledger: children with no use at all cost the attacker nothing,
	 * and each request under one registers it in the ledger (the request
	 * is refused, uses_exhausted), in the bucket its id bytes name: that
	 * of a fresh session's grant.  That session must still be served. */
	{
		struct hblk v[2];
		uint8_t cv[16];

		opened(&v[0], &v[1], cv, 100);
		want = ((uint32_t)v[0].id[0] + 256u * v[0].id[1]) % WARD_BUCKETS;
		hf_child(&kid, &a[0], agent2.pk);
		kid.b.max_uses = 0;
		for (made = 0, tries = 0; made < 2 * WARD_LEDGER_WAYS && tries < 200000;) {
			randombytes_buf(kid.b.holder, WARD_KEY_BYTES);
			tries++;
			hf_seal(&kid, agent.sk);
			if (((uint32_t)kid.id[0] + 256u * kid.id[1]) % WARD_BUCKETS != want)
				continue;
			r = use(ca, (struct hblk[]){ a[0], kid }, 2);
			if (r != NULL && (unsigned)r->reason == WARD_E_USES_EXHAUSTED)
				made++;
			else
				tries = 200000;	/* anything else: stop grinding */
			if (r != NULL)
				ward__v1__reply__free_unpacked(r, NULL);
		}
		r = use(cv, v, 2);
		if (r != NULL && r->reason == 0)
			pass("ground_ids_cannot_fill_a_ledger_bucket");
		else
			fail("ground_ids_cannot_fill_a_ledger_bucket", "after %u ground "
			     "requests, a fresh session's first request got %s", made,
			     r ? wn_reason((unsigned)r->reason) : "no reply");
		if (r != NULL)
			ward__v1__reply__free_unpacked(r, NULL);
	}
}

/* How many of n random block ids the core counts as revoked (ListContexts
 * with a block id: read-only, no record). */
static uint32_t
revoked_among(uint32_t n)
{
	uint8_t id[WARD_ID_BYTES];
	uint32_t i, hit = 0;
	Ward__V1__Reply *r;

	for (i = 0; i < n; i++) {
		randombytes_buf(id, sizeof id);
		r = hq_list(A, &C.op, NULL, id);
		if (r == NULL || r->reason != 0)
			hf_die("ListContexts with a block id was refused");
		hit += r->block_revoked != 0;
		ward__v1__reply__free_unpacked(r, NULL);
	}
	return hit;
}

/* Floods of revocations: revoking costs the broker no use, and the
 * revocation set is shared by every session, so the ids of one session's
 * revocations, spread by the keyed hash, would overflow buckets and
 * poison them for every session's grants (fail closed, revoke.h).  A
 * session stores at most REV_TREE_MAX (64) single-block revocations; past
 * that it is refused (revoke_quota), can still revoke its context whole,
 * and no other session's id is refused.  After a restart the count is the
 * same (recounted from the log), and once the context is closed its
 * revocations are forgotten at the next start (nothing bound to a closed
 * context can be used again). */
/* The i-th child of leaf made by the flood below: the holder's bytes name
 * it, so each is another id. */
static void
flood_kid(struct hblk *kid, const struct hblk *leaf, uint32_t i)
{
	hf_child(kid, leaf, agent.pk);
	ward_put_be32(kid->b.holder, i);
	hf_seal(kid, agent2.sk);
}

static void
t_revocation_flood(void)
{
	struct hblk a[2], c[2], d[2], kid, v[2];
	uint8_t ca[16], cc[16], cd[16], cv[16];
	uint32_t stored = 0, refusals = 0, i, hit;
	unsigned last = 0;
	Ward__V1__Reply *r;

	opened(&a[0], &a[1], ca, 100);
	/* Up to 9,000 (past the set's 8,192 ids); without a bound that
	 * poisons about half of the 1,024 buckets.  With one, the loop ends
	 * after 50 refusals in a row. */
	for (i = 0; i < 9000 && refusals < 50; i++) {
		flood_kid(&kid, &a[1], i);
		r = revoke_req(B, (struct hblk[]){ a[0], a[1], kid }, 3, 2, 0,
			       NULL);
		if (r == NULL)
			hf_die("the core stopped answering revocations");
		if (r->reason == 0) {
			stored++;
			refusals = 0;
		} else {
			refusals++;
			last = (unsigned)r->reason;
		}
		ward__v1__reply__free_unpacked(r, NULL);
	}
	if (stored == 64 && last == WR_REVOKE_QUOTA)
		pass("revoke_quota_per_session");
	else
		fail("revoke_quota_per_session", "%u revocations stored by one "
		     "session (want 64), then %s", stored,
		     last ? wn_reason(last) : "no refusal");
	hit = revoked_among(2048);
	if (hit == 0)
		pass("revocation_flood_cannot_refuse_other_sessions");
	else
		fail("revocation_flood_cannot_refuse_other_sessions", "after %u "
		     "revocations by one session, %u of 2048 random ids count "
		     "as revoked (poisoned buckets)", stored, hit);
	opened(&v[0], &v[1], cv, 10);
	approved("revocation_flood_other_session_served", use(cv, v, 2), 1);

	/* The bound holds across a restart: recounted from the log. */
	restart_core();
	flood_kid(&kid, &a[1], 100000);
	refused("revoke_quota_survives_restart",
		revoke_req(B, (struct hblk[]){ a[0], a[1], kid }, 3, 2, 0, NULL),
		WR_REVOKE_QUOTA);
	/* A revocation stored before it still holds. */
	flood_kid(&kid, &a[1], 0);
	refused("revoked_before_restart_still_refused",
		use(ca, (struct hblk[]){ a[0], a[1], kid }, 3), WARD_E_REVOKED);
	/* The session can always revoke its context as a whole. */
	if (ok_reply("revoke_whole_context_past_quota",
		     revoke_req(B, a, 2, 0, 1, NULL)))
		refused("revoke_whole_context_past_quota", use(ca, a, 2),
			WARD_E_CONTEXT_UNKNOWN);
	/* A block bound to a closed context: refused, nothing to store. */
	opened(&c[0], &c[1], cc, 10);
	if (ok_reply("revoke_under_closed_context", close_req(A, cc, NULL, 0))) {
		flood_kid(&kid, &c[1], 1);
		refused("revoke_under_closed_context",
			revoke_req(B, (struct hblk[]){ c[0], c[1], kid }, 3, 2,
				   0, NULL), WR_CONTEXT_CLOSED);
	}
	/* A block bound to a context this core never opened (an operator
	 * grant not opened yet): refused, the operator revokes it by id. */
	{
		struct hblk g;
		uint8_t cg[16];

		new_ctx(cg);
		grant(&g, NULL, cg, 10);
		refused("revoke_under_unknown_context",
			revoke_req(B, &g, 1, 0, 0, NULL), WARD_E_CONTEXT_UNKNOWN);
	}
	/* The operator revokes a session: that is kept. */
	opened(&d[0], &d[1], cd, 10);
	ok_reply("operator_session_revocation_kept",
		 revoke_req(A, NULL, 0, 0, 0, cd));
	/* Forgotten at the next start: the ids no longer count as revoked,
	 * and the chains are refused all the same, their context being
	 * closed. */
	restart_core();
	flood_kid(&kid, &a[1], 0);
	r = hq_list(A, &C.op, NULL, kid.id);
	if (r != NULL && r->reason == 0 && !r->block_revoked)
		pass("revocations_of_closed_context_forgotten_at_start");
	else
		fail("revocations_of_closed_context_forgotten_at_start", "%s",
		     r == NULL ? "no reply" : r->reason ? r->detail :
		     "the block still counts as revoked");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	refused("forgotten_revocation_still_refused",
		use(ca, (struct hblk[]){ a[0], a[1], kid }, 3),
		WARD_E_CONTEXT_UNKNOWN);
	refused("forgotten_grant_revocation_still_refused", use(ca, a, 2),
		WARD_E_CONTEXT_UNKNOWN);
	refused("forgotten_grant_cannot_reopen", hq_open(B, a, 1),
		WR_CONTEXT_REUSED);
	r = hq_list(A, &C.op, cd, NULL);
	if (r != NULL && r->reason == 0 && hq_listed(r, cd) != NULL &&
	    !hq_listed(r, cd)->open && hq_listed(r, cd)->grant_revoked)
		pass("operator_session_revocation_kept");
	else
		fail("operator_session_revocation_kept", "after a restart the "
		     "operator's revocation of a session %s",
		     r == NULL ? "(no reply)" : "is not shown");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
}

/* The close records of one close_tree, found in the log (torn_scan). */
struct torn {
	const uint8_t *root;		/* the context closed */
	const uint8_t (*kids)[16];
	uint32_t nkids;
	size_t root_end;		/* offset after the root's close record */
	uint64_t kid_after;		/* kids whose close record follows it */
};

static int
torn_scan(const struct jr_rec *rr, void *arg)
{
	struct torn *t = arg;
	const uint8_t *p = rr->rec;
	uint32_t k;

	if (rr->len < JR_EV_TEXT || p[0] != JR_EVENT ||
	    p[JR_EV_KIND] != JK_CLOSE || p[JR_EV_VERDICT] != JV_ALLOWED)
		return 0;
	if (memcmp(p + JR_EV_CTX, t->root, 16) == 0) {
		t->root_end = rr->off + JR_FRAME_OVER + rr->len;
		t->kid_after = 0;
		return 0;
	}
	for (k = 0; k < t->nkids; k++)
		if (t->root_end != 0 && memcmp(p + JR_EV_CTX, t->kids[k], 16) == 0)
			t->kid_after |= 1ull << k;
	return 0;
}

/* A crash in the middle of a close: close_tree logs one close record per
 * context, in table order, so the log can end with a session closed and
 * some of its children still open.  Then a restart forgets the
 * revocations and reservations of blocks bound to the session (closed),
 * yet those blocks are still usable through an open child (a chain may
 * hold blocks of the request's context's ancestors).  The start must
 * finish the close first.  Made by cutting the log right after the
 * session's close record, which is exactly what a crash there leaves (the
 * checkpoint file covers only the start before). */
static void
t_torn_close(void)
{
	struct hblk s[2], kid[6][3];
	uint8_t cs[16], kc[6][16];
	struct torn t;
	struct jr_result res;
	uint32_t j, attempt, closed = 0, open_after = 0;
	int ok_list = 1, ok_use = 1;
	Ward__V1__Reply *r;

	for (attempt = 0; attempt < 12; attempt++) {
		/* A fresh checkpoint file, far from the next one. */
		restart_core();
		opened(&s[0], &s[1], cs, 100);
		for (j = 0; j < 6; j++) {
			new_ctx(kc[j]);
			kid[j][0] = s[0];
			kid[j][1] = s[1];
			hf_child(&kid[j][2], &s[1], agent.pk);
			memcpy(kid[j][2].b.context, kc[j], 16);
			/* More than a reservation (WARD_RESERVE_STEP): the
			 * kill -9 wastes what was reserved, not all of it. */
			kid[j][2].b.max_uses = 100;
			hf_seal(&kid[j][2], agent2.sk);
			if (!ok_reply("torn_close_setup",
				      attenuate_req(s, 2, &kid[j][2], 1)) ||
			    !approved("torn_close_setup", use(kc[j], kid[j], 3),
				      1))
				return;
		}
		/* The session's child block, bound to the session, revoked
		 * by the broker: a record bound to the session. */
		if (!ok_reply("torn_close_setup", revoke_req(B, s, 2, 1, 0, NULL)))
			return;
		if (!ok_reply("torn_close_setup", close_req(A, cs, NULL, 0)))
			return;
		hc_stop(&C, SIGKILL);
		memset(&t, 0, sizeof t);
		t.root = cs;
		t.kids = (const uint8_t (*)[16])kc;
		t.nkids = 6;
		if (jr_scan(C.log, C.core_pk, torn_scan, &t, &res) != 0 ||
		    !res.ok || t.root_end == 0)
			hf_die("cannot read the log for the torn close");
		if (t.kid_after != 0)
			break;
		/* The session's record came last: nothing to cut this time. */
		if (hc_start(&C) != 0)
			hf_die("ward-core did not restart after kill -9");
	}
	if (t.kid_after == 0) {
		fail("torn_close_finished_at_start", "in 12 tries the session's "
		     "close record was always the last of its close");
		return;
	}
	if (truncate(C.log, (off_t)t.root_end) != 0)
		hf_die("truncate the log");
	if (hc_start(&C) != 0)
		hf_die("ward-core did not start on a log cut after a close record");
	for (j = 0; j < 6; j++) {
		const Ward__V1__ContextInfo *e;

		if (!(t.kid_after & (1ull << j)))
			continue;
		open_after++;
		r = hq_list(A, &C.op, kc[j], NULL);
		e = hq_listed(r, kc[j]);
		if (e != NULL && !e->open)
			closed++;
		else
			ok_list = 0;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
		/* Usable before the crash (above); its context closed now,
		 * and its chain holds the session's revoked block. */
		if (!step_refused("torn_close_revocation_still_holds",
				  use(kc[j], kid[j], 3), WARD_E_CONTEXT_UNKNOWN))
			ok_use = 0;
	}
	if (ok_list)
		pass("torn_close_finished_at_start");
	else
		fail("torn_close_finished_at_start", "%u of %u children left open "
		     "by a crash in their session's close are still open after "
		     "the restart", open_after - closed, open_after);
	if (ok_use)
		pass("torn_close_revocation_still_holds");
	else
		fail("torn_close_revocation_still_holds", "a child left open by a "
		     "crash in its session's close was not refused as "
		     "context_unknown after the restart, with a chain holding "
		     "a block its broker had revoked");
}

/* The operator's revocations go through the admin socket, chain or not:
 * no quota, and kept for ever (journal.h), though they name the context
 * of the block. */
static void
t_operator_chain_revoke(void)
{
	struct hblk e[2], kid;
	uint8_t ce[16];
	uint32_t i, ok = 0;
	Ward__V1__Reply *r;

	opened(&e[0], &e[1], ce, 100);
	for (i = 0; i < 70; i++) {
		flood_kid(&kid, &e[1], 500 + i);
		r = revoke_req(A, (struct hblk[]){ e[0], e[1], kid }, 3, 2, 0,
			       NULL);
		ok += r != NULL && r->reason == 0;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	if (ok == 70)
		pass("operator_chain_revocations_not_limited");
	else
		fail("operator_chain_revocations_not_limited", "the operator "
		     "revoked %u of 70 blocks of one session by chain", ok);
	if (!ok_reply("operator_chain_revocation_kept",
		      close_req(A, ce, NULL, 0)))
		return;
	restart_core();
	flood_kid(&kid, &e[1], 500);
	r = hq_list(A, &C.op, NULL, kid.id);
	if (r != NULL && r->reason == 0 && r->block_revoked)
		pass("operator_chain_revocation_kept");
	else
		fail("operator_chain_revocation_kept", "%s", r == NULL ?
		     "no reply" : r->reason ? r->detail : "after a restart, a "
		     "block the operator revoked by chain no longer counts as "
		     "revoked once its context is closed");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
}

/* Floods of the use ledger: every block used gets an entry in the ledger
 * that every session shares, and a full bucket refuses every new block of
 * it (ledger_full).  A child with no use costs its maker nothing. */
static void
t_ledger_flood(void)
{
	struct hblk a[2], kid, v[2];
	uint8_t ca[16], cv[16];
	uint32_t i, served = 0, tried = 0, full = 0;
	Ward__V1__Reply *r;

	opened(&a[0], &a[1], ca, 100);
	for (i = 0; i < 9000; i++) {
		flood_kid(&kid, &a[1], i);
		kid.b.max_uses = 0;
		hf_seal(&kid, agent2.sk);
		r = use(ca, (struct hblk[]){ a[0], a[1], kid }, 3);
		if (r == NULL)
			hf_die("the core stopped answering");
		if ((unsigned)r->reason == WARD_E_LEDGER_FULL)
			full++;
		ward__v1__reply__free_unpacked(r, NULL);
	}
	for (i = 0; i < 64; i++) {
		opened(&v[0], &v[1], cv, 10);
		r = use(cv, v, 2);
		tried++;
		served += r != NULL && r->reason == 0;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	if (served == tried)
		pass("ledger_flood_cannot_refuse_other_sessions");
	else
		fail("ledger_flood_cannot_refuse_other_sessions", "after 9000 "
		     "zero-use children used by one session (%u refused "
		     "ledger_full), %u of %u fresh sessions were served", full,
		     served, tried);
}

/* From the core's Status: the ids in its revocation set (ledger 0), or
 * the blocks in its use ledger (ledger 1). */
static uint32_t
core_count(int ledger)
{
	Ward__V1__Request q;
	Ward__V1__Status s;
	Ward__V1__Reply *r = hq_call(B, status_req(&q, &s));
	uint32_t n;

	if (r == NULL || r->status == NULL || r->status->ledger_capacity == 0)
		hf_die("no status");
	n = ledger ? r->status->ledger_entries : r->status->revoked;
	ward__v1__reply__free_unpacked(r, NULL);
	return n;
}

/* Paid entries: every block ever used keeps its entry, across restarts
 * (the reservations in the log), and every session shares the table: a
 * home that ran a few thousand sessions would refuse new blocks as
 * ledger_full.  Once a context is closed, nothing bound to it can be used
 * again, and the next start skips its blocks' reservations.  A block of an
 * open context keeps its count. */
static void
t_ledger_restart(void)
{
	struct hblk x[2], y[2], kid;
	uint8_t cx[16], cy[16];
	uint32_t n0, n1, n2, i, ok = 0;

	opened(&y[0], &y[1], cy, 2);
	approved("ledger_open_context_kept_setup", use(cy, y, 2), 0);
	approved("ledger_open_context_kept_setup", use(cy, y, 2), 0);
	restart_core();
	n0 = core_count(1);
	opened(&x[0], &x[1], cx, 100);
	for (i = 0; i < 20; i++) {
		Ward__V1__Reply *r;

		flood_kid(&kid, &x[1], i);
		r = use(cx, (struct hblk[]){ x[0], x[1], kid }, 3);
		ok += r != NULL && r->reason == 0;
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	n1 = core_count(1);
	if (ok != 20 || n1 != n0 + 22) {
		fail("ledger_closed_context_skipped_at_start", "setup: %u of 20 "
		     "approved, ledger %u -> %u (want +22)", ok, n0, n1);
		return;
	}
	if (!ok_reply("ledger_closed_context_skipped_at_start",
		      close_req(A, cx, NULL, 0)))
		return;
	restart_core();
	n2 = core_count(1);
	if (n2 == n0)
		pass("ledger_closed_context_skipped_at_start");
	else
		fail("ledger_closed_context_skipped_at_start", "ledger %u before "
		     "the session, %u with it, %u after it was closed and the "
		     "core restarted (want %u)", n0, n1, n2, n0);
	refused("ledger_open_context_kept", use(cy, y, 2),
		WARD_E_USES_EXHAUSTED);
}

/* Ground ids, the process side (issue 14, attack 3): a context opened
 * from a delegated chain would have no parent, so revoking its session
 * would not reach it; and one session spawning without end would use up
 * the table of contexts for every other session. */
static void
t_context_tables(void)
{
	struct hblk a[2], b[2], kid;
	uint8_t ca[16], cb[16], fresh[16];
	uint32_t i, made = 0;
	int full = 0;

	opened(&a[0], &a[1], ca, 100);
	new_ctx(fresh);
	child_in(&kid, &a[1], fresh);
	refused("context_opened_from_delegated_chain",
		hq_open(B, (struct hblk[]){ a[0], a[1], kid }, 3), WARD_E_CONTEXT);
	/* A session's tree is bounded; another session can still spawn. */
	for (i = 0; i < 1100 && !full; i++) {
		Ward__V1__Reply *r;

		new_ctx(fresh);
		child_in(&kid, &a[1], fresh);
		r = attenuate_req(a, 2, &kid, 1);
		if (r != NULL && r->reason == 0)
			made++;
		else if (r != NULL && (unsigned)r->reason == WARD_E_CONTEXT_FULL)
			full = 1;
		else {
			fail("one_session_cannot_fill_the_context_table",
			     "spawn %u: reason %d", i, r != NULL ? (int)r->reason : -1);
			if (r != NULL)
				ward__v1__reply__free_unpacked(r, NULL);
			return;
		}
		ward__v1__reply__free_unpacked(r, NULL);
	}
	/* A session holds at most WARD_CTX_MAX / 8 open, itself included. */
	if (!full || made != WARD_CTX_MAX / 8 - 1) {
		fail("one_session_cannot_fill_the_context_table", "%u spawns, then "
		     "%s (want %u, then context_full)", made,
		     full ? "context_full" : "no refusal", WARD_CTX_MAX / 8 - 1);
		return;
	}
	opened(&b[0], &b[1], cb, 100);
	new_ctx(fresh);
	child_in(&kid, &b[1], fresh);
	if (ok_reply("one_session_cannot_fill_the_context_table",
		     attenuate_req(b, 2, &kid, 1)))
		pass("one_session_cannot_fill_the_context_table");
}

static void
t_spawn_rules(void)
{
	struct hblk a[2], b[2], eight[WARD_CHAIN_MAX], kid;
	uint8_t ca[16], cb[16], fresh[16], never[16];
	int i;

	/* From a closed context. */
	opened(&a[0], &a[1], ca, 100);
	if (!ok_reply("spawn_from_closed_context", close_req(B, ca, a, 2)))
		return;
	new_ctx(fresh);
	child_in(&kid, &a[1], fresh);
	/* Refused, and the child context was not opened: a request in it
	 * is refused as a context the core does not know (the decision
	 * looks the context up before the lineage rule). */
	if (step_refused("spawn_from_closed_context",
			 attenuate_req(a, 2, &kid, 1), WARD_E_CONTEXT_UNKNOWN))
		refused("spawn_from_closed_context", use(fresh, (struct hblk[]){
			a[0], a[1], kid }, 3), WARD_E_CONTEXT_UNKNOWN);
	child_in(&kid, &a[1], ca);
	refused("attenuate_from_closed_context", attenuate_req(a, 2, &kid, 0),
		WARD_E_CONTEXT_UNKNOWN);
	/* From a context never opened (a valid operator grant). */
	new_ctx(never);
	grant(&b[0], &b[1], never, 100);
	new_ctx(fresh);
	child_in(&kid, &b[1], fresh);
	refused("spawn_from_never_opened_context", attenuate_req(b, 2, &kid, 1),
		WARD_E_CONTEXT_UNKNOWN);
	/* Into a context that is open, or was: ids are never reused. */
	opened(&a[0], &a[1], ca, 100);
	opened(&b[0], &b[1], cb, 100);
	child_in(&kid, &a[1], cb);
	refused("spawn_into_open_context", attenuate_req(a, 2, &kid, 1),
		WARD_E_CONTEXT_EXISTS);
	if (ok_reply("spawn_into_closed_context", close_req(B, cb, b, 2)) &&
	    step_refused("spawn_into_closed_context",
			 attenuate_req(a, 2, &kid, 1), WR_CONTEXT_REUSED))
		refused("spawn_into_closed_context", use(cb, b, 2),
			WARD_E_CONTEXT_UNKNOWN);
	/* A plain delegation may not move to another context. */
	new_ctx(fresh);
	child_in(&kid, &a[1], fresh);
	refused("attenuate_into_another_context_without_spawn",
		attenuate_req(a, 2, &kid, 0), WARD_E_CONTEXT);
	/* Eight blocks: no room for a ninth.  The process checks this before
	 * it copies the child after the eighth block (past the array); the
	 * verified check would refuse a ninth block too, with the same
	 * reason, so the detail tells which of the two refused. */
	for (i = 0; i < (int)WARD_CHAIN_MAX; i++)
		eight[i] = a[i % 2];
	{
		Ward__V1__Reply *r = attenuate_req(eight, WARD_CHAIN_MAX, &kid, 0);

		if (r != NULL && (int)r->reason == (int)WARD_E_CHAIN_TOO_LONG &&
		    strstr(r->detail, "cannot be extended") == NULL)
			fail("attenuate_past_max_chain_length", "refused, but not "
			     "before the child was copied in: %s", r->detail);
		else
			refused("attenuate_past_max_chain_length", r,
				WARD_E_CHAIN_TOO_LONG);
	}
}

/* Revocation: exactly the target block; whole-context revocation takes its
 * grant too; only with a chain that verifies; bare ids for the operator. */
static void
t_revoke_rules(void)
{
	struct hblk ch[2], forged[2], kid;
	uint8_t ctx[16];
	Ward__V1__Reply *r;

	/* Target past the end of the chain: refused, nothing revoked. */
	opened(&ch[0], &ch[1], ctx, 100);
	passed_if("revoke_target_past_the_chain",
		  step_refused("revoke_target_past_the_chain",
			       revoke_req(B, ch, 2, 2, 0, NULL), WR_TARGET) &&
		  still_usable("revoke_target_past_the_chain", ctx, ch, 2));
	/* Target 1: the child and nothing above it. */
	r = revoke_req(B, ch, 2, 1, 0, NULL);
	if (r == NULL || r->reason != 0 || r->block_id.len != 32 ||
	    memcmp(r->block_id.data, ch[1].id, 32) != 0)
		fail("revoke_target_is_exactly_that_block", "the reply does not "
		     "name the child as revoked: %s", r ? r->detail : "no reply");
	else
		passed_if("revoke_target_is_exactly_that_block",
			  step_refused("revoke_target_is_exactly_that_block",
				       use(ctx, ch, 2), WARD_E_REVOKED) &&
			  still_usable("revoke_target_is_exactly_that_block",
				       ctx, ch, 1));
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	/* Target 0 of a two-block chain: the root itself. */
	opened(&ch[0], &ch[1], ctx, 100);
	if (ok_reply("revoke_target_root", revoke_req(B, ch, 2, 0, 0, NULL)))
		refused("revoke_target_root", use(ctx, ch, 1), WARD_E_REVOKED);
	/* A chain that does not verify revokes nothing: the operator's root
	 * under a child whose signature is forged. */
	opened(&ch[0], &ch[1], ctx, 100);
	forged[0] = ch[0];
	forged[1] = ch[1];
	forged[1].raw[forged[1].len - 20] ^= 0x08;
	passed_if("revoke_with_chain_that_does_not_verify",
		  step_refused("revoke_with_chain_that_does_not_verify",
			       revoke_req(B, forged, 2, 0, 0, NULL),
			       WARD_E_SIGNATURE) &&
		  step_refused("revoke_with_chain_that_does_not_verify",
			       revoke_req(B, forged, 2, 0, 1, NULL),
			       WARD_E_SIGNATURE) &&
		  still_usable("revoke_with_chain_that_does_not_verify", ctx,
			       ch, 2));
	/* A bare context id is for the operator. */
	passed_if("revoke_context_by_bare_id_on_broker_socket",
		  step_refused("revoke_context_by_bare_id_on_broker_socket",
			       revoke_req(B, NULL, 0, 0, 0, ctx), WR_ADMIN_ONLY) &&
		  still_usable("revoke_context_by_bare_id_on_broker_socket",
			       ctx, ch, 2));
	/* The whole context: closed for good, so the grant it was opened
	 * from can open nothing and delegate nothing any more.  A broker's
	 * revocation stores nothing in the revocation set: the grant is
	 * bound to a closed context (Status.revoked does not move). */
	{
		uint32_t before = core_count(0);

		if (ok_reply("revoke_whole_context_ends_its_grant",
			     revoke_req(B, ch, 2, 0, 1, NULL)) &&
		    step_refused("revoke_whole_context_ends_its_grant",
				 use(ctx, ch, 2), WARD_E_CONTEXT_UNKNOWN) &&
		    step_refused("revoke_whole_context_ends_its_grant",
				 hq_open(B, ch, 1), WR_CONTEXT_REUSED)) {
			child_in(&kid, &ch[1], ctx);
			refused("revoke_whole_context_ends_its_grant",
				attenuate_req(ch, 2, &kid, 0),
				WARD_E_CONTEXT_UNKNOWN);
		}
		if (core_count(0) == before)
			pass("broker_whole_context_revocation_stores_nothing");
		else
			fail("broker_whole_context_revocation_stores_nothing",
			     "the revocation set grew from %u to %u", before,
			     core_count(0));
	}
	/* The same as the operator, by bare context id. */
	opened(&ch[0], &ch[1], ctx, 100);
	if (ok_reply("admin_revoke_context_by_bare_id",
		     revoke_req(A, NULL, 0, 0, 0, ctx)))
		refused("admin_revoke_context_by_bare_id", hq_open(B, ch, 1),
			WARD_E_REVOKED);
}

/* ---- deferred approvals (server/pending.h) ------------------------------------
 *
 * A block the operator marked 'ask' makes every call under it wait for the
 * operator's answer.  The broker (this program, on the broker socket) must
 * not be able to mark, answer, forge or replay a decision. */

struct drec {
	int found;
	unsigned type, verdict, reason, kind;
	uint64_t id;
};

static int
find_drec(const struct jr_rec *r, void *arg)
{
	struct drec *f = arg;

	if (r->seq != f->id)
		return 0;
	f->found = 1;
	f->type = r->rec[0];
	if (f->type == JR_EVENT && r->len >= JR_EV_TEXT) {
		f->verdict = r->rec[JR_EV_VERDICT];
		f->reason = r->rec[JR_EV_REASON];
		f->kind = r->rec[JR_EV_KIND];
		f->id = ward_get_be64(r->rec + JR_EV_PD_ID);
	}
	return 1;
}

/* The record at pos is a DEFERRED event of call id. */
static int
logged_deferred(uint64_t pos, uint64_t id)
{
	struct jr_result res;
	struct drec f;

	memset(&f, 0, sizeof f);
	f.id = pos;
	return jr_scan(C.log, C.core_pk, find_drec, &f, &res) == 0 && f.found &&
	       f.type == JR_EVENT && f.kind == JK_DEFER &&
	       f.verdict == JV_DEFERRED && f.reason == WR_DEFERRED && f.id == id;
}

static Ward__V1__Reply *
d_approve(const uint8_t *ctx, const struct hblk *chain, uint32_t n,
	  const char *res, const char *json, const uint8_t *digest_over,
	  int no_params, uint64_t nonce)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain ch;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];
	uint8_t params[512], digest[32];
	size_t pl = 8 + strlen(json);

	memcpy(params, "fs.read", 8);
	memcpy(params + 8, json, strlen(json));
	params_digest(digest, params, pl);
	if (digest_over != NULL)
		memcpy(digest, digest_over, 32);
	hq_chain(&ch, slots, chain, n);
	a.context.data = (uint8_t *)ctx;
	a.context.len = WARD_CTX_BYTES;
	a.chain = &ch;
	a.op = WARD_OP_FS_READ;
	a.resource.data = (uint8_t *)res;
	a.resource.len = strlen(res);
	a.digest.data = digest;
	a.digest.len = sizeof digest;
	a.nonce = nonce;
	if (!no_params) {
		a.params.data = params;
		a.params.len = pl;
	}
	q.body_case = WARD__V1__REQUEST__BODY_APPROVE;
	q.approve = &a;
	return hq_call(B, &q);
}

static Ward__V1__Reply *
d_mark(int s, const struct hblk *blk, uint32_t deadline)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__AskMark m = WARD__V1__ASK_MARK__INIT;

	m.block_id.data = (uint8_t *)blk->id;
	m.block_id.len = WARD_ID_BYTES;
	m.deadline = deadline;
	m.not_after = blk->b.not_after;
	q.body_case = WARD__V1__REQUEST__BODY_ASK_MARK;
	q.ask_mark = &m;
	return s == A ? hq_admin(A, &C.op, &q) : hq_call(s, &q);
}

static Ward__V1__Reply *
d_answer(int s, uint64_t id, unsigned answer)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__PendingAnswer m = WARD__V1__PENDING_ANSWER__INIT;

	m.answer = answer;
	m.id = id;
	q.body_case = WARD__V1__REQUEST__BODY_PENDING_ANSWER;
	q.pending_answer = &m;
	return s == A ? hq_admin(A, &C.op, &q) : hq_call(s, &q);
}

/* Held: reason deferred, an id, the DEFERRED record on disk.  The id. */
static uint64_t
held(const char *name, Ward__V1__Reply *r, uint64_t want_id, int report)
{
	uint64_t id = 0;

	if (r == NULL || r->reason != WR_DEFERRED || r->approval != NULL ||
	    r->pending_id == 0)
		fail(name, "expected the call to be held (deferred), got %s (%s)",
		     r ? wn_reason((unsigned)r->reason) : "no reply",
		     r ? r->detail : "");
	else if (want_id != 0 && r->pending_id != want_id)
		fail(name, "held as call %llu, expected %llu",
		     (unsigned long long)r->pending_id,
		     (unsigned long long)want_id);
	else if (want_id == 0 && !logged_deferred(r->audit_pos, r->pending_id))
		fail(name, "held, but no DEFERRED record of call %llu at %llu",
		     (unsigned long long)r->pending_id,
		     (unsigned long long)r->audit_pos);
	else {
		id = r->pending_id;
		if (report)
			pass(name);
	}
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	return id;
}

static int
admin_ok(const char *name, Ward__V1__Reply *r)
{
	int ok = r != NULL && r->reason == 0;

	if (!ok)
		fail(name, "the operator's request was refused: %s",
		     r ? r->detail : "no reply");
	if (r != NULL)
		ward__v1__reply__free_unpacked(r, NULL);
	return ok;
}

static void
t_deferred(void)
{
	const char *P = "{\"path\":\"a.txt\"}";
	struct hblk ch[2], ch2[2];
	uint8_t ctx[16], ctx2[16], other[32];
	uint64_t id, id2;
	Ward__V1__Reply *r;
	unsigned i;
	int ok;

	opened(&ch[0], &ch[1], ctx, 100);
	refused("deferred_broker_cannot_mark", d_mark(B, &ch[0], 60),
		WR_ADMIN_ONLY);
	/* Not marked: decided at once, held for nobody. */
	approved("deferred_unmarked_call_is_decided_at_once",
		 d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9001), 1) ?
		pass("deferred_unmarked_call_is_decided_at_once") : (void)0;
	if (!admin_ok("deferred_operator_marks", d_mark(A, &ch[0], 60)))
		return;
	/* The mark is on the root: a call under its delegation waits. */
	id = held("deferred_mark_survives_delegation",
		  d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9002), 0, 1);
	if (id == 0)
		return;
	held("deferred_resend_is_held_not_decided",
	     d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9002), id, 1);
	/* The broker cannot drop the marked root: a chain that starts
	 * at the child is not a chain the core accepts. */
	r = d_approve(ctx, &ch[1], 1, "/work/a.txt", P, NULL, 0, 9003);
	if (r == NULL || r->approval != NULL || r->reason == 0 ||
	    r->reason == WR_DEFERRED)
		fail("deferred_mark_cannot_be_stripped", "a chain without the "
		     "marked root was %s", r == NULL ? "not answered" :
		     r->approval != NULL ? "approved" : "held");
	else
		pass("deferred_mark_cannot_be_stripped");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	/* What the core would refuse anyway is refused, not put to the
	 * operator. */
	refused("deferred_out_of_scope_refused_not_held",
		d_approve(ctx, ch, 2, "/etc/passwd", P, NULL, 0, 9007),
		WARD_E_OUT_OF_SCOPE);
	refused("deferred_broker_cannot_answer", d_answer(B, id, 1),
		WR_ADMIN_ONLY);
	refused("deferred_broker_cannot_deny", d_answer(B, id, 2),
		WR_ADMIN_ONLY);
	refused("deferred_broker_cannot_list", d_answer(B, 0, 0),
		WR_ADMIN_ONLY);
	refused("deferred_params_required",
		d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 1, 9004),
		WR_PROTO_MISSING);
	memset(other, 0x33, sizeof other);
	refused("deferred_params_must_match_digest",
		d_approve(ctx, ch, 2, "/work/a.txt", P, other, 0, 9005),
		WR_PROTO_MALFORMED);
	/* The operator sees the exact parameters. */
	{
		Ward__V1__Request q = WARD__V1__REQUEST__INIT;
		Ward__V1__PendingAnswer m = WARD__V1__PENDING_ANSWER__INIT;

		q.body_case = WARD__V1__REQUEST__BODY_PENDING_ANSWER;
		q.pending_answer = &m;
		r = hq_admin(A, &C.op, &q);
		ok = 0;
		for (i = 0; r != NULL && i < r->n_pending; i++)
			if (r->pending[i]->id == id &&
			    r->pending[i]->params.len == 8 + strlen(P) &&
			    memcmp(r->pending[i]->params.data + 8, P,
				   strlen(P)) == 0 &&
			    r->pending[i]->nonce == 9002)
				ok = 1;
		if (ok)
			pass("deferred_list_shows_exact_params");
		else
			fail("deferred_list_shows_exact_params", "call %llu is "
			     "not listed with its parameters",
			     (unsigned long long)id);
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}
	if (!admin_ok("deferred_operator_approves", d_answer(A, id, 1)))
		return;
	/* The answer is for that call only: another resource, other
	 * parameters or another nonce is another call, held anew. */
	id2 = held("deferred_answer_binds_resource",
		   d_approve(ctx, ch, 2, "/work/b.txt", P, NULL, 0, 9002), 0, 0);
	if (id2 != 0 && id2 != id)
		pass("deferred_answer_binds_resource");
	id2 = held("deferred_answer_binds_params", d_approve(ctx, ch, 2,
		   "/work/a.txt", "{\"path\":\"b.txt\"}", NULL, 0, 9002), 0, 0);
	if (id2 != 0 && id2 != id)
		pass("deferred_answer_binds_params");
	id2 = held("deferred_answer_binds_nonce",
		   d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9006), 0, 0);
	if (id2 != 0 && id2 != id)
		pass("deferred_answer_binds_nonce");
	/* Another chain of the same capability (the root alone: its leaf
	 * differs) is another call too. */
	id2 = held("deferred_answer_binds_leaf",
		   d_approve(ctx, ch, 1, "/work/a.txt", P, NULL, 0, 9002), 0, 0);
	if (id2 != 0 && id2 != id)
		pass("deferred_answer_binds_leaf");
	approved("deferred_approved_call_runs",
		 d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9002), 1) ?
		pass("deferred_approved_call_runs") : (void)0;
	refused("deferred_approval_cannot_be_replayed",
		d_approve(ctx, ch, 2, "/work/a.txt", P, NULL, 0, 9002),
		WARD_E_REPLAY);
	refused("deferred_answer_twice_refused", d_answer(A, id, 1), WR_TARGET);

	/* Denied: refused when sent again, and never held again. */
	id = held("deferred_deny_setup",
		  d_approve(ctx, ch, 2, "/work/c.txt", P, NULL, 0, 9010), 0, 0);
	if (id != 0 && admin_ok("deferred_operator_denies", d_answer(A, id, 2))) {
		refused("deferred_denied_is_blocked",
			d_approve(ctx, ch, 2, "/work/c.txt", P, NULL, 0, 9010),
			WR_OPERATOR_DENIED);
		refused("deferred_denied_cannot_be_held_again",
			d_approve(ctx, ch, 2, "/work/c.txt", P, NULL, 0, 9010),
			WARD_E_REPLAY);
		refused("deferred_denied_cannot_be_approved_after",
			d_answer(A, id, 1), WR_TARGET);
	}

	/* No answer by the deadline: refused, logged by the core itself. */
	opened(&ch2[0], &ch2[1], ctx2, 100);
	if (!admin_ok("deferred_short_mark", d_mark(A, &ch2[0], 1)))
		return;
	id = held("deferred_timeout_setup",
		  d_approve(ctx2, ch2, 2, "/work/a.txt", P, NULL, 0, 77), 0, 0);
	if (id != 0) {
		sleep(3);
		refused("deferred_expired_is_blocked",
			d_approve(ctx2, ch2, 2, "/work/a.txt", P, NULL, 0, 77),
			WR_DEFERRED_EXPIRED);
		refused("deferred_expired_cannot_be_approved",
			d_answer(A, id, 1), WR_TARGET);
		refused("deferred_expired_cannot_be_held_again",
			d_approve(ctx2, ch2, 2, "/work/a.txt", P, NULL, 0, 77),
			WARD_E_REPLAY);
	}

	/* One session cannot fill the table for the others: 16 held calls
	 * each, then state_full; another session's call is still held. */
	{
		struct hblk c3[2], c4[2];
		uint8_t x3[16], x4[16];
		char res[32];
		int n = 0;

		opened(&c3[0], &c3[1], x3, 100);
		opened(&c4[0], &c4[1], x4, 100);
		if (admin_ok("deferred_mark_two_sessions", d_mark(A, &c3[0], 60)) &&
		    admin_ok("deferred_mark_two_sessions", d_mark(A, &c4[0], 60))) {
			for (i = 0; i < 16; i++) {
				snprintf(res, sizeof res, "/work/f%u", i);
				n += held("deferred_session_limit", d_approve(x3, c3,
					  2, res, P, NULL, 0, 500 + i), 0, 0) != 0;
			}
			if (n == 16 && refused("deferred_one_session_cannot_fill_the_"
					       "table", d_approve(x3, c3, 2, "/work/g",
					       P, NULL, 0, 600), WR_STATE_FULL))
				held("deferred_other_session_still_held",
				     d_approve(x4, c4, 2, "/work/g", P, NULL, 0, 600),
				     0, 1);
		}
	}

	/* The mark and the spent nonces survive a restart of the core. */
	id = held("deferred_restart_setup",
		  d_approve(ctx, ch, 2, "/work/d.txt", P, NULL, 0, 9020), 0, 0);
	restart_core();
	id2 = held("deferred_mark_survives_restart",
		   d_approve(ctx, ch, 2, "/work/d.txt", P, NULL, 0, 9020), 0, 0);
	if (id2 != 0 && id2 > id)
		pass("deferred_mark_survives_restart");
	else if (id2 != 0)
		fail("deferred_mark_survives_restart", "call id %llu reused "
		     "after the restart (was %llu)", (unsigned long long)id2,
		     (unsigned long long)id);
	refused("deferred_denied_nonce_spent_after_restart",
		d_approve(ctx, ch, 2, "/work/c.txt", P, NULL, 0, 9010),
		WARD_E_REPLAY);
}

static void
t_audit_verifies(void)
{
	struct jr_result res;

	if (jr_scan(C.log, C.core_pk, NULL, NULL, &res) != 0 || !res.ok)
		fail("audit_log_verifies_after_attacks", "%s", res.why);
	else
		pass("audit_log_verifies_after_attacks");
}

int
main(void)
{
	Ward__V1__Request q;
	Ward__V1__Status s;
	Ward__V1__Reply *r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	hc_init(&C, "hostile");
	if (hc_start(&C) != 0)
		hf_die("ward-core did not start");
	B = wc_open(C.broker, 10000);
	A = wc_open(C.admin, 10000);
	if (B < 0 || A < 0)
		hf_die("cannot connect");
	now = (uint64_t)time(NULL);
	hf_key(&agent, 21);
	hf_key(&agent2, 22);
	hf_random_key(&stranger);

	t_baseline();
	t_forged_signature();
	t_spliced_chain();
	t_widened_rights();
	widened("widened_scope", e_scope, WARD_E_SCOPE_WIDENED);
	widened("widened_scope_sibling_prefix", e_scope2, WARD_E_SCOPE_WIDENED);
	widened("widened_window_end", e_window, WARD_E_WINDOW_WIDENED);
	widened("widened_window_start", e_window2, WARD_E_WINDOW_WIDENED);
	widened("widened_uses", e_uses, WARD_E_USES_WIDENED);
	widened("widened_depth", e_depth, WARD_E_DEPTH);
	widened("changed_kind", e_kind, WARD_E_KIND_CHANGED);
	t_no_delegate();
	t_other_context();
	t_window();
	t_revoked_parent();
	t_over_use_count();
	t_replay();
	t_mint();
	t_vault_admin_only();
	t_vault_names_not_probed();
	t_self_signed_in_open_context();
	t_admin();
	t_malformed();
	t_scope();
	t_context_lifecycle();
	t_spawn_and_revoke_context();
	t_no_stall();
	t_log_event();
	t_admin_powers();
	t_list_contexts();
	t_replay_after_crash();
	t_admin_time();
	t_forged_twice();
	t_close_authority();
	t_spawn_rules();
	t_context_tables();
	t_ground_ids();
	t_revocation_flood();
	t_ledger_flood();
	t_ledger_restart();
	t_revoke_rules();
	t_torn_close();
	t_operator_chain_revoke();
	t_deferred();

	/* Still alive and answering after all of it. */
	r = hq_call(B, status_req(&q, &s));
	if (r == NULL || r->status == NULL)
		fail("core_survives_the_suite", "no status after the attacks");
	else
		pass("core_survives_the_suite");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	wc_close(B);
	wc_close(A);
	hc_stop(&C, SIGTERM);
	t_audit_verifies();
	hc_cleanup(&C);
	return failures ? 1 : 0;
}
