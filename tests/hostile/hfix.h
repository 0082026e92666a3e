/*
 * hfix.h -- fixtures of the hostile-broker, crash and benchmark programs:
 * a ward home and a ward-core process to talk to, keys, blocks signed as
 * an issuer would, and requests built and sent as a broker (or the
 * operator) would.  The core under test only ever sees wire bytes.
 */
#ifndef WARD_HFIX_H
#define WARD_HFIX_H

#include <stdint.h>
#include <sys/types.h>

#include "ward.h"
#include "home.h"
#include "ward/v1/ward.pb-c.h"

struct hkey {
	uint8_t pk[WARD_KEY_BYTES];
	uint8_t sk[WARD_SK_BYTES];
};

/* A block as its issuer builds it, and its sealed wire form. */
struct hblk {
	struct ward_block b;
	uint8_t raw[WARD_BLOCK_MAX];
	uint32_t len;
	uint8_t id[WARD_ID_BYTES];
};

struct hcore {
	char home[200];
	char admin[WH_PATH];
	char broker[WH_PATH];
	char log[WH_PATH];
	pid_t pid;
	struct hkey op;		/* the operator key from ward init */
	uint8_t core_pk[WARD_KEY_BYTES];
};

void hf_die(const char *what) __attribute__((noreturn));
void hf_key(struct hkey *k, uint8_t seed);
void hf_random_key(struct hkey *k);

/* A root-shaped block: every right, depth 7, "/work" fs, window around
 * now, uses.  Adjust fields, then seal. */
void hf_block(struct ward_block *b, const uint8_t *issuer, const uint8_t *holder,
	      const uint8_t *ctx, uint64_t now, uint32_t uses);
/* Encode b, compute its id, sign it with sk. */
void hf_seal(struct hblk *x, const uint8_t *sk);
/* Child of parent: same fields, parent id, issuer = parent's holder,
 * depth - 1, holder = holder. */
void hf_child(struct hblk *c, const struct hblk *parent, const uint8_t *holder);

/* ward init into a fresh home under /tmp, read the operator key. */
void hc_init(struct hcore *c, const char *tag);
/* Start ward-core and wait until it answers; 0, or -1 if it exited
 * (its stderr is in home/core.err). */
int hc_start(struct hcore *c);
/* Send sig, reap. */
void hc_stop(struct hcore *c, int sig);
void hc_cleanup(struct hcore *c);

/* Build a Request around a body. */
void hq_chain(Ward__V1__Chain *ch, ProtobufCBinaryData *slots,
	      const struct hblk *blk, uint32_t n);

/* Pack q and call the broker socket s; reply (free with
 * ward__v1__reply__free_unpacked) or NULL on no answer. */
Ward__V1__Reply *hq_call(int s, const Ward__V1__Request *q);
Ward__V1__Reply *hq_call_raw(int s, const uint8_t *buf, size_t len);
/* Same, signed as the operator, on the admin socket. */
Ward__V1__Reply *hq_admin(int s, const struct hkey *op,
			  const Ward__V1__Request *q);

/* Approve one effect. */
Ward__V1__Reply *hq_approve(int s, const uint8_t *ctx, const struct hblk *chain,
			    uint32_t n, uint32_t op, const char *res,
			    uint64_t nonce);
Ward__V1__Reply *hq_open(int s, const struct hblk *chain, uint32_t n);
/* ListContexts for ctx and/or block_id (either may be NULL): signed by op
 * on the admin socket, or unsigned on a broker socket when op is NULL. */
Ward__V1__Reply *hq_list(int s, const struct hkey *op, const uint8_t *ctx,
			 const uint8_t *block_id);
/* The entry of ctx in a ListContexts reply, or NULL. */
const Ward__V1__ContextInfo *hq_listed(const Ward__V1__Reply *r,
				       const uint8_t *ctx);

#endif
