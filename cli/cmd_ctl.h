/*
 * cmd_ctl.h -- what the commands of cli/ share: the side of the broker's
 * control socket
 * ($WARD_HOME/run/broker/broker.ctl: one JSON object a line), for the
 * commands in cli/cmd_*.c.  Operator-side; what the broker answers is
 * its claim, never trusted.
 */
#ifndef WARD_CMD_CTL_H
#define WARD_CMD_CTL_H

#include <stddef.h>
#include <jansson.h>

#include "home.h"

/* A connection to the broker's control socket, or -1 (not running). */
int cli_ctl_connect(const struct ward_home *h);

/* Sends q (consumed) as one line, with fds (SCM_RIGHTS).  0 or -1. */
int cli_ctl_send(int fd, json_t *q, const int *fds, int nfds);

/* One JSON line from the broker; NULL on EOF or timeout (ms, -1: none).
 * buf[0..*len) keeps what was read past the line. */
json_t *cli_ctl_read(int fd, char *buf, size_t cap, size_t *len,
		     int timeout_ms);

/* The query side of 'ward audit' (--context, --filter, --json, --follow;
 * cmd_run.c), which 'ward audit' (cmd_audit.c) hands its options to. */
int ward_audit_query(int argc, char **argv);

/* The broker's part of 'ward status' (cmd_run.c): its sessions, shown as
 * its claims.  core_up: whether ward-core answered. */
int ward_status_broker(const char *home_dir, int core_up);

/* Resolves the home (dir, else $WARD_HOME, else the default) for cmd,
 * printing why it cannot be used.  0, or -1. */
int cli_home_open(struct ward_home *h, const char *dir, const char *cmd);

/* Starts ward-core if it does not answer on the admin socket (signed
 * with sk), and waits for it.  0, or -1 with the reason on stderr. */
int cli_start_core(const struct ward_home *h, const uint8_t sk[64]);

/* The names of the secrets in the core's vault, asked of the core once
 * (by name only), for the checks below. */
struct cli_vault_names {
	char names[64][65];
	uint32_t n;
	int asked;
};

/* Whether the secret a capability's scope "NAME@..." names is in the
 * vault, so that a profile missing one gets one clear error before
 * anything starts, rather than every use of it refused secret_unknown.
 * 0 if it is; -1 with the message on stderr ("CMD: PROF:LINE: the vault
 * holds no secret NAME", a hint, "nothing was DONE"), or if the core did
 * not list its secrets. */
int cli_vault_has(const struct ward_home *h, const uint8_t sk[64],
		  struct cli_vault_names *v, const char *scope,
		  const char *prof, int line, const char *cmd,
		  const char *done);

/* Asks the broker to end session sid now (why: "interrupted", "revoked"),
 * if it runs; its answer changes nothing. */
void cli_ctl_stop(const struct ward_home *h, const char *sid, const char *why);

#endif
