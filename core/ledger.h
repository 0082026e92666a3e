/*
 * ledger.h -- use counts, counted along the whole chain (property (c)).
 *
 * One entry per block id that has ever been used: how many uses are spent
 * (used), how many are reserved on disk (reserved) and the block's maximum
 * (max).  An approval under a leaf spends one use of every block of its
 * chain, root included, all or none: delegating ten children cannot
 * multiply a budget, because the children share their ancestors' entries.
 * There is at most one live entry per id (ledger_ok), so "the entry of an
 * id" is well defined.
 *
 * used <= reserved <= max is an invariant of every live entry.  Before an
 * approval is released the caller persists reserved for every dirty entry
 * (ward_ledger_clean afterwards); after a crash ward_ledger_restore sets
 * used = reserved from disk.  A crash may waste reserved uses, never
 * overspend.
 *
 * The table is a flat array of WARD_BUCKETS buckets of WARD_LEDGER_WAYS
 * ways; an entry only ever lives in the home bucket of its id (home() in
 * ward.h: a keyed hash, ward_bucket in crypto.h, so that nobody who chooses
 * ids chooses buckets), so a lookup reads WARD_LEDGER_WAYS entries.  A full
 * bucket is a refusal (WARD_E_LEDGER_FULL): nothing is ever evicted or
 * overwritten, and since no entry that holds a use is ever freed, an id
 * refused for a full bucket is refused for the life of the table (fail
 * closed).  The only entries ever freed are those a refused request had
 * registered, still holding nothing (ward_ledger_unregister): a refusal
 * leaves the table as it found it.
 */
#ifndef WARD_LEDGER_H
#define WARD_LEDGER_H

#include "ward.h"

#define WARD_LEDGER_N (WARD_BUCKETS * WARD_LEDGER_WAYS)

/*
 * Slot numbers are uint16_t on purpose, like dirty below: no field of the
 * table is a uint16_t, so WP's memory of the slot arrays is not the memory
 * any ledger write touches, and "the slots did not change" or "writing
 * *slot left the table alone" needs no proof at all.
 */
_Static_assert(WARD_LEDGER_N <= 65535u, "slot numbers are uint16_t");

/*
 * dirty is a uint32_t, not a uint8_t like live: WP keeps one memory per
 * integer type, so spending and cleaning (which write only uint32_t
 * fields) leave the memory of live and id untouched, and the provers see
 * at once that ledger_keys_ok still holds.
 */
struct ward_ledger_entry {
	uint8_t live;			/* 0: free way, 1: entry of id */
	uint8_t id[WARD_ID_BYTES];	/* block id */
	uint32_t dirty;			/* 1: reserved not yet persisted */
	uint32_t used;			/* uses spent */
	uint32_t reserved;		/* uses reserved (the watermark on disk) */
	uint32_t max;			/* the block's max_uses */
};

struct ward_ledger {
	struct ward_ledger_entry e[WARD_LEDGER_N];
};

