/*
 * approve.h -- the approval decision: the one function through which every
 * effect passes.  It composes the context table, chain verification, the
 * leaf's grant of the operation and resource, the nonce window, the use
 * ledger and the audit chain, and either refuses with a reason code or
 * signs an approval.  Every decision, either way, is appended to the audit
 * chain; an approval is only signed once its record is in the chain.
 */
#ifndef WARD_APPROVE_H
#define WARD_APPROVE_H

#include "ward.h"
#include "crypto.h"
#include "codec.h"
#include "attenuate.h"
#include "revoke.h"
#include "chain.h"
#include "ledger.h"
#include "context.h"

/* The ledger as the spend saw it when it refused, before the entries it
 * registered for the request were taken back (spend_undo, approve.c):
 * the state a ledger refusal's cause is stated of (refused_ledger).  Ghost
 * state: the proof's, not the program's; it costs nothing at run time. */
/*@ ghost extern struct ward_ledger ward_ledger_seen; */

/* The verdict ward_chain_check returned on the request's decoded chain, in
 * the state it checked it in (chain_step, approve.c), whose contract says
 * it is the first rule the chain breaks (first, chain_first in chain.h):
 * what a refusal for a reason of the checks returns (refused_checked).
 * Ghost state, like ward_ledger_seen. */
/*@ ghost extern int ward_chain_verdict; */

/* The status of the decision's last append to the audit chain (WARD_OK,
 * or ward_audit_append's error), or -1 when a refusal's record failed the
 * core's own check and was not appended (log_decision and log_refusal,
 * approve.c): what says why a refusal's record is missing
 * (appended_unless_failed).  Ghost state, like ward_ledger_seen. */
/*@ ghost extern int ward_audit_status; */
#include "audit.h"

/* Approval message: fixed header, then the resource.  Signed under the
 * "ward.v1.approval" domain tag (crypto.c). */
#define WARD_APR_OFF_SEQ 0u		/* be64 approval sequence number */
#define WARD_APR_OFF_CONTEXT 8u		/* 16 bytes */
#define WARD_APR_OFF_LEAF 24u		/* 32 bytes, leaf block id */
#define WARD_APR_OFF_OP 56u		/* 1 byte */
#define WARD_APR_OFF_DIGEST 57u		/* 32 bytes, digest of parameters */
#define WARD_APR_OFF_NONCE 89u		/* be64 */
#define WARD_APR_OFF_ISSUED 97u		/* be64 */
#define WARD_APR_OFF_EXPIRY 105u	/* be64 */
#define WARD_APR_OFF_AUDIT 113u		/* be64 audit position */
#define WARD_APR_OFF_RLEN 121u		/* be16 resource length */
#define WARD_APR_OFF_RES 123u
#define WARD_APR_MAX (WARD_APR_OFF_RES + WARD_SCOPE_MAX)

/* Audit record of a decision. */
#define WARD_REC_DECISION 1u
#define WARD_VERDICT_ALLOWED 1u
#define WARD_VERDICT_BLOCKED 2u
#define WARD_REC_OFF_TYPE 0u
#define WARD_REC_OFF_VERDICT 1u
#define WARD_REC_OFF_REASON 2u
#define WARD_REC_OFF_OP 3u
#define WARD_REC_OFF_CONTEXT 4u		/* 16 */
#define WARD_REC_OFF_LEAF 20u		/* 32, zero if no verified chain */
#define WARD_REC_OFF_DIGEST 52u		/* 32 */
#define WARD_REC_OFF_NONCE 84u		/* be64 */
#define WARD_REC_OFF_TIME 92u		/* be64 */
#define WARD_REC_OFF_SEQ 100u		/* be64 approval seq, 0 if blocked */
#define WARD_REC_OFF_USED 108u		/* be32 leaf uses after, 0 if blocked */
#define WARD_REC_OFF_MAX 112u		/* be32 leaf max uses, 0 if blocked */
#define WARD_REC_OFF_RLEN 116u		/* be16 */
#define WARD_REC_OFF_RES 118u
#define WARD_REC_MAX (WARD_REC_OFF_RES + WARD_SCOPE_MAX)

/* Everything the core decides with. */
struct ward_core {
	uint8_t sk[WARD_SK_BYTES];	/* the core's approval signing key */
	struct ward_trust trust;
	struct ward_revset revoked;
	struct ward_ledger ledger;
	struct ward_contexts contexts;
	uint64_t approval_seq;		/* approvals signed so far */
};

/*
 * The audit chain is not a member of struct ward_core but an object of its
 * own, passed beside it.  That is for the proof: appending a record writes
 * the chain's head, and a write to another object is a frame the provers
 * carry at once, where a write to another member of the same object makes
 * them re-derive every quantified part of core_ok.
 */

/* One request for an effect, as the process decoded it. */
struct ward_request {
	uint8_t context[WARD_CTX_BYTES];
	uint8_t op;
	uint16_t resource_len;
	uint8_t resource[WARD_SCOPE_MAX];
	uint8_t digest[WARD_ID_BYTES];	/* of the canonical parameters */
	uint64_t nonce;
	uint64_t now;			/* the core's clock, seconds */
	struct ward_chain chain;	/* wire bytes in; decoded by the core */
};

/* The outcome: an approval (when the result is WARD_OK) and, always, the
 * audit record of the decision. */
struct ward_decision {
	uint64_t audit_pos;		/* UINT64_MAX if the record failed */
	uint16_t rec_len;
	uint8_t rec[WARD_REC_MAX];
	uint16_t msg_len;
	uint8_t msg[WARD_APR_MAX];
	uint8_t sig[WARD_SIG_BYTES];
	uint16_t n_dirty;		/* ledger slots to persist first */
	uint16_t dirty[WARD_CHAIN_MAX];
};
/*
 * The lengths and the dirty slots are uint16_t for the proof: no part of
 * core_ok reads a uint16_t, so WP keeps writes to them in a memory of
 * their own and the core's invariant is carried across them unchanged.
 */

/*
 * What a decision record carries (the layout above): a decision record
 * with that verdict and reason, for the request's op, context, digest,
 * nonce and resource (length and bytes); rec_leaf: the leaf id field is
 * the id of the chain's leaf, as the core decoded it.
 */
