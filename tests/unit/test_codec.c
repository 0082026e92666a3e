/*
 * test_codec.c -- the canonical block encoding (core/codec.c).
 *
 * The decoder is the first code that sees bytes from the untrusted broker,
 * so most tests here are attacks: a block with bytes after it, a flag
 * that is neither 0 nor 1, a scope length that lies, a byte flipped
 * anywhere.  Each must be refused with its own reason, or decode to a
 * block that differs from the original (the encoding is injective).
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "codec.h"

/* The block of the test vector; every field has a distinct value. */
static void
vector_block(struct ward_block *b)
{
	size_t i;

	memset(b, 0, sizeof *b);
	b->version = 1;
	b->kind = WARD_KIND_FS;
	b->r_invoke = 0;
	b->r_read = 1;
	b->r_write = 1;
	b->r_delegate = 0;
	b->depth = 3;
	for (i = 0; i < WARD_ID_BYTES; i++)
		b->parent[i] = (uint8_t)i;
	for (i = 0; i < WARD_KEY_BYTES; i++)
		b->issuer[i] = (uint8_t)(0x20 + i);
	for (i = 0; i < WARD_KEY_BYTES; i++)
		b->holder[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < WARD_CTX_BYTES; i++)
		b->context[i] = (uint8_t)(0x60 + i);
	b->not_before = 0x0102030405060708ull;
	b->not_after = 0x1112131415161718ull;
	b->max_uses = 0xa1b2c3d4u;
	b->scope_len = 9;
	memcpy(b->scope, "fs:/tmp/x", 9);
	for (i = 0; i < WARD_SIG_BYTES; i++)
		b->sig[i] = (uint8_t)(0x80 + i);
}

/* Its wire form, field by field (see the layout in codec.h). */
#define VECTOR_LEN 214u
static const char VECTOR_HEX[] =
	"01"		/* 0   version */
	"02"		/* 1   kind: fs */
	"00"		/* 2   r_invoke */
	"01"		/* 3   r_read */
	"01"		/* 4   r_write */
	"00"		/* 5   r_delegate */
	"03"		/* 6   depth */
	"000102030405060708090a0b0c0d0e0f"	/* 7   parent */
	"101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f"	/* 39  issuer */
	"303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f"	/* 71  holder */
	"505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f"	/* 103 context */
	"0102030405060708"	/* 119 not_before */
	"1112131415161718"	/* 127 not_after */
	"a1b2c3d4"	/* 135 max_uses */
	"0009"		/* 139 scope_len */
	"66733a2f746d702f78"	/* 141 scope "fs:/tmp/x" */
	"808182838485868788898a8b8c8d8e8f"	/* 150 signature */
	"909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	"b0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

/* Field-by-field equality: struct padding and the unused scope tail are
 * not part of a block. */
static int
same_block(const struct ward_block *a, const struct ward_block *b)
{
	return a->version == b->version && a->kind == b->kind &&
	    a->r_invoke == b->r_invoke && a->r_read == b->r_read &&
	    a->r_write == b->r_write && a->r_delegate == b->r_delegate &&
	    a->depth == b->depth &&
	    memcmp(a->parent, b->parent, sizeof a->parent) == 0 &&
	    memcmp(a->issuer, b->issuer, sizeof a->issuer) == 0 &&
	    memcmp(a->holder, b->holder, sizeof a->holder) == 0 &&
	    memcmp(a->context, b->context, sizeof a->context) == 0 &&
	    a->not_before == b->not_before && a->not_after == b->not_after &&
	    a->max_uses == b->max_uses && a->scope_len == b->scope_len &&
	    memcmp(a->scope, b->scope, a->scope_len) == 0 &&
	    memcmp(a->sig, b->sig, sizeof a->sig) == 0;
}

/* The encoding of the vector block, in a buffer with room to spare. */
static size_t
vector_wire(uint8_t *buf)
{
	t_hex(buf, VECTOR_LEN, VECTOR_HEX);
	return VECTOR_LEN;
}

