/*
 * codec.c -- the canonical wire encoding of a capability block.
 *
 * Verified: the contracts are in codec.h.  The static helpers below carry
 * their own contracts because nothing outside this file may call them.
 * Every byte of the input is checked before any byte of *out is written,
 * so a refusal leaves *out exactly as it was.
 */
#include "codec.h"

/* Checked by the compiler; Frama-C parses C99 here and never sees them. */
#ifndef WARD_PROOF
_Static_assert(WARD_OFF_SCOPE_LEN + 2u == WARD_BLOCK_HDR,
	       "the scope follows the scope length");
_Static_assert(WARD_WIRE_MIN + WARD_SCOPE_MAX == WARD_BLOCK_MAX,
	       "a block fits WARD_BLOCK_MAX");
#endif

/*
 * Fixed-offset integer access.  The offset is a parameter rather than a
 * shifted pointer so that the postconditions speak about the same base
 * pointer as encoded_as and canonical_block.
 */

/*@ requires o <= WARD_BLOCK_MAX;
    requires \valid_read(p + (o .. o + 1));
    assigns \nothing;
    ensures \result == be16_at(p, o);
*/
static uint16_t
get16_at(const uint8_t *p, size_t o)
{
	return (uint16_t)((uint32_t)p[o] * 256u + (uint32_t)p[o + 1u]);
}

/*@ requires o <= WARD_BLOCK_MAX;
    requires \valid_read(p + (o .. o + 3));
    assigns \nothing;
    ensures \result == be32_at(p, o);
*/
static uint32_t
get32_at(const uint8_t *p, size_t o)
{
	return (uint32_t)p[o] * 16777216u + (uint32_t)p[o + 1u] * 65536u +
	       (uint32_t)p[o + 2u] * 256u + (uint32_t)p[o + 3u];
}

/*@ requires o <= WARD_BLOCK_MAX;
    requires \valid_read(p + (o .. o + 7));
    assigns \nothing;
    ensures \result == be64_at(p, o);
*/
static uint64_t
get64_at(const uint8_t *p, size_t o)
{
	return (uint64_t)p[o] * 72057594037927936u +
	       (uint64_t)p[o + 1u] * 281474976710656u +
	       (uint64_t)p[o + 2u] * 1099511627776u +
	       (uint64_t)p[o + 3u] * 4294967296u +
	       (uint64_t)p[o + 4u] * 16777216u +
	       (uint64_t)p[o + 5u] * 65536u +
	       (uint64_t)p[o + 6u] * 256u +
	       (uint64_t)p[o + 7u];
}

/*@ requires o + 2 <= WARD_BLOCK_MAX;
    requires \valid(p + (o .. o + 1));
    assigns p[o .. o + 1];
    ensures be16_at(p, o) == v;
*/
static void
put16_at(uint8_t *p, size_t o, uint16_t v)
{
	p[o] = (uint8_t)(v / 256u);
	p[o + 1u] = (uint8_t)(v % 256u);
}

/*@ requires o + 4 <= WARD_BLOCK_MAX;
    requires \valid(p + (o .. o + 3));
    assigns p[o .. o + 3];
    ensures be32_at(p, o) == v;
*/
static void
put32_at(uint8_t *p, size_t o, uint32_t v)
{
	put16_at(p, o, (uint16_t)(v / 65536u));
	put16_at(p, o + 2u, (uint16_t)(v % 65536u));
}

/*@ requires o + 8 <= WARD_BLOCK_MAX;
    requires \valid(p + (o .. o + 7));
    assigns p[o .. o + 7];
    ensures be64_at(p, o) == v;
*/
static void
put64_at(uint8_t *p, size_t o, uint64_t v)
{
	put32_at(p, o, (uint32_t)(v / 4294967296u));
	put32_at(p, o + 4u, (uint32_t)(v % 4294967296u));
}

/* Byte copies, written out because the verified core calls no library. */