/*@
  // The big-endian bytes of v at p, byte by byte (the k-th from the end
  // is v / 256^k % 256), not as be64_at (codec.h): a function with
  // be64_at's definition anywhere in its goals' context was slower in every
  // goal, even in frame steps that do not use it (measured: refuse's
  // k_par1, 0.4 s, timed out at 10 s); the bytes written out cost nothing.
  predicate be64_bytes{L}(uint8_t *p, integer v) =
    p[0] == v / 72057594037927936 % 256 && p[1] == v / 281474976710656 % 256 &&
    p[2] == v / 1099511627776 % 256 && p[3] == v / 4294967296 % 256 &&
    p[4] == v / 16777216 % 256 && p[5] == v / 65536 % 256 &&
    p[6] == v / 256 % 256 && p[7] == v % 256;

  predicate be16_bytes{L}(uint8_t *p, integer v) =
    p[0] == v / 256 % 256 && p[1] == v % 256;

  predicate rec_carries{L}(struct ward_decision *o, struct ward_request *r,
                           integer verdict, integer reason) =
    o->rec_len == WARD_REC_OFF_RES + r->resource_len &&
    o->rec[WARD_REC_OFF_TYPE] == WARD_REC_DECISION &&
    o->rec[WARD_REC_OFF_VERDICT] == verdict &&
    o->rec[WARD_REC_OFF_REASON] == reason &&
    o->rec[WARD_REC_OFF_OP] == r->op &&
    (\forall integer j; 0 <= j < WARD_CTX_BYTES ==>
       o->rec[WARD_REC_OFF_CONTEXT + j] == r->context[j]) &&
    (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
       o->rec[WARD_REC_OFF_DIGEST + j] == r->digest[j]) &&
    be64_bytes(&o->rec[WARD_REC_OFF_NONCE], r->nonce) &&
    be16_bytes(&o->rec[WARD_REC_OFF_RLEN], r->resource_len) &&
    (\forall integer j; 0 <= j < r->resource_len ==>
       o->rec[WARD_REC_OFF_RES + j] == r->resource[j]);

  predicate rec_leaf{L}(struct ward_decision *o, struct ward_request *r) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==>
      o->rec[WARD_REC_OFF_LEAF + j] == r->chain.l[r->chain.n - 1].id[j];
*/

/*
 * What an approval message carries (the layout above): the sequence number
 * seq, the request's context, op, digest, nonce, time and resource (length
 * and bytes), and the audit position pos of its record; msg_leaf: the leaf
 * id field is the id of the chain's leaf; msg_expiry: the expiry is no
 * later than the end of any block's window, nor than the request's time
 * plus WARD_APPROVAL_TTL.
 */
/*@
  predicate msg_carries{L}(struct ward_decision *o, struct ward_request *r,
                           integer seq, integer pos) =
    o->msg_len == WARD_APR_OFF_RES + r->resource_len &&
    be64_at(&o->msg[WARD_APR_OFF_SEQ], 0) == seq &&
    (\forall integer j; 0 <= j < WARD_CTX_BYTES ==>
       o->msg[WARD_APR_OFF_CONTEXT + j] == r->context[j]) &&
    o->msg[WARD_APR_OFF_OP] == r->op &&
    (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
       o->msg[WARD_APR_OFF_DIGEST + j] == r->digest[j]) &&
    be64_at(&o->msg[WARD_APR_OFF_NONCE], 0) == r->nonce &&
    be64_at(&o->msg[WARD_APR_OFF_ISSUED], 0) == r->now &&
    be64_at(&o->msg[WARD_APR_OFF_AUDIT], 0) == pos &&
    be16_at(&o->msg[WARD_APR_OFF_RLEN], 0) == r->resource_len &&
    (\forall integer j; 0 <= j < r->resource_len ==>
       o->msg[WARD_APR_OFF_RES + j] == r->resource[j]);

  predicate msg_leaf{L}(struct ward_decision *o, struct ward_request *r) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==>
      o->msg[WARD_APR_OFF_LEAF + j] == r->chain.l[r->chain.n - 1].id[j];

  predicate msg_expiry{L}(struct ward_decision *o, struct ward_request *r) =
    be64_at(&o->msg[WARD_APR_OFF_EXPIRY], 0) <= r->now + WARD_APPROVAL_TTL &&
    \forall integer i; 0 <= i < r->chain.n ==>
      be64_at(&o->msg[WARD_APR_OFF_EXPIRY], 0) <= r->chain.l[i].b.not_after;
*/

/*@ // The record and the message of an approval carry its request.
  predicate approval_carries{L}(struct ward_core *c, struct ward_request *r,
                                struct ward_decision *o) =
    rec_carries(o, r, WARD_VERDICT_ALLOWED, WARD_OK) && rec_leaf(o, r) &&
    msg_carries(o, r, c->approval_seq, o->audit_pos) && msg_leaf(o, r) &&
    msg_expiry(o, r);
*/

/*@ // The decision's record: a decision record with that verdict and
  // reason (the rest of its layout: rec_carries).
  predicate rec_verdict{L}(struct ward_decision *o, integer verdict,
                           integer reason) =
    o->rec[WARD_REC_OFF_TYPE] == WARD_REC_DECISION &&
    o->rec[WARD_REC_OFF_VERDICT] == verdict &&
    o->rec[WARD_REC_OFF_REASON] == reason;

  // The audit chain grew by one record, at the position out->audit_pos
  // names, or, if the append failed (audit_pos UINT64_MAX), not at all.
  predicate logged_once{L1, L2}(struct ward_audit *a, struct ward_decision *o) =
    (\at(o->audit_pos, L2) == \at(a->seq, L1) &&
     \at(a->seq, L2) == \at(a->seq, L1) + 1) ||
    (\at(o->audit_pos, L2) == UINT64_MAX &&
     \at(a->seq, L2) == \at(a->seq, L1));

  // The decision's record was appended (o->audit_pos names its position:
  // logged_once), unless the append failed: the audit chain was full, or
  // the record's hash could not be computed (ward_audit_status, the
  // append's status, set by log_decision in approve.c).
  // One state: with logged_once, a log that did not grow is as it was,
  // so a full one was full before (measured: over two states, in
  // approve_decide's context, two frame steps timed out at 10 s).
  predicate appended_unless_failed{L}(struct ward_audit *a,
                                      struct ward_decision *o) =
    o->audit_pos != UINT64_MAX ||
    (ward_audit_status == WARD_E_EXHAUSTED && a->seq == UINT64_MAX) ||
    ward_audit_status == WARD_E_CRYPTO;

  // A refusal's record: BLOCKED with the reason, or, for a CRYPTO after
  // the uses were spent, the ALLOWED record of the approval that could
  // not be issued.
  predicate refusal_record{L}(struct ward_decision *o, integer reason) =
    rec_verdict(o, WARD_VERDICT_BLOCKED, reason) ||
    (reason == WARD_E_CRYPTO && rec_verdict(o, WARD_VERDICT_ALLOWED, WARD_OK));

  // A refusal's BLOCKED record, once logged (o->audit_pos names its
  // position), carries the request it refused: its op, context, digest,
  // nonce and resource (rec_carries).
  predicate refusal_carries{L}(struct ward_decision *o, struct ward_request *r,
                               integer reason) =
    o->audit_pos != UINT64_MAX &&
    o->rec[WARD_REC_OFF_VERDICT] == WARD_VERDICT_BLOCKED ==>
      rec_carries(o, r, WARD_VERDICT_BLOCKED, reason);
*/

