/*
 * chain.h -- capability chain verification (property (b)).
 *
 * A chain arrives as wire bytes, root first.  The core decodes every link
 * itself (the broker's idea of a block is never trusted), computes each
 * block id from the canonical body, and then checks, read-only: that each
 * block and id are those of the link's wire bytes (re-encoded and
 * re-hashed, so that chain_valid speaks of the bytes received in the
 * state it is checked in, with no frame to carry from the decoding),
 * signatures, parent hashes,
 * issuer = parent's holder, a trusted root, attenuation at every link,
 * revocation of every block, every window against the caller's time, and
 * that no block appears twice.
 */
#ifndef WARD_CHAIN_H
#define WARD_CHAIN_H

#include "ward.h"
#include "crypto.h"
#include "codec.h"
#include "attenuate.h"
#include "revoke.h"

/* The trusted authorities: operator keys that may issue roots. */
struct ward_trust {
	uint32_t n;
	uint8_t key[WARD_AUTH_MAX][WARD_KEY_BYTES];
};

/*@
  predicate trust_ok{L}(struct ward_trust *t) = t->n <= WARD_AUTH_MAX;

  predicate trusted{L}(struct ward_trust *t, uint8_t *k) =
    \exists integer j; 0 <= j < t->n && same_bytes(&t->key[j][0], k, WARD_KEY_BYTES);

  predicate link_signed{L}(struct ward_link *l) =
    ed25519_ok(val32(&l->id[0]), val32(&l->b.issuer[0]));

  // The link's signature bytes are not accepted over its id under its
  // issuer's key (sig_verifies, crypto.h): what a SIGNATURE refusal names.
  predicate link_sig_bad{L}(struct ward_link *l) =
    !sig_verifies(val32(&l->b.sig[0]), sig_hi(&l->b.sig[0]),
                  val32(&l->id[0]), val32(&l->b.issuer[0]));

  // The link's block is the decoding of the wire bytes the core received
  // (encoded_as, codec.h: those bytes are exactly its wire form, and a
  // wire form names one block) ...
  predicate link_decoded{L}(struct ward_link *l) =
    l->raw_len <= WARD_BLOCK_MAX &&
    block_ok(&l->b) && encoded_as(&l->b, &l->raw[0], l->raw_len);

  // ... and its id is the id of those bytes' body, as a value (val32), so
  // that it can be stated of a state the id was not computed in.
  predicate link_id_ok{L}(struct ward_link *l) =
    val32(&l->id[0]) == block_id_of(&l->raw[0], body_len(&l->b));

  // What verification establishes for link i on its own ...
  predicate link_good{L}(struct ward_chain *ch, integer i,
                         struct ward_revset *rv, integer now) =
    block_ok(&ch->l[i].b) &&
    scope_canonical(ch->l[i].b.kind, &ch->l[i].b.scope[0], ch->l[i].b.scope_len) &&
    link_signed(&ch->l[i]) &&
    !revoked(rv, &ch->l[i].id[0]) &&
    in_window(&ch->l[i].b, now);

  // ... and between link i and its parent i - 1.
  predicate link_linked{L}(struct ward_chain *ch, integer i) =
    same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0], WARD_ID_BYTES) &&
    same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0], WARD_KEY_BYTES) &&
    attenuated(&ch->l[i].b, &ch->l[i - 1].b);

  // ... that its block and id are those of its wire bytes: a conjunct of
  // its own in chain_valid, so that a goal that needs only link_good of
  // chain_valid does not unfold the encoding (measured: inside link_good,
  // the lemma chain_leaf_scope of approve.c ran z3 out of memory) ...
  predicate link_wire{L}(struct ward_chain *ch, integer i) =
    link_decoded(&ch->l[i]) && link_id_ok(&ch->l[i]);

  predicate ids_differ{L}(struct ward_chain *ch, integer i, integer j) =
    !same_bytes(&ch->l[i].id[0], &ch->l[j].id[0], WARD_ID_BYTES);

  predicate root_good{L}(struct ward_chain *ch, struct ward_trust *t) =
    is_root(&ch->l[0].b) && trusted(t, &ch->l[0].b.issuer[0]);

  // The reasons a chain is refused for: its encoding (MALFORMED to
  // NONCANONICAL), its length, its signatures, links, attenuation,
  // revocation and windows (CHAIN_EMPTY to EXPIRED), a repeated block
  // (CYCLE), or a hash that could not be computed (CRYPTO); never a reason
  // of the request itself (its op, context, nonce, resource or counters),
  // so that the decision's refusals for those name their own causes
  // (approve.h).
  predicate chain_refusal(integer r) =
    (WARD_E_MALFORMED <= r <= WARD_E_EXPIRED) || r == WARD_E_CYCLE ||
    r == WARD_E_CRYPTO;

  // Why a chain was refused, for the reasons that name a fact of its
  // blocks, of the trust set, of the revocation set or of the request's
  // clock, grouped by where that fact lies.
  //
  // In one link on its own: REVOKED, the link's id is revoked (stored, or
  // its bucket poisoned: revoked, revoke.h); NOT_YET_VALID, its window
  // starts after now; EXPIRED, its window ended before now.
  predicate link_reason(integer r) =
    r == WARD_E_REVOKED || r == WARD_E_NOT_YET_VALID || r == WARD_E_EXPIRED;

  predicate link_cause{L}(struct ward_link *l, struct ward_revset *rv,
                          integer now, integer r) =
    (r == WARD_E_REVOKED ==> revoked(rv, &l->id[0])) &&
    (r == WARD_E_NOT_YET_VALID ==> now < l->b.not_before) &&
    (r == WARD_E_EXPIRED ==> now > l->b.not_after);

  // In the root: ROOT_PARENT, its parent hash is not all zero;
  // UNTRUSTED_ROOT, its issuer is not a trusted authority.
  predicate root_reason(integer r) =
    r == WARD_E_UNTRUSTED_ROOT || r == WARD_E_ROOT_PARENT;

  predicate root_cause{L}(struct ward_chain *ch, struct ward_trust *t,
                          integer r) =
    (r == WARD_E_ROOT_PARENT ==> !is_root(&ch->l[0].b)) &&
    (r == WARD_E_UNTRUSTED_ROOT ==> !trusted(t, &ch->l[0].b.issuer[0]));

  // In link i > 0 and its parent i - 1: PARENT_HASH, its parent hash is
  // not the parent's id; ISSUER, its issuer is not the parent's holder;
  // the seven reasons of attenuation (atten_cause, attenuate.h); CYCLE, an
  // earlier link carries its id.
  predicate pair_reason(integer r) =
    r == WARD_E_PARENT_HASH || r == WARD_E_ISSUER ||
    (WARD_E_RIGHTS_WIDENED <= r <= WARD_E_KIND_CHANGED) || r == WARD_E_CYCLE;

  predicate pair_cause{L}(struct ward_chain *ch, integer i, integer r) =
    (r == WARD_E_PARENT_HASH ==>
       !same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
                   WARD_ID_BYTES)) &&
    (r == WARD_E_ISSUER ==>
       !same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0],
                   WARD_KEY_BYTES)) &&
    atten_cause(&ch->l[i].b, &ch->l[i - 1].b, r) &&
    (r == WARD_E_CYCLE ==>
       \exists integer j; 0 <= j < i && !ids_differ(ch, j, i));

  // The chain's cause, for each group: a link, the root, or a link and its
  // parent, of the chain as checked, that breaks the rule the reason
  // names.  Other reasons: nothing said.  SIGNATURE has its own cause
  // (sig_cause, below).  The encoding's (MALFORMED to NONCANONICAL) name
  // no cause here: they are facts of a link's wire bytes, stated where the
  // bytes are decoded, one behavior per reason (ward_block_decode,
  // codec.h).
  predicate chain_cause{L}(struct ward_chain *ch, struct ward_trust *t,
                           struct ward_revset *rv, integer now, integer r) =
    (link_reason(r) ==>
      1 <= ch->n <= WARD_CHAIN_MAX &&
      \exists integer i; 0 <= i < ch->n &&
        link_cause(&ch->l[i], rv, now, r)) &&
    (root_reason(r) ==> 1 <= ch->n <= WARD_CHAIN_MAX && root_cause(ch, t, r)) &&
    (pair_reason(r) ==>
      2 <= ch->n <= WARD_CHAIN_MAX &&
      \exists integer i; 1 <= i < ch->n && pair_cause(ch, i, r));

  // Why a chain was refused SIGNATURE: some link's signature bytes do not
  // verify.  Apart from chain_cause, which the lemmas of approve.c carry
  // from state to state: inside those lemmas the bytes of link_sig_bad
  // (val32) made every goal of approve.c slow (measured: a frame step of
  // refuse went from 0.3 s to a timeout at 10 s).  approve.c carries this
  // one by steps of the four values it reads, in refuse_checked and
  // decision_unsign, the two functions whose writes lie between the check
  // and the refusal's return.
  predicate sig_cause{L}(struct ward_chain *ch) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n && link_sig_bad(&ch->l[i]);

  // The reasons decoding refuses for: the encoding, the length, a hash.
  predicate decode_refusal(integer r) =
    (WARD_E_MALFORMED <= r <= WARD_E_CHAIN_TOO_LONG) || r == WARD_E_CRYPTO;

  // Property (b): a verified chain.
  predicate chain_valid{L}(struct ward_chain *ch, struct ward_trust *t,
                           struct ward_revset *rv, integer now) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    root_good(ch, t) &&
    (\forall integer i; 0 <= i < ch->n ==> link_good(ch, i, rv, now)) &&
    (\forall integer i; 0 <= i < ch->n ==> link_wire(ch, i)) &&
    (\forall integer i; 0 < i < ch->n ==> link_linked(ch, i)) &&
    (\forall integer i, j; 0 <= i < j < ch->n ==> ids_differ(ch, i, j));
*/

