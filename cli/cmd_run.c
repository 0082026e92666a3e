/*
 * cmd_run.c -- the operator's side of the broker in the ward CLI:
 *
 *   ward run <agent> <task>     sign a grant for the agent's profile and
 *                               have the broker run it (starting ward-core
 *                               and ward-broker when they are not running)
 *   ward revoke <session|cap>   revoke a session (its context, its grant,
 *                               every child) or one capability block, as
 *                               the core (not the broker) names them, and
 *                               confirmed by the core
 *   ward policy check FILE...   check profiles, file:line:column errors
 *
 * and the audit query (ward_audit_query) that 'ward audit --session ...
 * --filter ... --json --follow' dispatches to.  The operator key signs the
 * grants here, in the CLI: the broker never sees it.  Not part of the
 * verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>

#include "ward_cli.h"
#include "approve.h"
#include "codec.h"
#include "home.h"
#include "journal.h"
#include "names.h"
#include "record.h"
#include "priv.h"
#include "wb.h"
#include "outq.h"
#include "fdio.h"
#include "sandbox.h"
#include "text.h"
#include "cmd_ctl.h"
#include "gw.h"


static int
home_open(struct ward_home *h, const char *dir, const char *cmd)
{
	char err[512];

	if (sodium_init() < 0) {
		fprintf(stderr, "ward %s: libsodium failed to initialise\n", cmd);
		return -1;
	}
	if (wh_resolve(h, dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward %s: %s\n", cmd, err);
		return -1;
	}
	if (access(h->op_key, F_OK) != 0 || access(h->core_pub, F_OK) != 0) {
		fprintf(stderr, "ward %s: %s is not a ward home (no keys)\n"
			"  run 'ward init' first (or set WARD_HOME)\n", cmd, h->home);
		return -1;
	}
	return 0;
}

/* ---- starting ward-core and ward-broker ------------------------------------ */

static int
start_daemon(const struct ward_home *h, const char *prog, const char *logname)
{
	char path[PATH_MAX + 32], logdir[WH_PATH + 8], logp[WH_PATH + 64];
	char dir[PATH_MAX];
	pid_t p;

	/* Beside ward (the build tree), or in PREFIX/lib/ward (installed). */
	if (cli_libexec(prog, dir, sizeof dir) != 0) {
		fprintf(stderr, "ward: cannot find %s beside the ward binary nor "
			"in ../lib/ward/\n  build it with 'make' (or 'make "
			"install'), or start it yourself\n", prog);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, prog);
	snprintf(logdir, sizeof logdir, "%s/log", h->home);
	(void)mkdir(logdir, 0700);
	snprintf(logp, sizeof logp, "%s/%s", logdir, logname);
	p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (dn >= 0)
			dup2(dn, 0);
		/* Double fork: the daemon is nobody's child. */
		if (fork() != 0)
			_exit(0);
		execl(path, prog, "--home", h->home, (char *)NULL);
		_exit(127);
	}
	(void)waitpid(p, NULL, 0);
	return 0;
}

static int
core_up(const struct ward_home *h, const uint8_t sk[64])
{
	struct wb_reply r;

	return cc_admin_status(h->admin_url, sk, &r) == 0 && r.reason == 0;
}

int
cli_ctl_connect(const struct ward_home *h)
{
	struct sockaddr_un a;
	char p[WH_PATH + 32];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(p, sizeof p, "%s", h->ctl);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (fd < 0 || strlen(p) >= sizeof a.sun_path) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(a.sun_path, p, strlen(p) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
cli_ctl_send(int fd, json_t *q, const int *fds, int nfds)
{
	char *s = json_dumps(q, JSON_COMPACT);
	size_t n, off = 0;
	ssize_t w;

	json_decref(q);
	if (s == NULL)
		return -1;
	n = strlen(s);
	s[n++] = '\n';
	w = fdio_send(fd, s, n, fds, nfds);
	if (w > 0)
		off = (size_t)w;
	/* The rest (the fds went with the first byte), as every write to a
	 * peer that may stop reading: outq.h. */
	if (w <= 0 || oq_write_all(fd, s + off, n - off, 10000) != 0)
		off = 0;
	free(s);
	return off > 0 ? 0 : -1;
}

json_t *
cli_ctl_read(int fd, char *buf, size_t cap, size_t *len, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *len);
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (nl != NULL) {
			json_t *j = json_loadb(buf, (size_t)(nl - buf), 0, NULL);

			*len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, *len);
			return j;
		}
		if (*len == cap)
			return NULL;
		if (poll(&p, 1, timeout_ms) <= 0)
			return NULL;
		n = read(fd, buf + *len, cap - *len);
		if (n <= 0)
			return NULL;
		*len += (size_t)n;
	}
}

static int
ensure_running(const struct ward_home *h, const uint8_t sk[64], int *ctl)
{
	int i;

	if (!core_up(h, sk)) {
		fprintf(stderr, "ward: starting ward-core (log: %s/log/ward-core.log)\n",
			h->home);
		if (start_daemon(h, "ward-core", "ward-core.log") != 0)
			return -1;
		for (i = 0; i < 100 && !core_up(h, sk); i++)
			usleep(50000);
		if (i == 100) {
			fprintf(stderr, "ward: ward-core did not come up; see %s/log/"
				"ward-core.log\n", h->home);
			return -1;
		}
	}
	*ctl = cli_ctl_connect(h);
	if (*ctl < 0) {
		fprintf(stderr, "ward: starting ward-broker (log: %s/log/"
			"ward-broker.log)\n", h->home);
		if (start_daemon(h, "ward-broker", "ward-broker.log") != 0)
			return -1;
		for (i = 0; i < 100 && (*ctl = cli_ctl_connect(h)) < 0; i++)
			usleep(50000);
		if (*ctl < 0) {
			fprintf(stderr, "ward: ward-broker did not come up; see "
				"%s/log/ward-broker.log\n", h->home);
			return -1;
		}
	}
	return 0;
}

/* ---- ward run ---------------------------------------------------------------- */

/* Copy a folder's tree (regular files and folders; links and the rest are
 * left out).  pub: world-readable (the agent's code, which the sandbox
 * user reads through a plain bind), else private (the workspace, which
 * the sandbox sees through an idmapped mount). */
static int
copy_tree(int sfd, int dfd, int depth, int pub, uid_t ou, gid_t og)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > 16)
		return -1;
	d = fdopendir(sfd);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && rc == 0) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int s2, d2;

			if (mkdirat(dfd, e->d_name, pub ? 0755 : 0700) != 0)
				return -1;
			s2 = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			d2 = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			if (d2 >= 0 && ou != (uid_t)-1 && fchown(d2, ou, og) != 0)
				rc = -1;
			if (s2 < 0 || d2 < 0 || rc != 0) {
				if (s2 >= 0)
					close(s2);
				if (d2 >= 0)
					close(d2);
				rc = -1;
				break;
			}
			rc = copy_tree(s2, d2, depth + 1, pub, ou, og);
			close(d2);
		} else if (S_ISREG(st.st_mode)) {
			char buf[65536];
			ssize_t n;
			int in = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW |
					O_CLOEXEC);
			int out = openat(dfd, e->d_name, O_WRONLY | O_CREAT | O_EXCL |
					 O_NOFOLLOW | O_CLOEXEC, !pub ? 0600 :
					 (st.st_mode & 0111) ? 0755 : 0644);

			if (out >= 0 && ou != (uid_t)-1 && fchown(out, ou, og) != 0)
				rc = -1;
			while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
				if (oq_write_all(out, buf, (size_t)n, -1) != 0)
					rc = -1;
			if (in < 0 || out < 0)
				rc = -1;
			if (in >= 0)
				close(in);
			if (out >= 0)
				close(out);
		}
	}
	closedir(d);
	return rc;
}

