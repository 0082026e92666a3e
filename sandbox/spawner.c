/*
 * spawner.c -- the part of ward-broker that keeps the rights to build
 * sandboxes (see wb.h).  Forked before the broker confines itself; it
 * serves only SP_SPAWN, SP_KILL and SP_EGRESS (start ward-egress) on its
 * pair, and dies with the broker:
 * when the pair closes (the broker exited or was killed) it kills every
 * sandbox it started, waits for their clean-up and exits.  A runner
 * process per sandbox calls ward_sb_run() and exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"
#include "fdio.h"
#include "wb.h"
#include "sandbox.h"
#include "text.h"

#define SP_JOBS 512

int
sp_send(int s, const struct sp_msg *m, const int *fds, int nfds)
{
	return fdio_send(s, m, sizeof *m, fds, nfds) == (ssize_t)sizeof *m ? 0 : -1;
}

int
sp_recv(int s, struct sp_msg *m, int *fds, int *nfds)
{
	return fdio_recv(s, m, sizeof *m, fds, 5, nfds, 0) > 0 ? 0 : -1;
}

/* How each runner's sandbox ended, written by the runner just before it
 * exits: an exit status needs all of 0-255, so the runner's own status
 * cannot carry it beside timeouts, kills and set-up failures.  One slot
 * per job, in memory shared by the spawner and its runners only. */
struct sp_outcome {
	int32_t set, end, code;
};
static struct sp_outcome *outcomes;

static volatile int cancel_flag;
static char sp_home[4096], sp_bin_dir[4096];

/* path is a folder directly in $WARD_HOME/<sub>, and not a link.  Only
 * a direct child: work/ and agents/ are root's, so the broker's account
 * cannot swap the folder for a link between this check and the mount,
 * which it could deeper down, in a tree it owns. */
static int
beneath(const char *path, const char *sub)
{
	char real[4096], base[4200];
	const char *slash;
	struct stat st;
	size_t n;

	if (path[0] == '\0' || realpath(path, real) == NULL ||
	    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(base, sizeof base, "%s/%s/", sp_home, sub);
	n = strlen(base);
	if (strncmp(real, base, n) != 0 || real[n] == '\0' ||
	    strcmp(real, path) != 0)
		return 0;
	slash = strchr(real + n, '/');
	/* work/SID, or a child's copy work/SID.kids/CHILD (ward run makes
	 * SID.kids; broker/commit.c): one level more, under .kids only. */
	return slash == NULL ||
	       (strcmp(sub, "work") == 0 && (size_t)(slash - (real + n)) > 5 &&
		memcmp(slash - 5, ".kids", 5) == 0 && slash[1] != '\0' &&
		strchr(slash + 1, '/') == NULL);
}

static void
on_term(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

/* The CA bundle this runner made for its sandbox (ca_bundle), if any. */
static char ca_made[4300];

/* The runner's end: the outcome in its slot, then a status of its own. */
static void __attribute__((noreturn))
finish(int slot, int end, int code)
{
	if (ca_made[0] != '\0')
		(void)unlink(ca_made);
	outcomes[slot].end = end;
	outcomes[slot].code = code;
	__atomic_store_n(&outcomes[slot].set, 1, __ATOMIC_RELEASE);
	_exit(end == SP_END_EXIT ? 0 : 125);
}

/* The CA bundle a sandbox trusts (docs/egress.md, "Interception"): the
 * system's CA bundle, then the one certificate of its transaction's CA
 * made by ward-egress, which the broker wrote to run/broker/NAME (NAME
 * from sp_msg.ca).  The broker is not trusted with it: NAME is letters,
 * digits, '-' and '.' only, not starting with '.'; the file is opened
 * without following a link, must be a regular file of at most 8 KiB
 * holding one PEM certificate and printable text only; the bundle is
 * made here, by root, in run/ (root's), bound at /ward/ca.pem read-only,
 * and removed when the sandbox ends (ca_made).  0 with its path, or -1
 * (no bind: the variables then name a missing file, and TLS to the
 * bound destinations fails closed). */
static int
ca_bundle(const char *name, char *out, size_t cap)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	static const char end[] = "-----END CERTIFICATE-----";
	char src[4200], tmp[4200], pem[8193], buf[65536];
	struct stat st;
	ssize_t n;
	size_t pl = 0, i;
	int fd, sys, w, ok = 1;

	if (name[0] == '\0' || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-.") != strlen(name))
		return -1;
	snprintf(src, sizeof src, "%s/run/broker/%s", sp_home, name);
	fd = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size >= (off_t)sizeof pem) {
		close(fd);
		return -1;
	}
	while (pl < sizeof pem - 1 && (n = read(fd, pem + pl, sizeof pem - 1 - pl)) > 0)
		pl += (size_t)n;
	close(fd);
	pem[pl] = '\0';
	for (i = 0; i < pl; i++)
		if (pem[i] != '\n' && (pem[i] < 0x20 || pem[i] > 0x7e))
			return -1;
	if (pl < sizeof begin || strncmp(pem, begin, sizeof begin - 1) != 0 ||
	    strstr(pem, end) == NULL || strstr(pem + 1, "-----BEGIN") != NULL)
		return -1;
	snprintf(tmp, sizeof tmp, "%s/run/.ca-bundle.%ld", sp_home, (long)getpid());
	w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w < 0)
		return -1;
	sys = open("/etc/ssl/certs/ca-certificates.crt", O_RDONLY | O_CLOEXEC);
	while (sys >= 0 && ok && (n = read(sys, buf, sizeof buf)) > 0)
		ok = write(w, buf, (size_t)n) == n;
	if (sys >= 0)
		close(sys);
	ok = ok && write(w, "\n", 1) == 1 && write(w, pem, pl) == (ssize_t)pl &&
	     fchmod(w, 0644) == 0;
	if (close(w) != 0 || !ok) {
		unlink(tmp);
		return -1;
	}
	snprintf(out, cap, "%s", tmp);
	snprintf(ca_made, sizeof ca_made, "%s", tmp);
	return 0;
}

