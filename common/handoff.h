/*
 * handoff.h -- capabilities signed by the operator's CLI, handed to a
 * program that holds no key, across exec.
 *
 * `ward mcp` (cli/cmd_mcp.c) reads the operator key, signs one root block
 * per `allow` line of the profile, wipes the key, writes the blocks into a
 * sealed memfd and execs ward-gateway with it as a descriptor: the
 * gateway's address space never held the operator key (the exec dropped
 * the CLI's), and the memfd cannot be changed once sealed.  The holder key
is made by the CLI too; the gateway never signs as the holder, so only
its public half is handed over.  The gateway
 * checks every block against the profile it loads itself (handoff.c:
 * ho_read) before it uses one.
 *
 * The format, all integers little-endian: "WARDHO1\n", the context (16),
 * the holder's public key (32), the count (u32), then per block: the
 * server's index (u16), the allow line's index (u16), the length (u32),
 * the sealed block's bytes.
 */
#ifndef WARD_HANDOFF_H
#define WARD_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "wb.h"

#define HO_MAX 1024			/* blocks in one handoff */

struct ho_grant {
	uint16_t srv;			/* index of the server in the profile */
	uint16_t allow;			/* index of its allow line */
	struct wb_blk blk;		/* sealed (wb_seal), decoded on read */
};

/* A sealed memfd holding ctx, hold_pk and the n blocks of g, positioned
 * at 0, without FD_CLOEXEC (it is meant to cross an exec); -1 and err. */
int ho_write(const uint8_t ctx[WARD_CTX_BYTES], const uint8_t hold_pk[32],
	     const struct ho_grant *g, uint32_t n, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Reads a handoff from fd (which must be a sealed memfd: writes, growth
 * and shrinking sealed, and the seals themselves).  Each block must decode
 * (wb_unseal), be bound to ctx and held by hold_pk.  0, or -1 and err. */
int ho_read(int fd, uint8_t ctx[WARD_CTX_BYTES], uint8_t hold_pk[32],
	    struct ho_grant *g, uint32_t cap, uint32_t *n, char *err,
	    size_t errlen)
	__attribute__((warn_unused_result));

#endif