/*@
  // Entry k holds the 32 bytes at id.
  predicate lentry_is{L}(struct ward_ledger *l, integer k, uint8_t *id) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==> l->e[k].id[j] == id[j];

  // Entries a and b hold the same id.
  predicate lentry_twins{L}(struct ward_ledger *l, integer a, integer b) =
    \forall integer j; 0 <= j < WARD_ID_BYTES ==> l->e[a].id[j] == l->e[b].id[j];

  // home() of the id in entry k, spelt out (see rev_home in revoke.h).
  logic integer lentry_home{L}(struct ward_ledger *l, integer k) =
    bucket_of(&l->e[k].id[0]) % WARD_BUCKETS;

  predicate lentry_in_home{L}(struct ward_ledger *l, integer k) =
    WARD_LEDGER_WAYS * lentry_home(l, k) <= k &&
    k < WARD_LEDGER_WAYS * lentry_home(l, k) + WARD_LEDGER_WAYS;

  // Which ids are where: reads only live and id.
  predicate lentry_key_ok{L}(struct ward_ledger *l, integer k) =
    (l->e[k].live == 0 || l->e[k].live == 1) &&
    (l->e[k].live == 1 ==> lentry_in_home(l, k));

  // At most one live entry per id.
  predicate ledger_unique{L}(struct ward_ledger *l) =
    \forall integer a, b; 0 <= a < WARD_LEDGER_N && 0 <= b < WARD_LEDGER_N &&
      l->e[a].live == 1 && l->e[b].live == 1 && lentry_twins(l, a, b) ==>
        a == b;

  predicate ledger_keys_ok{L}(struct ward_ledger *l) =
    (\forall integer k; 0 <= k < WARD_LEDGER_N ==> lentry_key_ok(l, k)) &&
    ledger_unique(l);

  // The counts: used <= reserved <= max for a live entry.
  predicate lentry_count_ok{L}(struct ward_ledger *l, integer k) =
    (l->e[k].dirty == 0 || l->e[k].dirty == 1) &&
    (l->e[k].live == 1 ==>
       l->e[k].used <= l->e[k].reserved <= l->e[k].max);

  predicate ledger_counts_ok{L}(struct ward_ledger *l) =
    \forall integer k; 0 <= k < WARD_LEDGER_N ==> lentry_count_ok(l, k);

  // The validity predicate of the ledger.
  predicate ledger_ok{L}(struct ward_ledger *l) =
    ledger_keys_ok(l) && ledger_counts_ok(l);

  predicate ledger_has{L}(struct ward_ledger *l, uint8_t *id) =
    \exists integer k; 0 <= k < WARD_LEDGER_N &&
      l->e[k].live == 1 && lentry_is(l, k, id);

  predicate ledger_has_max{L}(struct ward_ledger *l, uint8_t *id, integer m) =
    \exists integer k; 0 <= k < WARD_LEDGER_N &&
      l->e[k].live == 1 && lentry_is(l, k, id) && l->e[k].max == m;

  predicate ledger_bucket_full{L}(struct ward_ledger *l, integer b) =
    \forall integer k;
      WARD_LEDGER_WAYS * b <= k < WARD_LEDGER_WAYS * b + WARD_LEDGER_WAYS ==>
        l->e[k].live == 1;

  // Entry k is the same at L1 and L2, field by field.
  predicate lentry_same{L1, L2}(struct ward_ledger *l, integer k) =
    \at(l->e[k].live, L1) == \at(l->e[k].live, L2) &&
    \at(l->e[k].dirty, L1) == \at(l->e[k].dirty, L2) &&
    \at(l->e[k].used, L1) == \at(l->e[k].used, L2) &&
    \at(l->e[k].reserved, L1) == \at(l->e[k].reserved, L2) &&
    \at(l->e[k].max, L1) == \at(l->e[k].max, L2) &&
    (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
       \at(l->e[k].id[j], L1) == \at(l->e[k].id[j], L2));

  // An entry live at L1 is untouched at L2.
  predicate lentry_kept{L1, L2}(struct ward_ledger *l, integer k) =
    \at(l->e[k].live, L1) == 1 ==> lentry_same{L1, L2}(l, k);

  predicate ledger_same{L1, L2}(struct ward_ledger *l) =
    \forall integer k; 0 <= k < WARD_LEDGER_N ==> lentry_same{L1, L2}(l, k);

  // One use of entry k was spent from L1 to L2, and the reservation
  // watermark raised (and the entry marked dirty) if it was reached.
  predicate lentry_spent{L1, L2}(struct ward_ledger *l, integer k) =
    \at(l->e[k].used, L2) == \at(l->e[k].used, L1) + 1 &&
    \at(l->e[k].used, L2) <= \at(l->e[k].max, L1) &&
    (\at(l->e[k].used, L1) + 1 <= \at(l->e[k].reserved, L1) ==>
       \at(l->e[k].reserved, L2) == \at(l->e[k].reserved, L1) &&
       \at(l->e[k].dirty, L2) == \at(l->e[k].dirty, L1)) &&
    (\at(l->e[k].used, L1) + 1 > \at(l->e[k].reserved, L1) ==>
       \at(l->e[k].reserved, L2) ==
         \min(\at(l->e[k].max, L1),
              \at(l->e[k].used, L1) + WARD_RESERVE_STEP) &&
       \at(l->e[k].dirty, L2) == 1);

  // The uses of entry k from L1 to L2 are one spend: one more than at L1
  // (one, if the entry was registered since), at or below its max.
  predicate lentry_one_more{L1, L2}(struct ward_ledger *l, integer k) =
    \at(l->e[k].used, L2) <= \at(l->e[k].max, L2) &&
    (\at(l->e[k].live, L1) == 1 ==>
       \at(l->e[k].used, L2) == \at(l->e[k].used, L1) + 1) &&
    (\at(l->e[k].live, L1) != 1 ==> \at(l->e[k].used, L2) == 1);

  // The entry of the id at L2 counts exactly one use more than at L1 (one,
  // if the id had no entry at L1), and no more than its max.  With one
  // live entry per id (ledger_unique) and entries never freed nor
  // re-keyed, this is "the id's use count went up by one".
  predicate ledger_spent_id{L1, L2}(struct ward_ledger *l, uint8_t *id) =
    \exists integer k; 0 <= k < WARD_LEDGER_N &&
      \at(l->e[k].live, L2) == 1 && \at(lentry_is(l, k, id), L2) &&
      lentry_one_more{L1, L2}(l, k);

  // The table the same from L1 to L2, as every lookup reads it: the same
  // ways live, and every live entry untouched.  (A free way's other fields
  // are never read: an entry registered and taken back leaves its bytes.)
  predicate ledger_unchanged{L1, L2}(struct ward_ledger *l) =
    \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      \at(l->e[k].live, L2) == \at(l->e[k].live, L1) &&
      lentry_kept{L1, L2}(l, k);

  // No use count moved from L1 to L2: every entry live at L1 is untouched,
  // and an entry registered since has no use spent.  An id's count (zero
  // when it has no entry) is the same at L1 and L2.
  predicate ledger_uses_kept{L1, L2}(struct ward_ledger *l) =
    \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      lentry_kept{L1, L2}(l, k) &&
      (\at(l->e[k].live, L1) != 1 && \at(l->e[k].live, L2) == 1 ==>
         \at(l->e[k].used, L2) == 0);

  // The ledger a at P, as b holds it at Q, field by field
  // (ward_ledger_copy).
  predicate ledger_copy{P, Q}(struct ward_ledger *a, struct ward_ledger *b) =
    (\forall integer k; 0 <= k < WARD_LEDGER_N ==>
      \at(b->e[k].live, Q) == \at(a->e[k].live, P) &&
      \at(b->e[k].dirty, Q) == \at(a->e[k].dirty, P) &&
      \at(b->e[k].used, Q) == \at(a->e[k].used, P) &&
      \at(b->e[k].reserved, Q) == \at(a->e[k].reserved, P) &&
      \at(b->e[k].max, Q) == \at(a->e[k].max, P)) &&
    (\forall integer k, j; 0 <= k < WARD_LEDGER_N && 0 <= j < WARD_ID_BYTES ==>
      \at(b->e[k].id[j], Q) == \at(a->e[k].id[j], P));
*/