/* Decode buf[0..len-1] and return the reason. */
static int
decode(const uint8_t *buf, size_t len)
{
	struct ward_block b;

	return ward_block_decode(&b, buf, len);
}

TEST(fixed_test_vector_encodes)
{
	struct ward_block b;
	uint8_t want[WARD_BLOCK_MAX], got[WARD_BLOCK_MAX];
	size_t n = 0;

	vector_block(&b);
	vector_wire(want);
	EXPECT_EQ(ward_block_encode(got, sizeof got, &b, &n), WARD_OK);
	EXPECT_EQ(n, VECTOR_LEN);
	EXPECT(memcmp(got, want, VECTOR_LEN) == 0);
}

TEST(fixed_test_vector_decodes)
{
	struct ward_block want, got;
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;

	vector_block(&want);
	n = vector_wire(buf);
	memset(&got, 0xee, sizeof got);
	EXPECT_EQ(ward_block_decode(&got, buf, n), WARD_OK);
	EXPECT(same_block(&got, &want));
}

TEST(round_trip_preserves_every_field)
{
	struct ward_block b, d;
	uint8_t buf[WARD_BLOCK_MAX], again[WARD_BLOCK_MAX];
	size_t n = 0, m = 0;
	uint16_t len;

	/* Extremes of every field, and every scope length. */
	for (len = 1; len <= WARD_SCOPE_MAX; len++) {
		vector_block(&b);
		b.kind = (uint8_t)(1 + len % WARD_KIND_LAST);
		b.r_invoke = (uint8_t)(len & 1);
		b.r_delegate = (uint8_t)((len >> 1) & 1);
		b.depth = (uint8_t)(len % WARD_CHAIN_MAX);
		b.not_before = len % 2 ? 0 : UINT64_MAX;
		b.not_after = UINT64_MAX;
		b.max_uses = len % 3 ? UINT32_MAX : 0;
		b.scope_len = len;
		memset(b.scope, 0x21 + len % (0x7e - 0x21 + 1), len);
		b.scope[0] = 0x21;
		b.scope[len - 1] = 0x7e;
		EXPECT_EQ(ward_block_encode(buf, sizeof buf, &b, &n), WARD_OK);
		EXPECT_EQ(n, WARD_BLOCK_HDR + len + WARD_SIG_BYTES);
		EXPECT_EQ(ward_block_decode(&d, buf, n), WARD_OK);
		EXPECT(same_block(&b, &d));
		EXPECT_EQ(ward_block_encode(again, sizeof again, &d, &m), WARD_OK);
		EXPECT_EQ(m, n);
		EXPECT(memcmp(buf, again, n) == 0);
	}
}

TEST(refuses_trailing_bytes)
{
	uint8_t buf[WARD_BLOCK_MAX + 8];
	size_t n, extra;

	n = vector_wire(buf);
	memset(buf + n, 0, sizeof buf - n);
	for (extra = 1; extra <= 8; extra++)
		EXPECT_EQ(decode(buf, n + extra), WARD_E_TRAILING);
	EXPECT_EQ(decode(buf, n), WARD_OK);
}

TEST(refuses_truncated_input)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n, len;

	n = vector_wire(buf);
	for (len = 0; len < WARD_BLOCK_HDR + WARD_SIG_BYTES; len++)
		EXPECT_EQ(decode(buf, len), WARD_E_MALFORMED);
	for (; len < n; len++)
		EXPECT_EQ(decode(buf, len), WARD_E_MALFORMED);
}

TEST(refuses_scope_length_that_lies)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;

	/* The header announces one scope byte fewer than there are. */
	n = vector_wire(buf);
	buf[WARD_OFF_SCOPE_LEN + 1] = 8;
	EXPECT_EQ(decode(buf, n), WARD_E_TRAILING);
	/* ... and one more. */
	buf[WARD_OFF_SCOPE_LEN + 1] = 10;
	EXPECT_EQ(decode(buf, n), WARD_E_MALFORMED);
}

