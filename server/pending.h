/*
 * pending.h -- deferred approvals in ward-core (DESIGN.md §4b): calls that
 * wait for the operator's answer.
 *
 * The operator marks a block "ask" (AskMark, admin socket; `ward run` does
 * it for each `ask` line of a profile before the broker sees the grant).
 * A call under any chain that holds a marked block -- the block itself or
 * any delegation of it: the broker cannot drop a block from a chain that
 * verifies -- is not decided by ward_approve at once.  The first time, the
 * core verifies the chain, checks that the parameters the broker sent hash
 * to the call's digest, records a DEFERRED event and holds a pending call
 * bound to (context, leaf block, op, resource, digest, nonce) with a
 * deadline; the reply is REASON_DEFERRED with the call's id.  The broker
 * sends the same Approve again until the answer comes:
 *
 *   pending   REASON_DEFERRED again (no new record)
 *   approved  ward_approve decides it as any call (chain, scope, uses,
 *             nonce, all of it) and the pending call is gone: the
 *             operator's answer serves that one call once
 *   denied    BLOCKED operator_denied, logged
 *   expired   BLOCKED deferred_expired, logged
 *
 * Only the admin socket answers (PendingAnswer), lists, or marks.  A
 * denied or expired call's nonce is spent at once (and on replay of the
 * log at start), so the same call can never be held again.  A call that
 * differs in any bound field is another call.  The ids count up for the
 * life of the home (restored from the log at start); the slot of a call is
 * the first free one, never chosen by the caller; a session holds at most
 * PD_PER_SESSION of them, and the table PD_N.  A restart of ward-core
 * forgets the calls that were waiting (never an answer): the broker's next
 * send is held again, under a new id.
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_PENDING_H
#define WARD_SRV_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "ward.h"
#include "wire.h"

#define PD_N 128u		/* calls held at once, every session */
#define PD_PER_SESSION 16u	/* by one session and its children */
#define PD_MARK_N 4096u		/* slots of the table of marked blocks */
#define PD_TOMB_S 120u		/* a refused call's reason is kept this long */
#define PD_DEADLINE_MAX 86400u

#define PD_FREE 0u
#define PD_WAITING 1u
#define PD_APPROVED 2u
#define PD_DENIED 3u
#define PD_EXPIRED 4u

struct pd_call {
	uint8_t state;			/* PD_* */
	uint8_t op;
	uint16_t rlen, plen;
	uint64_t id, nonce, created, deadline, gone;
	uint64_t pos;			/* the DEFERRED record */
	uint8_t ctx[WARD_CTX_BYTES];
	uint8_t session[WARD_CTX_BYTES];
	uint8_t leaf[WARD_ID_BYTES];
	uint8_t digest[WARD_ID_BYTES];
	uint8_t res[WARD_SCOPE_MAX];
	uint8_t params[WIRE_PARAMS_MAX];
};

/* What ward-core lends this file: its log, its context table and its
 * chain check.  log is server.c's log_event. */
struct pd_hooks {
	uint64_t (*log)(unsigned verdict, unsigned reason, unsigned kind,
			unsigned sock, const uint8_t *ctx, const uint8_t *ctx2,
			const uint8_t *id, uint64_t t, uint64_t nonce,
			const char *text);
	/* the session (root context) of an open context, or NULL */
	const uint8_t *(*session)(const uint8_t *ctx);
	/* 0 if the nonce is fresh in the open context, else a reason */
	int (*nonce_fresh)(const uint8_t *ctx, uint64_t nonce);
	/* spend the nonce in the context (if it is open) */
	void (*nonce_spend)(const uint8_t *ctx, uint64_t nonce);
	/* verify the request's chain (signatures, trust, revocation) at now:
	 * WARD_OK and the verified chain in *out, or a reason */
	int (*verify)(uint64_t now, const struct ward_chain **out);
};

/* What a handler says back (server.c copies it into its reply). */
struct pd_out {
	int reason;
	char detail[256];
	uint64_t pos;
	uint64_t id, deadline;
	struct pd_call *used;		/* approved: free after ward_approve */
};

void pd_init(const struct pd_hooks *h);

/* Approve, before ward_approve.  PD_GO: decide it as usual (then, when
 * o->used is set, pd_used(o->used)); else the reply is o (held, or
 * refused and logged). */
#define PD_GO (-1)
int pd_gate(const struct wire_req *q, unsigned sock, uint64_t now,
	    struct pd_out *o) __attribute__((warn_unused_result));
void pd_used(struct pd_call *c);

/* AskMark and PendingAnswer (admin only); the reason, o filled.  For a
 * list (answer 0) *list points at the table and *n at its size. */
int pd_ask(const struct wire_req *q, unsigned sock, uint64_t now,
	   struct pd_out *o) __attribute__((warn_unused_result));
int pd_answer(const struct wire_req *q, unsigned sock, uint64_t now,
	      struct pd_out *o) __attribute__((warn_unused_result));

/* The table, for the list reply. */
const struct pd_call *pd_table(void);

/* Expire calls past their deadline, drop those of closed contexts and old
 * reasons.  The number of records written (the caller commits them). */
unsigned pd_sweep(uint64_t now);

/* Recovery: one event record of the log (JK_ASK, JK_DEFER); others are
 * ignored. */
void pd_replay(const uint8_t *rec, size_t len, uint64_t now);

#endif
