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

/*
 * A head's 32 bytes by value.  The decision keeps the head its record is
 * appended to in one of these (approve.c, approve_release): a local whose
 * address is never taken is a value to WP, which no write to memory can
 * touch, so that no frame is needed to carry it across the append (a
 * local byte array needed one for every structure the decision writes,
 * and the provers did not find them: measured, approve_release's frames
 * of the ledger timed out at 10 s).
 */
struct ward_digest {
	uint8_t b[WARD_ID_BYTES];
};

/*@ logic integer digest_val(struct ward_digest d) =
      pack32(d.b[0], d.b[1], d.b[2], d.b[3], d.b[4], d.b[5], d.b[6], d.b[7], d.b[8], d.b[9], d.b[10], d.b[11], d.b[12], d.b[13], d.b[14], d.b[15], d.b[16], d.b[17], d.b[18], d.b[19], d.b[20], d.b[21], d.b[22], d.b[23], d.b[24], d.b[25], d.b[26], d.b[27], d.b[28], d.b[29], d.b[30], d.b[31]);
*/

/*@ requires \valid_read(a);
    assigns \nothing;
    ensures head: digest_val(\result) == val32(&a->head[0]);
*/
struct ward_digest ward_audit_head(const struct ward_audit *a);

/*
 * Is the head the link of rec after prev, head == H(prev || rec)?  prev is
 * the head the record was appended to (ward_audit_head, before the
 * append).  Reading only: the decision asks it in the state it releases an
 * approval in (approve.c, approve_release), so that the link of its record
 * is a fact of that state, with no frame to carry (WP does not carry an
 * abstract predicate over bytes, audit_hash, across later writes of
 * bytes).  0 also if the hash could not be computed.
 */
/*@ requires \valid_read(a);
    requires len <= WARD_AUDIT_REC_MAX;
    requires \valid_read(rec + (0 .. len - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures linked: \result == 1 ==>
      audit_hash(val32(&a->head[0]), digest_val(prev), rec, len);
*/
int ward_audit_linked(const struct ward_audit *a, struct ward_digest prev,
		      const uint8_t *rec, size_t len)
	__attribute__((warn_unused_result));

#endif /* WARD_AUDIT_H */
