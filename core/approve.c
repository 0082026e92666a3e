/*
 * approve.c -- the approval decision.  Contract in approve.h.
 *
 * The order matters and is part of the design:
 *   1. every check that can refuse, none of which writes authority state;
 *   2. spend one use of every block on the chain (all or nothing);
 *   3. record the nonce;
 *   4. append the ALLOWED record to the audit chain;
 *   5. sign the approval, which names that record's position.
 * A failure after 2 wastes uses and never overspends; nothing is signed
 * that is not already in the audit chain.
 */
#include "approve.h"

/*@ requires n <= 256;
    requires \valid(dst + (0 .. n - 1)) && \valid_read(src + (0 .. n - 1));
    requires \separated(dst + (0 .. n - 1), src + (0 .. n - 1));
    assigns dst[0 .. n - 1];
    ensures \forall integer k; 0 <= k < n ==> dst[k] == src[k];
*/
static void
copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	uint32_t k;

	/*@ loop invariant 0 <= k <= n;
	    loop invariant \forall integer j; 0 <= j < k ==> dst[j] == src[j];
	    loop assigns k, dst[0 .. n - 1];
	    loop variant n - k;
	*/
	for (k = 0; k < n; k++)
		dst[k] = src[k];
}

/*@ requires n <= 256;
    requires \valid(dst + (0 .. n - 1));
    assigns dst[0 .. n - 1];
*/
static void
zero_bytes(uint8_t *dst, uint32_t n)
{
	uint32_t k;

	/*@ loop invariant 0 <= k <= n;
	    loop assigns k, dst[0 .. n - 1];
	    loop variant n - k;
	*/
	for (k = 0; k < n; k++)
		dst[k] = 0;
}

/* The audit record of a decision; leaf is NULL when no chain verified. */
/*@ requires \valid(out) && \valid_read(req);
    requires 1 <= req->resource_len <= WARD_SCOPE_MAX;
    requires leaf == \null || \valid_read(leaf + (0 .. WARD_ID_BYTES - 1));
    requires \separated(out, req);
    requires leaf == \null || \separated(out, leaf + (0 .. WARD_ID_BYTES - 1));
    requires verdict <= 255 && reason <= 255;
    assigns out->rec[0 .. WARD_REC_MAX - 1], out->rec_len;
    ensures out->rec_len == WARD_REC_OFF_RES + req->resource_len;
    ensures out->rec_len <= WARD_REC_MAX;
*/
static void
build_record(struct ward_decision *out, const struct ward_request *req,
	     uint32_t verdict, uint32_t reason, const uint8_t *leaf,
	     uint64_t seq, uint32_t used, uint32_t max)
{
	out->rec[WARD_REC_OFF_TYPE] = (uint8_t)WARD_REC_DECISION;
	out->rec[WARD_REC_OFF_VERDICT] = (uint8_t)verdict;
	out->rec[WARD_REC_OFF_REASON] = (uint8_t)reason;
	out->rec[WARD_REC_OFF_OP] = req->op;
	copy_bytes(out->rec + WARD_REC_OFF_CONTEXT, req->context, WARD_CTX_BYTES);
	if (leaf != NULL)
		copy_bytes(out->rec + WARD_REC_OFF_LEAF, leaf, WARD_ID_BYTES);
	else
		zero_bytes(out->rec + WARD_REC_OFF_LEAF, WARD_ID_BYTES);
	copy_bytes(out->rec + WARD_REC_OFF_DIGEST, req->digest, WARD_ID_BYTES);
	ward_put_be64(out->rec + WARD_REC_OFF_NONCE, req->nonce);
	ward_put_be64(out->rec + WARD_REC_OFF_TIME, req->now);
	ward_put_be64(out->rec + WARD_REC_OFF_SEQ, seq);
	ward_put_be32(out->rec + WARD_REC_OFF_USED, used);
	ward_put_be32(out->rec + WARD_REC_OFF_MAX, max);
	ward_put_be16(out->rec + WARD_REC_OFF_RLEN, req->resource_len);
	copy_bytes(out->rec + WARD_REC_OFF_RES, req->resource, req->resource_len);
	out->rec_len = WARD_REC_OFF_RES + (uint32_t)req->resource_len;
}

