/*
 * codec.h -- the canonical wire encoding of a capability block.
 *
 * Wire form = body || signature(64); all integers big-endian:
 *
 *   off  len  field
 *   0    1    version      (must be WARD_VERSION)
 *   1    1    kind         (1 .. WARD_KIND_LAST)
 *   2    1    r_invoke     (each right exactly 0 or 1)
 *   3    1    r_read
 *   4    1    r_write
 *   5    1    r_delegate
 *   6    1    depth        (< WARD_CHAIN_MAX)
 *   7    32   parent id
 *   39   32   issuer public key
 *   71   32   holder public key
 *   103  16   context
 *   119  8    not_before   (be64)
 *   127  8    not_after    (be64, >= not_before)
 *   135  4    max_uses     (be32)
 *   139  2    scope_len    (be16, 1 .. WARD_SCOPE_MAX)
 *   141  n    scope        (each byte 0x21 .. 0x7e)
 *   141+n 64  signature
 *
 * The body is what a block id hashes and what its signature covers, so the
 * encoding must be injective both ways: a block has exactly one encoding
 * (otherwise one block could carry two ids and dodge its revocation) and an
 * encoding names exactly one block (otherwise one signature would authorize
 * two blocks).  The decoder therefore accepts only the canonical form:
 * no trailing bytes, no flag other than 0/1, no field outside its range.
 *
 * The specification reads the bytes through be16_at/be32_at/be64_at, which
 * are written flat on one base pointer: the provers do not cope with
 * pointer offsets inside logic functions.
 */
#ifndef WARD_CODEC_H
#define WARD_CODEC_H

#include "ward.h"

/* Field offsets in the body. */
#define WARD_OFF_VERSION 0u
#define WARD_OFF_KIND 1u
#define WARD_OFF_INVOKE 2u
#define WARD_OFF_READ 3u
#define WARD_OFF_WRITE 4u
#define WARD_OFF_DELEGATE 5u
#define WARD_OFF_DEPTH 6u
#define WARD_OFF_PARENT 7u
#define WARD_OFF_ISSUER 39u
#define WARD_OFF_HOLDER 71u
#define WARD_OFF_CONTEXT 103u
#define WARD_OFF_NOT_BEFORE 119u
#define WARD_OFF_NOT_AFTER 127u
#define WARD_OFF_MAX_USES 135u
#define WARD_OFF_SCOPE_LEN 139u
#define WARD_OFF_SCOPE WARD_BLOCK_HDR

/* Shortest input whose header can be read; a valid block is longer. */
#define WARD_WIRE_MIN (WARD_BLOCK_HDR + WARD_SIG_BYTES)

