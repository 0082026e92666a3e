/*
 * chain.c -- capability chain verification.  Contracts are in chain.h.
 *
 * Two passes.  Pass 1 is the only one that writes: it decodes each link
 * and computes its id.  Pass 2 only reads, so everything it establishes
 * stays true to the end without frame reasoning.
 */
#include "chain.h"

/*@ requires \valid_read(a + (0 .. 31)) && \valid_read(b + (0 .. 31));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> same_bytes(a, b, 32);
*/
static int
eq32(const uint8_t *a, const uint8_t *b)
{
	uint32_t m;

	/*@ loop invariant 0 <= m <= 32;
	    loop invariant \forall integer j; 0 <= j < m ==> a[j] == b[j];
	    loop assigns m;
	    loop variant 32 - m;
	*/
	for (m = 0; m < 32; m++)
		if (a[m] != b[m])
			return 0;
	return 1;
}

/* Run-time check of block_ok, read-only. */
/*@ requires \valid_read(b);
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> block_ok(b);
*/
static int
block_valid(const struct ward_block *b)
{
	uint32_t k;

	/* Every field compared, the failures or-ed bitwise, not ||-ed: one
	 * branch, not one per field, each a smoke test of its own. */
	if ((b->version != WARD_VERSION) | (b->kind < 1) |
	    (b->kind > WARD_KIND_LAST) | (b->r_invoke > 1) | (b->r_read > 1) |
	    (b->r_write > 1) | (b->r_delegate > 1) |
	    (b->depth >= WARD_CHAIN_MAX) | (b->not_before > b->not_after) |
	    (b->scope_len < 1) | (b->scope_len > WARD_SCOPE_MAX))
		return 0;
	/*@ loop invariant 0 <= k <= b->scope_len;
	    loop invariant \forall integer j; 0 <= j < k ==>
	      0x21 <= b->scope[j] <= 0x7e;
	    loop assigns k;
	    loop variant b->scope_len - k;
	*/
	for (k = 0; k < b->scope_len; k++)
		if (b->scope[k] < 0x21 || b->scope[k] > 0x7e)
			return 0;
	return 1;
}

int
ward_trusted(const struct ward_trust *t, const uint8_t *k)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= t->n;
	    loop invariant \forall integer i; 0 <= i < j ==>
	      !same_bytes(&t->key[i][0], k, WARD_KEY_BYTES);
	    loop assigns j;
	    loop variant t->n - j;
	*/
	for (j = 0; j < t->n; j++)
		if (eq32(&t->key[j][0], k) == 1)
			return 1;
	return 0;
}

int
ward_link_decode(struct ward_link *l)
{
	size_t blen;
	int r;

	if (l->raw_len > WARD_BLOCK_MAX)
		return WARD_E_OVERSIZE;
	r = ward_block_decode(&l->b, l->raw, l->raw_len);
	if (r != WARD_OK)
		return r;
	/* The id is over the body: everything but the signature.  It is the
	 * last byte write, so is_block_id holds at the end. */
	blen = WARD_BLOCK_HDR + (size_t)l->b.scope_len;
	/*@ assert blen == body_len(&l->b) && blen <= l->raw_len; */
	if (ward_block_id(l->id, l->raw, blen) != 0)
		return WARD_E_CRYPTO;
	return WARD_OK;
}

int
ward_link_sig_check(const struct ward_link *l)
{
	return ward_block_sig_verify(l->b.sig, l->id, l->b.issuer) == 0 ? 0 : -1;
}

/* Do links a and b carry the same id? */
/*@ requires \valid_read(a) && \valid_read(b);
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> same_bytes(&a->id[0], &b->id[0], WARD_ID_BYTES);
*/
static int
id_eq(const struct ward_link *a, const struct ward_link *b)
{
	uint32_t m;

	/*@ loop invariant 0 <= m <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < m ==> a->id[j] == b->id[j];
	    loop assigns m;
	    loop variant WARD_ID_BYTES - m;
	*/
	for (m = 0; m < WARD_ID_BYTES; m++)
		if (a->id[m] != b->id[m])
			return 0;
	return 1;
}

