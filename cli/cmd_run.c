/*
 * cmd_run.c -- ward run: sign a grant for the agent's profile and have the
 * broker run it, starting ward-core and ward-broker when they are not
 * running; and the CLI's side of the broker's control socket
 * (cmd_ctl.h).  The operator key signs the grants here, in the CLI: the
 * broker never sees it.  Not part of the verified core.
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


int
cli_home_open(struct ward_home *h, const char *dir, const char *cmd)
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

int
cli_start_core(const struct ward_home *h, const uint8_t sk[64])
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
	return 0;
}

static int
ensure_running(const struct ward_home *h, const uint8_t sk[64], int *ctl)
{
	int i;

	if (cli_start_core(h, sk) != 0)
		return -1;
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

int
cli_vault_has(const struct ward_home *h, const uint8_t sk[64],
	      struct cli_vault_names *v, const char *scope, const char *prof,
	      int line, const char *cmd, const char *done)
{
	const char *at = strchr(scope, '@');
	size_t len = at != NULL ? (size_t)(at - scope) : strlen(scope);
	char pb[1100];
	struct wb_reply r;
	uint32_t k;

	if (!v->asked) {
		if (cc_admin_secret_list(h->admin_url, sk, v->names, &v->n,
					 &r) != 0 || r.reason != 0) {
			fprintf(stderr, "%s: ward-core did not list its secrets "
				"on %s\n", cmd, h->admin_url);
			return -1;
		}
		v->asked = 1;
	}
	for (k = 0; k < v->n; k++)
		if (strlen(v->names[k]) == len &&
		    strncmp(v->names[k], scope, len) == 0)
			return 0;
	fprintf(stderr, "%s: %s:%d: the vault holds no secret %.*s\n  hint: "
		"store it first: ward secret set %.*s (the value on standard "
		"input); nothing was %s\n", cmd, text_str(pb, sizeof pb, prof),
		line, (int)len, scope, (int)len, scope, done);
	return -1;
}

/* Each secret a profile binds is in the core's vault (cli_vault_has).
 * 0, or -1 with the message on stderr. */
static int
secrets_present(const struct ward_home *h, const uint8_t sk[64],
		const struct pf_profile *p, const char *prof)
{
	struct cli_vault_names v = { .n = 0, .asked = 0 };
	int i;

	for (i = 0; i < p->ncaps; i++)
		if (p->caps[i].kind == WARD_KIND_SECRET &&
		    strchr(p->caps[i].scope, '@') != NULL &&
		    cli_vault_has(h, sk, &v, p->caps[i].scope, prof,
				  p->caps[i].line, "ward run", "run") != 0)
			return -1;
	return 0;
}

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
	char live[4200];
	uid_t u;
	gid_t g;
	char err[256];

	/* Beside the workspace, the folder of the copy its sandboxes see
	 * (broker/commit.c): made here, empty, for the broker's account,
	 * which cannot make folders in work/. */
	snprintf(live, sizeof live, "%s/%s.live", h->work, sid);
	if (mkdir(live, 0700) != 0 ||
	    wp_account(WP_BROKER_ACCOUNT, &u, &g, err, sizeof err) != 0 ||
	    lchown(live, u, g) != 0)
		return -1;
	/* And the folder of its children's copies (each child writes into
	 * a copy of its parent's, committed into it under the child's own
	 * capabilities when the child ends). */
	snprintf(live, sizeof live, "%s/%s.kids", h->work, sid);
	if (mkdir(live, 0700) != 0 || lchown(live, u, g) != 0)
		return -1;
	snprintf(ws, wl, "%s/%s", h->work, sid);
	if (mkdir(ws, 0700) != 0)
		return -1;
	if (seed[0] == '\0')
		return lchown(ws, u, g) != 0 ? -1 : 0;
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
	/* As op_granted (core/ward.h) reads them: secret.use needs read. */
	b->r_read = c->op == WARD_OP_FS_READ || c->op == WARD_OP_MEM_READ ||
		    c->op == WARD_OP_SECRET_USE;
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

void
cli_ctl_stop(const struct ward_home *h, const char *sid, const char *why)
{
	char buf[4096];
	size_t len = 0;
	json_t *rep;
	int fd = cli_ctl_connect(h);

	if (fd < 0)
		return;
	if (cli_ctl_send(fd, json_pack("{s:s, s:s, s:s}", "op", "stop", "session",
				   sid, "reason", why), NULL, 0) == 0 &&
	    (rep = cli_ctl_read(fd, buf, sizeof buf, &len, 3000)) != NULL)
		json_decref(rep);
	close(fd);
}

