/*
 * test_approve.c -- the approval decision (core/approve.c), the one function
 * through which every effect passes.
 *
 * Every decision is checked the same way, whatever the verdict:
 *   - the reason code;
 *   - exactly one audit record appended, at the position the decision
 *     names, and the new head recomputed here with libsodium as
 *     BLAKE2b-256("ward.v1.auditlnk" || old head || record);
 *   - the record's fields at the offsets of approve.h;
 *   - for an approval: the message fields at the offsets of approve.h and
 *     the signature, verified with crypto_sign_verify_detached over
 *     "ward.v1.approval" || message under the core's public key, and the
 *     approval sequence number advanced by one;
 *   - for a refusal: no message, no signature, the approval sequence number
 *     unchanged.
 */
#include <sodium.h>

#include "t.h"
#include "capfix.h"
#include "approve.h"

#define DIGEST_BYTE 0x11

static struct capfix f;		/* large: not on the stack */
static struct ward_core core;
static struct ward_audit alog;
static struct ward_request req;
static struct ward_decision dec;

static const uint8_t CTX_B[WARD_CTX_BYTES] = {
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf
};
static const uint8_t ZERO32[32];

/* ---- set-up ----------------------------------------------------------------- */

/* A core that trusts the operator, has revoked nothing, counted nothing,
 * logged nothing, and has context CAPFIX_CTX open. */
static void
core_init(void)
{
	memset(&core, 0, sizeof core);
	memcpy(core.sk, f.key[CAPFIX_CORE].sk, WARD_SK_BYTES);
	core.trust = f.trust;
	ward_revset_init(&core.revoked);
	ward_ledger_init(&core.ledger);
	ward_contexts_init(&core.contexts);
	ward_audit_init(&alog);
	core.approval_seq = 0;
	if (ward_context_open(&core.contexts, CAPFIX_CTX, NULL) != WARD_OK)
		capfix_die("ward_context_open");
}

/* The default chain of n blocks and a fresh core. */
static void
setup(uint32_t n)
{
	ward_sig_memo_clear();
	capfix_init(&f);
	capfix_build(&f, n);
	core_init();
}

/* A request under the fixture's chain, in context CAPFIX_CTX, at
 * CAPFIX_NOW. */
static void
request_bytes(uint8_t op, const uint8_t *resource, size_t n, uint64_t nonce)
{
	memset(&req, 0, sizeof req);
	memcpy(req.context, CAPFIX_CTX, WARD_CTX_BYTES);
	req.op = op;
	if (n > WARD_SCOPE_MAX)
		capfix_die("resource too long");
	memcpy(req.resource, resource, n);
	req.resource_len = (uint16_t)n;
	memset(req.digest, DIGEST_BYTE, sizeof req.digest);
	req.nonce = nonce;
	req.now = CAPFIX_NOW;
	req.chain = f.ch;
}

static void
request(uint8_t op, const char *resource, uint64_t nonce)
{
	request_bytes(op, (const uint8_t *)resource, strlen(resource), nonce);
}

/* The ledger entry of a block id, or NULL. */
static const struct ward_ledger_entry *
ledger_of(const uint8_t *id)
{
	uint32_t k;

	for (k = 0; k < WARD_LEDGER_N; k++)
		if (core.ledger.e[k].live == 1 &&
		    memcmp(core.ledger.e[k].id, id, WARD_ID_BYTES) == 0)
			return &core.ledger.e[k];
	return NULL;
}

static uint32_t
used_of(const uint8_t *id)
{
	const struct ward_ledger_entry *e = ledger_of(id);

	return e != NULL ? e->used : 0;
}

/* ---- the checks every decision gets ------------------------------------------- */

struct before {
	uint64_t audit_seq;
	uint8_t head[WARD_ID_BYTES];
	uint64_t approval_seq;
};

static void
snapshot(struct before *b)
{
	b->audit_seq = alog.seq;
	memcpy(b->head, alog.head, WARD_ID_BYTES);
	b->approval_seq = core.approval_seq;
}

/* One audit record appended, at audit_pos, and the head is H(old || rec). */
static void
check_logged(const char *t_name, const struct before *b)
{
	static const uint8_t tag[16] = {
		'w', 'a', 'r', 'd', '.', 'v', '1', '.',
		'a', 'u', 'd', 'i', 't', 'l', 'n', 'k'
	};
	crypto_generichash_state st;
	uint8_t want[WARD_ID_BYTES];

	EXPECT(alog.seq == b->audit_seq + 1);
	EXPECT(dec.audit_pos == b->audit_seq);
	EXPECT(dec.rec_len == WARD_REC_OFF_RES + (uint32_t)req.resource_len);
	EXPECT(dec.rec_len <= WARD_REC_MAX);
	EXPECT_EQ(crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES), 0);
	EXPECT_EQ(crypto_generichash_update(&st, tag, sizeof tag), 0);
	EXPECT_EQ(crypto_generichash_update(&st, b->head, WARD_ID_BYTES), 0);
	EXPECT_EQ(crypto_generichash_update(&st, dec.rec, dec.rec_len), 0);
	EXPECT_EQ(crypto_generichash_final(&st, want, WARD_ID_BYTES), 0);
	EXPECT(memcmp(alog.head, want, WARD_ID_BYTES) == 0);

	/* Fields common to both verdicts. */
	EXPECT_EQ(dec.rec[WARD_REC_OFF_TYPE], WARD_REC_DECISION);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_OP], req.op);
	EXPECT(memcmp(dec.rec + WARD_REC_OFF_CONTEXT, req.context,
		      WARD_CTX_BYTES) == 0);
	EXPECT(memcmp(dec.rec + WARD_REC_OFF_DIGEST, req.digest,
		      WARD_ID_BYTES) == 0);
	EXPECT(ward_get_be64(dec.rec + WARD_REC_OFF_NONCE) == req.nonce);
	EXPECT(ward_get_be64(dec.rec + WARD_REC_OFF_TIME) == req.now);
	EXPECT_EQ(ward_get_be16(dec.rec + WARD_REC_OFF_RLEN), req.resource_len);
	EXPECT(memcmp(dec.rec + WARD_REC_OFF_RES, req.resource,
		      req.resource_len) == 0);
}

