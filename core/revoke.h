/*
 * revoke.h -- the revocation set: block ids that no chain may contain.
 *
 * Revocation is by block id (the hash of the canonical encoding, never the
 * signature bytes, which are malleable).  The set only grows: no function
 * here removes, evicts or rewrites an entry, and every function that
 * assigns the set says so in its contract (revset_grown).  The caller
 * persists a revocation before acknowledging it.
 *
 * The set is a flat array of WARD_BUCKETS buckets of WARD_REVOKE_WAYS ways,
 * entry k in bucket k / WARD_REVOKE_WAYS.  An id only ever lives in its home
 * bucket (home() in ward.h: a keyed hash, ward_bucket in crypto.h, so that
 * nobody who chooses ids chooses buckets), so a lookup reads
 * WARD_REVOKE_WAYS entries.  A full bucket never evicts an entry, and it
 * fails closed: a revocation that finds its bucket full poisons the bucket,
 * and every id whose home is a poisoned bucket counts as revoked (revoked()
 * below, hence ward_is_revoked and the chain's !revoked).  ward_revoke
 * still answers WARD_E_REVOKE_FULL then, so the caller can say that
 * innocent ids of that bucket are refused too, but the id is revoked
 * whatever the answer.
 */
#ifndef WARD_REVOKE_H
#define WARD_REVOKE_H

#include "ward.h"

#define WARD_REVOKE_N (WARD_BUCKETS * WARD_REVOKE_WAYS)

/*
 * poisoned is a uint16_t for the proof, like the ledger's slot numbers: no
 * other field of the set is a uint16_t, so WP keeps it in a memory of its
 * own (revset_ok does not read it), and poisoning a bucket
 * plainly leaves live, id and count (hence revset_ok) as they were, while
 * storing an id leaves poisoned alone.
 */
struct ward_revset {
	uint8_t live[WARD_REVOKE_N];		/* 1: id[k] is revoked */
	uint8_t id[WARD_REVOKE_N][WARD_ID_BYTES];
	uint16_t poisoned[WARD_BUCKETS];	/* 1: every id of bucket b is */
	uint32_t count;				/* ids added, for reports */
};

/*@
  // Entry k holds the 32 bytes at id.
  predicate rev_same{L}(struct ward_revset *s, integer k, uint8_t *id) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==> s->id[k][j] == id[j];

  // The home bucket of the id stored in entry k: home() of ward.h, spelt
  // out (through home(), the lemmas of approve.c that carry revset_ok
  // across a write time out; measured).
  logic integer rev_home{L}(struct ward_revset *s, integer k) =
    bucket_of(&s->id[k][0]) % WARD_BUCKETS;

  predicate rev_in_home{L}(struct ward_revset *s, integer k) =
    WARD_REVOKE_WAYS * rev_home(s, k) <= k &&
    k < WARD_REVOKE_WAYS * rev_home(s, k) + WARD_REVOKE_WAYS;

  // The validity predicate: live flags are 0/1 and every live entry sits
  // in its home bucket.
  predicate revset_ok{L}(struct ward_revset *s) =
    s->count <= WARD_REVOKE_N &&
    (\forall integer k; 0 <= k < WARD_REVOKE_N ==>
       s->live[k] == 0 || s->live[k] == 1) &&
    (\forall integer k; 0 <= k < WARD_REVOKE_N && s->live[k] == 1 ==>
       rev_in_home(s, k));

  // Some live entry holds exactly these 32 bytes.
  predicate rev_stored{L}(struct ward_revset *s, uint8_t *id) =
    \exists integer k; 0 <= k < WARD_REVOKE_N &&
      s->live[k] == 1 && rev_same(s, k, id);

  // The home bucket of id is poisoned: a revocation into it was refused
  // for want of room, so every id of the bucket counts as revoked.
  predicate rev_poisoned{L}(struct ward_revset *s, uint8_t *id) =
    s->poisoned[home(id)] == 1;

  // The id is revoked: stored, or in a poisoned bucket (fail closed).
  predicate revoked{L}(struct ward_revset *s, uint8_t *id) =
    rev_stored(s, id) || rev_poisoned(s, id);

  // Every way of bucket b is taken.
  predicate rev_bucket_full{L}(struct ward_revset *s, integer b) =
    \forall integer k;
      WARD_REVOKE_WAYS * b <= k < WARD_REVOKE_WAYS * b + WARD_REVOKE_WAYS ==>
        s->live[k] == 1;

  // The set only grows from L1 to L2: every entry live at L1 is still
  // live at L2 and holds the same bytes, and every bucket poisoned at L1
  // is still poisoned at L2.
  predicate revset_grown{L1, L2}(struct ward_revset *s) =
    (\forall integer k; 0 <= k < WARD_REVOKE_N &&
      \at(s->live[k], L1) == 1 ==>
        \at(s->live[k], L2) == 1 &&
        (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
           \at(s->id[k][j], L2) == \at(s->id[k][j], L1))) &&
    (\forall integer b; 0 <= b < WARD_BUCKETS &&
      \at(s->poisoned[b], L1) == 1 ==> \at(s->poisoned[b], L2) == 1);

*/

