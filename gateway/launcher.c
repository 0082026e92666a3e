/*
 * launcher.c -- ward-gateway's privileged launcher (launcher.h): the one
 * root process of the gateway.  It builds each server's sandbox from the
 * profile it was forked with, starts ward-egress for the remote servers,
 * signals and reaps what it started, and nothing else.  Trusted, small,
 * not verified.
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
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "gw.h"
#include "fdio.h"
#include "priv.h"
#include "sandbox.h"
#include "egress_gw.h"
#include "launcher.h"

/* ---- the gateway's side ------------------------------------------------- */

static int ln_fd = -1;
static pid_t ln_pid;
static pthread_mutex_t ln_mu = PTHREAD_MUTEX_INITIALIZER;

/* One request, one answer (fds: what came with it, up to 3). */
static int
ask(uint32_t op, uint32_t slot, int32_t sig, int sendfd, struct ln_rep *r,
    int *fds, int *nfds)
{
	struct ln_req q = { LN_MAGIC, op, slot, sig };
	int got[FDIO_MAX], n = 0, i, rc = -1;
	ssize_t k;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&ln_mu);
	if (ln_fd < 0)
		goto out;
	if (fdio_send(ln_fd, &q, sizeof q, sendfd >= 0 ? &sendfd : NULL,
		      sendfd >= 0 ? 1 : 0) != (ssize_t)sizeof q)
		goto gone;
	k = fdio_recv(ln_fd, r, sizeof *r, got, FDIO_MAX, &n, 0);
	if (k != (ssize_t)sizeof *r)
		goto gone;
	r->msg[sizeof r->msg - 1] = '\0';
	for (i = 0; i < n; i++) {
		if (fds != NULL && i < 3)
			fds[i] = got[i];
		else
			close(got[i]);
	}
	if (nfds != NULL)
		*nfds = n < 3 ? n : 3;
	rc = r->rc == 0 ? 0 : -1;
	goto out;
gone:
	for (i = 0; i < n; i++)
		close(got[i]);
	close(ln_fd);
	ln_fd = -1;
	snprintf(r->msg, sizeof r->msg, "the gateway's launcher is gone: no "
		 "server can be started or stopped (see its message above)");
out:
	pthread_mutex_unlock(&ln_mu);
	return rc;
}

int
ln_server_start(int slot, int proxy, int fds[3], pid_t *pid)
{
	struct ln_rep r;
	int n = 0, i;

	if (ask(LN_START, (uint32_t)slot, 0, proxy, &r, fds, &n) != 0 || n != 3) {
		for (i = 0; r.rc == 0 && i < n; i++)
			close(fds[i]);
		if (r.msg[0] != '\0')
			fprintf(stderr, "ward mcp: %s\n", r.msg);
		return -1;
	}
	*pid = r.pid;
	return 0;
}

int
ln_server_signal(int slot, int sig)
{
	struct ln_rep r;

	return ask(LN_SIGNAL, (uint32_t)slot, sig, -1, &r, NULL, NULL);
}

int
ln_server_gone(int slot)
{
	struct ln_rep r;

	if (ask(LN_STATUS, (uint32_t)slot, 0, -1, &r, NULL, NULL) != 0)
		return -1;
	return r.pid == 0;
}

int
ln_egress_start(int *fd, char *note, size_t notelen)
{
	struct ln_rep r;
	int n = 0, got[3];

	*fd = -1;
	if (ask(LN_EGRESS, 0, 0, -1, &r, got, &n) != 0 || n != 1) {
		if (r.rc == 0 && n > 0)
			close(got[0]);
		snprintf(note, notelen, "%s", r.msg[0] != '\0' ? r.msg :
			 "the launcher sent no ward-egress");
		return -1;
	}
	*fd = got[0];
	return 0;
}

void
ln_egress_end(void)
{
	struct ln_rep r;

	(void)ask(LN_EGRESS_END, 0, 0, -1, &r, NULL, NULL);
}

void
ln_close(void)
{
	int i;

	pthread_mutex_lock(&ln_mu);
	if (ln_fd >= 0)
		close(ln_fd);
	ln_fd = -1;
	pthread_mutex_unlock(&ln_mu);
	for (i = 0; i < 500 && ln_pid > 0; i++) {
		if (waitpid(ln_pid, NULL, WNOHANG) != 0)
			ln_pid = 0;
		else
			usleep(10000);
	}
}

/* ---- the launcher --------------------------------------------------------- */

