/*
 * sandbox.h -- the sandbox library: run one command inside the five rings.
 *
 * Untrusted side of ward (not verified).  One call, ward_sb_run(), creates
 * fresh user, mount, pid, net, uts, ipc and cgroup namespaces, builds a
 * minimal read-only root, applies Landlock and a libseccomp allowlist,
 * places the process in memory/pids/cpu cgroups with rlimits on top, runs
 * the command as an unprivileged uid, and supervises it: timeout, network
 * attempts reported through seccomp user notification, exit status and
 * resource usage.  DESIGN.md section 4.
 *
 * Every function returns 0 on success and -1 on failure, with a sentence
 * in the caller's error buffer saying what was refused, why, and what to do.
 * No ring is ever downgraded silently: a ring the host cannot enforce makes
 * ward_sb_prepare() fail unless the caller opted out of that ring by name.
 */
#ifndef WARD_SANDBOX_H
#define WARD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/time.h>

#define WARD_SB_MAX_BINDS 32
#define WARD_SB_MAX_ENV 128
#define WARD_SB_MAX_FDS 16
#define WARD_SB_ERRLEN 512
/* The smallest memory limit a sandbox is set up with (profiles check it
 * too, common/profile.c). */
#define WARD_SB_MEMORY_MIN (4u << 20)

/* Where an agent finds the egress proxy inside its sandbox. */
#define WARD_SB_PROXY_ADDR "127.0.0.1"
#define WARD_SB_PROXY_PORT 3128u

/* Host ids the sandbox runs as: never 0, not in the host's passwd. */
#define WARD_SB_HOST_ID_DEFAULT 2000000000u
/* The ids the sandboxed process sees for itself. */
#define WARD_SB_INNER_ID 1000u

struct ward_sb_bind {
	const char *src; /* host path */
	const char *dst; /* path inside the sandbox (absolute) */
};

struct ward_sb_config {
	const char *workspace;    /* absolute host dir bound read-write; NULL: none */
	int workspace_ro;         /* bind it read-only instead */
	/* Where the workspace appears inside (absolute, without '..'); NULL:
	 * at its host path.  ward run's agents see theirs at /workspace, the
	 * path their capabilities' scopes name. */
	const char *workspace_at;
	struct ward_sb_bind binds[WARD_SB_MAX_BINDS]; /* extra read-only binds */
	size_t nbinds;
	const char *env[WARD_SB_MAX_ENV]; /* "NAME=VALUE", the whole environment */
	size_t nenv;
	int pass_fds[WARD_SB_MAX_FDS]; /* kept open (besides 0, 1, 2) */
	size_t npass_fds;
	int close_stdio;          /* do not pass 0, 1, 2 either */

	uint64_t memory_bytes;    /* cgroup memory limit (also memsw on v1) */
	uint32_t pids_max;        /* cgroup pids limit, also RLIMIT_NPROC */
	uint32_t cpu_percent;     /* cgroup CPU quota, 100 = one core */
	uint64_t tmp_bytes;       /* size of the private /tmp */
	uint64_t timeout_ms;      /* wall-clock limit, 0 = none */
	uint64_t fsize_bytes;     /* RLIMIT_FSIZE */
	uint32_t nofile;          /* RLIMIT_NOFILE */

	uid_t host_uid;           /* host uid the sandbox runs as (not 0) */
	gid_t host_gid;
	const char *hostname;

	int allow_no_landlock;    /* run even where Landlock is missing */
	/* ward_sb_run() will be called once: the root prepared by
	 * ward_sb_prepare() is moved into that sandbox rather than copied
	 * (a second run is refused). */
	int one_shot;
	int log_fd;               /* BLOCKED lines go here (-1: nowhere) */
	/* The egress proxy (docs/egress.md): when above 2, a unix socket
	 * over which the sandbox sends (SCM_RIGHTS) a TCP listener it makes
	 * on 127.0.0.1:WARD_SB_PROXY_PORT in its own network namespace,
	 * with lo up; a connect to exactly that address then passes the
	 * seccomp notifier (every other one is refused and reported). */
	int proxy_sock;
	/* When set and *cancel becomes non-zero (from a signal handler), the
	 * sandbox is killed and cleaned up as after a timeout. */
	volatile int *cancel;
};

struct ward_sb_result {
	int wait_status;          /* as from wait4() */
	int timed_out;
	int cancelled;
	int setup_failed;         /* the command never started */
	uint64_t wall_ns;
	struct timeval utime, stime;
	long maxrss_kb;
	uint64_t mem_peak_bytes;  /* from the cgroup, 0 if unknown */
	unsigned blocked;         /* network attempts reported and refused */
};

/* What the host offers, as found by ward_sb_probe(). */
struct ward_sb_probe {
	int landlock_abi;         /* <= 0: none (errno in landlock_errno) */
	int landlock_errno;
	int seccomp_filter;       /* seccomp(2) filter mode available */
	int seccomp_notify;       /* user notification available */
	int userns;               /* a user namespace could be created */
	int userns_errno;
	int idmap;                /* idmapped mounts supported by the workspace fs */
	int filter_baked;         /* 1: baked filter equals a fresh libseccomp
				     compile; 0: differs; -1: none baked */
	char cgroup_memory[16];   /* "v2", "v1" or "" when unavailable */
	char cgroup_pids[16];
	char cgroup_cpu[16];
	char cgroup_detail[512];  /* where each controller lives */
};

struct ward_sb; /* a prepared sandbox: filters compiled once, reusable */

/* Checks the host and compiles the seccomp filters.  Fails (and says which
 * ring and why) when any ring cannot be enforced. */
__attribute__((warn_unused_result))
int ward_sb_prepare(const struct ward_sb_config *cfg, struct ward_sb **out,
		    char *err, size_t errlen);

/* Runs argv[0] (looked up in /usr/local/bin:/usr/bin:/bin inside the
 * sandbox unless it contains a slash) and waits for it. */
__attribute__((warn_unused_result))
int ward_sb_run(struct ward_sb *sb, char *const argv[],
		struct ward_sb_result *res, char *err, size_t errlen);

void ward_sb_free(struct ward_sb *sb);

void ward_sb_config_defaults(struct ward_sb_config *cfg);

/* Fills *p; never fails, a missing feature is reported in the fields.
 * workspace may be NULL (then idmap support is checked on "/"). */
void ward_sb_probe_host(struct ward_sb_probe *p, const char *workspace);

/* The running kernel's Landlock ABI version, or -1 when it has none. */
int ward_sb_landlock_abi(void);

/* Parses "512M", "1G", "64K", "100" (bytes).  -1 on bad input. */
__attribute__((warn_unused_result))
int ward_sb_parse_size(const char *s, uint64_t *out);

#endif
