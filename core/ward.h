/*
 * ward.h -- the vocabulary of the verified core: sizes, types, reason codes
 * and the ACSL predicates shared by every module.
 *
 * Everything here is part of the trusted computing base.  Every size is a
 * compile-time constant so that the cost of every decision is bounded
 * without clocks, and every table has a validity predicate (*_ok) that each
 * function requires and ensures.
 *
 * Identifiers, keys and contexts are byte arrays.  In the specifications a
 * 32-byte value is also read as one integer (val32) so that "the same value
 * stored in two places" is plain equality of integers.
 */
#ifndef WARD_H
#define WARD_H

#include <stdint.h>
#include <stddef.h>

#define WARD_VERSION 1u

#define WARD_KEY_BYTES 32u	/* Ed25519 public key */
#define WARD_SK_BYTES 64u	/* Ed25519 secret key (libsodium layout) */
#define WARD_ID_BYTES 32u	/* BLAKE2b-256 block id / digest */
#define WARD_SIG_BYTES 64u	/* Ed25519 signature */
#define WARD_CTX_BYTES 16u	/* context (transaction) id */

#define WARD_SCOPE_MAX 200u	/* longest resource pattern */
#define WARD_CHAIN_MAX 8u	/* longest chain; depth field < this */

/* Canonical block body: fixed header, then the scope bytes. */
#define WARD_BLOCK_HDR 141u
#define WARD_BODY_MAX (WARD_BLOCK_HDR + WARD_SCOPE_MAX)
/* Wire form: body || signature. */
#define WARD_BLOCK_MAX (WARD_BODY_MAX + WARD_SIG_BYTES)

#define WARD_AUTH_MAX 8u	/* trusted authority keys */

/* Tables that hold authority (revoke.h, ledger.h) are bucketed by a keyed
 * hash of the id (ward_bucket, crypto.h): whoever chooses ids cannot
 * choose their buckets. */
#define WARD_BUCKETS 1024u
#define WARD_LEDGER_WAYS 8u
#define WARD_REVOKE_WAYS 8u
#define WARD_CACHE_SLOTS 1024u	/* verified-signature cache, direct mapped */

#define WARD_CTX_MAX 256u	/* open contexts */
#define WARD_NONCE_WINDOW 64u	/* per-context replay window */

/* Uses reserved at a time; the caller persists the watermark. */
#define WARD_RESERVE_STEP 64u

#define WARD_APPROVAL_TTL 30u	/* seconds an approval stays valid */

/* Resource kinds.  Zero is never a valid kind. */
#define WARD_KIND_TOOL 1u
#define WARD_KIND_FS 2u
#define WARD_KIND_NET 3u
#define WARD_KIND_MEM 4u
#define WARD_KIND_SECRET 5u
#define WARD_KIND_EXEC 6u
#define WARD_KIND_RESOURCE 7u	/* an MCP resource: "SERVER:URI" */
#define WARD_KIND_PROMPT 8u	/* an MCP prompt: "SERVER.NAME" */
#define WARD_KIND_LAST 8u

/* Operations an approval can be asked for. */
#define WARD_OP_TOOL_INVOKE 1u
#define WARD_OP_FS_READ 2u
#define WARD_OP_FS_WRITE 3u
#define WARD_OP_NET_CONNECT 4u
#define WARD_OP_MEM_READ 5u
#define WARD_OP_MEM_WRITE 6u
#define WARD_OP_SECRET_USE 7u
#define WARD_OP_EXEC 8u
#define WARD_OP_RESOURCE_READ 9u
#define WARD_OP_PROMPT_GET 10u
#define WARD_OP_LAST 10u

