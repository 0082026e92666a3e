/*
 * test_audit.c -- the audit hash chain (core/audit.c).
 *
 * Every head is recomputed here with libsodium directly:
 *   head_n = BLAKE2b-256("ward.v1.auditlnk" || head_{n-1} || record_n),
 * head_0 = 32 zero bytes.  The tag is 16 bytes, no NUL.
 */
#include <stdint.h>
#include <sodium.h>

#include "t.h"
#include "audit.h"

static const uint8_t TAG[16] = {
	'w', 'a', 'r', 'd', '.', 'v', '1', '.',
	'a', 'u', 'd', 'i', 't', 'l', 'n', 'k'
};

static const uint8_t REC_A[] = "ALLOWED fs.read /work/a.txt";
static const uint8_t REC_B[] = "BLOCKED net.connect 10.0.0.1:443";
static const uint8_t REC_C[] = { 0x00, 0xff, 0x00 };

/* The expected next head, computed without the core. */
static void
expect_link(uint8_t *head, const uint8_t *rec, size_t len)
{
	crypto_generichash_state st;

	if (crypto_generichash_init(&st, NULL, 0, 32) != 0 ||
	    crypto_generichash_update(&st, TAG, sizeof TAG) != 0 ||
	    crypto_generichash_update(&st, head, 32) != 0 ||
	    crypto_generichash_update(&st, rec, len) != 0 ||
	    crypto_generichash_final(&st, head, 32) != 0) {
		printf("FAIL test_audit: libsodium\n");
		exit(2);
	}
}

TEST(init_gives_seq_0_and_zero_head)
{
	struct ward_audit a;
	static const uint8_t zero[32];

	memset(&a, 0xa5, sizeof a);
	ward_audit_init(&a);
	EXPECT_EQ(a.seq, 0);
	EXPECT(memcmp(a.head, zero, 32) == 0);
}

TEST(append_extends_by_one_link)
{
	struct ward_audit a;
	uint8_t want[32] = {0};
	uint64_t pos = 77;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	EXPECT_EQ(a.seq, 1);
	EXPECT_EQ(pos, 0);		/* the record's position: seq before */
	expect_link(want, REC_A, sizeof REC_A);
	EXPECT(memcmp(a.head, want, 32) == 0);
}

TEST(chain_of_three_reproduces)
{
	struct ward_audit a;
	uint8_t want[32] = {0};
	uint64_t pos;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	EXPECT_EQ(pos, 0);
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(pos, 1);
	EXPECT_EQ(ward_audit_append(&a, REC_C, sizeof REC_C, &pos), WARD_OK);
	EXPECT_EQ(pos, 2);
	EXPECT_EQ(a.seq, 3);
	expect_link(want, REC_A, sizeof REC_A);
	expect_link(want, REC_B, sizeof REC_B);
	expect_link(want, REC_C, sizeof REC_C);
	EXPECT(memcmp(a.head, want, 32) == 0);
}

TEST(reordered_records_give_another_head)
{
	struct ward_audit a, b;
	uint64_t pos;

	ward_audit_init(&a);
	ward_audit_init(&b);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&b, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&b, REC_A, sizeof REC_A, &pos), WARD_OK);
	EXPECT_EQ(a.seq, b.seq);
	EXPECT(memcmp(a.head, b.head, 32) != 0);
}

TEST(dropped_record_gives_another_head)
{
	struct ward_audit a, b;
	uint64_t pos;

	ward_audit_init(&a);
	ward_audit_init(&b);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&b, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT(memcmp(a.head, b.head, 32) != 0);
}

TEST(record_boundaries_are_not_length_prefixed)
{
	/* Re-framing the log (one record "ab" told as "a" then "b") changes
	 * the head, although the bytes hashed are the same: each record is
	 * its own link. */
	struct ward_audit a, b;
	uint64_t pos;

	ward_audit_init(&a);
	ward_audit_init(&b);
	EXPECT_EQ(ward_audit_append(&a, (const uint8_t *)"ab", 2, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&b, (const uint8_t *)"a", 1, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_append(&b, (const uint8_t *)"b", 1, &pos), WARD_OK);
	EXPECT(memcmp(a.head, b.head, 32) != 0);
}

TEST(empty_record_still_links)
{
	struct ward_audit a;
	uint8_t want[32] = {0};
	uint64_t pos;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, 0, &pos), WARD_OK);
	EXPECT_EQ(a.seq, 1);
	expect_link(want, REC_A, 0);
	EXPECT(memcmp(a.head, want, 32) == 0);
}

