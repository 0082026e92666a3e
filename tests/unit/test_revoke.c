/*
 * test_revoke.c -- the revocation set (property (d)): a revoked id is
 * found wherever it came from, the set never shrinks, a full bucket never
 * evicts an earlier revocation and fails closed, and ids ground by whoever
 * writes block bodies cannot crowd one bucket.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "crypto.h"
#include "revoke.h"

static struct ward_revset S, S_before;

/* An id whose first two bytes read v, told apart by tag.  Before the
 * keyed buckets, the first two bytes were the bucket (v % 1024). */
static void
mkid(uint8_t id[WARD_ID_BYTES], unsigned v, unsigned tag)
{
	memset(id, 0, WARD_ID_BYTES);
	id[0] = (uint8_t)(v & 0xff);
	id[1] = (uint8_t)(v >> 8);
	id[2] = (uint8_t)(tag & 0xff);
	id[3] = (uint8_t)(tag >> 8);
	id[4] = (uint8_t)(tag >> 16);
	id[31] = 0xa5;
}

/* The next id of bucket b, trying tags from *tag on.  Only a party that
 * holds the bucket key can do this: here the test, which shares ward-core's
 * process model (one key per process). */
static void
id_in_bucket(uint8_t id[WARD_ID_BYTES], uint32_t b, unsigned v, unsigned *tag)
{
	do
		mkid(id, v, (*tag)++);
	while (ward_bucket(id) != b);
}

/* No bucket is poisoned. */
static int
none_poisoned(const struct ward_revset *s)
{
	size_t b;

	for (b = 0; b < WARD_BUCKETS; b++)
		if (s->poisoned[b] != 0)
			return 0;
	return 1;
}

/* revset_ok, checked at run time. */
static int
revset_ok_rt(const struct ward_revset *s)
{
	size_t k;

	if (s->count > WARD_REVOKE_N)
		return 0;
	for (k = 0; k < WARD_REVOKE_N; k++) {
		if (s->live[k] > 1)
			return 0;
		if (s->live[k] && k / WARD_REVOKE_WAYS != ward_bucket(s->id[k]))
			return 0;
	}
	return 1;
}

/* Every id live in a is live in b with the same bytes, and every bucket
 * poisoned in a is poisoned in b. */
static int
grown(const struct ward_revset *a, const struct ward_revset *b)
{
	size_t k;

	for (k = 0; k < WARD_REVOKE_N; k++)
		if (a->live[k] && (!b->live[k] ||
		    memcmp(a->id[k], b->id[k], WARD_ID_BYTES) != 0))
			return 0;
	for (k = 0; k < WARD_BUCKETS; k++)
		if (a->poisoned[k] && !b->poisoned[k])
			return 0;
	return 1;
}

TEST(revoked_parent_id_found)
{
	uint8_t parent[WARD_ID_BYTES], copy[WARD_ID_BYTES], child[WARD_ID_BYTES];

	ward_revset_init(&S);
	mkid(parent, 300, 1);
	mkid(child, 301, 2);
	EXPECT_EQ(ward_is_revoked(&S, parent), 0);
	EXPECT_EQ(ward_revoke(&S, parent), WARD_OK);
	/* Found from another buffer holding the same bytes. */
	memcpy(copy, parent, sizeof copy);
	EXPECT_EQ(ward_is_revoked(&S, copy), 1);
	EXPECT_EQ(ward_is_revoked(&S, child), 0);
	/* A one-bit difference anywhere is another id. */
	copy[31] ^= 1;
	EXPECT_EQ(ward_is_revoked(&S, copy), 0);
	EXPECT(revset_ok_rt(&S));
}

TEST(revoking_twice_is_idempotent)
{
	uint8_t id[WARD_ID_BYTES];

	ward_revset_init(&S);
	mkid(id, 5, 5);
	EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	memcpy(&S_before, &S, sizeof S);
	EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	EXPECT(memcmp(&S_before, &S, sizeof S) == 0);
	EXPECT_EQ(ward_is_revoked(&S, id), 1);
}

TEST(revocation_set_never_shrinks)
{
	uint8_t id[WARD_ID_BYTES];
	unsigned k, tag = 0;

	ward_revset_init(&S);
	for (k = 0; k < 3000; k++) {
		int rc;

		memcpy(&S_before, &S, sizeof S);
		/* Many ids crowd a few buckets, so some find them full. */
		id_in_bucket(id, k % 64, 0, &tag);
		rc = ward_revoke(&S, id);
		EXPECT(rc == WARD_OK || rc == WARD_E_REVOKE_FULL);
		EXPECT(grown(&S_before, &S));
		EXPECT_EQ(ward_is_revoked(&S, id), 1);
	}
	/* Everything revoked early is still revoked. */
	for (k = 0, tag = 0; k < 64; k++) {
		id_in_bucket(id, k % 64, 0, &tag);
		EXPECT_EQ(ward_is_revoked(&S, id), 1);
	}
	EXPECT(revset_ok_rt(&S));
}