/*@
  // ---- big-endian integers at offset o of p ------------------------------
  logic integer be16_at{L}(uint8_t *p, integer o) =
    p[o] * 256 + p[o + 1];

  logic integer be32_at{L}(uint8_t *p, integer o) =
    p[o] * 16777216 + p[o + 1] * 65536 + p[o + 2] * 256 + p[o + 3];

  logic integer be64_at{L}(uint8_t *p, integer o) =
    p[o] * 72057594037927936 +
    p[o + 1] * 281474976710656 +
    p[o + 2] * 1099511627776 +
    p[o + 3] * 4294967296 +
    p[o + 4] * 16777216 +
    p[o + 5] * 65536 +
    p[o + 6] * 256 +
    p[o + 7];

  // ---- lengths of a decoded block ---------------------------------------
  logic integer body_len{L}(struct ward_block *b) =
    WARD_BLOCK_HDR + b->scope_len;

  logic integer wire_len{L}(struct ward_block *b) =
    body_len(b) + WARD_SIG_BYTES;

  // in[0 .. len - 1] is exactly the wire form of *b: every field at its
  // offset, the scope and signature after it, and nothing else.  Stated
  // in five parts so that each function proves only the part it writes.

  // The one-byte fields, offsets 0 .. 6.
  predicate encoded_bytes{L}(struct ward_block *b, uint8_t *in) =
    in[WARD_OFF_VERSION] == b->version &&
    in[WARD_OFF_KIND] == b->kind &&
    in[WARD_OFF_INVOKE] == b->r_invoke &&
    in[WARD_OFF_READ] == b->r_read &&
    in[WARD_OFF_WRITE] == b->r_write &&
    in[WARD_OFF_DELEGATE] == b->r_delegate &&
    in[WARD_OFF_DEPTH] == b->depth;

  // The parent id, the keys and the context, offsets 7 .. 118.
  predicate encoded_ids{L}(struct ward_block *b, uint8_t *in) =
    (\forall integer k; 0 <= k < WARD_ID_BYTES ==>
       in[WARD_OFF_PARENT + k] == b->parent[k]) &&
    (\forall integer k; 0 <= k < WARD_KEY_BYTES ==>
       in[WARD_OFF_ISSUER + k] == b->issuer[k]) &&
    (\forall integer k; 0 <= k < WARD_KEY_BYTES ==>
       in[WARD_OFF_HOLDER + k] == b->holder[k]) &&
    (\forall integer k; 0 <= k < WARD_CTX_BYTES ==>
       in[WARD_OFF_CONTEXT + k] == b->context[k]);

  // The integers, big-endian, offsets 119 .. 140.
  predicate encoded_ints{L}(struct ward_block *b, uint8_t *in) =
    be64_at(in, WARD_OFF_NOT_BEFORE) == b->not_before &&
    be64_at(in, WARD_OFF_NOT_AFTER) == b->not_after &&
    be32_at(in, WARD_OFF_MAX_USES) == b->max_uses &&
    be16_at(in, WARD_OFF_SCOPE_LEN) == b->scope_len;

  // The scope, from offset 141, as long as scope_len says.
  predicate encoded_scope{L}(struct ward_block *b, uint8_t *in) =
    \forall integer k; 0 <= k < b->scope_len ==>
      in[WARD_OFF_SCOPE + k] == b->scope[k];

  // The signature: the last 64 bytes.
  predicate encoded_sig{L}(struct ward_block *b, uint8_t *in, integer len) =
    \forall integer k; 0 <= k < WARD_SIG_BYTES ==>
      in[len - WARD_SIG_BYTES + k] == b->sig[k];

  predicate encoded_as{L}(struct ward_block *b, uint8_t *in, integer len) =
    len == wire_len(b) &&
    encoded_bytes(b, in) && encoded_ids(b, in) && encoded_ints(b, in) &&
    encoded_scope(b, in) && encoded_sig(b, in, len);

  // ---- the decoder's acceptance condition, over the bytes only -----------
  // Each step is named so that the refusals below can say which one fails;
  // they are checked in this order.
  predicate wire_long_enough(integer len) = len >= WARD_WIRE_MIN;

  predicate wire_version_ok{L}(uint8_t *in) = in[WARD_OFF_VERSION] == WARD_VERSION;

  predicate wire_kind_ok{L}(uint8_t *in) =
    1 <= in[WARD_OFF_KIND] <= WARD_KIND_LAST;

  predicate wire_flags_ok{L}(uint8_t *in) =
    flag(in[WARD_OFF_INVOKE]) && flag(in[WARD_OFF_READ]) &&
    flag(in[WARD_OFF_WRITE]) && flag(in[WARD_OFF_DELEGATE]);

  // depth in range, scope not empty, window not inverted
  predicate wire_fields_ok{L}(uint8_t *in) =
    in[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
    be16_at(in, WARD_OFF_SCOPE_LEN) != 0 &&
    be64_at(in, WARD_OFF_NOT_BEFORE) <= be64_at(in, WARD_OFF_NOT_AFTER);

  predicate wire_scope_fits{L}(uint8_t *in) =
    be16_at(in, WARD_OFF_SCOPE_LEN) <= WARD_SCOPE_MAX;

  predicate wire_header_ok{L}(uint8_t *in) =
    wire_version_ok(in) && wire_kind_ok(in) && wire_flags_ok(in) &&
    wire_fields_ok(in) && wire_scope_fits(in);

  // The length the header announces.
  logic integer wire_len_of{L}(uint8_t *in) =
    WARD_BLOCK_HDR + be16_at(in, WARD_OFF_SCOPE_LEN) + WARD_SIG_BYTES;

  // Quantified over the offset itself, not over k with in[141 + k]: an
  // index with arithmetic in it cannot be an SMT trigger, and the provers
  // then fail to instantiate the fact at all.
  predicate wire_scope_ok{L}(uint8_t *in) =
    \forall integer j; WARD_OFF_SCOPE <= j <
      WARD_OFF_SCOPE + be16_at(in, WARD_OFF_SCOPE_LEN) ==>
        0x21 <= in[j] <= 0x7e;

  predicate canonical_block{L}(uint8_t *in, integer len) =
    wire_long_enough(len) && wire_header_ok(in) &&
    len == wire_len_of(in) && wire_scope_ok(in);

  // Why a link's wire bytes were refused VERSION, KIND, FLAGS or TRAILING:
  // the first of the decoder's checks, in its order (ward_block_decode,
  // below), that the bytes fail.  Facts of the bytes as received, which
  // nothing in the core writes.  MALFORMED and NONCANONICAL, also
  // reasons of the checks and of the ledger, have their own (below); so
  // does OVERSIZE, also a reason of the request (ward_link_decode,
  // chain.h).  The first three read single bytes
  // (wire_head_cause); TRAILING reads the whole header, its big-endian
  // integers among it.  Up to ward_approve, chain.h states the same
  // causes over the raw bytes written out (link_head_bad): in a callee's
  // contract in approve.c, these predicates timed out every frame goal of
  // chain_kept at 10 s (measured).
  predicate wire_head_reason(integer r) =
    WARD_E_VERSION <= r <= WARD_E_FLAGS;

  predicate wire_reason(integer r) =
    WARD_E_VERSION <= r <= WARD_E_TRAILING;

  predicate wire_head_cause{L}(uint8_t *in, integer len, integer r) =
    (r == WARD_E_VERSION ==> wire_long_enough(len) && !wire_version_ok(in)) &&
    (r == WARD_E_KIND ==>
       wire_long_enough(len) && wire_version_ok(in) && !wire_kind_ok(in)) &&
    (r == WARD_E_FLAGS ==>
       wire_long_enough(len) && wire_version_ok(in) && wire_kind_ok(in) &&
       !wire_flags_ok(in));

  predicate wire_cause{L}(uint8_t *in, integer len, integer r) =
    wire_head_cause(in, len, r) &&
    (r == WARD_E_TRAILING ==>
       wire_long_enough(len) && wire_header_ok(in) && len > wire_len_of(in));

  // Why they were refused MALFORMED or NONCANONICAL, the decoder's two
  // reasons that are also reasons of the checks and of the ledger: stated
  // apart from wire_cause, whose guard every caller up to ward_approve
  // evaluates.  MALFORMED: shorter than a header and a signature, or a
  // header that passes every check and announces more bytes than there
  // are.  NONCANONICAL: a header whose version, kind and flags pass and
  // whose depth, scope length or window does not (wire_fields_ok); or a
  // whole header, exactly the length it announces, and a scope byte that
  // is not printable ASCII other than space (wire_scope_ok).
  predicate wire_body_reason(integer r) =
    r == WARD_E_MALFORMED || r == WARD_E_NONCANONICAL;

  predicate wire_body_cause{L}(uint8_t *in, integer len, integer r) =
    (r == WARD_E_MALFORMED ==>
       !wire_long_enough(len) ||
       (wire_header_ok(in) && len < wire_len_of(in))) &&
    (r == WARD_E_NONCANONICAL ==>
       wire_long_enough(len) && wire_version_ok(in) && wire_kind_ok(in) &&
       wire_flags_ok(in) &&
       (!wire_fields_ok(in) ||
        (wire_header_ok(in) && len == wire_len_of(in) &&
         !wire_scope_ok(in))));

  // ---- injectivity --------------------------------------------------------
  // Two blocks are the same block when every field is equal (the scope up
  // to its length).  codec.c proves that one encoding names one block:
  // encoded_as(b1, in, len) && encoded_as(b2, in, len) ==> same_block(b1, b2)
  // (see lemma_encoding_names_one_block there).
  predicate same_block{L}(struct ward_block *b1, struct ward_block *b2) =
    b1->version == b2->version && b1->kind == b2->kind &&
    b1->r_invoke == b2->r_invoke && b1->r_read == b2->r_read &&
    b1->r_write == b2->r_write && b1->r_delegate == b2->r_delegate &&
    b1->depth == b2->depth &&
    (\forall integer k; 0 <= k < WARD_ID_BYTES ==> b1->parent[k] == b2->parent[k]) &&
    (\forall integer k; 0 <= k < WARD_KEY_BYTES ==> b1->issuer[k] == b2->issuer[k]) &&
    (\forall integer k; 0 <= k < WARD_KEY_BYTES ==> b1->holder[k] == b2->holder[k]) &&
    (\forall integer k; 0 <= k < WARD_CTX_BYTES ==> b1->context[k] == b2->context[k]) &&
    b1->not_before == b2->not_before && b1->not_after == b2->not_after &&
    b1->max_uses == b2->max_uses && b1->scope_len == b2->scope_len &&
    (\forall integer k; 0 <= k < b1->scope_len ==> b1->scope[k] == b2->scope[k]) &&
    (\forall integer k; 0 <= k < WARD_SIG_BYTES ==> b1->sig[k] == b2->sig[k]);
*/

