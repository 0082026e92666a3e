/*
 * cmd_run.c -- the operator's side of the broker in the ward CLI:
 *
 *   ward run <agent> <task>     sign a grant for the agent's profile and
 *                               have the broker run it (starting ward-core
 *                               and ward-broker when they are not running)
 *   ward revoke <session|cap>   revoke a session (its context, its grant,
 *                               every child) or one capability block
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
#include "wb.h"
#include "outq.h"
#include "sandbox.h"

/* Exit codes shared by run, revoke and policy (docs/cli.md). */
#define EX_OK 0
#define EX_AGENT_FAILED 1	/* run: the agent exited non-zero */
#define EX_USAGE 2
#define EX_HOME 3		/* no usable ward home: run 'ward init' */
#define EX_PROFILE 4		/* the profile does not parse / no such id */
#define EX_UNAVAILABLE 5	/* ward-core or ward-broker cannot be reached */
#define EX_REFUSED 6		/* the core refused (context, revocation) */
#define EX_KILLED 7		/* run: the agent was killed (timeout, revoke) */

int ward_audit_query(int argc, char **argv);

static char exe_dir[PATH_MAX];

static void
find_exe_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
	char *s;

	if (n <= 0) {
		snprintf(exe_dir, sizeof exe_dir, ".");
		return;
	}
	exe_dir[n] = '\0';
	s = strrchr(exe_dir, '/');
	if (s != NULL)
		*s = '\0';
}

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
	pid_t p;

	snprintf(path, sizeof path, "%s/%s", exe_dir, prog);
	if (access(path, X_OK) != 0) {
		fprintf(stderr, "ward: cannot find %s next to the ward binary (%s)\n"
			"  build it with 'make', or start it yourself\n", prog, path);
		return -1;
	}
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

static int
ctl_connect(const struct ward_home *h)
{
	struct sockaddr_un a;
	char p[WH_PATH + 32];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(p, sizeof p, "%s/broker.ctl", h->run);
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

static int
ctl_send(int fd, json_t *q, const int *fds, int nfds)
{
	char *s = json_dumps(q, JSON_COMPACT);
	struct msghdr mh;
	struct iovec iov;
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t n, off = 0;
	ssize_t w;

	json_decref(q);
	if (s == NULL)
		return -1;
	n = strlen(s);
	s[n++] = '\n';
	memset(&mh, 0, sizeof mh);
	iov.iov_base = s;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof u);
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (w > 0)
		off = (size_t)w;
	/* The rest (the fds went with the first byte), as every write to a
	 * peer that may stop reading: outq.h. */
	if (w <= 0 || oq_write_all(fd, s + off, n - off, 10000) != 0)
		off = 0;
	free(s);
	return off > 0 ? 0 : -1;
}

/* One JSON line from the broker; NULL on EOF or timeout (ms, -1: none). */
static json_t *
ctl_read(int fd, char *buf, size_t cap, size_t *len, int timeout_ms)
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

	find_exe_dir();
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
	*ctl = ctl_connect(h);
	if (*ctl < 0) {
		fprintf(stderr, "ward: starting ward-broker (log: %s/log/"
			"ward-broker.log)\n", h->home);
		if (start_daemon(h, "ward-broker", "ward-broker.log") != 0)
			return -1;
		for (i = 0; i < 100 && (*ctl = ctl_connect(h)) < 0; i++)
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
copy_tree(int sfd, int dfd, int depth, int pub)
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
			if (s2 < 0 || d2 < 0) {
				if (s2 >= 0)
					close(s2);
				if (d2 >= 0)
					close(d2);
				rc = -1;
				break;
			}
			rc = copy_tree(s2, d2, depth + 1, pub);
			close(d2);
		} else if (S_ISREG(st.st_mode)) {
			char buf[65536];
			ssize_t n;
			int in = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW |
					O_CLOEXEC);
			int out = openat(dfd, e->d_name, O_WRONLY | O_CREAT | O_EXCL |
					 O_NOFOLLOW | O_CLOEXEC, !pub ? 0600 :
					 (st.st_mode & 0111) ? 0755 : 0644);

			while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
				if (write(out, buf, (size_t)n) != n)
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
 * symlink at dst); pub as for copy_tree. */
