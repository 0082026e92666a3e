/*
 * egress_link.h -- ward-broker's side of ward-egress (egress_link.c,
 * common/egw.h).  Untrusted, not verified.
 */
#ifndef WARD_BROKER_EGRESS_LINK_H
#define WARD_BROKER_EGRESS_LINK_H

#include <stdint.h>
#include <sys/types.h>

struct egw_msg;

/* Have the spawner (which keeps root) start ward-egress with one end of
 * a new pair; that end, the broker's, or -1.  If the spawner refuses (one
 * at a time, one a second), the end reads EOF at once. */
int el_spawn(int sp) __attribute__((warn_unused_result));
/* ward-egress's end read EOF: closes eg, says so (log/ward-broker.log),
 * notes when, and picks the delay before the next start (doubling while
 * it keeps dying within a minute of its start, at most 60 s).  Returns
 * -1, the new eg.  The sandboxes running then keep no proxy. */
int el_lost(int eg) __attribute__((warn_unused_result));
/* Before a new sandbox (an agent's or an exec call's): eg, or, when ward-egress died and
 * its delay has passed, a new one started through the spawner. */
int el_ensure(int eg, int sp) __attribute__((warn_unused_result));
/* A pair for transaction slot/gen: one end to ward-egress with the
 * context and the destinations its secrets are bound to ("host:port",
 * space-separated: the tunnels ward-egress intercepts), the other in
 * *sandbox_end for the sandbox's listener. */
int el_attach(int eg, uint32_t slot, uint32_t gen, int job,
	      const uint8_t ctx[16], const char *bound, char *ca, size_t ca_cap,
	      int *sandbox_end)
	__attribute__((warn_unused_result));
/* With bound not empty, el_attach waits (3 s at most; ward-egress's other
 * messages meanwhile are kept for el_recv) for ward-egress's answer, the
 * certificate of the transaction's CA (EGW_CA), writes it to
 * run/broker/ca-SLOT-GEN.pem (el_ca_dir names the folder) and puts that
 * file name in ca (else ca is empty): the spawner bundles it and binds
 * it at WB_CA_PATH.  el_detach of a whole transaction removes it. */
void el_ca_dir(const char *dir);
/* The variables that make the usual TLS clients trust WB_CA_PATH, added
 * at env[k..] for a transaction with secrets bound (bound not empty):
 * the new k. */
struct sp_msg;
/* Messages of ward-egress kept while el_attach waited: el_recv them. */
int el_pending(void);
int el_ca_env(struct sp_msg *sm, int k, const char *bound);
/* The sandbox of job ended (its listener goes), or with job -1 the whole
 * transaction (every connection of it closes): then el_detach waits (2 s
 * at most) until ward-egress says it has sent the line of each connection
 * it closed, keeping its messages meanwhile (el_kept_log gives this
 * transaction's lines, el_recv the rest).  0, or -1 when ward-egress did
 * not say so (gone, or too slow: lines may come after the end, and are
 * then not logged). */
int el_detach(int eg, uint32_t slot, uint32_t gen, int job);
/* A line for slot/gen's audit log kept while el_detach waited: 0 with it
 * in m (and no longer kept), 1 when there is none. */
int el_kept_log(uint32_t slot, uint32_t gen, struct egw_msg *m)
	__attribute__((warn_unused_result));
/* 0 with a message, 1 when none is waiting, -1 when ward-egress is gone. */
int el_recv(int eg, struct egw_msg *m) __attribute__((warn_unused_result));
int el_send(int eg, const struct egw_msg *m) __attribute__((warn_unused_result));

#endif
