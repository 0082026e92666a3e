/*
 * test_crypto_memo.c -- the block-signature memo of core/glue/crypto.c, which is
 * trusted glue outside the proof.  WP assumes the contract of
 * ward_block_sig_verify in crypto.h (a 0 result means ed25519_ok(id, pk));
 * a memo hit returns 0 without looking at the signature, so the contract
 * holds only if a pair enters the memo after a verification succeeded,
 * never before or on a failure.  These tests present a forged signature
 * and then the same body again, and must see it refused both times.  The
 * contract's other half (rejected: a -1 means libsodium refused these
 * very bytes) is checked against crypto_sign_verify_detached itself.
 *
 * Every test starts from an empty memo (ward_sig_memo_clear).
 */
#include <sodium.h>

#include "t.h"
#include "capfix.h"

static struct capfix f;	/* large (the revocation set): not on the stack */

static void
fresh(uint32_t n)
{
	ward_sig_memo_clear();
	capfix_init(&f);
	capfix_build(&f, n);
}

static int
verify(void)
{
	return ward_chain_verify(&f.ch, &f.trust, &f.rv, CAPFIX_NOW);
}

/* A body, its id and the issuer's valid signature over it. */
struct signed_id {
	uint8_t id[WARD_ID_BYTES];
	uint8_t good[WARD_SIG_BYTES];
	uint8_t bad[WARD_SIG_BYTES];
};

static void
make_signed_id(struct signed_id *s, const struct capfix_key *k, uint8_t fill)
{
	uint8_t body[64];

	memset(body, fill, sizeof body);
	if (ward_block_id(s->id, body, sizeof body) != 0 ||
	    ward_block_sign(s->good, s->id, k->sk) != 0)
		capfix_die("block id / sign");
	memcpy(s->bad, s->good, WARD_SIG_BYTES);
	s->bad[17] ^= 0x20;
}

/* ---- at the glue: ward_block_sig_verify ----------------------------------- */

TEST(memo_forged_signature_refused_again_on_same_body)
{
	struct signed_id s;

	fresh(1);
	make_signed_id(&s, &f.key[CAPFIX_OPERATOR], 0x41);
	/* The forgery first, on a cold memo: refused, and it must not be
	 * remembered, so the same (id, key) with the same forgery is refused
	 * the second time too. */
	EXPECT_EQ(ward_block_sig_verify(s.bad, s.id, f.key[CAPFIX_OPERATOR].pk), -1);
	EXPECT_EQ(ward_block_sig_verify(s.bad, s.id, f.key[CAPFIX_OPERATOR].pk), -1);
	/* An all-zero signature is no better the third time. */
	memset(s.bad, 0, sizeof s.bad);
	EXPECT_EQ(ward_block_sig_verify(s.bad, s.id, f.key[CAPFIX_OPERATOR].pk), -1);
	/* The issuer's real signature is still accepted afterwards: the
	 * refusals did not poison the slot either. */
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, f.key[CAPFIX_OPERATOR].pk), 0);
}

TEST(memo_forged_signature_under_other_key_not_remembered)
{
	/* A forgery claiming a stranger as issuer of a body the operator
	 * really signed: refused twice, and the operator's pair, verified in
	 * between, does not make the stranger's pair authentic. */
	struct signed_id s;

	fresh(1);
	make_signed_id(&s, &f.key[CAPFIX_OPERATOR], 0x42);
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, f.key[CAPFIX_STRANGER].pk), -1);
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, f.key[CAPFIX_OPERATOR].pk), 0);
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, f.key[CAPFIX_STRANGER].pk), -1);
}

TEST(memo_hit_needs_the_whole_id)
{
	/* Two ids that share the memo slot (the slot comes from the first
	 * bytes): a verified one does not vouch for the other. */
	struct signed_id s;
	uint8_t other[WARD_ID_BYTES];

	fresh(1);
	make_signed_id(&s, &f.key[CAPFIX_OPERATOR], 0x43);
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, f.key[CAPFIX_OPERATOR].pk), 0);
	memcpy(other, s.id, sizeof other);
	other[WARD_ID_BYTES - 1] ^= 0x01;
	EXPECT_EQ(ward_block_sig_verify(s.good, other, f.key[CAPFIX_OPERATOR].pk), -1);
	EXPECT_EQ(ward_block_sig_verify(s.bad, other, f.key[CAPFIX_OPERATOR].pk), -1);
}

/* libsodium's own answer on the exact bytes the glue is given: the
 * tagged message "ward.v1.blocksig" (16 bytes, no NUL) || id. */
static int
sodium_accepts(const uint8_t *sig, const uint8_t *id, const uint8_t *pk)
{
	uint8_t msg[16 + WARD_ID_BYTES];

	memcpy(msg, "ward.v1.blocksig", 16);
	memcpy(msg + 16, id, WARD_ID_BYTES);
	return crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0;
}

