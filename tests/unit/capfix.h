/*
 * capfix.h -- capability fixtures shared by the unit tests and benchmarks.
 *
 * Everything here plays the issuing side, which the core never does: it
 * makes deterministic Ed25519 keys, builds blocks, encodes them with the
 * core's own encoder, computes their ids and signs them.  The verifier under
 * test only ever sees the wire bytes (link raw/raw_len).
 *
 * Keys: key i comes from the seed made of the byte i repeated 32 times
 * (crypto_sign_seed_keypair), so every key, id and signature is the same on
 * every run.  Key CAPFIX_OPERATOR is the trusted authority.  Block i of a
 * chain is issued by key CAPFIX_OPERATOR + i and held by key
 * CAPFIX_OPERATOR + i + 1, so each child's issuer is its parent's holder.
 *
 * The default chain built by capfix_build (depth 1 .. WARD_CHAIN_MAX):
 *   kind fs, scope "/work" on every block, every right on every block but
 *   the delegate right on the leaf, root depth WARD_CHAIN_MAX - 1 and one
 *   less per link, window [CAPFIX_NB, CAPFIX_NA], CAPFIX_USES uses, bound
 *   to context CAPFIX_CTX (the bytes 0xc0 .. 0xcf).
 *
 * Editing a block: change f->blk[i], then capfix_reseal(f, i), which signs
 * block i again as whoever its issuer field names (it must be a fixture key)
 * and re-links and re-signs every descendant so that only the edit differs.
 *
 * Fixture failures are not test results: they print one FAIL line (which
 * tests/run counts) and exit.
 */
#ifndef WARD_CAPFIX_H
#define WARD_CAPFIX_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "ward.h"
#include "crypto.h"
#include "codec.h"
#include "chain.h"
#include "revoke.h"

#define CAPFIX_NKEYS 16u
#define CAPFIX_OPERATOR 1u	/* the trusted authority, issues roots */
#define CAPFIX_STRANGER 13u	/* a key nobody trusts or delegated to */
#define CAPFIX_CORE 14u		/* the core's approval key */

#define CAPFIX_NB 1000000u	/* default window, seconds */
#define CAPFIX_NA 2000000u
#define CAPFIX_NOW 1500000u	/* a time inside the default window */
#define CAPFIX_USES 1000u

struct capfix_key {
	uint8_t pk[WARD_KEY_BYTES];
	uint8_t sk[WARD_SK_BYTES];
};

struct capfix {
	struct capfix_key key[CAPFIX_NKEYS];
	struct ward_block blk[WARD_CHAIN_MAX];	/* the issuer's view */
	struct ward_chain ch;			/* what the verifier gets */
	struct ward_trust trust;		/* the operator key only */
	struct ward_revset rv;			/* empty */
};

static const uint8_t CAPFIX_CTX[WARD_CTX_BYTES] = {
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
	0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf
};

static inline void
capfix_die(const char *why)
{
	printf("FAIL capfix: %s\n", why);
	fflush(stdout);
	exit(2);
}

/* Key i: Ed25519 from the seed i, i, ..., i. */
static inline void
capfix_key(struct capfix_key *k, uint8_t i)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, i, sizeof seed);
	if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0)
		capfix_die("crypto_sign_seed_keypair");
}

/* The secret key of the fixture key whose public key is pk. */
static inline const uint8_t *
capfix_sk_of(const struct capfix *f, const uint8_t *pk)
{
	uint32_t i;

	for (i = 0; i < CAPFIX_NKEYS; i++)
		if (memcmp(f->key[i].pk, pk, WARD_KEY_BYTES) == 0)
			return f->key[i].sk;
	capfix_die("issuer is not a fixture key");
	return NULL;
}

static inline void
capfix_set_scope(struct ward_block *b, const char *scope)
{
	size_t n = strlen(scope);

	if (n > WARD_SCOPE_MAX)
		capfix_die("scope too long");
	memset(b->scope, 0, sizeof b->scope);
	memcpy(b->scope, scope, n);
	b->scope_len = (uint16_t)n;
}

/*
 * Encode *b into l->raw, compute its id over the body (the first
 * WARD_BLOCK_HDR + scope_len bytes), sign the id with sk and patch the 64
 * signature bytes at the end of raw.  Also fills l->b and l->id (the
 * verifier overwrites both) and b->sig.  Returns 0, or -1 if the block
 * cannot be encoded or signed.
 */