/* The runner: one sandbox; how it ended goes to outcomes[slot]. */
static void __attribute__((noreturn))
runner(struct sp_msg *m, int *fds, int nfds, int slot)
{
	struct ward_sb_config cfg;
	struct ward_sb_result res;
	struct ward_sb *sb = NULL;
	char err[WARD_SB_ERRLEN];
	char *argv[PF_MAX_ARGV + 49];
	struct sigaction sa;
	int i, dn, hi[5];
	uint32_t k;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Move the received fds out of the way, then to 1, 2 and 3. */
	for (i = 0; i < nfds; i++)
		hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 20);
	dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (dn >= 0)
		dup2(dn, 0);
	if (nfds >= 2) {
		dup2(hi[0], 1);
		dup2(hi[1], 2);
	}
	ward_sb_config_defaults(&cfg);
	if (m->has_agent_fd && nfds >= 4) {
		dup2(hi[3], 3);
		cfg.pass_fds[0] = 3;
		cfg.npass_fds = 1;
	}
	if (m->has_proxy_fd && nfds >= 5)
		cfg.proxy_sock = hi[4];
	m->ca[sizeof m->ca - 1] = '\0';
	if (m->has_proxy_fd && m->ca[0] != '\0') {
		/* Where the broker's variables (SSL_CERT_FILE ...) point. */
		static char ca[4300];

		if (ca_bundle(m->ca, ca, sizeof ca) == 0) {
			cfg.binds[cfg.nbinds].src = ca;
			cfg.binds[cfg.nbinds++].dst = WB_CA_PATH;
		}
	}
	/* The broker is not trusted to end its strings: every text field is
	 * cut at its last byte before anything reads it. */
	m->workspace[sizeof m->workspace - 1] = '\0';
	m->agent_dir[sizeof m->agent_dir - 1] = '\0';
	m->bin_dir[sizeof m->bin_dir - 1] = '\0';
	m->err[sizeof m->err - 1] = '\0';
	cfg.workspace = m->workspace[0] != '\0' ? m->workspace : NULL;
	/* Where the scopes say it is: /workspace, not the host path. */
	cfg.workspace_at = WB_WORKSPACE;
	if (m->agent_dir[0] != '\0') {
		cfg.binds[cfg.nbinds].src = m->agent_dir;
		cfg.binds[cfg.nbinds++].dst = "/agent";
	}
	if (m->bin_dir[0] != '\0') {
		/* ward-call alone, not the folder it is in (build/, or
		 * PREFIX/lib/ward with the daemons). */
		static char call[sizeof m->bin_dir + 16];

		snprintf(call, sizeof call, "%s/ward-call", m->bin_dir);
		cfg.binds[cfg.nbinds].src = call;
		cfg.binds[cfg.nbinds++].dst = "/ward/ward-call";
	}
	for (k = 0; k < m->nenv && k < WB_ENV_MAX; k++) {
		m->env[k][sizeof m->env[k] - 1] = '\0';
		cfg.env[k] = m->env[k];
	}
	cfg.nenv = k;
	cfg.memory_bytes = m->mem_bytes;
	cfg.tmp_bytes = m->tmp_bytes;
	cfg.timeout_ms = m->time_ms;
	cfg.pids_max = m->pids;
	cfg.cpu_percent = m->cpu;
	cfg.log_fd = nfds >= 3 ? hi[2] : 2;
	cfg.cancel = &cancel_flag;
	for (k = 0; k < m->argc && k < PF_MAX_ARGV + 48; k++) {
		m->argv[k][sizeof m->argv[k] - 1] = '\0';
		argv[k] = m->argv[k];
	}
	argv[k] = NULL;
	if (k == 0)
		finish(slot, SP_END_SETUP, 125);
	/* The broker is not trusted to name host folders: a workspace must be
	 * beneath $WARD_HOME/work, the agent's code beneath $WARD_HOME/agents,
	 * and ward-call's folder the one found at start-up. */
	if (!beneath(m->workspace, "work") ||
	    (m->agent_dir[0] != '\0' && !beneath(m->agent_dir, "agents")) ||
	    (m->bin_dir[0] != '\0' && strcmp(m->bin_dir, sp_bin_dir) != 0)) {
		char wb[4 * sizeof m->workspace], ab[4 * sizeof m->agent_dir],
		     bb[4 * sizeof m->bin_dir];

		/* Names the broker sent: escaped, and never past their field. */
		text_escape(wb, sizeof wb, m->workspace,
			    strnlen(m->workspace, sizeof m->workspace), 0);
		text_escape(ab, sizeof ab, m->agent_dir,
			    strnlen(m->agent_dir, sizeof m->agent_dir), 0);
		text_escape(bb, sizeof bb, m->bin_dir,
			    strnlen(m->bin_dir, sizeof m->bin_dir), 0);
		dprintf(2, "ward: the spawner refused a sandbox: workspace %s, "
			"agent %s, bin %s are not where ward keeps them\n",
			wb, ab, bb);
		finish(slot, SP_END_SETUP, 125);
	}
	if (ward_sb_prepare(&cfg, &sb, err, sizeof err) != 0 ||
	    ward_sb_run(sb, argv, &res, err, sizeof err) != 0) {
		char eb[4 * sizeof err];

		dprintf(2, "ward: the sandbox could not start: %s\n",
			text_str(eb, sizeof eb, err));
		finish(slot, SP_END_SETUP, 125);
	}
	ward_sb_free(sb);
	if (res.setup_failed)
		finish(slot, SP_END_SETUP, 125);
	if (res.cancelled)
		finish(slot, SP_END_KILLED, 128 + SIGTERM);
	if (res.timed_out)
		finish(slot, SP_END_TIMEOUT, 124);
	if (WIFEXITED(res.wait_status))
		finish(slot, SP_END_EXIT, WEXITSTATUS(res.wait_status));
	if (WIFSIGNALED(res.wait_status))
		finish(slot, SP_END_SIGNAL, WTERMSIG(res.wait_status));
	finish(slot, SP_END_SETUP, 125);
}

