/*
 * egress_gw.c -- ward-gateway's side of ward-egress (common/egw.h), for
 * the remote servers of a profile (`url`, gateway/README.md "Remote
 * servers"): the gateway plays the broker's part of broker/egress_link.c.
 *
 * The first remote server to start has the gateway start ward-egress as
 * the spawner does (sandbox/spawner.c, egress_exec): bin_dir/ward-egress
 * --home HOME with one end of a SOCK_SEQPACKET pair as fd 3; ward-egress
 * reads the core's public key and its own X25519 key, then drops to the
 * ward-egress account (so `ward mcp` must run as root for a remote server,
 * as the daemons do; otherwise ward-egress refuses to start, says why, and
 * the remote servers get no network).  Each start of a remote server is
 * one EGW_ATTACH with the session's context; its sandbox sends its proxy
 * listener over the other end of that attach's pair (ward_sb_config's
 * proxy_sock).  A thread of its own answers ward-egress: each EGW_ASK
 * (net.connect host:port, secret.use NAME@host:port/header) becomes one
 * cc_approve in the session's context, under the capability the profile
 * grants for it, on a core socket of the thread's own, and the core's
 * answer goes back as it came: ward-egress checks it under the core's key
 * (signature, op, resource, context, its own digest, expiry, sequence).
 * The gateway decides nothing here and never sees a secret's value (the
 * core seals it to ward-egress's key).
 *
 * Untrusted, not verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "gw_int.h"
#include "egw.h"
#include "egress_gw.h"
#include "launcher.h"
#include "fdio.h"
#include "sandbox.h"

static pthread_mutex_t eg_mu = PTHREAD_MUTEX_INITIALIZER;
static int eg_fd = -1;			/* our end; -1: none running */
static pid_t eg_pid;
static time_t eg_next;			/* no start before (gw_now) */
static unsigned eg_delay = 1;		/* 1, 2, 4 ... GW_BACKOFF_MAX_S */
static time_t eg_started;
static uint32_t eg_gen[GW_MAX_SERVERS];	/* the last attach of each server */

/* The capability an ASK is asked under: the allow line of server srv
 * whose kind and scope are exactly the resource's; none: the first (the
 * core refuses, and logs, a resource outside it). */
static const struct wb_chain *
chain_for(int srv, unsigned op, const char *res)
{
	const struct upstream *u = &G.up[srv];
	unsigned kind = op == WARD_OP_SECRET_USE ? WARD_KIND_SECRET : WARD_KIND_NET;
	int i;

	for (i = 0; i < u->cfg->nallow; i++)
		if (u->cfg->allow[i].kind == kind &&
		    strcmp(u->cfg->allow[i].scope, res) == 0)
			return &u->ch[i];
	return &u->ch[0];
}

static void
answer(int fd, struct egw_msg *m, int *core_s)
{
	struct wb_reply r;
	const char *what;
	unsigned op = m->eop == WARD_OP_SECRET_USE ? WARD_OP_SECRET_USE :
		      WARD_OP_NET_CONNECT;
	uint64_t nonce;
	int got = -1, tries;

	what = op == WARD_OP_SECRET_USE ? "secret.use" : "net.connect";
	m->dest[sizeof m->dest - 1] = '\0';
	for (tries = 0; tries < 2 && got != 0; tries++) {
		if (*core_s < 0)
			*core_s = cc_connect(G.h.broker_url, 3000);
		if (*core_s < 0)
			break;
		/* One counter with the main thread's calls: the core keeps a
		 * window of each context's nonces. */
		nonce = __atomic_add_fetch(&G.nonce, 1, __ATOMIC_SEQ_CST);
		got = cc_approve(*core_s, G.ctx, chain_for((int)m->slot, op, m->dest),
				 op, m->dest, m->digest, nonce, &r);
		if (got != 0) {
			cc_disconnect(*core_s);
			*core_s = -1;
		}
	}
	m->op = EGW_ANSWER;
	m->eop = op;
	m->apr_len = m->sealed_len = 0;
	if (got != 0) {
		m->reason = -1;
		snprintf(m->text, sizeof m->text, "%s %s: ward-core did not "
			 "answer; nothing was done (ward fails closed)", what, m->dest);
	} else if (r.reason != 0) {
		m->reason = r.reason;
		m->audit_pos = r.audit_pos;
		snprintf(m->text, sizeof m->text, "%s %s refused: %s (%s); audit "
			 "position %llu", what, m->dest, cc_reason_name(r.reason),
			 r.detail, (unsigned long long)r.audit_pos);
	} else if (!r.has_approval || r.apr_len > sizeof m->apr ||
		   r.sealed_len > sizeof m->sealed ||
		   (op == WARD_OP_SECRET_USE && r.sealed_len == 0)) {
		m->reason = -1;
		snprintf(m->text, sizeof m->text, "%s %s: no approval in the "
			 "core's answer", what, m->dest);
	} else {
		m->reason = 0;
		m->audit_pos = r.audit_pos;
		m->apr_len = (uint32_t)r.apr_len;
		memcpy(m->apr, r.apr_msg, r.apr_len);
		memcpy(m->sig, r.apr_sig, sizeof m->sig);
		/* Opaque here: sealed to ward-egress's key by the core. */
		m->sealed_len = (uint32_t)r.sealed_len;
		memcpy(m->sealed, r.sealed, r.sealed_len);
	}
	if (fdio_send(fd, m, sizeof *m, NULL, 0) != (ssize_t)sizeof *m)
		gw_note("ward-egress did not take an answer");
}