/*@ requires o + n <= WARD_BLOCK_MAX;
    requires \valid(dst + (0 .. n - 1));
    requires \valid_read(src + (o .. o + n - 1));
    requires \separated(dst + (0 .. n - 1), src + (o .. o + n - 1));
    assigns dst[0 .. n - 1];
    ensures \forall integer k; 0 <= k < n ==> dst[k] == src[o + k];
*/
static void
copy_from(uint8_t *dst, const uint8_t *src, size_t o, size_t n)
{
	size_t i;

	/*@ loop invariant 0 <= i <= n;
	    loop invariant \forall integer k; 0 <= k < i ==> dst[k] == \at(src[o + k], Pre);
	    loop assigns i, dst[0 .. n - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		dst[i] = src[o + i];
}

/*@ requires o + n <= WARD_BLOCK_MAX;
    requires \valid(dst + (o .. o + n - 1));
    requires \valid_read(src + (0 .. n - 1));
    requires \separated(dst + (o .. o + n - 1), src + (0 .. n - 1));
    assigns dst[o .. o + n - 1];
    ensures \forall integer k; 0 <= k < n ==> dst[o + k] == src[k];
*/
static void
copy_to(uint8_t *dst, size_t o, const uint8_t *src, size_t n)
{
	size_t i;

	/*@ loop invariant 0 <= i <= n;
	    loop invariant \forall integer k; 0 <= k < i ==> dst[o + k] == \at(src[k], Pre);
	    loop assigns i, dst[o .. o + n - 1];
	    loop variant n - i;
	*/
	for (i = 0; i < n; i++)
		dst[o + i] = src[i];
}

/*
 * The acceptance check of the header and the length, on the bytes alone.
 * The order of the tests is the order of the refusal behaviors of
 * ward_block_decode; the scope bytes are checked by scope_bytes_ok.
 */
/*@ requires len == 0 || \valid_read(in + (0 .. len - 1));
    assigns \nothing;
    ensures \result == WARD_OK ==>
      wire_long_enough(len) && wire_header_ok(in) && len == wire_len_of(in);
    ensures \result != WARD_OK ==>
      !(wire_long_enough(len) && wire_header_ok(in) && len == wire_len_of(in));

    behavior too_short:
      assumes !wire_long_enough(len);
      ensures \result == WARD_E_MALFORMED;
    behavior bad_version:
      assumes wire_long_enough(len) && !wire_version_ok(in);
      ensures \result == WARD_E_VERSION;
    behavior bad_kind:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              !wire_kind_ok(in);
      ensures \result == WARD_E_KIND;
    behavior bad_flag:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && !wire_flags_ok(in);
      ensures \result == WARD_E_FLAGS;
    behavior bad_field:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && wire_flags_ok(in) && !wire_fields_ok(in);
      ensures \result == WARD_E_NONCANONICAL;
    behavior scope_too_long:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && wire_flags_ok(in) && wire_fields_ok(in) &&
              !wire_scope_fits(in);
      ensures \result == WARD_E_OVERSIZE;
    behavior trailing:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len > wire_len_of(in);
      ensures \result == WARD_E_TRAILING;
    behavior truncated:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len < wire_len_of(in);
      ensures \result == WARD_E_MALFORMED;
    behavior whole:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len == wire_len_of(in);
      ensures \result == WARD_OK;

    complete behaviors;
    disjoint behaviors;
*/
static int
header_check(const uint8_t *in, size_t len)
{
	size_t scope_len;

	if (len < WARD_WIRE_MIN)
		return WARD_E_MALFORMED;
	if (in[WARD_OFF_VERSION] != WARD_VERSION)
		return WARD_E_VERSION;
	if (in[WARD_OFF_KIND] < 1u || in[WARD_OFF_KIND] > WARD_KIND_LAST)
		return WARD_E_KIND;
	if (in[WARD_OFF_INVOKE] > 1u || in[WARD_OFF_READ] > 1u ||
	    in[WARD_OFF_WRITE] > 1u || in[WARD_OFF_DELEGATE] > 1u)
		return WARD_E_FLAGS;
	scope_len = get16_at(in, WARD_OFF_SCOPE_LEN);
	if (in[WARD_OFF_DEPTH] >= WARD_CHAIN_MAX || scope_len == 0u ||
	    get64_at(in, WARD_OFF_NOT_BEFORE) > get64_at(in, WARD_OFF_NOT_AFTER))
		return WARD_E_NONCANONICAL;
	if (scope_len > WARD_SCOPE_MAX)
		return WARD_E_OVERSIZE;
	if (len > WARD_WIRE_MIN + scope_len)
		return WARD_E_TRAILING;
	if (len < WARD_WIRE_MIN + scope_len)
		return WARD_E_MALFORMED;
	return WARD_OK;
}

/* Are the n scope bytes printable ASCII other than space? */
/*@ requires n <= WARD_SCOPE_MAX;
    requires \valid_read(in + (WARD_OFF_SCOPE .. WARD_OFF_SCOPE + n - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> (\forall integer j;
      WARD_OFF_SCOPE <= j < WARD_OFF_SCOPE + n ==> 0x21 <= in[j] <= 0x7e);
*/
static int
scope_bytes_ok(const uint8_t *in, size_t n)
{
	size_t i;

	/*@ loop invariant WARD_OFF_SCOPE <= i <= WARD_OFF_SCOPE + n;
	    loop invariant \forall integer j; WARD_OFF_SCOPE <= j < i ==>
	      0x21 <= in[j] <= 0x7e;
	    loop assigns i;
	    loop variant WARD_OFF_SCOPE + n - i;
	*/
	for (i = WARD_OFF_SCOPE; i < WARD_OFF_SCOPE + n; i++) {
		if (in[i] < 0x21u || in[i] > 0x7eu)
			return 0;
	}
	return 1;
}

/* The acceptance check, on the bytes alone: the header, then the scope.
 * Contract in codec.h. */
int
ward_block_check(const uint8_t *in, size_t len)
{
	int rc;

	rc = header_check(in, len);
	if (rc != WARD_OK) {
		/*@ assert bad_head: !canonical_block(in, len); */
		return rc;
	}
	/*@ assert head: wire_long_enough(len) && wire_header_ok(in) &&
	      len == wire_len_of(in); */
	if (scope_bytes_ok(in, get16_at(in, WARD_OFF_SCOPE_LEN)) != 1) {
		/*@ assert bad_scope: !wire_scope_ok(in); */
		return WARD_E_NONCANONICAL;
	}
	/*@ assert scope: wire_scope_ok(in); */
	/*@ assert whole: canonical_block(in, len); */
	return WARD_OK;
}

/* ---- decoding: the fields of *out from input ward_block_check accepted ---- */

/*@ requires \valid_read(in + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. WARD_BLOCK_HDR - 1));
    assigns out->parent[0 .. WARD_ID_BYTES - 1],
            out->issuer[0 .. WARD_KEY_BYTES - 1],
            out->holder[0 .. WARD_KEY_BYTES - 1],
            out->context[0 .. WARD_CTX_BYTES - 1];
    ensures \forall integer k; 0 <= k < WARD_ID_BYTES ==>
      in[WARD_OFF_PARENT + k] == out->parent[k];
    ensures \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
      in[WARD_OFF_ISSUER + k] == out->issuer[k];
    ensures \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
      in[WARD_OFF_HOLDER + k] == out->holder[k];
    ensures \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
      in[WARD_OFF_CONTEXT + k] == out->context[k];
*/
static void
get_ids(struct ward_block *out, const uint8_t *in)
{
	copy_from(&out->parent[0], in, WARD_OFF_PARENT, WARD_ID_BYTES);
	copy_from(&out->issuer[0], in, WARD_OFF_ISSUER, WARD_KEY_BYTES);
	copy_from(&out->holder[0], in, WARD_OFF_HOLDER, WARD_KEY_BYTES);
	copy_from(&out->context[0], in, WARD_OFF_CONTEXT, WARD_CTX_BYTES);
}

/*
 * Decoding fills *out in three stages, each a function of its own: the
 * frame of what the earlier stages filled is proved where the context
 * holds one copy and those stages' facts as preconditions.  In one
 * function, where every goal also held all the earlier copies and
 * assertions, the same frame steps took 10 to 22 s each in z3.
 */

/* The one-byte fields, in a function of their own: its assigns clause
 * names them, and the ids are carried across that one call. */
/*@ requires \valid_read(in + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. WARD_BLOCK_HDR - 1));
    assigns out->version, out->kind, out->r_invoke, out->r_read,
            out->r_write, out->r_delegate, out->depth;
    ensures encoded_bytes(out, in);
*/
static void
fill_bytes(struct ward_block *out, const uint8_t *in)
{
	out->version = in[WARD_OFF_VERSION];
	out->kind = in[WARD_OFF_KIND];
	out->r_invoke = in[WARD_OFF_INVOKE];
	out->r_read = in[WARD_OFF_READ];
	out->r_write = in[WARD_OFF_WRITE];
	out->r_delegate = in[WARD_OFF_DELEGATE];
	out->depth = in[WARD_OFF_DEPTH];
}

/* The ids, then the one-byte fields (measured, under load: carrying
 * encoded_bytes across get_ids' array writes took 11 s, and encoded_ids
 * across seven inline stores 5.8 s). */
/*@ requires \valid_read(in + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. WARD_BLOCK_HDR - 1));
    assigns out->version, out->kind, out->r_invoke, out->r_read,
            out->r_write, out->r_delegate, out->depth,
            out->parent[0 .. WARD_ID_BYTES - 1],
            out->issuer[0 .. WARD_KEY_BYTES - 1],
            out->holder[0 .. WARD_KEY_BYTES - 1],
            out->context[0 .. WARD_CTX_BYTES - 1];
    ensures encoded_bytes(out, in);
    ensures encoded_ids(out, in);
    ensures in_len: in[WARD_OFF_SCOPE_LEN] == \old(in[WARD_OFF_SCOPE_LEN]) &&
      in[WARD_OFF_SCOPE_LEN + 1] == \old(in[WARD_OFF_SCOPE_LEN + 1]);
*/
static void
fill_front(struct ward_block *out, const uint8_t *in)
{
	get_ids(out, in);
L_ids:
	fill_bytes(out, in);
	/* Each array and its wire bytes as get_ids left them, then
	 * encoded_ids, one array at a time (measured: without the first
	 * steps, ids_c and ids_h took 4.5 s each in cvc4, and in_len timed
	 * out in cvc4 before z3 proved it in 3 s). */
	/*@ assert s_len: in[WARD_OFF_SCOPE_LEN] == \at(in[WARD_OFF_SCOPE_LEN], Pre) &&
	      in[WARD_OFF_SCOPE_LEN + 1] ==
	        \at(in[WARD_OFF_SCOPE_LEN + 1], Pre); */
	/*@ assert s_p: \forall integer k; 0 <= k < WARD_ID_BYTES ==>
	      out->parent[k] == \at(out->parent[k], L_ids) &&
	      in[WARD_OFF_PARENT + k] == \at(in[WARD_OFF_PARENT + k], L_ids); */
	/*@ assert s_i: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      out->issuer[k] == \at(out->issuer[k], L_ids) &&
	      in[WARD_OFF_ISSUER + k] == \at(in[WARD_OFF_ISSUER + k], L_ids); */
	/*@ assert s_h: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      out->holder[k] == \at(out->holder[k], L_ids) &&
	      in[WARD_OFF_HOLDER + k] == \at(in[WARD_OFF_HOLDER + k], L_ids); */
	/*@ assert s_c: \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
	      out->context[k] == \at(out->context[k], L_ids) &&
	      in[WARD_OFF_CONTEXT + k] == \at(in[WARD_OFF_CONTEXT + k], L_ids); */
	/*@ assert ids_p: \forall integer k; 0 <= k < WARD_ID_BYTES ==>
	      in[WARD_OFF_PARENT + k] == out->parent[k]; */
	/*@ assert ids_i: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_ISSUER + k] == out->issuer[k]; */
	/*@ assert ids_h: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_HOLDER + k] == out->holder[k]; */
	/*@ assert ids_c: \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
	      in[WARD_OFF_CONTEXT + k] == out->context[k]; */
}

/* The first n bytes of the scope copied from the wire.  Named, so that
 * fill_sig's precondition is fill_scope's postcondition term for term,
 * which Qed matches (measured: as the same quantified formula written out
 * twice, the provers took 3.7 s to instantiate it, and timed out at 10 s
 * with the machine busy). */
/*@ predicate scope_copied{L}(struct ward_block *out, uint8_t *in,
                              integer n) =
      \forall integer k; 0 <= k < n ==> in[WARD_OFF_SCOPE + k] == out->scope[k];
*/

/* The scope, with the fields filled before carried across the copy. */
/*@ requires \valid_read(in + (0 .. len - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. len - 1));
    requires WARD_WIRE_MIN < len <= WARD_BLOCK_MAX;
    requires encoded_bytes(out, in) && encoded_ids(out, in);
    assigns out->scope[0 .. len - WARD_WIRE_MIN - 1];
    ensures encoded_bytes(out, in);
    ensures encoded_ids(out, in);
    ensures scope_n: scope_copied(out, in, len - WARD_WIRE_MIN);
    ensures in_len: in[WARD_OFF_SCOPE_LEN] == \old(in[WARD_OFF_SCOPE_LEN]) &&
      in[WARD_OFF_SCOPE_LEN + 1] == \old(in[WARD_OFF_SCOPE_LEN + 1]);
*/
static void
fill_scope(struct ward_block *out, const uint8_t *in, size_t len)
{
	copy_from(&out->scope[0], in, WARD_OFF_SCOPE, len - WARD_WIRE_MIN);
	/*@ assert bytes_1: encoded_bytes(out, in); */
	/*@ assert ids_1_p: \forall integer k; 0 <= k < WARD_ID_BYTES ==>
	      in[WARD_OFF_PARENT + k] == out->parent[k]; */
	/*@ assert ids_1_i: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_ISSUER + k] == out->issuer[k]; */
	/*@ assert ids_1_h: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_HOLDER + k] == out->holder[k]; */
	/*@ assert ids_1_c: \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
	      in[WARD_OFF_CONTEXT + k] == out->context[k]; */
}

/* The signature, likewise. */
/*@ requires \valid_read(in + (0 .. len - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. len - 1));
    requires WARD_WIRE_MIN < len <= WARD_BLOCK_MAX;
    requires encoded_bytes(out, in) && encoded_ids(out, in);
    requires scope_copied(out, in, len - WARD_WIRE_MIN);
    assigns out->sig[0 .. WARD_SIG_BYTES - 1];
    ensures encoded_bytes(out, in);
    ensures encoded_ids(out, in);
    ensures scope_n: \forall integer k; 0 <= k < len - WARD_WIRE_MIN ==>
      in[WARD_OFF_SCOPE + k] == out->scope[k];
    ensures encoded_sig(out, in, len);
    ensures in_len: in[WARD_OFF_SCOPE_LEN] == \old(in[WARD_OFF_SCOPE_LEN]) &&
      in[WARD_OFF_SCOPE_LEN + 1] == \old(in[WARD_OFF_SCOPE_LEN + 1]);
*/
static void
fill_sig(struct ward_block *out, const uint8_t *in, size_t len)
{
	copy_from(&out->sig[0], in, len - WARD_SIG_BYTES, WARD_SIG_BYTES);
	/*@ assert bytes_2: encoded_bytes(out, in); */
	/*@ assert ids_2_p: \forall integer k; 0 <= k < WARD_ID_BYTES ==>
	      in[WARD_OFF_PARENT + k] == out->parent[k]; */
	/*@ assert ids_2_i: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_ISSUER + k] == out->issuer[k]; */
	/*@ assert ids_2_h: \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
	      in[WARD_OFF_HOLDER + k] == out->holder[k]; */
	/*@ assert ids_2_c: \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
	      in[WARD_OFF_CONTEXT + k] == out->context[k]; */
}

/*@ requires \valid_read(in + (0 .. len - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. len - 1));
    requires WARD_WIRE_MIN < len <= WARD_BLOCK_MAX;
    requires len == WARD_WIRE_MIN + be16_at(in, WARD_OFF_SCOPE_LEN);
    assigns *out;
    ensures encoded_bytes(out, in);
    ensures encoded_ids(out, in);
    ensures encoded_ints(out, in);
    ensures encoded_scope(out, in);
    ensures encoded_sig(out, in, len);
    ensures len == wire_len(out);
*/
static void
block_fill(struct ward_block *out, const uint8_t *in, size_t len)
{
	/* The byte arrays first, then the wider integers (other memories,
	 * which no byte copy touches). */
	fill_front(out, in);
	fill_scope(out, in, len);
	fill_sig(out, in, len);
	/*@ assert len_2: in[WARD_OFF_SCOPE_LEN] == \at(in[WARD_OFF_SCOPE_LEN], Pre) &&
	      in[WARD_OFF_SCOPE_LEN + 1] == \at(in[WARD_OFF_SCOPE_LEN + 1], Pre); */
	out->not_before = get64_at(in, WARD_OFF_NOT_BEFORE);
	out->not_after = get64_at(in, WARD_OFF_NOT_AFTER);
	out->max_uses = get32_at(in, WARD_OFF_MAX_USES);
	out->scope_len = get16_at(in, WARD_OFF_SCOPE_LEN);
	/*@ assert n_is: out->scope_len == len - WARD_WIRE_MIN; */
}

/*
 * A block decoded from a canonical encoding is a valid block: stated over
 * the logic alone (one state, no writes), so the provers never see it
 * together with the memory updates of block_fill.
 */
/*@ ghost
  /@ requires encoded_as(b, in, len) && canonical_block(in, len);
     assigns \nothing;
     ensures block_ok(b);
  @/
  void
  lemma_canonical_block_ok(struct ward_block *b, const uint8_t *in,
                           size_t len)
  {
    /@ assert b->version == WARD_VERSION && 1 <= b->kind <= WARD_KIND_LAST &&
              flag(b->r_invoke) && flag(b->r_read) &&
              flag(b->r_write) && flag(b->r_delegate) &&
              b->depth < WARD_CHAIN_MAX; @/
    /@ assert b->scope_len == be16_at(in, WARD_OFF_SCOPE_LEN); @/
    /@ assert 1 <= b->scope_len <= WARD_SCOPE_MAX; @/
    /@ assert b->not_before <= b->not_after; @/
    /@ assert encoded_scope(b, in) && wire_scope_ok(in); @/
    /@ assert \forall integer k; 0 <= k < b->scope_len ==>
                b->scope[k] == in[WARD_OFF_SCOPE + k]; @/
    /@ assert \forall integer j; WARD_OFF_SCOPE <= j <
                WARD_OFF_SCOPE + b->scope_len ==> 0x21 <= in[j] <= 0x7e; @/
    /@ assert \forall integer k; 0 <= k < b->scope_len ==>
                0x21 <= b->scope[k] <= 0x7e; @/
  }
*/

int
ward_block_decode(struct ward_block *out, const uint8_t *in, size_t len)
{
	int rc;

	rc = ward_block_check(in, len);
	if (rc == WARD_OK) {
		/*@ assert scope_pre: \forall integer j; WARD_OFF_SCOPE <= j <
		      WARD_OFF_SCOPE + be16_at(in, WARD_OFF_SCOPE_LEN) ==>
		        0x21 <= in[j] <= 0x7e; */
		/*@ assert sep: \forall integer k; 0 <= k < len ==>
		      \separated(out, in + k); */
		block_fill(out, in, len);
		/* The input is not *out: restated flat (from sep, byte by
		 * byte: from the \separated of the whole range the provers
		 * took seconds, or gave up), then whole, so that the lemma's
		 * precondition is about the state after the fill. */
		/*@ assert in_kept: \forall integer k; 0 <= k < len ==>
		      in[k] == \at(in[k], Pre); */
		/*@ assert head_kept: wire_long_enough(len) &&
		      wire_header_ok(in) && len == wire_len_of(in); */
		/*@ assert len_kept: be16_at(in, WARD_OFF_SCOPE_LEN) ==
		      \at(be16_at(in, WARD_OFF_SCOPE_LEN), Pre); */
		/*@ assert scope_back: \forall integer j; WARD_OFF_SCOPE <= j <
		      WARD_OFF_SCOPE + be16_at(in, WARD_OFF_SCOPE_LEN) ==>
		        0x21 <= in[j] <= 0x7e; */
		/*@ assert scope_kept: wire_scope_ok(in); */
		/*@ ghost lemma_canonical_block_ok(out, in, len); */
	}
	return rc;
}

/* ---- encoding ---- */

/*@ requires \valid(out + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid_read(b);
    requires \separated(out + (0 .. WARD_BLOCK_HDR - 1), b);
    assigns out[WARD_OFF_PARENT .. WARD_OFF_NOT_BEFORE - 1];
    ensures \forall integer k; 0 <= k < WARD_ID_BYTES ==>
      out[WARD_OFF_PARENT + k] == b->parent[k];
    ensures \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
      out[WARD_OFF_ISSUER + k] == b->issuer[k];
    ensures \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
      out[WARD_OFF_HOLDER + k] == b->holder[k];
    ensures \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
      out[WARD_OFF_CONTEXT + k] == b->context[k];
*/
static void
put_ids(uint8_t *out, const struct ward_block *b)
{
	copy_to(out, WARD_OFF_PARENT, &b->parent[0], WARD_ID_BYTES);
	copy_to(out, WARD_OFF_ISSUER, &b->issuer[0], WARD_KEY_BYTES);
	copy_to(out, WARD_OFF_HOLDER, &b->holder[0], WARD_KEY_BYTES);
	copy_to(out, WARD_OFF_CONTEXT, &b->context[0], WARD_CTX_BYTES);
}

/*@ requires \valid(out + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid_read(b);
    requires \separated(out + (0 .. WARD_BLOCK_HDR - 1), b);
    assigns out[WARD_OFF_NOT_BEFORE .. WARD_BLOCK_HDR - 1];
    ensures be64_at(out, WARD_OFF_NOT_BEFORE) == b->not_before;
    ensures be64_at(out, WARD_OFF_NOT_AFTER) == b->not_after;
    ensures be32_at(out, WARD_OFF_MAX_USES) == b->max_uses;
    ensures be16_at(out, WARD_OFF_SCOPE_LEN) == b->scope_len;
*/
static void
put_ints(uint8_t *out, const struct ward_block *b)
{
	/* Each integer is carried across the later writes one write at a
	 * time (measured: all at once, the first took 11 s under load). */
	put64_at(out, WARD_OFF_NOT_BEFORE, b->not_before);
	put64_at(out, WARD_OFF_NOT_AFTER, b->not_after);
	/*@ assert nb_1: be64_at(out, WARD_OFF_NOT_BEFORE) == b->not_before; */
	put32_at(out, WARD_OFF_MAX_USES, b->max_uses);
	/*@ assert nb_2: be64_at(out, WARD_OFF_NOT_BEFORE) == b->not_before; */
	/*@ assert na_2: be64_at(out, WARD_OFF_NOT_AFTER) == b->not_after; */
	put16_at(out, WARD_OFF_SCOPE_LEN, b->scope_len);
}

/* The single bytes and the ids, out[0 .. 118].  The integers' range is
 * left as it was, and the contract says so flat: put_header then carries
 * encoded_ints across this call from byte equalities alone, in a context
 * without put_ints' big-endian sums (measured: with them, carrying the
 * bytes across a range write took 54 s, and the ints timed out). */
/*@ requires \valid(out + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid_read(b);
    requires \separated(out + (0 .. WARD_BLOCK_HDR - 1), b);
    assigns out[0 .. WARD_OFF_NOT_BEFORE - 1];
    ensures encoded_bytes(b, out);
    ensures encoded_ids(b, out);
    ensures \forall integer j; WARD_OFF_NOT_BEFORE <= j < WARD_BLOCK_HDR ==>
      out[j] == \old(out[j]);
*/
static void
put_front(uint8_t *out, const struct ward_block *b)
{
	out[WARD_OFF_VERSION] = b->version;
	out[WARD_OFF_KIND] = b->kind;
	out[WARD_OFF_INVOKE] = b->r_invoke;
	out[WARD_OFF_READ] = b->r_read;
	out[WARD_OFF_WRITE] = b->r_write;
	out[WARD_OFF_DELEGATE] = b->r_delegate;
	out[WARD_OFF_DEPTH] = b->depth;
	/*@ assert bytes: encoded_bytes(b, out); */
	put_ids(out, b);
	/*@ assert bytes_1: encoded_bytes(b, out); */
}

/*@ requires \valid(out + (0 .. WARD_BLOCK_HDR - 1));
    requires \valid_read(b);
    requires \separated(out + (0 .. WARD_BLOCK_HDR - 1), b);
    assigns out[0 .. WARD_BLOCK_HDR - 1];
    ensures encoded_bytes(b, out);
    ensures encoded_ids(b, out);
    ensures encoded_ints(b, out);
*/
static void
put_header(uint8_t *out, const struct ward_block *b)
{
	put_ints(out, b);
L_ints:
	put_front(out, b);
	/* Each integer across the front's writes, one at a time (all of
	 * encoded_ints at once took 5 s cold). */
	/*@ assert nb: be64_at(out, WARD_OFF_NOT_BEFORE) ==
	      \at(be64_at(out, WARD_OFF_NOT_BEFORE), L_ints); */
	/*@ assert na: be64_at(out, WARD_OFF_NOT_AFTER) ==
	      \at(be64_at(out, WARD_OFF_NOT_AFTER), L_ints); */
	/*@ assert mu: be32_at(out, WARD_OFF_MAX_USES) ==
	      \at(be32_at(out, WARD_OFF_MAX_USES), L_ints); */
	/*@ assert sl: be16_at(out, WARD_OFF_SCOPE_LEN) ==
	      \at(be16_at(out, WARD_OFF_SCOPE_LEN), L_ints); */
}

/* The signature, after the scope: the scope's bytes are carried across
 * this one copy in a context that holds nothing else (measured: inline in
 * block_put, the same frame took 9 to 10 s under load). */
/*@ requires b->scope_len <= WARD_SCOPE_MAX;
    requires \valid_read(b);
    requires \valid(out + (0 .. wire_len(b) - 1));
    requires \separated(out + (0 .. wire_len(b) - 1), b);
    requires encoded_scope(b, out);
    assigns out[wire_len(b) - WARD_SIG_BYTES .. wire_len(b) - 1];
    ensures encoded_scope(b, out);
    ensures encoded_sig(b, out, wire_len(b));
*/
static void
put_sig(uint8_t *out, const struct ward_block *b)
{
	copy_to(out, WARD_WIRE_MIN + (size_t)b->scope_len - WARD_SIG_BYTES,
		&b->sig[0], WARD_SIG_BYTES);
}

/*@ requires b->scope_len <= WARD_SCOPE_MAX;
    requires \valid_read(b);
    requires \valid(out + (0 .. wire_len(b) - 1));
    requires \separated(out + (0 .. wire_len(b) - 1), b);
    assigns out[0 .. wire_len(b) - 1];
    ensures encoded_bytes(b, out);
    ensures encoded_ids(b, out);
    ensures encoded_ints(b, out);
    ensures encoded_scope(b, out);
    ensures encoded_sig(b, out, wire_len(b));
*/
static void
block_put(uint8_t *out, const struct ward_block *b)
{
	copy_to(out, WARD_OFF_SCOPE, &b->scope[0], b->scope_len);
	put_sig(out, b);
	put_header(out, b);
	/*@ assert encoded_scope(b, out); */
	/*@ assert encoded_sig(b, out, wire_len(b)); */
}

int
ward_block_encode(uint8_t *out, size_t cap, const struct ward_block *b,
		  size_t *out_len)
{
	size_t n;

	n = WARD_WIRE_MIN + (size_t)b->scope_len;
	if (cap < n)
		return WARD_E_OVERSIZE;
	block_put(out, b);
	*out_len = n;
	return WARD_OK;
}

/* ---- big-endian helpers ---- */

uint16_t
ward_get_be16(const uint8_t *p)
{
	return get16_at(p, 0);
}

uint32_t
ward_get_be32(const uint8_t *p)
{
	return get32_at(p, 0);
}

uint64_t
ward_get_be64(const uint8_t *p)
{
	return get64_at(p, 0);
}

void
ward_put_be16(uint8_t *p, uint16_t v)
{
	put16_at(p, 0, v);
}

void
ward_put_be32(uint8_t *p, uint32_t v)
{
	put32_at(p, 0, v);
}

void
ward_put_be64(uint8_t *p, uint64_t v)
{
	put64_at(p, 0, v);
}

/*
 * One encoding names one block: if the same bytes are the encoding of *b1
 * and of *b2, the two blocks agree on every field.  Stated as a ghost
 * function rather than an ACSL lemma because WP adds every lemma to the
 * context of every goal, where this one sends the provers astray; the
 * contract of a ghost function is proved the same way, once, for all
 * arguments, and is used only where it is called.
 */
/*@ ghost
  /@ requires encoded_as(b1, in, len) && encoded_as(b2, in, len);
     assigns \nothing;
     ensures same_block(b1, b2);
  @/
  void
  lemma_encoding_names_one_block(struct ward_block *b1,
                                 struct ward_block *b2,
                                 uint8_t *in, size_t len)
  {
    /@ assert b1->version == b2->version && b1->kind == b2->kind &&
              b1->r_invoke == b2->r_invoke && b1->r_read == b2->r_read &&
              b1->r_write == b2->r_write &&
              b1->r_delegate == b2->r_delegate && b1->depth == b2->depth; @/
    /@ assert \forall integer k; 0 <= k < WARD_ID_BYTES ==>
                b1->parent[k] == b2->parent[k]; @/
    /@ assert \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
                b1->issuer[k] == b2->issuer[k]; @/
    /@ assert \forall integer k; 0 <= k < WARD_KEY_BYTES ==>
                b1->holder[k] == b2->holder[k]; @/
    /@ assert \forall integer k; 0 <= k < WARD_CTX_BYTES ==>
                b1->context[k] == b2->context[k]; @/
    /@ assert b1->not_before == b2->not_before &&
              b1->not_after == b2->not_after &&
              b1->max_uses == b2->max_uses &&
              b1->scope_len == b2->scope_len; @/
    /@ assert \forall integer k; 0 <= k < b1->scope_len ==>
                b1->scope[k] == b2->scope[k]; @/
    /@ assert \forall integer k; 0 <= k < WARD_SIG_BYTES ==>
                b1->sig[k] == b2->sig[k]; @/
  }
*/
