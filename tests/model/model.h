/*
 * model.h -- an executable reference model of the approval decision, for
 * the differential test (tests/unit/test_differential.c).
 *
 * Written from DESIGN.md section 2 and the contracts in the core headers,
 * not from the core sources.  It is meant to be obviously right rather
 * than fast or small: every table is an unbounded list searched from the
 * start, every predicate of the contracts is one plain function, the chain
 * is decoded from the wire bytes by its own decoder (the table in
 * codec.h), and the hashes and signatures are libsodium's, called here
 * with the domain tags of crypto.h.  It shares nothing with core/ but the
 * constants and reason codes of ward.h and the record and message layouts
 * of approve.h.
 *
 * What the model keeps, and how it differs from the core's tables:
 *   - ledger: one entry per block id, (used, reserved, max, dirty);
 *     capacity is the contract's: an id goes in the bucket home(id) of
 *     ward.h, and a bucket holds WARD_LEDGER_WAYS ids (ledger.h);
 *   - revocation set: a list of ids, WARD_REVOKE_WAYS per home bucket
 *     (revoke.h);
 *   - contexts: a list of at most WARD_CTX_MAX open ids, each with the
 *     context it was spawned from, if any (its parent), and with the
 *     SET of every nonce committed under it (not a window): a nonce is
 *     refused if it is zero, if it is WARD_NONCE_WINDOW or more below the
 *     highest committed, or if it is in the set.  That is nonce_refused of
 *     context.h, because a nonce committed later with the same residue is
 *     always larger (the test checks the core's window against the set);
 *   - audit chain: the sequence number and the head (audit.h);
 *   - the approval sequence number (approve.h).
 *
 * The order in which refusals are reported.  Where a contract fixes it,
 * it is cited; the rest (the order of the steps, and of the checks of one
 * link) is fixed by no contract, and chain.h's prose lists the checks in
 * another order.  That part was read from core/approve.c and core/chain.c
 * (as were steps 0 and 9's registration of entries on a refusal) and is
 * stated here, once: a contract that fixed it would let the model cite it.
 *    0  resource length outside 1 .. WARD_SCOPE_MAX: WARD_E_OVERSIZE, and
 *       no record (the record holds the resource);
 *    1  operation unknown: WARD_E_OP;
 *    2  context not open: WARD_E_CONTEXT_UNKNOWN;
 *    3  the chain: no link (CHAIN_EMPTY), more than WARD_CHAIN_MAX (TOO_LONG);
 *    4  every link decoded, root first, before any other check (chain.h):
 *       raw length past the link's buffer (OVERSIZE), then the decoder's
 *       own order (codec.h);
 *    5  every link, root first: scope not canonical (NONCANONICAL,
 *       attenuate.h: before any attenuation check), signature, revoked,
 *       not yet valid, expired; then for the root: non-zero parent,
 *       untrusted issuer; for a child: parent hash, issuer, attenuation in
 *       the order of ward_attenuation_check's behaviors (attenuate.h), and
 *       an id that an earlier link has (CYCLE);
 *    6  the lineage rule broken (CONTEXT; chain_lineage of context.h, the
 *       last conjunct of authorized in approve.h): the leaf is bound to
 *       the request's context, and every other block i - 1 to the
 *       context of block i or to the parent recorded for that context by
 *       an open context of the table (link_lineage) -- a context that is
 *       closed, or a session, or spawned from another context, records no
 *       such parent; then the leaf: kind or right missing (NOT_GRANTED),
 *       resource not canonical (a byte outside 0x21 .. 0x7e, or an
 *       empty, "." or ".." component) or outside the scope (OUT_OF_SCOPE);
 *    7  the nonce: zero or too old (NONCE_STALE), seen (REPLAY) (the
 *       behaviors of ward_nonce_check, context.h);
 *    8  no approval sequence number left, or no audit position left (a
 *       full audit chain): EXHAUSTED, before anything is spent;
 *    9  the ledger, root first: an entry of the id with another max
 *       (MALFORMED) or a full home bucket (LEDGER_FULL), each block's entry
 *       registered as it is reached; then all uses or none
 *       (USES_EXHAUSTED);
 *   10  the nonce is committed, the ALLOWED record appended, then signed
 *       (a hash or a signature that fails is CRYPTO: uses and nonce stay
 *       spent).
 * Every refusal from 1 on is appended to the audit chain, with the leaf's
 * id once the chain has verified (steps 6 on), else zeros.
 */
#ifndef WARD_MODEL_H
#define WARD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ward.h"
#include "approve.h"	/* WARD_REC_* and WARD_APR_* layouts only */