/* Copy the tree at src into the existing folder dst (never through a
 * symlink at dst); pub as for copy_tree.  A private copy is the broker
 * account's: each file and folder is handed over as it is made, dst
 * itself last, so that the broker cannot reach into the tree while root
 * is still writing it. */
static int
copy_dir(const char *src, const char *dst, int pub)
{
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	uid_t ou = (uid_t)-1;
	gid_t og = (gid_t)-1;
	char err[256];
	int rc = -1;

	if (!pub && wp_account(WP_BROKER_ACCOUNT, &ou, &og, err, sizeof err) != 0) {
		fprintf(stderr, "ward: %s\n", err);
		ou = (uid_t)-1;
		if (sfd >= 0)
			close(sfd);
		sfd = -1;
	}
	if (sfd >= 0 && dfd >= 0)
		rc = copy_tree(sfd, dfd, 0, pub, ou, og);	/* closes sfd */
	if (rc == 0 && dfd >= 0 && ou != (uid_t)-1 && fchown(dfd, ou, og) != 0)
		rc = -1;
	else if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int
make_workspace(const struct ward_home *h, const char *sid, const char *seed,
	       char *ws, size_t wl)
{
	snprintf(ws, wl, "%s/%s", h->work, sid);
	if (mkdir(ws, 0700) != 0)
		return -1;
	if (seed[0] == '\0') {
		uid_t u;
		gid_t g;
		char err[256];

		if (wp_account(WP_BROKER_ACCOUNT, &u, &g, err, sizeof err) != 0 ||
		    lchown(ws, u, g) != 0)
			return -1;
		return 0;
	}
	return copy_dir(seed, ws, 0);
}

/* The agent's code, as it is now, in $WARD_HOME/agents/<session>: the
 * spawner binds nothing else at /agent, so a compromised broker cannot
 * mount an arbitrary host folder into a sandbox, and the agent cannot be
 * changed under a running transaction. */
static int
copy_agent(const struct ward_home *h, const char *sid, const char *src,
	   char *out, size_t ol)
{
	char top[WH_PATH + 16];

	snprintf(top, sizeof top, "%s/agents", h->home);
	if (mkdir(top, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(out, ol, "%s/%s", top, sid);
	if (mkdir(out, 0755) != 0 || chmod(out, 0755) != 0)
		return -1;
	return copy_dir(src, out, 1);
}

static int
mint_root(struct wb_blk *x, const struct pf_cap *c, const uint8_t op_pk[32],
	  const uint8_t op_sk[64], const uint8_t holder[32],
	  const uint8_t ctx[WARD_CTX_BYTES], const char *sid, uint64_t now)
{
	struct ward_block *b = &x->b;
	char scope[WARD_SCOPE_MAX + 64];

	memset(x, 0, sizeof *x);
	b->version = WARD_VERSION;
	b->kind = (uint8_t)c->kind;
	b->r_invoke = c->op == WARD_OP_TOOL_INVOKE || c->op == WARD_OP_EXEC ||
		      c->op == WARD_OP_NET_CONNECT;
	b->r_read = c->op == WARD_OP_FS_READ || c->op == WARD_OP_MEM_READ;
	b->r_write = c->op == WARD_OP_FS_WRITE || c->op == WARD_OP_MEM_WRITE;
	b->r_delegate = c->delegate ? 1 : 0;
	b->depth = c->delegate ? 3 : 0;
	memcpy(b->issuer, op_pk, 32);
	memcpy(b->holder, holder, 32);
	memcpy(b->context, ctx, WARD_CTX_BYTES);
	/* Two tool lines can ask for the same kind, rights, scope and uses
	 * (fs.read and fs.stat of /workspace): their blocks would be one
	 * block, with one use budget and one revocation.  A block has no
	 * field that names the tool, so each line's window starts a second
	 * apart, which makes every line a block of its own. */
	b->not_before = now - 60 - (uint64_t)c->line;
	b->not_after = now + c->expires_s;
	b->max_uses = c->uses;
	/* The memory of a transaction is its own partition. */
	if (c->kind == WARD_KIND_MEM)
		snprintf(scope, sizeof scope, "/mem/%s%s", sid,
			 strcmp(c->scope, "/") == 0 ? "" : c->scope);
	else
		snprintf(scope, sizeof scope, "%s", c->scope);
	if (strlen(scope) > WARD_SCOPE_MAX)
		return -1;
	b->scope_len = (uint16_t)strlen(scope);
	memcpy(b->scope, scope, b->scope_len);
	return wb_seal(x, op_sk);
}

static int
run_usage(FILE *f)
{
	fprintf(f,
		"usage: ward run [--home DIR] [--quiet] <agent> <task>\n"
		"\n"
		"Run an agent in a fresh sandbox as one transaction.  <agent> is a\n"
		"profile file or a folder holding 'profile.ward' (docs/profiles.md);\n"
		"<task> is given to the agent as $WARD_TASK.  ward run signs a grant\n"
		"with the operator key for exactly what the profile declares, has\n"
		"ward-core open a context from it, and the broker serves the agent's\n"
		"tool calls, each approved by the core and logged.  It starts\n"
		"ward-core and ward-broker when they are not running (state and\n"
		"logs under $WARD_HOME).  The workspace is a fresh copy of the\n"
		"profile's, in $WARD_HOME/work/<session>.\n"
		"\n"
		"Afterwards it prints the session's audit lines (unless --quiet).\n"
		"\n"
		"SIGINT (Ctrl-C), SIGTERM or SIGHUP: ward run asks the broker to\n"
		"end the session (its sandbox is killed, its context closed, its\n"
		"memory not committed), says so, and exits 7.\n"
		"\n"
		"exit status: 0 the agent succeeded, 1 it failed (any exit status\n"
		"of its own but 0), 2 usage, 3 no ward home (run 'ward init'),\n"
		"4 bad profile, 5 ward-core or ward-broker unreachable, 6 refused\n"
		"by the core, 7 agent ended (signal, time limit, revocation, cut\n"
		"off, ward run interrupted), 8 the profile cannot be read,\n"
		"125 the sandbox could not be set up (nothing ran).\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* The agent's output, from the pipes given to the broker in place of our
 * stdout and stderr, to ours, escaped (common/text.h; lines and tabs kept,
 * never a carriage return or an escape sequence), until the broker's next
 * line on ctl (the end of the run), which is returned (NULL: the broker is
 * gone).  Then what the pipes still hold, without waiting: the agent has
 * exited, so what it wrote is there already; a broker that keeps writing
 * is cut off after a second.  Never the terminal itself: what reaches it
 * from the agent or the broker is text we did not write, and a terminal
 * fd in a hostile process is also a way to type into the operator's
 * shell (TIOCSTI). */
/* The signal that interrupted ward run (SIGINT, SIGTERM, SIGHUP), or 0. */
static volatile sig_atomic_t run_sig;

static void
on_run_signal(int sig)
{
	run_sig = sig;
}

/* Ask the broker to end the session now (ward run was interrupted).  The
 * end of the session then comes on the run's own connection, as always. */
static void
tell_broker_stop(const struct ward_home *h, const char *sid)
{
	char buf[4096];
	size_t len = 0;
	json_t *rep;
	int fd = cli_ctl_connect(h);

	if (fd < 0)
		return;
	if (cli_ctl_send(fd, json_pack("{s:s, s:s, s:s}", "op", "stop", "session",
				   sid, "reason", "interrupted"), NULL, 0) == 0 &&
	    (rep = cli_ctl_read(fd, buf, sizeof buf, &len, 3000)) != NULL)
		json_decref(rep);
	close(fd);
}

static json_t *
relay_until_end(const struct ward_home *h, const char *sid, int ctl,
		char *buf, size_t cap, size_t *len, int out, int err)
{
	struct timespec asked;
	int stopping = 0;
	int fd[2] = { out, err };
	FILE *to[2] = { stdout, stderr };
	char chunk[16384];
	json_t *rep = NULL;
	struct timespec t0, t1;
	int ended = 0, i;

	for (;;) {
		struct pollfd p[3];
		int n = 0, w[3];
		ssize_t r;

		if (!ended && memchr(buf, '\n', *len) != NULL) {
			rep = cli_ctl_read(ctl, buf, cap, len, 0);
			ended = 1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		if (ended) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec >= 2 || (t1.tv_sec - t0.tv_sec == 1 &&
			    t1.tv_nsec >= t0.tv_nsec))
				break;
		}
		for (i = 0; i < 2; i++)
			if (fd[i] >= 0) {
				p[n].fd = fd[i];
				p[n].events = POLLIN;
				w[n++] = i;
			}
		if (!ended) {
			p[n].fd = ctl;
			p[n].events = POLLIN;
			w[n++] = 2;
		}
		if (n == 0)
			break;
		if (run_sig != 0 && !stopping && !ended) {
			tell_broker_stop(h, sid);
			stopping = 1;
			clock_gettime(CLOCK_MONOTONIC, &asked);
		}
		if (stopping && !ended) {
			/* The broker had 5 s to say the session ended: the
			 * run's connection closes below, which ends it too. */
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - asked.tv_sec > 5)
				break;
		}
		if (poll(p, (nfds_t)n, ended ? 0 : stopping ? 200 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (ended && p[0].revents == 0 && (n < 2 || p[1].revents == 0))
			break;		/* nothing more was written */
		for (i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (w[i] == 2) {
				r = *len < cap ? read(ctl, buf + *len, cap - *len) : 0;
				if (r <= 0 && !(r < 0 && errno == EINTR)) {
					ended = 1;	/* the broker is gone */
					clock_gettime(CLOCK_MONOTONIC, &t0);
				} else if (r > 0)
					*len += (size_t)r;
				continue;
			}
			r = read(fd[w[i]], chunk, sizeof chunk);
			if (r > 0) {
				(void)text_fwrite(chunk, (size_t)r, TEXT_KEEP_LINES,
						  to[w[i]]);
				fflush(to[w[i]]);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(fd[w[i]]);
				fd[w[i]] = -1;
			}
		}
	}
	for (i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rep;
}

static void
print_session_audit(const char *home, const char *sid)
{
	char *av[] = { "audit", "--home", (char *)home, "--session", (char *)sid,
		       NULL };

	fflush(stdout);
	(void)ward_audit_query(5, av);
}

/* The broker ended the session because its context is not open at the
 * core (why: "revoked" or "context_closed").  That is the broker's word:
 * the reason printed is the core's, asked on the admin socket. */
static void
session_gone(const struct ward_home *h, const uint8_t sk[64],
	     const uint8_t ctx[WARD_CTX_BYTES], const char *sid, const char *why)
{
	struct wb_ctxlist *l = malloc(sizeof *l);

	if (l == NULL || cc_admin_list(h->admin_url, sk, ctx, NULL, l) != 0 ||
	    l->r.reason != 0 || l->n == 0 ||
	    memcmp(l->c[0].context, ctx, WARD_CTX_BYTES) != 0) {
		fprintf(stderr, "ward run: ward-broker ended the session (it says "
			"reason=%s); ward-core did not confirm it\n",
			strcmp(why, "revoked") == 0 ? "revoked" : "context_closed");
	} else if (l->c[0].open) {
		fprintf(stderr, "ward run: ward-broker ended the session (it says "
			"reason=%s), but ward-core still has its context open\n",
			strcmp(why, "revoked") == 0 ? "revoked" : "context_closed");
	} else if (l->c[0].grant_revoked) {
		fprintf(stderr, "ward run: session %s revoked (reason=revoked): "
			"ward-core confirms its grant is revoked and its context "
			"closed; the agent's sandbox was killed\n", sid);
	} else {
		fprintf(stderr, "ward run: session %s ended (reason=context_closed): "
			"ward-core confirms its context is closed; the agent's "
			"sandbox was killed\n", sid);
	}
	free(l);
}

int
cmd_run(int argc, char **argv)
{
	struct ward_home h;
	struct pf_profile *p = NULL;
	uint8_t op_sk[64], op_pk[32], bk_pk[32], ctx[WARD_CTX_BYTES];
	char err[1024], sid[33], ws[WH_PATH + 64], prof[PATH_MAX + 32];
	char agent_copy[WH_PATH + 64];
	const char *dir = NULL, *agent = NULL, *task = NULL;
	char buf[65536];
	size_t blen = 0;
	json_t *q, *caps, *argvj, *rep;
	int i, ctl = -1, quiet = 0, rc = WX_UNAVAILABLE, fds[2] = { -1, -1 };
	int cleanlk = -1, wslk = -1;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct stat st;
	struct sigaction sa;
	uint64_t now = (uint64_t)time(NULL);
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	/* Options come before <agent>: the task is the agent's, whatever
	 * it looks like. */
	while ((c = cli_getopt(argc, argv, "run", "+qh", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			return run_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		agent = argv[optind++];
	if (optind < argc)
		task = argv[optind++];
	if (agent == NULL)
		return cli_usage_error("run", "no agent given; expected <agent> "
				       "<task>");
	if (task == NULL)
		return cli_usage_error("run", "no task given after '%s'; expected "
				       "<agent> <task>", agent);
	if (optind < argc)
		return cli_extra_arg("run", argv[optind], "<agent> <task> (quote "
				     "the task if it has spaces)");
	/* From here on an interruption ends the session, then ward run. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_run_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (strlen(task) > 2000) {
		fprintf(stderr, "ward run: the task is %zu bytes; at most 2000 fit "
			"in $WARD_TASK\n  hint: put it in a file of the workspace "
			"and name the file in the task\n", strlen(task));
		return WX_USAGE;
	}
	if (home_open(&h, dir, "run") != 0)
		return WX_HOME;
	if (stat(agent, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(prof, sizeof prof, "%s/profile.ward", agent);
	else
		snprintf(prof, sizeof prof, "%s", agent);
	if (access(prof, R_OK) != 0) {
		fprintf(stderr, "ward run: cannot read the profile %s: %s\n",
			text_str(err, sizeof err, prof), strerror(errno));
		return WX_UNREADABLE;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return WX_UNAVAILABLE;
	if (pf_load(prof, p, err, sizeof err) != 0) {
		fprintf(stderr, "ward run: %s\n", err);
		free(p);
		return WX_INPUT;
	}
	if (wh_read_key(h.op_key, op_sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward run: %s\n", err);
		free(p);
		return WX_HOME;
	}
	crypto_sign_ed25519_sk_to_pk(op_pk, op_sk);
	if (ensure_running(&h, op_sk, &ctl) != 0)
		goto out;
	if (cli_ctl_send(ctl, json_pack("{s:s}", "op", "hello"), NULL, 0) != 0 ||
	    (rep = cli_ctl_read(ctl, buf, sizeof buf, &blen, 5000)) == NULL) {
		fprintf(stderr, "ward run: ward-broker does not answer on %s\n",
			h.ctl);
		goto out;
	}
	if (wb_unhex(bk_pk, 32, json_string_value(json_object_get(rep, "key")))) {
		json_decref(rep);
		fprintf(stderr, "ward run: ward-broker sent no key\n");
		goto out;
	}
	json_decref(rep);
	randombytes_buf(ctx, sizeof ctx);
	wb_hex(sid, ctx, sizeof ctx);
	/* ward clean keeps what a ward run holds: the home's clean lock,
	 * shared, while the session's folders are made, then the
	 * workspace's own lock until the end of the run. */
	cleanlk = open(h.clean_lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0600);
	if (cleanlk < 0 || flock(cleanlk, LOCK_SH) != 0) {
		fprintf(stderr, "ward run: cannot lock %s: %s\n", h.clean_lock,
			strerror(errno));
		rc = WX_HOME;
		goto out;
	}
	if (make_workspace(&h, sid, p->workspace, ws, sizeof ws) == 0) {
		wslk = open(ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (wslk < 0 || flock(wslk, LOCK_SH) != 0) {
			fprintf(stderr, "ward run: cannot lock the workspace %s: "
				"%s\n", ws, strerror(errno));
			rc = WX_HOME;
			goto out;
		}
	} else {
		fprintf(stderr, "ward run: cannot prepare the workspace %s: %s\n",
			ws, strerror(errno));
		rc = WX_HOME;
		goto out;
	}
	if (copy_agent(&h, sid, p->dir, agent_copy, sizeof agent_copy) != 0) {
		fprintf(stderr, "ward run: cannot copy the agent %s to %s: %s\n",
			p->dir, agent_copy, strerror(errno));
		rc = WX_HOME;
		goto out;
	}
	close(cleanlk);
	cleanlk = -1;
	caps = json_array();
	for (i = 0; i < p->ncaps; i++) {
		struct wb_blk x;
		char hx[2 * WARD_BLOCK_MAX + 1];

		if (mint_root(&x, &p->caps[i], op_pk, op_sk, bk_pk, ctx, sid, now)) {
			fprintf(stderr, "ward run: %s:%d: cannot sign this "
				"capability (scope too long?)\n", prof, p->caps[i].line);
			json_decref(caps);
			rc = WX_INPUT;
			goto out;
		}
		wb_hex(hx, x.raw, x.len);
		json_array_append_new(caps, json_pack("{s:s, s:[s]}", "tool",
					p->caps[i].tool, "blocks", hx));
	}
	argvj = json_array();
	for (i = 0; i < p->argc; i++)
		json_array_append_new(argvj, json_string(p->argv[i]));
	q = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:i, s:i}",
		      "op", "run", "context", sid, "workspace", ws, "agent_dir",
		      agent_copy, "task", task, "caps", caps, "argv", argvj,
		      "memory", (json_int_t)p->mem_bytes, "tmp",
		      (json_int_t)p->tmp_bytes, "time_ms", (json_int_t)p->time_ms,
		      "pids", (int)p->pids, "cpu", (int)p->cpu);
	fflush(stdout);
	fflush(stderr);
	/* The agent writes into pipes that we print, escaped: never into our
	 * terminal (relay_until_end). */
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		json_decref(q);
		fprintf(stderr, "ward run: cannot make a pipe for the agent's "
			"output: %s\n", strerror(errno));
		goto out;
	}
	fds[0] = outp[1];
	fds[1] = errp[1];
	if (cli_ctl_send(ctl, q, fds, 2) != 0 ||
	    (rep = cli_ctl_read(ctl, buf, sizeof buf, &blen, 10000)) == NULL) {
		fprintf(stderr, "ward run: ward-broker did not take the run\n");
		goto out;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));
		char eb[1024];

		fprintf(stderr, "ward run: refused: %s\n", text_str(eb, sizeof eb, e));
		rc = e != NULL && strstr(e, "did not answer") != NULL ?
		     WX_UNAVAILABLE : WX_REFUSED;
		json_decref(rep);
		goto out;
	}
	json_decref(rep);
	fprintf(stderr, "ward run: session %s (%s), workspace %s\n", sid,
		p->name, ws);
	/* Only the broker (and the sandboxes it starts) hold the write ends. */
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	rep = relay_until_end(&h, sid, ctl, buf, sizeof buf, &blen, outp[0],
			      errp[0]);
	outp[0] = errp[0] = -1;
	if (rep == NULL && run_sig != 0) {
		fprintf(stderr, "ward run: interrupted (SIG%s): session %s ended "
			"as ward run let go of it; its sandbox dies with it\n",
			sigabbrev_np(run_sig), sid);
		rc = WX_KILLED;
		goto out;
	}
	if (rep == NULL) {
		fprintf(stderr, "ward run: lost the broker while the agent ran "
			"(its sandbox dies with the broker)\n");
		goto out;
	}
	{
		int code = (int)json_integer_value(json_object_get(rep, "code"));
		const char *ended = json_string_value(json_object_get(rep, "ended"));
		/* The broker says how the agent ended; an agent that exited
		 * 124 or 128 failed, it was not killed. */
		int exited = ended == NULL || strncmp(ended, "exit ", 5) == 0;
		char eb[128];

		if (ended != NULL)
			fprintf(stderr, "ward run: session %s ended: agent %s, %d "
				"calls, %d refused\n", sid, text_str(eb, sizeof eb, ended),
				(int)json_integer_value(json_object_get(rep, "calls")),
				(int)json_integer_value(json_object_get(rep, "refused")));
		else
			fprintf(stderr, "ward run: session %s ended: agent exit %d, %d "
				"calls, %d refused\n", sid, code,
				(int)json_integer_value(json_object_get(rep, "calls")),
				(int)json_integer_value(json_object_get(rep, "refused")));
		rc = !exited ? WX_KILLED : code == 0 ? WX_OK : ended == NULL &&
		     code >= 124 ? WX_KILLED : WX_FAILED;
		/* A sandbox that could not be set up ran nothing: it was
		 * not killed. */
		if (ended != NULL ? strcmp(ended, "setup_failed") == 0 :
		    code == 125)
			rc = WX_SETUP;
		const char *why = json_string_value(json_object_get(rep, "reason"));

		/* Cut off: the session was ended, whatever status the agent
		 * managed to exit with as its socket closed under it. */
		if (why != NULL && strcmp(why, "agent_not_reading") == 0) {
			fprintf(stderr, "ward run: ward-broker cut the session off "
				"(reason=agent_not_reading): the agent left its "
				"replies unread; its sandbox was killed\n");
			rc = WX_KILLED;
		}
		if (why != NULL && (strcmp(why, "revoked") == 0 ||
				    strcmp(why, "context_closed") == 0)) {
			session_gone(&h, op_sk, ctx, sid, why);
			rc = WX_KILLED;
		}
		if (rc == WX_SETUP)
			fprintf(stderr, "ward run: the sandbox could not be set "
				"up, nothing ran; see the message above\n");
		if (run_sig != 0) {
			fprintf(stderr, "ward run: interrupted (SIG%s): the "
				"session was ended and its sandbox killed\n",
				sigabbrev_np(run_sig));
			rc = WX_KILLED;
		}
	}
	json_decref(rep);
	if (!quiet)
		print_session_audit(h.home, sid);
out:
	if (run_sig != 0 && rc != WX_KILLED) {
		fprintf(stderr, "ward run: interrupted (SIG%s)\n",
			sigabbrev_np(run_sig));
		rc = WX_KILLED;
	}
	sodium_memzero(op_sk, sizeof op_sk);
	if (ctl >= 0)
		close(ctl);
	if (cleanlk >= 0)
		close(cleanlk);
	if (wslk >= 0)
		close(wslk);
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free(p);
	return rc;
}

/* ---- ward revoke ------------------------------------------------------------- */

static int
revoke_usage(FILE *f)
{
	fprintf(f,
		"usage: ward revoke [--home DIR] <session-id|cap-id>\n"
		"\n"
		"Revoke, as the operator (signed with keys/operator.key):\n"
		"  a session   its context is closed, its grant revoked, and every\n"
		"              context spawned from it closed too; the next call of\n"
		"              its agent or of any child is refused\n"
		"  a capability  one block (a session's grant, or a handle's full\n"
		"              id) and every delegation made from it\n"
		"Ids are resolved by ward-core (admin socket), never by the broker:\n"
		"an id may be abbreviated when the core has only one open session\n"
		"or session grant with that prefix; any other block needs its full\n"
		"64-digit id.  Revocation is durable: the core writes it to the\n"
		"audit log before it answers, and ward revoke then asks the core\n"
		"again, and says \"revoked\" only when the core confirms it.\n"
		"\n"
		"exit status: 0 revoked and confirmed, 2 usage, 3 no ward home,\n"
		"4 no such id (or an ambiguous prefix), 5 ward-core unreachable,\n"
		"6 refused by the core, or not confirmed by it.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* The core's answer to ListContexts, or a message and -1 (EX_* in *ex). */
static int
core_list(const struct ward_home *h, const uint8_t sk[64], const uint8_t *ctx,
	  const uint8_t *block_id, struct wb_ctxlist *l, const char *cmd, int *ex)
{
	if (cc_admin_list(h->admin_url, sk, ctx, block_id, l) != 0) {
		fprintf(stderr, "ward %s: ward-core does not answer on %s (or its "
			"answer is not well formed)\n  start it (ward run starts "
			"it) and retry\n", cmd, h->admin_url);
		*ex = WX_UNAVAILABLE;
		return -1;
	}
	if (l->r.reason != 0) {
		fprintf(stderr, "ward %s: the core refused to list its contexts: "
			"%s (%s)\n", cmd, l->r.detail, cc_reason_name(l->r.reason));
		*ex = WX_REFUSED;
		return -1;
	}
	return 0;
}

/* Is the session ctx closed at the core, with its grant revoked and every
 * context spawned from it closed?  1 yes, 0 no (why says what is not),
 * -1 the core did not answer (message printed, *ex set). */
static int
session_revoked(const struct ward_home *h, const uint8_t sk[64],
		const uint8_t ctx[16], struct wb_ctxlist *l, char *why,
		size_t wl, int *ex)
{
	char hx[33];
	uint32_t i;

	if (core_list(h, sk, ctx, NULL, l, "revoke", ex) != 0)
		return -1;
	if (l->n == 0 || memcmp(l->c[0].context, ctx, 16) != 0) {
		snprintf(why, wl, "the core no longer lists the session");
		return 0;
	}
	if (l->c[0].open) {
		snprintf(why, wl, "the core still has the session's context open");
		return 0;
	}
	if (!l->c[0].grant_revoked) {
		snprintf(why, wl, "the session's grant is not in the core's "
			 "revocation set");
		return 0;
	}
	for (i = 1; i < l->n; i++)
		if (l->c[i].open) {
			wb_hex(hx, l->c[i].context, 16);
			snprintf(why, wl, "the core still has child session %s open",
				 hx);
			return 0;
		}
	if (l->truncated) {
		snprintf(why, wl, "the session has more children than the core "
			 "lists at once; check them with 'ward status'");
		return 0;
	}
	return 1;
}

/* After the core confirmed a session's revocation: ask the broker to end
 * the session's sandboxes now, rather than at the agent's next call (which
 * the core refuses either way).  A convenience: its answer changes
 * nothing, and a broker that is not running has nothing to end. */
static void
tell_broker_revoked(const struct ward_home *h, const char *sid)
{
	char buf[4096];
	size_t len = 0;
	json_t *rep;
	int fd = cli_ctl_connect(h);

	if (fd < 0)
		return;
	if (cli_ctl_send(fd, json_pack("{s:s, s:s, s:s}", "op", "stop", "session",
				   sid, "reason", "revoked"), NULL, 0) == 0 &&
	    (rep = cli_ctl_read(fd, buf, sizeof buf, &len, 3000)) != NULL)
		json_decref(rep);
	close(fd);
}

int
cmd_revoke(int argc, char **argv)
{
	struct ward_home h;
	struct wb_ctxlist *l = NULL;
	uint8_t sk[64], id[32], ctx[16];
	const char *dir = NULL, *target = NULL;
	char err[512], full[65] = "", hx[65], why[160], owner[33] = "";
	int i, is_ctx = 0, found = 0, was_open = 0, rc = WX_UNAVAILABLE, ok;
	uint32_t k;
	size_t n;
	struct wb_reply r;

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((i = cli_getopt(argc, argv, "revoke", "h", lo)) != -1) {
		switch (i) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return revoke_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		target = argv[optind++];
	if (target == NULL)
		return cli_usage_error("revoke", "no id given; expected a "
				       "session id or a capability id");
	if (optind < argc)
		return cli_extra_arg("revoke", argv[optind], "one id");
	if (home_open(&h, dir, "revoke") != 0)
		return WX_HOME;
	n = strlen(target);
	for (k = 0; k < n; k++)
		if (!((target[k] >= '0' && target[k] <= '9') ||
		      (target[k] >= 'a' && target[k] <= 'f')))
			break;
	if (n == 0 || n > 64 || k < n)
		return cli_usage_error("revoke", "'%s' is not an id; expected 1 "
				       "to 64 lower-case hex digits, as ward run "
				       "and ward status print them", target);
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward revoke: %s\n", err);
		return WX_HOME;
	}
	l = malloc(sizeof *l);
	if (l == NULL)
		goto out;
	/* Resolve through the core: its open sessions and their grants.
	 * The broker's list is never read here: a compromised broker could
	 * name anything after the session the operator means. */
	if (core_list(&h, sk, NULL, NULL, l, "revoke", &rc) != 0)
		goto out;
	for (k = 0; k < l->n; k++) {
		wb_hex(hx, l->c[k].context, 16);
		if (n <= 32 && strncmp(hx, target, n) == 0) {
			found++;
			is_ctx = 1;
			was_open = 1;
			snprintf(full, sizeof full, "%s", hx);
		}
		wb_hex(hx, l->c[k].grant, 32);
		if (strncmp(hx, target, n) == 0) {
			found++;
			is_ctx = 0;
			snprintf(full, sizeof full, "%s", hx);
		}
	}
	if (found > 1) {
		fprintf(stderr, "ward revoke: '%s' is ambiguous: %d open sessions "
			"or grants at the core start with it; give more of the "
			"id\n", target, found);	/* hex digits only: checked */
		rc = WX_INPUT;
		goto out;
	}
	if (found == 0 && n == 32) {
		/* Not open: the core may still know it (ended, or revoked). */
		if (wb_unhex(ctx, 16, target) != 0 ||
		    core_list(&h, sk, ctx, NULL, l, "revoke", &rc) != 0)
			goto out;
		if (l->n == 0) {
			fprintf(stderr, "ward revoke: the core never opened a "
				"session %s\n  nothing was revoked; 'ward status' "
				"lists the open ones\n", target);
			rc = WX_INPUT;
			goto out;
		}
		is_ctx = 1;
		snprintf(full, sizeof full, "%s", target);
	} else if (found == 0 && n == 64) {
		/* A block the core does not know as a grant (a handle of a
		 * session, a delegation): the operator typed it in full. */
		snprintf(full, sizeof full, "%s", target);
	} else if (found == 0) {
		fprintf(stderr, "ward revoke: no session open at the core, and no "
			"grant of one, starts with '%s'\n  nothing was revoked; "
			"give the full id (32 hex digits for a session, 64 for a "
			"capability)\n", target);
		rc = WX_INPUT;
		goto out;
	}
	if (is_ctx ? wb_unhex(ctx, 16, full) : wb_unhex(id, 32, full)) {
		fprintf(stderr, "ward revoke: bad id\n");
		rc = WX_USAGE;
		goto out;
	}
	if (cc_admin_revoke(h.admin_url, sk, is_ctx ? ctx : NULL,
			    is_ctx ? NULL : id, &r) != 0) {
		fprintf(stderr, "ward revoke: ward-core does not answer on %s\n"
			"  nothing was revoked; start it (ward run starts it) and "
			"retry\n", h.admin_url);
		rc = WX_UNAVAILABLE;
		goto out;
	}
	if (r.reason != 0) {
		char db[1024];

		fprintf(stderr, "ward revoke: the core refused: %s (%s, audit #%llu)\n",
			text_str(db, sizeof db, r.detail), cc_reason_name(r.reason),
			(unsigned long long)r.audit_pos);
		rc = WX_REFUSED;
		goto out;
	}
	/* Trust the revocation only once the core, asked again, confirms it. */
	if (is_ctx) {
		ok = session_revoked(&h, sk, ctx, l, why, sizeof why, &rc);
	} else {
		ok = core_list(&h, sk, NULL, id, l, "revoke", &rc) == 0 ? 1 : -1;
		if (ok == 1 && !l->block_revoked) {
			ok = 0;
			snprintf(why, sizeof why, "the block is not in the core's "
				 "revocation set");
		}
		for (k = 0; ok == 1 && k < l->n; k++)
			if (memcmp(l->c[k].grant, id, 32) == 0)
				wb_hex(owner, l->c[k].context, 16);
	}
	if (ok < 0) {
		fprintf(stderr, "ward revoke: the core accepted the revocation "
			"(audit #%llu) but did not answer when asked to confirm "
			"it\n  check with 'ward status' or 'ward audit --filter "
			"revoke'\n", (unsigned long long)r.audit_pos);
		goto out;
	}
	if (ok == 0) {
		fprintf(stderr, "ward revoke: NOT confirmed: the core accepted the "
			"revocation of %s %s (audit #%llu), but asked again, %s\n"
			"  treat it as not revoked; see 'ward audit --filter revoke' "
			"and ward-core's log\n", is_ctx ? "session" : "capability",
			full, (unsigned long long)r.audit_pos, why);
		rc = WX_REFUSED;
		goto out;
	}
	if (is_ctx)
		tell_broker_revoked(&h, full);
	if (is_ctx)
		printf("revoked session %s: the core confirms its grant is revoked "
		       "and its context%s and every child context closed (audit "
		       "#%llu)\n", full, was_open ? "" : " (already ended)",
		       (unsigned long long)r.audit_pos);
	else
		printf("revoked capability %s: the core confirms it and every "
		       "delegation made from it are refused from now on (audit "
		       "#%llu)%s%s%s\n", full, (unsigned long long)r.audit_pos,
		       owner[0] != '\0' ? "\n  it is the grant of session " : "",
		       owner, owner[0] != '\0' ? ", which stays open with its "
		       "other capabilities (revoke the session to end it)" : "");
	rc = WX_OK;
out:
	sodium_memzero(sk, sizeof sk);
	free(l);
	return rc;
}

/* ---- ward policy ------------------------------------------------------------- */

static int
policy_usage(FILE *f)
{
	fprintf(f,
		"usage: ward policy check FILE...\n"
		"\n"
		"Check profiles with the validator ward run and ward mcp use: agent\n"
		"profiles (docs/profiles.md) and gateway profiles, the ones with\n"
		"server lines (gateway/README.md).  Each error is printed as\n"
		"file:line:column: error: what, with a hint on the next line.  A\n"
		"profile that checks prints what it would grant.\n"
		"\n"
		"exit status: 0 every file checks, 2 usage, 4 a file does not,\n"
		"8 a file cannot be read.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* A gateway profile is one with a server line (a word 'server' first on
 * a line); the lexer's rules (common/profile.c) decide what a word is. */
static int
is_gateway_profile(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	int r = 0;

	if (f == NULL)
		return 0;
	while (r == 0 && fgets(line, sizeof line, f) != NULL) {
		const char *s = line + strspn(line, " \t");

		r = strncmp(s, "server", 6) == 0 &&
		    (s[6] == ' ' || s[6] == '\t' || s[6] == '\n' || s[6] == '\r' ||
		     s[6] == '\0');
	}
	fclose(f);
	return r;
}

/* A gateway profile, through ward mcp's own loader. */
static int
check_gateway(const char *path)
{
	struct gw_profile *g = calloc(1, sizeof *g);
	char err[1024], b1[256], b2[256];
	int s, i;

	if (g == NULL)
		return WX_FAILED;
	if (gw_profile_load(path, g, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(g);
		return WX_INPUT;
	}
	printf("%s: ok: gateway %s, %d server%s\n", text_str(b1, sizeof b1, path),
	       g->name, g->nservers, g->nservers == 1 ? "" : "s");
	for (s = 0; s < g->nservers; s++) {
		const struct gw_server *v = &g->srv[s];

		printf("  server %s runs %s%s\n", v->name,
		       text_str(b2, sizeof b2, v->argv[0]), v->argc > 1 ? " ..." : "");
		for (i = 0; i < v->nallow; i++)
			printf("    allow %-28s uses %u, expires %llus\n",
			       v->allow[i].scope, v->allow[i].uses,
			       (unsigned long long)v->allow[i].expires_s);
	}
	gw_profile_free(g);
	free(g);
	return WX_OK;
}

int
cmd_policy(int argc, char **argv)
{
	struct pf_profile *p;
	char err[1024];
	int i, j, rc = WX_OK;

	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0))
		return policy_usage(stdout);
	if (argc < 2)
		return cli_usage_error("policy", "no subcommand; expected check "
				       "FILE...");
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error("policy", "unknown subcommand '%s'; "
				       "expected check FILE...", argv[1]);
	while ((c = cli_getopt(argc - 1, argv + 1, "policy", "h", lo)) != -1) {
		if (c == 'h')
			return policy_usage(stdout);
		return WX_USAGE;
	}
	if (optind >= argc - 1)
		return cli_usage_error("policy", "no file given; expected check "
				       "FILE...");
	p = malloc(sizeof *p);
	if (p == NULL)
		return WX_FAILED;
	for (i = 1 + optind; i < argc; i++) {
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "ward policy: cannot read %s: %s\n",
				text_str(err, sizeof err, argv[i]), strerror(errno));
			if (rc == WX_OK)
				rc = WX_UNREADABLE;
			continue;
		}
		if (is_gateway_profile(argv[i])) {
			int g = check_gateway(argv[i]);

			if (g != WX_OK && rc == WX_OK)
				rc = g;
			continue;
		}
		if (pf_load(argv[i], p, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			rc = WX_INPUT;
			continue;
		}
		printf("%s: ok: name %s, runs", argv[i], p->name);
		for (j = 0; j < p->argc; j++)
			printf(" %s", p->argv[j]);
		printf("\n");
		for (j = 0; j < p->ncaps; j++)
			printf("  allow %-12s %-24s uses %u, expires %llus%s\n",
			       p->caps[j].tool, p->caps[j].scope, p->caps[j].uses,
			       (unsigned long long)p->caps[j].expires_s,
			       p->caps[j].delegate ? ", delegable" : "");
		printf("  limits: memory %lluM, tmp %lluM, pids %u, cpu %u%%, "
		       "time %llus\n", (unsigned long long)(p->mem_bytes >> 20),
		       (unsigned long long)(p->tmp_bytes >> 20), p->pids, p->cpu,
		       (unsigned long long)(p->time_ms / 1000));
	}
	free(p);
	return rc;
}

/* ---- the audit query --------------------------------------------------------- */

struct aq {
	const char *session;
	const char *filter;
	int json;
	uint64_t from;		/* print records from this seq on */
	uint64_t next;
	unsigned printed;
};

/* A decision or event record (ar_decode) belongs to the context ctx (an
 * id prefix): its own, or for a spawn event the parent's too. */
static int
of_context(const struct ar_rec *d, const char *ctx)
{
	char h1[33], h2[33];
	size_t n = strlen(ctx);

	if (d->damaged || (d->type != JR_DECISION && d->type != JR_EVENT))
		return 0;
	wb_hex(h1, d->context, WARD_CTX_BYTES);
	wb_hex(h2, d->context2, WARD_CTX_BYTES);
	return strncmp(h1, ctx, n) == 0 ||
	       (d->type == JR_EVENT && d->event == JK_SPAWN &&
		strncmp(h2, ctx, n) == 0);
}

static int
match_filter(const struct ar_rec *d, const char *f)
{
	int dec = d->type == JR_DECISION && !d->damaged;
	int ev = d->type == JR_EVENT && !d->damaged;
	unsigned op = dec ? d->op : 0;
	unsigned verdict = dec || ev ? d->verdict : 0;
	unsigned kind = ev ? d->event : 0;

	if (f == NULL)
		return 1;
	if (strcmp(f, "network") == 0 || strcmp(f, "net") == 0)
		return op == WARD_OP_NET_CONNECT;
	if (strcmp(f, "fs") == 0)
		return op == WARD_OP_FS_READ || op == WARD_OP_FS_WRITE;
	if (strcmp(f, "exec") == 0)
		return op == WARD_OP_EXEC;
	if (strcmp(f, "memory") == 0 || strcmp(f, "mem") == 0)
		return op == WARD_OP_MEM_READ || op == WARD_OP_MEM_WRITE;
	if (strcmp(f, "tool") == 0)
		return op == WARD_OP_TOOL_INVOKE;
	if (strcmp(f, "blocked") == 0)
		return verdict == JV_BLOCKED;
	if (strcmp(f, "allowed") == 0)
		return verdict == JV_ALLOWED;
	if (strcmp(f, "log") == 0)
		return ev && kind == JK_LOG;
	if (strcmp(f, "spawn") == 0)
		return ev && (kind == JK_SPAWN || kind == JK_ATTENUATE);
	if (strcmp(f, "revoke") == 0)
		return ev && kind == JK_REVOKE;
	if (strcmp(f, "lifecycle") == 0)
		return ev && (kind == JK_OPEN || kind == JK_CLOSE ||
			      kind == JK_SPAWN || kind == JK_REVOKE);
	return 0;
}

static const char *const filters[] = {
	"network", "fs", "exec", "memory", "tool", "blocked", "allowed", "log",
	"spawn", "revoke", "lifecycle", NULL
};

static int
aq_one(const struct jr_rec *r, void *arg)
{
	struct aq *a = arg;
	struct ar_rec d;
	char line[AR_LINE_MAX];

	a->next = r->seq + 1;
	if (r->seq < a->from)
		return 0;
	ar_decode(r, &d);
	if (a->session != NULL && !of_context(&d, a->session))
		return 0;
	if (!match_filter(&d, a->filter))
		return 0;
	if (a->json)
		ar_json(&d, line, sizeof line);
	else
		ar_text(&d, line, sizeof line);
	printf("%s\n", line);
	a->printed++;
	return 0;
}

static int
aq_usage(FILE *f)
{
	fprintf(f,
		"usage: ward audit [--home DIR] [--context ID] [--filter KIND] "
		"[--json] [--follow]\n"
		"       ward audit verify | show   (see 'ward audit verify --help')\n"
		"\n"
		"Query the audit log.  --context (or --session) keeps the records\n"
		"of one context, the session of one run (an id prefix; a child's\n"
		"spawn record shows under its parent too).\n"
		"--filter KIND: network, fs, exec, memory, tool, blocked, allowed,\n"
		"log, spawn, revoke, lifecycle.  --json prints one JSON object a\n"
		"line, with the fields and names of the text line (see\n"
		"docs/glossary.md).  --follow keeps printing new records as they\n"
		"are written.\n"
		"The log is checked as it is read; a bad record stops the query.\n"
		"\n"
		"exit status: 0 ok, 1 the log does not verify, 2 usage, 3 no home,\n"
		"8 the log cannot be read.  SIGINT or SIGTERM ends --follow: exit 0.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

int
ward_audit_query(int argc, char **argv)
{
	struct ward_home h;
	struct jr_result res;
	struct aq a;
	uint8_t core_pk[32];
	const char *dir = NULL;
	char err[512];
	int i, follow = 0;

	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "context", required_argument, NULL, 's' },
		{ "session", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(&a, 0, sizeof a);
	while ((c = cli_getopt(argc, argv, "audit", "fh", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 's':
			a.session = optarg;
			break;
		case 'F':
			a.filter = optarg;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'f':
			follow = 1;
			break;
		case 'h':
			return aq_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("audit", argv[optind], "verify, show, or "
				     "the query options before any other word");
	if (a.filter != NULL) {
		int ok = 0;

		for (i = 0; filters[i] != NULL; i++)
			ok |= strcmp(filters[i], a.filter) == 0;
		ok |= strcmp(a.filter, "net") == 0 || strcmp(a.filter, "mem") == 0;
		if (!ok)
			return cli_usage_error("audit", "unknown filter '%s'; "
					       "expected one of: network, fs, exec, "
					       "memory, tool, blocked, allowed, log, "
					       "spawn, revoke, lifecycle", a.filter);
	}
	if (sodium_init() < 0)
		return WX_FAILED;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		char b[1024];

		fprintf(stderr, "ward audit: %s\n  run 'ward init' first (or set "
			"WARD_HOME or --home)\n", text_str(b, sizeof b, err));
		return WX_HOME;
	}
	if (follow) {
		/* Following ends with SIGINT or SIGTERM: that is its end, and
		 * everything read so far has been printed. */
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_run_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		a.from = a.next;
		if (jr_scan(h.log, core_pk, aq_one, &a, &res) != 0) {
			fprintf(stderr, "ward audit: cannot read %s: %s\n", h.log,
				res.why);
			return WX_UNREADABLE;
		}
		fflush(stdout);
		if (!res.ok && !res.torn) {
			fprintf(stderr, "ward audit: the log does not verify at "
				"record %llu: %s\n  run 'ward audit verify'\n",
				(unsigned long long)res.bad_rec, res.why);
			return WX_FAILED;
		}
		if (!follow || run_sig != 0)
			break;
		usleep(300000);
	}
	return WX_OK;
}

/* ---- status: the broker's part ------------------------------------------------ */

static json_t *
broker_list(const struct ward_home *h)
{
	char buf[256 * 1024];
	size_t blen = 0;
	int fd = cli_ctl_connect(h);
	json_t *rep;

	if (fd < 0)
		return NULL;
	if (cli_ctl_send(fd, json_pack("{s:s}", "op", "list"), NULL, 0) != 0) {
		close(fd);
		return NULL;
	}
	rep = cli_ctl_read(fd, buf, sizeof buf, &blen, 5000);
	close(fd);
	return rep;
}



/* The index of the core's open context whose id (hex) is s, or -1. */
static int
core_ctx_of(const struct wb_ctxlist *l, const char *s)
{
	char hx[33];
	uint32_t k;

	for (k = 0; l != NULL && s != NULL && k < l->n; k++) {
		wb_hex(hx, l->c[k].context, 16);
		if (strcmp(hx, s) == 0)
			return (int)k;
	}
	return -1;
}

/* The index of the core's open context whose grant (hex) is s, or -1. */
static int
core_grant_of(const struct wb_ctxlist *l, const char *s)
{
	char hx[65];
	uint32_t k;

	for (k = 0; l != NULL && s != NULL && k < l->n; k++) {
		wb_hex(hx, l->c[k].grant, 32);
		if (strcmp(hx, s) == 0)
			return (int)k;
	}
	return -1;
}

/* What 'ward status' adds after the core's counters: the sessions open at
 * the core (its own list, what ward revoke acts on), the host's sandbox
 * features, and last, marked as such, what the broker says: its pid, its
 * live sessions and their handles, escaped, each checked against the
 * core's list.  For cmd_status (cli/cmd_audit.c) to call after the
 * core's part.  0, or 1 when the core or the broker does not answer. */
int
ward_status_broker(const char *home_dir, int core_up)
{
	struct ward_home h;
	struct ward_sb_probe pr;
	struct wb_ctxlist *cl = NULL;
	uint8_t sk[64];
	char err[512], a[200], b[200], c[200], hx[65], ph[33];
	json_t *lst, *sess, *s, *hs, *hh;
	size_t k, m;
	uint32_t i;
	int fd, rc = 0;

	if (wh_resolve(&h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward status: %s\n", err);
		return 1;
	}
	cl = core_up ? malloc(sizeof *cl) : NULL;
	if (cl != NULL && wh_read_key(h.op_key, sk, 64, err, sizeof err) == 0) {
		if (cc_admin_list(h.admin_url, sk, NULL, NULL, cl) != 0 ||
		    cl->r.reason != 0) {
			free(cl);
			cl = NULL;
		}
		sodium_memzero(sk, sizeof sk);
	} else {
		free(cl);
		cl = NULL;
	}
	if (cl == NULL) {
		printf("sessions open at the core: unknown (no answer on %s)\n",
		       h.admin_url);
		rc = 1;
	} else {
		printf("sessions open at the core: %u (the core's own list; ward "
		       "revoke acts on these)\n", cl->n);
		for (i = 0; i < cl->n; i++) {
			wb_hex(hx, cl->c[i].context, 16);
			wb_hex(ph, cl->c[i].parent, 16);
			printf("  session %s%s%s\n", hx, cl->c[i].has_parent ?
			       " child of " : "", cl->c[i].has_parent ? ph : "");
			wb_hex(hx, cl->c[i].grant, 32);
			printf("    grant %s%s\n", hx, cl->c[i].grant_revoked ?
			       " (revoked)" : "");
		}
	}
	ward_sb_probe_host(&pr, NULL);
	printf("sandbox:        landlock ABI %d, seccomp filter %s, user "
	       "notification %s, user namespaces %s, idmapped mounts %s\n",
	       pr.landlock_abi, pr.seccomp_filter ? "yes" : "NO",
	       pr.seccomp_notify ? "yes" : "NO", pr.userns ? "yes" : "NO",
	       pr.idmap ? "yes" : "NO");
	printf("cgroups:        memory %s, pids %s, cpu %s\n",
	       pr.cgroup_memory[0] ? pr.cgroup_memory : "none",
	       pr.cgroup_pids[0] ? pr.cgroup_pids : "none",
	       pr.cgroup_cpu[0] ? pr.cgroup_cpu : "none");

	/* Everything below is the broker's word, which a compromised broker
	 * chooses: shown escaped, as a claim, never acted on. */
	fd = cli_ctl_connect(&h);
	if (fd < 0) {
		printf("broker says: nothing (not running; ward run starts it)\n");
		free(cl);
		return 1;
	}
	printf("broker says (its own claims, not checked by the core unless "
	       "marked so):\n");
	{
		char buf[4096];
		size_t blen = 0;
		json_t *hello = NULL;

		if (cli_ctl_send(fd, json_pack("{s:s}", "op", "hello"), NULL, 0) == 0)
			hello = cli_ctl_read(fd, buf, sizeof buf, &blen, 5000);
		close(fd);
		printf("  broker:       pid %lld, %lld tool calls served\n",
		       (long long)json_integer_value(json_object_get(hello, "pid")),
		       (long long)json_integer_value(json_object_get(hello, "calls")));
		json_decref(hello);
	}
	lst = broker_list(&h);
	sess = json_object_get(lst, "sessions");
	printf("  live sessions: %zu\n", json_array_size(sess));
	json_array_foreach(sess, k, s) {
		const char *sid = json_string_value(json_object_get(s, "session"));
		const char *par = json_string_value(json_object_get(s, "parent"));

		printf("    session %s%s%s: %lld calls, %lld refused  [%s]\n",
		       text_str(a, sizeof a, sid), par != NULL ? " child of " : "",
		       par != NULL ? text_str(b, sizeof b, par) : "",
		       (long long)json_integer_value(json_object_get(s, "calls")),
		       (long long)json_integer_value(json_object_get(s, "refused")),
		       cl == NULL ? "the core did not answer: unchecked" :
		       core_ctx_of(cl, sid) >= 0 ? "the core has it open" :
		       "NOT a session open at the core");
		hs = json_object_get(s, "handles");
		json_array_foreach(hs, m, hh) {
			const char *id = json_string_value(json_object_get(hh, "id"));
			int g = core_grant_of(cl, id);

			if (g >= 0)
				wb_hex(ph, cl->c[g].context, 16);
			printf("      cap %s  %s %s uses %lld  [%s%s]\n",
			       text_str(a, sizeof a, id),
			       text_str(b, sizeof b, json_string_value(json_object_get(hh, "tool"))),
			       text_str(c, sizeof c, json_string_value(json_object_get(hh, "scope"))),
			       (long long)json_integer_value(json_object_get(hh, "uses")),
			       g >= 0 ? "the core knows it: grant of session " :
			       "unchecked: not a grant the core knows",
			       g >= 0 ? ph : "");
		}
	}
	json_decref(lst);
	free(cl);
	return rc;
}
