/*
 * crypto.h -- the only door from the verified core to libsodium.
 *
 * The verified modules never include <sodium.h>.  They call these five
 * functions, whose contracts are stated over abstract predicates: WP
 * assumes the contracts, and crypto.c (plain glue over libsodium, outside
 * the proof) is trusted to meet them.  The one axiom, bucket_of_bytes in
 * ward.h, says only that bucket_of is a function of the id's 32 bytes (a
 * reads clause WP does not use); nothing else is assumed about the
 * predicates beyond what each contract says.
 *
 * Domain separation lives in crypto.c: every hash and every signature is
 * over a fixed 16-byte tag followed by the payload, and the tags differ.
 */
#ifndef WARD_CRYPTO_H
#define WARD_CRYPTO_H

#include "ward.h"

/*@
  // The second half of a 64-byte signature as one value, read from the
  // signature's start (not as val32(sig + 32): the provers then do not
  // match its bytes with a frame stated of sig[j], measured).
  logic integer sig_hi{L}(uint8_t *s) =
    pack32(s[32], s[33], s[34], s[35], s[36], s[37], s[38], s[39], s[40], s[41], s[42], s[43], s[44], s[45], s[46], s[47], s[48], s[49], s[50], s[51], s[52], s[53], s[54], s[55], s[56], s[57], s[58], s[59], s[60], s[61], s[62], s[63]);
*/

/*@ axiomatic Sodium {
  // id is BLAKE2b-256("ward.v1.blockid\0" || body[0..len-1]).
  predicate is_block_id{L}(uint8_t *id, uint8_t *body, integer len)
    reads id[0 .. 31], body[0 .. len - 1];

  // The same id as one value (val32, ward.h): a function of the body's
  // bytes, so that an id recomputed elsewhere can be compared with one
  // stored (chain.h, link_id_ok).
  logic integer block_id_of{L}(uint8_t *body, integer len)
    reads body[0 .. len - 1];

  // The holder of public key pk signed "ward.v1.blocksig" || id, where id
  // and pk are given as values (see val32 in ward.h).
  predicate ed25519_ok(integer id, integer pk);

  // The 64 bytes whose halves have the values s0 and s1 (val32, ward.h,
  // and sig_hi above) are a signature that libsodium's
  // crypto_sign_verify_detached accepts over "ward.v1.blocksig" || id
  // under pk.  A fact of the bytes presented, where ed25519_ok is a fact
  // of the signer: what a refusal for SIGNATURE names (link_sig_bad,
  // chain.h).  As values, like ed25519_ok, so that it holds in any state
  // with the same bytes.
  predicate sig_verifies(integer s0, integer s1, integer id, integer pk);

  // sig is the Ed25519 signature of "ward.v1.approval" || msg[0..len-1]
  // under the secret key sk.
  predicate signed_msg{L}(uint8_t *sig, uint8_t *msg, integer len, uint8_t *sk)
    reads sig[0 .. 63], msg[0 .. len - 1], sk[0 .. 63];

  // next is BLAKE2b-256("ward.v1.auditlnk" || prev || rec[0..len-1]).
  predicate audit_hash{L}(integer next, integer prev, uint8_t *rec, integer len)
    reads rec[0 .. len - 1];
  }
*/

/*@ requires \valid(id + (0 .. WARD_ID_BYTES - 1));
    requires len <= WARD_BODY_MAX;
    requires \valid_read(body + (0 .. len - 1));
    requires \separated(id + (0 .. WARD_ID_BYTES - 1), body + (0 .. len - 1));
    assigns id[0 .. WARD_ID_BYTES - 1] \from body[0 .. len - 1];
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> is_block_id(id, body, len);
    ensures \result == 0 ==> val32(id) == block_id_of(body, len);
*/
int ward_block_id(uint8_t *id, const uint8_t *body, size_t len)
	__attribute__((warn_unused_result));

/*
 * The signature memo (crypto.c; not ACSL that WP reads, because the memo
 * is state outside the proof).  A memo hit returns 0 without looking at
 * sig, so the ensures below holds only if the memo is sound:
 *
 *   invariant memo_sound: \forall integer s; 0 <= s < MEMO_SLOTS ==>
 *     memo[s].live ==> ed25519_ok(val32(memo[s].id), val32(memo[s].pk));
 *
 * that is: a pair (id, pk) is remembered only AFTER a call whose
 * crypto_sign_verify_detached accepted a signature over id under pk; a
 * failed verification never writes the memo; a hit needs all 32 bytes of
 * both id and pk to match.  The third ensures (rejected) needs no memo
 * fact: -1 is returned only where crypto_sign_verify_detached, called on
 * these very sig, id and pk, refused them; a memo hit returns 0.  Tested by tests/unit/test_crypto_memo.c (a
 * forged signature, then the same body again, is refused both times).
 */