/*
 * Decode in[0 .. len - 1] into *out.  Returns WARD_OK, or the reason the
 * input is not the canonical encoding of a valid block; on a refusal *out
 * is left untouched.  in may be NULL when len == 0.  When several checks
 * fail, the first in this order is reported: length of the header,
 * version, kind, rights, other header fields, scope length, total length,
 * scope bytes.
 */
/*@ requires len == 0 || \valid_read(in + (0 .. len - 1));
    requires \valid(out);
    requires \separated(out, in + (0 .. len - 1));
    assigns *out;
    ensures \result == WARD_OK <==> \old(canonical_block(in, len));
    ensures \result == WARD_OK ==> block_ok(out) && encoded_as(out, in, len);
    ensures \result \in {WARD_OK, WARD_E_MALFORMED, WARD_E_VERSION,
                         WARD_E_KIND, WARD_E_FLAGS, WARD_E_NONCANONICAL,
                         WARD_E_OVERSIZE, WARD_E_TRAILING};
    ensures len == 0 ==> \result == WARD_E_MALFORMED;
    ensures why_wire: wire_reason(\result) ==> wire_cause(in, len, \result);
    ensures why_body: wire_body_reason(\result) ==>
      wire_body_cause(in, len, \result);

    behavior too_short:
      assumes !wire_long_enough(len);
      assigns \nothing;
      ensures \result == WARD_E_MALFORMED;
    behavior bad_version:
      assumes wire_long_enough(len) && !wire_version_ok(in);
      assigns \nothing;
      ensures \result == WARD_E_VERSION;
    behavior bad_kind:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              !wire_kind_ok(in);
      assigns \nothing;
      ensures \result == WARD_E_KIND;
    behavior bad_flag:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && !wire_flags_ok(in);
      assigns \nothing;
      ensures \result == WARD_E_FLAGS;
    behavior bad_field:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && wire_flags_ok(in) && !wire_fields_ok(in);
      assigns \nothing;
      ensures \result == WARD_E_NONCANONICAL;
    behavior scope_too_long:
      assumes wire_long_enough(len) && wire_version_ok(in) &&
              wire_kind_ok(in) && wire_flags_ok(in) && wire_fields_ok(in) &&
              !wire_scope_fits(in);
      assigns \nothing;
      ensures \result == WARD_E_OVERSIZE;
    behavior trailing:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len > wire_len_of(in);
      assigns \nothing;
      ensures \result == WARD_E_TRAILING;
    behavior truncated:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len < wire_len_of(in);
      assigns \nothing;
      ensures \result == WARD_E_MALFORMED;
    behavior bad_scope_byte:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len == wire_len_of(in) && !wire_scope_ok(in);
      assigns \nothing;
      ensures \result == WARD_E_NONCANONICAL;
    behavior accepted:
      assumes canonical_block(in, len);
      assigns *out;
      ensures \result == WARD_OK;
      ensures block_ok(out);
      ensures encoded_as(out, in, len);

    complete behaviors;
    disjoint behaviors;
*/
int ward_block_decode(struct ward_block *out, const uint8_t *in, size_t len)
	__attribute__((warn_unused_result));

