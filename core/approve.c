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
	switch (op) {
	case WARD_OP_TOOL_INVOKE:
		return b->kind == WARD_KIND_TOOL && b->r_invoke == 1;
	case WARD_OP_FS_READ:
		return b->kind == WARD_KIND_FS && b->r_read == 1;
	case WARD_OP_FS_WRITE:
		return b->kind == WARD_KIND_FS && b->r_write == 1;
	case WARD_OP_NET_CONNECT:
		return b->kind == WARD_KIND_NET && b->r_invoke == 1;
	case WARD_OP_MEM_READ:
		return b->kind == WARD_KIND_MEM && b->r_read == 1;
	case WARD_OP_MEM_WRITE:
		return b->kind == WARD_KIND_MEM && b->r_write == 1;
	case WARD_OP_SECRET_READ:
		return b->kind == WARD_KIND_SECRET && b->r_read == 1;
	default:
		return b->kind == WARD_KIND_EXEC && b->r_invoke == 1;
	}
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

int
ward_approve(struct ward_core *c, struct ward_request *req,
	     struct ward_decision *out)
{
	uint32_t slot[WARD_CHAIN_MAX];
	uint32_t idx, i, n, used, max;
	const struct ward_block *leaf;
	const uint8_t *leaf_id;
	uint64_t pos, expiry;
	int r;

	out->audit_pos = UINT64_MAX;
	out->rec_len = 0;
	out->msg_len = 0;
	out->n_dirty = 0;
	/* A request without a resource cannot even be logged usefully. */
	if (req->resource_len < 1 || req->resource_len > WARD_SCOPE_MAX)
		return WARD_E_OVERSIZE;
	if (req->op < 1 || req->op > WARD_OP_LAST)
		return refuse(c, out, req, WARD_E_OP, NULL);
	if (ward_context_find(&c->contexts, req->context, &idx) != WARD_OK)
		return refuse(c, out, req, WARD_E_CONTEXT_UNKNOWN, NULL);
	r = ward_chain_verify(&req->chain, &c->trust, &c->revoked, req->now);
	if (r != WARD_OK)
		return refuse(c, out, req, r, NULL);
	n = req->chain.n;
	leaf = &req->chain.l[n - 1].b;
	leaf_id = req->chain.l[n - 1].id;
	if (ctx_eq(leaf->context, req->context) != 1)
		return refuse(c, out, req, WARD_E_CONTEXT, leaf_id);
	if (op_allowed(leaf, req->op) != 1)
		return refuse(c, out, req, WARD_E_NOT_GRANTED, leaf_id);
	if (ward_scope_canonical(leaf->kind, req->resource, req->resource_len) != 1 ||
	    ward_scope_within(leaf->kind, req->resource, req->resource_len,
			      leaf->scope, leaf->scope_len) != 1)
		return refuse(c, out, req, WARD_E_OUT_OF_SCOPE, leaf_id);
	r = ward_nonce_check(&c->contexts.c[idx], req->nonce);
	if (r != WARD_OK)
		return refuse(c, out, req, r, leaf_id);
	if (c->approval_seq == UINT64_MAX)
		return refuse(c, out, req, WARD_E_EXHAUSTED, leaf_id);
	/*@ loop invariant 0 <= i <= n;
	    loop invariant ledger_ok(&c->ledger);
	    loop invariant \forall integer k; 0 <= k < i ==> slot[k] < WARD_LEDGER_N;
	    loop assigns i, r, slot[0 .. WARD_CHAIN_MAX - 1], c->ledger;
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++) {
		r = ward_ledger_find(&c->ledger, req->chain.l[i].id,
				     req->chain.l[i].b.max_uses, &slot[i]);
		if (r != WARD_OK)
			return refuse(c, out, req, r, leaf_id);
	}
	r = ward_ledger_consume(&c->ledger, slot, n);
	if (r != WARD_OK)
		return refuse(c, out, req, r, leaf_id);
	ward_nonce_commit(&c->contexts.c[idx], req->nonce);

	/* Persist-before-release: the caller writes these reservations out
	 * before it lets the approval go. */
	/*@ loop invariant 0 <= i <= n;
	    loop invariant out->n_dirty <= i;
	    loop assigns i, out->n_dirty, out->dirty[0 .. WARD_CHAIN_MAX - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		if (c->ledger.e[slot[i]].dirty == 1)
			out->dirty[out->n_dirty++] = slot[i];

	used = c->ledger.e[slot[n - 1]].used;
	max = c->ledger.e[slot[n - 1]].max;
	build_record(out, req, WARD_VERDICT_ALLOWED, WARD_OK, leaf_id,
		     c->approval_seq + 1, used, max);
	r = ward_audit_append(&c->audit, out->rec, out->rec_len, &pos);
	if (r != WARD_OK)
		return r;	/* uses are spent: wasted, never overspent */
	out->audit_pos = pos;

	expiry = leaf->not_after;
	if (req->now <= UINT64_MAX - WARD_APPROVAL_TTL &&
	    req->now + WARD_APPROVAL_TTL < expiry)
		expiry = req->now + WARD_APPROVAL_TTL;
	ward_put_be64(out->msg + WARD_APR_OFF_SEQ, c->approval_seq + 1);
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
	/* The signature is the last byte written. */
	if (ward_approval_sign(out->sig, out->msg, out->msg_len, c->sk) != 0)
		return WARD_E_CRYPTO;
	c->approval_seq++;
	return WARD_OK;
}
