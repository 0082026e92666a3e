/*
 * crypto.c -- libsodium behind the contracts of crypto.h.
 *
 * Not proved: WP assumes the contracts in crypto.h, and this file is
 * what makes them true.  Keep it this small.  Each primitive is prefixed
 * by its own 16-byte domain tag, so an id can never be mistaken for an
 * audit link and an approval signature can never verify as a block one.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto.h"

static const uint8_t TAG_BLOCKID[16] = "ward.v1.blockid";	/* + NUL */
static const uint8_t TAG_BLOCKSIG[16] = "ward.v1.blocksig";
static const uint8_t TAG_APPROVAL[16] = "ward.v1.approval";
static const uint8_t TAG_AUDITLNK[16] = "ward.v1.auditlnk";

int
ward_block_id(uint8_t *id, const uint8_t *body, size_t len)
{
	crypto_generichash_state st;

	if (crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, TAG_BLOCKID, sizeof TAG_BLOCKID) != 0 ||
	    crypto_generichash_update(&st, body, len) != 0 ||
	    crypto_generichash_final(&st, id, WARD_ID_BYTES) != 0)
		return -1;
	return 0;
}

/*
 * The bucket key (crypto.h, ward_bucket).  Drawn once; the core is
 * single-threaded, and so is this.
 */
static uint8_t bucket_key[crypto_shorthash_KEYBYTES];
static int bucket_keyed;

int
ward_bucket_key_init(void)
{
	if (bucket_keyed)
		return 0;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(bucket_key, sizeof bucket_key);
	bucket_keyed = 1;
	return 0;
}

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t
ward_bucket(const uint8_t *id)
{
	uint8_t h[crypto_shorthash_BYTES];

	/* Never a bucket under a key nobody drew (all zeros is public). */
	if (!bucket_keyed && ward_bucket_key_init() != 0)
		abort();
	crypto_shorthash(h, id, WARD_ID_BYTES, bucket_key);
	/* bucket_of (ward.h) is the 64-bit little-endian value of h. */
	return (uint32_t)(load64_le(h) % WARD_BUCKETS);
}

/*
 * Block signatures verified before.  A block id binds every field but the
 * signature, so once some valid signature by pk over id has been seen,
 * (id, pk) is authentic whatever signature bytes come with it later.  The
 * memo records a pair only after crypto_sign_verify_detached accepted it,
 * and a hit needs both 32-byte values to match.  Direct mapped: a
 * collision replaces the slot, which only costs one more verification.
 * The core is single-threaded; so is this table.
 */
#define MEMO_SLOTS 1024u

static struct {
	uint8_t live;
	uint8_t id[WARD_ID_BYTES];
	uint8_t pk[WARD_KEY_BYTES];
} memo[MEMO_SLOTS];

void
ward_sig_memo_clear(void)
{
	sodium_memzero(memo, sizeof memo);
}

int
ward_block_sig_verify(const uint8_t *sig, const uint8_t *id, const uint8_t *pk)
{
	uint8_t msg[sizeof TAG_BLOCKSIG + WARD_ID_BYTES];
	unsigned s = ((unsigned)id[0] | (unsigned)id[1] << 8) % MEMO_SLOTS;

	if (memo[s].live && memcmp(memo[s].id, id, WARD_ID_BYTES) == 0 &&
	    memcmp(memo[s].pk, pk, WARD_KEY_BYTES) == 0)
		return 0;
	memcpy(msg, TAG_BLOCKSIG, sizeof TAG_BLOCKSIG);
	memcpy(msg + sizeof TAG_BLOCKSIG, id, WARD_ID_BYTES);
	if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0)
		return -1;
	memcpy(memo[s].id, id, WARD_ID_BYTES);
	memcpy(memo[s].pk, pk, WARD_KEY_BYTES);
	memo[s].live = 1;
	return 0;
}

int
ward_block_sign(uint8_t *sig, const uint8_t *id, const uint8_t *sk)
{
	uint8_t msg[sizeof TAG_BLOCKSIG + WARD_ID_BYTES];

	memcpy(msg, TAG_BLOCKSIG, sizeof TAG_BLOCKSIG);
	memcpy(msg + sizeof TAG_BLOCKSIG, id, WARD_ID_BYTES);
	return crypto_sign_detached(sig, NULL, msg, sizeof msg, sk) == 0 ? 0 : -1;
}

int
ward_approval_sign(uint8_t *sig, const uint8_t *msg, size_t len,
		   const uint8_t *sk)
{
	uint8_t buf[sizeof TAG_APPROVAL + 4096];
	int rc;

	if (len > 4096)
		return -1;
	memcpy(buf, TAG_APPROVAL, sizeof TAG_APPROVAL);
	memcpy(buf + sizeof TAG_APPROVAL, msg, len);
	rc = crypto_sign_detached(sig, NULL, buf, sizeof TAG_APPROVAL + len, sk);
	return rc == 0 ? 0 : -1;
}

int
ward_audit_hash(uint8_t *head, const uint8_t *rec, size_t len)
{
	crypto_generichash_state st;
	uint8_t next[WARD_ID_BYTES];

	if (crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, TAG_AUDITLNK, sizeof TAG_AUDITLNK) != 0 ||
	    crypto_generichash_update(&st, head, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, rec, len) != 0 ||
	    crypto_generichash_final(&st, next, WARD_ID_BYTES) != 0)
		return -1;
	memcpy(head, next, WARD_ID_BYTES);
	return 0;
}