/* A ghost copy of ledger src into dst, field by field, for a proof that
 * states a fact of a ledger as it was at some point of a function (in
 * approve.c, the ledger a refused spend saw).  Ghost: it is not compiled,
 * and it changes nothing the program reads.  In this file, whose goals
 * have no lemma among their hypotheses (measured: the same loop in
 * approve.c, under its lemmas, took 8.7 s in cvc4). */
/*@ ghost
  /@ requires \valid(dst) && \valid_read(src) && \separated(dst, src);
     assigns *dst;
     ensures copy: ledger_copy{Pre, Post}(src, dst);
  @/
  void ward_ledger_copy(struct ward_ledger \ghost *dst,
                        const struct ward_ledger *src);
*/

/*@ requires \valid(l);
    assigns l->e[0 .. WARD_LEDGER_N - 1];
    ensures ledger_ok(l);
    ensures \forall integer k; 0 <= k < WARD_LEDGER_N ==> l->e[k].live == 0;
*/
void ward_ledger_init(struct ward_ledger *l);

/* Find the entry of id, or register it (used = reserved = 0) in its home
 * bucket.  An existing entry is never changed; one with another max is a
 * malformed request (a block id fixes its max).  *fresh says which: 1 if
 * the call registered the entry (the caller may take it back with
 * ward_ledger_unregister), 0 if it was there. */