/* The thread: every message of ward-egress on fd, until it is gone. */
static void *
link_thread(void *arg)
{
	int fd = (int)(intptr_t)arg, core_s = -1;
	pid_t pid = 0;
	struct egw_msg *m = calloc(1, sizeof *m);
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (m != NULL) {
		int fds[FDIO_MAX], nfds = 0, i;
		ssize_t n = fdio_recv(fd, m, sizeof *m, fds, FDIO_MAX, &nfds, 0);

		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof *m)
			break;
		m->text[sizeof m->text - 1] = '\0';
		if (m->slot >= (uint32_t)G.nup || G.up[m->slot].cfg->url[0] == '\0')
			continue;
		if (m->op == EGW_ASK) {
			answer(fd, m, &core_s);
		} else if (m->op == EGW_LOG) {
			struct wb_reply r;

			if (core_s < 0)
				core_s = cc_connect(G.h.broker_url, 3000);
			if (core_s >= 0 && cc_log(core_s, G.ctx, m->text, &r) != 0) {
				cc_disconnect(core_s);
				core_s = -1;
			}
		}
		/* EGW_CA: the bridge does not terminate TLS itself (it sends
		 * plain-HTTP requests; ward-egress opens TLS upstream). */
	}
	free(m);
	if (core_s >= 0)
		cc_disconnect(core_s);
	pthread_mutex_lock(&eg_mu);
	if (eg_fd == fd) {
		pid = eg_pid;
		eg_pid = 0;
		eg_fd = -1;
		eg_delay = gw_now() - eg_started < GW_BACKOFF_RESET_S ?
			   (eg_delay * 2 > GW_BACKOFF_MAX_S ? GW_BACKOFF_MAX_S :
			    eg_delay * 2) : 1;
		eg_next = gw_now() + eg_delay;
	}
	pthread_mutex_unlock(&eg_mu);
	/* Reaped by the launcher, which started it: our end closed, it is
	 * exiting; one that lingers is killed. */
	close(fd);
	if (pid > 0)
		ln_egress_end();
	gw_note("ward-egress is gone: the remote servers' connections are "
		"refused (fail closed); it starts again with the next start of a "
		"remote server, in %u s at the earliest", eg_delay);
	return NULL;
}

/* Start ward-egress (eg_mu held).  0, or -1 and why on stderr. */
static int
start_egress(void)
{
	char note[300];
	pthread_t th;
	int fd;
	pid_t p;

	if (gw_now() < eg_next)
		return -1;
	/* The launcher (launcher.c, root) starts it, as the spawner
	 * does: this process runs as its own account and could not. */
	if (ln_egress_start(&fd, note, sizeof note) != 0) {
		gw_note("%s", note);
		eg_next = gw_now() + GW_BACKOFF_MAX_S;
		return -1;
	}
	p = 1;
	eg_pid = p;
	eg_started = gw_now();
	if (pthread_create(&th, NULL, link_thread, (void *)(intptr_t)fd) != 0) {
		close(fd);
		ln_egress_end();
		return -1;
	}
	pthread_detach(th);
	eg_fd = fd;
	return 0;
}

