/*
 * journal.h -- the audit log on disk, which is also the core's write-ahead
 * journal: every state change of the core (use reservations, revocations,
 * context lifecycle, trusted keys, admin nonces) is a record of the audit
 * chain, so one file, one hash chain and one fdatasync per batch make both
 * the log and the state durable (group commit).
 *
 * File: an 8-byte magic "WARDLOG1", the core's public key (32 bytes), then
 * frames, all integers big-endian:
 *
 *   be32 n        length of the record (1 .. WARD_AUDIT_REC_MAX)
 *   be64 seq      the record's position, 0, 1, 2, ...
 *   32   prev     audit head before the record
 *   n    record   the bytes hashed into the chain (ward_audit_append)
 *   32   head     audit head after it: H("ward.v1.auditlnk" || prev || record)
 *
 * Records (first byte is the type):
 *   1  decision   written by the verified core (approve.h, WARD_REC_*)
 *   16 event      written by the process (JR_EV_*): opens, closes,
 *                 revocations, refusals of malformed requests, agent logs
 *   17 reserve    a use reservation watermark (JR_RS_*)
 *   18 checkpoint signed (seq, head, time) of the records before it
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_JOURNAL_H
#define WARD_SRV_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ward.h"
#include "audit.h"

#define JR_MAGIC "WARDLOG1"
#define JR_FILE_HDR (8u + WARD_KEY_BYTES)
#define JR_FRAME_OVER (4u + 8u + 2u * WARD_ID_BYTES)

#define JR_DECISION 1u
#define JR_EVENT 16u
#define JR_RESERVE 17u
#define JR_CHECKPOINT 18u

/* Event record. */
#define JR_EV_TYPE 0u
#define JR_EV_VERDICT 1u	/* 1 allowed, 2 blocked, 3 agent-reported */
#define JR_EV_REASON 2u		/* reason code (core's, or >= 100) */
#define JR_EV_KIND 3u		/* JK_* */
#define JR_EV_SOCKET 4u		/* 0 core itself, 1 admin, 2 broker */
#define JR_EV_CTX 5u		/* 16 */
#define JR_EV_CTX2 21u		/* 16: parent context, or the admin nonce */
#define JR_EV_ID 37u		/* 32: block id or key */
#define JR_EV_TIME 69u		/* be64 */
#define JR_EV_NONCE 77u		/* be64 */
#define JR_EV_TLEN 85u		/* be16 */
#define JR_EV_TEXT 87u
#define JR_TEXT_MAX 256u
#define JR_EV_MAX (JR_EV_TEXT + JR_TEXT_MAX)

#define JV_ALLOWED 1u
#define JV_BLOCKED 2u
#define JV_REPORTED 3u
#define JV_DEFERRED 4u		/* held for the operator (pending.h) */

#define JS_CORE 0u
#define JS_ADMIN 1u
#define JS_BROKER 2u

/* What an event is about. */
enum jr_kind {
	JK_UNKNOWN = 0,		/* a request that could not be decoded */
	JK_OPEN = 1,		/* context opened from a grant */
	JK_APPROVE = 2,
	JK_ATTENUATE = 3,	/* delegation checked */
	JK_REVOKE = 4,		/* block id revoked */
	JK_CLOSE = 5,		/* context closed (or revoked) */
	JK_LOG = 6,		/* agent-reported event */
	JK_STATUS = 7,
	JK_CHECKPOINT = 8,
	JK_TRUST = 9,		/* operator key trusted */
	JK_SPAWN = 10,		/* delegation checked, child context opened */
	JK_ADMIN = 11,		/* admin request authenticated (nonce) */
	JK_START = 12,		/* core started */
	JK_RECOVER = 13,	/* torn tail of the log dropped at start */
	JK_LIST = 14,		/* contexts listed (admin only; logged refused) */
	JK_SECRET = 15,		/* vault: secret set or removed (name only) */
	JK_ASK = 16,		/* a block marked: its calls ask the operator */
	JK_DEFER = 17,		/* a deferred call: held, answered, expired */
	JK_LAST = 17
};

/* A JK_ASK event: ID the block, CTX2 be32 deadline (seconds) || be64
 * not_after (the mark is forgotten after it).  A JK_DEFER event: CTX the
 * call's context, ID its digest, NONCE its nonce, CTX2 be64 pending id ||
 * be64 deadline, TEXT "what: OP RESOURCE". */
#define JR_EV_ASK_DEADLINE JR_EV_CTX2
#define JR_EV_ASK_NOT_AFTER (JR_EV_CTX2 + 4u)
#define JR_EV_PD_ID JR_EV_CTX2
#define JR_EV_PD_DEADLINE (JR_EV_CTX2 + 8u)

/* A JK_REVOKE event: ID the block; NONCE be64 1 in a broker's revocation
 * stored, CTX then being the context that block is bound to; 0 in the
 * operator's (kept for ever), in refusals and in records older than this
 * field.  A restart forgets a broker's revocation (socket JS_BROKER, bound
 * 1) of a block bound to a context closed by then: it can never be used
 * again. */