/* Record a refusal and return its reason. */
/*@ requires \valid(c) && core_ok(c);
    requires \valid(out) && \valid_read(req);
    requires 1 <= req->resource_len <= WARD_SCOPE_MAX;
    requires \separated(c, req, out);
    requires leaf == \null || \valid_read(leaf + (0 .. WARD_ID_BYTES - 1));
    requires leaf == \null || \separated(out, leaf + (0 .. WARD_ID_BYTES - 1));
    requires 1 <= reason <= WARD_REASON_LAST;
    assigns c->audit, out->rec[0 .. WARD_REC_MAX - 1], out->rec_len,
            out->audit_pos;
    ensures core_ok(c);
    ensures \result == reason;
*/
static int
refuse(struct ward_core *c, struct ward_decision *out,
       const struct ward_request *req, int reason, const uint8_t *leaf)
{
	uint64_t pos;

	build_record(out, req, WARD_VERDICT_BLOCKED, (uint32_t)reason, leaf,
		     0, 0, 0);
	if (ward_audit_append(&c->audit, out->rec, out->rec_len, &pos) == WARD_OK)
		out->audit_pos = pos;
	else
		out->audit_pos = UINT64_MAX;
	return reason;
}

/* The right each operation needs, and the kind it acts on. */
/*@ requires \valid_read(b);
    requires 1 <= op <= WARD_OP_LAST;
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> (b->kind == op_kind(op) && op_granted(b, op));
*/
static int
op_allowed(const struct ward_block *b, uint8_t op)
{
	uint8_t kind, right;

	/* The kind and the right of each operation; comparisons are added,
	 * not &&-ed, so each case is one branch. */
	switch (op) {
	case WARD_OP_TOOL_INVOKE:
		kind = WARD_KIND_TOOL;
		right = b->r_invoke;
		break;
	case WARD_OP_FS_READ:
		kind = WARD_KIND_FS;
		right = b->r_read;
		break;
	case WARD_OP_FS_WRITE:
		kind = WARD_KIND_FS;
		right = b->r_write;
		break;
	case WARD_OP_NET_CONNECT:
		kind = WARD_KIND_NET;
		right = b->r_invoke;
		break;
	case WARD_OP_MEM_READ:
		kind = WARD_KIND_MEM;
		right = b->r_read;
		break;
	case WARD_OP_MEM_WRITE:
		kind = WARD_KIND_MEM;
		right = b->r_write;
		break;
	case WARD_OP_SECRET_READ:
		kind = WARD_KIND_SECRET;
		right = b->r_read;
		break;
	default:
		kind = WARD_KIND_EXEC;
		right = b->r_invoke;
		break;
	}
	return (b->kind == kind) + (right == 1) == 2;
}