static const struct gw_profile *P;
static const char *home_dir;
static pid_t sup[GW_MAX_SERVERS];	/* each server's supervisor, 0: none */
static pid_t eg_pid;			/* ward-egress, 0: none */
static int has_remote;
static char sock_path[108];		/* the HTTP listener's, "" if none */
static struct stat sock_st;

/* The supervisor's stop flag: SIGTERM (from the launcher, or as its death
 * signal) has ward_sb_run() kill the sandbox and clean up. */
static volatile int sup_cancel;

static void
sup_on_term(int sig)
{
	(void)sig;
	sup_cancel = 1;
}

/* The supervisor of server c (a child of the launcher): the sandbox the
 * profile describes, the pipes as its stdio.  Does not return. */
static void
supervise(const struct gw_server *c, int in, int out, int errp, int proxy)
{
	struct ward_sb_config cfg;
	struct ward_sb_result res;
	struct ward_sb *sb = NULL;
	char err[WARD_SB_ERRLEN], *argv[GW_MAX_ARGV + 2];
	int i, k, code, logfd;

	signal(SIGTERM, sup_on_term);
	signal(SIGINT, SIG_IGN);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(125);
	signal(SIGPIPE, SIG_DFL);
	/* Our messages and the sandbox's BLOCKED lines go to the gateway's
	 * stderr (logfd); the server's stderr is a pipe that the gateway
	 * prints, escaped (server_stderr). */
	logfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errp, 2) < 0)
		_exit(125);
	for (i = 3; i < 1024; i++)
		if (i != logfd && i != proxy)
			(void)close(i);
	ward_sb_config_defaults(&cfg);
	cfg.workspace = c->workspace[0] != '\0' ? c->workspace : NULL;
	cfg.nbinds = 0;
	for (k = 0; k < c->nbinds; k++) {
		cfg.binds[cfg.nbinds].src = c->bind_src[k];
		cfg.binds[cfg.nbinds].dst = c->bind_dst[k];
		cfg.nbinds++;
	}
	/* Only what the profile declares: nothing of the client's
	 * environment (its credentials) reaches a server. */
	cfg.env[cfg.nenv++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	cfg.env[cfg.nenv++] = "HOME=/tmp";
	cfg.env[cfg.nenv++] = "LANG=C.UTF-8";
	for (k = 0; k < c->nenv; k++)
		cfg.env[cfg.nenv++] = c->env[k];
	cfg.memory_bytes = c->mem_bytes;
	cfg.pids_max = c->pids;
	cfg.cpu_percent = c->cpu;
	cfg.tmp_bytes = c->tmp_bytes;
	cfg.timeout_ms = 0;
	cfg.one_shot = 1;
	cfg.log_fd = logfd;
	cfg.cancel = &sup_cancel;
	if (c->url[0] != '\0' &&
	    remote_sandbox(c, &cfg, proxy, argv, err, sizeof err) != 0) {
		dprintf(logfd, "ward mcp: server %s: %s\n", c->name, err);
		_exit(125);
	}
	if (ward_sb_prepare(&cfg, &sb, err, sizeof err) != 0) {
		dprintf(logfd, "ward mcp: server %s: %s\n", c->name, err);
		_exit(125);
	}
	for (k = 0; k < c->argc; k++)
		argv[k] = c->argv[k];
	if (c->url[0] == '\0')
		argv[c->argc] = NULL;
	if (ward_sb_run(sb, argv, &res, err, sizeof err) != 0) {
		dprintf(logfd, "ward mcp: server %s: %s\n", c->name, err);
		_exit(125);
	}
	code = WIFEXITED(res.wait_status) ? WEXITSTATUS(res.wait_status) :
	       128 + WTERMSIG(res.wait_status);
	_exit(code);
}

static void
reap(void)
{
	pid_t w;
	int s;

	while ((w = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (s = 0; s < P->nservers; s++)
			if (sup[s] == w)
				sup[s] = 0;
		if (w == eg_pid)
			eg_pid = 0;
	}
}

static void
do_start(int chan, uint32_t slot, int proxy)
{
	const struct gw_server *c = &P->srv[slot];
	struct ln_rep r;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int give[3];
	pid_t p;

	memset(&r, 0, sizeof r);
	r.rc = -1;
	reap();
	if (sup[slot] != 0) {
		snprintf(r.msg, sizeof r.msg, "server %s: its previous sandbox "
			 "still runs; not started twice", c->name);
		goto answer;
	}
	if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
	    pipe2(perr, O_CLOEXEC) != 0) {
		snprintf(r.msg, sizeof r.msg, "server %s: pipe: %s", c->name,
			 strerror(errno));
		goto answer;
	}
	p = fork();
	if (p < 0) {
		snprintf(r.msg, sizeof r.msg, "server %s: fork: %s", c->name,
			 strerror(errno));
		goto answer;
	}
	if (p == 0)
		supervise(c, pin[0], pout[1], perr[1], proxy);
	sup[slot] = p;
	r.rc = 0;
	r.pid = p;
answer:
	give[0] = pin[1];
	give[1] = pout[0];
	give[2] = perr[0];
	(void)fdio_send(chan, &r, sizeof r, give, r.rc == 0 ? 3 : 0);
	for (p = 0; p < 2; p++) {
		if (pin[p] >= 0)
			close(pin[p]);
		if (pout[p] >= 0)
			close(pout[p]);
		if (perr[p] >= 0)
			close(perr[p]);
	}
}