/*@
  // Some link of the chain whose bytes break the rule r names, for
  // VERSION, KIND, FLAGS and TRAILING: the bytes wire_cause (codec.h)
  // reads, written out here (a raw byte is a uint8_t, so flag() is <= 1).
  // On ward_chain_decode and up to ward_approve (refused_wire), of the
  // bytes the request arrived with.  Written out, not over the codec's
  // predicates: once a goal of approve_decide used them, its goal spent,
  // which uses none of them, timed out at 10 s in both provers where it
  // takes 0.8 s (measured).  TRAILING: the header passes every check the
  // decoder makes before it (the version, the kind, the flags, the depth,
  // a scope length from 1 to WARD_SCOPE_MAX, not_before <= not_after) and
  // the link holds more bytes than the header announces.
  //
  // The scope length the header announces (be16_at, written out).
  logic integer link_scope_len{L}(struct ward_link *l) =
    l->raw[WARD_OFF_SCOPE_LEN] * 256 + l->raw[WARD_OFF_SCOPE_LEN + 1];

  // not_before <= not_after, the header's big-endian bytes compared in
  // order, with no arithmetic (be64_at's sums in a context slowed every
  // goal of approve.c's functions that had them, measured on refuse).
  predicate link_window_ordered{L}(struct ward_link *l) =
    l->raw[WARD_OFF_NOT_BEFORE + 0] < l->raw[WARD_OFF_NOT_AFTER + 0] ||
    (l->raw[WARD_OFF_NOT_BEFORE + 0] == l->raw[WARD_OFF_NOT_AFTER + 0] &&
     (l->raw[WARD_OFF_NOT_BEFORE + 1] < l->raw[WARD_OFF_NOT_AFTER + 1] ||
      (l->raw[WARD_OFF_NOT_BEFORE + 1] == l->raw[WARD_OFF_NOT_AFTER + 1] &&
       (l->raw[WARD_OFF_NOT_BEFORE + 2] < l->raw[WARD_OFF_NOT_AFTER + 2] ||
        (l->raw[WARD_OFF_NOT_BEFORE + 2] == l->raw[WARD_OFF_NOT_AFTER + 2] &&
         (l->raw[WARD_OFF_NOT_BEFORE + 3] < l->raw[WARD_OFF_NOT_AFTER + 3] ||
          (l->raw[WARD_OFF_NOT_BEFORE + 3] == l->raw[WARD_OFF_NOT_AFTER + 3] &&
           (l->raw[WARD_OFF_NOT_BEFORE + 4] < l->raw[WARD_OFF_NOT_AFTER + 4] ||
            (l->raw[WARD_OFF_NOT_BEFORE + 4] == l->raw[WARD_OFF_NOT_AFTER + 4] &&
             (l->raw[WARD_OFF_NOT_BEFORE + 5] < l->raw[WARD_OFF_NOT_AFTER + 5] ||
              (l->raw[WARD_OFF_NOT_BEFORE + 5] == l->raw[WARD_OFF_NOT_AFTER + 5] &&
               (l->raw[WARD_OFF_NOT_BEFORE + 6] < l->raw[WARD_OFF_NOT_AFTER + 6] ||
                (l->raw[WARD_OFF_NOT_BEFORE + 6] == l->raw[WARD_OFF_NOT_AFTER + 6] &&
                 (l->raw[WARD_OFF_NOT_BEFORE + 7] <= l->raw[WARD_OFF_NOT_AFTER + 7]))))))))))))));

  predicate link_head_bad{L}(struct ward_link *l, integer r) =
    (r == WARD_E_OVERSIZE ==>
       l->raw_len > WARD_BLOCK_MAX ||
       (WARD_WIRE_MIN <= l->raw_len &&
        l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
        1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
        l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
        l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1 &&
        l->raw[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
        link_scope_len(l) != 0 && link_window_ordered(l) &&
        link_scope_len(l) > WARD_SCOPE_MAX)) &&
    (r != WARD_E_OVERSIZE ==> WARD_WIRE_MIN <= l->raw_len <= WARD_BLOCK_MAX) &&
    (r == WARD_E_VERSION ==> l->raw[WARD_OFF_VERSION] != WARD_VERSION) &&
    (r == WARD_E_KIND ==>
       l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
       !(1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST)) &&
    (r == WARD_E_FLAGS ==>
       l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
       1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
       !(l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
         l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1)) &&
    (r == WARD_E_TRAILING ==>
       l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
       1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
       l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
       l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1 &&
       l->raw[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
       1 <= link_scope_len(l) <= WARD_SCOPE_MAX &&
       link_window_ordered(l) &&
       l->raw_len > WARD_WIRE_MIN + link_scope_len(l));

  // The reasons link_head_bad names a cause for.
  predicate link_head_reason(integer r) = WARD_E_VERSION <= r <= WARD_E_OVERSIZE;

  predicate wire_refused{L}(struct ward_chain *ch, integer r) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n && link_head_bad(&ch->l[i], r);
*/

