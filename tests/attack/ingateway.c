/*
 * ingateway.c -- an attacker inside ward-gateway (`ward mcp`).  Built as a
 * shared object and loaded into the real ward-gateway with LD_PRELOAD
 * (ward mcp execs it with its environment), as an exploit's payload would
 * run: it fires at the first poll() of the gateway's serving loop (the
 * one with a 1 s timeout; the launcher, a child process, is left alone),
 * so it runs after whatever the gateway does to itself at start -- and,
 * on a gateway that does nothing, in a root process.
 *
 * One line per attempt on stderr, "ATTACK name: refused (why)" or
 * "ATTACK name: SUCCEEDED (what)", then "ATTACK done".  WARD_ATTACK picks
 * one more attempt per run: a request to the launcher that must close its
 * channel (launcher_*), or one that the seccomp filter answers by killing
 * the process (exec, fork, ptrace, setuid).  tests/suites/gateway-attacker
 * drives it.  Not part of ward.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"	/* struct ln_req, ln_rep: the launcher's protocol */

static char mode[32], home[512];
static long core_pid;
static pid_t gw_pid;
static int armed, fired;

__attribute__((constructor)) static void
arm(void)
{
	const char *m = getenv("WARD_ATTACK"), *h = getenv("WARD_ATTACK_HOME");
	const char *c = getenv("WARD_ATTACK_CORE_PID");

	if (strcmp(program_invocation_short_name, "ward-gateway") != 0 || h == NULL)
		return;
	snprintf(mode, sizeof mode, "%s", m != NULL ? m : "");
	snprintf(home, sizeof home, "%s", h);
	core_pid = c != NULL ? atol(c) : 0;
	gw_pid = getpid();
	armed = 1;
}

static void
report(const char *name, int ok_for_attacker, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
report(const char *name, int ok_for_attacker, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	dprintf(2, "ATTACK %s: %s (%s)\n", name, ok_for_attacker ? "SUCCEEDED" : "refused",
		why);
}

static void
try_read(const char *name, const char *rel)
{
	char p[700], buf[64];
	int fd;
	ssize_t n;

	snprintf(p, sizeof p, "%s/%s", home, rel);
	fd = open(p, O_RDONLY);
	if (fd < 0) {
		report(name, 0, "open %s: %s", rel, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	report(name, n >= 0, "read %zd bytes of %s", n, rel);
}

static void
try_read_abs(const char *name, const char *p)
{
	char buf[64];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		report(name, 0, "open %s: %s", p, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	report(name, n >= 0, "read %zd bytes of %s", n, p);
}

static void
try_list(const char *name, const char *rel)
{
	char p[700];
	DIR *d;

	snprintf(p, sizeof p, "%s/%s", home, rel);
	d = opendir(p);
	if (d == NULL) {
		report(name, 0, "opendir %s: %s", rel, strerror(errno));
		return;
	}
	closedir(d);
	report(name, 1, "listed %s", rel);
}

static void
try_create(const char *name, const char *rel, const char *abs)
{
	char p[700];
	int fd;

	if (abs != NULL)
		snprintf(p, sizeof p, "%s", abs);
	else
		snprintf(p, sizeof p, "%s/%s", home, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		report(name, 0, "create %s: %s", p, strerror(errno));
		return;
	}
	close(fd);
	unlink(p);
	report(name, 1, "created %s", p);
}

static void
try_unix(const char *name, const char *rel)
{
	struct sockaddr_un a;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%.60s/%.40s", home, rel);
	if (s < 0) {
		report(name, 0, "socket: %s", strerror(errno));
		return;
	}
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		report(name, 0, "connect %s: %s", rel, strerror(errno));
		close(s);
		return;
	}
	close(s);
	report(name, 1, "connected to %s", rel);
}

static void
try_socket(const char *name, int family, int type)
{
	int s = socket(family, type, 0);

	if (s < 0) {
		report(name, 0, "socket(%d, %d): %s", family, type, strerror(errno));
		return;
	}
	close(s);
	report(name, 1, "opened a socket of family %d", family);
}

/* The gateway's channel to its launcher: its one SOCK_SEQPACKET socket
 * (the profile has no remote server, so no ward-egress link). */
static int
launcher_fd(void)
{
	int fd, t;
	socklen_t l;

	for (fd = 3; fd < 1024; fd++) {
		l = sizeof t;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) == 0 &&
		    t == SOCK_SEQPACKET)
			return fd;
	}
	return -1;
}

/* A request of the launcher's protocol (len bytes of b, one descriptor
 * if sendfd >= 0); 1 if an answer came, 0 if the channel closed. */
static int
exchange(int s, const void *b, size_t len, int sendfd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], rep[sizeof(struct ln_rep) + 16];
	struct iovec iov = { (void *)b, len };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendfd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sendfd, sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		return 0;
	n = recv(s, rep, sizeof rep, 0);
	return n > 0;
}

/* One request the launcher must refuse by closing its channel, after a
 * well-formed one (the control) that it must answer. */
