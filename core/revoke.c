/*
 * revoke.c -- the revocation set.  Contracts in revoke.h; this file carries
 * only loop annotations, the contracts of its static helpers, and asserts
 * that guide the provers.
 */
#include "revoke.h"
#include "crypto.h"

/* The home bucket of id: the keyed hash, never the raw id bytes (which
 * whoever writes a block body chooses). */
/*@ requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    assigns \nothing;
    ensures \result == home(id);
    ensures \result < WARD_BUCKETS;
    ensures WARD_REVOKE_WAYS * \result + WARD_REVOKE_WAYS <= WARD_REVOKE_N;
*/
static uint32_t
revset_bucket(const uint8_t *id)
{
	return ward_bucket(id);
}

/*@ requires \valid_read(s);
    requires k < WARD_REVOKE_N;
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> rev_same(s, k, id);
*/
static int
revset_entry_is(const struct ward_revset *s, uint32_t k, const uint8_t *id)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= WARD_ID_BYTES;
	    loop invariant \forall integer q; 0 <= q < j ==> s->id[k][q] == id[q];
	    loop assigns j;
	    loop variant WARD_ID_BYTES - j;
	*/
	for (j = 0; j < WARD_ID_BYTES; j++) {
		if (s->id[k][j] != id[j])
			return 0;
	}
	return 1;
}

/*@ requires \valid(s);
    requires k < WARD_REVOKE_N;
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \separated(s, id + (0 .. WARD_ID_BYTES - 1));
    assigns s->id[k][0 .. WARD_ID_BYTES - 1];
    ensures rev_same(s, k, id);
    ensures fill_home: rev_home(s, k) == \old(home(id));
    ensures fill_ids: \forall integer q, j; 0 <= q < WARD_REVOKE_N && q != k &&
      0 <= j < WARD_ID_BYTES ==> s->id[q][j] == \old(s->id[q][j]);
*/
static void
revset_fill(struct ward_revset *s, uint32_t k, const uint8_t *id)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= WARD_ID_BYTES;
	    loop invariant \forall integer q; 0 <= q < j ==> s->id[k][q] == id[q];
	    loop invariant \forall integer q; 0 <= q < j ==>
	      s->id[k][q] == \at(id[q], Pre);
	    loop assigns j, s->id[k][0 .. WARD_ID_BYTES - 1];
	    loop variant WARD_ID_BYTES - j;
	*/
	for (j = 0; j < WARD_ID_BYTES; j++)
		s->id[k][j] = id[j];
}

/* Mark entry k live once it holds an id of its bucket. */
/*@ requires \valid(s) && revset_ok(s);
    requires k < WARD_REVOKE_N && rev_in_home(s, k);
    assigns s->live[k];
    ensures revset_ok(s);
    ensures revset_grown{Pre, Post}(s);
    ensures s->live[k] == 1;
*/
static void
revset_mark(struct ward_revset *s, uint32_t k)
{
	s->live[k] = 1;
	/*@ assert mark_live: \forall integer q; 0 <= q < WARD_REVOKE_N && q != k ==>
	      s->live[q] == \at(s->live[q], Pre);
	*/
	/*@ assert mark_ids: \forall integer q, j; 0 <= q < WARD_REVOKE_N &&
	      0 <= j < WARD_ID_BYTES ==> s->id[q][j] == \at(s->id[q][j], Pre);
	*/
	/*@ assert mark_homes: \forall integer q; 0 <= q < WARD_REVOKE_N ==>
	      rev_home(s, q) == \at(rev_home(s, q), Pre);
	*/
}

/* Add id at the free entry k of its home bucket: fill, then mark live, so
 * that a live entry never holds a half-written id.  The asserts state the
 * frame entry by entry, so that revset_ok and revset_grown follow without
 * the provers unfolding the whole table through the memory updates. */