/*@ axiomatic Refused {
  // MALFORMED and NONCANONICAL of the decoder, the bytes wire_body_cause
  // (codec.h) reads, written out as link_head_bad's are; and NONCANONICAL
  // of the checks.  In an axiomatic block of its own: added to the block
  // above, these definitions made z3 time out on a goal of chain.c that
  // uses none of them (ward_chain_verify's rv_pre, 70 ms before;
  // measured).
  //
  // The header passes every check (TRAILING's conditions above, before
  // the length):
  predicate link_header_ok{L}(struct ward_link *l) =
    l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
    1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
    l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
    l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1 &&
    l->raw[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
    1 <= link_scope_len(l) <= WARD_SCOPE_MAX &&
    link_window_ordered(l);

  // MALFORMED: shorter than a header and a signature, or a whole header
  // that announces more bytes than the link holds.  NONCANONICAL: version,
  // kind and flags pass and the depth, the scope length (zero) or the
  // window (inverted) does not; or a whole header, exactly the bytes it
  // announces, and a scope byte outside 0x21 .. 0x7e.
  predicate link_body_bad{L}(struct ward_link *l, integer r) =
    l->raw_len <= WARD_BLOCK_MAX &&
    (r == WARD_E_MALFORMED ==>
       l->raw_len < WARD_WIRE_MIN ||
       (link_header_ok(l) &&
        l->raw_len < WARD_WIRE_MIN + link_scope_len(l))) &&
    (r == WARD_E_NONCANONICAL ==>
       WARD_WIRE_MIN <= l->raw_len &&
       l->raw[WARD_OFF_VERSION] == WARD_VERSION &&
       1 <= l->raw[WARD_OFF_KIND] <= WARD_KIND_LAST &&
       l->raw[WARD_OFF_INVOKE] <= 1 && l->raw[WARD_OFF_READ] <= 1 &&
       l->raw[WARD_OFF_WRITE] <= 1 && l->raw[WARD_OFF_DELEGATE] <= 1 &&
       (!(l->raw[WARD_OFF_DEPTH] < WARD_CHAIN_MAX &&
          link_scope_len(l) != 0 && link_window_ordered(l)) ||
        (link_header_ok(l) &&
         l->raw_len == WARD_WIRE_MIN + link_scope_len(l) &&
         \exists integer j; WARD_OFF_SCOPE <= j <
           WARD_OFF_SCOPE + link_scope_len(l) &&
           !(0x21 <= l->raw[j] <= 0x7e))));

  predicate wire_broken{L}(struct ward_chain *ch, integer r) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n && link_body_bad(&ch->l[i], r);

  // The checks' NONCANONICAL (ward_chain_check): a link whose decoded
  // block is not well formed (block_ok), or whose scope is not canonical
  // (scope_canonical, attenuate.h: printable, and no empty, "." or ".."
  // component for a kind with a separator).
  predicate link_noncanon{L}(struct ward_link *l) =
    !block_ok(&l->b) ||
    !scope_canonical(l->b.kind, &l->b.scope[0], l->b.scope_len);

  predicate chain_noncanon{L}(struct ward_chain *ch) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n && link_noncanon(&ch->l[i]);

  // The decoder's verdict on a chain's bytes, exactly: which reason, if
  // any, it refuses them for (first_bytes on ward_chain_decode, and one
  // behavior per reason on ward_approve).  A link's bytes pass every
  // check (the canonical encoding of a valid block, no longer than
  // WARD_BLOCK_MAX), or fail exactly one reason's: the first check they
  // fail, in the decoder's order (link_head_bad for VERSION to OVERSIZE,
  // link_body_bad for MALFORMED and NONCANONICAL, each of which holds
  // only with every earlier check passed).
  predicate link_passes{L}(struct ward_link *l) =
    WARD_WIRE_MIN <= l->raw_len <= WARD_BLOCK_MAX &&
    link_header_ok(l) &&
    l->raw_len == WARD_WIRE_MIN + link_scope_len(l) &&
    \forall integer j; WARD_OFF_SCOPE <= j <
      WARD_OFF_SCOPE + link_scope_len(l) ==> 0x21 <= l->raw[j] <= 0x7e;

  predicate link_fails{L}(struct ward_link *l, integer x) =
    (WARD_E_VERSION <= x <= WARD_E_OVERSIZE && link_head_bad(l, x)) ||
    ((x == WARD_E_MALFORMED || x == WARD_E_NONCANONICAL) &&
     link_body_bad(l, x));

  // The chain's bytes are refused x: some link fails x and every link
  // before it passes.
  predicate wire_first{L}(struct ward_chain *ch, integer x) =
    x != WARD_OK && 1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n &&
      (\forall integer k; 0 <= k < i ==> link_passes(&ch->l[k])) &&
      link_fails(&ch->l[i], x);
  }
*/

