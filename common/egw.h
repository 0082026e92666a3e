/*
 * egw.h -- the messages between ward-broker and ward-egress (one
 * SOCK_SEQPACKET pair, made when the broker forks ward-egress; a message
 * is one struct egw_msg).  Untrusted both sides, not verified: ward-egress
 * believes nothing of what the broker says but the approval it forwards,
 * which it checks under the core's key (egress/egress.h).
 *
 *   EGW_ATTACH  broker -> egress  a transaction's context, with one end of
 *                                 a socket pair (SCM_RIGHTS) over which
 *                                 its sandbox sends its proxy listener
 *   EGW_DETACH  broker -> egress  the transaction ended: its connections
 *                                 close (req 0: every sandbox of it; else
 *                                 the one whose job + 1 req is)
 *               egress -> broker  (req 0) the answer: the line of each
 *                                 connection it closed went before it,
 *                                 on this pair
 *   EGW_ASK     egress -> broker  approve eop (net.connect, or secret.use
 *                                 for a placeholder) of dest under the
 *                                 transaction's capabilities, with this
 *                                 digest (fresh random bytes)
 *   EGW_ANSWER  broker -> egress  the core's answer: reason 0 and the
 *                                 signed approval (for secret.use also
 *                                 the value, sealed by the core to
 *                                 ward-egress's key), or the refusal
 *   EGW_LOG     egress -> broker  a line for the transaction's audit log
 *                                 (a connection's bytes, a refusal after
 *                                 the approval)
 *   EGW_CA      egress -> broker  the answer to an ATTACH (slot, gen, req
 *                                 the attach's): the certificate, in PEM,
 *                                 of the CA ward-egress made for the
 *                                 transaction's TLS interception (its key
 *                                 never leaves ward-egress), pem_len 0
 *                                 when none; the broker waits for it and
 *                                 gives it to the sandbox (docs/egress.md,
 *                                 "Interception")
 *
 * ATTACH also carries, in bound, the destinations ("host:port", one
 * space between) a secret of the transaction is bound to: the CONNECT
 * tunnels ward-egress intercepts.  Untrusted like the rest: a lie only
 * makes ward-egress intercept a tunnel or not; the core still decides
 * every secret.use.
 */
#ifndef WARD_COMMON_EGW_H
#define WARD_COMMON_EGW_H

#include <stdint.h>

enum { EGW_ATTACH = 1, EGW_DETACH, EGW_ASK, EGW_ANSWER, EGW_LOG, EGW_CA };

#define EGW_APR_MAX 400u
#define EGW_TEXT_MAX 400u
/* A secret's value is at most EGW_SECRET_MAX bytes.  The core seals
 * (crypto_box_seal, to ward-egress's X25519 key: pub/egress.pub) the
 * 32-byte BLAKE2b-256 of the approval message it signed, then the value:
 * ward-egress uses a value only with the approval it was sealed for. */
#define EGW_SECRET_MAX 1024u
#define EGW_SEALED_MAX (48u + 32u + EGW_SECRET_MAX)
#define EGW_BOUND_MAX 1024u
#define EGW_PEM_MAX 2048u

struct egw_msg {
	uint32_t op;
	uint32_t slot, gen;	/* the broker's transaction */
	uint32_t req;		/* ASK/ANSWER: ward-egress's request number;
				   ATTACH: the sandbox's job + 1; DETACH: that
				   sandbox's, or 0 for every one of slot/gen */
	uint8_t ctx[16];	/* ATTACH: the transaction's context */
	uint8_t digest[32];	/* ASK */
	char dest[208];		/* ASK/ANSWER: the resource: "host:port", or
				   for secret.use "NAME@host:port/header"
				   (header name in lower case) */
	int32_t reason;		/* ANSWER: 0, a WARD_E_*, or -1 (no core) */
	uint64_t audit_pos;
	uint32_t apr_len;
	uint8_t apr[EGW_APR_MAX];
	uint8_t sig[64];
	char text[EGW_TEXT_MAX];	/* ANSWER: the refusal; LOG: the line */
	uint32_t eop;			/* ASK/ANSWER: WARD_OP_NET_CONNECT
					   (0 reads as it), or
					   WARD_OP_SECRET_USE (secret.use) */
	uint32_t sealed_len;		/* ANSWER to a secret.use ASK */
	uint8_t sealed[EGW_SEALED_MAX];
	/* Appended (the fields above keep their places). */
	char bound[EGW_BOUND_MAX];	/* ATTACH: "host:port host:port ..." */
	uint32_t pem_len;		/* CA: the certificate, PEM (0: none) */
	char pem[EGW_PEM_MAX];
};

#endif