/*@ requires \valid_read(a + (0 .. WARD_CTX_BYTES - 1));
    requires \valid_read(b + (0 .. WARD_CTX_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> same_bytes(a, b, WARD_CTX_BYTES);
*/
static int
ctx_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t k;

	/*@ loop invariant 0 <= k <= WARD_CTX_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> a[j] == b[j];
	    loop assigns k;
	    loop variant WARD_CTX_BYTES - k;
	*/
	for (k = 0; k < WARD_CTX_BYTES; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* The approval message (see approve.h for the layout). */
/*@ requires \valid(out) && \valid_read(req);
    requires 1 <= req->resource_len <= WARD_SCOPE_MAX;
    requires \valid_read(leaf_id + (0 .. WARD_ID_BYTES - 1));
    requires \separated(out, req);
    requires \separated(out, leaf_id + (0 .. WARD_ID_BYTES - 1));
    assigns out->msg[0 .. WARD_APR_MAX - 1], out->msg_len;
    ensures out->msg_len == WARD_APR_OFF_RES + req->resource_len;
    ensures out->msg_len <= WARD_APR_MAX;
*/
static void
build_msg(struct ward_decision *out, const struct ward_request *req,
	  const uint8_t *leaf_id, uint64_t seq, uint64_t pos, uint64_t expiry)
{
	ward_put_be64(out->msg + WARD_APR_OFF_SEQ, seq);
	copy_bytes(out->msg + WARD_APR_OFF_CONTEXT, req->context, WARD_CTX_BYTES);
	copy_bytes(out->msg + WARD_APR_OFF_LEAF, leaf_id, WARD_ID_BYTES);
	out->msg[WARD_APR_OFF_OP] = req->op;
	copy_bytes(out->msg + WARD_APR_OFF_DIGEST, req->digest, WARD_ID_BYTES);
	ward_put_be64(out->msg + WARD_APR_OFF_NONCE, req->nonce);
	ward_put_be64(out->msg + WARD_APR_OFF_ISSUED, req->now);
	ward_put_be64(out->msg + WARD_APR_OFF_EXPIRY, expiry);
	ward_put_be64(out->msg + WARD_APR_OFF_AUDIT, pos);
	ward_put_be16(out->msg + WARD_APR_OFF_RLEN, req->resource_len);
	copy_bytes(out->msg + WARD_APR_OFF_RES, req->resource, req->resource_len);
	out->msg_len = WARD_APR_OFF_RES + (uint32_t)req->resource_len;
}

/* Are the n slots pairwise distinct?  They are whenever the chain's ids
 * are (chain_valid), since the ledger holds one entry per id; checked
 * here all the same, so that consumption never relies on it. */
/*@ requires n <= WARD_CHAIN_MAX;
    requires \valid_read(slot + (0 .. n - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==>
      (\forall integer i, j; 0 <= i < j < n ==> slot[i] != slot[j]);
*/
static int
slots_distinct(const uint16_t *slot, uint32_t n)
{
	uint32_t i, j;

	/*@ loop invariant 0 <= i <= n;
	    loop invariant \forall integer a, b; 0 <= a < b < n && a < i ==>
	      slot[a] != slot[b];
	    loop assigns i, j;
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++) {
		/*@ loop invariant i + 1 <= j <= n;
		    loop invariant \forall integer b; i < b < j ==> slot[i] != slot[b];
		    loop assigns j;
		    loop variant n - j;
		*/
		for (j = i + 1; j < n; j++)
			if (slot[i] == slot[j])
				return 0;
	}
	return 1;
}

/* Spend one use of every block of the chain, root first: find (or
 * register) each block's ledger entry, then consume all or none. */