/* Reason codes.  WARD_OK is the only success; every refusal has its own. */
enum ward_reason {
	WARD_OK = 0,
	WARD_E_MALFORMED = 1,		/* input too short or inconsistent */
	WARD_E_VERSION = 2,		/* unknown format version */
	WARD_E_KIND = 3,		/* unknown resource kind */
	WARD_E_FLAGS = 4,		/* right flag not 0 or 1 */
	WARD_E_TRAILING = 5,		/* bytes after the encoding */
	WARD_E_OVERSIZE = 6,		/* a field longer than its bound */
	WARD_E_NONCANONICAL = 7,	/* a field outside its canonical range */
	WARD_E_CHAIN_EMPTY = 8,
	WARD_E_CHAIN_TOO_LONG = 9,
	WARD_E_SIGNATURE = 10,		/* a block signature does not verify */
	WARD_E_PARENT_HASH = 11,	/* parent hash is not the parent's id */
	WARD_E_ISSUER = 12,		/* issuer is not the parent's holder */
	WARD_E_UNTRUSTED_ROOT = 13,	/* root issuer not a trusted authority */
	WARD_E_ROOT_PARENT = 14,	/* root block with a non-zero parent */
	WARD_E_RIGHTS_WIDENED = 15,
	WARD_E_SCOPE_WIDENED = 16,
	WARD_E_WINDOW_WIDENED = 17,
	WARD_E_USES_WIDENED = 18,
	WARD_E_DEPTH = 19,		/* depth does not strictly decrease */
	WARD_E_NO_DELEGATE = 20,	/* parent lacks the delegate right */
	WARD_E_KIND_CHANGED = 21,	/* child of another kind than parent */
	WARD_E_REVOKED = 22,
	WARD_E_NOT_YET_VALID = 23,
	WARD_E_EXPIRED = 24,
	WARD_E_CONTEXT = 25,		/* leaf bound to another context */
	WARD_E_CONTEXT_UNKNOWN = 26,	/* context not open */
	WARD_E_OP = 27,			/* unknown operation */
	WARD_E_NOT_GRANTED = 28,	/* leaf lacks the right or kind */
	WARD_E_OUT_OF_SCOPE = 29,	/* resource outside the leaf's scope */
	WARD_E_REPLAY = 30,		/* nonce already seen */
	WARD_E_NONCE_STALE = 31,	/* nonce older than the window */
	WARD_E_USES_EXHAUSTED = 32,
	WARD_E_LEDGER_FULL = 33,
	WARD_E_REVOKE_FULL = 34,
	WARD_E_CONTEXT_FULL = 35,
	WARD_E_CYCLE = 36,		/* a block appears twice in a chain */
	WARD_E_EXHAUSTED = 37,		/* a sequence counter would wrap */
	WARD_E_CRYPTO = 38,		/* hashing or signing failed, or a re-check */
	WARD_E_CONTEXT_EXISTS = 39,
	WARD_REASON_LAST = 39
};

/* A capability block, decoded.  Rights are separate 0/1 flags. */
struct ward_block {
	uint8_t version;
	uint8_t kind;
	uint8_t r_invoke;
	uint8_t r_read;
	uint8_t r_write;
	uint8_t r_delegate;
	uint8_t depth;			/* remaining delegation depth */
	uint8_t parent[WARD_ID_BYTES];	/* id of the parent; zero for a root */
	uint8_t issuer[WARD_KEY_BYTES];
	uint8_t holder[WARD_KEY_BYTES];
	uint8_t context[WARD_CTX_BYTES];
	uint64_t not_before;
	uint64_t not_after;
	uint32_t max_uses;
	uint16_t scope_len;
	uint8_t scope[WARD_SCOPE_MAX];
	uint8_t sig[WARD_SIG_BYTES];
};

/* One link of a chain: the wire bytes as received, and what the core
 * derived from them.  Only the core fills b and id. */
struct ward_link {
	uint32_t raw_len;
	uint8_t raw[WARD_BLOCK_MAX];
	struct ward_block b;
	uint8_t id[WARD_ID_BYTES];
};

/* A chain, root first, leaf last. */
struct ward_chain {
	uint32_t n;
	struct ward_link l[WARD_CHAIN_MAX];
};