/*
 * A refusal with reason want: logged as BLOCKED with that reason, naming
 * leaf (NULL: zero, no chain verified), and nothing signed.
 */
static void
check_refused(const char *t_name, int want, const uint8_t *leaf)
{
	struct before b;
	int r;

	snapshot(&b);
	r = ward_approve(&core, &alog, &req, &dec);
	EXPECT_EQ(r, want);
	check_logged(t_name, &b);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_VERDICT], WARD_VERDICT_BLOCKED);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_REASON], want);
	EXPECT(memcmp(dec.rec + WARD_REC_OFF_LEAF, leaf != NULL ? leaf : ZERO32,
		      WARD_ID_BYTES) == 0);
	EXPECT(ward_get_be64(dec.rec + WARD_REC_OFF_SEQ) == 0);
	EXPECT_EQ(ward_get_be32(dec.rec + WARD_REC_OFF_USED), 0);
	EXPECT_EQ(ward_get_be32(dec.rec + WARD_REC_OFF_MAX), 0);
	EXPECT_EQ(dec.msg_len, 0);
	EXPECT(core.approval_seq == b.approval_seq);
}

/*
 * An approval: logged as ALLOWED, the message at the offsets of approve.h,
 * signed by the core under the approval tag.
 */
static void
check_approved(const char *t_name)
{
	static const uint8_t tag[16] = {
		'w', 'a', 'r', 'd', '.', 'v', '1', '.',
		'a', 'p', 'p', 'r', 'o', 'v', 'a', 'l'
	};
	uint8_t buf[16 + WARD_APR_MAX];
	const uint8_t *leaf_id;
	const struct ward_block *leaf;
	const struct ward_ledger_entry *e;
	uint64_t expiry;
	struct before b;
	uint32_t n;
	int r;

	snapshot(&b);
	r = ward_approve(&core, &alog, &req, &dec);
	EXPECT_EQ(r, WARD_OK);
	if (r != WARD_OK)
		return;
	n = req.chain.n;
	leaf = &f.blk[n - 1];
	leaf_id = f.ch.l[n - 1].id;	/* computed by the issuing side */
	EXPECT(memcmp(req.chain.l[n - 1].id, leaf_id, WARD_ID_BYTES) == 0);
	check_logged(t_name, &b);
	EXPECT(core.approval_seq == b.approval_seq + 1);

	/* The record. */
	e = ledger_of(leaf_id);
	EXPECT(e != NULL);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_VERDICT], WARD_VERDICT_ALLOWED);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_REASON], WARD_OK);
	EXPECT(memcmp(dec.rec + WARD_REC_OFF_LEAF, leaf_id, WARD_ID_BYTES) == 0);
	EXPECT(ward_get_be64(dec.rec + WARD_REC_OFF_SEQ) == core.approval_seq);
	if (e != NULL)
		EXPECT_EQ(ward_get_be32(dec.rec + WARD_REC_OFF_USED), e->used);
	EXPECT_EQ(ward_get_be32(dec.rec + WARD_REC_OFF_MAX), leaf->max_uses);

	/* The message. */
	EXPECT_EQ(dec.msg_len, WARD_APR_OFF_RES + (uint32_t)req.resource_len);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_SEQ) == core.approval_seq);
	EXPECT(memcmp(dec.msg + WARD_APR_OFF_CONTEXT, req.context,
		      WARD_CTX_BYTES) == 0);
	EXPECT(memcmp(dec.msg + WARD_APR_OFF_LEAF, leaf_id, WARD_ID_BYTES) == 0);
	EXPECT_EQ(dec.msg[WARD_APR_OFF_OP], req.op);
	EXPECT(memcmp(dec.msg + WARD_APR_OFF_DIGEST, req.digest,
		      WARD_ID_BYTES) == 0);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_NONCE) == req.nonce);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_ISSUED) == req.now);
	expiry = req.now + WARD_APPROVAL_TTL;
	if (expiry > leaf->not_after)
		expiry = leaf->not_after;
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_EXPIRY) == expiry);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_AUDIT) == dec.audit_pos);
	EXPECT_EQ(ward_get_be16(dec.msg + WARD_APR_OFF_RLEN), req.resource_len);
	EXPECT(memcmp(dec.msg + WARD_APR_OFF_RES, req.resource,
		      req.resource_len) == 0);

	/* The signature, under the core's key and the approval tag only. */
	EXPECT(dec.msg_len <= WARD_APR_MAX);
	if (dec.msg_len > WARD_APR_MAX)
		return;
	memcpy(buf, tag, 16);
	memcpy(buf + 16, dec.msg, dec.msg_len);
	EXPECT_EQ(crypto_sign_verify_detached(dec.sig, buf, 16 + dec.msg_len,
					      f.key[CAPFIX_CORE].pk), 0);
	EXPECT(crypto_sign_verify_detached(dec.sig, dec.msg, dec.msg_len,
					   f.key[CAPFIX_CORE].pk) != 0);
	EXPECT(crypto_sign_verify_detached(dec.sig, buf, 16 + dec.msg_len,
					   f.key[CAPFIX_OPERATOR].pk) != 0);
}

