/*
 * egress_link.h -- ward-broker's side of ward-egress (egress_link.c,
 * common/egw.h).  Untrusted, not verified.
 */
#ifndef WARD_BROKER_EGRESS_LINK_H
#define WARD_BROKER_EGRESS_LINK_H

#include <stdint.h>
#include <sys/types.h>

struct egw_msg;

/* Fork bin_dir/ward-egress (call it as root: it drops to its own account)
 * with the broker's end of a pair as its fd 3; that end, or -1 (no
 * ward-egress: agents get no proxy, every connection is refused). */
int el_start(const char *home, const char *bin_dir, pid_t *pid)
	__attribute__((warn_unused_result));
/* A pair for transaction slot/gen: one end to ward-egress with the
 * context, the other in *sandbox_end for the sandbox's listener. */
int el_attach(int eg, uint32_t slot, uint32_t gen, int job,
	      const uint8_t ctx[16], int *sandbox_end)
	__attribute__((warn_unused_result));
/* The sandbox of job ended (its listener goes), or with job -1 the whole
 * transaction (every connection of it closes). */
void el_detach(int eg, uint32_t slot, uint32_t gen, int job);
/* 0 with a message, 1 when none is waiting, -1 when ward-egress is gone. */
int el_recv(int eg, struct egw_msg *m) __attribute__((warn_unused_result));
int el_send(int eg, const struct egw_msg *m) __attribute__((warn_unused_result));

#endif