/*@ // The leaf id field of a refusal's BLOCKED record.  The reasons
  // decided once the chain verified (the leaf's rules, the nonce, the
  // approval counter, the ledger: leaf_named) name the chain's leaf; those
  // decided before (the op, the context, the chain's encoding, length and
  // rules: leaf_unnamed) name none, all zero.  Every other reason
  // (MALFORMED and CRYPTO, which can be decided either side of the chain:
  // MALFORMED of the encoding or of the ledger, CRYPTO of a hash in the
  // chain or of the nonce's re-check after it) names one or the other:
  // all zero, or the chain's leaf, never any other id; which one is the
  // leaf its caller passed (refusal_side, checked by log_refusal in
  // approve.c), and for MALFORMED the cause (refused_malformed).
  predicate leaf_named(integer r) =
    r == WARD_E_CONTEXT || r == WARD_E_NOT_GRANTED ||
    r == WARD_E_OUT_OF_SCOPE || r == WARD_E_REPLAY ||
    r == WARD_E_NONCE_STALE || r == WARD_E_EXHAUSTED ||
    r == WARD_E_LEDGER_FULL || r == WARD_E_USES_EXHAUSTED;

  predicate leaf_unnamed(integer r) =
    (WARD_E_VERSION <= r <= WARD_E_EXPIRED) || r == WARD_E_CYCLE ||
    r == WARD_E_OP || r == WARD_E_CONTEXT_UNKNOWN;

  // All zero, the 32 bytes written out: read at fixed offsets, each byte
  // is carried across a write by WP's simplifier, where a quantified form
  // read at o->rec[20 + j] gave the provers no trigger (measured: the step
  // across log_refusal's append took 4.9 s, its unfolded form timed out).
  predicate zero32{L}(uint8_t *p) =
    p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0 &&
    p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] == 0 &&
    p[8] == 0 && p[9] == 0 && p[10] == 0 && p[11] == 0 &&
    p[12] == 0 && p[13] == 0 && p[14] == 0 && p[15] == 0 &&
    p[16] == 0 && p[17] == 0 && p[18] == 0 && p[19] == 0 &&
    p[20] == 0 && p[21] == 0 && p[22] == 0 && p[23] == 0 &&
    p[24] == 0 && p[25] == 0 && p[26] == 0 && p[27] == 0 &&
    p[28] == 0 && p[29] == 0 && p[30] == 0 && p[31] == 0;

  predicate rec_leaf_zero{L}(struct ward_decision *o) =
    o->rec[WARD_REC_OFF_LEAF + 0] == 0 && o->rec[WARD_REC_OFF_LEAF + 1] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 2] == 0 && o->rec[WARD_REC_OFF_LEAF + 3] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 4] == 0 && o->rec[WARD_REC_OFF_LEAF + 5] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 6] == 0 && o->rec[WARD_REC_OFF_LEAF + 7] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 8] == 0 && o->rec[WARD_REC_OFF_LEAF + 9] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 10] == 0 && o->rec[WARD_REC_OFF_LEAF + 11] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 12] == 0 && o->rec[WARD_REC_OFF_LEAF + 13] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 14] == 0 && o->rec[WARD_REC_OFF_LEAF + 15] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 16] == 0 && o->rec[WARD_REC_OFF_LEAF + 17] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 18] == 0 && o->rec[WARD_REC_OFF_LEAF + 19] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 20] == 0 && o->rec[WARD_REC_OFF_LEAF + 21] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 22] == 0 && o->rec[WARD_REC_OFF_LEAF + 23] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 24] == 0 && o->rec[WARD_REC_OFF_LEAF + 25] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 26] == 0 && o->rec[WARD_REC_OFF_LEAF + 27] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 28] == 0 && o->rec[WARD_REC_OFF_LEAF + 29] == 0 &&
    o->rec[WARD_REC_OFF_LEAF + 30] == 0 && o->rec[WARD_REC_OFF_LEAF + 31] == 0;

  // The record's leaf id field as the reason has it.
  predicate leaf_field_ok{L}(struct ward_decision *o, struct ward_request *r,
                             integer reason) =
    (leaf_named(reason) ==>
       1 <= r->chain.n <= WARD_CHAIN_MAX && rec_leaf(o, r)) &&
    (leaf_unnamed(reason) ==> rec_leaf_zero(o)) &&
    (!leaf_named(reason) && !leaf_unnamed(reason) ==>
       rec_leaf_zero(o) || (1 <= r->chain.n <= WARD_CHAIN_MAX && rec_leaf(o, r)));

  // A refusal's BLOCKED record, once logged, names the leaf as above.
  predicate refusal_leaf{L}(struct ward_decision *o, struct ward_request *r,
                            integer reason) =
    o->audit_pos != UINT64_MAX &&
    o->rec[WARD_REC_OFF_VERDICT] == WARD_VERDICT_BLOCKED ==>
      leaf_field_ok(o, r, reason);

  // Which side of the chain a MALFORMED record was decided on: one decided
  // before the chain (its wire bytes) names no leaf, all zero; one decided
  // after it (the ledger) names the chain's leaf (refused_malformed on
  // ward_approve).  Each caller of refuse passes the leaf it names, and
  // log_refusal checks the record against that leaf.
  predicate refusal_zeroed{L}(struct ward_decision *o) =
    o->audit_pos != UINT64_MAX &&
    o->rec[WARD_REC_OFF_VERDICT] == WARD_VERDICT_BLOCKED ==>
      rec_leaf_zero(o);

  predicate refusal_named{L}(struct ward_decision *o, struct ward_request *r) =
    o->audit_pos != UINT64_MAX &&
    o->rec[WARD_REC_OFF_VERDICT] == WARD_VERDICT_BLOCKED ==>
      1 <= r->chain.n <= WARD_CHAIN_MAX && rec_leaf(o, r);

*/

/*@ predicate core_ok{L}(struct ward_core *c) =
      trust_ok(&c->trust) && revset_ok(&c->revoked) &&
      ledger_ok(&c->ledger) && contexts_ok(&c->contexts);
*/

/*
 * The authority behind an approval: the predicate the theorem below says
 * every approval implies.  In words, the request's chain is valid at the
 * request's time (chain_valid, chain.h: every block and id those of the
 * wire bytes the core received, in the state it returns in (link_decoded:
 * the bytes are exactly the block's encoding; link_id_ok: the id is the
 * hash of their body), signed, linked, attenuated at every link, rooted in a
 * trusted key, no block revoked, every block in its window); the leaf's
 * kind and rights grant the operation; the resource is canonical and
 * within the leaf's scope; the request's context is open; and the chain
 * keeps the lineage rule: the leaf is bound to the request's context and
 * every other block to its child's context or to the context that one was
 * spawned from (chain_lineage, context.h), so that every block is bound to
 * the request's context or to one of its ancestors.
 */
