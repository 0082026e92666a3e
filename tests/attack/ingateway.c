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
#include "attack.h"
#include "launcher.h"	/* struct ln_req, ln_rep: the launcher's protocol */

__attribute__((constructor)) static void
arm(void)
{
	attack_arm("ward-gateway");
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
	pthread_t t;

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
	try_core();
	if (pthread_create(&t, NULL, thread_attack, NULL) == 0)
		pthread_join(t, NULL);
	try_lethal();
}

/* The first poll() of the serving loop (1 s timeout). */
static void
maybe_fire(int timeout)
{
	if (armed && !fired && getpid() == self_pid && timeout == 1000) {
		fired = 1;
		attack();
	}
}
