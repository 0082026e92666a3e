/*
 * test_ledger.c -- use counts along the chain (property (c)): every
 * approval spends one use of every ancestor, all or none, and a crash may
 * waste reserved uses but never overspend.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "crypto.h"
#include "ledger.h"

/* The ledger is large: keep it (and its copies) out of the stack. */
static struct ward_ledger L, L_before;
static uint16_t fr;	/* ward_ledger_find's fresh, where a test does not look */

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
	id[31] = 0x5a;
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

/* ledger_ok, checked at run time. */
static int
ledger_ok_rt(const struct ward_ledger *l)
{
	size_t k, q;

	for (k = 0; k < WARD_LEDGER_N; k++) {
		const struct ward_ledger_entry *e = &l->e[k];
		unsigned home;

		if (e->live > 1 || e->dirty > 1)
			return 0;
		if (!e->live)
			continue;
		if (!(e->used <= e->reserved && e->reserved <= e->max))
			return 0;
		home = ward_bucket(e->id);
		if (k / WARD_LEDGER_WAYS != home)
			return 0;
		for (q = k + 1; q < WARD_LEDGER_N; q++)
			if (l->e[q].live && memcmp(l->e[q].id, e->id, WARD_ID_BYTES) == 0)
				return 0;
	}
	return 1;
}

/* Register a chain of n blocks root first, with the given maxima. */
static int
register_chain(uint16_t *slot, uint8_t ids[][WARD_ID_BYTES],
	       const uint32_t *max, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int rc = ward_ledger_find(&L, ids[i], max[i], &slot[i], &fr);
		if (rc != WARD_OK)
			return rc;
	}
	return WARD_OK;
}

TEST(consume_spends_every_ancestor)
{
	uint8_t ids[3][WARD_ID_BYTES];
	uint32_t max[3] = { 10, 5, 3 };
	uint16_t slot[3];

	ward_ledger_init(&L);
	mkid(ids[0], 1, 1);
	mkid(ids[1], 2, 2);
	mkid(ids[2], 3, 3);
	EXPECT_EQ(register_chain(slot, ids, max, 3), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, slot, 3), WARD_OK);
	EXPECT_EQ(L.e[slot[0]].used, 1);
	EXPECT_EQ(L.e[slot[1]].used, 1);
	EXPECT_EQ(L.e[slot[2]].used, 1);
	EXPECT(ledger_ok_rt(&L));
}

TEST(ten_delegated_children_share_root_budget)
{
	uint8_t root[WARD_ID_BYTES], child[WARD_ID_BYTES];
	uint16_t slot[2];
	uint32_t granted = 0, c, k;

	ward_ledger_init(&L);
	mkid(root, 7, 0);
	/* Root allows 5 uses; each of ten children claims 5 too. */
	for (c = 0; c < 10; c++) {
		mkid(child, 100 + c, c);
		EXPECT_EQ(ward_ledger_find(&L, root, 5, &slot[0], &fr), WARD_OK);
		EXPECT_EQ(ward_ledger_find(&L, child, 5, &slot[1], &fr), WARD_OK);
		for (k = 0; k < 5; k++)
			if (ward_ledger_consume(&L, slot, 2) == WARD_OK)
				granted++;
	}
	EXPECT_EQ(granted, 5);
	EXPECT_EQ(L.e[slot[0]].used, 5);
	EXPECT(ledger_ok_rt(&L));
}

TEST(exhausted_refusal_leaves_ledger_unchanged)
{
	uint8_t ids[3][WARD_ID_BYTES];
	uint32_t max[3] = { 10, 1, 10 };
	uint16_t slot[3];

	ward_ledger_init(&L);
	mkid(ids[0], 11, 0);
	mkid(ids[1], 12, 0);
	mkid(ids[2], 13, 0);
	EXPECT_EQ(register_chain(slot, ids, max, 3), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, slot, 3), WARD_OK);
	/* The middle block is spent: the next approval must change nothing,
	 * not even the root's count or a watermark. */
	memcpy(&L_before, &L, sizeof L);
	EXPECT_EQ(ward_ledger_consume(&L, slot, 3), WARD_E_USES_EXHAUSTED);
	EXPECT(memcmp(&L_before, &L, sizeof L) == 0);
	/* Also when the exhausted entry is listed last. */
	{
		uint16_t s2[2] = { slot[2], slot[1] };

		memcpy(&L_before, &L, sizeof L);
		EXPECT_EQ(ward_ledger_consume(&L, s2, 2), WARD_E_USES_EXHAUSTED);
		EXPECT(memcmp(&L_before, &L, sizeof L) == 0);
	}
	EXPECT(ledger_ok_rt(&L));
}