static inline int
capfix_seal(struct ward_link *l, struct ward_block *b, const uint8_t *sk)
{
	size_t len = 0;
	size_t body;

	memset(b->sig, 0, sizeof b->sig);
	memset(l, 0, sizeof *l);
	if (ward_block_encode(l->raw, sizeof l->raw, b, &len) != WARD_OK)
		return -1;
	body = WARD_BLOCK_HDR + (size_t)b->scope_len;
	if (len != body + WARD_SIG_BYTES)
		return -1;
	if (ward_block_id(l->id, l->raw, body) != 0)
		return -1;
	if (ward_block_sign(b->sig, l->id, sk) != 0)
		return -1;
	memcpy(l->raw + body, b->sig, WARD_SIG_BYTES);
	l->raw_len = (uint32_t)len;
	l->b = *b;
	return 0;
}

/* Block i of a default chain of n blocks; parent is the id of block i - 1
 * (ignored for the root). */
static inline void
capfix_default_block(const struct capfix *f, struct ward_block *b,
		     uint32_t i, uint32_t n, const uint8_t *parent)
{
	memset(b, 0, sizeof *b);
	b->version = WARD_VERSION;
	b->kind = WARD_KIND_FS;
	b->r_invoke = 1;
	b->r_read = 1;
	b->r_write = 1;
	b->r_delegate = i + 1 < n ? 1 : 0;
	b->depth = (uint8_t)(WARD_CHAIN_MAX - 1u - i);
	if (i > 0)
		memcpy(b->parent, parent, WARD_ID_BYTES);
	memcpy(b->issuer, f->key[CAPFIX_OPERATOR + i].pk, WARD_KEY_BYTES);
	memcpy(b->holder, f->key[CAPFIX_OPERATOR + i + 1].pk, WARD_KEY_BYTES);
	memcpy(b->context, CAPFIX_CTX, WARD_CTX_BYTES);
	b->not_before = CAPFIX_NB;
	b->not_after = CAPFIX_NA;
	b->max_uses = CAPFIX_USES;
	capfix_set_scope(b, "/work");
}

/* Keys, trust (the operator alone) and an empty revocation set. */
static inline void
capfix_init(struct capfix *f)
{
	uint32_t i;

	if (sodium_init() < 0)
		capfix_die("sodium_init");
	memset(f, 0, sizeof *f);
	for (i = 0; i < CAPFIX_NKEYS; i++)
		capfix_key(&f->key[i], (uint8_t)i);
	f->trust.n = 1;
	memcpy(f->trust.key[0], f->key[CAPFIX_OPERATOR].pk, WARD_KEY_BYTES);
	ward_revset_init(&f->rv);
}

/*
 * Sign block i again as the issuer its issuer field names, then make every
 * later block of the chain name its new parent id and sign it again too.
 */
static inline void
capfix_reseal(struct capfix *f, uint32_t i)
{
	uint32_t j;

	if (i >= f->ch.n)
		capfix_die("reseal past the end of the chain");
	for (j = i; j < f->ch.n; j++) {
		if (j > i)
			memcpy(f->blk[j].parent, f->ch.l[j - 1].id, WARD_ID_BYTES);
		if (capfix_seal(&f->ch.l[j], &f->blk[j],
				capfix_sk_of(f, f->blk[j].issuer)) != 0)
			capfix_die("capfix_seal");
	}
}

/* Sign block i only, leaving its descendants as they were. */
static inline void
capfix_reseal_one(struct capfix *f, uint32_t i)
{
	if (capfix_seal(&f->ch.l[i], &f->blk[i],
			capfix_sk_of(f, f->blk[i].issuer)) != 0)
		capfix_die("capfix_seal");
}

/* The default chain root -> ... -> leaf of n blocks (1 .. WARD_CHAIN_MAX). */
static inline void
capfix_build(struct capfix *f, uint32_t n)
{
	uint32_t i;

	if (n < 1 || n > WARD_CHAIN_MAX)
		capfix_die("chain depth out of range");
	memset(&f->ch, 0, sizeof f->ch);
	f->ch.n = n;
	for (i = 0; i < n; i++)
		capfix_default_block(f, &f->blk[i], i, n,
				     i > 0 ? f->ch.l[i - 1].id : NULL);
	capfix_reseal(f, 0);
}

/* The leaf of the chain as the issuer built it. */
static inline struct ward_block *
capfix_leaf(struct capfix *f)
{
	return &f->blk[f->ch.n - 1];
}

/* Offset of the signature in the wire form of link i. */
static inline size_t
capfix_sig_off(const struct capfix *f, uint32_t i)
{
	return WARD_BLOCK_HDR + (size_t)f->blk[i].scope_len;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static inline void
capfix_hex(char *out, const uint8_t *in, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif /* WARD_CAPFIX_H */