/*@ requires \valid(s) && revset_ok(s);
    requires k < WARD_REVOKE_N && s->live[k] != 1;
    requires WARD_REVOKE_WAYS * home(id) <= k < WARD_REVOKE_WAYS * home(id) + WARD_REVOKE_WAYS;
    requires \valid_read(id + (0 .. WARD_ID_BYTES - 1));
    requires \separated(s, id + (0 .. WARD_ID_BYTES - 1));
    assigns s->id[k][0 .. WARD_ID_BYTES - 1], s->live[k];
    ensures revset_ok(s);
    ensures revset_grown{Pre, Post}(s);
    ensures s->live[k] == 1 && rev_same(s, k, id);
*/
static void
revset_add(struct ward_revset *s, uint32_t k, const uint8_t *id)
{
	revset_fill(s, k, id);
	/*@ assert fill_live: \forall integer q; 0 <= q < WARD_REVOKE_N ==>
	      s->live[q] == \at(s->live[q], Pre);
	*/
	/*@ assert fill_homes: \forall integer q; 0 <= q < WARD_REVOKE_N && q != k ==>
	      rev_home(s, q) == \at(rev_home(s, q), Pre);
	*/
	/*@ assert fill_grown: revset_grown{Pre, Here}(s); */
	/*@ assert new_home: rev_in_home(s, k); */
	/*@ assert fill_ok: revset_ok(s); */
	revset_mark(s, k);
}

void
ward_revset_init(struct ward_revset *s)
{
	uint32_t k;

	/*@ loop invariant 0 <= k <= WARD_REVOKE_N;
	    loop invariant \forall integer q; 0 <= q < k ==> s->live[q] == 0;
	    loop assigns k, s->live[0 .. WARD_REVOKE_N - 1];
	    loop variant WARD_REVOKE_N - k;
	*/
	for (k = 0; k < WARD_REVOKE_N; k++)
		s->live[k] = 0;
	/*@ loop invariant 0 <= k <= WARD_BUCKETS;
	    loop invariant \forall integer q; 0 <= q < k ==> s->poisoned[q] == 0;
	    loop assigns k, s->poisoned[0 .. WARD_BUCKETS - 1];
	    loop variant WARD_BUCKETS - k;
	*/
	for (k = 0; k < WARD_BUCKETS; k++)
		s->poisoned[k] = 0;
	s->count = 0;
}

int
ward_is_revoked(const struct ward_revset *s, const uint8_t *id)
{
	uint32_t b = revset_bucket(id);
	uint32_t base = b * WARD_REVOKE_WAYS;
	uint32_t k;

	/* Fail closed: a revocation into this bucket found it full. */
	if (s->poisoned[b] == 1)
		return 1;
	/*@ loop invariant base <= k <= base + WARD_REVOKE_WAYS;
	    loop invariant \forall integer q; base <= q < k ==>
	      !(s->live[q] == 1 && rev_same(s, q, id));
	    loop assigns k;
	    loop variant base + WARD_REVOKE_WAYS - k;
	*/
	for (k = base; k < base + WARD_REVOKE_WAYS; k++) {
		if (s->live[k] == 1 && revset_entry_is(s, k, id) == 1)
			return 1;
	}
	/* A live copy of id outside its home bucket would break revset_ok. */
	/*@ assert \forall integer q; 0 <= q < WARD_REVOKE_N &&
	      s->live[q] == 1 && rev_same(s, q, id) ==>
	        rev_home(s, q) == home(id);
	*/
	/*@ assert not_stored: !rev_stored(s, id); */
	return 0;
}

int
ward_revoke(struct ward_revset *s, const uint8_t *id)
{
	uint32_t b, base, k;

	if (ward_is_revoked(s, id) == 1)
		return WARD_OK;

	b = revset_bucket(id);
	base = b * WARD_REVOKE_WAYS;
	/*@ loop invariant base <= k <= base + WARD_REVOKE_WAYS;
	    loop invariant \forall integer q; base <= q < k ==> s->live[q] == 1;
	    loop assigns k;
	    loop variant base + WARD_REVOKE_WAYS - k;
	*/
	for (k = base; k < base + WARD_REVOKE_WAYS; k++) {
		if (s->live[k] != 1)
			break;
	}
	if (k == base + WARD_REVOKE_WAYS) {
		/* No room, and no eviction either: poison the bucket, so that
		 * id (and every other id of the bucket) counts as revoked. */
		s->poisoned[b] = 1;
		return WARD_E_REVOKE_FULL;
	}

	/* Fill a free way, then mark it live: a live entry never holds a
	 * half-written id. */
	revset_add(s, k, id);
	if (s->count < WARD_REVOKE_N)
		s->count++;
	return WARD_OK;
}