/*@ requires \valid(l) && ledger_ok(l);
    requires \valid_read(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    requires \valid(slot + (0 .. WARD_CHAIN_MAX - 1));
    requires \separated(l, ch, slot + (0 .. WARD_CHAIN_MAX - 1));
    assigns *l, slot[0 .. WARD_CHAIN_MAX - 1];
    ensures ledger_ok(l);
    ensures 0 <= \result <= WARD_REASON_LAST;
    ensures \result == WARD_OK ==>
      \forall integer k; 0 <= k < ch->n ==> slot[k] < WARD_LEDGER_N;
*/
static int
approve_spend(struct ward_ledger *l, const struct ward_chain *ch,
	      uint16_t *slot)
{
	uint32_t i, n = ch->n;
	int r;

	/*@ loop invariant 0 <= i <= n;
	    loop invariant ledger_ok(l);
	    loop invariant \forall integer k; 0 <= k < i ==>
	      slot[k] < WARD_LEDGER_N && l->e[slot[k]].live == 1;
	    loop assigns i, r, *l, slot[0 .. WARD_CHAIN_MAX - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++) {
		r = ward_ledger_find(l, ch->l[i].id, ch->l[i].b.max_uses,
				     &slot[i]);
		if (r != WARD_OK)
			return r;
	}
	if (slots_distinct(slot, n) != 1)
		return WARD_E_MALFORMED;
	return ward_ledger_consume(l, slot, n);
}

/* The ledger slots whose reservation moved: the caller persists them
 * before it releases the approval. */
/*@ requires \valid(out) && \valid_read(l);
    requires n <= WARD_CHAIN_MAX;
    requires \valid_read(slot + (0 .. n - 1));
    requires \forall integer k; 0 <= k < n ==> slot[k] < WARD_LEDGER_N;
    requires \separated(out, l, slot + (0 .. n - 1));
    assigns out->n_dirty, out->dirty[0 .. WARD_CHAIN_MAX - 1];
    ensures out->n_dirty <= n;
*/
static void
collect_dirty(struct ward_decision *out, const struct ward_ledger *l,
	      const uint16_t *slot, uint32_t n)
{
	uint32_t i;

	out->n_dirty = 0;
	/*@ loop invariant 0 <= i <= n;
	    loop invariant out->n_dirty <= i;
	    loop assigns i, out->n_dirty, out->dirty[0 .. WARD_CHAIN_MAX - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		if (l->e[slot[i]].dirty == 1)
			out->dirty[out->n_dirty++] = slot[i];
}

/* Step 1: every check that can refuse.  A refusal is logged; nothing but
 * the audit chain and the decoded chain is written. */
/*@ requires \valid(c) && core_ok(c);
    requires \valid(req) && \valid(out) && \valid(idx);
    requires \separated(c, req, out, idx);
    requires 1 <= req->resource_len <= WARD_SCOPE_MAX;
    assigns c->audit, req->chain.l[0 .. WARD_CHAIN_MAX - 1],
            out->rec[0 .. WARD_REC_MAX - 1], out->rec_len, out->audit_pos,
            *idx;
    ensures core_ok(c);
    ensures 0 <= \result <= WARD_REASON_LAST;
    ensures \result == WARD_OK ==>
      1 <= req->chain.n <= WARD_CHAIN_MAX && *idx < WARD_CTX_MAX &&
      !nonce_refused(&c->contexts, *idx, req->nonce) &&
      c->approval_seq < UINT64_MAX && c->audit.seq == \old(c->audit.seq);
*/
static int
approve_check(struct ward_core *c, struct ward_request *req,
	      struct ward_decision *out, uint32_t *idx)
{
	const struct ward_link *leaf;
	uint32_t n;
	int r;

	if (req->op < 1 || req->op > WARD_OP_LAST)
		return refuse(c, out, req, WARD_E_OP, NULL);
	if (ward_context_find(&c->contexts, req->context, idx) != WARD_OK)
		return refuse(c, out, req, WARD_E_CONTEXT_UNKNOWN, NULL);
	r = ward_chain_verify(&req->chain, &c->trust, &c->revoked, req->now);
	if (r != WARD_OK)
		return refuse(c, out, req, r, NULL);
	n = req->chain.n;
	leaf = &req->chain.l[n - 1];
	if (ctx_eq(leaf->b.context, req->context) != 1)
		return refuse(c, out, req, WARD_E_CONTEXT, leaf->id);
	if (op_allowed(&leaf->b, req->op) != 1)
		return refuse(c, out, req, WARD_E_NOT_GRANTED, leaf->id);
	if (ward_scope_canonical(leaf->b.kind, req->resource,
				 req->resource_len) != 1 ||
	    ward_scope_within(leaf->b.kind, req->resource, req->resource_len,
			      leaf->b.scope, leaf->b.scope_len) != 1)
		return refuse(c, out, req, WARD_E_OUT_OF_SCOPE, leaf->id);
	r = ward_nonce_check(&c->contexts, *idx, req->nonce);
	if (r != WARD_OK)
		return refuse(c, out, req, r, leaf->id);
	if (c->approval_seq == UINT64_MAX)
		return refuse(c, out, req, WARD_E_EXHAUSTED, leaf->id);
	return WARD_OK;
}

/* Steps 2 to 5: spend, record the nonce, log, sign. */
/*@ requires \valid(c) && core_ok(c);
    requires \valid(req) && \valid(out);
    requires \separated(c, req, out);
    requires 1 <= req->resource_len <= WARD_SCOPE_MAX;
    requires 1 <= req->chain.n <= WARD_CHAIN_MAX;
    requires idx < WARD_CTX_MAX;
    requires !nonce_refused(&c->contexts, idx, req->nonce);
    requires c->approval_seq < UINT64_MAX;
    assigns c->ledger, c->contexts, c->audit, c->approval_seq, *out;
    ensures core_ok(c);
    ensures 0 <= \result <= WARD_REASON_LAST;
    ensures \result == WARD_OK ==>
      out->msg_len <= WARD_APR_MAX &&
      signed_msg(&out->sig[0], &out->msg[0], out->msg_len, &c->sk[0]);
    ensures \result == WARD_OK ==>
      c->approval_seq == \old(c->approval_seq) + 1 &&
      c->audit.seq == \old(c->audit.seq) + 1;
    ensures \result != WARD_OK ==> c->approval_seq == \old(c->approval_seq);
*/
static int
approve_commit(struct ward_core *c, const struct ward_request *req,
	       struct ward_decision *out, uint32_t idx)
{
	uint16_t slot[WARD_CHAIN_MAX];
	uint32_t n = req->chain.n, used, max;
	const uint8_t *leaf_id = req->chain.l[n - 1].id;
	uint64_t pos, expiry;
	int r;

	r = approve_spend(&c->ledger, &req->chain, slot);
	if (r != WARD_OK)
		return refuse(c, out, req, r, leaf_id);
	ward_nonce_commit(&c->contexts, idx, req->nonce);
	collect_dirty(out, &c->ledger, slot, n);
	used = c->ledger.e[slot[n - 1]].used;
	max = c->ledger.e[slot[n - 1]].max;
	build_record(out, req, WARD_VERDICT_ALLOWED, WARD_OK, leaf_id,
		     c->approval_seq + 1, used, max);
	r = ward_audit_append(&c->audit, out->rec, out->rec_len, &pos);
	if (r != WARD_OK)
		return r;	/* uses are spent: wasted, never overspent */
	out->audit_pos = pos;
	expiry = req->chain.l[n - 1].b.not_after;
	if (req->now <= UINT64_MAX - WARD_APPROVAL_TTL &&
	    req->now + WARD_APPROVAL_TTL < expiry)
		expiry = req->now + WARD_APPROVAL_TTL;
	build_msg(out, req, leaf_id, c->approval_seq + 1, pos, expiry);
	/* The signature is the last byte written. */
	if (ward_approval_sign(out->sig, out->msg, out->msg_len, c->sk) != 0)
		return WARD_E_CRYPTO;
	c->approval_seq++;
	return WARD_OK;
}

int
ward_approve(struct ward_core *c, struct ward_request *req,
	     struct ward_decision *out)
{
	uint32_t idx = 0;
	int r;

	out->audit_pos = UINT64_MAX;
	out->rec_len = 0;
	out->msg_len = 0;
	out->n_dirty = 0;
	/* A request without a resource cannot even be logged usefully. */
	if (req->resource_len < 1 || req->resource_len > WARD_SCOPE_MAX)
		return WARD_E_OVERSIZE;
	r = approve_check(c, req, out, &idx);
	if (r != WARD_OK)
		return r;
	return approve_commit(c, req, out, idx);
}