static void
try_launcher(const char *name)
{
	struct ln_req ok = { LN_MAGIC, LN_STATUS, 0, 0 }, q = ok;
	char big[sizeof q + 64];
	const void *b = &q;
	size_t len = sizeof q;
	int s = launcher_fd(), fd = -1, got;

	if (s < 0) {
		report(name, 1, "no launcher: this gateway starts what it likes "
		       "itself (fork and exec)");
		return;
	}
	if (!exchange(s, &ok, sizeof ok, -1)) {
		dprintf(2, "CONTROL %s: the launcher did not answer a well-formed "
			"request\n", name);
		return;
	}
	dprintf(2, "CONTROL %s: answered\n", name);
	if (strcmp(name, "launcher_server_not_in_profile") == 0) {
		q.op = LN_START;
		q.slot = 7;	/* the profile has one server */
	} else if (strcmp(name, "launcher_command_line") == 0) {
		/* A start with a command line of the attacker's after it. */
		q.op = LN_START;
		memcpy(big, &q, sizeof q);
		snprintf(big + sizeof q, sizeof big - sizeof q, "/bin/sh -c id");
		b = big;
		len = sizeof big;
	} else if (strcmp(name, "launcher_descriptor") == 0) {
		/* A local server's start with a descriptor of the attacker's
		 * (its stderr: one it holds; confined, it can open no other). */
		q.op = LN_START;
		fd = dup(2);
	} else if (strcmp(name, "launcher_signal") == 0) {
		q.op = LN_SIGNAL;
		q.sig = SIGSTOP;
	} else if (strcmp(name, "launcher_garbage") == 0) {
		memset(big, 'A', sizeof big);
		b = big;
		len = 5;
	} else if (strcmp(name, "launcher_egress") == 0) {
		q.op = LN_EGRESS;	/* no remote server in the profile */
	}
	got = exchange(s, b, len, fd);
	if (fd >= 0)
		close(fd);
	report(name, got, got ? "the launcher answered it" : "the launcher closed "
	       "its channel");
}

static void *
thread_attack(void *arg)
{
	(void)arg;
	try_read("thread_read_egress_key", "egress/egress.key");
	try_create("thread_write_state", "state/planted", NULL);
	return NULL;
}

static void
attack(void)
{
	char p[700];
	pthread_t t;
	int fd;

	dprintf(2, "ATTACK start: uid %u, mode '%s'\n", (unsigned)getuid(), mode);
	if (strncmp(mode, "launcher_", 9) == 0) {
		try_launcher(mode);
		dprintf(2, "ATTACK done\n");
		return;
	}
	try_read("read_egress_key", "egress/egress.key");
	try_read("read_core_key", "keys/core.key");
	try_read("read_operator_key", "operator/operator.key");
	try_read("read_vault", "state/vault");
	try_read("read_vault_key", "keys/vault.key");
	try_read("read_audit_log", "state/audit.log");
	try_list("list_state", "state");
	try_list("list_keys", "keys");
	try_list("list_egress", "egress");
	try_list("list_broker_run_dir", "run/broker");
	try_list("list_broker_state", "broker");
	try_list("list_mcp_dir", "mcp");
	try_read_abs("read_etc_shadow", "/etc/shadow");
	try_create("write_state", "state/planted", NULL);
	try_create("write_pub", "pub/planted", NULL);
	try_create("write_mcp_dir", "mcp/planted", NULL);
	try_create("write_outside_home", NULL, "/tmp/ward-gw-attack-planted");
	try_unix("reach_admin_socket", "run/admin/admin.sock");
	try_socket("open_inet_socket", AF_INET, SOCK_STREAM);
	try_socket("open_netlink_socket", AF_NETLINK, SOCK_RAW);
	if (core_pid > 0) {
		if (kill((pid_t)core_pid, 0) == 0)
			report("signal_core", 1, "kill(%ld, 0) succeeded", core_pid);
		else
			report("signal_core", 0, "kill: %s", strerror(errno));
		snprintf(p, sizeof p, "/proc/%ld/mem", core_pid);
		fd = open(p, O_RDONLY);
		report("read_core_memory", fd >= 0, "open %s: %s", p,
		       fd >= 0 ? "opened" : strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (pthread_create(&t, NULL, thread_attack, NULL) == 0)
		pthread_join(t, NULL);
	dprintf(2, "ATTACK lethal: %s\n", mode);
	/* The filter kills the whole process on these: one per run. */
	if (strcmp(mode, "exec") == 0) {
		char *argv[] = { "/bin/sh", "-c", "echo 'ATTACK exec: SUCCEEDED (ran /bin/sh)' >&2", NULL };
		execv(argv[0], argv);
		report("exec", 0, "execv: %s", strerror(errno));
	} else if (strcmp(mode, "ptrace") == 0 && core_pid > 0) {
		long r = ptrace(PTRACE_ATTACH, (pid_t)core_pid, 0, 0);
		report("ptrace_core", r == 0, "PTRACE_ATTACH: %s", r == 0 ? "attached" : strerror(errno));
	} else if (strcmp(mode, "fork") == 0) {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		report("fork", c > 0, "fork: %s", c > 0 ? "a child" : strerror(errno));
	} else if (strcmp(mode, "setuid") == 0) {
		int r = setuid(0);
		report("setuid_root", r == 0, "setuid(0): %s", r == 0 ? "root" : strerror(errno));
	}
	dprintf(2, "ATTACK done\n");
}

static void
maybe_fire(int timeout)
{
	if (armed && !fired && getpid() == gw_pid && timeout == 1000) {
		fired = 1;
		attack();
	}
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	maybe_fire(timeout);
	return real(fds, n, timeout);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	static int (*real)(struct pollfd *, nfds_t, int, size_t);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int, size_t))dlsym(RTLD_NEXT,
									    "__poll_chk");
	maybe_fire(timeout);
	return real(fds, n, timeout, fdslen);
}