/*
 * The acceptance check alone, reading only: WARD_OK exactly for the
 * canonical encoding of a valid block, else the reason ward_block_decode
 * gives for the same bytes, in the same order.  ward_chain_decode checks
 * every link's bytes with it before it writes anything, so that the cause
 * of a refusal is a fact of the bytes as they arrived.
 */
/*@ requires len == 0 || \valid_read(in + (0 .. len - 1));
    assigns \nothing;
    ensures \result == WARD_OK <==> canonical_block(in, len);
    ensures \result \in {WARD_OK, WARD_E_MALFORMED, WARD_E_VERSION,
                         WARD_E_KIND, WARD_E_FLAGS, WARD_E_NONCANONICAL,
                         WARD_E_OVERSIZE, WARD_E_TRAILING};
    ensures why_wire: wire_reason(\result) ==> wire_cause(in, len, \result);
    ensures why_body: wire_body_reason(\result) ==>
      wire_body_cause(in, len, \result);
    ensures why_size: \result == WARD_E_OVERSIZE ==>
      wire_long_enough(len) && wire_version_ok(in) && wire_kind_ok(in) &&
      wire_flags_ok(in) && wire_fields_ok(in) && !wire_scope_fits(in);

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
    behavior bad_scope_byte:
      assumes wire_long_enough(len) && wire_header_ok(in) &&
              len == wire_len_of(in) && !wire_scope_ok(in);
      ensures \result == WARD_E_NONCANONICAL;
    behavior accepted:
      assumes canonical_block(in, len);
      ensures \result == WARD_OK;

    complete behaviors;
    disjoint behaviors;
*/
int ward_block_check(const uint8_t *in, size_t len)
	__attribute__((warn_unused_result));