TEST(refuses_unknown_version)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;
	unsigned v;

	n = vector_wire(buf);
	for (v = 0; v <= 255; v++) {
		buf[WARD_OFF_VERSION] = (uint8_t)v;
		EXPECT_EQ(decode(buf, n), v == WARD_VERSION ? WARD_OK : WARD_E_VERSION);
	}
}

TEST(refuses_unknown_kind)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;
	unsigned v;

	n = vector_wire(buf);
	for (v = 0; v <= 255; v++) {
		buf[WARD_OFF_KIND] = (uint8_t)v;
		EXPECT_EQ(decode(buf, n),
			  v >= 1 && v <= WARD_KIND_LAST ? WARD_OK : WARD_E_KIND);
	}
}

TEST(refuses_right_flag_not_0_or_1)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n, off;
	unsigned v;

	n = vector_wire(buf);
	for (off = WARD_OFF_INVOKE; off <= WARD_OFF_DELEGATE; off++) {
		uint8_t keep = buf[off];

		for (v = 0; v <= 255; v++) {
			buf[off] = (uint8_t)v;
			EXPECT_EQ(decode(buf, n), v <= 1 ? WARD_OK : WARD_E_FLAGS);
		}
		buf[off] = keep;
	}
}

TEST(refuses_depth_too_big)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;
	unsigned v;

	n = vector_wire(buf);
	for (v = 0; v <= 255; v++) {
		buf[WARD_OFF_DEPTH] = (uint8_t)v;
		EXPECT_EQ(decode(buf, n),
			  v < WARD_CHAIN_MAX ? WARD_OK : WARD_E_NONCANONICAL);
	}
}

TEST(refuses_window_not_before_after_not_after)
{
	struct ward_block b;
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;

	vector_block(&b);
	b.not_before = 1000;
	b.not_after = 1000;	/* an instant is a valid window */
	EXPECT_EQ(ward_block_encode(buf, sizeof buf, &b, &n), WARD_OK);
	EXPECT_EQ(decode(buf, n), WARD_OK);
	/* not_before = 1001 > not_after, in the low byte of the be64 */
	buf[WARD_OFF_NOT_BEFORE + 7]++;
	EXPECT_EQ(decode(buf, n), WARD_E_NONCANONICAL);
	/* and in the high byte */
	buf[WARD_OFF_NOT_BEFORE + 7]--;
	buf[WARD_OFF_NOT_BEFORE] = 0x80;
	EXPECT_EQ(decode(buf, n), WARD_E_NONCANONICAL);
}

TEST(refuses_zero_length_scope)
{
	uint8_t buf[WARD_BLOCK_MAX];

	/* Header and signature only: scope_len 0, length consistent. */
	vector_wire(buf);
	buf[WARD_OFF_SCOPE_LEN] = 0;
	buf[WARD_OFF_SCOPE_LEN + 1] = 0;
	EXPECT_EQ(decode(buf, WARD_BLOCK_HDR + WARD_SIG_BYTES),
		  WARD_E_NONCANONICAL);
}

TEST(refuses_oversize_scope)
{
	struct ward_block b;
	uint8_t buf[WARD_BLOCK_MAX + 1];
	size_t n;

	vector_block(&b);
	b.scope_len = WARD_SCOPE_MAX;
	memset(b.scope, 'a', WARD_SCOPE_MAX);
	EXPECT_EQ(ward_block_encode(buf, sizeof buf, &b, &n), WARD_OK);
	EXPECT_EQ(n, WARD_BLOCK_MAX);
	EXPECT_EQ(decode(buf, n), WARD_OK);
	/* One byte more, with a length field that says so. */
	memmove(buf + WARD_OFF_SCOPE + WARD_SCOPE_MAX + 1,
		buf + WARD_OFF_SCOPE + WARD_SCOPE_MAX, WARD_SIG_BYTES);
	buf[WARD_OFF_SCOPE + WARD_SCOPE_MAX] = 'a';
	buf[WARD_OFF_SCOPE_LEN] = (WARD_SCOPE_MAX + 1) / 256;
	buf[WARD_OFF_SCOPE_LEN + 1] = (WARD_SCOPE_MAX + 1) % 256;
	EXPECT_EQ(decode(buf, n + 1), WARD_E_OVERSIZE);
	/* A huge length field, whatever the input length. */
	buf[WARD_OFF_SCOPE_LEN] = 0xff;
	buf[WARD_OFF_SCOPE_LEN + 1] = 0xff;
	EXPECT_EQ(decode(buf, n + 1), WARD_E_OVERSIZE);
	EXPECT_EQ(decode(buf, WARD_BLOCK_HDR + WARD_SIG_BYTES), WARD_E_OVERSIZE);
}

