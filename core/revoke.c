/*
 * revoke.c -- the revocation set.  Contracts in revoke.h; this file carries
 * only loop annotations, the contracts of its static helpers, and asserts
 * that guide the provers.
 */
#include "revoke.h"

/* The first entry of the home bucket of id. */
/*@ requires \valid_read(id + (0 .. 1));
    assigns \nothing;
    ensures \result == WARD_REVOKE_WAYS * home(id);
    ensures \result + WARD_REVOKE_WAYS <= WARD_REVOKE_N;
*/
static uint32_t
revset_bucket(const uint8_t *id)
{
	uint32_t h = ((uint32_t)id[0] + 256u * (uint32_t)id[1]) % WARD_BUCKETS;

	return h * WARD_REVOKE_WAYS;
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
*/
static void
revset_fill(struct ward_revset *s, uint32_t k, const uint8_t *id)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= WARD_ID_BYTES;
	    loop invariant \forall integer q; 0 <= q < j ==> s->id[k][q] == id[q];
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
	/*@ assert mark_head: \forall integer q; 0 <= q < WARD_REVOKE_N ==>
	      s->id[q][0] == \at(s->id[q][0], Pre) &&
	      s->id[q][1] == \at(s->id[q][1], Pre);
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
	/*@ assert fill_ids: \forall integer q, j; 0 <= q < WARD_REVOKE_N && q != k &&
	      0 <= j < WARD_ID_BYTES ==> s->id[q][j] == \at(s->id[q][j], Pre);
	*/
	/*@ assert fill_head: \forall integer q; 0 <= q < WARD_REVOKE_N && q != k ==>
	      s->id[q][0] == \at(s->id[q][0], Pre) &&
	      s->id[q][1] == \at(s->id[q][1], Pre);
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
	s->count = 0;
}

int
ward_is_revoked(const struct ward_revset *s, const uint8_t *id)
{
	uint32_t base = revset_bucket(id);
	uint32_t k;

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
	return 0;
}

int
ward_revoke(struct ward_revset *s, const uint8_t *id)
{
	uint32_t base, k;

	if (ward_is_revoked(s, id) == 1)
		return WARD_OK;

	base = revset_bucket(id);
	/*@ loop invariant base <= k <= base + WARD_REVOKE_WAYS;
	    loop invariant \forall integer q; base <= q < k ==> s->live[q] == 1;
	    loop assigns k;
	    loop variant base + WARD_REVOKE_WAYS - k;
	*/
	for (k = base; k < base + WARD_REVOKE_WAYS; k++) {
		if (s->live[k] != 1)
			break;
	}
	if (k == base + WARD_REVOKE_WAYS)
		return WARD_E_REVOKE_FULL;

	/* Fill a free way, then mark it live: a live entry never holds a
	 * half-written id. */
	revset_add(s, k, id);
	if (s->count < WARD_REVOKE_N)
		s->count++;
	return WARD_OK;
}