TEST(refusal_means_libsodium_refused_these_bytes)
{
	/* The contract's second half (rejected, crypto.h): -1 is returned
	 * only where libsodium refuses this very signature over this id under
	 * this key, which is what a SIGNATURE refusal names (link_sig_bad,
	 * chain.h).  On a cold memo the glue must agree with libsodium on the
	 * real signature and on every one-bit change of it. */
	struct signed_id s;
	uint8_t sig[WARD_SIG_BYTES];
	const uint8_t *pk = f.key[CAPFIX_OPERATOR].pk;
	unsigned bit, refused = 0;

	fresh(1);
	make_signed_id(&s, &f.key[CAPFIX_OPERATOR], 0x44);
	for (bit = 0; bit <= 8 * WARD_SIG_BYTES; bit++) {
		memcpy(sig, s.good, sizeof sig);
		if (bit < 8 * WARD_SIG_BYTES)	/* the last round: unchanged */
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ward_sig_memo_clear();
		int r = ward_block_sig_verify(sig, s.id, pk);
		EXPECT_EQ(r, sodium_accepts(sig, s.id, pk) ? 0 : -1);
		if (bit == 8 * WARD_SIG_BYTES)	/* the real signature */
			EXPECT_EQ(r, 0);
		refused += r == -1;
	}
	/* Not a vacuous agreement: the flips were refused, the original
	 * accepted. */
	EXPECT_EQ(refused, 8 * WARD_SIG_BYTES);
	/* The same agreement with the id or the key changed instead, one bit
	 * at a time (a changed key may not even be a point: libsodium
	 * refuses it, and so must the glue). */
	refused = 0;
	for (bit = 0; bit < 8 * WARD_ID_BYTES; bit++) {
		uint8_t id[WARD_ID_BYTES], k[WARD_KEY_BYTES];
		int r;

		memcpy(id, s.id, sizeof id);
		id[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ward_sig_memo_clear();
		r = ward_block_sig_verify(s.good, id, pk);
		EXPECT_EQ(r, sodium_accepts(s.good, id, pk) ? 0 : -1);
		refused += r == -1;
		memcpy(k, pk, sizeof k);
		k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ward_sig_memo_clear();
		r = ward_block_sig_verify(s.good, s.id, k);
		EXPECT_EQ(r, sodium_accepts(s.good, s.id, k) ? 0 : -1);
		refused += r == -1;
	}
	EXPECT_EQ(refused, 8 * WARD_ID_BYTES + 8 * WARD_KEY_BYTES);
	ward_sig_memo_clear();
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, pk), 0);
	/* A memo hit returns 0 without looking at the signature (crypto.h):
	 * the contract says nothing of a 0 beyond ed25519_ok, which the pair
	 * earned when it was remembered. */
	EXPECT_EQ(ward_block_sig_verify(s.good, s.id, pk), 0);
	EXPECT_EQ(ward_block_sig_verify(s.bad, s.id, pk), 0);
}

/* ---- through the verified chain check ------------------------------------- */

TEST(memo_chain_with_forged_leaf_refused_twice)
{
	/* The attack the memo must not allow: a broker sends a chain whose
	 * leaf signature is forged, is refused, and sends the same bytes
	 * again.  Then the issuer's real signature on the same body. */
	uint8_t real;

	fresh(3);
	real = f.ch.l[2].raw[capfix_sig_off(&f, 2) + 3];
	f.ch.l[2].raw[capfix_sig_off(&f, 2) + 3] ^= 0x10;
	EXPECT_EQ(verify(), WARD_E_SIGNATURE);
	EXPECT_EQ(verify(), WARD_E_SIGNATURE);
	f.ch.l[2].raw[capfix_sig_off(&f, 2) + 3] = real;
	EXPECT_EQ(verify(), WARD_OK);
}

TEST(memo_chain_with_forged_root_refused_twice)
{
	fresh(2);
	f.ch.l[0].raw[capfix_sig_off(&f, 0) + 40] ^= 0x01;
	EXPECT_EQ(verify(), WARD_E_SIGNATURE);
	EXPECT_EQ(verify(), WARD_E_SIGNATURE);
}

int
main(void)
{
	if (sodium_init() < 0) {
		printf("FAIL sodium_init\n");
		return 1;
	}
	RUN(memo_forged_signature_refused_again_on_same_body);
	RUN(memo_forged_signature_under_other_key_not_remembered);
	RUN(memo_hit_needs_the_whole_id);
	RUN(refusal_means_libsodium_refused_these_bytes);
	RUN(memo_chain_with_forged_leaf_refused_twice);
	RUN(memo_chain_with_forged_root_refused_twice);
	T_EXIT();
}