TEST(refuses_scope_byte_outside_printable_ascii)
{
	static const uint8_t bad[] = { 0x00, 0x09, 0x0a, 0x20, 0x7f, 0x80, 0xff };
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n, pos, i;

	n = vector_wire(buf);
	for (pos = 0; pos < 9; pos++) {
		uint8_t keep = buf[WARD_OFF_SCOPE + pos];

		for (i = 0; i < sizeof bad; i++) {
			buf[WARD_OFF_SCOPE + pos] = bad[i];
			EXPECT_EQ(decode(buf, n), WARD_E_NONCANONICAL);
		}
		buf[WARD_OFF_SCOPE + pos] = 0x21;
		EXPECT_EQ(decode(buf, n), WARD_OK);
		buf[WARD_OFF_SCOPE + pos] = 0x7e;
		EXPECT_EQ(decode(buf, n), WARD_OK);
		buf[WARD_OFF_SCOPE + pos] = keep;
	}
}

TEST(accepts_any_signature_bytes)
{
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;

	/* The codec only frames the signature; chain.c verifies it. */
	n = vector_wire(buf);
	memset(buf + n - WARD_SIG_BYTES, 0, WARD_SIG_BYTES);
	EXPECT_EQ(decode(buf, n), WARD_OK);
	memset(buf + n - WARD_SIG_BYTES, 0xff, WARD_SIG_BYTES);
	EXPECT_EQ(decode(buf, n), WARD_OK);
}

/*
 * The injectivity sweep: change every byte of a valid encoding to every
 * other value.  The result is refused, or it decodes to a block that
 * differs from the original and whose encoding is exactly the changed
 * bytes (one block, one encoding).
 */
TEST(every_single_byte_change_is_refused_or_another_block)
{
	struct ward_block orig, d;
	uint8_t buf[WARD_BLOCK_MAX], again[WARD_BLOCK_MAX];
	size_t n, m, pos;
	unsigned v, accepted = 0, refused = 0;

	n = vector_wire(buf);
	EXPECT_EQ(ward_block_decode(&orig, buf, n), WARD_OK);
	for (pos = 0; pos < n; pos++) {
		uint8_t keep = buf[pos];

		for (v = 0; v <= 255; v++) {
			if (v == keep)
				continue;
			buf[pos] = (uint8_t)v;
			if (ward_block_decode(&d, buf, n) != WARD_OK) {
				refused++;
				continue;
			}
			accepted++;
			EXPECT(!same_block(&d, &orig));
			EXPECT_EQ(ward_block_encode(again, sizeof again, &d, &m), WARD_OK);
			EXPECT_EQ(m, n);
			EXPECT(memcmp(again, buf, n) == 0);
		}
		buf[pos] = keep;
	}
	EXPECT(accepted > 0);
	EXPECT(refused > 0);
}

TEST(null_and_zero_length_input_refused)
{
	struct ward_block b, before;

	memset(&b, 0x5a, sizeof b);
	before = b;
	EXPECT_EQ(ward_block_decode(&b, NULL, 0), WARD_E_MALFORMED);
	EXPECT(memcmp(&b, &before, sizeof b) == 0);
}

