/*
 * launcher.h -- ward-gateway's privileged launcher (gateway/launcher.c),
 * as OpenSSH's privsep monitor and ward-broker's spawner: forked while
 * ward-gateway is still root, with the profile loaded, before the gateway
 * drops to its own account (WP_GATEWAY_ACCOUNT) and confines itself.  It
 * is the one root process of the gateway and answers only these requests,
 * over a SOCK_SEQPACKET pair, one fixed-size message each way:
 *
 *   LN_START slot     start the profile's server number slot, in the
 *                     sandbox the profile describes for it (the gateway
 *                     names the server, never a command, bind or env);
 *                     its stdin, stdout and stderr come back (SCM_RIGHTS).
 *                     A remote server's request carries one descriptor:
 *                     its proxy end of ward-egress (a socket).
 *   LN_SIGNAL slot    SIGTERM or SIGKILL to that server's supervisor
 *   LN_STATUS slot    whether that supervisor has ended (reaped)
 *   LN_EGRESS         start ward-egress (only for a profile with a remote
 *                     server; one at a time): the gateway's end comes back
 *   LN_EGRESS_END     the gateway is done with it: killed if it lingers
 *
 * Anything else -- another size, an unknown op, a slot the profile does
 * not have, another signal, descriptors where none belong -- closes the
 * channel: the launcher stops every server and exits.  It holds no key.
 * Trusted (root), small, not verified.
 */
#ifndef WARD_GATEWAY_LAUNCHER_H
#define WARD_GATEWAY_LAUNCHER_H

#include <stdint.h>
#include <sys/types.h>

#define LN_MAGIC 0x776c6e31u	/* "wln1" */

enum { LN_START = 1, LN_SIGNAL, LN_STATUS, LN_EGRESS, LN_EGRESS_END };

struct ln_req {
	uint32_t magic;
	uint32_t op;
	uint32_t slot;
	int32_t sig;
};

struct ln_rep {
	int32_t rc;		/* 0 done; -1 refused or failed (msg says why) */
	int32_t pid;		/* LN_START, LN_EGRESS: the process; LN_STATUS:
				   0 ended, else still running */
	char msg[240];
};

struct gw_profile;

/* Fork the launcher (profile p, home dir home; sock: the HTTP listener's
 * unix socket, which the gateway's account cannot unlink, or NULL: the
 * launcher removes it when the gateway is done, if it is still the same).  The caller must be
 * single-threaded and hold nothing the launcher should not (the client's
 * descriptors are not passed on: 0 and 1 become /dev/null there).  0, or
 * -1 with why in err. */
int ln_fork(const struct gw_profile *p, const char *home, const char *sock,
	    char *err, size_t errlen);
/* The end: the channel closed, the launcher waited for (5 s at most) once
 * it has stopped what it started. */
void ln_close(void);

/* The gateway's side: each a request and its answer (serialised by a lock:
 * ward-egress's thread asks too).  -1 when refused (msg in note, if not
 * NULL) or when the launcher is gone. */
int ln_server_start(int slot, int proxy, int fds[3], pid_t *pid);
int ln_server_signal(int slot, int sig);
/* 1: its supervisor has ended (or there is none); 0: still running; -1:
 * the launcher is gone. */
int ln_server_gone(int slot);
int ln_egress_start(int *fd, char *note, size_t notelen);
void ln_egress_end(void);

#endif