/*@ axiomatic Order {
  // The checks' order (ward_chain_check): a refused chain's reason is the
  // first rule it breaks, link by link from the root, and in each link in
  // this order: its own checks (a well-formed block, the block and id
  // those of its bytes, a canonical scope, the signature, not revoked,
  // the window's start, its end), then the root's (no parent hash, a
  // trusted issuer) or its parent's (named by the parent's id, issued by
  // its holder, attenuated in atten_first's order), then its id new.  In
  // an axiomatic block of its own, as Refused is.
  //
  // The reasons of a link's own checks.
  predicate own_reason(integer r) =
    r == WARD_E_NONCANONICAL || r == WARD_E_CRYPTO ||
    r == WARD_E_SIGNATURE || link_reason(r);

  // The own checks before r kept, and r's rule broken.  Of the fields of
  // the decoded blocks, the trust set, the revocation set and the clock
  // only, as chain_cause is, not of the wire bytes (encoded_as, which no
  // caller's frame could carry): the re-check of a block and id against
  // their bytes (CRYPTO, an inconsistency no request's bytes reach) is
  // placed after a well-formed block only.  NONCANONICAL: a block not
  // well formed or a scope not canonical (link_noncanon).
  predicate own_first{L}(struct ward_link *l, struct ward_revset *rv,
                         integer now, integer r) =
    (r == WARD_E_NONCANONICAL ==> link_noncanon(l)) &&
    (r == WARD_E_CRYPTO ==> block_ok(&l->b)) &&
    (r == WARD_E_SIGNATURE || link_reason(r) ==>
       block_ok(&l->b) &&
       scope_canonical(l->b.kind, &l->b.scope[0], l->b.scope_len)) &&
    (r == WARD_E_SIGNATURE ==> link_sig_bad(l)) &&
    (link_reason(r) ==> link_signed(l)) &&
    (r == WARD_E_REVOKED ==> revoked(rv, &l->id[0])) &&
    (r == WARD_E_NOT_YET_VALID || r == WARD_E_EXPIRED ==>
       !revoked(rv, &l->id[0])) &&
    (r == WARD_E_NOT_YET_VALID ==> now < l->b.not_before) &&
    (r == WARD_E_EXPIRED ==>
       l->b.not_before <= now && now > l->b.not_after);

  // The root's checks before r kept, and r's rule broken.
  predicate root_first{L}(struct ward_chain *ch, struct ward_trust *t,
                          integer r) =
    (r == WARD_E_ROOT_PARENT ==> !is_root(&ch->l[0].b)) &&
    (r == WARD_E_UNTRUSTED_ROOT ==>
       is_root(&ch->l[0].b) && !trusted(t, &ch->l[0].b.issuer[0]));

  // Link i's checks against its parent before r kept, and r's rule broken.
  predicate pair_first{L}(struct ward_chain *ch, integer i, integer r) =
    (r == WARD_E_PARENT_HASH ==>
       !same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
                   WARD_ID_BYTES)) &&
    (r != WARD_E_PARENT_HASH ==>
       same_bytes(&ch->l[i].b.parent[0], &ch->l[i - 1].id[0],
                  WARD_ID_BYTES)) &&
    (r == WARD_E_ISSUER ==>
       !same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0],
                   WARD_KEY_BYTES)) &&
    (r != WARD_E_PARENT_HASH && r != WARD_E_ISSUER ==>
       same_bytes(&ch->l[i].b.issuer[0], &ch->l[i - 1].b.holder[0],
                  WARD_KEY_BYTES)) &&
    atten_first(&ch->l[i].b, &ch->l[i - 1].b, r) &&
    (r == WARD_E_CYCLE ==>
       attenuated(&ch->l[i].b, &ch->l[i - 1].b) &&
       \exists integer j; 0 <= j < i && !ids_differ(ch, j, i));

  // Link k keeps every rule: its own, the root's or its parent's, and
  // its id is new (its bytes' re-check aside, as above).
  predicate link_clear{L}(struct ward_chain *ch, struct ward_trust *t,
                          struct ward_revset *rv, integer now, integer k) =
    link_good(ch, k, rv, now) &&
    (k == 0 ==> root_good(ch, t)) &&
    (0 < k ==> link_linked(ch, k) &&
       \forall integer j; 0 <= j < k ==> ids_differ(ch, j, k));

  // Link i breaks r first: its checks before r kept, r's rule broken.
  predicate link_first{L}(struct ward_chain *ch, struct ward_trust *t,
                          struct ward_revset *rv, integer now, integer i,
                          integer r) =
    (own_reason(r) && own_first(&ch->l[i], rv, now, r)) ||
    (root_reason(r) && i == 0 && link_good(ch, 0, rv, now) &&
     root_first(ch, t, r)) ||
    (pair_reason(r) && 0 < i && link_good(ch, i, rv, now) &&
     pair_first(ch, i, r));

  // A chain refused r breaks r first: some link i does, and every link
  // before it keeps every rule.
  predicate chain_first{L}(struct ward_chain *ch, struct ward_trust *t,
                           struct ward_revset *rv, integer now, integer r) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    \exists integer i; 0 <= i < ch->n &&
      (\forall integer k; 0 <= k < i ==> link_clear(ch, t, rv, now, k)) &&
      link_first(ch, t, rv, now, i, r);
  }
*/

