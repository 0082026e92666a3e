/*
 * inbroker.c -- an attacker inside ward-broker.  Built as a shared object
 * and loaded into the real ward-broker with LD_PRELOAD, as an exploit's
 * payload would run: it waits until the broker has confined itself (the
 * first poll() once a seccomp filter is on),
 * then, from inside the broker's own process, tries everything the
 * threat model says the broker's code must not be able to do.
 *
 * Prints one line per attempt on stderr, "ATTACK name: refused (why)" or
 * "ATTACK name: SUCCEEDED (what)", then "ATTACK done".  The attempts that
 * a seccomp filter answers by killing the process (exec, ptrace, fork,
 * setuid) are one per run, chosen by WARD_ATTACK (read before main: the
 * broker empties its environment at start), and come last; if one
 * succeeds it prints SUCCEEDED from the other side.
 * tests/suites/broker-attacker drives it.  Not part of ward.
 */
#include "attack.h"
#include "wb.h"		/* struct sp_msg: what the broker sends its spawner */

__attribute__((constructor)) static void
arm(void)
{
	/* The broker itself, not the spawner it forks. */
	attack_arm("ward-broker");
}

/* The broker's pair to its spawner: the one SOCK_SEQPACKET it holds. */
static int
spawner_fd(void)
{
	int fd, t;
	socklen_t l;

	for (fd = 3; fd < 256; fd++) {
		l = sizeof t;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) == 0 && t == SOCK_SEQPACKET)
			return fd;
	}
	return -1;
}

/* Ask the spawner for a sandbox over a folder it must refuse: a command
 * that would exit 0 if it ran; a refusal ends it with 125. */
static void
try_spawn(const char *name, const char *ws, const char *agent)
{
	static struct sp_msg m;
	static uint32_t next_id = 0x7f000000u;
	struct pollfd pf;
	int fd = spawner_fd(), i;

	if (fd < 0) {
		report(name, 0, "no spawner pair found");
		return;
	}
	memset(&m, 0, sizeof m);
	m.op = SP_SPAWN;
	m.id = next_id++;
	m.argc = 1;
	snprintf(m.argv[0], sizeof m.argv[0], "/usr/bin/true");
	snprintf(m.workspace, sizeof m.workspace, "%s", ws);
	snprintf(m.agent_dir, sizeof m.agent_dir, "%s", agent);
	m.mem_bytes = 64u << 20;
	m.tmp_bytes = 1u << 20;
	m.time_ms = 5000;
	m.pids = 16;
	m.cpu = 50;
	if (send(fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) {
		report(name, 0, "send to the spawner: %s", strerror(errno));
		return;
	}
	/* The answer is ours to read: the broker's loop is held in poll(). */
	for (i = 0; i < 100; i++) {
		pf.fd = fd;
		pf.events = POLLIN;
		if (syscall(SYS_poll, &pf, 1, 100) <= 0)
			continue;
		if (recv(fd, &m, sizeof m, 0) != (ssize_t)sizeof m)
			break;
		if (m.op == SP_EXITED && m.id == next_id - 1) {
			int ran = m.end == SP_END_EXIT && m.code == 0;

			if (strncmp(name, "control_", 8) == 0)
				dprintf(2, "CONTROL %s: %s (code %d)\n", name,
					ran ? "ran" : "refused", m.code);
			else
				report(name, ran, "the sandbox %s (code %d)",
				       ran ? "ran" : "was refused", m.code);
			return;
		}
	}
	report(name, 0, "no answer from the spawner");
}

/* Ask the spawner (root) for more ward-egress processes, each with a pair
 * of our own: while the broker's is alive it must start none (one at a
 * time); a refusal closes the fd it was sent, so our end reads EOF. */
static void
try_egress(const char *name)
{
	static struct sp_msg m;
	int fd = spawner_fd(), i, ended = 0, ends[10];
	struct pollfd pf;

	if (fd < 0) {
		report(name, 0, "no spawner pair found");
		return;
	}
	for (i = 0; i < 10; i++) {
		int sv[2];
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &m, sizeof m };
		struct msghdr mh;
		struct cmsghdr *c;

		ends[i] = -1;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
			continue;
		memset(&m, 0, sizeof m);
		m.op = SP_EGRESS;
		memset(&mh, 0, sizeof mh);
		memset(cbuf, 0, sizeof cbuf);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof m)
			ends[i] = sv[0];
		else
			close(sv[0]);
		close(sv[1]);
	}
	for (i = 0; i < 10; i++) {
		char b;
		int k;

		if (ends[i] < 0)
			continue;
		for (k = 0; k < 30; k++) {
			pf.fd = ends[i];
			pf.events = POLLIN;
			if (syscall(SYS_poll, &pf, 1, 100) > 0)
				break;
		}
		if (recv(ends[i], &b, 1, MSG_DONTWAIT) == 0)
			ended++;
		close(ends[i]);
	}
	report(name, ended < 10, "%d of 10 requests for another ward-egress refused",
	       ended);
}