/* ---- approvals ------------------------------------------------------------------ */

TEST(fs_read_in_scope_approved)
{
	uint32_t i;

	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	EXPECT(alog.seq == 1);
	EXPECT(core.approval_seq == 1);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_SEQ) == 1);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_AUDIT) == 0);
	/* One use of every block of the chain, root included. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(used_of(f.ch.l[i].id), 1);
	/* Each first use reserved a watermark the caller must persist. */
	EXPECT_EQ(dec.n_dirty, 3);
	for (i = 0; i < dec.n_dirty && i < WARD_CHAIN_MAX; i++) {
		EXPECT(dec.dirty[i] < WARD_LEDGER_N);
		if (dec.dirty[i] < WARD_LEDGER_N)
			EXPECT(memcmp(core.ledger.e[dec.dirty[i]].id,
				      f.ch.l[i].id, WARD_ID_BYTES) == 0);
	}
}

TEST(resource_equal_to_scope_approved)
{
	setup(1);
	request(WARD_OP_FS_READ, "/work", 1);
	check_approved(t_name);
}

TEST(second_approval_advances_sequence_and_uses)
{
	uint32_t i;

	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	/* The caller persists the reservations, then marks them clean. */
	for (i = 0; i < dec.n_dirty && i < WARD_CHAIN_MAX; i++)
		ward_ledger_clean(&core.ledger, dec.dirty[i]);
	request(WARD_OP_FS_WRITE, "/work/b.txt", 2);
	check_approved(t_name);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_SEQ) == 2);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_AUDIT) == 1);
	EXPECT_EQ(used_of(f.ch.l[0].id), 2);
	EXPECT_EQ(used_of(f.ch.l[2].id), 2);
	EXPECT_EQ(dec.n_dirty, 0);	/* inside the persisted reservation */
}

TEST(unpersisted_reservation_reported_again)
{
	/* Until the caller says a reservation is on disk, every approval
	 * lists it again: persist-before-release cannot be skipped by
	 * forgetting one approval. */
	setup(2);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	EXPECT_EQ(dec.n_dirty, 2);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	check_approved(t_name);
	EXPECT_EQ(dec.n_dirty, 2);
}

TEST(approval_expiry_capped_by_leaf_window)
{
	setup(2);
	capfix_leaf(&f)->not_after = CAPFIX_NOW + 10;
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	EXPECT(ward_get_be64(dec.msg + WARD_APR_OFF_EXPIRY) == CAPFIX_NOW + 10);
}

TEST(nonces_out_of_order_inside_window_approved)
{
	setup(1);
	request(WARD_OP_FS_READ, "/work/a", 100);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a", 37);	/* 37 + 64 > 100 */
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a", 99);
	check_approved(t_name);
}

/* ---- refusals before the chain ---------------------------------------------------- */

TEST(unknown_context)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_B, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT_UNKNOWN, NULL);
}

TEST(closed_context)
{
	setup(3);
	EXPECT_EQ(ward_context_close(&core.contexts, CAPFIX_CTX), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_CONTEXT_UNKNOWN, NULL);
}

TEST(unknown_operation)
{
	setup(3);
	request(0, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_OP, NULL);
	request(WARD_OP_LAST + 1, "/work/a.txt", 2);
	check_refused(t_name, WARD_E_OP, NULL);
}

/*
 * A request with an empty or oversized resource is refused before anything
 * else and, as approve.c says, not logged ("cannot even be logged
 * usefully"): the one refusal without an audit record.  Pinned here so that
 * a change to it is deliberate.
 */
TEST(resource_length_out_of_range_unlogged)
{
	setup(1);
	request(WARD_OP_FS_READ, "/work/a", 1);
	req.resource_len = 0;
	EXPECT_EQ(ward_approve(&core, &alog, &req, &dec), WARD_E_OVERSIZE);
	req.resource_len = WARD_SCOPE_MAX + 1;
	EXPECT_EQ(ward_approve(&core, &alog, &req, &dec), WARD_E_OVERSIZE);
	EXPECT(alog.seq == 0);
	EXPECT(core.approval_seq == 0);
	EXPECT_EQ(dec.msg_len, 0);
}

/* ---- refusals by the chain ----------------------------------------------------------- */

TEST(forged_chain_refused_and_logged)
{
	setup(3);
	f.ch.l[1].raw[capfix_sig_off(&f, 1) + 3] ^= 0x10;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_SIGNATURE, NULL);
	EXPECT(ledger_of(f.ch.l[0].id) == NULL);	/* nothing counted */
}

TEST(expired_chain_refused)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	req.now = CAPFIX_NA + 1;
	check_refused(t_name, WARD_E_EXPIRED, NULL);
}

TEST(revoked_parent_mid_run)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	EXPECT_EQ(ward_revoke(&core.revoked, f.ch.l[1].id), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	check_refused(t_name, WARD_E_REVOKED, NULL);
	request(WARD_OP_FS_READ, "/work/b.txt", 3);
	check_refused(t_name, WARD_E_REVOKED, NULL);
	EXPECT_EQ(used_of(f.ch.l[2].id), 1);
}