/* Is link c the child of link p: parent hash and issuer? */
/*@ requires \valid_read(c) && \valid_read(p);
    assigns \nothing;
    ensures \result == 0 || \result == 1 || \result == 2;
    ensures \result == 0 <==>
      same_bytes(&c->b.parent[0], &p->id[0], WARD_ID_BYTES) &&
      same_bytes(&c->b.issuer[0], &p->b.holder[0], WARD_KEY_BYTES);
    ensures \result == 1 ==> !same_bytes(&c->b.parent[0], &p->id[0], WARD_ID_BYTES);
    ensures \result == 2 ==>
      !same_bytes(&c->b.issuer[0], &p->b.holder[0], WARD_KEY_BYTES);
    ensures first: \result == 2 ==>
      same_bytes(&c->b.parent[0], &p->id[0], WARD_ID_BYTES);
*/
static int
child_of(const struct ward_link *c, const struct ward_link *p)
{
	uint32_t m;

	/*@ loop invariant 0 <= m <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < m ==> c->b.parent[j] == p->id[j];
	    loop assigns m;
	    loop variant WARD_ID_BYTES - m;
	*/
	for (m = 0; m < WARD_ID_BYTES; m++)
		if (c->b.parent[m] != p->id[m])
			return 1;
	/*@ loop invariant 0 <= m <= WARD_KEY_BYTES;
	    loop invariant \forall integer j; 0 <= j < m ==> c->b.issuer[j] == p->b.holder[j];
	    loop assigns m;
	    loop variant WARD_KEY_BYTES - m;
	*/
	for (m = 0; m < WARD_KEY_BYTES; m++)
		if (c->b.issuer[m] != p->b.holder[m])
			return 2;
	return 0;
}

/* Equal bytes are equal values.  A function, not a lemma: a lemma is a
 * hypothesis of every goal of the file, and this one (with the moves of
 * an encoding below) slowed unrelated goals past the timeout (measured:
 * the revocation frames of ward_chain_verify from 0.1 s to over 10 s). */
/*@ requires \valid_read(a + (0 .. 31)) && \valid_read(b + (0 .. 31));
    requires same_bytes(a, b, 32);
    assigns \nothing;
    ensures val32(a) == val32(b);
*/
static void
val32_eq(const uint8_t *a, const uint8_t *b)
{
	(void)a;	/* read by the proof only */
	(void)b;
}

/* An encoding of b in p[0 .. len - 1] is one in q[0 .. len - 1] when
 * the bytes are equal: one part of encoded_as per function, each proved
 * in a context of its own (functions, not lemmas, for the reason given at
 * val32_eq; in one function, the parts timed out). */
/*@ requires \valid_read(b) && 0 <= len <= WARD_BLOCK_MAX;
    requires \valid_read(p + (0 .. len - 1)) && \valid_read(q + (0 .. len - 1));
    requires WARD_BLOCK_HDR <= len;
    requires \forall integer k; 0 <= k < len ==> p[k] == q[k];
    requires encoded_bytes(b, p);
    assigns \nothing;
    ensures encoded_bytes(b, q);
*/
static void
move_bytes(const struct ward_block *b, const uint8_t *p, const uint8_t *q,
	size_t len)
{
	(void)b;	/* read by the proof only */
	(void)p;
	(void)q;
	(void)len;
}

/*@ requires \valid_read(b) && 0 <= len <= WARD_BLOCK_MAX;
    requires \valid_read(p + (0 .. len - 1)) && \valid_read(q + (0 .. len - 1));
    requires WARD_BLOCK_HDR <= len;
    requires \forall integer k; 0 <= k < len ==> p[k] == q[k];
    requires encoded_ids(b, p);
    assigns \nothing;
    ensures encoded_ids(b, q);
*/
static void
move_ids(const struct ward_block *b, const uint8_t *p, const uint8_t *q,
	size_t len)
{
	(void)b;	/* read by the proof only */
	(void)p;
	(void)q;
	(void)len;
}

/*@ requires \valid_read(b) && 0 <= len <= WARD_BLOCK_MAX;
    requires \valid_read(p + (0 .. len - 1)) && \valid_read(q + (0 .. len - 1));
    requires WARD_BLOCK_HDR <= len;
    requires \forall integer k; 0 <= k < len ==> p[k] == q[k];
    requires encoded_ints(b, p);
    assigns \nothing;
    ensures encoded_ints(b, q);
*/
static void
move_ints(const struct ward_block *b, const uint8_t *p, const uint8_t *q,
	size_t len)
{
	(void)b;	/* read by the proof only */
	(void)p;
	(void)q;
	(void)len;
}

/*@ requires \valid_read(b) && 0 <= len <= WARD_BLOCK_MAX;
    requires \valid_read(p + (0 .. len - 1)) && \valid_read(q + (0 .. len - 1));
    requires WARD_BLOCK_HDR + b->scope_len <= len;
    requires \forall integer k; 0 <= k < len ==> p[k] == q[k];
    requires encoded_scope(b, p);
    assigns \nothing;
    ensures encoded_scope(b, q);
*/
static void
move_scope(const struct ward_block *b, const uint8_t *p, const uint8_t *q,
	size_t len)
{
	(void)b;	/* read by the proof only */
	(void)p;
	(void)q;
	(void)len;
}

/*@ requires \valid_read(b) && 0 <= len <= WARD_BLOCK_MAX;
    requires \valid_read(p + (0 .. len - 1)) && \valid_read(q + (0 .. len - 1));
    requires WARD_SIG_BYTES <= len;
    requires \forall integer k; 0 <= k < len ==> p[k] == q[k];
    requires encoded_sig(b, p, len);
    assigns \nothing;
    ensures encoded_sig(b, q, len);
*/
static void
move_sig(const struct ward_block *b, const uint8_t *p, const uint8_t *q,
	size_t len)
{
	(void)b;	/* read by the proof only */
	(void)p;
	(void)q;
	(void)len;
}