TEST(zero_use_block_never_granted)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot;

	ward_ledger_init(&L);
	mkid(id, 14, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 0, &slot, &fr), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_E_USES_EXHAUSTED);
	EXPECT_EQ(L.e[slot].used, 0);
}

TEST(reservation_watermark_raised_and_dirty_set)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot;
	uint32_t k;

	ward_ledger_init(&L);
	mkid(id, 20, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 1000, &slot, &fr), WARD_OK);
	EXPECT_EQ(L.e[slot].reserved, 0);
	EXPECT_EQ(L.e[slot].dirty, 0);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT_EQ(L.e[slot].reserved, WARD_RESERVE_STEP);
	EXPECT_EQ(L.e[slot].dirty, 1);
	ward_ledger_clean(&L, slot);
	EXPECT_EQ(L.e[slot].dirty, 0);
	/* Inside the reservation: no new watermark to persist. */
	for (k = 1; k < WARD_RESERVE_STEP; k++)
		EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT_EQ(L.e[slot].used, WARD_RESERVE_STEP);
	EXPECT_EQ(L.e[slot].dirty, 0);
	/* The next use crosses it. */
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT_EQ(L.e[slot].reserved, 2 * WARD_RESERVE_STEP);
	EXPECT_EQ(L.e[slot].dirty, 1);
	EXPECT(ledger_ok_rt(&L));
}

TEST(reservation_never_above_max)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot;

	ward_ledger_init(&L);
	mkid(id, 21, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 3, &slot, &fr), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT_EQ(L.e[slot].reserved, 3);
	EXPECT(ledger_ok_rt(&L));
}

TEST(restore_after_crash_never_overspends)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot;
	uint32_t persisted, spent = 0, max = 150;

	ward_ledger_init(&L);
	mkid(id, 30, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, max, &slot, &fr), WARD_OK);
	/* Spend 70 uses, persisting the watermark whenever it is dirty. */
	persisted = 0;
	while (spent < 70) {
		EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
		spent++;
		if (L.e[slot].dirty) {
			persisted = L.e[slot].reserved;
			ward_ledger_clean(&L, slot);
		}
	}
	EXPECT(persisted >= spent);
	/* Crash: memory is gone, only the persisted watermark survives. */
	ward_ledger_init(&L);
	EXPECT_EQ(ward_ledger_restore(&L, id, max, persisted), WARD_OK);
	EXPECT_EQ(ward_ledger_find(&L, id, max, &slot, &fr), WARD_OK);
	EXPECT_EQ(L.e[slot].used, persisted);
	while (ward_ledger_consume(&L, &slot, 1) == WARD_OK)
		spent++;
	EXPECT(spent <= max);
	EXPECT_EQ(L.e[slot].used, max);
	/* A watermark above max restores to max, never beyond. */
	ward_ledger_init(&L);
	EXPECT_EQ(ward_ledger_restore(&L, id, max, 4000000000u), WARD_OK);
	EXPECT_EQ(ward_ledger_find(&L, id, max, &slot, &fr), WARD_OK);
	EXPECT_EQ(L.e[slot].used, max);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_E_USES_EXHAUSTED);
	EXPECT(ledger_ok_rt(&L));
}

TEST(restore_never_lowers_used)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot;
	uint32_t k;

	ward_ledger_init(&L);
	mkid(id, 31, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 100, &slot, &fr), WARD_OK);
	for (k = 0; k < 10; k++)
		EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT_EQ(ward_ledger_restore(&L, id, 100, 3), WARD_OK);
	EXPECT_EQ(L.e[slot].used, 10);
	EXPECT(ledger_ok_rt(&L));
}