/*
 * The bucket of a block id in the revocation set and the use ledger:
 * SipHash-2-4 (crypto_shorthash) of the 32 id bytes under a 16-byte key
 * drawn with randombytes, as a 64-bit little-endian value (bucket_of in
 * ward.h), reduced mod WARD_BUCKETS (a power of two, so without bias).  The key lives only in the memory of this process; no
 * function returns it, no record or reply holds it.  A broker that grinds
 * block ids (it writes the bodies they are hashes of) sees ids, never
 * buckets, so it cannot crowd the bucket of another grant.
 *
 * The contract speaks of bucket_of (ward.h), which stays one function for
 * the life of the process: the key is drawn once, by
 * ward_bucket_key_init, before any table is built (ward-core's main calls
 * it before ward_revset_init and ward_ledger_init; a program that forgets
 * gets its key drawn at the first ward_bucket), and never changes after.
 * ward-core rebuilds its tables from the audit log at every start, so a
 * new key per process is never mixed with an old table.
 */
/*@ requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    assigns \nothing;
    ensures \result == home(id);
    ensures 0 <= \result < WARD_BUCKETS;
*/
uint32_t ward_bucket(const uint8_t *id)
	__attribute__((warn_unused_result));

#ifndef WARD_PROOF
/* Draw the bucket key (once: later calls keep it, since a new key would
 * strand every entry of a table built under the old one).  0, or -1 if
 * libsodium cannot initialise. */
int ward_bucket_key_init(void)
	__attribute__((warn_unused_result));
#endif

/*@ requires \valid_read(sig + (0 .. WARD_SIG_BYTES - 1));
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \valid_read(pk + (0 .. WARD_KEY_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> ed25519_ok(val32(id), val32(pk));
    ensures rejected: \result == -1 ==>
      !sig_verifies(val32(sig), sig_hi(sig), val32(id), val32(pk));
*/
int ward_block_sig_verify(const uint8_t *sig, const uint8_t *id,
			  const uint8_t *pk)
	__attribute__((warn_unused_result));

#ifndef WARD_PROOF
/* Sign a block id as its issuer: sig := Ed25519(sk, "ward.v1.blocksig" ||
 * id).  The issuing side (ward init, delegation, tests); not called by the
 * verified code. */
int ward_block_sign(uint8_t *sig, const uint8_t *id, const uint8_t *sk)
	__attribute__((warn_unused_result));

/* Forget every memoised block signature (tests and benchmarks use it to
 * measure uncached verification).  Not called by the verified code. */
void ward_sig_memo_clear(void);
#endif

/*@ requires \valid(sig + (0 .. WARD_SIG_BYTES - 1));
    requires len <= 4096;
    requires \valid_read(msg + (0 .. len - 1));
    requires \valid_read(sk + (0 .. WARD_SK_BYTES - 1));
    requires \separated(sig + (0 .. WARD_SIG_BYTES - 1), msg + (0 .. len - 1),
                        sk + (0 .. WARD_SK_BYTES - 1));
    assigns sig[0 .. WARD_SIG_BYTES - 1]
      \from msg[0 .. len - 1], sk[0 .. WARD_SK_BYTES - 1];
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> signed_msg(sig, msg, len, sk);
*/
int ward_approval_sign(uint8_t *sig, const uint8_t *msg, size_t len,
		       const uint8_t *sk)
	__attribute__((warn_unused_result));

/* head := H(head || rec): one link of the audit chain, in place.  On
 * failure head is left as it was. */
/*@ requires \valid(head + (0 .. WARD_ID_BYTES - 1));
    requires len <= 4096;
    requires \valid_read(rec + (0 .. len - 1));
    requires \separated(head + (0 .. WARD_ID_BYTES - 1), rec + (0 .. len - 1));
    assigns head[0 .. WARD_ID_BYTES - 1]
      \from head[0 .. WARD_ID_BYTES - 1], rec[0 .. len - 1];
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> audit_hash(val32(head), \old(val32(head)), rec, len);
    ensures \result != 0 ==> \forall integer j; 0 <= j < WARD_ID_BYTES ==>
      head[j] == \old(head[j]);
*/
int ward_audit_hash(uint8_t *head, const uint8_t *rec, size_t len)
	__attribute__((warn_unused_result));

#endif /* WARD_CRYPTO_H */