/* Do the link's wire bytes encode its block?  Re-encoded into a buffer
 * of its own and compared, reading only: the block is checked against
 * the bytes the core received, whoever filled it in. */
/*@ requires \valid_read(l) && block_ok(&l->b);
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 ==> l->raw_len <= WARD_BLOCK_MAX &&
      encoded_as(&l->b, &l->raw[0], l->raw_len);
*/
static int
wire_match(const struct ward_link *l)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t len = 0, k;

	if (l->raw_len > WARD_BLOCK_MAX)
		return 0;
	/* One branch, added not ||-ed: the encoding cannot fail into a
	 * buffer of WARD_BLOCK_MAX bytes, and a branch of its own would be
	 * dead code. */
	if ((ward_block_encode(buf, sizeof buf, &l->b, &len) == WARD_OK) +
	    (len == l->raw_len) != 2)
		return 0;
	/*@ loop invariant 0 <= k <= len;
	    loop invariant \forall integer j; 0 <= j < k ==> buf[j] == l->raw[j];
	    loop assigns k;
	    loop variant len - k;
	*/
	for (k = 0; k < len; k++)
		if (buf[k] != l->raw[k])
			return 0;
	/* The encoding, moved from buf to the bytes received, part by part. */
	/*@ assert enc: encoded_as(&l->b, &buf[0], len); */
	move_bytes(&l->b, buf, l->raw, len);
	move_ids(&l->b, buf, l->raw, len);
	move_ints(&l->b, buf, l->raw, len);
	move_scope(&l->b, buf, l->raw, len);
	move_sig(&l->b, buf, l->raw, len);
	return 1;
}

/* Is the link's id the id of its wire bytes' body?  Recomputed into a
 * buffer of its own and compared, reading only. */
/*@ requires \valid_read(l) && block_ok(&l->b);
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 ==> link_id_ok(l);
*/
static int
id_match(const struct ward_link *l)
{
	uint8_t id[WARD_ID_BYTES];

	if (ward_block_id(id, l->raw, WARD_BLOCK_HDR + (size_t)l->b.scope_len) != 0)
		return 0;
	/*@ assert id_of: val32(&id[0]) ==
	      block_id_of(&l->raw[0], body_len(&l->b)); */
	if (eq32(id, l->id) != 1)
		return 0;
	val32_eq(id, l->id);
	return 1;
}

/* The checks of one link on its own. */
/*@ requires \valid_read(l);
    requires \valid_read(rv) && revset_ok(rv);
    assigns \nothing;
    ensures \result == WARD_OK ==> block_ok(&l->b);
    ensures \result == WARD_OK ==> link_decoded(l) && link_id_ok(l);
    ensures \result == WARD_OK ==>
      scope_canonical(l->b.kind, &l->b.scope[0], l->b.scope_len);
    ensures \result == WARD_OK ==> link_signed(l);
    ensures \result == WARD_OK ==> !revoked(rv, &l->id[0]);
    ensures \result == WARD_OK ==> in_window(&l->b, now);
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures why: link_cause(l, rv, now, \result);
    ensures why_sig: \result == WARD_E_SIGNATURE ==> link_sig_bad(l);
    ensures why_nc: \result == WARD_E_NONCANONICAL ==> link_noncanon(l);
    ensures own: \result == WARD_OK || \result == WARD_E_NONCANONICAL ||
      \result == WARD_E_CRYPTO || \result == WARD_E_SIGNATURE ||
      link_reason(\result);
    ensures first: own_first(l, rv, now, \result);
*/
static int
link_own(const struct ward_link *l, const struct ward_revset *rv,
	 uint64_t now)
{
	if (block_valid(&l->b) != 1)
		return WARD_E_NONCANONICAL;
	/* The block and id are those of the bytes received (link_decoded,
	 * link_id_ok), checked here, reading only, so that chain_valid
	 * speaks of the wire bytes in whatever state it is checked in.  A
	 * block or id that is not that of its bytes is not a fault of the
	 * bytes (the decoder checked them) but of the decoding or of the
	 * hash: CRYPTO, an inconsistency, as a re-check's refusal is in
	 * approve.c, so that MALFORMED always names a cause in the bytes
	 * (why_body, chain.h). */
	if (wire_match(l) != 1 || id_match(l) != 1)
		return WARD_E_CRYPTO;
	/*@ assert decoded: link_decoded(l); */
	if (ward_scope_canonical(l->b.kind, l->b.scope, l->b.scope_len) != 1)
		return WARD_E_NONCANONICAL;
	if (ward_link_sig_check(l) != 0)
		return WARD_E_SIGNATURE;
	if (ward_is_revoked(rv, l->id) != 0)
		return WARD_E_REVOKED;
	if (now < l->b.not_before)
		return WARD_E_NOT_YET_VALID;
	if (now > l->b.not_after)
		return WARD_E_EXPIRED;
	return WARD_OK;
}