TEST(full_bucket_refused_nothing_evicted)
{
	uint8_t id[WARD_ID_BYTES], first[WARD_LEDGER_WAYS][WARD_ID_BYTES];
	uint16_t slot[WARD_LEDGER_WAYS], extra;
	uint32_t w, b = 40;
	unsigned tag = 0;

	ward_ledger_init(&L);
	for (w = 0; w < WARD_LEDGER_WAYS; w++) {
		id_in_bucket(first[w], b, 40, &tag);
		EXPECT_EQ(ward_ledger_find(&L, first[w], 9, &slot[w], &fr), WARD_OK);
		EXPECT_EQ(ward_ledger_consume(&L, &slot[w], 1), WARD_OK);
	}
	memcpy(&L_before, &L, sizeof L);
	id_in_bucket(id, b, 40, &tag);
	EXPECT_EQ(ward_ledger_find(&L, id, 9, &extra, &fr), WARD_E_LEDGER_FULL);
	EXPECT_EQ(ward_ledger_restore(&L, id, 9, 0), WARD_E_LEDGER_FULL);
	EXPECT(memcmp(&L_before, &L, sizeof L) == 0);
	/* Another id of the same bucket: also refused. */
	id_in_bucket(id, b, 41, &tag);
	EXPECT_EQ(ward_ledger_find(&L, id, 9, &extra, &fr), WARD_E_LEDGER_FULL);
	/* Every old entry is still found with its count. */
	for (w = 0; w < WARD_LEDGER_WAYS; w++) {
		EXPECT_EQ(ward_ledger_find(&L, first[w], 9, &extra, &fr), WARD_OK);
		EXPECT_EQ(extra, slot[w]);
		EXPECT_EQ(L.e[extra].used, 1);
	}
	/* Another bucket is unaffected. */
	id_in_bucket(id, b + 1, 40, &tag);
	EXPECT_EQ(ward_ledger_find(&L, id, 9, &extra, &fr), WARD_OK);
	EXPECT(ledger_ok_rt(&L));
}

/*
 * The attack of ward issue 15: a broker holding one delegable grant issues
 * children whose ids (hashes of bodies it writes) it grinds to share the
 * first two bytes of another session's grant, the bucket under the old
 * home(), and gets each one counted, so that the grant's first use is
 * refused with ledger_full.  With the keyed bucket the ground ids scatter,
 * and the grant is counted.
 */
TEST(ground_ids_cannot_fill_a_bucket)
{
	uint8_t victim[WARD_ID_BYTES], id[WARD_ID_BYTES];
	uint8_t seen[WARD_BUCKETS];
	uint16_t slot;
	unsigned k, spread = 0;

	ward_ledger_init(&L);
	memset(seen, 0, sizeof seen);
	mkid(victim, 0x1234, 0xfffff);
	for (k = 0; k < 4 * WARD_LEDGER_WAYS; k++) {
		mkid(id, 0x1234, k);	/* same first two bytes as victim */
		if (!seen[ward_bucket(id)]++)
			spread++;
		EXPECT_EQ(ward_ledger_find(&L, id, 1, &slot, &fr), WARD_OK);
	}
	/* Fewer than 16 buckets for the 32 ids, or 8 of them in the
	 * grant's bucket, would happen by chance with odds below 2^-50. */
	EXPECT(spread >= 16);
	EXPECT_EQ(ward_ledger_find(&L, victim, 5, &slot, &fr), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	EXPECT(ledger_ok_rt(&L));
}

TEST(same_id_other_max_refused)
{
	uint8_t id[WARD_ID_BYTES];
	uint16_t slot, other;

	ward_ledger_init(&L);
	mkid(id, 50, 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 5, &slot, &fr), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &slot, 1), WARD_OK);
	memcpy(&L_before, &L, sizeof L);
	EXPECT_EQ(ward_ledger_find(&L, id, 500, &other, &fr), WARD_E_MALFORMED);
	EXPECT_EQ(ward_ledger_restore(&L, id, 500, 0), WARD_E_MALFORMED);
	EXPECT(memcmp(&L_before, &L, sizeof L) == 0);
	EXPECT_EQ(ward_ledger_find(&L, id, 5, &other, &fr), WARD_OK);
	EXPECT_EQ(other, slot);
}