struct model_entry {
	uint8_t id[WARD_ID_BYTES];
	uint32_t used;
	uint32_t reserved;
	uint32_t max;
	int dirty;
};

struct model_context {
	uint8_t id[WARD_CTX_BYTES];
	int has_parent;		/* opened by a spawn (a parent was given) */
	uint8_t parent[WARD_CTX_BYTES];	/* then: the context spawned from */
	uint64_t *nonce;	/* every nonce committed, in order */
	size_t n_nonce, cap_nonce;
};

struct model_memo {		/* one signature check, remembered */
	uint8_t sig[WARD_SIG_BYTES];
	uint8_t id[WARD_ID_BYTES];
	uint8_t pk[WARD_KEY_BYTES];
	int ok;
};

struct model {
	uint8_t sk[WARD_SK_BYTES];	/* the core's approval key */
	uint32_t n_trust;
	uint8_t trust[WARD_AUTH_MAX][WARD_KEY_BYTES];
	uint8_t (*revoked)[WARD_ID_BYTES];
	size_t n_revoked, cap_revoked;
	uint8_t poisoned[WARD_BUCKETS];	/* a revocation found it full */
	struct model_entry *ledger;
	size_t n_ledger, cap_ledger;
	struct model_context *ctx;
	size_t n_ctx, cap_ctx;
	uint64_t audit_seq;
	uint8_t audit_head[WARD_ID_BYTES];
	uint64_t approval_seq;
	struct model_memo *memo;	/* a cache of a pure function */
	size_t n_memo, cap_memo;
};

/* One request, as wire bytes: link i is raw[i][0 .. raw_len[i] - 1];
 * raw[i] has WARD_BLOCK_MAX readable bytes whatever raw_len says, and
 * resource has WARD_SCOPE_MAX. */
struct model_request {
	uint8_t context[WARD_CTX_BYTES];
	uint8_t op;
	uint16_t resource_len;
	const uint8_t *resource;
	uint8_t digest[WARD_ID_BYTES];
	uint64_t nonce;
	uint64_t now;
	uint32_t n;
	uint32_t raw_len[WARD_CHAIN_MAX];
	const uint8_t *raw[WARD_CHAIN_MAX];
};

struct model_outcome {
	int reason;
	uint64_t audit_pos;		/* UINT64_MAX: no record appended */
	uint16_t rec_len;		/* 0: no record built */
	uint8_t rec[WARD_REC_MAX];
	uint16_t msg_len;		/* 0: nothing signed */
	uint8_t msg[WARD_APR_MAX];
	uint8_t sig[WARD_SIG_BYTES];
	uint32_t n_dirty;		/* ids whose reservation is unpersisted */
	uint8_t dirty[WARD_CHAIN_MAX][WARD_ID_BYTES];
};

/* An empty core with approval key sk: nothing trusted, revoked, counted,
 * open or logged.  0, or -1 if libsodium cannot start. */
int model_init(struct model *m, const uint8_t *sk);
void model_free(struct model *m);

/* Add a trusted authority key; -1 if WARD_AUTH_MAX are already there. */
int model_trust(struct model *m, const uint8_t *pk);

/* The operations around the decision, as their contracts state them. */
/* model_context_open: parent is the context id was spawned from, or NULL
 * for a session; it need not be open. */
int model_context_open(struct model *m, const uint8_t *id,
		       const uint8_t *parent);
int model_context_close(struct model *m, const uint8_t *id);
int model_revoke(struct model *m, const uint8_t *id);
int model_ledger_register(struct model *m, const uint8_t *id, uint32_t max);
void model_ledger_clean(struct model *m, const uint8_t *id);

/* The decision.  Returns the reason, also in out->reason. */
int model_approve(struct model *m, const struct model_request *req,
		  struct model_outcome *out);

/* What the test compares. */
const struct model_entry *model_ledger_entry(const struct model *m,
					     const uint8_t *id);
const struct model_context *model_context(const struct model *m,
					  const uint8_t *id);
int model_is_revoked(const struct model *m, const uint8_t *id);
/* The highest nonce committed in c, or 0. */
uint64_t model_nonce_hi(const struct model_context *c);
/* The highest nonce committed in c whose residue mod WARD_NONCE_WINDOW is
 * k, or 0: what slot k of the core's window must hold. */
uint64_t model_nonce_latest(const struct model_context *c, uint32_t k);
/* Step 6's test of a resource: res is canonical (printable, no empty,
 * "." or ".." component) and within pattern scope, for this kind. */
int model_scope_allows(unsigned kind, const uint8_t *res, size_t len,
		       const uint8_t *scope, size_t slen);
/* The home bucket of an id (home() in ward.h). */
uint32_t model_home(const uint8_t *id);

#endif /* WARD_MODEL_H */
