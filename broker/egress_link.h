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
	      const uint8_t ctx[16], const char *bound, int *sandbox_end)
	__attribute__((warn_unused_result));
/* ward-egress's EGW_CA: its CA's certificate written to dir/WB_CA_FILE
 * (a new file renamed over the old), for the spawner to bundle and bind
 * at WB_CA_PATH.  0, or -1 (not one PEM certificate, or not written). */
int el_ca_write(const char *dir, const struct egw_msg *m);
/* The variables that make the usual TLS clients trust WB_CA_PATH, added
 * at env[k..] when ward-egress's certificate was written: the new k. */
struct sp_msg;
/* The folder el_ca_write writes to when ward-egress starts (el_spawn
 * awaits its certificate): the broker's run/broker. */
void el_ca_dir(const char *dir);
int el_ca_env(struct sp_msg *sm, int k);
/* The sandbox of job ended (its listener goes), or with job -1 the whole
 * transaction (every connection of it closes). */
void el_detach(int eg, uint32_t slot, uint32_t gen, int job);
/* 0 with a message, 1 when none is waiting, -1 when ward-egress is gone. */
int el_recv(int eg, struct egw_msg *m) __attribute__((warn_unused_result));
int el_send(int eg, const struct egw_msg *m) __attribute__((warn_unused_result));

#endif