/* The calls of this session (or of a context spawned from it) that wait
 * for the operator, as ward-core lists them (the core's word, never the
 * broker's): each is announced once on stderr, with the commands that
 * answer it.  Asked at most once a second, and only for a profile with an
 * `ask` line. */
struct asked_calls {
	const uint8_t *sk;		/* the operator key, NULL: never ask */
	const uint8_t *ctx;		/* the session */
	struct timespec last;
	uint64_t seen[64];		/* ids announced (the last 64) */
	unsigned n;
};

static void
announce_pending(const struct ward_home *h, struct asked_calls *a)
{
	static struct wb_pendlist l;
	static struct wb_ctxlist kids;
	struct timespec now;
	char res[4 * WARD_SCOPE_MAX + 8];
	uint32_t k, j;
	unsigned i;
	int have_kids = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (a->sk == NULL || (now.tv_sec - a->last.tv_sec < 1 &&
			      a->last.tv_sec != 0))
		return;
	a->last = now;
	if (cc_admin_pending(h->admin_url, a->sk, &l) != 0 || l.r.reason != 0)
		return;
	for (k = 0; k < l.n; k++) {
		const struct wb_pendinfo *c = &l.c[k];
		int mine = memcmp(c->context, a->ctx, WARD_CTX_BYTES) == 0;

		for (i = 0; i < a->n && i < 64; i++)
			if (a->seen[i] == c->id)
				break;
		if (c->state != 1 || (i < a->n && i < 64))
			continue;
		if (!mine && !have_kids)
			have_kids = cc_admin_list(h->admin_url, a->sk, a->ctx,
						  NULL, &kids) == 0 ? 1 : -1;
		for (j = 0; !mine && have_kids > 0 && j < kids.n; j++)
			mine = memcmp(kids.c[j].context, c->context,
				      WARD_CTX_BYTES) == 0;
		if (!mine)
			continue;
		a->seen[a->n++ % 64] = c->id;
		text_escape(res, sizeof res, c->resource, c->rlen, 0);
		fprintf(stderr, "ward run: call %llu (%s %s) waits for the "
			"operator until %llds from now: 'ward pending' shows it, "
			"'ward approve %llu' or 'ward deny %llu' answers it\n",
			(unsigned long long)c->id, wn_op(c->op), res,
			(long long)c->deadline - (long long)time(NULL),
			(unsigned long long)c->id, (unsigned long long)c->id);
	}
}

static json_t *
relay_until_end(const struct ward_home *h, const char *sid, int ctl,
		char *buf, size_t cap, size_t *len, int out, int err,
		struct asked_calls *asked_calls)
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
			cli_ctl_stop(h, sid, "interrupted");
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
		if (!ended)
			announce_pending(h, asked_calls);
		if (poll(p, (nfds_t)n, ended ? 0 : stopping ? 200 :
			 asked_calls->sk != NULL ? 1000 : -1) < 0) {
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
	if (cli_home_open(&h, dir, "run") != 0)
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
	if (secrets_present(&h, op_sk, p, prof) != 0) {
		rc = WX_INPUT;
		goto out;
	}
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
		/* An `ask` line: the core holds every use of this block (and
		 * of any delegation of it) for the operator's answer.  Marked
		 * before the broker ever sees the block (server/pending.h). */
		if (p->caps[i].ask_s != 0) {
			struct wb_reply ar;

			memset(&ar, 0, sizeof ar);
			if (cc_admin_ask(h.admin_url, op_sk, x.id,
					 p->caps[i].ask_s, x.b.not_after,
					 &ar) != 0 || ar.reason != 0) {
				char eb[600];

				fprintf(stderr, "ward run: %s:%d: ward-core did not "
					"take the 'ask' mark of this capability: "
					"%s\n", prof, p->caps[i].line,
					text_str(eb, sizeof eb, ar.reason != 0 ?
						 ar.detail : "no answer"));
				json_decref(caps);
				rc = ar.reason != 0 ? WX_REFUSED : WX_UNAVAILABLE;
				goto out;
			}
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
	if (p->llm.set)
		json_object_set_new(q, "llm", json_pack("{s:s, s:s, s:s, s:s, s:I, "
			"s:I}", "api", p->llm.api, "dest", p->llm.dest, "model",
			p->llm.model, "key", p->llm.key, "max_tokens",
			(json_int_t)p->llm.max_tokens, "budget",
			(json_int_t)p->llm.budget));
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
	{
		struct asked_calls ac;

		memset(&ac, 0, sizeof ac);
		ac.ctx = ctx;
		for (i = 0; i < p->ncaps; i++)
			if (p->caps[i].ask_s != 0)
				ac.sk = op_sk;
		rep = relay_until_end(&h, sid, ctl, buf, sizeof buf, &blen,
				      outp[0], errp[0], &ac);
	}
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