/* The root: no parent, issued by a trusted authority. */
/*@ requires \valid_read(l);
    requires \valid_read(t) && trust_ok(t);
    assigns \nothing;
    ensures \result == WARD_OK ==>
      is_root(&l->b) && trusted(t, &l->b.issuer[0]);
    ensures \result == WARD_OK || \result == WARD_E_ROOT_PARENT ||
      \result == WARD_E_UNTRUSTED_ROOT;
    ensures why: \result == WARD_E_ROOT_PARENT ==> !is_root(&l->b);
    ensures why_trust: \result == WARD_E_UNTRUSTED_ROOT ==>
      !trusted(t, &l->b.issuer[0]);
    ensures first: \result == WARD_E_UNTRUSTED_ROOT ==> is_root(&l->b);
*/
static int
root_check(const struct ward_link *l, const struct ward_trust *t)
{
	uint32_t m;

	/*@ loop invariant 0 <= m <= WARD_ID_BYTES;
	    loop invariant \forall integer k; 0 <= k < m ==> l->b.parent[k] == 0;
	    loop assigns m;
	    loop variant WARD_ID_BYTES - m;
	*/
	for (m = 0; m < WARD_ID_BYTES; m++)
		if (l->b.parent[m] != 0)
			return WARD_E_ROOT_PARENT;
	if (ward_trusted(t, l->b.issuer) != 1)
		return WARD_E_UNTRUSTED_ROOT;
	return WARD_OK;
}

/* A child: named by its parent's id, issued by its parent's holder, and
 * attenuated from it. */
/*@ requires \valid_read(l) && \valid_read(p);
    requires block_ok(&l->b) && block_ok(&p->b);
    assigns \nothing;
    ensures \result == WARD_OK ==>
      same_bytes(&l->b.parent[0], &p->id[0], WARD_ID_BYTES) &&
      same_bytes(&l->b.issuer[0], &p->b.holder[0], WARD_KEY_BYTES) &&
      attenuated(&l->b, &p->b);
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures not_own: \result != WARD_E_REVOKED &&
      \result != WARD_E_NOT_YET_VALID && \result != WARD_E_EXPIRED;
    ensures why: \result != WARD_OK ==> \result != WARD_E_CYCLE &&
      (\result == WARD_E_PARENT_HASH ==>
         !same_bytes(&l->b.parent[0], &p->id[0], WARD_ID_BYTES)) &&
      (\result == WARD_E_ISSUER ==>
         !same_bytes(&l->b.issuer[0], &p->b.holder[0], WARD_KEY_BYTES)) &&
      atten_cause(&l->b, &p->b, \result);
    ensures pair: \result == WARD_OK || pair_reason(\result);
    ensures first_parent: \result != WARD_OK && \result != WARD_E_PARENT_HASH ==>
      same_bytes(&l->b.parent[0], &p->id[0], WARD_ID_BYTES);
    ensures first_issuer: \result != WARD_OK &&
      \result != WARD_E_PARENT_HASH && \result != WARD_E_ISSUER ==>
        same_bytes(&l->b.issuer[0], &p->b.holder[0], WARD_KEY_BYTES);
    ensures first_atten: atten_first(&l->b, &p->b, \result);
*/
static int
child_check(const struct ward_link *l, const struct ward_link *p)
{
	int r = child_of(l, p);

	if (r == 1)
		return WARD_E_PARENT_HASH;
	if (r == 2)
		return WARD_E_ISSUER;
	return ward_attenuation_check(&l->b, &p->b);
}

/* No earlier link carries the id of link i. */
/*@ requires \valid_read(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    requires 0 <= i < ch->n;
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 ==> \forall integer j; 0 <= j < i ==> ids_differ(ch, j, i);
    ensures why: \result == 0 ==> \exists integer j; 0 <= j < i && !ids_differ(ch, j, i);
*/
static int
id_fresh(const struct ward_chain *ch, uint32_t i)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= i;
	    loop invariant \forall integer k; 0 <= k < j ==> ids_differ(ch, k, i);
	    loop assigns j;
	    loop variant i - j;
	*/
	for (j = 0; j < i; j++)
		if (id_eq(&ch->l[j], &ch->l[i]) == 1)
			return 0;
	return 1;
}

/* The decoder's window check, not_before <= not_after as big-endian sums
 * (be64_at, codec.h), is the byte-by-byte order link_window_ordered
 * (chain.h) states: the first byte that differs decides.  Both ways: a
 * whole header's window is in order (TRAILING, OVERSIZE, MALFORMED), and a
 * window the decoder found inverted is out of order (NONCANONICAL).  A
 * ghost function, not a lemma: WP adds every lemma to every goal's
 * context. */