/* A chain that breaks two rules is refused, and logged, for the first
 * in the check's order (refused_checked, approve.h): the root revoked
 * and a later block's signature forged is REVOKED (the root's rules come
 * first); a forged signature on a revoked block is SIGNATURE (the
 * signature before revocation, in each block). */
TEST(chain_refused_for_its_first_broken_rule)
{
	setup(3);
	EXPECT_EQ(ward_revoke(&core.revoked, f.ch.l[0].id), WARD_OK);
	f.ch.l[2].raw[capfix_sig_off(&f, 2) + 9] ^= 0x04;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_REVOKED, NULL);

	setup(3);
	EXPECT_EQ(ward_revoke(&core.revoked, f.ch.l[0].id), WARD_OK);
	f.ch.l[0].raw[capfix_sig_off(&f, 0) + 9] ^= 0x04;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_SIGNATURE, NULL);
}

/* MALFORMED is decided either side of the chain, and its record says
 * which (refused_malformed, approve.h: all zero for the wire bytes, the
 * chain's leaf for the ledger, refusal_zeroed and refusal_named): a
 * block cut short is refused before any chain verified, and names no
 * leaf; a ledger entry for a block with another use count is refused
 * after, and names the chain's leaf (not the block the ledger refused). */
TEST(malformed_record_names_the_leaf_only_after_the_chain)
{
	setup(3);
	f.ch.l[1].raw_len = 3;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_MALFORMED, NULL);
	EXPECT(ledger_of(f.ch.l[0].id) == NULL);

	setup(3);
	EXPECT_EQ(ward_ledger_restore(&core.ledger, f.ch.l[0].id,
				      f.ch.l[0].b.max_uses + 1, 0), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_MALFORMED, f.ch.l[2].id);
	EXPECT_EQ(used_of(f.ch.l[2].id), 0);
}

/* ---- refusals by the leaf -------------------------------------------------------------- */

TEST(wrong_context_on_leaf)
{
	/* Context B is open, but the chain is bound to context A. */
	setup(3);
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_B, NULL), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_B, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[2].id);
}

/* ---- the lineage rule ----------------------------------------------------------------- */

/*
 * Contexts of the lineage tests, besides CAPFIX_CTX (A, a session): B
 * spawned from A, C spawned from B, and U, a session unrelated to them.
 */
static const uint8_t CTX_C[WARD_CTX_BYTES] = {
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
	0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf
};
static const uint8_t CTX_U[WARD_CTX_BYTES] = {
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
	0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef
};

static void
spawn_tree(void)
{
	if (ward_context_open(&core.contexts, CTX_B, CAPFIX_CTX) != WARD_OK ||
	    ward_context_open(&core.contexts, CTX_C, CTX_B) != WARD_OK ||
	    ward_context_open(&core.contexts, CTX_U, NULL) != WARD_OK)
		capfix_die("spawn_tree");
}

/* Bind block i of the fixture's chain to ctx (resealed by the caller). */
static void
bind_block(uint32_t i, const uint8_t *ctx)
{
	memcpy(f.blk[i].context, ctx, WARD_CTX_BYTES);
}

/* The default chain of 4 blocks, bound to A, A, B, C: down a spawn path. */
static void
setup_spawn_path(void)
{
	setup(4);
	spawn_tree();
	bind_block(2, CTX_B);
	bind_block(3, CTX_C);
	capfix_reseal(&f, 2);
}

TEST(lineage_spawn_path_approved)
{
	setup_spawn_path();
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_approved(t_name);
	/* One step only: A, B, B with the request in B. */
	setup(3);
	spawn_tree();
	bind_block(1, CTX_B);
	bind_block(2, CTX_B);
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_B, WARD_CTX_BYTES);
	check_approved(t_name);
	/* The topmost ancestor closed: B still records it as its parent. */
	EXPECT_EQ(ward_context_close(&core.contexts, CAPFIX_CTX), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	memcpy(req.context, CTX_B, WARD_CTX_BYTES);
	check_approved(t_name);
}

TEST(lineage_middle_block_unrelated_context_refused)
{
	/* A, A, U, C: block 2 bound to an unrelated open session. */
	uint16_t ic = 0;

	setup_spawn_path();
	bind_block(2, CTX_U);
	capfix_reseal(&f, 2);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* Refused before any use or nonce is spent. */
	EXPECT_EQ(used_of(f.ch.l[0].id), 0);
	EXPECT_EQ(used_of(f.ch.l[3].id), 0);
	EXPECT_EQ(ward_context_find(&core.contexts, CTX_C, &ic), WARD_OK);
	EXPECT_EQ(core.contexts.c[ic].hi, 0);
	/* U spawned from A (a sibling of B): A -> U holds, U -> C does not. */
	EXPECT_EQ(ward_context_close(&core.contexts, CTX_U), WARD_OK);
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_U, CAPFIX_CTX), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* The same chain with block 2 bound to B again is approved, with
	 * the nonce the refusals did not burn. */
	bind_block(2, CTX_B);
	capfix_reseal(&f, 2);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_approved(t_name);
}