struct job {
	uint32_t id;
	pid_t pid;
};

/* ward-egress (as root: it drops to its own account at once), with the
 * pair's end as fd 3 and nothing else of the spawner's. */
static void __attribute__((noreturn))
egress_exec(int fd)
{
	char path[4200];

	snprintf(path, sizeof path, "%s/ward-egress", sp_bin_dir);
	/* Received with close-on-exec: dup2 onto itself would keep it. */
	if (fd == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(fd, 3) != 3)
		_exit(127);
	close_range(4, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	execl(path, "ward-egress", "--home", sp_home, (char *)NULL);
	_exit(127);
}

static pid_t eg_pid;		/* the ward-egress it started, 0: none */
static time_t eg_last;		/* when (CLOCK_MONOTONIC seconds) */

static void __attribute__((noreturn))
spawner(int s)
{
	static struct job jobs[SP_JOBS];
	static struct sp_msg m;
	struct pollfd pf;
	sigset_t mask;
	int fds[5], nfds, i, alive = 1;

	prctl(PR_SET_NAME, "ward-spawner");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* It keeps root to build sandboxes, and nothing a sandbox build does
	 * not need: no ptrace, no kernel modules, keys, bpf or io_uring. */
	{
		char err[256];

		if (wp_confine_privileged(err, sizeof err) != 0) {
			dprintf(2, "ward-spawner: %s\n", err);
			_exit(1);
		}
	}
	/* Mapped here, after the fork: the broker never sees it. */
	outcomes = mmap(NULL, SP_JOBS * sizeof *outcomes, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (outcomes == MAP_FAILED) {
		dprintf(2, "ward-spawner: out of memory\n");
		_exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	memset(jobs, 0, sizeof jobs);
	for (;;) {
		pid_t p;
		int st;

		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p == eg_pid)
				eg_pid = 0;	/* the broker sees its pair's EOF */
			for (i = 0; i < SP_JOBS; i++) {
				if (jobs[i].pid != p)
					continue;
				memset(&m, 0, sizeof m);
				m.op = SP_EXITED;
				m.id = jobs[i].id;
				if (__atomic_load_n(&outcomes[i].set, __ATOMIC_ACQUIRE)) {
					m.end = outcomes[i].end;
					m.code = outcomes[i].code;
				} else {
					/* The runner died before it could say:
					 * its sandbox died with it. */
					m.end = SP_END_KILLED;
					m.code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 125;
				}
				jobs[i].pid = 0;
				if (alive)
					if (sp_send(s, &m, NULL, 0) != 0)
						alive = 0;
			}
		}
		if (!alive) {
			int any = 0;

			for (i = 0; i < SP_JOBS; i++)
				any |= jobs[i].pid != 0;
			if (!any)
				_exit(0);
			usleep(20000);
			continue;
		}
		pf.fd = s;
		pf.events = POLLIN;
		if (poll(&pf, 1, 50) <= 0)
			continue;
		if (sp_recv(s, &m, fds, &nfds) != 0) {
			/* The broker is gone: no sandbox outlives it. */
			alive = 0;
			for (i = 0; i < SP_JOBS; i++)
				if (jobs[i].pid != 0)
					kill(jobs[i].pid, SIGTERM);
			continue;
		}
		if (m.op == SP_KILL) {
			for (i = 0; i < SP_JOBS; i++)
				if (jobs[i].pid != 0 && jobs[i].id == m.id)
					kill(jobs[i].pid, SIGTERM);
		} else if (m.op == SP_EGRESS) {
			/* One ward-egress at a time, one start a second at
			 * most, whatever the broker asks (it may be
			 * compromised: it never chooses what is run). */
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (nfds == 1 && eg_pid == 0 &&
			    (eg_last == 0 || now.tv_sec - eg_last >= 1)) {
				eg_last = now.tv_sec;
				p = fork();
				if (p == 0)
					egress_exec(fds[0]);
				if (p > 0)
					eg_pid = p;
			}
		} else if (m.op == SP_SPAWN) {
			int slot = -1;

			for (i = 0; i < SP_JOBS && slot < 0; i++)
				if (jobs[i].pid == 0)
					slot = i;
			if (slot >= 0)
				memset(&outcomes[slot], 0, sizeof outcomes[slot]);
			p = slot >= 0 ? fork() : -1;
			if (p == 0) {
				close(s);
				runner(&m, fds, nfds, slot);
			}
			if (p > 0) {
				jobs[slot].pid = p;
				jobs[slot].id = m.id;
			} else {
				uint32_t id = m.id;

				memset(&m, 0, sizeof m);
				m.op = SP_EXITED;
				m.id = id;
				m.end = SP_END_SETUP;
				m.code = 125;
				if (sp_send(s, &m, NULL, 0) != 0)
					alive = 0;
			}
		}
		for (i = 0; i < nfds; i++)
			close(fds[i]);
	}
}

int
sp_start(pid_t *pid, const char *home, const char *bin_dir)
{
	int sv[2];
	pid_t p;

	if (realpath(home, sp_home) == NULL)
		return -1;
	snprintf(sp_bin_dir, sizeof sp_bin_dir, "%s", bin_dir);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p == 0) {
		close(sv[0]);
		spawner(sv[1]);
	}
	close(sv[1]);
	*pid = p;
	return sv[0];
}