static void *
thread_attack(void *arg)
{
	(void)arg;
	try_read("thread_read_core_key", "keys/core.key");
	try_create("thread_write_state", "state/planted", NULL);
	return NULL;
}

static void
attack(void)
{
	char p[700];
	pthread_t t;

	dprintf(2, "ATTACK start: uid %u, mode '%s'\n", (unsigned)getuid(), mode);
	try_read("read_core_key", "keys/core.key");
	try_read("read_operator_key", "operator/operator.key");
	try_read("read_operator_key_old_layout", "keys/operator.key");
	try_read("read_audit_log", "state/audit.log");
	try_read("read_audit_ckpt", "state/audit.ckpt");
	/* Secrets: the vault, its key, and ward-egress's key that opens what
	 * the core seals to it. */
	try_read("read_vault", "state/vault");
	try_read("read_vault_key", "keys/vault.key");
	try_read("read_egress_key", "egress/egress.key");
	try_list("list_egress", "egress");
	try_create("replace_egress_pub", "pub/egress.pub.planted", NULL);
	try_list("list_keys", "keys");
	try_list("list_state", "state");
	try_list("list_operator", "operator");
	try_create("write_state", "state/planted", NULL);
	try_create("write_keys", "keys/planted", NULL);
	try_create("write_pub", "pub/planted", NULL);
	try_create("write_core_socket_dir", "run/core/planted", NULL);
	try_create("write_outside_home", NULL, "/tmp/ward-attack-planted");
	try_unix("reach_admin_socket", "run/admin/admin.sock");
	try_unix("reach_admin_socket_old_layout", "run/admin.sock");
	try_socket("open_inet_socket", AF_INET, SOCK_STREAM);
	try_socket("open_inet6_socket", AF_INET6, SOCK_DGRAM);
	try_socket("open_netlink_socket", AF_NETLINK, SOCK_RAW);
	try_core();
	/* The spawner keeps root: it must take no folder but a workspace
	 * directly in work/ and agent code directly in agents/. */
	/* The control: a workspace the harness made directly in work/ runs,
	 * which shows the refusals below are the spawner's rule, not a
	 * sandbox that cannot start at all. */
	snprintf(p, sizeof p, "%s/work/ws1", home);
	try_spawn("control_workspace_in_work", p, "");
	snprintf(p, sizeof p, "%s/work/ws1/sub", home);
	try_spawn("spawner_workspace_deeper_in_work", p, "");
	try_spawn("spawner_workspace_root", "/", "");
	snprintf(p, sizeof p, "%s/work", home);
	try_spawn("spawner_workspace_work_itself", p, "");
	snprintf(p, sizeof p, "%s/keys", home);
	try_spawn("spawner_workspace_keys", p, "");
	snprintf(p, sizeof p, "%s/work/../state", home);
	try_spawn("spawner_workspace_dotdot", p, "");
	snprintf(p, sizeof p, "%s/broker/memory", home);
	try_spawn("spawner_workspace_broker_owned_deeper", p, "");
	snprintf(p, sizeof p, "%s/work", home);
	try_spawn("spawner_agent_dir_etc", p, "/etc");
	try_egress("spawner_second_egress");
	if (pthread_create(&t, NULL, thread_attack, NULL) == 0)
		pthread_join(t, NULL);
	try_lethal();
}

/* Confined means a seccomp filter is on (the broker's Landlock rules
 * leave /proc/self/status out of reach, so ask the kernel directly). */
static void
maybe_fire(int timeout)
{
	(void)timeout;
	if (armed && !fired && getpid() == self_pid &&
	    prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2) {
		fired = 1;
		attack();
	}
}