#define JR_EV_REV_BOUND JR_EV_NONCE

/* Reserve record. */
#define JR_RS_ID 1u		/* 32 */
#define JR_RS_MAX 33u		/* be32 */
#define JR_RS_RESERVED 37u	/* be32 */
#define JR_RS_LEN 41u		/* the records before JR_RS_CTX */
#define JR_RS_CTX 41u		/* 16: the context the block is bound to */
#define JR_RS_LEN_CTX 57u
/* A restart skips the reservations of a block bound to a context closed by
 * then: it can never be used again.  A record without JR_RS_CTX (older
 * logs) is always restored. */

/* Checkpoint record: covers the seq records before it, head after them. */
#define JR_CK_SEQ 1u		/* be64 */
#define JR_CK_HEAD 9u		/* 32 */
#define JR_CK_TIME 41u		/* be64 */
#define JR_CK_SIG 49u		/* 64 */
#define JR_CK_LEN 113u

/* The checkpoint file: magic "WARDCKP1" then the checkpoint record body
 * (seq, head, time, sig at JR_CK_* - 1). */
#define JR_CKF_LEN (8u + JR_CK_LEN - 1u)

/* Sign / check a checkpoint: Ed25519 over "ward.v1.checkpt" (16 bytes with
 * its NUL) || be64 seq || head || be64 time. */
int jr_ckpt_sign(uint8_t sig[64], uint64_t seq, const uint8_t head[32],
		 uint64_t t, const uint8_t sk[64])
	__attribute__((warn_unused_result));
int jr_ckpt_check(const uint8_t sig[64], uint64_t seq, const uint8_t head[32],
		  uint64_t t, const uint8_t pk[32])
	__attribute__((warn_unused_result));

/* ---- writer: the core's side ------------------------------------------- */
struct jr_writer {
	int fd;
	uint8_t *buf;		/* frames not yet written */
	size_t len, cap;
	uint64_t committed;	/* records durable on disk */
	uint64_t pending;	/* records in buf */
	double sync_ns_total;
	uint64_t syncs;
};

/* Queue one frame. Dies on allocation failure. */
void jr_add(struct jr_writer *w, uint64_t seq, const uint8_t prev[32],
	    const uint8_t *rec, size_t len, const uint8_t head[32]);

/* Write every queued frame and fdatasync: after 0, they are durable.  -1
 * on any I/O error (the caller must not release anything, and dies). */
int jr_commit(struct jr_writer *w) __attribute__((warn_unused_result));

/* ---- reader: recovery and 'ward audit verify' -------------------------- */
struct jr_rec {
	uint64_t seq;
	size_t off;		/* offset of the frame in the file */
	const uint8_t *rec;
	uint32_t len;
	const uint8_t *head;	/* head after it */
};

struct jr_result {
	int ok;			/* 1: every frame good */
	uint64_t records;	/* good records */
	size_t good_bytes;	/* file offset after the last good frame */
	uint8_t head[32];	/* head after the last good record */
	int torn;		/* 1: the only fault is an unfinished last frame */
	uint64_t bad_rec;	/* index of the first bad record */
	size_t bad_off;
	uint64_t checkpoints;	/* signed checkpoint records checked */
	char why[256];
};

/* Read and check the log at path: framing, sequence, chaining, hashes and
 * every checkpoint record's signature under core_pk.  fn (may be NULL) is
 * called on each good record in order; a non-zero return stops the walk.
 * Returns 0 if the file could be read (see res->ok), -1 if not (res->why). */
int jr_scan(const char *path, const uint8_t core_pk[32],
	    int (*fn)(const struct jr_rec *r, void *arg), void *arg,
	    struct jr_result *res) __attribute__((warn_unused_result));

/* Read the checkpoint file.  1 if present and well formed, 0 if absent,
 * -1 if unreadable or malformed (why). */
int jr_ckpt_read(const char *path, uint64_t *seq, uint8_t head[32],
		 uint64_t *t, uint8_t sig[64], char *why, size_t whylen);

/* Write it atomically (temporary file, fsync, rename, fsync folder). */
int jr_ckpt_write(const char *path, const char *dir, uint64_t seq,
		  const uint8_t head[32], uint64_t t, const uint8_t sig[64])
	__attribute__((warn_unused_result));

/* The whole check of 'ward audit verify': the log (jr_scan) and the signed
 * checkpoint file, which must verify under core_pk and be covered by the
 * log (else records were deleted from the end).  0 if all is well, 1 if
 * not (msg: "at record N: why"; bad_rec the record), -1 if unreadable. */
int jr_verify(const char *log, const char *ckpt, const uint8_t core_pk[32],
	      int (*fn)(const struct jr_rec *r, void *arg), void *arg,
	      struct jr_result *res, uint64_t *bad_rec, uint64_t *ck_seq,
	      char *msg, size_t msglen) __attribute__((warn_unused_result));

/* Names of the codes: names.h.  A record for people (text or JSON):
 * record.h. */

#endif