TEST(lineage_broken_by_the_table_refused)
{
	/* A, A, B, C down the path, then the table changes under it. */
	setup_spawn_path();
	/* B closed: nothing records B -> A any more. */
	EXPECT_EQ(ward_context_close(&core.contexts, CTX_B), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* B reopened as a session. */
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_B, NULL), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* B reopened spawned from U: a parent, but not A. */
	EXPECT_EQ(ward_context_close(&core.contexts, CTX_B), WARD_OK);
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_B, CTX_U), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 3);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* B spawned from A again: approved. */
	EXPECT_EQ(ward_context_close(&core.contexts, CTX_B), WARD_OK);
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_B, CAPFIX_CTX), WARD_OK);
	request(WARD_OP_FS_READ, "/work/a.txt", 4);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_approved(t_name);
}

TEST(lineage_step_skipped_or_upward_refused)
{
	/* A, A, A, C: C was spawned from B, not A (a grandchild of A). */
	setup_spawn_path();
	bind_block(2, CAPFIX_CTX);
	capfix_reseal(&f, 2);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* A, B, A, A: back up to the parent. */
	setup(4);
	spawn_tree();
	bind_block(1, CTX_B);
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
}

TEST(lineage_checked_before_the_grant)
{
	/* Broken lineage and an operation the leaf does not grant: the
	 * lineage refusal comes first, where the leaf's context was checked. */
	setup_spawn_path();
	bind_block(2, CTX_U);
	capfix_reseal(&f, 2);
	request(WARD_OP_EXEC, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_CONTEXT, f.ch.l[3].id);
	/* With the lineage kept, the grant is what refuses. */
	bind_block(2, CTX_B);
	capfix_reseal(&f, 2);
	request(WARD_OP_EXEC, "/work/a.txt", 1);
	memcpy(req.context, CTX_C, WARD_CTX_BYTES);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[3].id);
}

TEST(write_with_read_only_leaf)
{
	setup(3);
	capfix_leaf(&f)->r_write = 0;
	capfix_leaf(&f)->r_invoke = 0;
	capfix_reseal(&f, 2);
	request(WARD_OP_FS_WRITE, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);	/* what it may do */
	check_approved(t_name);
}

TEST(operation_of_another_kind)
{
	/* An fs leaf with every right cannot approve a network connection or
	 * an exec, whatever the resource says. */
	setup(2);
	request(WARD_OP_NET_CONNECT, "/work", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[1].id);
	request(WARD_OP_EXEC, "/work/bin/sh", 2);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[1].id);
	request(WARD_OP_SECRET_USE, "/work/key", 3);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[1].id);
}

/* A one-block chain of kind kind, scope scope, with only the read right
 * (r_read) or only invoke (!r_read). */
static void
setup_kind(uint8_t kind, const char *scope, int r_read)
{
	setup(1);
	f.blk[0].kind = kind;
	f.blk[0].r_read = r_read ? 1 : 0;
	f.blk[0].r_invoke = r_read ? 0 : 1;
	f.blk[0].r_write = 0;
	capfix_set_scope(&f.blk[0], scope);
	capfix_reseal(&f, 0);
}

TEST(mcp_resource_read_needs_a_resource_capability)
{
	/* A tool capability over the whole server "fx" is not a resource
	 * capability over it, whatever its rights. */
	setup_kind(WARD_KIND_TOOL, "fx", 0);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	f.blk[0].r_read = 1;
	capfix_reseal(&f, 0);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 2);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	/* A prompt capability is not one either. */
	setup_kind(WARD_KIND_PROMPT, "fx", 1);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	/* A resource capability without the read right is not enough. */
	setup_kind(WARD_KIND_RESOURCE, "fx", 0);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	/* With read: every resource of fx, and of no other server. */
	setup_kind(WARD_KIND_RESOURCE, "fx", 1);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 1);
	check_approved(t_name);
	request(WARD_OP_RESOURCE_READ, "fxy:ui://app/index.html", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
	/* ... nor a tool or a prompt of fx. */
	request(WARD_OP_TOOL_INVOKE, "fx.echo", 3);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	request(WARD_OP_PROMPT_GET, "fx.simple", 4);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
}