/*@ requires \valid_read(t) && trust_ok(t);
    requires \valid_read(k + (0 .. WARD_KEY_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> trusted(t, k);
*/
int ward_trusted(const struct ward_trust *t, const uint8_t *k)
	__attribute__((warn_unused_result));

/*
 * Decode one link and compute its id.  What decoding establishes is the
 * contract of ward_block_decode (codec.h).  The id binding is stated here,
 * at the point where it is made: WP cannot carry an abstract predicate
 * over bytes through later byte writes, so the chain's contract speaks of
 * the id by value (signed, named by the child, not revoked, unique).
 */
/*@ requires \valid(l);
    assigns l->b, l->id[0 .. WARD_ID_BYTES - 1];
    ensures \result == WARD_OK ==>
      is_block_id(&l->id[0], &l->raw[0], body_len(&l->b));
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures decoding: \result != WARD_OK ==> decode_refusal(\result);
    ensures not_length: \result != WARD_E_CHAIN_EMPTY &&
      \result != WARD_E_CHAIN_TOO_LONG;
    ensures why_wire: wire_reason(\result) ==>
      l->raw_len <= WARD_BLOCK_MAX &&
      wire_cause(&l->raw[0], l->raw_len, \result);
    ensures why_body: wire_body_reason(\result) ==>
      l->raw_len <= WARD_BLOCK_MAX &&
      wire_body_cause(&l->raw[0], l->raw_len, \result);
    ensures why_size: \result == WARD_E_OVERSIZE ==>
      l->raw_len > WARD_BLOCK_MAX ||
      (wire_long_enough(l->raw_len) && wire_version_ok(&l->raw[0]) &&
       wire_kind_ok(&l->raw[0]) && wire_flags_ok(&l->raw[0]) &&
       wire_fields_ok(&l->raw[0]) && !wire_scope_fits(&l->raw[0]));
*/
int ward_link_decode(struct ward_link *l)
	__attribute__((warn_unused_result));