/*@ ghost
  /@ requires \valid_read(l);
     assigns \nothing;
     ensures link_window_ordered(l) <==>
       be64_at(&l->raw[0], WARD_OFF_NOT_BEFORE) <=
       be64_at(&l->raw[0], WARD_OFF_NOT_AFTER);
  @/
  void
  lemma_window_ordered(const struct ward_link *l)
  {
  }
*/

/* The bytes of one link, reading only: the first of the decoder's checks
 * they fail (ward_link_decode's, in its order: the length, then
 * ward_block_check), and its cause in the bytes (link_head_bad,
 * link_body_bad, chain.h), written out over the raw bytes. */
/*@ requires \valid_read(l);
    assigns \nothing;
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures decoding: \result != WARD_OK ==> decode_refusal(\result);
    ensures not_length: \result != WARD_E_CHAIN_EMPTY &&
      \result != WARD_E_CHAIN_TOO_LONG;
    ensures why_head: link_head_reason(\result) ==> link_head_bad(l, \result);
    ensures why_body: wire_body_reason(\result) ==> link_body_bad(l, \result);
    ensures passes: \result == WARD_OK ==> link_passes(l);
    ensures fails: \result != WARD_OK ==> link_fails(l, \result);
*/
static int
scan_one(const struct ward_link *l)
{
	int r;

	if (l->raw_len > WARD_BLOCK_MAX)
		return WARD_E_OVERSIZE;
	r = ward_block_check(l->raw, l->raw_len);
	/*@ ghost lemma_window_ordered(l); */
	/*@ assert bad_h: wire_head_reason(r) ==> link_head_bad(l, r); */
	/*@ assert t_hdr: r == WARD_E_TRAILING ==>
	      wire_long_enough(l->raw_len) && wire_header_ok(&l->raw[0]) &&
	      l->raw_len > wire_len_of(&l->raw[0]) &&
	      l->raw_len <= WARD_BLOCK_MAX; */
	/*@ assert t_len: be16_at(&l->raw[0], WARD_OFF_SCOPE_LEN) ==
	      link_scope_len(l); */
	/*@ assert bad_t: r == WARD_E_TRAILING ==> link_head_bad(l, r); */
	/*@ assert bad_o: r == WARD_E_OVERSIZE ==> link_head_bad(l, r); */
	/*@ assert bad: link_head_reason(r) ==> link_head_bad(l, r); */
	/*@ assert m_hdr: r == WARD_E_MALFORMED &&
	      l->raw_len >= WARD_WIRE_MIN ==>
	        wire_header_ok(&l->raw[0]) && link_header_ok(l); */
	/*@ assert bad_m: r == WARD_E_MALFORMED ==> link_body_bad(l, r); */
	/*@ assert n_hdr: r == WARD_E_NONCANONICAL &&
	      wire_fields_ok(&l->raw[0]) ==>
	        wire_header_ok(&l->raw[0]) && link_header_ok(l); */
	/*@ assert n_fld: r == WARD_E_NONCANONICAL &&
	      !wire_fields_ok(&l->raw[0]) ==>
	        !(l->raw[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
	          link_scope_len(l) != 0 && link_window_ordered(l)); */
	/*@ assert n_base: r == WARD_E_NONCANONICAL ==>
	      WARD_WIRE_MIN <= l->raw_len <= WARD_BLOCK_MAX &&
	      l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
	      1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
	      l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
	      l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1; */
	/*@ assert n_len: r == WARD_E_NONCANONICAL &&
	      wire_fields_ok(&l->raw[0]) ==>
	        l->raw_len == WARD_WIRE_MIN + link_scope_len(l); */
	/*@ assert n_byte: r == WARD_E_NONCANONICAL &&
	      wire_fields_ok(&l->raw[0]) ==>
	        \exists integer j; WARD_OFF_SCOPE <= j <
	          WARD_OFF_SCOPE + link_scope_len(l) &&
	          !(0x21 <= l->raw[j] <= 0x7e); */
	/*@ assert bad_n1: r == WARD_E_NONCANONICAL &&
	      !wire_fields_ok(&l->raw[0]) ==> link_body_bad(l, r); */
	/*@ assert bad_n2: r == WARD_E_NONCANONICAL &&
	      wire_fields_ok(&l->raw[0]) ==> link_body_bad(l, r); */
	/*@ assert bad_n: r == WARD_E_NONCANONICAL ==> link_body_bad(l, r); */
	/*@ assert ok_hdr: r == WARD_OK ==>
	      wire_header_ok(&l->raw[0]) && link_header_ok(l); */
	/*@ assert ok_pass: r == WARD_OK ==> link_passes(l); */
	return r;
}

/* Every link's bytes, in order, reading only: the first refusal, with its
 * cause in the chain (wire_refused, wire_broken, chain.h).  Before any
 * write, so that the cause is a fact of the bytes the chain arrived with
 * and no frame is carried across the decoding (measured: the frame of
 * every link's bytes across a loop that decodes them timed out at 10 s;
 * the header bytes alone needed an invariant of their own, written out
 * byte by byte). */
