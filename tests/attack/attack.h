/*
 * attack.h -- what the attackers inside ward's processes share
 * (inbroker.c, ingateway.c): arming from the environment, the report line,
 * the attempts on files, sockets and ward-core's process, the attempts a
 * seccomp filter answers by killing the process, and the poll() hooks
 * through which a payload fires.  Each payload is one translation unit
 * that includes this once and defines maybe_fire(timeout).  Not part of
 * ward.
 *
 * Report lines, on stderr: "ATTACK name: refused (why)" or "ATTACK name:
 * SUCCEEDED (what)"; the suites fail on any SUCCEEDED.
 */
#ifndef WARD_TEST_ATTACK_H
#define WARD_TEST_ATTACK_H

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
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ATTACK_UNUSED __attribute__((unused))

static char mode[32], home[512];
static long core_pid;
static pid_t self_pid;
static int armed, fired;

/* Armed only in the process named program, with WARD_ATTACK_HOME set;
 * WARD_ATTACK is the one lethal attempt of this run (read before main:
 * the processes empty their environment at start). */
static void
attack_arm(const char *program)
{
	const char *m = getenv("WARD_ATTACK"), *h = getenv("WARD_ATTACK_HOME");
	const char *c = getenv("WARD_ATTACK_CORE_PID");

	if (strcmp(program_invocation_short_name, program) != 0 || h == NULL)
		return;
	snprintf(mode, sizeof mode, "%s", m != NULL ? m : "");
	snprintf(home, sizeof home, "%s", h);
	core_pid = c != NULL ? atol(c) : 0;
	/* This process, not a child it forks (which inherits the object but
	 * is not where an exploit of it runs). */
	self_pid = getpid();
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
	dprintf(2, "ATTACK %s: %s (%s)\n", name, ok_for_attacker ? "SUCCEEDED" :
		"refused", why);
}

/* Read a few bytes of p (absolute). */
static ATTACK_UNUSED void
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

/* Read a few bytes of rel in the home. */
static ATTACK_UNUSED void
try_read(const char *name, const char *rel)
{
	char p[700];

	snprintf(p, sizeof p, "%s/%s", home, rel);
	try_read_abs(name, p);
}

static ATTACK_UNUSED void
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

/* Create (and remove) rel in the home, or abs if not NULL. */
static ATTACK_UNUSED void
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

/* Connect to the unix socket rel in the home. */
static ATTACK_UNUSED void
try_unix(const char *name, const char *rel)
{
	struct sockaddr_un a;
	int s;

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(home) + strlen(rel) + 2 > sizeof a.sun_path) {
		report(name, 0, "path too long");
		return;
	}
	snprintf(a.sun_path, sizeof a.sun_path, "%.60s/%.40s", home, rel);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
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

static ATTACK_UNUSED void
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

/* ward-core's process: signal it, open its memory and its environment. */
static void
try_core(void)
{
	static const char *const files[] = { "mem", "environ" };
	char p[64], name[32];
	size_t i;

	if (core_pid <= 0)
		return;
	if (kill((pid_t)core_pid, 0) == 0)
		report("signal_core", 1, "kill(%ld, 0) succeeded", core_pid);
	else
		report("signal_core", 0, "kill: %s", strerror(errno));
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		int fd;

		snprintf(p, sizeof p, "/proc/%ld/%s", core_pid, files[i]);
		snprintf(name, sizeof name, "read_core_%s",
			 i == 0 ? "memory" : files[i]);
		fd = open(p, O_RDONLY);
		report(name, fd >= 0, "open %s: %s", p, fd >= 0 ? "opened" :
		       strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

/* The attempt of this run that the filter answers by killing the whole
 * process (one a run: exec, ptrace, fork or setuid), then "ATTACK done". */
static void
try_lethal(void)
{
	dprintf(2, "ATTACK lethal: %s\n", mode);
	if (strcmp(mode, "exec") == 0) {
		char *argv[] = { "/bin/sh", "-c", "echo 'ATTACK exec: SUCCEEDED "
				 "(ran /bin/sh)' >&2", NULL };

		execv(argv[0], argv);
		report("exec", 0, "execv: %s", strerror(errno));
	} else if (strcmp(mode, "ptrace") == 0 && core_pid > 0) {
		long r = ptrace(PTRACE_ATTACH, (pid_t)core_pid, 0, 0);

		report("ptrace_core", r == 0, "PTRACE_ATTACH: %s", r == 0 ?
		       "attached" : strerror(errno));
	} else if (strcmp(mode, "fork") == 0) {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		report("fork", c > 0, "fork: %s", c > 0 ? "a child" :
		       strerror(errno));
	} else if (strcmp(mode, "setuid") == 0) {
		int r = setuid(0);

		report("setuid_root", r == 0, "setuid(0): %s", r == 0 ? "root" :
		       strerror(errno));
	}
	dprintf(2, "ATTACK done\n");
}

/* The payload's trigger, called on every poll() of the process. */
static void maybe_fire(int timeout);

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT,
								    "poll");
	maybe_fire(timeout);
	return real(fds, n, timeout);
}

/* ward's programs are built with _FORTIFY_SOURCE: their poll() calls are
 * this. */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	static int (*real)(struct pollfd *, nfds_t, int, size_t);

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int, size_t))dlsym(
			RTLD_NEXT, "__poll_chk");
	maybe_fire(timeout);
	return real(fds, n, timeout, fdslen);
}

#endif /* WARD_TEST_ATTACK_H */