/* ward_ledger_find says which entries it registered (fresh 1) and which
 * it found (fresh 0), and ward_ledger_unregister takes back one that still
 * holds nothing: a full bucket gets that way back, and every other entry,
 * among them one with a use spent, stays as it was. */
TEST(find_says_fresh_and_unregister_takes_it_back)
{
	uint8_t id[WARD_LEDGER_WAYS + 1][WARD_ID_BYTES];
	uint16_t slot[WARD_LEDGER_WAYS + 1], spent, again;
	unsigned tag = 0;
	uint32_t i, b;

	ward_ledger_init(&L);
	mkid(id[0], 8, 0);	/* v differs: never one of the ids below */
	b = ward_bucket(id[0]);
	for (i = 1; i <= WARD_LEDGER_WAYS; i++)
		id_in_bucket(id[i], b, 7, &tag);
	for (i = 0; i < WARD_LEDGER_WAYS; i++) {
		fr = 7;
		EXPECT_EQ(ward_ledger_find(&L, id[i], 3, &slot[i], &fr), WARD_OK);
		EXPECT_EQ(fr, 1);
	}
	fr = 7;
	EXPECT_EQ(ward_ledger_find(&L, id[WARD_LEDGER_WAYS], 3,
				   &slot[WARD_LEDGER_WAYS], &fr),
		  WARD_E_LEDGER_FULL);
	EXPECT_EQ(fr, 0);
	/* Found, not registered: fresh 0, the same slot. */
	fr = 7;
	EXPECT_EQ(ward_ledger_find(&L, id[0], 3, &spent, &fr), WARD_OK);
	EXPECT_EQ(fr, 0);
	EXPECT_EQ(spent, slot[0]);
	fr = 7;
	EXPECT_EQ(ward_ledger_find(&L, id[0], 4, &again, &fr), WARD_E_MALFORMED);
	EXPECT_EQ(fr, 0);
	/* id[0] spent once and persisted; id[1] taken back. */
	EXPECT_EQ(ward_ledger_consume(&L, &spent, 1), WARD_OK);
	ward_ledger_clean(&L, spent);
	memcpy(&L_before, &L, sizeof L);
	ward_ledger_unregister(&L, slot[1]);
	EXPECT(ledger_ok_rt(&L));
	EXPECT(L.e[slot[1]].live == 0);
	for (i = 0; i < WARD_LEDGER_N; i++)
		if (i != slot[1])
			EXPECT(memcmp(&L.e[i], &L_before.e[i], sizeof L.e[i]) == 0);
	/* The bucket has that way again, for a new id. */
	fr = 7;
	EXPECT_EQ(ward_ledger_find(&L, id[WARD_LEDGER_WAYS], 3, &again, &fr),
		  WARD_OK);
	EXPECT_EQ(fr, 1);
	EXPECT_EQ(again, slot[1]);
	/* The spent use is still counted: two more, then exhausted. */
	EXPECT_EQ(ward_ledger_consume(&L, &spent, 1), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &spent, 1), WARD_OK);
	EXPECT_EQ(ward_ledger_consume(&L, &spent, 1), WARD_E_USES_EXHAUSTED);
}

int
main(void)
{
	if (ward_bucket_key_init() != 0) {
		printf("FAIL test_ledger: cannot draw the bucket key\n");
		return 1;
	}
	RUN(consume_spends_every_ancestor);
	RUN(find_says_fresh_and_unregister_takes_it_back);
	RUN(ten_delegated_children_share_root_budget);
	RUN(exhausted_refusal_leaves_ledger_unchanged);
	RUN(zero_use_block_never_granted);
	RUN(reservation_watermark_raised_and_dirty_set);
	RUN(reservation_never_above_max);
	RUN(restore_after_crash_never_overspends);
	RUN(restore_never_lowers_used);
	RUN(full_bucket_refused_nothing_evicted);
	RUN(ground_ids_cannot_fill_a_bucket);
	RUN(same_id_other_max_refused);
	T_EXIT();
}
