/*
 * cmd_sandbox.c -- 'ward sandbox [options] -- CMD [ARGS]': one command in a
 * fresh sandbox, for one-off use (like bwrap), and 'ward sandbox --probe'.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ward_cli.h"
#include "sandbox.h"
#include "text.h"

#define EXIT_SETUP WX_SETUP /* the sandbox could not be built; nothing ran */
#define EXIT_TIMEOUT 124

static const char usage_text[] =
"usage: ward sandbox [OPTIONS] [--] CMD [ARGS...]\n"
"       ward sandbox --probe [--workspace DIR]\n"
"\n"
"Runs CMD in a fresh sandbox and waits for it.  Always on, with no flags:\n"
"  - new user, mount, pid, net, uts, ipc and cgroup namespaces; CMD runs as\n"
"    uid/gid 1000 inside, host uid/gid 2000000000 outside (never root);\n"
"  - a read-only root made only of /usr, a few files of /etc, a minimal /dev,\n"
"    a fresh /proc and a private size-capped /tmp; homes, /root, /srv, /var,\n"
"    /opt, /run and the ward state folder are not there;\n"
"  - the workspace (the current folder unless --workspace) bound read-write\n"
"    at the same path, and the starting folder;\n"
"  - a new session, no_new_privs, no capabilities (bounding and ambient\n"
"    too), not dumpable until exec, only fds 0, 1, 2 (and --pass-fd) open;\n"
"  - nothing of ward's environment but TERM: CMD gets\n"
"      PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8\n"
"    (and TERM when ward has it), then each --env, which replaces a default\n"
"    of the same name; --empty-env starts from nothing instead;\n"
"  - Landlock read/write rules, TCP denied and unix/signal scoping where the\n"
"    kernel's ABI has them; seccomp allowlist (x86_64 only: i386 and x32\n"
"    are killed; io_uring, mount, namespaces, bpf, perf, ptrace, keyrings,\n"
"    module loading, clock setting, TIOCSTI and non-unix sockets refused);\n"
"  - no network: an empty network namespace; connect/send attempts are\n"
"    refused and reported on stderr as\n"
"      BLOCKED net.connect 127.0.0.1:443 reason=proxy_bypass\n"
"  - memory, pids and CPU cgroups, rlimits, a wall-clock timeout, death\n"
"    with ward.\n"
"A ring the host cannot enforce is an error (exit 125), never skipped.\n"
"\n"
"Options:\n"
"  -w, --workspace DIR    bind DIR read-write instead of the current folder\n"
"      --workspace-ro     bind the workspace read-only\n"
"      --no-workspace     no workspace at all (start in /)\n"
"      --ro-bind SRC[:DST]  also bind host path SRC read-only (at DST)\n"
"  -e, --env NAME=VALUE   set a variable (repeatable); --env NAME copies it\n"
"                         from ward's environment\n"
"      --empty-env        no default variables: only those given by --env\n"
"      --pass-fd N        keep fd N open in the sandbox\n"
"      --close-stdio      do not pass fds 0, 1, 2 either (/dev/null instead)\n"
"      --memory SIZE      memory limit, swap included (default 512M)\n"
"      --pids N           process/thread limit (default 128)\n"
"      --cpu PERCENT      CPU quota, 100 = one core (default 100)\n"
"      --tmp-size SIZE    size of /tmp (default 64M)\n"
"      --fsize SIZE       largest file that can be written (default 1G)\n"
"      --nofile N         open file limit (default 1024)\n"
"  -t, --timeout SECONDS  wall-clock limit, 0 for none (default 300)\n"
"      --uid ID           host uid and gid to run as (default 2000000000)\n"
"      --hostname NAME    hostname inside (default ward)\n"
"      --allow-no-landlock  run even if the kernel has no Landlock (the\n"
"                         filesystem ring is then the mount namespace alone)\n"
"  -q, --quiet            no resource report on stderr\n"
"      --probe            report what this host can enforce, and exit\n"
"  -h, --help             this text\n"
"SIZE takes K, M or G.\n"
"\n"
"Exit status: CMD's status; 128+N if CMD was killed by signal N; 124 on\n"
"timeout; 125 if the sandbox could not be set up (the reason is printed).\n"
"At the end a report goes to stderr, e.g.\n"
"  ward sandbox: exit=0 wall=3.2ms user=0.0ms sys=1.1ms maxrss=1024KiB mem.peak=2.0MiB blocked=0\n";

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char prefix[] = "ward sandbox: ";
	va_list ap;
	va_start(ap, fmt);
	text_vline(stderr, prefix, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'ward sandbox --help'\n");
	return WX_USAGE;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "/" and the places that must stay invisible cannot be the workspace. */
static const char *workspace_refusal(const char *ws)
{
	static const char *const under[] = { "/proc", "/sys", "/dev", "/boot", "/etc",
					      "/usr", "/var/lib/ward" };
	static const char *const above[] = { "/root", "/home", "/srv", "/etc", "/usr",
					     "/var", "/var/lib/ward", "/run" };
	if (strcmp(ws, "/") == 0)
		return "it is the whole host file system";
	for (size_t i = 0; i < sizeof under / sizeof *under; i++) {
		size_t n = strlen(under[i]);
		if (strncmp(ws, under[i], n) == 0 && (ws[n] == '\0' || ws[n] == '/'))
			return "it is a system folder";
	}
	for (size_t i = 0; i < sizeof above / sizeof *above; i++) {
		size_t n = strlen(ws);
		if (strncmp(above[i], ws, n) == 0 && above[i][n] == '/')
			return "it contains host homes, /root, /srv or ward's state";
	}
	const char *wh = getenv("WARD_HOME");
	if (wh != NULL && wh[0] == '/') {
		size_t a = strlen(ws), b = strlen(wh);
		if ((strncmp(wh, ws, a) == 0 && (wh[a] == '/' || wh[a] == '\0')) ||
		    (strncmp(ws, wh, b) == 0 && (ws[b] == '/' || ws[b] == '\0')))
			return "it overlaps ward's state folder ($WARD_HOME)";
	}
	return NULL;
}

/* The default environment, unless --empty-env: what a compiler or a
 * shell expects to find (gcc looks for cc1 through PATH), and nothing of
 * ward's own but TERM.  A --env of the same name wins. */
static int add_default_env(struct ward_sb_config *cfg, char *termbuf, size_t termlen)
{
	static const char *const defaults[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
	};
	const char *term = getenv("TERM");
	const char *want[4];
	size_t n = 0;
	for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
		want[n++] = defaults[i];
	if (term != NULL && (size_t)snprintf(termbuf, termlen, "TERM=%s", term) < termlen)
		want[n++] = termbuf;
	for (size_t i = 0; i < n; i++) {
		size_t nl = (size_t)(strchr(want[i], '=') - want[i]) + 1;
		int given = 0;
		for (size_t k = 0; k < cfg->nenv && !given; k++)
			given = strncmp(cfg->env[k], want[i], nl) == 0;
		if (given)
			continue;
		if (cfg->nenv == WARD_SB_MAX_ENV)
			return -1;
		cfg->env[cfg->nenv++] = want[i];
	}
	return 0;
}

static int probe(const char *ws)
{
	struct ward_sb_probe p;
	ward_sb_probe_host(&p, ws);
	int bad_rings = 0;
	printf("ward sandbox --probe\n");
	printf("  namespaces  user, mount, pid, net, uts, ipc, cgroup: %s\n",
	       p.userns ? "ok" : strerror(p.userns_errno));
	bad_rings += !p.userns;
	if (p.landlock_abi >= 1) {
		printf("  landlock    ABI %d: file read/write rules%s%s%s%s%s\n", p.landlock_abi,
		       p.landlock_abi >= 2 ? ", refer" : "",
		       p.landlock_abi >= 3 ? ", truncate" : "",
		       p.landlock_abi >= 4 ? ", TCP bind/connect" : "",
		       p.landlock_abi >= 5 ? ", device ioctl" : "",
		       p.landlock_abi >= 6 ? ", abstract-unix and signal scoping" : "");
	} else {
		printf("  landlock    ERROR: unavailable (%s); 'ward sandbox' refuses to run "
		       "without --allow-no-landlock\n", strerror(p.landlock_errno));
		bad_rings++;
	}
	printf("  seccomp     filter: %s; user notification: %s\n",
	       p.seccomp_filter ? "ok" : "ERROR: unavailable",
	       p.seccomp_notify ? "ok" : "ERROR: unavailable");
	bad_rings += !p.seccomp_filter + !p.seccomp_notify;
	printf("              allowlist: %s\n",
	       p.filter_baked == 1 ? "baked at build time, identical to a fresh libseccomp compile" :
	       p.filter_baked == 0 ? "ERROR: the baked filter differs from a fresh libseccomp "
				     "compile (libseccomp changed since the build?); rebuild ward" :
				     "compiled at start (none baked)");
	bad_rings += p.filter_baked == 0;
	printf("  idmap       idmapped mount of %s: %s\n", ws ? ws : "/",
	       p.idmap ? "ok" : "ERROR: not supported (the workspace cannot be "
			       "made writable for the sandbox user)");
	bad_rings += !p.idmap;
	const char *v[3] = { p.cgroup_memory, p.cgroup_pids, p.cgroup_cpu };
	int mixed = 0;
	for (int i = 0; i < 3; i++) {
		if (v[i][0] == '\0')
			bad_rings++;
		if (i > 0 && strcmp(v[i], v[0]) != 0)
			mixed = 1;
	}
	printf("  cgroup      %s: memory %s, pids %s, cpu %s\n",
	       mixed ? "hybrid" : (v[0][0] ? v[0] : "none"),
	       v[0][0] ? v[0] : "ERROR: unavailable", v[1][0] ? v[1] : "ERROR: unavailable",
	       v[2][0] ? v[2] : "ERROR: unavailable");
	for (char *s = p.cgroup_detail, *e; s != NULL && *s != '\0'; s = e ? e + 1 : NULL) {
		e = strchr(s, '\n');
		printf("              %.*s\n", e ? (int)(e - s) : (int)strlen(s), s);
	}
	if (bad_rings)
		printf("  result      ERROR: %d ring(s) cannot be enforced on this host; "
		       "'ward sandbox' will refuse to run\n", bad_rings);
	else
		printf("  result      every ring can be enforced\n");
	return bad_rings ? 1 : 0;
}

static volatile int cancel_flag;
static volatile sig_atomic_t cancel_sig;

static void on_signal(int sig)
{
	cancel_flag = 1;
	cancel_sig = sig;
}

int cmd_sandbox(int argc, char **argv)
{
	struct ward_sb_config cfg;
	ward_sb_config_defaults(&cfg);
	int quiet = 0, do_probe = 0, no_ws = 0, empty_env = 0;
	static char term_buf[256];
	const char *ws = NULL;
	static char bind_buf[WARD_SB_MAX_BINDS][PATH_MAX];
	static char env_buf[WARD_SB_MAX_ENV][64];
	enum { O_PROBE = 256, O_WSRO, O_NOWS, O_ROBIND, O_EMPTYENV, O_PASSFD,
	       O_CLOSESTDIO, O_MEMORY, O_TMPSIZE, O_FSIZE, O_PIDS, O_CPU,
	       O_NOFILE, O_UID, O_HOSTNAME, O_NOLL };
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "probe", no_argument, NULL, O_PROBE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "workspace", required_argument, NULL, 'w' },
		{ "workspace-ro", no_argument, NULL, O_WSRO },
		{ "no-workspace", no_argument, NULL, O_NOWS },
		{ "ro-bind", required_argument, NULL, O_ROBIND },
		{ "env", required_argument, NULL, 'e' },
		{ "empty-env", no_argument, NULL, O_EMPTYENV },
		{ "pass-fd", required_argument, NULL, O_PASSFD },
		{ "close-stdio", no_argument, NULL, O_CLOSESTDIO },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "tmp-size", required_argument, NULL, O_TMPSIZE },
		{ "fsize", required_argument, NULL, O_FSIZE },
		{ "pids", required_argument, NULL, O_PIDS },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "nofile", required_argument, NULL, O_NOFILE },
		{ "timeout", required_argument, NULL, 't' },
		{ "uid", required_argument, NULL, O_UID },
		{ "hostname", required_argument, NULL, O_HOSTNAME },
		{ "allow-no-landlock", no_argument, NULL, O_NOLL },
		{ NULL, 0, NULL, 0 }
	};
	int i, c;
	/* '+': the options end at CMD (or at --), whose own options are its. */
	while ((c = cli_getopt(argc, argv, "sandbox", "+hqw:e:t:", lo)) != -1) {
		const char *v = optarg;
		const char *a = argv[optind - 1];
		if (c == CLI_BADOPT || c == '?') {
			return WX_USAGE;
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else if (c == O_PROBE) {
			do_probe = 1;
		} else if (c == 'q') {
			quiet = 1;
		} else if (c == 'w') {
			ws = v;
		} else if (c == O_WSRO) {
			cfg.workspace_ro = 1;
		} else if (c == O_NOWS) {
			no_ws = 1;
		} else if (c == O_ROBIND) {
			if (cfg.nbinds == WARD_SB_MAX_BINDS)
				return bad("too many --ro-bind (at most %s)", "32");
			char *b = bind_buf[cfg.nbinds];
			snprintf(b, PATH_MAX, "%s", v);
			char *colon = strchr(b, ':');
			if (colon != NULL)
				*colon = '\0';
			char *src = realpath(b, NULL);
			if (src == NULL)
				return bad("--ro-bind: the host path '%s' does not exist", b);
			const char *dst = colon != NULL ? colon + 1 : src;
			if (dst[0] != '/')
				return bad("--ro-bind: the sandbox path '%s' must be absolute", dst);
			cfg.binds[cfg.nbinds].src = src;
			cfg.binds[cfg.nbinds].dst = colon != NULL ? dst : src;
			cfg.nbinds++;
		} else if (c == 'e') {
			if (cfg.nenv == WARD_SB_MAX_ENV)
				return bad("too many --env (at most %s)", "128");
			if (strchr(v, '=') != NULL) {
				cfg.env[cfg.nenv++] = v;
			} else {
				const char *val = getenv(v);
				if (val == NULL)
					return bad("--env %s: ward's environment has no such variable; "
						   "give NAME=VALUE", v);
				size_t need = strlen(v) + strlen(val) + 2;
				char *e = need <= sizeof env_buf[0] ? env_buf[cfg.nenv] : malloc(need);
				if (e == NULL)
					return bad("%s", "out of memory");
				snprintf(e, need, "%s=%s", v, val);
				cfg.env[cfg.nenv++] = e;
			}
		} else if (c == O_EMPTYENV) {
			empty_env = 1;
		} else if (c == O_PASSFD) {
			uint32_t fd;
			if (parse_u32(v, INT_MAX, &fd) < 0 || fd < 3)
				return bad("--pass-fd needs a number >= 3 (0, 1, 2 are passed "
					   "already), not '%s'", v);
			if (cfg.npass_fds == WARD_SB_MAX_FDS)
				return bad("too many --pass-fd (at most %s)", "16");
			cfg.pass_fds[cfg.npass_fds++] = (int)fd;
		} else if (c == O_CLOSESTDIO) {
			cfg.close_stdio = 1;
		} else if (c == O_MEMORY || c == O_TMPSIZE || c == O_FSIZE) {
			uint64_t sz;
			if (ward_sb_parse_size(v, &sz) < 0)
				return bad("bad size '%s' (use a number with K, M or G)", v);
			if (c == O_MEMORY)
				cfg.memory_bytes = sz;
			else if (c == O_TMPSIZE)
				cfg.tmp_bytes = sz;
			else
				cfg.fsize_bytes = sz;
		} else if (c == O_PIDS || c == O_CPU || c == O_NOFILE) {
			uint32_t n;
			if (parse_u32(v, 1u << 20, &n) < 0 || n == 0)
				return bad("'%s' is not a positive number", v);
			if (c == O_PIDS)
				cfg.pids_max = n;
			else if (c == O_CPU)
				cfg.cpu_percent = n;
			else
				cfg.nofile = n;
		} else if (c == 't') {
			uint32_t s;
			if (parse_u32(v, 86400u * 365, &s) < 0)
				return bad("--timeout needs whole seconds, not '%s'", v);
			cfg.timeout_ms = (uint64_t)s * 1000;
		} else if (c == O_UID) {
			uint32_t id;
			if (parse_u32(v, 0xfffffffeu, &id) < 0 || id == 0)
				return bad("--uid needs a non-zero host uid, not '%s'", v);
			cfg.host_uid = id;
			cfg.host_gid = id;
		} else if (c == O_HOSTNAME) {
			if (strlen(v) == 0 || strlen(v) > 64)
				return bad("--hostname '%s' must be 1 to 64 characters", v);
			cfg.hostname = v;
		} else if (c == O_NOLL) {
			cfg.allow_no_landlock = 1;
		} else {
			return bad("unknown option '%s'", a);
		}
		(void)a;
	}
	i = optind;

	static char wsbuf[PATH_MAX];
	if (!no_ws) {
		if (ws == NULL) {
			if (getcwd(wsbuf, sizeof wsbuf) == NULL)
				return bad("cannot find the current folder (%s); give --workspace",
					   strerror(errno));
		} else if (realpath(ws, wsbuf) == NULL) {
			return bad("the workspace '%s' does not exist", ws);
		}
		const char *why = workspace_refusal(wsbuf);
		if (why != NULL) {
			fprintf(stderr, "ward sandbox: refused: %s cannot be the workspace: %s.\n"
				"Run from a project folder, or give --workspace DIR or "
				"--no-workspace.\n", wsbuf, why);
			return EXIT_SETUP;
		}
		cfg.workspace = wsbuf;
	}

	if (do_probe)
		return probe(cfg.workspace);
	if (!empty_env && add_default_env(&cfg, term_buf, sizeof term_buf) != 0)
		return bad("too many --env (at most %s with the defaults)", "128");
	if (i >= argc)
		return bad("%s", "no command given: ward sandbox [OPTIONS] -- CMD [ARGS]");

	char err[WARD_SB_ERRLEN];
	struct ward_sb *sb;
	cfg.cancel = &cancel_flag;
	cfg.one_shot = 1;
	if (ward_sb_prepare(&cfg, &sb, err, sizeof err) < 0) {
		fprintf(stderr, "ward sandbox: %s\n", err);
		return EXIT_SETUP;
	}
	if (cfg.allow_no_landlock && ward_sb_landlock_abi() < 1)
		fprintf(stderr, "ward sandbox: WARNING: this kernel has no Landlock; running "
			"WITHOUT the Landlock ring because --allow-no-landlock was given "
			"(the mount namespace alone limits the file system)\n");
	/* ^C, kill or a hangup end the sandbox and still clean up. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct ward_sb_result res;
	int rc = ward_sb_run(sb, argv + i, &res, err, sizeof err);
	ward_sb_free(sb);
	if (rc < 0) {
		fprintf(stderr, "ward sandbox: %s\n", err);
		return EXIT_SETUP;
	}
	int code;
	char what[48];
	if (res.cancelled) {
		code = 128 + (int)cancel_sig;
		snprintf(what, sizeof what, "cancelled=%s", sigabbrev_np((int)cancel_sig) ?
			 sigabbrev_np((int)cancel_sig) : "?");
	} else if (res.timed_out) {
		code = EXIT_TIMEOUT;
		snprintf(what, sizeof what, "timeout=%llus",
			 (unsigned long long)(cfg.timeout_ms / 1000));
	} else if (WIFSIGNALED(res.wait_status)) {
		code = 128 + WTERMSIG(res.wait_status);
		snprintf(what, sizeof what, "signal=%s", sigabbrev_np(WTERMSIG(res.wait_status)) ?
			 sigabbrev_np(WTERMSIG(res.wait_status)) : "?");
	} else {
		code = WEXITSTATUS(res.wait_status);
		snprintf(what, sizeof what, "exit=%d", code);
	}
	if (!quiet)
		fprintf(stderr, "ward sandbox: %s wall=%.1fms user=%.1fms sys=%.1fms "
			"maxrss=%ldKiB mem.peak=%.1fMiB blocked=%u\n", what,
			(double)res.wall_ns / 1e6,
			(double)res.utime.tv_sec * 1e3 + (double)res.utime.tv_usec / 1e3,
			(double)res.stime.tv_sec * 1e3 + (double)res.stime.tv_usec / 1e3,
			res.maxrss_kb, (double)res.mem_peak_bytes / 1048576.0, res.blocked);
	return code;
}