/* ward-egress, as the spawner starts it (sandbox/spawner.c): beside this
 * binary, --home HOME, one end of a SOCK_SEQPACKET pair as fd 3; it reads
 * its key and drops to its own account at once.  The other end goes to
 * the gateway. */
static void
do_egress(int chan)
{
	char self[PATH_MAX], path[PATH_MAX + 16], *slash;
	struct ln_rep r;
	ssize_t n;
	int sv[2] = { -1, -1 };
	pid_t p;

	memset(&r, 0, sizeof r);
	r.rc = -1;
	reap();
	if (eg_pid != 0) {
		/* The gateway starts another only once it is done with the
		 * last one (its end closed): one that lingers goes. */
		kill(eg_pid, SIGKILL);
		(void)waitpid(eg_pid, NULL, 0);
		eg_pid = 0;
	}
	if (geteuid() != 0) {
		snprintf(r.msg, sizeof r.msg, "a remote server needs ward-egress, "
			 "which starts as root and drops to the ward-egress account "
			 "at once: run 'ward mcp' as root (as ward's daemons run); "
			 "until then the remote servers get no network");
		goto answer;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 || (self[n] = '\0', slash = strrchr(self, '/')) == NULL) {
		snprintf(r.msg, sizeof r.msg, "cannot find ward-gateway's folder");
		goto answer;
	}
	*slash = '\0';
	snprintf(path, sizeof path, "%s/ward-egress", self);
	if (access(path, X_OK) != 0) {
		snprintf(r.msg, sizeof r.msg, "remote servers need ward-egress "
			 "beside ward-gateway (%.150s: %s); run 'make' or 'make "
			 "install'", path, strerror(errno));
		goto answer;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		goto answer;
	p = fork();
	if (p < 0)
		goto answer;
	if (p == 0) {
		/* The pair as fd 3, nothing else but the standard streams
		 * (0 and 1 are /dev/null here already). */
		if ((sv[1] == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(sv[1], 3) != 3))
			_exit(127);
		(void)close_range(4, ~0u, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_IGN);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(path, "ward-egress", "--home", home_dir, (char *)NULL);
		_exit(127);
	}
	eg_pid = p;
	r.rc = 0;
	r.pid = p;
answer:
	(void)fdio_send(chan, &r, sizeof r, &sv[0], r.rc == 0 ? 1 : 0);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

/* Every supervisor told to stop, killed after 2 s; ward-egress killed. */
static void
stop_all(void)
{
	int s, i, left;

	for (s = 0; s < P->nservers; s++)
		if (sup[s] != 0)
			kill(sup[s], SIGTERM);
	for (i = 0; i < 200; i++) {
		reap();
		for (left = 0, s = 0; s < P->nservers; s++)
			left += sup[s] != 0;
		if (left == 0)
			break;
		usleep(10000);
	}
	for (s = 0; s < P->nservers; s++)
		if (sup[s] != 0) {
			kill(sup[s], SIGKILL);
			(void)waitpid(sup[s], NULL, 0);
		}
	if (eg_pid != 0) {
		kill(eg_pid, SIGKILL);
		(void)waitpid(eg_pid, NULL, 0);
	}
}

/* Why a request is refused outright (the channel closes), or NULL. */
static const char *
malformed(ssize_t n, const struct ln_req *q, int nfds, int fd0)
{
	struct stat st;

	if (n != (ssize_t)sizeof *q || q->magic != LN_MAGIC)
		return "not a request of the launcher's protocol";
	switch (q->op) {
	case LN_START:
		if (q->slot >= (uint32_t)P->nservers)
			return "start of a server the profile does not have";
		if (P->srv[q->slot].url[0] == '\0' ? nfds != 0 :
		    (nfds > 1 || (nfds == 1 && (fstat(fd0, &st) != 0 ||
						!S_ISSOCK(st.st_mode)))))
			return "descriptors that a server start does not take";
		return NULL;
	case LN_SIGNAL:
		if (q->sig != SIGTERM && q->sig != SIGKILL)
			return "a signal other than SIGTERM or SIGKILL";
		/* fall through */
	case LN_STATUS:
		if (q->slot >= (uint32_t)P->nservers)
			return "a server the profile does not have";
		return nfds != 0 ? "descriptors with a request that takes none" : NULL;
	case LN_EGRESS:
	case LN_EGRESS_END:
		if (!has_remote)
			return "ward-egress for a profile with no remote server";
		return nfds != 0 ? "descriptors with a request that takes none" : NULL;
	default:
		return "an unknown request";
	}
}

static void
launcher_main(int chan)
{
	char err[300];
	int s;

	(void)prctl(PR_SET_NAME, "ward-gw-launch");
	if (wp_confine_privileged(err, sizeof err) != 0) {
		fprintf(stderr, "ward mcp: launcher: %s\n", err);
		_exit(125);
	}
	for (s = 0; s < P->nservers; s++)
		has_remote |= P->srv[s].url[0] != '\0';
	for (;;) {
		struct pollfd pf = { chan, POLLIN, 0 };
		struct ln_req q;
		struct ln_rep r;
		int fds[FDIO_MAX], nfds = 0, i;
		const char *why;
		ssize_t n;

		reap();
		if (poll(&pf, 1, 200) <= 0)
			continue;
		memset(&q, 0, sizeof q);
		/* One byte more than a request: a longer one is seen as such. */
		{
			char b[sizeof q + 1];

			n = fdio_recv(chan, b, sizeof b, fds, FDIO_MAX, &nfds, 0);
			if (n > 0)
				memcpy(&q, b, (size_t)n < sizeof q ? (size_t)n : sizeof q);
		}
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;		/* the gateway is gone */
		}
		why = malformed(n, &q, nfds, nfds > 0 ? fds[0] : -1);
		if (why != NULL) {
			fprintf(stderr, "ward mcp: the gateway's launcher refused a "
				"request (%s): the channel is closed and every "
				"server stopped; the gateway cannot go on\n", why);
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			break;
		}
		memset(&r, 0, sizeof r);
		switch (q.op) {
		case LN_START:
			do_start(chan, q.slot, nfds == 1 ? fds[0] : -1);
			break;
		case LN_SIGNAL:
			reap();
			if (sup[q.slot] != 0)
				kill(sup[q.slot], q.sig);
			(void)fdio_send(chan, &r, sizeof r, NULL, 0);
			break;
		case LN_STATUS:
			reap();
			r.pid = sup[q.slot];
			(void)fdio_send(chan, &r, sizeof r, NULL, 0);
			break;
		case LN_EGRESS:
			do_egress(chan);
			break;
		case LN_EGRESS_END:
			/* Its end closed by the gateway, it exits; reaped
			 * here, killed if still there in 2 s. */
			for (i = 0; i < 200 && eg_pid != 0; i++) {
				reap();
				if (eg_pid != 0)
					usleep(10000);
			}
			if (eg_pid != 0) {
				kill(eg_pid, SIGKILL);
				(void)waitpid(eg_pid, NULL, 0);
				eg_pid = 0;
			}
			(void)fdio_send(chan, &r, sizeof r, NULL, 0);
			break;
		}
		for (i = 0; i < nfds; i++)
			close(fds[i]);
	}
	stop_all();
	/* The listener's socket, if it is still the one made at start. */
	if (sock_path[0] != '\0') {
		struct stat st;

		if (lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == sock_st.st_dev && st.st_ino == sock_st.st_ino)
			(void)unlink(sock_path);
	}
	_exit(0);
}

int
ln_fork(const struct gw_profile *p, const char *home, const char *sock,
	char *err, size_t errlen)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return snprintf(err, errlen, "socketpair: %s", strerror(errno)), -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return snprintf(err, errlen, "fork: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* Not the client's stdio: /dev/null in its place; the
		 * gateway's end and everything else closed. */
		if (nul < 0 || dup2(nul, 0) != 0 || dup2(nul, 1) != 1 ||
		    dup2(sv[1], 3) != 3)
			_exit(125);
		(void)close_range(4, ~0u, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		P = p;
		home_dir = home;
		if (sock != NULL && strlen(sock) < sizeof sock_path &&
		    lstat(sock, &sock_st) == 0)
			snprintf(sock_path, sizeof sock_path, "%s", sock);
		launcher_main(3);
	}
	close(sv[1]);
	ln_fd = sv[0];
	ln_pid = pid;
	return 0;
}
