/*
 * sb_internal.h -- pieces of the sandbox library shared between its files.
 * Not an interface: only the sandbox's own .c files include it.
 */
#ifndef WARD_SB_INTERNAL_H
#define WARD_SB_INTERNAL_H

#include <limits.h>
#include <linux/filter.h>
#include "sandbox.h"

#define SB_WUR __attribute__((warn_unused_result))

/* Formats an error into err (never overflows, always terminated). */
void sb_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- seccomp (sb_seccomp.c) ------------------------------------------- */

/* The two filters, compiled once with libseccomp.  The main filter is the
 * allowlist (default: ENOSYS) and carries the user-notification rules for
 * connect/send.  The guard filter (default: allow) holds the denials that
 * need a "not equal" on a masked argument, which one libseccomp filter
 * cannot express next to an unconditional allow; the kernel runs both and
 * the stricter answer wins. */
struct sb_filters {
	struct sock_fprog main;
	struct sock_fprog guard;
};

/* The filters baked into the binary at build time when present, else
 * compiled now. */
SB_WUR int sb_seccomp_build(struct sb_filters *f, char *err, size_t errlen);
/* Always compiles with libseccomp (the build-time generator uses this). */
SB_WUR int sb_seccomp_compile(struct sb_filters *f, char *err, size_t errlen);
/* 1 if the baked filters equal a fresh compile, 0 if not, -1 if none. */
int sb_seccomp_baked_matches(void);
void sb_seccomp_free(struct sb_filters *f);
/* In the child: loads guard, then main with a listener; returns the
 * listener fd or -1 with errno set. */
SB_WUR int sb_seccomp_install(const struct sb_filters *f);

/* --- Landlock (sb_landlock.c) ----------------------------------------- */

/* Landlock ABI version, or -1 with errno when unavailable. */
int sb_landlock_abi(void);
/* In the child, after pivot_root: read/exec on ro[], everything on rw[],
 * TCP bind/connect denied (ABI >= 4) but a connect to connect_port when
 * it is not 0 (the egress proxy's port: the network namespace has only
 * loopback, where that port is the proxy), abstract unix sockets and
 * signals scoped to the sandbox (ABI >= 6).  Returns 0 or -1 with a
 * message. */
SB_WUR int sb_landlock_apply(int abi, const char *const *ro, size_t nro,
			     const char *const *rw, size_t nrw,
			     const char *const *dev, size_t ndev,
			     unsigned connect_port, char *err, size_t errlen);

/* --- cgroups (sb_cgroup.c) -------------------------------------------- */

enum { SB_CG_MEMORY, SB_CG_PIDS, SB_CG_CPU, SB_CG_N };

struct sb_cg_host {
	int version[SB_CG_N];          /* 1, 2, or 0 when unavailable */
	char parent[SB_CG_N][PATH_MAX]; /* dir under which leaves are made */
	char why[SB_CG_N][160];         /* why a controller is unavailable */
};

struct sb_cg_inst {
	char leaf[SB_CG_N][PATH_MAX];  /* "" when not made */
	int nleaf;
	/* v1: the leaves' "tasks" files, opened by the parent (root) so the
	 * child can move itself by writing "0": a single thread moving itself
	 * skips the global threadgroup lock, whose RCU grace period would
	 * otherwise cost milliseconds per spawn.  -1 when unused. */
	int tasks_fd[SB_CG_N];
	/* v2: the leaf directory, for clone3(CLONE_INTO_CGROUP); -1 if none */
	int v2_dirfd;
	/* Pooled leaves (ward-pool-K, v1): the exclusive flock held on them,
	 * which sb_cg_destroy() releases instead of removing them; -1 for
	 * leaves of this spawn alone (ward-PID-N). */
	int lock_fd;
};

void sb_cg_detect(struct sb_cg_host *h);
/* Removes the empty leaves left by ward processes that were killed (not
 * the pool's, which are meant to stay).  sb_cg_create() calls it before it
 * first makes leaves of its own. */
void sb_cg_reap_stale(const struct sb_cg_host *h);
SB_WUR int sb_cg_create(const struct sb_cg_host *h,
			const struct ward_sb_config *cfg,
			struct sb_cg_inst *inst, char *err, size_t errlen);
/* In the child, first thing: move itself into the v1 leaves. */
SB_WUR int sb_cg_enter_self(const struct sb_cg_inst *inst);
void sb_cg_usage(const struct sb_cg_inst *inst, struct ward_sb_result *res);
/* After a spawn: 0 when the (v1) leaves are empty and their peak counters
 * reset, so that the next spawn can use them as they are; -1 when they
 * must be destroyed. */
SB_WUR int sb_cg_recycle(struct sb_cg_inst *inst);
void sb_cg_destroy(struct sb_cg_inst *inst);

#endif