/*@
  // ---- bytes as numbers -------------------------------------------------
  // A 32-byte value (id, key, digest) as one logic value.  pack32 is
  // uninterpreted: nothing is assumed of it, so the only thing the provers
  // can use is that equal bytes give equal values.  That is all the specs
  // need: "the value verified here is the value stored there".
  axiomatic Pack {
    logic integer pack32(integer b0, integer b1, integer b2, integer b3, integer b4, integer b5, integer b6, integer b7, integer b8, integer b9, integer b10, integer b11, integer b12, integer b13, integer b14, integer b15, integer b16, integer b17, integer b18, integer b19, integer b20, integer b21, integer b22, integer b23, integer b24, integer b25, integer b26, integer b27, integer b28, integer b29, integer b30, integer b31);
  }
  logic integer val32(uint8_t *p) =
    pack32(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16], p[17], p[18], p[19], p[20], p[21], p[22], p[23], p[24], p[25], p[26], p[27], p[28], p[29], p[30], p[31]);

  // Byte-wise equality of n bytes.
  predicate bytes_eq{L1, L2}(uint8_t *a, uint8_t *b, integer n) =
    \forall integer k; 0 <= k < n ==> \at(a[k], L1) == \at(b[k], L2);
  predicate same_bytes{L}(uint8_t *a, uint8_t *b, integer n) =
    bytes_eq{L, L}(a, b, n);
  predicate all_zero{L}(uint8_t *a, integer n) =
    \forall integer k; 0 <= k < n ==> a[k] == 0;

  // ---- buckets ----------------------------------------------------------
  // The keyed hash of the id at id, which picks its bucket in the bucketed
  // tables (revoke.h, ledger.h).  Abstract: in C it is ward_bucket
  // (crypto.h), SipHash-2-4 of the 32 bytes under a key that ward-core
  // draws at start and never shows, so a party that chooses ids (a block
  // id is the hash of a body its issuer writes) cannot choose their
  // buckets, and no fact about some of the bytes (such as the first two)
  // tells the bucket.  Nothing is assumed of its values but their type,
  // 64 bits like SipHash's output, which gives home() its range.
  //
  // A function of the id alone models a keyed hash soundly because the key
  // never changes for the life of the process: it is drawn once, before
  // any table is built, and every table lives in that one process (ward-
  // core rebuilds them from the audit log at each start, under the new
  // key).
  //
  // The one axiom says what the reads clause says, because WP does not use
  // reads clauses: the hash depends on the 32 bytes at id and on nothing
  // else (not the address, not the rest of memory).  Every function of 32
  // bytes satisfies it (a constant one too), so it is consistent and says
  // nothing of the hash.  It is stated for two memory states, so that a
  // write elsewhere keeps the bucket of a table entry.  Why not a function
  // of val32(id), which needs no axiom: every bucket term then unfolds to
  // 32 byte reads, and the provers' memory theory chokes on the addresses
  // (measured: a goal that is one unfolding of revset_ok timed out at 40 s
  // in both provers with 32 reads, and took 50 ms with 2).
  axiomatic Bucket {
    logic uint64_t bucket_of{L}(uint8_t *id) reads id[0 .. WARD_ID_BYTES - 1];

    axiom bucket_of_bytes{L1, L2}: \forall uint8_t *a, *b;
      (\forall integer j; 0 <= j < WARD_ID_BYTES ==>
         \at(a[j], L1) == \at(b[j], L2)) ==>
        bucket_of{L1}(a) == bucket_of{L2}(b);
  }

  // The home bucket of the id at id: 0 <= home(id) < WARD_BUCKETS.
  logic integer home{L}(uint8_t *id) = bucket_of(id) % WARD_BUCKETS;

  // ---- blocks -----------------------------------------------------------
  predicate flag(integer f) = f == 0 || f == 1;

  predicate block_ok{L}(struct ward_block *b) =
    b->version == WARD_VERSION &&
    1 <= b->kind <= WARD_KIND_LAST &&
    flag(b->r_invoke) && flag(b->r_read) &&
    flag(b->r_write) && flag(b->r_delegate) &&
    b->depth < WARD_CHAIN_MAX &&
    b->not_before <= b->not_after &&
    1 <= b->scope_len <= WARD_SCOPE_MAX &&
    (\forall integer k; 0 <= k < b->scope_len ==>
       0x21 <= b->scope[k] <= 0x7e);

  predicate is_root{L}(struct ward_block *b) = all_zero(&b->parent[0], WARD_ID_BYTES);

  predicate in_window{L}(struct ward_block *b, integer now) =
    b->not_before <= now <= b->not_after;

  // ---- operations -------------------------------------------------------
  logic integer op_kind(integer op) =
    op == WARD_OP_TOOL_INVOKE ? WARD_KIND_TOOL :
    op == WARD_OP_FS_READ ? WARD_KIND_FS :
    op == WARD_OP_FS_WRITE ? WARD_KIND_FS :
    op == WARD_OP_NET_CONNECT ? WARD_KIND_NET :
    op == WARD_OP_MEM_READ ? WARD_KIND_MEM :
    op == WARD_OP_MEM_WRITE ? WARD_KIND_MEM :
    op == WARD_OP_SECRET_USE ? WARD_KIND_SECRET :
    op == WARD_OP_EXEC ? WARD_KIND_EXEC :
    op == WARD_OP_RESOURCE_READ ? WARD_KIND_RESOURCE :
    op == WARD_OP_PROMPT_GET ? WARD_KIND_PROMPT : 0;

  // The right an operation needs from the leaf.
  predicate op_granted{L}(struct ward_block *b, integer op) =
    (op == WARD_OP_TOOL_INVOKE ==> b->r_invoke == 1) &&
    (op == WARD_OP_FS_READ ==> b->r_read == 1) &&
    (op == WARD_OP_FS_WRITE ==> b->r_write == 1) &&
    (op == WARD_OP_NET_CONNECT ==> b->r_invoke == 1) &&
    (op == WARD_OP_MEM_READ ==> b->r_read == 1) &&
    (op == WARD_OP_MEM_WRITE ==> b->r_write == 1) &&
    (op == WARD_OP_SECRET_USE ==> b->r_read == 1) &&
    (op == WARD_OP_EXEC ==> b->r_invoke == 1) &&
    (op == WARD_OP_RESOURCE_READ ==> b->r_read == 1) &&
    (op == WARD_OP_PROMPT_GET ==> b->r_read == 1);
*/

#endif /* WARD_H */