TEST(mcp_resource_scope_is_server_scheme_or_exact_uri)
{
	/* "fx:ui:" covers fx's ui: resources; "fx:test://a" only itself. */
	setup_kind(WARD_KIND_RESOURCE, "fx:ui:", 1);
	request(WARD_OP_RESOURCE_READ, "fx:ui://app/index.html", 1);
	check_approved(t_name);
	request(WARD_OP_RESOURCE_READ, "fx:uix://app", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
	setup_kind(WARD_KIND_RESOURCE, "fx:test://a", 1);
	request(WARD_OP_RESOURCE_READ, "fx:test://a", 1);
	check_approved(t_name);
	request(WARD_OP_RESOURCE_READ, "fx:test://a/b", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
	request(WARD_OP_RESOURCE_READ, "fx:test://ab", 3);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
	/* An empty component ("::") is not canonical: refused. */
	setup_kind(WARD_KIND_RESOURCE, "fx", 1);
	request(WARD_OP_RESOURCE_READ, "fx:a::b", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
}

TEST(mcp_prompt_get_needs_a_prompt_capability)
{
	setup_kind(WARD_KIND_TOOL, "fx", 1);
	request(WARD_OP_PROMPT_GET, "fx.simple_prompt", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	setup_kind(WARD_KIND_PROMPT, "fx", 0);
	request(WARD_OP_PROMPT_GET, "fx.simple_prompt", 1);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
	setup_kind(WARD_KIND_PROMPT, "fx.simple_prompt", 1);
	request(WARD_OP_PROMPT_GET, "fx.simple_prompt", 1);
	check_approved(t_name);
	request(WARD_OP_PROMPT_GET, "fx.complex_prompt", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[0].id);
	request(WARD_OP_TOOL_INVOKE, "fx.simple_prompt", 3);
	check_refused(t_name, WARD_E_NOT_GRANTED, f.ch.l[0].id);
}

TEST(resource_out_of_scope_sibling_prefix)
{
	setup(3);
	request(WARD_OP_FS_READ, "/workshop/x", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
}

TEST(resource_out_of_scope_dotdot)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/../etc/passwd", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work/a/../../etc/passwd", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
}

TEST(resource_out_of_scope_noncanonical_forms)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/./a", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work//a", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work/..", 3);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
}

TEST(resource_out_of_scope_elsewhere)
{
	setup(3);
	request(WARD_OP_FS_READ, "/etc/passwd", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/", 2);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "*", 3);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
}

/* A resource under the leaf's "/work" with one byte outside 0x21 .. 0x7e
 * (an escape sequence for the operator's terminal, a line break for a
 * log, a NUL that cuts a C string): ward_approve itself refuses it,
 * OUT_OF_SCOPE and logged, whatever the process's decoder did.  The same
 * path with a printable byte there is approved. */
TEST(non_printable_resource_refused_by_ward_approve)
{
	static const uint8_t BAD[] = { 0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20,
				       0x7f, 0x80, 0xff };
	uint8_t res[] = "/work/a?b";
	uint64_t nonce = 1;
	size_t b;

	setup(3);
	for (b = 0; b < sizeof BAD; b++) {
		res[7] = BAD[b];
		request_bytes(WARD_OP_FS_READ, res, sizeof res - 1, nonce++);
		check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	}
	/* At the end of the path too: "/work/\x1b". */
	res[6] = 0x1b;
	request_bytes(WARD_OP_FS_READ, res, 7, nonce++);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	EXPECT(core.approval_seq == 0);
	res[6] = 'a';
	res[7] = '~';
	request_bytes(WARD_OP_FS_READ, res, sizeof res - 1, nonce++);
	check_approved(t_name);
}

TEST(noncanonical_leaf_scope_authorizes_nothing)
{
	/* test_chain.c (noncanonical_scope_dotdot_in_child) shows that a leaf
	 * scoped "/work/../etc" passes chain verification today.  It must
	 * still authorize nothing: every resource inside it is non-canonical
	 * and every canonical one is outside it.  Either refusal is right;
	 * an approval is not. */
	int r;

	setup(2);
	capfix_set_scope(capfix_leaf(&f), "/work/../etc");
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_READ, "/work/../etc/passwd", 1);
	r = ward_approve(&core, &alog, &req, &dec);
	EXPECT(r == WARD_E_OUT_OF_SCOPE || r == WARD_E_NONCANONICAL);
	request(WARD_OP_FS_READ, "/etc/passwd", 2);
	r = ward_approve(&core, &alog, &req, &dec);
	EXPECT(r == WARD_E_OUT_OF_SCOPE || r == WARD_E_NONCANONICAL);
	EXPECT(core.approval_seq == 0);
	EXPECT(alog.seq == 2);
}

/* ---- replay ----------------------------------------------------------------------------- */

TEST(replayed_nonce)
{
	setup(3);
	request(WARD_OP_FS_READ, "/work/a.txt", 5);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 5);
	check_refused(t_name, WARD_E_REPLAY, f.ch.l[2].id);
	/* Another resource does not make the nonce new. */
	request(WARD_OP_FS_READ, "/work/b.txt", 5);
	check_refused(t_name, WARD_E_REPLAY, f.ch.l[2].id);
	EXPECT_EQ(used_of(f.ch.l[2].id), 1);
}

TEST(zero_nonce_refused)
{
	setup(1);
	request(WARD_OP_FS_READ, "/work/a.txt", 0);
	check_refused(t_name, WARD_E_NONCE_STALE, f.ch.l[0].id);
}

TEST(nonce_older_than_window)
{
	setup(1);
	request(WARD_OP_FS_READ, "/work/a.txt", 100);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 100 - WARD_NONCE_WINDOW);
	check_refused(t_name, WARD_E_NONCE_STALE, f.ch.l[0].id);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_NONCE_STALE, f.ch.l[0].id);
}

TEST(nonce_is_per_context)
{
	/* The same nonce in another context is not a replay: each context
	 * has its own window (and its own chain).  Context B is spawned from
	 * the chain's root context, so a leaf bound to B keeps the lineage
	 * rule. */
	struct ward_block *l;

	setup(2);
	request(WARD_OP_FS_READ, "/work/a.txt", 7);
	check_approved(t_name);
	EXPECT_EQ(ward_context_open(&core.contexts, CTX_B, CAPFIX_CTX), WARD_OK);
	l = capfix_leaf(&f);
	memcpy(l->context, CTX_B, WARD_CTX_BYTES);
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_READ, "/work/a.txt", 7);
	memcpy(req.context, CTX_B, WARD_CTX_BYTES);
	check_approved(t_name);
}

TEST(refusal_does_not_burn_nonce)
{
	setup(3);
	request(WARD_OP_FS_READ, "/workshop/x", 7);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work/x", 7);
	check_approved(t_name);
}

/* ---- use counts --------------------------------------------------------------------------- */

