/*
 * audit.h -- the audit hash chain (property (e)).
 *
 * The head commits to every record appended so far: after the n-th record
 * R_n, head_n = H(head_{n-1} || R_n), with head_0 all zero.  The on-disk
 * log, checkpoints and their signatures belong to the ward-core process;
 * this is the part every decision depends on, so it is proved.
 */
#ifndef WARD_AUDIT_H
#define WARD_AUDIT_H

#include "ward.h"
#include "crypto.h"

#define WARD_AUDIT_REC_MAX 512u	/* longest record the core appends */

struct ward_audit {
	uint64_t seq;			/* records appended so far */
	uint8_t head[WARD_ID_BYTES];	/* hash of the last link */
};

/*@ predicate audit_ok{L}(struct ward_audit *a) = \valid(a);

    // One link: the head moved from old to H(old || rec) and one more
    // record is counted.
    predicate audit_extended{L1, L2}(struct ward_audit *a, uint8_t *rec,
                                     integer len) =
      \at(a->seq, L2) == \at(a->seq, L1) + 1 &&
      \at(audit_hash(val32(&a->head[0]), \at(val32(&a->head[0]), L1),
                      rec, len), L2);
*/

/*@ requires \valid(a);
    assigns *a;
    ensures a->seq == 0;
    ensures all_zero(&a->head[0], WARD_ID_BYTES);
*/
void ward_audit_init(struct ward_audit *a);

/*@ requires \valid(a);
    requires \valid(pos);
    requires len <= WARD_AUDIT_REC_MAX;
    requires \valid_read(rec + (0 .. len - 1));
    requires \separated(a, pos, rec + (0 .. len - 1));
    assigns *a, *pos;

    behavior exhausted:
      assumes a->seq == UINT64_MAX;
      assigns \nothing;
      ensures \result == WARD_E_EXHAUSTED;
      ensures a->seq == \old(a->seq);
      ensures \forall integer j; 0 <= j < WARD_ID_BYTES ==> a->head[j] == \old(a->head[j]);
    behavior append:
      assumes a->seq < UINT64_MAX;
      ensures \result == WARD_OK || \result == WARD_E_CRYPTO;
      ensures \result == WARD_OK ==>
        audit_extended{Pre, Post}(a, rec, len) && *pos == \old(a->seq);
      ensures \result != WARD_OK ==>
        a->seq == \old(a->seq) &&
        \forall integer j; 0 <= j < WARD_ID_BYTES ==> a->head[j] == \old(a->head[j]);
    complete behaviors;
    disjoint behaviors;
*/
int ward_audit_append(struct ward_audit *a, const uint8_t *rec, size_t len,
		      uint64_t *pos)
	__attribute__((warn_unused_result));

#endif /* WARD_AUDIT_H */