/* 0 if the link's signature verifies, else -1. */
/*@ requires \valid_read(l);
    assigns \nothing;
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> link_signed(l);
    ensures rejected: \result == -1 ==> link_sig_bad(l);
*/
int ward_link_sig_check(const struct ward_link *l)
	__attribute__((warn_unused_result));

/*
 * ward_chain_verify in its two passes, for a caller that keeps the frame of
 * its own state across the only writes (approve.c): decode every link (the
 * length checked first), then check every rule, reading only.  Decoding
 * checks every link's bytes, in order and reading only, before it writes
 * anything (ward_block_check), so that each reason of the encoding names
 * its cause in the bytes the chain arrived with (why_wire, why_body); the
 * links are then decoded, which can fail only as CRYPTO (a hash that
 * could not be computed).
 */
/*@ requires \valid(ch);
    assigns ch->l[0 .. WARD_CHAIN_MAX - 1];
    ensures \result == WARD_OK ==> 1 <= ch->n <= WARD_CHAIN_MAX;
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures decoding: \result != WARD_OK ==> decode_refusal(\result);
    ensures length: (\result == WARD_E_CHAIN_EMPTY <==> ch->n == 0) &&
      (\result == WARD_E_CHAIN_TOO_LONG <==> ch->n > WARD_CHAIN_MAX);
    ensures why_wire: link_head_reason(\result) ==>
      \let x = \result; \old(wire_refused(ch, x));
    ensures why_body: wire_body_reason(\result) ==>
      \let x = \result; \old(wire_broken(ch, x));
    ensures first_bytes: \forall integer x; \old(wire_first(ch, x)) ==>
      \result == x;
*/
int ward_chain_decode(struct ward_chain *ch)
	__attribute__((warn_unused_result));