/*@
  predicate leaf_grants{L}(struct ward_block *b, integer op) =
    b->kind == op_kind(op) && op_granted(b, op);

  predicate leaf_covers{L}(struct ward_block *b, uint8_t *res, integer len) =
    scope_canonical(b->kind, res, len) &&
    scope_within(b->kind, res, len, &b->scope[0], b->scope_len);

  predicate authorized{L}(struct ward_core *c, struct ward_request *r) =
    chain_valid(&r->chain, &c->trust, &c->revoked, r->now) &&
    leaf_grants(&r->chain.l[r->chain.n - 1].b, r->op) &&
    leaf_covers(&r->chain.l[r->chain.n - 1].b, &r->resource[0],
                r->resource_len) &&
    ctx_known(&c->contexts, &r->context[0]) &&
    chain_lineage(&c->contexts, &r->chain, &r->context[0]);

  // The leaf's rules as the decision checks them, in this order: the
  // lineage (CONTEXT), the operation (NOT_GRANTED), the resource
  // (OUT_OF_SCOPE).  leaf_refused(c, r, reason): the chain has a leaf, and
  // reason is the first of its rules the request breaks (leaf_rules in
  // approve.c; kept by refuse and decision_unsign, stated by approve_check
  // and by the theorem below, refused_leaf).
  predicate leaf_refused{L}(struct ward_core *c, struct ward_request *r,
                            integer reason) =
    1 <= r->chain.n <= WARD_CHAIN_MAX &&
    ((reason == WARD_E_CONTEXT &&
       !chain_lineage(&c->contexts, &r->chain, &r->context[0])) ||
    (reason == WARD_E_NOT_GRANTED &&
       chain_lineage(&c->contexts, &r->chain, &r->context[0]) &&
       !leaf_grants(&r->chain.l[r->chain.n - 1].b, r->op)) ||
    (reason == WARD_E_OUT_OF_SCOPE &&
       chain_lineage(&c->contexts, &r->chain, &r->context[0]) &&
       leaf_grants(&r->chain.l[r->chain.n - 1].b, r->op) &&
       !leaf_covers(&r->chain.l[r->chain.n - 1].b, &r->resource[0],
                    r->resource_len)));

  // The nonce n in the open context whose 16 bytes are at ctx: fresh (not
  // refused: neither zero, nor older than the window, nor seen), or
  // recorded (refused from now on: a replay of it is refused).
  predicate nonce_fresh_in{L}(struct ward_contexts *t, integer i,
                              uint8_t *ctx, integer n) =
    0 <= i < WARD_CTX_MAX && t->c[i].open == 1 &&
    ctx_is(t, i, ctx) && !nonce_refused(t, i, n);

  predicate nonce_fresh{L}(struct ward_contexts *t, uint8_t *ctx,
                           integer n) =
    \exists integer i; nonce_fresh_in(t, i, ctx, n);

  predicate nonce_recorded{L}(struct ward_contexts *t, uint8_t *ctx,
                              integer n) =
    \exists integer i; 0 <= i < WARD_CTX_MAX && t->c[i].open == 1 &&
      ctx_is(t, i, ctx) && nonce_refused(t, i, n);

  // The ledger's rules as the spend checks them (approve_spend in
  // approve.c), in this order: block by block from the root, an entry for
  // the block's id with the block's max (MALFORMED: one with another max;
  // LEDGER_FULL: none, and no free way in the id's home bucket); then no
  // id twice in the chain (MALFORMED); then a use left on every block
  // (USES_EXHAUSTED).  ledger_refused(l, ch, reason): reason is the first
  // of those rules the chain breaks, in the ledger the spend saw when it
  // refused: the ledger the request arrived in, with the entries the spend
  // registered for the blocks before the one refused, holding nothing
  // (ledger_below), which the refusal then takes back (refused_uses).
  predicate block_entry{L}(struct ward_ledger *l, struct ward_chain *ch,
                           integer k) =
    ledger_has_max(l, &ch->l[k].id[0], ch->l[k].b.max_uses);

  predicate chain_entries{L}(struct ward_ledger *l, struct ward_chain *ch,
                             integer m) =
    \forall integer k; 0 <= k < m ==> block_entry(l, ch, k);

  predicate chain_ids_twice{L}(struct ward_chain *ch) =
    \exists integer a, b; 0 <= a < b < ch->n &&
      same_bytes(&ch->l[a].id[0], &ch->l[b].id[0], WARD_ID_BYTES);

  predicate ledger_used_up{L}(struct ward_ledger *l, uint8_t *id) =
    \exists integer e; 0 <= e < WARD_LEDGER_N && l->e[e].live == 1 &&
      lentry_is(l, e, id) && l->e[e].used >= l->e[e].max;

  predicate block_no_room{L}(struct ward_ledger *l, struct ward_chain *ch,
                             integer k) =
    !ledger_has(l, &ch->l[k].id[0]) &&
    ledger_bucket_full(l, home(&ch->l[k].id[0]));

  predicate block_other_max{L}(struct ward_ledger *l, struct ward_chain *ch,
                               integer k) =
    ledger_has(l, &ch->l[k].id[0]) && !block_entry(l, ch, k);

  predicate ledger_refused{L}(struct ward_ledger *l, struct ward_chain *ch,
                              integer reason) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    ((reason == WARD_E_LEDGER_FULL &&
       \exists integer k; 0 <= k < ch->n && chain_entries(l, ch, k) &&
         block_no_room(l, ch, k)) ||
    (reason == WARD_E_MALFORMED &&
       \exists integer k; 0 <= k < ch->n && chain_entries(l, ch, k) &&
         block_other_max(l, ch, k)) ||
    (reason == WARD_E_MALFORMED &&
       chain_entries(l, ch, ch->n) && chain_ids_twice(ch)) ||
    (reason == WARD_E_USES_EXHAUSTED &&
       chain_entries(l, ch, ch->n) && !chain_ids_twice(ch) &&
       \exists integer k; 0 <= k < ch->n &&
         ledger_used_up(l, &ch->l[k].id[0])));

  // s is the ledger l with entries registered for blocks of the chain and
  // nothing else: every entry live in l is in s as it is in l, and every
  // entry live in s and not in l holds a block's id of the chain, with no
  // use spent or reserved.  (ward_approve: s the ledger the spend saw, l
  // the one the refusal leaves, which is the one the request arrived in.)
  predicate ledger_below{L}(struct ward_ledger *l, struct ward_ledger *s,
                            struct ward_chain *ch) =
    \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      (l->e[k].live == 1 ==>
         s->e[k].live == 1 && s->e[k].used == l->e[k].used &&
         s->e[k].reserved == l->e[k].reserved &&
         s->e[k].dirty == l->e[k].dirty && s->e[k].max == l->e[k].max &&
         \forall integer j; 0 <= j < WARD_ID_BYTES ==>
           s->e[k].id[j] == l->e[k].id[j]) &&
      (l->e[k].live != 1 && s->e[k].live == 1 ==>
         s->e[k].used == 0 && s->e[k].reserved == 0 && s->e[k].dirty == 0 &&
         \exists integer i; 0 <= i < ch->n && lentry_is(s, k, &ch->l[i].id[0]));

  // The chain's length, ids and maxes, the same at P and Q.
  predicate chain_ids_same{P, Q}(struct ward_chain *ch) =
    \at(ch->n, Q) == \at(ch->n, P) &&
    \forall integer i; 0 <= i < WARD_CHAIN_MAX ==>
      \at(ch->l[i].b.max_uses, Q) == \at(ch->l[i].b.max_uses, P) &&
      \forall integer j; 0 <= j < WARD_ID_BYTES ==>
        \at(ch->l[i].id[j], Q) == \at(ch->l[i].id[j], P);




  // The ledger's rules, the same of b at Q as of a at P when b at Q is a
  // copy of a at P: the steps of ledger_refused_copied.  Here, before the
  // lemmas of approve.c, so that those are not hypotheses of these
  // (measured: after them, room_copied and a step as plain as
  // "a copy has the same live ways" timed out at 10 s).  The order is
  // measured too, each lemma being a hypothesis of the ones after it:
  // used_up_copied last took 6.2 s, first 0.2 s; and a step "home is the
  // same when the chain is", which needs no ledger_copy to fire, slowed
  // approve.c's pair_cause_moved from 1.3 s to 4.3 s (all of these alone,
  // z3 and cvc4, one goal at a time).
  lemma used_up_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer k;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
      0 <= k < WARD_CHAIN_MAX ==>
        (\at(ledger_used_up(a, &ch->l[k].id[0]), P) <==>
         \at(ledger_used_up(b, &ch->l[k].id[0]), Q));

  lemma has_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer k;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
      0 <= k < WARD_CHAIN_MAX ==>
        (\at(ledger_has(a, &ch->l[k].id[0]), P) <==>
         \at(ledger_has(b, &ch->l[k].id[0]), Q));

  lemma entry_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer k;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
      0 <= k < WARD_CHAIN_MAX ==>
        (\at(block_entry(a, ch, k), P) <==> \at(block_entry(b, ch, k), Q));

  lemma full_copied{P, Q}:
    \forall struct ward_ledger *a, *b, integer x;
      ledger_copy{P, Q}(a, b) ==> 0 <= x < WARD_BUCKETS ==>
        (\at(ledger_bucket_full(a, x), P) <==>
         \at(ledger_bucket_full(b, x), Q));

  lemma room_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer k;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
      0 <= k < WARD_CHAIN_MAX ==>
        (\at(block_no_room(a, ch, k), P) <==> \at(block_no_room(b, ch, k), Q));

  lemma entries_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer m;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
      0 <= m <= WARD_CHAIN_MAX ==>
        (\at(chain_entries(a, ch, m), P) <==> \at(chain_entries(b, ch, m), Q));

  lemma pair_moved{P, Q}: \forall struct ward_chain *ch, integer a, b;
    chain_ids_same{P, Q}(ch) ==> 0 <= a < WARD_CHAIN_MAX ==>
    0 <= b < WARD_CHAIN_MAX ==>
      (\at(same_bytes(&ch->l[a].id[0], &ch->l[b].id[0], WARD_ID_BYTES), P) <==>
       \at(same_bytes(&ch->l[a].id[0], &ch->l[b].id[0], WARD_ID_BYTES), Q));

  lemma twice_moved{P, Q}: \forall struct ward_chain *ch;
    chain_ids_same{P, Q}(ch) ==> \at(ch->n, P) <= WARD_CHAIN_MAX ==>
      (\at(chain_ids_twice(ch), P) <==> \at(chain_ids_twice(ch), Q));

  // A ledger's refusal, of a at P and of its copy b at Q (spend_undo).
  lemma ledger_refused_copied{P, Q}:
    \forall struct ward_ledger *a, *b, struct ward_chain *ch, integer reason;
      ledger_copy{P, Q}(a, b) ==> chain_ids_same{P, Q}(ch) ==>
        \at(ledger_refused(a, ch, reason), P) ==>
          \at(ledger_refused(b, ch, reason), Q);
*/