/*@ requires \valid_read(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    assigns \nothing;
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures decoding: \result != WARD_OK ==> decode_refusal(\result);
    ensures not_length: \result != WARD_E_CHAIN_EMPTY &&
      \result != WARD_E_CHAIN_TOO_LONG;
    ensures why_wire: link_head_reason(\result) ==> wire_refused(ch, \result);
    ensures why_body: wire_body_reason(\result) ==> wire_broken(ch, \result);
    ensures first: \result != WARD_OK ==> wire_first(ch, \result);
    ensures clean: \result == WARD_OK ==>
      \forall integer k; 0 <= k < ch->n ==> link_passes(&ch->l[k]);
*/
static int
scan_links(const struct ward_chain *ch)
{
	uint32_t i;
	int r;

	/*@ loop invariant 0 <= i <= ch->n;
	    loop invariant \forall integer k; 0 <= k < i ==>
	      link_passes(&ch->l[k]);
	    loop assigns i, r;
	    loop variant ch->n - i;
	*/
	for (i = 0; i < ch->n; i++) {
		r = scan_one(&ch->l[i]);
		if (r != WARD_OK) {
			/*@ assert w_i: link_head_reason(r) ==> wire_refused(ch, r); */
			/*@ assert b_i: wire_body_reason(r) ==> wire_broken(ch, r); */
			/*@ assert f_i: wire_first(ch, r); */
			return r;
		}
	}
	return WARD_OK;
}

/* Decode links 0 .. n-1 and compute their ids, once scan_links accepted
 * every link's bytes: a refusal can then only be a hash that could not be
 * computed, or an inconsistency, both CRYPTO. */
/*@ requires \valid(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    assigns ch->l[0 .. WARD_CHAIN_MAX - 1];
    ensures \result == WARD_OK || \result == WARD_E_CRYPTO;
*/
static int
decode_links(struct ward_chain *ch)
{
	uint32_t i;

	/*@ loop invariant 0 <= i <= ch->n;
	    loop invariant 1 <= ch->n <= WARD_CHAIN_MAX;
	    loop assigns i, ch->l[0 .. WARD_CHAIN_MAX - 1];
	    loop variant ch->n - i;
	*/
	for (i = 0; i < ch->n; i++)
		if (ward_link_decode(&ch->l[i]) != WARD_OK)
			return WARD_E_CRYPTO;
	return WARD_OK;
}

/* Pass 1, the only writes: check every link's bytes, then decode every
 * link and compute its id.  Contract in chain.h. */
int
ward_chain_decode(struct ward_chain *ch)
{
	int r;

	if (ch->n == 0)
		return WARD_E_CHAIN_EMPTY;
	if (ch->n > WARD_CHAIN_MAX)
		return WARD_E_CHAIN_TOO_LONG;
	r = scan_links(ch);
	/* The first link that fails is the only one before which every link
	 * passes, and it fails one reason only: the bytes' verdict is r. */
	/*@ assert one: r != WARD_OK ==>
	      \forall integer x; wire_first(ch, x) ==> x == r; */
	/*@ assert none: r == WARD_OK ==>
	      \forall integer x; !wire_first(ch, x); */
	if (r != WARD_OK)
		return r;
	return decode_links(ch);
}

/* CYCLE is link i's first broken rule once its parent's checks are kept:
 * a step in a context of its own.  Ghost. */
/*@ ghost
  /@ requires \valid_read(ch) && 1 <= i < ch->n <= WARD_CHAIN_MAX;
     requires same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
                         WARD_ID_BYTES);
     requires same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0],
                         WARD_KEY_BYTES);
     requires attenuated(&ch->l[i].b, &ch->l[i - 1].b);
     requires \exists integer j; 0 <= j < i && !ids_differ(ch, j, i);
     assigns \nothing;
     ensures c_atten: atten_first(&ch->l[i].b, &ch->l[i - 1].b, WARD_E_CYCLE);
     ensures pair_first(ch, i, WARD_E_CYCLE);
  @/
  static void cycle_first(const struct ward_chain *ch, uint32_t i)
  {
  }
*/