/*
 * Write the wire form of *b to out[0 .. cap - 1] and its length to
 * *out_len.  If cap is too small, returns WARD_E_OVERSIZE and writes
 * nothing; out may be NULL when cap == 0.
 */
/*@ requires \valid_read(b);
    requires block_ok(b);
    requires cap == 0 || \valid(out + (0 .. cap - 1));
    requires \valid(out_len);
    requires \separated(out + (0 .. cap - 1), b, out_len);
    requires \separated(b, out_len);
    assigns out[0 .. cap - 1], *out_len;
    ensures \result == WARD_OK || \result == WARD_E_OVERSIZE;
    ensures \result == WARD_OK ==> encoded_as(b, out, *out_len);

    behavior fits:
      assumes cap >= wire_len(b);
      assigns out[0 .. wire_len(b) - 1], *out_len;
      ensures \result == WARD_OK;
      ensures *out_len == wire_len(b);
      ensures encoded_as(b, out, *out_len);
    behavior too_small:
      assumes cap < wire_len(b);
      assigns \nothing;
      ensures \result == WARD_E_OVERSIZE;

    complete behaviors;
    disjoint behaviors;
*/
int ward_block_encode(uint8_t *out, size_t cap, const struct ward_block *b,
		      size_t *out_len)
	__attribute__((warn_unused_result));

/* Big-endian integers, for the other modules' wire formats. */

/*@ requires \valid_read(p + (0 .. 1));
    assigns \nothing;
    ensures \result == be16_at(p, 0);
*/
uint16_t ward_get_be16(const uint8_t *p);

/*@ requires \valid_read(p + (0 .. 3));
    assigns \nothing;
    ensures \result == be32_at(p, 0);
*/
uint32_t ward_get_be32(const uint8_t *p);

/*@ requires \valid_read(p + (0 .. 7));
    assigns \nothing;
    ensures \result == be64_at(p, 0);
*/
uint64_t ward_get_be64(const uint8_t *p);

/*@ requires \valid(p + (0 .. 1));
    assigns p[0 .. 1];
    ensures be16_at(p, 0) == v;
*/
void ward_put_be16(uint8_t *p, uint16_t v);

/*@ requires \valid(p + (0 .. 3));
    assigns p[0 .. 3];
    ensures be32_at(p, 0) == v;
*/
void ward_put_be32(uint8_t *p, uint32_t v);

/*@ requires \valid(p + (0 .. 7));
    assigns p[0 .. 7];
    ensures be64_at(p, 0) == v;
*/
void ward_put_be64(uint8_t *p, uint64_t v);

#endif /* WARD_CODEC_H */