TEST(exhausted_sequence_leaves_state_unchanged)
{
	struct ward_audit a, before;
	uint64_t pos = 12345;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	a.seq = UINT64_MAX;
	before = a;
	pos = 12345;
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos),
		  WARD_E_EXHAUSTED);
	EXPECT(a.seq == UINT64_MAX);
	EXPECT(memcmp(a.head, before.head, 32) == 0);
	EXPECT_EQ(pos, 12345);
}

TEST(last_sequence_number_still_appends)
{
	struct ward_audit a;
	uint8_t want[32];
	uint64_t pos;

	ward_audit_init(&a);
	a.seq = UINT64_MAX - 1;
	memcpy(want, a.head, 32);
	EXPECT_EQ(ward_audit_append(&a, REC_C, sizeof REC_C, &pos), WARD_OK);
	EXPECT(pos == UINT64_MAX - 1);
	EXPECT(a.seq == UINT64_MAX);
	expect_link(want, REC_C, sizeof REC_C);
	EXPECT(memcmp(a.head, want, 32) == 0);
}

TEST(head_copies_the_head)
{
	struct ward_audit a;
	struct ward_digest d;
	uint64_t pos;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	d = ward_audit_head(&a);
	EXPECT(memcmp(d.b, a.head, 32) == 0);
}

TEST(linked_accepts_the_link_just_appended)
{
	struct ward_audit a;
	struct ward_digest prev;
	uint64_t pos;

	ward_audit_init(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_A, sizeof REC_A, &pos), WARD_OK);
	prev = ward_audit_head(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B), 1);
	EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, 0), 0);
}

TEST(linked_refuses_another_record_prev_or_head)
{
	struct ward_audit a;
	struct ward_digest prev;
	uint8_t rec[sizeof REC_B];
	uint64_t pos;
	size_t k;

	ward_audit_init(&a);
	prev = ward_audit_head(&a);
	EXPECT_EQ(ward_audit_append(&a, REC_B, sizeof REC_B, &pos), WARD_OK);
	EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B), 1);
	/* Every byte counts: of the record (and its length), of the head
	 * before, of the head after. */
	memcpy(rec, REC_B, sizeof rec);
	for (k = 0; k < sizeof rec; k++) {
		rec[k] ^= 0x01;
		EXPECT_EQ(ward_audit_linked(&a, prev, rec, sizeof rec), 0);
		rec[k] ^= 0x01;
	}
	EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B - 1), 0);
	for (k = 0; k < 32; k++) {
		prev.b[k] ^= 0x80;
		EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B), 0);
		prev.b[k] ^= 0x80;
		a.head[k] ^= 0x80;
		EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B), 0);
		a.head[k] ^= 0x80;
	}
	EXPECT_EQ(ward_audit_linked(&a, prev, REC_B, sizeof REC_B), 1);
	/* The head after the record is not linked to it a second time. */
	EXPECT_EQ(ward_audit_linked(&a, ward_audit_head(&a), REC_B,
				    sizeof REC_B), 0);
}

int
main(void)
{
	if (sodium_init() < 0) {
		printf("FAIL test_audit: sodium_init\n");
		return 2;
	}
	RUN(init_gives_seq_0_and_zero_head);
	RUN(append_extends_by_one_link);
	RUN(chain_of_three_reproduces);
	RUN(reordered_records_give_another_head);
	RUN(dropped_record_gives_another_head);
	RUN(record_boundaries_are_not_length_prefixed);
	RUN(empty_record_still_links);
	RUN(exhausted_sequence_leaves_state_unchanged);
	RUN(last_sequence_number_still_appends);
	RUN(head_copies_the_head);
	RUN(linked_accepts_the_link_just_appended);
	RUN(linked_refuses_another_record_prev_or_head);
	T_EXIT();
}