TEST(refusal_leaves_output_untouched)
{
	struct ward_block b, before;
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n;

	n = vector_wire(buf);
	buf[n - WARD_SIG_BYTES - 1] = 0x7f;	/* last scope byte */
	memset(&b, 0xa5, sizeof b);
	before = b;
	EXPECT_EQ(ward_block_decode(&b, buf, n), WARD_E_NONCANONICAL);
	EXPECT(memcmp(&b, &before, sizeof b) == 0);
}

TEST(encode_refuses_small_buffer_without_writing)
{
	struct ward_block b;
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n = 12345;

	vector_block(&b);
	memset(buf, 0xcc, sizeof buf);
	EXPECT_EQ(ward_block_encode(buf, VECTOR_LEN - 1, &b, &n), WARD_E_OVERSIZE);
	EXPECT_EQ(n, 12345);
	EXPECT(buf[0] == 0xcc && buf[VECTOR_LEN - 2] == 0xcc);
	EXPECT_EQ(ward_block_encode(NULL, 0, &b, &n), WARD_E_OVERSIZE);
	EXPECT_EQ(n, 12345);
	EXPECT_EQ(ward_block_encode(buf, VECTOR_LEN, &b, &n), WARD_OK);
	EXPECT_EQ(n, VECTOR_LEN);
}

TEST(encode_writes_nothing_past_the_encoding)
{
	struct ward_block b;
	uint8_t buf[WARD_BLOCK_MAX];
	size_t n, i;

	vector_block(&b);
	memset(buf, 0xcc, sizeof buf);
	EXPECT_EQ(ward_block_encode(buf, sizeof buf, &b, &n), WARD_OK);
	for (i = n; i < sizeof buf; i++)
		EXPECT(buf[i] == 0xcc);
}

TEST(big_endian_helpers_match_layout)
{
	uint8_t p[8];

	ward_put_be16(p, 0x1234);
	EXPECT(p[0] == 0x12 && p[1] == 0x34);
	EXPECT_EQ(ward_get_be16(p), 0x1234);
	ward_put_be32(p, 0xa1b2c3d4u);
	EXPECT(p[0] == 0xa1 && p[1] == 0xb2 && p[2] == 0xc3 && p[3] == 0xd4);
	EXPECT_EQ(ward_get_be32(p), 0xa1b2c3d4u);
	ward_put_be64(p, 0x0102030405060708ull);
	EXPECT(p[0] == 0x01 && p[3] == 0x04 && p[7] == 0x08);
	EXPECT(ward_get_be64(p) == 0x0102030405060708ull);
	ward_put_be64(p, UINT64_MAX);
	EXPECT(ward_get_be64(p) == UINT64_MAX);
	ward_put_be16(p, 0);
	EXPECT_EQ(ward_get_be16(p), 0);
}

int
main(void)
{
	RUN(fixed_test_vector_encodes);
	RUN(fixed_test_vector_decodes);
	RUN(round_trip_preserves_every_field);
	RUN(refuses_trailing_bytes);
	RUN(refuses_truncated_input);
	RUN(refuses_scope_length_that_lies);
	RUN(refuses_unknown_version);
	RUN(refuses_unknown_kind);
	RUN(refuses_right_flag_not_0_or_1);
	RUN(refuses_depth_too_big);
	RUN(refuses_window_not_before_after_not_after);
	RUN(refuses_zero_length_scope);
	RUN(refuses_oversize_scope);
	RUN(refuses_scope_byte_outside_printable_ascii);
	RUN(accepts_any_signature_bytes);
	RUN(every_single_byte_change_is_refused_or_another_block);
	RUN(null_and_zero_length_input_refused);
	RUN(refusal_leaves_output_untouched);
	RUN(encode_refuses_small_buffer_without_writing);
	RUN(encode_writes_nothing_past_the_encoding);
	RUN(big_endian_helpers_match_layout);
	T_EXIT();
}