/*
 * The decision, and the theorem this library exists for.
 *
 * approved_authorized: ward_approve returns WARD_OK only if authorized
 * holds of the request in the state it returns in: a chain the core
 * decoded itself and found valid at req->now (signed, linked, attenuated,
 * rooted in a trusted key, no block revoked, every block in its window),
 * whose leaf grants req->op on a canonical resource within its scope,
 * bound to an open context, every block of it bound to that context or to
 * one of its ancestors (approved_lineage, by ctx_lineage).  The approval
 * is then signed with the core's key; every block of the chain has
 * exactly one more use in the ledger than before (one, if its id had no
 * entry) and no more than its max (approved_uses: ledger_spent_id,
 * ledger.h); the nonce, fresh in the request's context before, is
 * recorded there after (approved_nonce: a replay of it is refused); and
 * exactly one record is appended to the audit chain before the signature
 * (log->seq one more).  A refusal signs nothing and moves no approval
 * counter; a refusal for any reason but CRYPTO leaves the ledger as it
 * was (refused_uses, ledger_unchanged: the same ways live, every live
 * entry untouched; the entries the spend registered for the request's
 * blocks are taken back) and every nonce window as it was
 * (refused_windows).  Both counters, the approval sequence number
 * and the audit chain's, are checked before the spend, so EXHAUSTED is a
 * refusal like the others.  Only CRYPTO can come after the spend (a hash
 * or a signature that failed, or a re-check that refused): then either no
 * use count moved or every block of the chain has one more use, as for an
 * approval (failed_uses).  The resource an approval names is printable ASCII
 * without the space (scope_printable, attenuate.h: a byte outside
 * 0x21 .. 0x7e is refused OUT_OF_SCOPE).
 *
 * What an approval says (approved_position, approved_carries): its audit
 * record is at the position the log had before (out->audit_pos, the
 * record's own position, not a count), and it is an ALLOWED decision
 * record carrying the request's op, context, digest, nonce and resource
 * and the id of the chain's leaf (rec_carries, rec_leaf); the signed
 * message carries the new approval sequence number, the request's
 * context, op, digest, nonce, time and resource, the leaf's id, that audit
 * position (msg_carries, msg_leaf), and an expiry no later than the end
 * of any block's window nor than WARD_APPROVAL_TTL after the request's
 * time (msg_expiry).  The record is the one the audit chain's head
 * commits to: the head after the decision is the hash of the head before
 * it and exactly the record's bytes (approved_linked, over audit_hash,
 * crypto.h), so that the log the core extends holds that record and no
 * other; checked, reading only, before release (ward_audit_linked,
 * audit.h, in approve_release), as the rules are, since WP does not carry
 * an abstract predicate over bytes across the signature written after the
 * append.  A refusal releases no message (refused_unsigned:
 * out->msg_len is 0), and the audit chain grew by one record at the
 * position out->audit_pos names, or by none (refused_logged,
 * logged_once).  The core checks a refusal's record before it appends it
 * (log_refusal in approve.c) and proves that the record its builders
 * wrote passes that check (build_record's composed layout, log_built's
 * r_ok), so that a refusal's record was appended unless the append
 * failed, the audit chain being full or the record's hash not computed
 * (refused_appended: appended_unless_failed, over the ghost
 * ward_audit_status; proved of refuse, refuse_checked and refuse_ledger,
 * and carried up through approve_check, approve_release and
 * approve_decide).  A request whose resource length is out of
 * range is refused OVERSIZE first, with no record, since no record can
 * carry it.  That
 * record is a BLOCKED decision record
 * with the refusal's reason, or, for a CRYPTO after the uses were spent,
 * the ALLOWED record of the approval that could not be issued
 * (refused_record, refusal_record).  A BLOCKED record that was appended
 * for a refusal, CRYPTO included, carries the request it refused: its
 * op, context, digest, nonce and resource (refused_carries,
 * refusal_carries; the core checks the record, reading only, before it
 * appends it, and appends none that does not, log_refusal in
 * approve.c).  A CRYPTO after the checks is one of the approval's
 * (its record ALLOWED: crypto_allowed on approve_commit and
 * approve_release in approve.c), so every BLOCKED CRYPTO record is one
 * of the checks', which carry the request (approve_check's carries).
 * Its leaf id field names the chain's leaf for a reason decided once
 * the chain verified (the leaf's rules, the nonce, the approval counter,
 * the ledger) and is all zero for one decided before (the op, the
 * context, the chain's encoding, length and rules) (refused_leaf_id,
 * refusal_leaf; checked by log_refusal like the rest, and each caller of
 * refuse says whether the record names the leaf, as the reason has it:
 * refuse's class); for MALFORMED and CRYPTO, which can be decided
 * either side of the chain, it is all zero
 * or the chain's leaf, never another id, and for MALFORMED it says which
 * side: all zero for the wire bytes, the chain's leaf for the ledger
 * (refused_malformed, refusal_zeroed, refusal_named).  CONTEXT_UNKNOWN is decided
 * before the chain only: step 0's nonce check reads the same context
 * table, so it finds the context unknown only when the check before
 * the chain does (fresh_unknown, and approve_check's fresh_known).  A request with no resource is refused
 * OVERSIZE with no record.
 *
 * Why a refusal: each reason that names a fact of the request's state
 * names one that held in the state the request arrived in.  OP: the
 * operation is unknown (refused_op); CONTEXT_UNKNOWN: no open context has
 * the request's id (refused_unknown); REPLAY and NONCE_STALE: the nonce
 * was not fresh in that context (refused_nonce); EXHAUSTED: the approval
 * sequence number or the audit chain had no number left
 * (refused_exhausted); CHAIN_EMPTY and CHAIN_TOO_LONG: the chain had no
 * block, or more than WARD_CHAIN_MAX (refused_length; no check of the
 * blocks refuses for them, checks in chain.h).  The ledger's two reasons
 * name the first of its rules the chain breaks, in the ledger the spend
 * saw (refused_ledger, ledger_refused over ward_ledger_seen, a ghost copy
 * taken before the entries the spend registered were taken back; which
 * ledger_below ties to the ledger the request arrived in, with entries for
 * the chain's blocks registered and nothing else): LEDGER_FULL, a block whose id
 * has no entry and whose bucket is full; USES_EXHAUSTED, every block has
 * its entry, no id twice, and some block's entry has no use left.  No
 * check of the chain refuses for one of those
 * (chain_refusal, chain.h), so a refusal for them is never a chain's
 * failure reported under another name, and a check that refuses more
 * than its cause (an off-by-one on a counter, a window checked in the
 * wrong state) is a failed proof.  The reasons of the chain, of the leaf
 * and of the ledger are the first rule broken in the check order; that
 * order is stated in tests/model, whose decision the differential test
 * compares with this one.  For the chain's checks it is proved: a
 * refusal for SIGNATURE, one of PARENT_HASH to EXPIRED, CYCLE, or a
 * NONCANONICAL not of the bytes, returns the verdict ward_chain_check
 * gave on the decoded chain in this call (refused_checked, over the
 * ghost ward_chain_verdict above, set by chain_step in approve.c), which
 * is the first rule the chain breaks in the state it was checked in
 * (first, chain_first in chain.h: link by link from the root, its own
 * rules, then the root's or its parent's, then its id new; chain_step's
 * verdict).  The leaf's three are stated here, of the
 * state the refusal returns in (refused_leaf, leaf_refused above; proved
 * of approve_check, why_leaf): CONTEXT, the lineage rule broken;
 * NOT_GRANTED, kept but the operation not granted; OUT_OF_SCOPE, both
 * kept but the resource not covered (its bound on the resource's
 * length, which leaf_refused_moved needs, always holds for them: the
 * length is not assigned, and a longer one is refused OVERSIZE).  So are
 * the chain's reasons that name a fact of its blocks, of the trust set,
 * of the revocation set or of the clock (refused_chain, chain_cause in
 * chain.h; proved of approve_check, why_chain): REVOKED, NOT_YET_VALID
 * and EXPIRED, a block revoked, or whose window starts after req->now,
 * or ended before it;
 * ROOT_PARENT and UNTRUSTED_ROOT, a root with a parent hash, or issued by
 * a key the core does not trust; PARENT_HASH, ISSUER, the seven of
 * attenuation and CYCLE, a block not named by its parent's id, not issued
 * by its parent's holder, wider than its parent by the rule the reason
 * names (atten_cause, attenuate.h), or with the id of an earlier block.
 * SIGNATURE is stated on its own (refused_signature, sig_cause in
 * chain.h; proved of approve_check, why_sig): a block whose signature
 * bytes do not verify over its id under its issuer's key (link_sig_bad;
 * sig_verifies, crypto.h, which ward_block_sig_verify states of each -1).
 * VERSION, KIND, FLAGS and TRAILING, the decoder's refusals of a block's
 * header, are stated of the bytes the request arrived with (refused_wire,
 * wire_refused in chain.h; proved of ward_chain_decode, why_wire): some
 * block of the chain, long enough to have a header, whose version byte is
 * not WARD_VERSION; or whose version is, and kind byte is not a kind; or
 * whose version and kind are, and some right flag is neither 0 nor 1; or
 * whose header passes every check before the length (the flags, the
 * depth, a scope length from 1 to WARD_SCOPE_MAX, not_before <= not_after)
 * and whose bytes run past the length it announces.  OVERSIZE is the
 * request's resource out of range, or some block longer than
 * WARD_BLOCK_MAX, or whose header passes the checks before the scope
 * length and announces one over WARD_SCOPE_MAX (refused_oversize).
 * NONCANONICAL is a reason of the decoder and of the checks
 * (refused_noncanonical): some block whose bytes, as the request arrived
 * with them, pass the version, kind and flags and fail the depth, a
 * non-zero scope length or not_before <= not_after, or whose header is
 * whole, whose length is exactly the one announced, and one of whose
 * scope bytes is outside 0x21 .. 0x7e (wire_broken, chain.h; proved of
 * ward_chain_decode, why_body, which checks every link's bytes, reading
 * only, before it writes: scan_links in chain.c); or, in the state the
 * refusal returns in, some decoded block that is not well formed or
 * whose scope is not canonical (chain_noncanon; proved of
 * ward_chain_check, why_nc).
 * MALFORMED is a reason of the decoder and of the ledger
 * (refused_malformed): some block whose bytes, as the request arrived
 * with them, are shorter than a header and a signature, or hold a whole
 * header that passes its checks and announces more bytes than there are
 * (wire_broken; proved of ward_chain_decode, why_body); or, in the ledger
 * the spend saw, an entry for a block's id with another max, or an id
 * twice in the chain (ledger_refused, as for the ledger's two reasons
 * above).  The checks never refuse MALFORMED: a decoded block or id that
 * is not that of its bytes (wire_match and id_match in chain.c, which
 * re-check the decoder) is an inconsistency, reported CRYPTO like a
 * re-check's refusal (ward_chain_check, checks).
 *
 * The behaviors split the requests by the state they arrive in, complete
 * and disjoint: oversize (no resource or one over WARD_SCOPE_MAX:
 * OVERSIZE, the log untouched), bad_op (an unknown operation: OP, whatever
 * the chain or the context), context_unknown (a known operation in a
 * context not open: CONTEXT_UNKNOWN, whatever the chain), chain_empty and
 * chain_too_long (a known operation in an open context, with no block or
 * more than WARD_CHAIN_MAX: CHAIN_EMPTY, CHAIN_TOO_LONG, whatever the
 * blocks' bytes), one behavior for each of the decoder's seven reasons
 * (bytes_malformed, bytes_version, bytes_kind, bytes_flags,
 * bytes_trailing, bytes_oversize, bytes_noncanonical: a known operation in
 * an open context, with a chain of 1 to WARD_CHAIN_MAX blocks whose bytes,
 * as they arrived, are refused for that reason: some link fails that
 * reason's check, the first it fails in the decoder's order, and every
 * link before it passes every check; wire_first, link_fails and
 * link_passes in chain.h), and decided, where none of those holds (every
 * link's bytes pass) and the blocks, the leaf, the nonce and the spend
 * decide.  A chain's bytes have
 * one verdict (ward_chain_decode's first_bytes: its one result is every
 * reason wire_first holds for, proved in chain.c); each
 * bytes_ behavior also assumes that the earlier reasons' do not hold,
 * which that uniqueness makes no restriction, so that their disjointness
 * needs no proof of it here (measured: with the reason's own assumption
 * only, the disjointness goal timed out at 10 s in both provers; with the
 * earlier ones excluded, 0.2 s).
 *
 * The rules are checked twice: once before anything is written, so that a
 * refusal spends nothing, and once more, reading only, in the state the
 * approval is released in (approve_recheck in approve.c), which is what
 * the theorem speaks of.  The lineage rule needs each block's child
 * context open (for the leaf, the request's context); an ancestor further
 * up may have closed.  In the same way the record and the message are
 * checked, reading only, to carry the request before the approval is
 * released (approve_carried): the builders prove the layout of each part
 * they write, and the check makes the composed layout a fact of the final
 * state.
 */