/* Link i > 0 of pass 2: its own checks, its parent, its id is new. */
/*@ requires \valid_read(ch) && 1 <= i < ch->n <= WARD_CHAIN_MAX;
    requires \valid_read(rv) && revset_ok(rv);
    requires block_ok(&ch->l[i - 1].b);
    assigns \nothing;
    ensures \result == WARD_OK ==> block_ok(&ch->l[i].b);
    ensures \result == WARD_OK ==>
      link_good(ch, i, rv, now) && link_linked(ch, i) && link_wire(ch, i) &&
      (\forall integer j; 0 <= j < i ==> ids_differ(ch, j, i));
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures why: link_cause(&ch->l[i], rv, now, \result);
    ensures why_sig: \result == WARD_E_SIGNATURE ==> link_sig_bad(&ch->l[i]);
    ensures why_nc: \result == WARD_E_NONCANONICAL ==>
      link_noncanon(&ch->l[i]);
    ensures why_pair: pair_cause(ch, i, \result);
    ensures not_root: !root_reason(\result);
    ensures steps: \result == WARD_OK || \result == WARD_E_CRYPTO ||
      \result == WARD_E_NONCANONICAL || \result == WARD_E_SIGNATURE ||
      link_reason(\result) || pair_reason(\result);
    ensures first_own: own_reason(\result) ==>
      own_first(&ch->l[i], rv, now, \result);
    ensures first_pair: pair_reason(\result) ==>
      link_good(ch, i, rv, now) && pair_first(ch, i, \result);
*/
static int
child_step(const struct ward_chain *ch, uint32_t i,
	   const struct ward_revset *rv, uint64_t now)
{
	const struct ward_link *l = &ch->l[i];
	const struct ward_link *p = &ch->l[i - 1];
	int r;

	/* Stated before the calls, where the provers see only the bounds. */
	/*@ assert p_valid: \valid_read(p); */
	r = link_own(l, rv, now);
	if (r != WARD_OK) {
		/*@ assert own_pair: !pair_reason(r); */
		return r;
	}
	/*@ assert own_ok: block_ok(&l->b); */
	r = child_check(l, p);
	if (r != WARD_OK) {
		/*@ assert pair_hash: r == WARD_E_PARENT_HASH ==>
		      !same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
		                  WARD_ID_BYTES); */
		/*@ assert pair_issuer: r == WARD_E_ISSUER ==>
		      !same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0],
		                  WARD_KEY_BYTES); */
		/*@ assert pair_atten: atten_cause(&ch->l[i].b, &ch->l[i - 1].b, r); */
		return r;
	}
	/*@ assert kept_p: same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
	      WARD_ID_BYTES); */
	/*@ assert kept_i: same_bytes(&ch->l[i].b.issuer[0],
	      &ch->l[i - 1].b.holder[0], WARD_KEY_BYTES); */
	/*@ assert kept_a: attenuated(&ch->l[i].b, &ch->l[i - 1].b); */
	if (id_fresh(ch, i) != 1) {
		/*@ assert cyc_j: \exists integer j; 0 <= j < i && !ids_differ(ch, j, i); */
		/*@ ghost cycle_first(ch, i); */
		return WARD_E_CYCLE;
	}
	return WARD_OK;
}

/* Link i's cause is the chain's: a step stated in a context of its own
 * (measured: inside ward_chain_check, with the loop's invariants as
 * hypotheses, the same step timed out at 10 s on both provers).  Ghost:
 * it runs nowhere. */
/*@ ghost
  /@ requires \valid_read(ch) && 1 <= i < ch->n <= WARD_CHAIN_MAX;
     requires link_cause(&ch->l[i], rv, now, r);
     requires pair_cause(ch, i, r);
     requires !root_reason(r);
     assigns \nothing;
     ensures chain_cause(ch, t, rv, now, r);
  @/
  static void link_to_chain(const struct ward_chain *ch,
                            const struct ward_trust *t,
                            const struct ward_revset *rv, uint64_t now,
                            uint32_t i, int r)
  {
  }
*/

/* Link i's first broken rule is the chain's, every link before it clear:
 * a step in a context of its own, as link_to_chain is.  Ghost. */
/*@ ghost
  /@ requires \valid_read(ch) && 0 <= i < ch->n <= WARD_CHAIN_MAX;
     requires \forall integer k; 0 <= k < i ==> link_clear(ch, t, rv, now, k);
     requires link_first(ch, t, rv, now, i, r);
     assigns \nothing;
     ensures chain_first(ch, t, rv, now, r);
  @/
  static void first_to_chain(const struct ward_chain *ch,
                             const struct ward_trust *t,
                             const struct ward_revset *rv, uint64_t now,
                             uint32_t i, int r)
  {
  }
*/

/* Pass 2, read-only: every rule of every link, the root first.  Contract
 * in chain.h. */