TEST(use_count_exhausted)
{
	setup(3);
	capfix_leaf(&f)->max_uses = 2;
	capfix_reseal(&f, 2);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 3);
	check_refused(t_name, WARD_E_USES_EXHAUSTED, f.ch.l[2].id);
	request(WARD_OP_FS_READ, "/work/a.txt", 4);
	check_refused(t_name, WARD_E_USES_EXHAUSTED, f.ch.l[2].id);
	/* All or nothing: the refused attempts spent no ancestor's use. */
	EXPECT_EQ(used_of(f.ch.l[0].id), 2);
	EXPECT_EQ(used_of(f.ch.l[1].id), 2);
	EXPECT_EQ(used_of(f.ch.l[2].id), 2);
}

TEST(refusal_does_not_spend_uses)
{
	setup(2);
	capfix_leaf(&f)->max_uses = 2;
	capfix_reseal(&f, 1);
	request(WARD_OP_FS_WRITE, "/etc/x", 1);
	check_refused(t_name, WARD_E_OUT_OF_SCOPE, f.ch.l[1].id);
	request(WARD_OP_FS_READ, "/work/a.txt", 2);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 3);
	check_approved(t_name);
	request(WARD_OP_FS_READ, "/work/a.txt", 4);
	check_refused(t_name, WARD_E_USES_EXHAUSTED, f.ch.l[1].id);
}

/* A refusal leaves the ledger as it found it (refused_uses, approve.h):
 * the spend registers an entry for a new block before it finds the root
 * used up, and takes it back; every way is as live as before and every
 * live entry is byte for byte the same. */
TEST(refusal_leaves_the_ledger_as_it_was)
{
	static struct ward_ledger before;
	static struct ward_chain first;
	uint32_t k;

	setup(2);
	f.blk[0].max_uses = 1;
	f.blk[1].max_uses = 1;
	capfix_reseal(&f, 0);
	first = f.ch;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_approved(t_name);
	capfix_set_scope(&f.blk[1], "/work/other");
	capfix_reseal(&f, 1);
	EXPECT(ledger_of(first.l[1].id) != NULL);
	EXPECT(ledger_of(f.ch.l[1].id) == NULL);
	memcpy(&before, &core.ledger, sizeof before);
	request(WARD_OP_FS_READ, "/work/other/x", 2);
	check_refused(t_name, WARD_E_USES_EXHAUSTED, f.ch.l[1].id);
	EXPECT(ledger_of(f.ch.l[1].id) == NULL);
	for (k = 0; k < WARD_LEDGER_N; k++) {
		EXPECT_EQ(core.ledger.e[k].live, before.e[k].live);
		if (before.e[k].live == 1)
			EXPECT(memcmp(&core.ledger.e[k], &before.e[k],
				      sizeof before.e[k]) == 0);
	}
}

TEST(ten_children_cannot_multiply_root_budget)
{
	/* The root allows 5 uses.  Its holder delegates ten children, each
	 * claiming 5 uses of its own directory; across all of them, only 5
	 * approvals can ever be signed. */
	static struct ward_chain child[10];
	char scope[16], res[32];
	uint32_t k, round, ok = 0, exhausted = 0;
	uint64_t nonce = 1;
	int r;

	setup(2);
	f.blk[0].max_uses = 5;
	capfix_reseal(&f, 0);
	for (k = 0; k < 10; k++) {
		snprintf(scope, sizeof scope, "/work/c%u", k);
		capfix_set_scope(&f.blk[1], scope);
		f.blk[1].max_uses = 5;
		capfix_reseal(&f, 1);
		child[k] = f.ch;
	}
	for (round = 0; round < 3; round++)
		for (k = 0; k < 10; k++) {
			snprintf(res, sizeof res, "/work/c%u/f", k);
			request(WARD_OP_FS_READ, res, nonce++);
			req.chain = child[k];
			r = ward_approve(&core, &alog, &req, &dec);
			if (r == WARD_OK)
				ok++;
			else if (r == WARD_E_USES_EXHAUSTED)
				exhausted++;
		}
	EXPECT_EQ(ok, 5);
	EXPECT_EQ(exhausted, 25);
	EXPECT_EQ(used_of(f.ch.l[0].id), 5);
	EXPECT(core.approval_seq == 5);
	EXPECT(alog.seq == 30);
}

TEST(middle_block_budget_shared_by_children)
{
	/* The same through a middle block: root 1000 uses, middle 3, two
	 * leaves of 3 each under the middle: 3 approvals in all. */
	static struct ward_chain child[2];
	uint32_t k, ok = 0;
	uint64_t nonce = 1;
	int r;

	setup(3);
	f.blk[1].max_uses = 3;
	f.blk[2].max_uses = 3;
	capfix_reseal(&f, 1);
	child[0] = f.ch;
	capfix_set_scope(&f.blk[2], "/work/other");
	capfix_reseal(&f, 2);
	child[1] = f.ch;
	for (k = 0; k < 8; k++) {
		request(WARD_OP_FS_READ, "/work/other/x", nonce++);
		req.chain = child[k % 2];
		r = ward_approve(&core, &alog, &req, &dec);
		if (r == WARD_OK)
			ok++;
		else
			EXPECT_EQ(r, WARD_E_USES_EXHAUSTED);
	}
	EXPECT_EQ(ok, 3);
	EXPECT_EQ(used_of(f.ch.l[1].id), 3);
	EXPECT_EQ(used_of(f.ch.l[0].id), 3);
}