/*@ requires \valid(l) && ledger_ok(l);
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \valid(slot) && \valid(fresh);
    requires \separated(l, id + (0 .. WARD_ID_BYTES - 1), slot, fresh);
    assigns l->e[WARD_LEDGER_WAYS * home(id) ..
                 WARD_LEDGER_WAYS * home(id) + WARD_LEDGER_WAYS - 1],
            *slot, *fresh;
    ensures ledger_ok(l);
    ensures \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      lentry_kept{Pre, Post}(l, k);
    // An entry registered by the call has no use spent.
    ensures fresh_unused: \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      \at(l->e[k].live, Pre) != 1 && l->e[k].live == 1 ==> l->e[k].used == 0;
    ensures \result == WARD_OK || \result == WARD_E_MALFORMED ||
            \result == WARD_E_LEDGER_FULL;
    ensures \result == WARD_OK ==>
      *slot < WARD_LEDGER_N && l->e[*slot].live == 1 &&
      lentry_is(l, *slot, id) && l->e[*slot].max == max;
    // Which entry the call registered, if any: *slot, and no other.
    ensures fresh_is: \result == WARD_OK ==> (*fresh == 0 || *fresh == 1) &&
      (\let s = *slot; *fresh == 1 <==> \at(l->e[s].live, Pre) != 1);
    ensures fresh_no: \result != WARD_OK ==> *fresh == 0;
    ensures fresh_zero: \result == WARD_OK && *fresh == 1 ==>
      l->e[*slot].used == 0 && l->e[*slot].reserved == 0 &&
      l->e[*slot].dirty == 0;
    ensures new_only: \forall integer k; 0 <= k < WARD_LEDGER_N &&
      \at(l->e[k].live, Pre) != 1 && l->e[k].live == 1 ==>
        \result == WARD_OK && *fresh == 1 && k == *slot;
    // A refusal writes nothing (field by field, as the caller reads it).
    ensures refused_flat: \result != WARD_OK ==>
      \forall integer k; 0 <= k < WARD_LEDGER_N ==>
        l->e[k].live == \old(l->e[k].live) &&
        l->e[k].dirty == \old(l->e[k].dirty) &&
        l->e[k].used == \old(l->e[k].used) &&
        l->e[k].reserved == \old(l->e[k].reserved) &&
        l->e[k].max == \old(l->e[k].max);
    ensures refused_ids: \result != WARD_OK ==>
      \forall integer k, j; 0 <= k < WARD_LEDGER_N && 0 <= j < WARD_ID_BYTES ==>
        l->e[k].id[j] == \old(l->e[k].id[j]);

    behavior existing:
      assumes ledger_has_max(l, id, max);
      assigns *slot, *fresh;
      ensures \result == WARD_OK;
    behavior other_max:
      assumes ledger_has(l, id) && !ledger_has_max(l, id, max);
      assigns *fresh;
      ensures \result == WARD_E_MALFORMED;
    behavior registered:
      assumes !ledger_has(l, id) &&
              !ledger_bucket_full(l, home(id));
      ensures \result == WARD_OK;
      ensures \let k = *slot; \at(l->e[k].live, Pre) != 1 &&
        l->e[k].used == 0 && l->e[k].reserved == 0 && l->e[k].dirty == 0;
    behavior bucket_full:
      assumes !ledger_has(l, id) && ledger_bucket_full(l, home(id));
      assigns *fresh;
      ensures \result == WARD_E_LEDGER_FULL;
    complete behaviors;
    disjoint behaviors;
*/
int ward_ledger_find(struct ward_ledger *l, const uint8_t *id, uint32_t max,
		     uint16_t *slot, uint16_t *fresh)
	__attribute__((warn_unused_result));

/* Spend one use of each of the n entries slot[0..n-1] (the chain of an
 * approval, root first), or of none. */
/*@ requires \valid(l) && ledger_ok(l);
    requires n <= WARD_CHAIN_MAX;
    requires \valid_read(slot + (0 .. n - 1));
    requires \separated(l, slot + (0 .. n - 1));
    requires \forall integer i; 0 <= i < n ==>
      slot[i] < WARD_LEDGER_N && l->e[slot[i]].live == 1;
    requires \forall integer i, j; 0 <= i < j < n ==> slot[i] != slot[j];
    assigns l->e[0 .. WARD_LEDGER_N - 1].used,
            l->e[0 .. WARD_LEDGER_N - 1].reserved,
            l->e[0 .. WARD_LEDGER_N - 1].dirty;
    ensures ledger_ok(l);
    ensures maxes: \forall integer k; 0 <= k < WARD_LEDGER_N ==>
      l->e[k].max == \old(l->e[k].max);
    // Entries off the chain are untouched.
    ensures \forall integer k; 0 <= k < WARD_LEDGER_N &&
      (\forall integer i; 0 <= i < n ==> slot[i] != k) ==>
        l->e[k].used == \old(l->e[k].used) &&
        l->e[k].reserved == \old(l->e[k].reserved) &&
        l->e[k].dirty == \old(l->e[k].dirty);

    behavior exhausted:
      assumes \exists integer i; 0 <= i < n &&
        l->e[slot[i]].used + 1 > l->e[slot[i]].max;
      assigns \nothing;
      ensures \result == WARD_E_USES_EXHAUSTED;
      ensures ledger_same{Pre, Post}(l);
    behavior spent:
      assumes \forall integer i; 0 <= i < n ==>
        l->e[slot[i]].used + 1 <= l->e[slot[i]].max;
      ensures \result == WARD_OK;
      ensures \forall integer i; 0 <= i < n ==>
        lentry_spent{Pre, Post}(l, slot[i]);
    complete behaviors;
    disjoint behaviors;
*/
int ward_ledger_consume(struct ward_ledger *l, const uint16_t *slot,
			uint32_t n)
	__attribute__((warn_unused_result));