/*
 * A revocation that cannot be stored never lets the id pass: the bucket is
 * poisoned and every id of it counts as revoked, while no earlier entry is
 * evicted and other buckets are untouched.
 */
TEST(revocation_of_a_full_bucket_fails_closed)
{
	uint8_t first[WARD_REVOKE_WAYS][WARD_ID_BYTES], id[WARD_ID_BYTES];
	uint8_t bystander[WARD_ID_BYTES], other[WARD_ID_BYTES];
	unsigned w, tag = 0;
	uint32_t b = 77;

	ward_revset_init(&S);
	for (w = 0; w < WARD_REVOKE_WAYS; w++) {
		id_in_bucket(first[w], b, 1, &tag);
		EXPECT_EQ(ward_revoke(&S, first[w]), WARD_OK);
	}
	id_in_bucket(id, b, 1, &tag);
	id_in_bucket(bystander, b, 2, &tag);
	id_in_bucket(other, b + 1, 1, &tag);
	EXPECT_EQ(ward_is_revoked(&S, id), 0);
	EXPECT_EQ(ward_is_revoked(&S, bystander), 0);
	memcpy(&S_before, &S, sizeof S);
	/* The bucket is full: the answer says so, and id is revoked. */
	EXPECT_EQ(ward_revoke(&S, id), WARD_E_REVOKE_FULL);
	EXPECT_EQ(ward_is_revoked(&S, id), 1);
	EXPECT_EQ(S.poisoned[b], 1);
	/* Nothing evicted, nothing else written. */
	EXPECT(memcmp(S_before.live, S.live, sizeof S.live) == 0);
	EXPECT(memcmp(S_before.id, S.id, sizeof S.id) == 0);
	EXPECT_EQ(S.count, S_before.count);
	EXPECT(grown(&S_before, &S));
	for (w = 0; w < WARD_REVOKE_WAYS; w++)
		EXPECT_EQ(ward_is_revoked(&S, first[w]), 1);
	/* The price of failing closed: the whole bucket is refused. */
	EXPECT_EQ(ward_is_revoked(&S, bystander), 1);
	/* Revoking into a poisoned bucket again: already revoked, no change. */
	memcpy(&S_before, &S, sizeof S);
	EXPECT_EQ(ward_revoke(&S, bystander), WARD_OK);
	EXPECT(memcmp(&S_before, &S, sizeof S) == 0);
	/* Other buckets are untouched and still take revocations. */
	EXPECT_EQ(ward_is_revoked(&S, other), 0);
	EXPECT_EQ(ward_revoke(&S, other), WARD_OK);
	EXPECT_EQ(ward_is_revoked(&S, other), 1);
	EXPECT_EQ(S.poisoned[b + 1], 0);
	EXPECT(revset_ok_rt(&S));
}

/*
 * The attack of ward issue 15: a broker holding one delegable grant issues
 * children whose ids (hashes of bodies it writes) it grinds to share the
 * first two bytes of another session's grant, the bucket under the old
 * home(), and revokes them, so that the operator's revocation of that
 * grant finds the bucket full.  With the keyed bucket the ground ids
 * scatter, and the grant's revocation is stored like any other.
 */
TEST(ground_ids_cannot_fill_a_bucket)
{
	uint8_t victim[WARD_ID_BYTES], id[WARD_ID_BYTES];
	uint8_t seen[WARD_BUCKETS];
	unsigned k, spread = 0;

	ward_revset_init(&S);
	memset(seen, 0, sizeof seen);
	mkid(victim, 0x1234, 0xfffff);
	for (k = 0; k < 4 * WARD_REVOKE_WAYS; k++) {
		mkid(id, 0x1234, k);	/* same first two bytes as victim */
		if (!seen[ward_bucket(id)]++)
			spread++;
		EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	}
	/* Fewer than 16 buckets for the 32 ids, or 8 of them in the
	 * grant's bucket, would happen by chance with odds below 2^-50. */
	EXPECT(spread >= 16);
	EXPECT(none_poisoned(&S));
	EXPECT_EQ(ward_is_revoked(&S, victim), 0);
	EXPECT_EQ(ward_revoke(&S, victim), WARD_OK);
	EXPECT_EQ(ward_is_revoked(&S, victim), 1);
	/* Stored, not poisoned: no other id pays for it. */
	EXPECT(none_poisoned(&S));
	EXPECT(revset_ok_rt(&S));
}

int
main(void)
{
	if (ward_bucket_key_init() != 0) {
		printf("FAIL test_revoke: cannot draw the bucket key\n");
		return 1;
	}
	RUN(revoked_parent_id_found);
	RUN(revoking_twice_is_idempotent);
	RUN(revocation_set_never_shrinks);
	RUN(revocation_of_a_full_bucket_fails_closed);
	RUN(ground_ids_cannot_fill_a_bucket);
	T_EXIT();
}