/*@ requires \valid(c) && core_ok(c);
    requires \valid(log);
    requires \valid(req) && \valid(out);
    requires \separated(c, log, req, out);
    requires \separated(&ward_ledger_seen, c, log, req, out);
    assigns c->ledger, c->contexts, *log, c->approval_seq,
            req->chain.l[0 .. WARD_CHAIN_MAX - 1],
            *out, ward_ledger_seen, ward_chain_verdict, ward_audit_status;
    ensures core_ok(c);
    ensures 0 <= \result <= WARD_REASON_LAST;
    ensures \result == WARD_OK ==>
      out->msg_len <= WARD_APR_MAX &&
      signed_msg(&out->sig[0], &out->msg[0], out->msg_len, &c->sk[0]);
    ensures \result == WARD_OK ==>
      c->approval_seq == \old(c->approval_seq) + 1 &&
      log->seq == \old(log->seq) + 1;
    ensures \result != WARD_OK ==> c->approval_seq == \old(c->approval_seq);
    ensures refused_unsigned: \result != WARD_OK ==> out->msg_len == 0;
    ensures refused_logged: \result != WARD_OK ==> logged_once{Pre, Post}(log, out);
    ensures refused_appended: \result != WARD_OK &&
      1 <= \old(req->resource_len) <= WARD_SCOPE_MAX ==>
        appended_unless_failed(log, out);
    ensures refused_op: \result == WARD_E_OP ==>
      \old(req->op) < 1 || \old(req->op) > WARD_OP_LAST;
    ensures refused_unknown: \result == WARD_E_CONTEXT_UNKNOWN ==>
      \old(!ctx_known(&c->contexts, &req->context[0]));
    ensures refused_nonce: \result == WARD_E_REPLAY ||
      \result == WARD_E_NONCE_STALE ==>
        \old(!nonce_fresh(&c->contexts, &req->context[0], req->nonce));
    ensures refused_exhausted: \result == WARD_E_EXHAUSTED ==>
      \old(c->approval_seq) == UINT64_MAX || \old(log->seq) == UINT64_MAX;
    ensures refused_length: (\result == WARD_E_CHAIN_EMPTY ==>
        \old(req->chain.n) == 0) &&
      (\result == WARD_E_CHAIN_TOO_LONG ==>
        \old(req->chain.n) > WARD_CHAIN_MAX);
    ensures refused_ledger: \result == WARD_E_LEDGER_FULL ||
      \result == WARD_E_USES_EXHAUSTED ==>
        ledger_refused(&ward_ledger_seen, &req->chain, \result) &&
        ledger_below(&c->ledger, &ward_ledger_seen, &req->chain);
    ensures refused_leaf: (\result == WARD_E_CONTEXT ||
      \result == WARD_E_NOT_GRANTED || \result == WARD_E_OUT_OF_SCOPE) &&
      req->resource_len <= WARD_SCOPE_MAX ==>
        leaf_refused(c, req, \result);
    ensures refused_chain: WARD_E_PARENT_HASH <= \result <= WARD_E_EXPIRED ||
      \result == WARD_E_CYCLE ==>
        chain_cause(&req->chain, &c->trust, &c->revoked, req->now, \result);
    ensures refused_signature: \result == WARD_E_SIGNATURE ==>
      sig_cause(&req->chain);
    ensures refused_checked: (\result == WARD_E_SIGNATURE ||
      WARD_E_PARENT_HASH <= \result <= WARD_E_EXPIRED ||
      \result == WARD_E_CYCLE ==> \result == ward_chain_verdict) &&
      (\result == WARD_E_NONCANONICAL ==>
         \old(wire_broken(&req->chain, WARD_E_NONCANONICAL)) ||
         \result == ward_chain_verdict);
    ensures refused_wire: WARD_E_VERSION <= \result <= WARD_E_TRAILING ==>
      \let x = \result; \old(wire_refused(&req->chain, x));
    ensures refused_noncanonical: \result == WARD_E_NONCANONICAL ==>
      \old(wire_broken(&req->chain, WARD_E_NONCANONICAL)) ||
      chain_noncanon(&req->chain);
    ensures refused_malformed: \result == WARD_E_MALFORMED ==>
      (\old(wire_broken(&req->chain, WARD_E_MALFORMED)) &&
       refusal_zeroed(out)) ||
      (ledger_refused(&ward_ledger_seen, &req->chain, WARD_E_MALFORMED) &&
       ledger_below(&c->ledger, &ward_ledger_seen, &req->chain) &&
       refusal_named(out, req));
    ensures refused_oversize: \result == WARD_E_OVERSIZE ==>
      \old(req->resource_len) < 1 ||
      \old(req->resource_len) > WARD_SCOPE_MAX ||
      \old(wire_refused(&req->chain, WARD_E_OVERSIZE));
    ensures refused_record: \result != WARD_OK &&
      1 <= req->resource_len <= WARD_SCOPE_MAX ==>
        refusal_record(out, \result);
    ensures refused_leaf_id: \result != WARD_OK ==>
      refusal_leaf(out, req, \result);
    ensures refused_carries: \result != WARD_OK ==>
      refusal_carries(out, req, \result);
    ensures approved_linked: \result == WARD_OK ==>
      audit_hash(val32(&log->head[0]), \old(val32(&log->head[0])),
                 &out->rec[0], out->rec_len);
    ensures approved_position: \result == WARD_OK ==>
      out->audit_pos == \old(log->seq);
    ensures approved_carries: \result == WARD_OK ==>
      approval_carries(c, req, out);
    ensures printable: \result == WARD_OK ==>
      \old(scope_printable(&req->resource[0], req->resource_len));
    ensures approved_authorized: \result == WARD_OK ==> authorized(c, req);
    ensures refused_windows: \result != WARD_OK && \result != WARD_E_CRYPTO ==>
      ctx_windows_kept{Pre, Post}(&c->contexts);
    ensures approved_lineage: \result == WARD_OK ==>
      \forall integer i; 0 <= i < req->chain.n ==>
        ctx_lineage(&c->contexts, &req->context[0],
                    &req->chain.l[i].b.context[0]);
    ensures approved_nonce: \result == WARD_OK ==>
      \old(nonce_fresh(&c->contexts, &req->context[0], req->nonce)) &&
      nonce_recorded(&c->contexts, &req->context[0], req->nonce);
    ensures approved_uses: \result == WARD_OK ==>
      \forall integer i; 0 <= i < req->chain.n ==>
        ledger_spent_id{Pre, Post}(&c->ledger, &req->chain.l[i].id[0]);
    ensures refused_uses: \result != WARD_OK && \result != WARD_E_CRYPTO ==>
      ledger_unchanged{Pre, Post}(&c->ledger);
    ensures failed_uses: \result == WARD_E_CRYPTO ==>
        ledger_uses_kept{Pre, Post}(&c->ledger) ||
        \forall integer i; 0 <= i < req->chain.n ==>
          ledger_spent_id{Pre, Post}(&c->ledger, &req->chain.l[i].id[0]);

    behavior oversize:
      assumes req->resource_len < 1 || req->resource_len > WARD_SCOPE_MAX;
      ensures \result == WARD_E_OVERSIZE;
      ensures log->seq == \old(log->seq) && out->audit_pos == UINT64_MAX;
    behavior bad_op:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes req->op < 1 || req->op > WARD_OP_LAST;
      ensures \result == WARD_E_OP;
    behavior context_unknown:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes !ctx_known(&c->contexts, &req->context[0]);
      ensures \result == WARD_E_CONTEXT_UNKNOWN;
    behavior chain_empty:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes req->chain.n == 0;
      ensures \result == WARD_E_CHAIN_EMPTY;
    behavior chain_too_long:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes req->chain.n > WARD_CHAIN_MAX;
      ensures \result == WARD_E_CHAIN_TOO_LONG;
    behavior bytes_malformed:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_MALFORMED);
      ensures \result == WARD_E_MALFORMED;
    behavior bytes_version:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_VERSION);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED);
      ensures \result == WARD_E_VERSION;
    behavior bytes_kind:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_KIND);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION);
      ensures \result == WARD_E_KIND;
    behavior bytes_flags:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_FLAGS);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION) &&
        !wire_first(&req->chain, WARD_E_KIND);
      ensures \result == WARD_E_FLAGS;
    behavior bytes_trailing:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_TRAILING);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION) &&
        !wire_first(&req->chain, WARD_E_KIND) &&
        !wire_first(&req->chain, WARD_E_FLAGS);
      ensures \result == WARD_E_TRAILING;
    behavior bytes_oversize:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_OVERSIZE);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION) &&
        !wire_first(&req->chain, WARD_E_KIND) &&
        !wire_first(&req->chain, WARD_E_FLAGS) &&
        !wire_first(&req->chain, WARD_E_TRAILING);
      ensures \result == WARD_E_OVERSIZE;
    behavior bytes_noncanonical:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes wire_first(&req->chain, WARD_E_NONCANONICAL);
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION) &&
        !wire_first(&req->chain, WARD_E_KIND) &&
        !wire_first(&req->chain, WARD_E_FLAGS) &&
        !wire_first(&req->chain, WARD_E_TRAILING) &&
        !wire_first(&req->chain, WARD_E_OVERSIZE);
      ensures \result == WARD_E_NONCANONICAL;
    behavior decided:
      assumes 1 <= req->resource_len <= WARD_SCOPE_MAX;
      assumes 1 <= req->op <= WARD_OP_LAST;
      assumes ctx_known(&c->contexts, &req->context[0]);
      assumes 1 <= req->chain.n <= WARD_CHAIN_MAX;
      assumes !wire_first(&req->chain, WARD_E_MALFORMED) &&
        !wire_first(&req->chain, WARD_E_VERSION) &&
        !wire_first(&req->chain, WARD_E_KIND) &&
        !wire_first(&req->chain, WARD_E_FLAGS) &&
        !wire_first(&req->chain, WARD_E_TRAILING) &&
        !wire_first(&req->chain, WARD_E_OVERSIZE) &&
        !wire_first(&req->chain, WARD_E_NONCANONICAL);
      ensures \result == WARD_OK ==> authorized(c, req);
    complete behaviors;
    disjoint behaviors;
*/
int ward_approve(struct ward_core *c, struct ward_audit *log,
		 struct ward_request *req, struct ward_decision *out)
	__attribute__((warn_unused_result));

#endif /* WARD_APPROVE_H */
