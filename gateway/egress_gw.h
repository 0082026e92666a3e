/*
 * egress_gw.h -- ward-gateway's side of ward-egress, for remote servers
 * (egress_gw.c).  Untrusted, not verified.
 */
#ifndef WARD_GATEWAY_EGRESS_GW_H
#define WARD_GATEWAY_EGRESS_GW_H

/* A start of remote server srv: ward-egress started if none runs (and
 * its backoff has passed), the server's previous sandbox detached, and a
 * new attach in the session's context; *sandbox_end is the end the
 * sandbox sends its proxy listener over (ward_sb_config's proxy_sock).
 * 0, or -1 (no proxy: the server's requests fail, and the reason is on
 * stderr). */
int egw_gateway_attach(int srv, int *sandbox_end) __attribute__((warn_unused_result));
struct gw_server;
struct ward_sb_config;
/* In the supervisor of remote server c, before ward_sb_prepare: binds
 * the bridge (ward-mcp-remote, gateway/remote.c) at /ward/bin, sets the
 * proxy (proxy, from egw_gateway_attach, or -1: none) and HTTP_PROXY,
 * and fills argv (GW_MAX_ARGV + 2 slots) with the bridge's command line.
 * 0, or -1 and err. */
int remote_sandbox(const struct gw_server *c, struct ward_sb_config *cfg,
		   int proxy, char **argv, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