static int
copy_dir(const char *src, const char *dst, int pub)
{
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int rc = -1;

	if (sfd >= 0 && dfd >= 0)
		rc = copy_tree(sfd, dfd, 0, pub);	/* closes sfd */
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
	char work[WH_PATH + 8];

	snprintf(work, sizeof work, "%s/work", h->home);
	if (mkdir(work, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(ws, wl, "%s/%s", work, sid);
	if (mkdir(ws, 0700) != 0)
		return -1;
	if (seed[0] == '\0')
		return 0;
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
		"exit status: 0 the agent succeeded, 1 it failed, 2 usage,\n"
		"3 no ward home (run 'ward init'), 4 bad profile, 5 ward-core or\n"
		"ward-broker unreachable, 6 refused by the core, 7 agent killed\n"
		"(time limit, revocation, Ctrl-C).\n");
	return f == stdout ? EX_OK : EX_USAGE;
}

static void
print_session_audit(const char *home, const char *sid)
{
	char *av[] = { "audit", "--home", (char *)home, "--session", (char *)sid,
		       NULL };

	fflush(stdout);
	(void)ward_audit_query(5, av);
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
	int i, ctl = -1, quiet = 0, rc = EX_UNAVAILABLE, fds[2] = { 1, 2 };
	struct stat st;
	uint64_t now = (uint64_t)time(NULL);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return run_usage(stdout);
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return run_usage(stderr);
		else if (agent == NULL)
			agent = argv[i];
		else if (task == NULL)
			task = argv[i];
		else
			return run_usage(stderr);
	}
	if (agent == NULL || task == NULL)
		return run_usage(stderr);
	if (strlen(task) > 2000) {
		fprintf(stderr, "ward run: the task is %zu bytes; at most 2000 fit "
			"in $WARD_TASK\n  hint: put it in a file of the workspace "
			"and name the file in the task\n", strlen(task));
		return EX_USAGE;
	}
	if (home_open(&h, dir, "run") != 0)
		return EX_HOME;
	if (stat(agent, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(prof, sizeof prof, "%s/profile.ward", agent);
	else
		snprintf(prof, sizeof prof, "%s", agent);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return EX_UNAVAILABLE;
	if (pf_load(prof, p, err, sizeof err) != 0) {
		fprintf(stderr, "ward run: %s\n", err);
		free(p);
		return EX_PROFILE;
	}
	if (p->ncaps == 0) {
		fprintf(stderr, "ward run: %s grants no tool at all\n  hint: add "
			"a line such as: tool fs.read /workspace uses 10\n", prof);
		free(p);
		return EX_PROFILE;
	}
	if (wh_read_key(h.op_key, op_sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward run: %s\n", err);
		free(p);
		return EX_HOME;
	}
	crypto_sign_ed25519_sk_to_pk(op_pk, op_sk);
	if (ensure_running(&h, op_sk, &ctl) != 0)
		goto out;
	if (ctl_send(ctl, json_pack("{s:s}", "op", "hello"), NULL, 0) != 0 ||
	    (rep = ctl_read(ctl, buf, sizeof buf, &blen, 5000)) == NULL) {
		fprintf(stderr, "ward run: ward-broker does not answer on %s/"
			"broker.ctl\n", h.run);
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
	if (make_workspace(&h, sid, p->workspace, ws, sizeof ws) != 0) {
		fprintf(stderr, "ward run: cannot prepare the workspace %s: %s\n",
			ws, strerror(errno));
		rc = EX_HOME;
		goto out;
	}
	if (copy_agent(&h, sid, p->dir, agent_copy, sizeof agent_copy) != 0) {
		fprintf(stderr, "ward run: cannot copy the agent %s to %s: %s\n",
			p->dir, agent_copy, strerror(errno));
		rc = EX_HOME;
		goto out;
	}
	caps = json_array();
	for (i = 0; i < p->ncaps; i++) {
		struct wb_blk x;
		char hx[2 * WARD_BLOCK_MAX + 1];

		if (mint_root(&x, &p->caps[i], op_pk, op_sk, bk_pk, ctx, sid, now)) {
			fprintf(stderr, "ward run: %s:%d: cannot sign this "
				"capability (scope too long?)\n", prof, p->caps[i].line);
			json_decref(caps);
			rc = EX_PROFILE;
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
	if (ctl_send(ctl, q, fds, 2) != 0 ||
	    (rep = ctl_read(ctl, buf, sizeof buf, &blen, 10000)) == NULL) {
		fprintf(stderr, "ward run: ward-broker did not take the run\n");
		goto out;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));

		fprintf(stderr, "ward run: refused: %s\n", e != NULL ? e : "?");
		rc = e != NULL && strstr(e, "did not answer") != NULL ?
		     EX_UNAVAILABLE : EX_REFUSED;
		json_decref(rep);
		goto out;
	}
	json_decref(rep);
	fprintf(stderr, "ward run: session %s (%s), workspace %s\n", sid,
		p->name, ws);
	rep = ctl_read(ctl, buf, sizeof buf, &blen, -1);
	if (rep == NULL) {
		fprintf(stderr, "ward run: lost the broker while the agent ran "
			"(its sandbox dies with the broker)\n");
		goto out;
	}
	{
		int code = (int)json_integer_value(json_object_get(rep, "code"));

		fprintf(stderr, "ward run: session %s ended: agent exit %d, %d "
			"calls, %d refused\n", sid, code,
			(int)json_integer_value(json_object_get(rep, "calls")),
			(int)json_integer_value(json_object_get(rep, "refused")));
		rc = code == 0 ? EX_OK : code >= 124 ? EX_KILLED : EX_AGENT_FAILED;
		if (json_is_string(json_object_get(rep, "reason")) &&
		    strcmp(json_string_value(json_object_get(rep, "reason")),
			   "agent_not_reading") == 0)
			fprintf(stderr, "ward run: ward-broker cut the session off "
				"(reason=agent_not_reading): the agent left its "
				"replies unread; its sandbox was killed\n");
		if (code == 125)
			fprintf(stderr, "ward run: the sandbox could not start; see "
				"the message above\n");
	}
	json_decref(rep);
	if (!quiet)
		print_session_audit(h.home, sid);
out:
	sodium_memzero(op_sk, sizeof op_sk);
	if (ctl >= 0)
		close(ctl);
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
		"  a capability  one block (a handle, as listed by ward status) and\n"
		"              every delegation made from it\n"
		"An id may be abbreviated when the running broker knows only one\n"
		"session or handle with that prefix.  Revocation is durable: the\n"
		"core writes it to the audit log before it answers.\n"
		"\n"
		"exit status: 0 revoked, 2 usage, 3 no ward home, 4 no such id,\n"
		"5 ward-core unreachable, 6 refused by the core.\n");
	return f == stdout ? EX_OK : EX_USAGE;
}

static json_t *
broker_list(const struct ward_home *h)
{
	char buf[256 * 1024];
	size_t blen = 0;
	int fd = ctl_connect(h);
	json_t *rep;

	if (fd < 0)
		return NULL;
	if (ctl_send(fd, json_pack("{s:s}", "op", "list"), NULL, 0) != 0) {
		close(fd);
		return NULL;
	}
	rep = ctl_read(fd, buf, sizeof buf, &blen, 5000);
	close(fd);
	return rep;
}

int
cmd_revoke(int argc, char **argv)
{
	struct ward_home h;
	uint8_t sk[64], id[32], ctx[16];
	const char *dir = NULL, *target = NULL;
	char err[512], full[65] = "";
	int i, is_ctx = 0, found = 0, rc;
	json_t *lst, *sess, *s;
	size_t k, m;
	struct wb_reply r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return revoke_usage(stdout);
		else if (argv[i][0] == '-' || target != NULL)
			return revoke_usage(stderr);
		else
			target = argv[i];
	}
	if (target == NULL)
		return revoke_usage(stderr);
	if (home_open(&h, dir, "revoke") != 0)
		return EX_HOME;
	for (k = 0; target[k] != '\0'; k++)
		if (!((target[k] >= '0' && target[k] <= '9') ||
		      (target[k] >= 'a' && target[k] <= 'f'))) {
			fprintf(stderr, "ward revoke: '%s' is not an id (lower-case "
				"hex, as ward run and ward status print it)\n", target);
			return EX_USAGE;
		}
	/* Resolve a prefix through the broker's live sessions and handles. */
	lst = broker_list(&h);
	sess = json_object_get(lst, "sessions");
	json_array_foreach(sess, k, s) {
		const char *sid = json_string_value(json_object_get(s, "session"));
		json_t *hs = json_object_get(s, "handles"), *hh;

		if (sid != NULL && strncmp(sid, target, strlen(target)) == 0) {
			found++;
			is_ctx = 1;
			snprintf(full, sizeof full, "%s", sid);
		}
		json_array_foreach(hs, m, hh) {
			const char *hid = json_string_value(json_object_get(hh, "id"));

			if (hid != NULL && strncmp(hid, target, strlen(target)) == 0) {
				found++;
				is_ctx = 0;
				snprintf(full, sizeof full, "%s", hid);
			}
		}
	}
	json_decref(lst);
	if (found > 1) {
		fprintf(stderr, "ward revoke: '%s' is ambiguous (%d matches); give "
			"more of the id\n", target, found);
		return EX_PROFILE;
	}
	if (found == 0) {
		/* Not live in the broker: a full id still names it at the core. */
		if (strlen(target) == 32) {
			is_ctx = 1;
			snprintf(full, sizeof full, "%s", target);
		} else if (strlen(target) == 64) {
			snprintf(full, sizeof full, "%s", target);
		} else {
			fprintf(stderr, "ward revoke: no live session or capability "
				"starts with '%s'\n  give the full id (32 hex digits "
				"for a session, 64 for a capability)\n", target);
			return EX_PROFILE;
		}
	}
	if (is_ctx ? wb_unhex(ctx, 16, full) : wb_unhex(id, 32, full)) {
		fprintf(stderr, "ward revoke: bad id\n");
		return EX_USAGE;
	}
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "ward revoke: %s\n", err);
		return EX_HOME;
	}
	rc = cc_admin_revoke(h.admin_url, sk, is_ctx ? ctx : NULL,
			     is_ctx ? NULL : id, &r);
	sodium_memzero(sk, sizeof sk);
	if (rc != 0) {
		fprintf(stderr, "ward revoke: ward-core does not answer on %s\n"
			"  nothing was revoked; start it (ward run starts it) and "
			"retry\n", h.admin_url);
		return EX_UNAVAILABLE;
	}
	if (r.reason != 0) {
		fprintf(stderr, "ward revoke: the core refused: %s (%s, audit #%llu)\n",
			r.detail, cc_reason_name(r.reason),
			(unsigned long long)r.audit_pos);
		return EX_REFUSED;
	}
	printf("revoked %s %s: %s (audit #%llu)\n", is_ctx ? "session" :
	       "capability", full, is_ctx ? "its grant is revoked and its "
	       "context and every child context closed" : "it and every "
	       "delegation made from it are refused from now on",
	       (unsigned long long)r.audit_pos);
	return EX_OK;
}