/* The caller has persisted the reservation of entry slot. */
/*@ requires \valid(l) && ledger_ok(l);
    requires slot < WARD_LEDGER_N;
    assigns l->e[slot].dirty;
    ensures ledger_ok(l);
    ensures l->e[slot].dirty == 0;
*/
void ward_ledger_clean(struct ward_ledger *l, uint32_t slot);

/* Take back entry slot, which a ward_ledger_find registered (*fresh 1)
 * and which still holds nothing: no use spent, none reserved, nothing to
 * persist.  Such an entry says no more than its absence (a block's max is
 * part of the bytes its id hashes); ward_approve takes back those it
 * registered for a request it refused, so that refusals, which cost their
 * sender nothing, leave the table that every session shares as it was.
 * The precondition is the safety of it: an entry with a use spent or
 * reserved is never freed, so no use can be spent twice. */
/*@ requires \valid(l) && ledger_ok(l);
    requires slot < WARD_LEDGER_N;
    requires l->e[slot].used == 0 && l->e[slot].reserved == 0 &&
      l->e[slot].dirty == 0;
    assigns l->e[slot].live;
    ensures ledger_ok(l);
    ensures l->e[slot].live == 0;
    ensures ids: \forall integer q, j; 0 <= q < WARD_LEDGER_N &&
      0 <= j < WARD_ID_BYTES ==> l->e[q].id[j] == \old(l->e[q].id[j]);
    ensures others: \forall integer q; 0 <= q < WARD_LEDGER_N && q != slot ==>
      l->e[q].live == \old(l->e[q].live);
*/
void ward_ledger_unregister(struct ward_ledger *l, uint32_t slot);

/* Crash recovery: the entry of id gets used = reserved = min(reserved, max)
 * from the persisted watermark.  Uses spent before the crash are at most
 * that watermark, so none can be spent twice; an existing used is never
 * lowered. */
/*@ requires \valid(l) && ledger_ok(l);
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \separated(l, id + (0 .. WARD_ID_BYTES - 1));
    assigns l->e[WARD_LEDGER_WAYS * home(id) ..
                 WARD_LEDGER_WAYS * home(id) + WARD_LEDGER_WAYS - 1];
    ensures ledger_ok(l);
    ensures \result == WARD_OK || \result == WARD_E_MALFORMED ||
            \result == WARD_E_LEDGER_FULL;
    // Other ids keep their entries; no count ever goes down.
    ensures \forall integer k; 0 <= k < WARD_LEDGER_N &&
      \at(l->e[k].live, Pre) == 1 ==>
        l->e[k].live == 1 && l->e[k].max == \at(l->e[k].max, Pre) &&
        l->e[k].used >= \at(l->e[k].used, Pre) &&
        l->e[k].reserved >= \at(l->e[k].reserved, Pre) &&
        (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
           l->e[k].id[j] == \at(l->e[k].id[j], Pre)) &&
        (!lentry_is{Pre}(l, k, id) ==> lentry_same{Pre, Post}(l, k));

    behavior restored:
      assumes ledger_has_max(l, id, max) ||
        (!ledger_has(l, id) && !ledger_bucket_full(l, home(id)));
      ensures \result == WARD_OK;
      ensures \exists integer k; 0 <= k < WARD_LEDGER_N &&
        l->e[k].live == 1 && lentry_is(l, k, id) && l->e[k].max == max &&
        l->e[k].used >= \min(reserved, max) &&
        (\at(l->e[k].live, Pre) != 1 ==>
           l->e[k].used == \min(reserved, max) &&
           l->e[k].reserved == l->e[k].used);
    behavior other_max:
      assumes ledger_has(l, id) && !ledger_has_max(l, id, max);
      assigns \nothing;
      ensures \result == WARD_E_MALFORMED;
    behavior bucket_full:
      assumes !ledger_has(l, id) && ledger_bucket_full(l, home(id));
      assigns \nothing;
      ensures \result == WARD_E_LEDGER_FULL;
    complete behaviors;
    disjoint behaviors;
*/
int ward_ledger_restore(struct ward_ledger *l, const uint8_t *id,
			uint32_t max, uint32_t reserved)
	__attribute__((warn_unused_result));

#endif /* WARD_LEDGER_H */