/*@ requires \valid(s);
    assigns *s;
    ensures revset_ok(s);
    ensures s->count == 0;
    ensures \forall integer k; 0 <= k < WARD_REVOKE_N ==> s->live[k] == 0;
    ensures \forall integer b; 0 <= b < WARD_BUCKETS ==> s->poisoned[b] == 0;
*/
void ward_revset_init(struct ward_revset *s);

/*@ requires \valid_read(s) && revset_ok(s);
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> revoked(s, id);
*/
int ward_is_revoked(const struct ward_revset *s, const uint8_t *id)
	__attribute__((warn_unused_result));

/*@ requires \valid(s) && revset_ok(s);
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \separated(s, id + (0 .. WARD_ID_BYTES - 1));
    assigns s->live[WARD_REVOKE_WAYS * home(id) ..
                    WARD_REVOKE_WAYS * home(id) + WARD_REVOKE_WAYS - 1],
            s->id[WARD_REVOKE_WAYS * home(id) ..
                  WARD_REVOKE_WAYS * home(id) + WARD_REVOKE_WAYS - 1]
                 [0 .. WARD_ID_BYTES - 1],
            s->poisoned[home(id)],
            s->count;
    ensures revset_ok(s);
    ensures revset_grown{Pre, Post}(s);
    ensures \result == WARD_OK || \result == WARD_E_REVOKE_FULL;
    // Fail closed: whatever the answer, id is revoked from now on.
    ensures revoked(s, id);

    behavior already_revoked:
      assumes revoked(s, id);
      assigns \nothing;
      ensures \result == WARD_OK;
    behavior added:
      assumes !revoked(s, id) && !rev_bucket_full(s, home(id));
      assigns s->live[WARD_REVOKE_WAYS * home(id) ..
                      WARD_REVOKE_WAYS * home(id) + WARD_REVOKE_WAYS - 1],
              s->id[WARD_REVOKE_WAYS * home(id) ..
                    WARD_REVOKE_WAYS * home(id) + WARD_REVOKE_WAYS - 1]
                   [0 .. WARD_ID_BYTES - 1],
              s->count;
      ensures \result == WARD_OK;
      ensures rev_stored(s, id);
    behavior bucket_full:
      assumes !revoked(s, id) && rev_bucket_full(s, home(id));
      assigns s->poisoned[home(id)];
      ensures \result == WARD_E_REVOKE_FULL;
      ensures rev_poisoned(s, id);
    complete behaviors;
    disjoint behaviors;
*/
int ward_revoke(struct ward_revset *s, const uint8_t *id)
	__attribute__((warn_unused_result));

#endif /* WARD_REVOKE_H */
