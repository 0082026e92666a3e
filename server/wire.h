/*
 * wire.h -- the shim between protobuf (ward.v1, proto/ward/v1/ward.proto)
 * and the verified library's fixed structs.  Not verified: fuzzed
 * (tests/fuzz/fuzz_wire.c).
 *
 * Every bound is checked here, explicitly, before a byte reaches a fixed
 * array: the message size, every field's length, the number of blocks in
 * a chain, integer ranges before narrowing.  Unknown fields anywhere are a
 * refusal.  protobuf-c allocates from a fixed arena, so a message can never
 * make the core allocate more than WIRE_ARENA bytes.
 */
#ifndef WARD_SRV_WIRE_H
#define WARD_SRV_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ward.h"

#define WIRE_MSG_MAX 8192u	/* longest request the core reads */
#define WIRE_RECV_MAX 65536	/* longer ones are dropped by nanomsg */
#define WIRE_ARENA (64u * 1024u)
#define WIRE_ADMIN_WINDOW 60u	/* seconds of clock skew for admin requests */
#define WIRE_NONCE_BYTES 16u

/* Process-level reasons (enum Reason in ward.proto, from 100). */
#define WR_PROTO_MALFORMED 100
#define WR_PROTO_OVERSIZE 101
#define WR_PROTO_UNKNOWN_FIELD 102
#define WR_PROTO_MISSING 103
#define WR_ADMIN_ONLY 104
#define WR_ADMIN_UNSIGNED 105
#define WR_ADMIN_SIGNATURE 106
#define WR_ADMIN_STALE 107
#define WR_ADMIN_REPLAY 108
#define WR_CONTEXT_REUSED 109
#define WR_CONTEXT_CLOSED 110
#define WR_TARGET 111
#define WR_STATE_FULL 112
#define WR_INTERNAL 113
#define WR_SECRET_UNKNOWN 114
#define WR_SECRET_NO_EGRESS 115
#define WR_VAULT 116
/* Deferred approvals (server/pending.h). */
#define WR_DEFERRED 117
#define WR_OPERATOR_DENIED 118
#define WR_DEFERRED_EXPIRED 119
/* A session's broker has stored as many revocations as it may. */
#define WR_REVOKE_QUOTA 120

enum wire_kind {
	WQ_NONE = 0,
	WQ_OPEN = 1,
	WQ_APPROVE = 2,
	WQ_ATTENUATE = 3,
	WQ_REVOKE = 4,
	WQ_CLOSE = 5,
	WQ_LOG = 6,
	WQ_STATUS = 7,
	WQ_CHECKPOINT = 8,
	WQ_TRUST = 9,
	WQ_LIST = 10,		/* ListContexts: admin only, read-only */
	WQ_SECRET_SET = 11,	/* admin only, as the next two */
	WQ_SECRET_LIST = 12,
	WQ_SECRET_RM = 13,
	WQ_ASK = 15,		/* AskMark: admin only */
	WQ_PENDING = 16		/* PendingAnswer: admin only */
};

#define WIRE_SECRET_NAME_MAX 64u
#define WIRE_SEALED_MAX (48u + 1024u)	/* crypto_box_seal of a value */

/* The parameters an Approve may carry (for a deferred call), at most. */
#define WIRE_PARAMS_MAX 4096u

/* A request, decoded and bounded. */
struct wire_req {
	int kind;			/* WQ_* */
	int has_chain;
	struct ward_chain chain;	/* raw, raw_len filled; n blocks */
	uint32_t child_len;
	uint8_t child[WARD_BLOCK_MAX];
	int has_context;
	uint8_t context[WARD_CTX_BYTES];
	int has_block_id;
	uint8_t block_id[WARD_ID_BYTES];
	uint8_t op;
	uint16_t resource_len;
	uint8_t resource[WARD_SCOPE_MAX];
	uint8_t digest[WARD_ID_BYTES];
	uint64_t nonce;
	uint32_t target;
	int whole_context;
	int open_child;
	uint16_t text_len;
	uint8_t text[256];
	uint8_t key[WARD_KEY_BYTES];
	uint8_t name_len;		/* secret_set / secret_remove */
	char name[WIRE_SECRET_NAME_MAX + 1];
	uint16_t sealed_len;
	uint8_t sealed[WIRE_SEALED_MAX];
	uint16_t params_len;		/* Approve: 0 when absent */
	uint8_t params[WIRE_PARAMS_MAX];
	uint32_t ask_deadline;		/* AskMark */
	uint64_t ask_not_after;
	uint32_t answer;		/* PendingAnswer: 0 list, 1 approve, 2 deny */
	uint64_t pending_id;
};

/* The admin envelope, decoded and bounded; request points into buf. */
struct wire_admin {
	const uint8_t *request;
	size_t request_len;
	uint64_t timestamp;
	int has_sig;
	uint8_t nonce[WIRE_NONCE_BYTES];
	uint8_t sig[64];
};

/* Decode a Request.  0 (WARD_OK) or a reason (WR_* or a core reason such
 * as WARD_E_OP); detail says which field, for the reply and the log.
 * out->kind is set as soon as it is known, even on a refusal. */
int wire_decode_request(const uint8_t *buf, size_t len, struct wire_req *out,
			char *detail, size_t dlen)
	__attribute__((warn_unused_result));

/* Decode an AdminEnvelope (not its signature: the caller checks it). */
int wire_decode_admin(const uint8_t *buf, size_t len, struct wire_admin *out,
		      char *detail, size_t dlen)
	__attribute__((warn_unused_result));

/* The bytes the operator signs: "ward.v1.adminreq" || be64 ts || nonce ||
 * request.  out must hold 16 + 8 + 16 + request_len. */
size_t wire_admin_signed_bytes(uint8_t *out, uint64_t ts,
			       const uint8_t nonce[WIRE_NONCE_BYTES],
			       const uint8_t *req, size_t req_len);

#endif