/* ---- ward policy ------------------------------------------------------------- */

static int
policy_usage(FILE *f)
{
	fprintf(f,
		"usage: ward policy check FILE...\n"
		"\n"
		"Check agent profiles (docs/profiles.md).  Each error is printed as\n"
		"file:line:column: error: what, with a hint on the next line.  A\n"
		"profile that checks prints what it would grant.\n"
		"\n"
		"exit status: 0 every file checks, 2 usage, 4 a file does not.\n");
	return f == stdout ? EX_OK : EX_USAGE;
}

int
cmd_policy(int argc, char **argv)
{
	struct pf_profile *p;
	char err[1024];
	int i, j, rc = EX_OK;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0))
		return policy_usage(stdout);
	if (argc < 3 || strcmp(argv[1], "check") != 0)
		return policy_usage(stderr);
	p = malloc(sizeof *p);
	if (p == NULL)
		return EX_UNAVAILABLE;
	for (i = 2; i < argc; i++) {
		if (pf_load(argv[i], p, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			rc = EX_PROFILE;
			continue;
		}
		printf("%s: ok: agent %s runs", argv[i], p->name);
		for (j = 0; j < p->argc; j++)
			printf(" %s", p->argv[j]);
		printf("\n");
		for (j = 0; j < p->ncaps; j++)
			printf("  tool %-12s %-24s uses %u, expires %llus%s\n",
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

static int
rec_ctx(const struct jr_rec *r, const uint8_t **c1, const uint8_t **c2)
{
	*c1 = *c2 = NULL;
	if (r->rec[0] == JR_DECISION && r->len >= WARD_REC_OFF_RES) {
		*c1 = r->rec + WARD_REC_OFF_CONTEXT;
		return 0;
	}
	if (r->rec[0] == JR_EVENT && r->len >= JR_EV_TEXT) {
		*c1 = r->rec + JR_EV_CTX;
		if (r->rec[JR_EV_KIND] == JK_SPAWN)
			*c2 = r->rec + JR_EV_CTX2;
		return 0;
	}
	return -1;
}

static int
match_filter(const struct jr_rec *r, const char *f)
{
	const uint8_t *p = r->rec;
	int dec = p[0] == JR_DECISION, ev = p[0] == JR_EVENT;
	unsigned op = dec ? p[WARD_REC_OFF_OP] : 0;
	unsigned verdict = dec ? p[WARD_REC_OFF_VERDICT] : ev ? p[JR_EV_VERDICT] : 0;
	unsigned kind = ev ? p[JR_EV_KIND] : 0;

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
		return verdict == 2;
	if (strcmp(f, "allowed") == 0)
		return verdict == 1;
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

static json_t *
rec_json(const struct jr_rec *r)
{
	const uint8_t *p = r->rec;
	char ctx[33], t[32], text[JR_TEXT_MAX + 1];
	time_t tt;
	struct tm tm;
	json_t *j;
	size_t n, k;

	if (p[0] == JR_DECISION && r->len >= WARD_REC_OFF_RES) {
		n = ward_get_be16(p + WARD_REC_OFF_RLEN);
		if (n > r->len - WARD_REC_OFF_RES)
			n = r->len - WARD_REC_OFF_RES;
		tt = (time_t)ward_get_be64(p + WARD_REC_OFF_TIME);
		wb_hex(ctx, p + WARD_REC_OFF_CONTEXT, 16);
		memcpy(text, p + WARD_REC_OFF_RES, n);
		text[n] = '\0';
		for (k = 0; k < n; k++)
			if (text[k] < 0x20 || text[k] > 0x7e)
				text[k] = '?';
		gmtime_r(&tt, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
		j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
			      (json_int_t)r->seq, "time", t, "type", "decision",
			      "verdict", p[WARD_REC_OFF_VERDICT] == 1 ? "ALLOWED" :
			      "BLOCKED", "op", jr_op_name(p[WARD_REC_OFF_OP]),
			      "resource", text, "session", ctx, "reason",
			      jr_reason_name(p[WARD_REC_OFF_REASON]));
		if (p[WARD_REC_OFF_VERDICT] == 1) {
			json_object_set_new(j, "uses", json_integer(
				ward_get_be32(p + WARD_REC_OFF_USED)));
			json_object_set_new(j, "max_uses", json_integer(
				ward_get_be32(p + WARD_REC_OFF_MAX)));
		}
		return j;
	}
	if (p[0] == JR_EVENT && r->len >= JR_EV_TEXT) {
		n = ward_get_be16(p + JR_EV_TLEN);
		if (n > r->len - JR_EV_TEXT)
			n = r->len - JR_EV_TEXT;
		tt = (time_t)ward_get_be64(p + JR_EV_TIME);
		wb_hex(ctx, p + JR_EV_CTX, 16);
		memcpy(text, p + JR_EV_TEXT, n);
		text[n] = '\0';
		for (k = 0; k < n; k++)
			if (text[k] < 0x20 || text[k] > 0x7e)
				text[k] = '?';
		gmtime_r(&tt, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
				 (json_int_t)r->seq, "time", t, "type", "event",
				 "verdict", p[JR_EV_VERDICT] == 1 ? "ALLOWED" :
				 p[JR_EV_VERDICT] == 2 ? "BLOCKED" : "REPORTED",
				 "kind", jr_kind_name(p[JR_EV_KIND]), "session", ctx,
				 "reason", jr_reason_name(p[JR_EV_REASON]), "text",
				 text);
	}
	return json_pack("{s:I, s:s}", "seq", (json_int_t)r->seq, "type",
			 p[0] == JR_RESERVE ? "reserve" : p[0] == JR_CHECKPOINT ?
			 "checkpoint" : "other");
}

static int
aq_one(const struct jr_rec *r, void *arg)
{
	struct aq *a = arg;
	const uint8_t *c1, *c2;

	a->next = r->seq + 1;
	if (r->seq < a->from)
		return 0;
	if (a->session != NULL) {
		char h1[33] = "", h2[33] = "";
		size_t n = strlen(a->session);

		if (rec_ctx(r, &c1, &c2) != 0)
			return 0;
		wb_hex(h1, c1, 16);
		if (c2 != NULL)
			wb_hex(h2, c2, 16);
		if (strncmp(h1, a->session, n) != 0 &&
		    (c2 == NULL || strncmp(h2, a->session, n) != 0))
			return 0;
	}
	if (!match_filter(r, a->filter))
		return 0;
	if (a->filter == NULL && a->session != NULL && r->rec[0] != JR_DECISION &&
	    r->rec[0] != JR_EVENT)
		return 0;
	if (a->json) {
		json_t *j = rec_json(r);
		char *s = json_dumps(j, JSON_COMPACT);

		if (s != NULL)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		char line[768];

		jr_format(r, line, sizeof line);
		printf("%s\n", line);
	}
	a->printed++;
	return 0;
}

static int
aq_usage(FILE *f)
{
	fprintf(f,
		"usage: ward audit [--home DIR] [--session ID] [--filter KIND] "
		"[--json] [--follow]\n"
		"       ward audit verify | show   (see 'ward audit verify --help')\n"
		"\n"
		"Query the audit log.  --session keeps the records of one session\n"
		"(an id prefix; a child's spawn record shows under its parent too).\n"
		"--filter KIND: network, fs, exec, memory, tool, blocked, allowed,\n"
		"log, spawn, revoke, lifecycle.  --json prints one JSON object a\n"
		"line.  --follow keeps printing new records as they are written.\n"
		"The log is checked as it is read; a bad record stops the query.\n"
		"\n"
		"exit status: 0 ok, 1 the log does not verify, 2 usage, 3 no home.\n");
	return f == stdout ? EX_OK : EX_USAGE;
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

	memset(&a, 0, sizeof a);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--session") == 0 && i + 1 < argc)
			a.session = argv[++i];
		else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			a.filter = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			a.json = 1;
		else if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
			follow = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return aq_usage(stdout);
		else
			return aq_usage(stderr);
	}
	if (a.filter != NULL) {
		int ok = 0;

		for (i = 0; filters[i] != NULL; i++)
			ok |= strcmp(filters[i], a.filter) == 0;
		ok |= strcmp(a.filter, "net") == 0 || strcmp(a.filter, "mem") == 0;
		if (!ok) {
			fprintf(stderr, "ward audit: unknown filter '%s'\n  one of: "
				"network, fs, exec, memory, tool, blocked, allowed, "
				"log, spawn, revoke, lifecycle\n", a.filter);
			return EX_USAGE;
		}
	}
	if (sodium_init() < 0)
		return 1;
	if (wh_resolve(&h, dir, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		fprintf(stderr, "ward audit: %s\n  run 'ward init' first (or set "
			"WARD_HOME)\n", err);
		return EX_HOME;
	}
	for (;;) {
		a.from = a.next;
		if (jr_scan(h.log, core_pk, aq_one, &a, &res) != 0) {
			fprintf(stderr, "ward audit: cannot read %s: %s\n", h.log,
				res.why);
			return 1;
		}
		fflush(stdout);
		if (!res.ok && !res.torn) {
			fprintf(stderr, "ward audit: the log does not verify at "
				"record %llu: %s\n  run 'ward audit verify'\n",
				(unsigned long long)res.bad_rec, res.why);
			return 1;
		}
		if (!follow)
			break;
		usleep(300000);
	}
	return EX_OK;
}

/* ---- status: the broker's part ------------------------------------------------ */

int ward_status_broker(const char *home_dir);

/* What 'ward status' adds for the broker and the sandbox: the broker's
 * pid, its live sessions with their handles, and the host's sandbox
 * features.  For cmd_status (core/srv/cmd_audit.c) to call after the
 * core's part.  0, or 1 when the broker is not running. */
int
ward_status_broker(const char *home_dir)
{
	struct ward_home h;
	struct ward_sb_probe pr;
	char err[512];
	json_t *lst, *sess, *s, *hs, *hh;
	size_t k, m;
	int fd, rc = 0;

	if (wh_resolve(&h, home_dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward status: %s\n", err);
		return 1;
	}
	fd = ctl_connect(&h);
	if (fd < 0) {
		printf("broker:         not running (ward run starts it)\n");
		rc = 1;
	} else {
		char buf[4096];
		size_t blen = 0;
		json_t *hello = NULL;

		if (ctl_send(fd, json_pack("{s:s}", "op", "hello"), NULL, 0) == 0)
			hello = ctl_read(fd, buf, sizeof buf, &blen, 5000);
		close(fd);
		printf("broker:         running, pid %d, %lld tool calls served\n",
		       (int)json_integer_value(json_object_get(hello, "pid")),
		       (long long)json_integer_value(json_object_get(hello, "calls")));
		json_decref(hello);
	}
	lst = broker_list(&h);
	sess = json_object_get(lst, "sessions");
	printf("live sessions:  %zu\n", json_array_size(sess));
	json_array_foreach(sess, k, s) {
		const char *par = json_string_value(json_object_get(s, "parent"));

		printf("  session %s%s%s: %lld calls, %lld refused\n",
		       json_string_value(json_object_get(s, "session")),
		       par != NULL ? " child of " : "", par != NULL ? par : "",
		       (long long)json_integer_value(json_object_get(s, "calls")),
		       (long long)json_integer_value(json_object_get(s, "refused")));
		hs = json_object_get(s, "handles");
		json_array_foreach(hs, m, hh)
			printf("    cap %.16s  %-12s %-28s uses %lld\n",
			       json_string_value(json_object_get(hh, "id")),
			       json_string_value(json_object_get(hh, "tool")),
			       json_string_value(json_object_get(hh, "scope")),
			       (long long)json_integer_value(json_object_get(hh, "uses")));
	}
	json_decref(lst);
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
	return rc;
}
