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
 * bucket (home() in ward.h), so a lookup reads WARD_REVOKE_WAYS entries, and
 * "not in the home bucket" means "not in the set".  A full bucket is a
 * refusal (WARD_E_REVOKE_FULL), never an eviction.
 */
#ifndef WARD_REVOKE_H
#define WARD_REVOKE_H

#include "ward.h"

#define WARD_REVOKE_N (WARD_BUCKETS * WARD_REVOKE_WAYS)

struct ward_revset {
	uint8_t live[WARD_REVOKE_N];		/* 1: id[k] is revoked */
	uint8_t id[WARD_REVOKE_N][WARD_ID_BYTES];
	uint32_t count;				/* ids added, for reports */
};

/*@
  // Entry k holds the 32 bytes at id.
  predicate rev_same{L}(struct ward_revset *s, integer k, uint8_t *id) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==> s->id[k][j] == id[j];

  // The home bucket of the id stored in entry k (home() of ward.h, read
  // by index so that no pointer arithmetic reaches the provers).
  logic integer rev_home{L}(struct ward_revset *s, integer k) =
    (s->id[k][0] + 256 * s->id[k][1]) % WARD_BUCKETS;

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
  predicate revoked{L}(struct ward_revset *s, uint8_t *id) =
    \exists integer k; 0 <= k < WARD_REVOKE_N &&
      s->live[k] == 1 && rev_same(s, k, id);

  // Every way of bucket b is taken.
  predicate rev_bucket_full{L}(struct ward_revset *s, integer b) =
    \forall integer k;
      WARD_REVOKE_WAYS * b <= k < WARD_REVOKE_WAYS * b + WARD_REVOKE_WAYS ==>
        s->live[k] == 1;

  // The set only grows from L1 to L2: every entry live at L1 is still
  // live at L2 and holds the same bytes.
  predicate revset_grown{L1, L2}(struct ward_revset *s) =
    \forall integer k; 0 <= k < WARD_REVOKE_N &&
      \at(s->live[k], L1) == 1 ==>
        \at(s->live[k], L2) == 1 &&
        (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
           \at(s->id[k][j], L2) == \at(s->id[k][j], L1));

*/

/*@ requires \valid(s);
    assigns *s;
    ensures revset_ok(s);
    ensures s->count == 0;
    ensures \forall integer k; 0 <= k < WARD_REVOKE_N ==> s->live[k] == 0;
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
            s->count;
    ensures revset_ok(s);
    ensures revset_grown{Pre, Post}(s);
    ensures \result == WARD_OK || \result == WARD_E_REVOKE_FULL;
    ensures \result == WARD_OK ==> revoked(s, id);

    behavior already_revoked:
      assumes revoked(s, id);
      assigns \nothing;
      ensures \result == WARD_OK;
    behavior added:
      assumes !revoked(s, id) && !rev_bucket_full(s, home(id));
      ensures \result == WARD_OK;
    behavior bucket_full:
      assumes !revoked(s, id) && rev_bucket_full(s, home(id));
      assigns \nothing;
      ensures \result == WARD_E_REVOKE_FULL;
    complete behaviors;
    disjoint behaviors;
*/
int ward_revoke(struct ward_revset *s, const uint8_t *id)
	__attribute__((warn_unused_result));

#endif /* WARD_REVOKE_H */