int
ward_chain_check(const struct ward_chain *ch, const struct ward_trust *t,
	    const struct ward_revset *rv, uint64_t now)
{
	uint32_t i;
	int r;

	r = link_own(&ch->l[0], rv, now);
	if (r != WARD_OK) {
		/*@ assert why_0: link_cause(&ch->l[0], rv, now, r); */
		/*@ assert why_0c: chain_cause(ch, t, rv, now, r); */
		/*@ assert why_0s: r == WARD_E_SIGNATURE ==> sig_cause(ch); */
		/*@ assert why_0n: r == WARD_E_NONCANONICAL ==> chain_noncanon(ch); */
		/*@ assert first_0: link_first(ch, t, rv, now, 0, r); */
		/*@ ghost first_to_chain(ch, t, rv, now, 0, r); */
		return r;
	}
	/*@ assert own_0: link_good(ch, 0, rv, now) && link_wire(ch, 0); */
	r = root_check(&ch->l[0], t);
	if (r != WARD_OK) {
		/*@ assert why_root: root_cause(ch, t, r); */
		/*@ assert why_rootc: chain_cause(ch, t, rv, now, r); */
		/*@ assert first_r: link_first(ch, t, rv, now, 0, r); */
		/*@ ghost first_to_chain(ch, t, rv, now, 0, r); */
		return r;
	}
	/*@ assert root_good(ch, t); */
	/*@ assert link_good(ch, 0, rv, now); */
	/*@ assert link_wire(ch, 0); */
	/*@ assert clear_0: link_clear(ch, t, rv, now, 0); */
	/*@ loop invariant 1 <= i <= ch->n;
	    loop invariant trust_ok(t) && revset_ok(rv);
	    loop invariant block_ok(&ch->l[i - 1].b);
	    loop invariant root_good(ch, t);
	    loop invariant \forall integer k; 0 <= k < i ==> link_good(ch, k, rv, now);
	    loop invariant \forall integer k; 0 <= k < i ==> link_wire(ch, k);
	    loop invariant \forall integer k; 0 <= k < i ==> block_ok(&ch->l[k].b);
	    loop invariant \forall integer k; 0 < k < i ==> link_linked(ch, k);
	    loop invariant \forall integer k, j; 0 <= k < j < i ==> ids_differ(ch, k, j);
	    loop invariant clear: \forall integer k; 0 <= k < i ==>
	      link_clear(ch, t, rv, now, k);
	    loop assigns i, r;
	    loop variant ch->n - i;
	*/
	for (i = 1; i < ch->n; i++) {
		r = child_step(ch, i, rv, now);
		if (r != WARD_OK) {
			/*@ ghost link_to_chain(ch, t, rv, now, i, r); */
			/*@ assert why_is: r == WARD_E_SIGNATURE ==> sig_cause(ch); */
			/*@ assert why_in: r == WARD_E_NONCANONICAL ==>
			      chain_noncanon(ch); */
			/*@ assert first_i: link_first(ch, t, rv, now, i, r); */
			/*@ ghost first_to_chain(ch, t, rv, now, i, r); */
			return r;
		}
		/*@ assert clear_i: link_clear(ch, t, rv, now, i); */
	}
	/*@ assert i == ch->n; */
	/*@ assert v_root: root_good(ch, t); */
	/*@ assert v_good: \forall integer k; 0 <= k < ch->n ==>
	      link_good(ch, k, rv, now);
	*/
	/*@ assert v_ok: \forall integer k; 0 <= k < ch->n ==>
	      block_ok(&ch->l[k].b); */
	/*@ assert v_wire: \forall integer k; 0 <= k < ch->n ==> link_wire(ch, k); */
	/*@ assert v_linked: \forall integer k; 0 < k < ch->n ==> link_linked(ch, k); */
	/*@ assert v_ids: \forall integer k, j; 0 <= k < j < ch->n ==>
	      ids_differ(ch, k, j);
	*/
	return WARD_OK;
}

int
ward_chain_verify(struct ward_chain *ch, const struct ward_trust *t,
		  const struct ward_revset *rv, uint64_t now)
{
	int r;

	/* revset_ok unfolded before the call, where its context is only the
	 * precondition (after the call the same step failed under load). */
	/*@ assert rv_pre: \forall integer k; 0 <= k < WARD_REVOKE_N ==>
	      (rv->live[k] == 0 || rv->live[k] == 1) &&
	      (rv->live[k] == 1 ==> rev_in_home(rv, k));
	*/
	r = ward_chain_decode(ch);
	if (r != WARD_OK)
		return r;
	/* Decoding wrote only the chain: the revocation set is as it was,
	 * stated field by field and then folded (the provers do the frame of
	 * flat facts far better than that of a whole predicate). */
	/*@ assert trust_ok(t); */
	/*@ assert rv_count: rv->count == \at(rv->count, Pre); */
	/*@ assert rv_live: \forall integer k; 0 <= k < WARD_REVOKE_N ==>
	      rv->live[k] == \at(rv->live[k], Pre);
	*/
	/*@ assert rv_ids: \forall integer k, j; 0 <= k < WARD_REVOKE_N &&
	      0 <= j < WARD_ID_BYTES ==> rv->id[k][j] == \at(rv->id[k][j], Pre);
	*/
	/*@ assert rv_home: \forall integer k; 0 <= k < WARD_REVOKE_N ==>
	      rev_home(rv, k) == \at(rev_home(rv, k), Pre);
	*/
	/*@ assert rv_flat: \forall integer k; 0 <= k < WARD_REVOKE_N ==>
	      (rv->live[k] == 0 || rv->live[k] == 1) &&
	      (rv->live[k] == 1 ==> rev_in_home(rv, k));
	*/
	/*@ assert revset_ok(rv); */
	return ward_chain_check(ch, t, rv, now);
}