int
egw_gateway_attach(int srv, int *sandbox_end)
{
	const struct gw_server *c = G.up[srv].cfg;
	struct egw_msg *m;
	int pp[2] = { -1, -1 }, rc = -1;

	*sandbox_end = -1;
	pthread_mutex_lock(&eg_mu);
	if (eg_fd < 0 && start_egress() != 0)
		goto out;
	m = calloc(1, sizeof *m);
	if (m == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pp) != 0) {
		free(m);
		goto out;
	}
	/* The server's previous sandbox (its listener, its connections)
	 * goes first. */
	if (eg_gen[srv] != 0) {
		m->op = EGW_DETACH;
		m->slot = (uint32_t)srv;
		m->gen = eg_gen[srv];
		(void)fdio_send(eg_fd, m, sizeof *m, NULL, 0);
		memset(m, 0, sizeof *m);
	}
	m->op = EGW_ATTACH;
	m->slot = (uint32_t)srv;
	m->gen = ++eg_gen[srv];
	m->req = 1;
	memcpy(m->ctx, G.ctx, sizeof m->ctx);
	/* https (port 443): named so that ward-egress sends the bridge's
	 * plain-HTTP request upstream over TLS, verified. */
	if (c->tls)
		snprintf(m->bound, sizeof m->bound, "%s", c->dest);
	if (fdio_send(eg_fd, m, sizeof *m, &pp[0], 1) == (ssize_t)sizeof *m) {
		*sandbox_end = pp[1];
		pp[1] = -1;
		rc = 0;
	}
	free(m);
	close(pp[0]);
	if (pp[1] >= 0)
		close(pp[1]);
out:
	pthread_mutex_unlock(&eg_mu);
	return rc;
}

/* The sandbox of remote server c (the supervisor's child, before
 * ward_sb_prepare): the bridge bound read-only at /ward/bin, the proxy,
 * and argv: ward-mcp-remote --url URL --timeout S [--header "H: V"]... */
int
remote_sandbox(const struct gw_server *c, struct ward_sb_config *cfg, int proxy,
	       char **argv, char *err, size_t errlen)
{
	static char self[PATH_MAX], bridge[PATH_MAX + 32], tmo[32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;
	int k, a = 0;

	if (n <= 0)
		return snprintf(err, errlen, "cannot find ward-gateway's folder"), -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return snprintf(err, errlen, "cannot find ward-gateway's folder"), -1;
	*slash = '\0';
	snprintf(bridge, sizeof bridge, "%s/ward-mcp-remote", self);
	if (access(bridge, X_OK) != 0 || cfg->nbinds >= WARD_SB_MAX_BINDS ||
	    cfg->nenv + 2 > WARD_SB_MAX_ENV)
		return snprintf(err, errlen, "%s: cannot run it (%s); run 'make' or "
				"'make install'", bridge, strerror(errno)), -1;
	cfg->binds[cfg->nbinds].src = bridge;
	cfg->binds[cfg->nbinds].dst = "/ward/bin/ward-mcp-remote";
	cfg->nbinds++;
	cfg->env[cfg->nenv++] = "HTTP_PROXY=http://" WARD_SB_PROXY_ADDR ":3128";
	cfg->proxy_sock = proxy;
	/* The bridge gives up on a request that sends nothing for ten
	 * times the call's deadline (progress moves the gateway's on). */
	snprintf(tmo, sizeof tmo, "%llu", (unsigned long long)c->timeout_s * 10);
	argv[a++] = "/ward/bin/ward-mcp-remote";
	argv[a++] = "--url";
	argv[a++] = (char *)c->url;
	argv[a++] = "--timeout";
	argv[a++] = tmo;
	for (k = 0; k < c->nhdr; k++) {
		argv[a++] = "--header";
		argv[a++] = c->hdr[k];
	}
	argv[a] = NULL;
	return 0;
}