TEST(approval_sequence_exhausted)
{
	setup(1);
	core.approval_seq = UINT64_MAX;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	check_refused(t_name, WARD_E_EXHAUSTED, f.ch.l[0].id);
	EXPECT(ledger_of(f.ch.l[0].id) == NULL);
}

/* A full audit chain is refused before the spend (approve.h,
 * refused_exhausted): no use counted, no nonce burnt, the head kept. */
TEST(audit_chain_full_refused_before_spend)
{
	uint8_t head[WARD_ID_BYTES];

	setup(1);
	alog.seq = UINT64_MAX;
	memcpy(head, alog.head, WARD_ID_BYTES);
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	EXPECT_EQ(ward_approve(&core, &alog, &req, &dec), WARD_E_EXHAUSTED);
	EXPECT(dec.audit_pos == UINT64_MAX);
	EXPECT(alog.seq == UINT64_MAX);
	EXPECT(memcmp(alog.head, head, WARD_ID_BYTES) == 0);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_VERDICT], WARD_VERDICT_BLOCKED);
	EXPECT_EQ(dec.rec[WARD_REC_OFF_REASON], WARD_E_EXHAUSTED);
	EXPECT_EQ(dec.msg_len, 0);
	EXPECT(ledger_of(f.ch.l[0].id) == NULL);
	EXPECT(core.approval_seq == 0);
	/* With room in the chain again, the same nonce is still fresh. */
	alog.seq = 0;
	request(WARD_OP_FS_READ, "/work/a.txt", 1);
	EXPECT_EQ(ward_approve(&core, &alog, &req, &dec), WARD_OK);
}

/* ---- the audit chain over many decisions ------------------------------------------------------ */

TEST(every_decision_audited_in_order)
{
	/* Mixed verdicts; the head must be the fold of exactly these records,
	 * in this order. */
	static const uint8_t tag[16] = {
		'w', 'a', 'r', 'd', '.', 'v', '1', '.',
		'a', 'u', 'd', 'i', 't', 'l', 'n', 'k'
	};
	static const char *res[6] = {
		"/work/a", "/etc/x", "/work/b", "/work/c", "/workshop", "/work/d"
	};
	uint8_t head[WARD_ID_BYTES] = {0};
	uint32_t k;

	setup(3);
	for (k = 0; k < 6; k++) {
		crypto_generichash_state st;

		request(WARD_OP_FS_READ, res[k], k == 3 ? 1 : k + 1);
		(void)!ward_approve(&core, &alog, &req, &dec);
		EXPECT(dec.audit_pos == k);
		crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES);
		crypto_generichash_update(&st, tag, sizeof tag);
		crypto_generichash_update(&st, head, WARD_ID_BYTES);
		crypto_generichash_update(&st, dec.rec, dec.rec_len);
		crypto_generichash_final(&st, head, WARD_ID_BYTES);
	}
	EXPECT(alog.seq == 6);
	EXPECT(memcmp(alog.head, head, WARD_ID_BYTES) == 0);
	/* a, b, d approved; /etc/x and /workshop out of scope; c replays 1. */
	EXPECT(core.approval_seq == 3);
}

int
main(void)
{
	RUN(fs_read_in_scope_approved);
	RUN(mcp_resource_read_needs_a_resource_capability);
	RUN(mcp_resource_scope_is_server_scheme_or_exact_uri);
	RUN(mcp_prompt_get_needs_a_prompt_capability);
	RUN(resource_equal_to_scope_approved);
	RUN(second_approval_advances_sequence_and_uses);
	RUN(unpersisted_reservation_reported_again);
	RUN(approval_expiry_capped_by_leaf_window);
	RUN(nonces_out_of_order_inside_window_approved);
	RUN(unknown_context);
	RUN(closed_context);
	RUN(unknown_operation);
	RUN(resource_length_out_of_range_unlogged);
	RUN(forged_chain_refused_and_logged);
	RUN(expired_chain_refused);
	RUN(revoked_parent_mid_run);
	RUN(chain_refused_for_its_first_broken_rule);
	RUN(malformed_record_names_the_leaf_only_after_the_chain);
	RUN(wrong_context_on_leaf);
	RUN(lineage_spawn_path_approved);
	RUN(lineage_middle_block_unrelated_context_refused);
	RUN(lineage_broken_by_the_table_refused);
	RUN(lineage_step_skipped_or_upward_refused);
	RUN(lineage_checked_before_the_grant);
	RUN(write_with_read_only_leaf);
	RUN(operation_of_another_kind);
	RUN(resource_out_of_scope_sibling_prefix);
	RUN(resource_out_of_scope_dotdot);
	RUN(resource_out_of_scope_noncanonical_forms);
	RUN(resource_out_of_scope_elsewhere);
	RUN(non_printable_resource_refused_by_ward_approve);
	RUN(noncanonical_leaf_scope_authorizes_nothing);
	RUN(replayed_nonce);
	RUN(zero_nonce_refused);
	RUN(nonce_older_than_window);
	RUN(nonce_is_per_context);
	RUN(refusal_does_not_burn_nonce);
	RUN(use_count_exhausted);
	RUN(refusal_does_not_spend_uses);
	RUN(refusal_leaves_the_ledger_as_it_was);
	RUN(ten_children_cannot_multiply_root_budget);
	RUN(middle_block_budget_shared_by_children);
	RUN(approval_sequence_exhausted);
	RUN(audit_chain_full_refused_before_spend);
	RUN(every_decision_audited_in_order);
	T_EXIT();
}