/*
 * Check every rule of a decoded chain, reading only.  Never MALFORMED nor
 * any other reason of the bytes but NONCANONICAL (checks): a block or id
 * that is not the decoding of its bytes is reported CRYPTO.
 */
/*@ requires \valid_read(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    requires \valid_read(t) && trust_ok(t);
    requires \valid_read(rv) && revset_ok(rv);
    assigns \nothing;
    ensures \result == WARD_OK ==> chain_valid(ch, t, rv, now);
    ensures blocks_ok: \result == WARD_OK ==>
      \forall integer i; 0 <= i < ch->n ==> block_ok(&ch->l[i].b);
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures why: chain_cause(ch, t, rv, now, \result);
    ensures why_sig: \result == WARD_E_SIGNATURE ==> sig_cause(ch);
    ensures why_nc: \result == WARD_E_NONCANONICAL ==> chain_noncanon(ch);
    ensures first: \result != WARD_OK ==> chain_first(ch, t, rv, now, \result);
    ensures checks: \result == WARD_OK || \result == WARD_E_CRYPTO ||
      \result == WARD_E_NONCANONICAL || \result == WARD_E_SIGNATURE ||
      link_reason(\result) || root_reason(\result) ||
      pair_reason(\result);
*/
int ward_chain_check(const struct ward_chain *ch, const struct ward_trust *t,
		     const struct ward_revset *rv, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * Verify a chain whose links hold wire bytes (raw, raw_len).  Fills in
 * every b and id.  now is the caller's time in seconds.  A refusal for a
 * reason only the checks give is the first rule the decoded chain breaks
 * (first; the decoder's reasons are ward_chain_decode's).
 */
/*@ requires \valid(ch);
    requires \valid_read(t) && trust_ok(t);
    requires \valid_read(rv) && revset_ok(rv);
    requires \separated(ch, t, rv);
    assigns ch->l[0 .. WARD_CHAIN_MAX - 1];
    ensures \result == WARD_OK ==> chain_valid(ch, t, rv, now);
    ensures \result != WARD_OK ==> chain_refusal(\result);
    ensures first: \result == WARD_E_SIGNATURE ||
      WARD_E_PARENT_HASH <= \result <= WARD_E_EXPIRED ||
      \result == WARD_E_CYCLE ==> chain_first(ch, t, rv, now, \result);
*/
int ward_chain_verify(struct ward_chain *ch, const struct ward_trust *t,
		      const struct ward_revset *rv, uint64_t now)
	__attribute__((warn_unused_result));

#endif /* WARD_CHAIN_H */
