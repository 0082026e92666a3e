/*
 * test_revoke.c -- the revocation set (property (d)): a revoked id is
 * found wherever it came from, the set never shrinks, and a full bucket is
 * refused rather than evicting an earlier revocation.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "revoke.h"

static struct ward_revset S, S_before;

/* An id whose first two bytes read v (home = v % 1024), told apart by tag. */
static void
mkid(uint8_t id[WARD_ID_BYTES], unsigned v, unsigned tag)
{
	memset(id, 0, WARD_ID_BYTES);
	id[0] = (uint8_t)(v & 0xff);
	id[1] = (uint8_t)(v >> 8);
	id[2] = (uint8_t)(tag & 0xff);
	id[3] = (uint8_t)(tag >> 8);
	id[31] = 0xa5;
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
		if (s->live[k] &&
		    k / WARD_REVOKE_WAYS != (s->id[k][0] + 256u * s->id[k][1]) % WARD_BUCKETS)
			return 0;
	}
	return 1;
}

/* Every id live in a is live in b with the same bytes. */
static int
grown(const struct ward_revset *a, const struct ward_revset *b)
{
	size_t k;

	for (k = 0; k < WARD_REVOKE_N; k++)
		if (a->live[k] && (!b->live[k] ||
		    memcmp(a->id[k], b->id[k], WARD_ID_BYTES) != 0))
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
	unsigned k;

	ward_revset_init(&S);
	for (k = 0; k < 3000; k++) {
		int rc;

		memcpy(&S_before, &S, sizeof S);
		/* Many ids crowd a few buckets, so some are refused. */
		mkid(id, (k * 7) % 64, k);
		rc = ward_revoke(&S, id);
		EXPECT(rc == WARD_OK || rc == WARD_E_REVOKE_FULL);
		EXPECT(grown(&S_before, &S));
		if (rc == WARD_OK)
			EXPECT_EQ(ward_is_revoked(&S, id), 1);
	}
	/* Everything revoked early is still revoked. */
	for (k = 0; k < 64; k++) {
		mkid(id, (k * 7) % 64, k);
		EXPECT_EQ(ward_is_revoked(&S, id), 1);
	}
	EXPECT(revset_ok_rt(&S));
}

TEST(full_revocation_bucket_refused)
{
	uint8_t id[WARD_ID_BYTES];
	unsigned w;

	ward_revset_init(&S);
	for (w = 0; w < WARD_REVOKE_WAYS; w++) {
		mkid(id, 77, w);
		EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	}
	memcpy(&S_before, &S, sizeof S);
	/* Same home bucket (77 + 1024 reads 77): refused, nothing evicted. */
	mkid(id, 77 + WARD_BUCKETS, 0);
	EXPECT_EQ(ward_revoke(&S, id), WARD_E_REVOKE_FULL);
	EXPECT_EQ(ward_is_revoked(&S, id), 0);
	EXPECT(memcmp(&S_before, &S, sizeof S) == 0);
	for (w = 0; w < WARD_REVOKE_WAYS; w++) {
		mkid(id, 77, w);
		EXPECT_EQ(ward_is_revoked(&S, id), 1);
	}
	/* A revoked id of the full bucket is still accepted again. */
	mkid(id, 77, 0);
	EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	/* Other buckets still take revocations. */
	mkid(id, 78, 0);
	EXPECT_EQ(ward_revoke(&S, id), WARD_OK);
	EXPECT(revset_ok_rt(&S));
}

int
main(void)
{
	RUN(revoked_parent_id_found);
	RUN(revoking_twice_is_idempotent);
	RUN(revocation_set_never_shrinks);
	RUN(full_revocation_bucket_refused);
	T_EXIT();
}
